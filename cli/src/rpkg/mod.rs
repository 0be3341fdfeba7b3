//! `porchctl rpkg …`: package revisions (list, create, read/write content,
//! lifecycle, upgrade), with Porch's flags, aliases and messages.

mod create;
mod get;
mod lifecycle;
mod resources;
mod upgrade;

use clap::Subcommand;
use serde_json::Value;

use crate::Global;
use crate::error::CliError;
use crate::kube::{self, Client, KubeError};

/// `rpkg` subcommands.
#[derive(Debug, Subcommand)]
pub enum RpkgCommand {
    /// List package revisions.
    #[command(visible_alias = "list")]
    Get(get::GetArgs),
    /// Initialize a new package revision in a repository.
    Init(create::InitArgs),
    /// Create a package revision by cloning an upstream package.
    Clone(create::CloneArgs),
    /// Create a new revision of a package from a published one.
    #[command(visible_alias = "edit")]
    Copy(create::CopyArgs),
    /// Read the contents of a package revision (to a directory or stdout).
    #[command(visible_aliases = ["source", "read"])]
    Pull(resources::PullArgs),
    /// Write the contents of a package revision (from a directory or stdin).
    #[command(visible_aliases = ["sink", "write"])]
    Push(resources::PushArgs),
    /// Propose draft package revisions for approval.
    Propose(lifecycle::NamesArgs),
    /// Approve proposed package revisions (publish them).
    Approve(lifecycle::NamesArgs),
    /// Reject a proposal (for approval or for deletion).
    Reject(lifecycle::NamesArgs),
    /// Propose published package revisions for deletion.
    #[command(name = "propose-delete", visible_alias = "propose-del")]
    ProposeDelete(lifecycle::NamesArgs),
    /// Delete package revisions.
    #[command(name = "del", visible_alias = "delete")]
    Del(lifecycle::NamesArgs),
    /// Upgrade a downstream package revision to a newer upstream, or discover updates.
    Upgrade(upgrade::UpgradeArgs),
}

pub async fn run(cmd: RpkgCommand, global: &Global) -> Result<(), CliError> {
    let client = global.client()?;
    match cmd {
        RpkgCommand::Get(a) => get::run(&client, a).await,
        RpkgCommand::Init(a) => create::init(&client, a).await,
        RpkgCommand::Clone(a) => create::clone(&client, a).await,
        RpkgCommand::Copy(a) => create::copy(&client, a).await,
        RpkgCommand::Pull(a) => resources::pull(&client, a).await,
        RpkgCommand::Push(a) => resources::push(&client, a).await,
        RpkgCommand::Propose(a) => lifecycle::propose(&client, a).await,
        RpkgCommand::Approve(a) => lifecycle::approve(&client, a).await,
        RpkgCommand::Reject(a) => lifecycle::reject(&client, a).await,
        RpkgCommand::ProposeDelete(a) => lifecycle::propose_delete(&client, a).await,
        RpkgCommand::Del(a) => lifecycle::delete(&client, a).await,
        RpkgCommand::Upgrade(a) => upgrade::run(&client, a).await,
    }
}

/// Path of a PackageRevision (or the collection when `name` is None).
pub fn pr_path(client: &Client, name: Option<&str>) -> String {
    kube::path(
        kube::PORCH,
        Some(&client.namespace),
        kube::PACKAGE_REVISIONS,
        name,
    )
}

/// GET one PackageRevision.
pub async fn get_pr(client: &Client, name: &str) -> Result<Value, KubeError> {
    client.get(&pr_path(client, Some(name))).await
}

/// Every PackageRevision of the client's namespace.
pub async fn list_prs(client: &Client) -> Result<Vec<Value>, KubeError> {
    let v = client.get(&pr_path(client, None)).await?;
    Ok(v["items"].as_array().cloned().unwrap_or_default())
}

/// POST a new PackageRevision with `spec`; returns the created object's name.
pub async fn create_pr(client: &Client, spec: Value) -> Result<String, KubeError> {
    let body = serde_json::json!({
        "apiVersion": kube::PORCH,
        "kind": "PackageRevision",
        "metadata": {"namespace": client.namespace},
        "spec": spec,
    });
    let created = client.post(&pr_path(client, None), &body).await?;
    Ok(created["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// Porch's `PackageRevisionIsReady`: every readiness gate has a condition with status "True".
pub fn is_ready(pr: &Value) -> bool {
    let empty = Vec::new();
    let conds = pr["status"]["conditions"].as_array().unwrap_or(&empty);
    pr["spec"]["readinessGates"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter_map(|g| g["conditionType"].as_str())
        .all(|t| {
            conds
                .iter()
                .any(|c| c["type"] == t && c["status"] == "True")
        })
}

/// The lifecycle of a PR (empty means Draft).
pub fn lifecycle(pr: &Value) -> &str {
    match pr["spec"]["lifecycle"].as_str() {
        Some("") | None => "Draft",
        Some(l) => l,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readiness() {
        let gated = json!({"spec": {"readinessGates": [{"conditionType": "a"}]},
            "status": {"conditions": [{"type": "a", "status": "False"}]}});
        assert!(!is_ready(&gated));
        let ok = json!({"spec": {"readinessGates": [{"conditionType": "a"}]},
            "status": {"conditions": [{"type": "a", "status": "True"}]}});
        assert!(is_ready(&ok));
        assert!(is_ready(&json!({"spec": {}})));
    }
}
