//! `repo reg`: create the auth Secret (if credentials are given), then the Repository.

use base64::Engine;
use clap::Args;
use serde_json::{Value, json};

use crate::error::CliError;
use crate::kube::{self, Client};

#[derive(Debug, Args)]
pub struct RegArgs {
    /// Git repository URL, or `oci://<registry>`.
    pub repository: String,
    /// Directory within the repository where packages live.
    #[arg(long, default_value = "/")]
    pub directory: String,
    /// Branch holding the packages.
    #[arg(long, default_value = "main")]
    pub branch: String,
    /// Create the branch if it does not exist.
    #[arg(long = "create-branch", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub create_branch: bool,
    /// Repository name (default: the last segment of the URL).
    #[arg(long)]
    pub name: Option<String>,
    /// Brief description of the repository.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The repository is a deployment repository.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub deployment: bool,
    /// Username for basic authentication to the repository.
    #[arg(long = "repo-basic-username", default_value = "")]
    pub username: String,
    /// Password for basic authentication to the repository.
    #[arg(long = "repo-basic-password", default_value = "")]
    pub password: String,
    /// Use GCP workload identity for authentication.
    #[arg(long = "repo-workload-identity", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub workload_identity: bool,
    /// Cron schedule (5 fields) of periodic full syncs.
    #[arg(long = "sync-schedule", default_value = "")]
    pub sync_schedule: String,
    /// Accepted for Porch compatibility (v1alpha2 migration annotation).
    #[arg(long = "v1alpha2", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub v1alpha2: bool,
}

/// The last path segment of a URL without `.git`, as Porch names repositories.
pub fn last_segment(url: &str) -> String {
    let t = url.trim_end_matches('/');
    let seg = t.rsplit('/').next().unwrap_or(t);
    seg.strip_suffix(".git").unwrap_or(seg).to_string()
}

/// A cron schedule must have five fields, each made of cron characters.
fn valid_cron(s: &str) -> bool {
    let fields: Vec<&str> = s.split_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || "*/,-?".contains(c))
        })
}

pub async fn run(client: &Client, a: RegArgs) -> Result<(), CliError> {
    let has_basic = !a.username.is_empty() || !a.password.is_empty();
    if has_basic && a.workload_identity {
        return Err(CliError::Usage(
            "both username/password and workload identity specified".into(),
        ));
    }
    if !a.sync_schedule.is_empty() && !valid_cron(&a.sync_schedule) {
        return Err(CliError::Usage(format!(
            "invalid sync-schedule cron expression {:?}: expected 5 fields",
            a.sync_schedule
        )));
    }
    let ns = client.namespace.clone();
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| last_segment(&a.repository));
    // `content` is left to the server's default, as Porch's porchctl does.
    let mut spec = json!({
        "description": a.description,
        "type": "git",
        "deployment": a.deployment,
    });
    if let Some(registry) = a.repository.strip_prefix("oci://") {
        spec["type"] = json!("oci");
        spec["oci"] = json!({"registry": registry});
    } else {
        spec["git"] = json!({
            "repo": a.repository,
            "branch": a.branch,
            "createBranch": a.create_branch,
            "directory": a.directory,
        });
    }
    if !a.sync_schedule.is_empty() {
        spec["sync"] = json!({"schedule": a.sync_schedule});
    }
    if let Some(secret) = auth_secret(&a, &name, &ns) {
        let secret_name = secret["metadata"]["name"].clone();
        client
            .post(&kube::path("v1", Some(&ns), "secrets", None), &secret)
            .await?;
        let key = if spec["type"] == "oci" { "oci" } else { "git" };
        spec[key]["secretRef"] = json!({"name": secret_name});
    }
    let mut metadata = json!({"name": name, "namespace": ns});
    if a.v1alpha2 {
        metadata["annotations"] = json!({"porch.kpt.dev/v1alpha2-migration": "true"});
    }
    let repo = json!({
        "apiVersion": kube::CONFIG,
        "kind": "Repository",
        "metadata": metadata,
        "spec": spec,
    });
    client
        .post(
            &kube::path(kube::CONFIG, Some(&ns), kube::REPOSITORIES, None),
            &repo,
        )
        .await?;
    Ok(())
}

/// The `<name>-auth` Secret Porch's porchctl creates for the credentials, if any.
fn auth_secret(a: &RegArgs, name: &str, ns: &str) -> Option<Value> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let secret_name = format!("{name}-auth");
    if !a.username.is_empty() || !a.password.is_empty() {
        return Some(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret_name, "namespace": ns},
            "type": "kubernetes.io/basic-auth",
            "data": {"username": b64(&a.username), "password": b64(&a.password)},
        }));
    }
    if a.workload_identity {
        return Some(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret_name, "namespace": ns},
            "type": "kpt.dev/workload-identity-auth",
            "data": {},
        }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_schedules() {
        assert_eq!(
            last_segment("http://h:3000/nephio/test-blueprints.git"),
            "test-blueprints"
        );
        assert_eq!(last_segment("https://h/x/porch-test/"), "porch-test");
        assert!(valid_cron("*/10 * * * *"));
        assert!(!valid_cron("every minute"));
    }
}
