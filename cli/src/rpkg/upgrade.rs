//! `rpkg upgrade`: create an `upgrade` revision of a downstream package, or
//! (`--discover`) list which downstream packages have newer upstream
//! revisions. Discovery is computed client-side from `status.upstreamLock`
//! and the registered repositories, as Porch's porchctl does.

use clap::Args;
use serde_json::{Value, json};

use super::create::STRATEGIES;
use super::{create_pr, lifecycle, list_prs};
use crate::error::CliError;
use crate::kube::{self, Client};
use crate::output::table;

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The downstream package revision to upgrade (or, with --discover, revisions to report on).
    pub names: Vec<String>,
    /// Upstream revision to upgrade to (0: the latest).
    #[arg(long, default_value_t = 0)]
    pub revision: i64,
    /// Workspace name of the new downstream revision.
    #[arg(long, default_value = "")]
    pub workspace: String,
    /// Merge strategy: resource-merge, fast-forward, force-delete-replace, copy-merge.
    #[arg(long, default_value = "resource-merge")]
    pub strategy: String,
    /// List available updates instead: `upstream` or `downstream`.
    #[arg(long, default_value = "")]
    pub discover: String,
}

pub async fn run(client: &Client, a: UpgradeArgs) -> Result<(), CliError> {
    if !STRATEGIES.contains(&a.strategy.as_str()) {
        return Err(CliError::Usage(format!(
            "invalid strategy {:?}: must be one of {}",
            a.strategy,
            STRATEGIES.join(", ")
        )));
    }
    match a.discover.as_str() {
        "" => {}
        "upstream" | "downstream" => return discover(client, &a).await,
        _ => {
            return Err(CliError::Usage(
                "argument for 'discover' must be one of 'upstream' or 'downstream'".into(),
            ));
        }
    }
    let name = match a.names.as_slice() {
        [] => {
            return Err(CliError::Usage(
                "SOURCE_PACKAGE_REVISION is a required positional argument".into(),
            ));
        }
        [n] => n.clone(),
        _ => {
            return Err(CliError::Usage(
                "too many arguments; SOURCE_PACKAGE_REVISION is the only accepted positional arguments".into(),
            ));
        }
    };
    if a.revision < 0 {
        return Err(CliError::Usage(
            "revision must be positive (and not main)".into(),
        ));
    }
    if a.workspace.is_empty() {
        return Err(CliError::Usage("workspace is required".into()));
    }
    let prs = list_prs(client).await?;
    let find = |n: &str| prs.iter().find(|p| p["metadata"]["name"] == n);
    let pr = find(&name)
        .ok_or_else(|| CliError::Msg(format!("could not find package revision {name}")))?;
    if !is_published(pr) {
        return Err(CliError::Msg(format!(
            "to upgrade a package, it must be in a published state, not {:?}",
            lifecycle(pr)
        )));
    }
    let old_name = upstream_name(pr, &prs).ok_or_else(|| {
        CliError::Msg(format!(
            "upstream source not found for package revision {:?}: no clone or upgrade type package revision was found in the history of the package",
            pr["spec"]["packageName"].as_str().unwrap_or_default()
        ))
    })?;
    let old = find(&old_name).ok_or_else(|| {
        CliError::Msg(format!(
            "upstream package revision {old_name} no longer exists"
        ))
    })?;
    if !is_published(old) {
        return Err(CliError::Msg(format!(
            "old upstream package revision {old_name} is not published"
        )));
    }
    let new = find_upstream_revision(&prs, old, a.revision).ok_or_else(|| {
        let pkg = pr["spec"]["packageName"].as_str().unwrap_or_default();
        CliError::Msg(if a.revision == 0 {
            format!("failed to find latest published revision for package {pkg} (--revision was 0)")
        } else {
            format!("revision {} does not exist for package {pkg}", a.revision)
        })
    })?;
    let spec = json!({
        "packageName": pr["spec"]["packageName"],
        "repository": pr["spec"]["repository"],
        "workspaceName": a.workspace,
        "tasks": [{"type": "upgrade", "upgrade": {
            "oldUpstreamRef": {"name": old_name},
            "newUpstreamRef": {"name": new},
            "localPackageRevisionRef": {"name": name},
            "strategy": a.strategy,
        }}],
    });
    let created = create_pr(client, spec).await?;
    crate::output::emit(&format!("{name} upgraded to {created}\n"));
    Ok(())
}

/// The upstream PR named by the creation task: a clone from a registered PR, a
/// previous upgrade, or (for `copy`) whatever the copied revision came from.
fn upstream_name(pr: &Value, prs: &[Value]) -> Option<String> {
    let mut cur = pr;
    // Bounded walk: a copy chain cannot be longer than the list.
    for _ in 0..=prs.len() {
        let task = &cur["spec"]["tasks"][0];
        match task["type"].as_str()? {
            "clone" => {
                return task["clone"]["upstreamRef"]["upstreamRef"]["name"]
                    .as_str()
                    .map(str::to_string);
            }
            "upgrade" => {
                return task["upgrade"]["newUpstreamRef"]["name"]
                    .as_str()
                    .map(str::to_string);
            }
            "edit" => {
                let src = task["edit"]["sourceRef"]["name"].as_str()?;
                cur = prs.iter().find(|p| p["metadata"]["name"] == src)?;
            }
            _ => return None,
        }
    }
    None
}

fn is_published(pr: &Value) -> bool {
    matches!(lifecycle(pr), "Published" | "DeletionProposed")
}

/// The published revision `revision` (0: the latest) of the package `old` belongs to.
fn find_upstream_revision(prs: &[Value], old: &Value, revision: i64) -> Option<String> {
    let same = |p: &&Value| {
        p["spec"]["packageName"] == old["spec"]["packageName"]
            && p["spec"]["repository"] == old["spec"]["repository"]
            && is_published(p)
            && p["spec"]["revision"].as_i64().unwrap_or(0) > 0
    };
    let candidates = prs.iter().filter(same);
    let pick = if revision > 0 {
        candidates
            .into_iter()
            .find(|p| p["spec"]["revision"].as_i64() == Some(revision))
    } else {
        candidates.max_by_key(|p| p["spec"]["revision"].as_i64().unwrap_or(0))
    };
    pick.and_then(|p| p["metadata"]["name"].as_str().map(str::to_string))
}

/// Same git repository regardless of a trailing `/` or `.git`.
fn same_repo(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        let t = s.trim_end_matches('/');
        t.strip_suffix(".git").unwrap_or(t).to_string()
    };
    norm(a) == norm(b)
}

/// What `status.upstreamLock` says about a PR's upstream.
struct Updates<'a> {
    /// Newer published upstream revisions, ascending.
    revisions: Vec<&'a Value>,
    /// Name of the registered repository holding the upstream ("" when none).
    upstream: String,
    /// Workspace of a draft upstream (`drafts/<pkg>/<ws>` refs), else "".
    draft: String,
}

/// Porch's `availableUpdates`: the upstream package is the lock's ref without
/// its last segment (and a `drafts/` prefix); the current revision is that
/// segment (`vN`, 0 for drafts). Repositories match on the URL (`.git` added
/// when missing); the package path is matched with the repository directory
/// in front, since the ref carries it and `spec.packageName` does not.
fn available_updates<'a>(pr: &Value, prs: &'a [Value], repos: &[Value]) -> Updates<'a> {
    let mut out = Updates {
        revisions: Vec::new(),
        upstream: String::new(),
        draft: String::new(),
    };
    let lock = &pr["status"]["upstreamLock"]["git"];
    let (Some(url), Some(git_ref)) = (lock["repo"].as_str(), lock["ref"].as_str()) else {
        return out;
    };
    // A lock on a branch (`main`) names no revision: nothing to compare.
    let Some((path, last)) = git_ref.rsplit_once('/') else {
        return out;
    };
    let current = if git_ref.starts_with("drafts") {
        out.draft = last.to_string();
        0
    } else {
        last.strip_prefix('v')
            .and_then(|r| r.parse::<i64>().ok())
            .unwrap_or(-1)
    };
    let path = path.trim_start_matches("drafts").trim_start_matches('/');
    for repo in repos {
        if repo["spec"]["type"] != "git" {
            continue;
        }
        let Some(repo_url) = repo["spec"]["git"]["repo"].as_str() else {
            continue;
        };
        if !same_repo(repo_url, url) {
            continue;
        }
        let repo_name = repo["metadata"]["name"].as_str().unwrap_or_default();
        let dir = repo["spec"]["git"]["directory"]
            .as_str()
            .unwrap_or_default()
            .trim_matches('/');
        let package = if dir.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(dir).and_then(|p| p.strip_prefix('/'))
        };
        let Some(package) = package else { continue };
        out.upstream = repo_name.to_string();
        out.revisions = prs
            .iter()
            .filter(|p| {
                p["spec"]["repository"] == repo_name
                    && p["spec"]["packageName"] == package
                    && is_published(p)
                    && p["spec"]["revision"].as_i64().unwrap_or(0) > current
            })
            .collect();
    }
    out.revisions
        .sort_by_key(|p| p["spec"]["revision"].as_i64().unwrap_or(0));
    out
}

async fn discover(client: &Client, a: &UpgradeArgs) -> Result<(), CliError> {
    let prs = list_prs(client).await?;
    let repos = client
        .get(&kube::path(
            kube::CONFIG,
            Some(&client.namespace),
            kube::REPOSITORIES,
            None,
        ))
        .await?;
    let repos = repos["items"].as_array().cloned().unwrap_or_default();
    let name_of = |p: &Value| {
        p["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let rev_text = |p: &Value| format!("v{}", p["spec"]["revision"].as_i64().unwrap_or(0));
    let mut rows: Vec<Vec<String>> = Vec::new();
    if a.discover == "upstream" {
        let mut selected: Vec<&Value> = Vec::new();
        let mut missing = Vec::new();
        if a.names.is_empty() {
            selected.extend(prs.iter());
        } else {
            for n in &a.names {
                match prs.iter().find(|p| name_of(p) == *n) {
                    Some(p) => selected.push(p),
                    None => missing.push(format!("could not find package revision {n}")),
                }
            }
        }
        if !missing.is_empty() {
            return Err(CliError::Many(missing));
        }
        rows.push(vec![
            "PACKAGE REVISION".into(),
            "UPSTREAM REPOSITORY".into(),
            "UPSTREAM UPDATES".into(),
        ]);
        for pr in selected {
            let u = available_updates(pr, &prs, &repos);
            let text = if u.revisions.is_empty() {
                "No update available".to_string()
            } else {
                u.revisions
                    .iter()
                    .map(|r| rev_text(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            rows.push(vec![name_of(pr), u.upstream, text]);
        }
    } else {
        let mut found = Vec::new();
        for pr in &prs {
            let u = available_updates(pr, &prs, &repos);
            let cur = pr["status"]["upstreamLock"]["git"]["ref"]
                .as_str()
                .and_then(|r| r.rfind('v').map(|i| r[i..].to_string()));
            for up in &u.revisions {
                let up_name = name_of(up);
                if !a.names.is_empty() && !a.names.contains(&up_name) {
                    continue;
                }
                let change = if !u.draft.is_empty() {
                    format!("(draft {:?})->{}", u.draft, rev_text(up))
                } else if let Some(cur) = &cur {
                    format!("{cur}->{}", rev_text(up))
                } else {
                    continue;
                };
                found.push(vec![up_name, name_of(pr), change]);
            }
        }
        if found.is_empty() {
            crate::output::emit("All downstream packages are up to date.\n");
            return Ok(());
        }
        rows.push(vec![
            "PACKAGE REVISION".into(),
            "DOWNSTREAM PACKAGE".into(),
            "DOWNSTREAM UPDATE".into(),
        ]);
        rows.extend(found);
    }
    crate::output::emit(&table::align(&rows));
    Ok(())
}
