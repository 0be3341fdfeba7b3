//! `repo sync`: set `spec.sync.runOnceAt` so the server runs a one-time full sync.

use clap::Args;
use serde_json::{Value, json};

use crate::error::CliError;
use crate::kube::{self, Client};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Repository names (or --all).
    pub names: Vec<String>,
    /// Sync every repository of the namespace.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub all: bool,
    /// With --all: every namespace.
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// When to sync: a duration (`10m`, `2h30m`) or an RFC3339 time; at least 1 minute from now (the default).
    #[arg(long = "run-once", default_value = "")]
    pub run_once: String,
}

/// The sync time for `--run-once`, and a warning when it had to be moved to now + 1m (Porch's rule).
fn parse_run_once(
    s: &str,
    now: jiff::Timestamp,
) -> Result<(jiff::Timestamp, Option<&'static str>), CliError> {
    let minute = jiff::SignedDuration::from_secs(60);
    let min = now
        .checked_add(minute)
        .map_err(|e| CliError::Msg(e.to_string()))?;
    if s.is_empty() {
        return Ok((min, None));
    }
    if let Some(d) = parse_go_duration(s) {
        if d < minute {
            return Ok((
                min,
                Some(
                    "Warning: Duration must be at least 1 minute. Sync time adjusted to comply with minimum delay.",
                ),
            ));
        }
        return Ok((
            now.checked_add(d)
                .map_err(|e| CliError::Msg(e.to_string()))?,
            None,
        ));
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        if t < min {
            return Ok((
                min,
                Some(
                    "Warning: Scheduled time is within 1 minute or in the past. Sync time adjusted to comply with minimum delay.",
                ),
            ));
        }
        return Ok((t, None));
    }
    Err(CliError::Usage("invalid --run-once value".into()))
}

/// Go's `time.ParseDuration` for h/m/s units.
pub fn parse_go_duration(s: &str) -> Option<jiff::SignedDuration> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        any = true;
    }
    (any && num.is_empty()).then(|| jiff::SignedDuration::from_secs_f64(total))
}

/// Per-repository failures are reported on stderr and do not fail the command, as in Porch.
pub async fn run(client: &Client, a: SyncArgs) -> Result<(), CliError> {
    let ns = client.namespace.clone();
    let (at, warning) = parse_run_once(&a.run_once, jiff::Timestamp::now())?;
    if let Some(w) = warning {
        crate::output::emit(&format!("{w}\n"));
    }
    let mut repos: Vec<Value> = Vec::new();
    if a.all {
        let scope = (!a.all_namespaces).then_some(ns.as_str());
        let list = client
            .get(&kube::path(kube::CONFIG, scope, kube::REPOSITORIES, None))
            .await?;
        repos = list["items"].as_array().cloned().unwrap_or_default();
    } else {
        if a.names.is_empty() {
            return Err(CliError::Usage(
                "repository name(s) required unless --all is set".into(),
            ));
        }
        for name in &a.names {
            match client
                .get(&kube::path(
                    kube::CONFIG,
                    Some(&ns),
                    kube::REPOSITORIES,
                    Some(name),
                ))
                .await
            {
                Ok(r) => repos.push(r),
                Err(e) => eprintln!("Error fetching repository {name:?}: {e}"),
            }
        }
    }
    if repos.is_empty() {
        return Err(CliError::Msg(if a.all_namespaces && a.all {
            "no repositories found across all namespaces".into()
        } else {
            format!("no repositories found in namespace {ns:?}")
        }));
    }
    let when = at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    for repo in repos {
        let name = repo["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let rns = repo["metadata"]["namespace"]
            .as_str()
            .unwrap_or(&ns)
            .to_string();
        let path = kube::path(kube::CONFIG, Some(&rns), kube::REPOSITORIES, Some(&name));
        let mut repo = repo;
        let mut attempt = 0;
        let result = loop {
            if !repo["spec"]["sync"].is_object() {
                repo["spec"]["sync"] = json!({});
            }
            repo["spec"]["sync"]["runOnceAt"] = json!(when);
            match client.put(&path, &repo).await {
                Err(e) if e.is_conflict() && attempt < 5 => {
                    attempt += 1;
                    match client.get(&path).await {
                        Ok(fresh) => repo = fresh,
                        Err(e) => break Err(e),
                    }
                }
                other => break other,
            }
        };
        match result {
            Ok(_) => {
                crate::output::emit(&format!("Scheduled one-time sync for {name:?} at {when}\n"))
            }
            Err(e) => eprintln!("Failed to update repository {name:?}: {e}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_once_values() {
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let t = |s: &str| parse_run_once(s, now).map(|(t, w)| (t.to_string(), w.is_some()));
        assert_eq!(t("").unwrap(), ("2026-01-01T00:01:00Z".into(), false));
        assert_eq!(t("1h30m").unwrap(), ("2026-01-01T01:30:00Z".into(), false));
        assert_eq!(t("30s").unwrap(), ("2026-01-01T00:01:00Z".into(), true));
        assert_eq!(
            t("2025-01-01T00:00:00Z").unwrap(),
            ("2026-01-01T00:01:00Z".into(), true)
        );
        assert_eq!(
            t("2026-01-02T00:00:00Z").unwrap(),
            ("2026-01-02T00:00:00Z".into(), false)
        );
        assert!(t("soon").is_err());
    }
}
