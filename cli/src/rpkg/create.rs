//! `rpkg init`, `clone` and `copy`: create a Draft with one creation task.

use clap::Args;
use serde_json::{Value, json};

use super::{create_pr, get_pr, list_prs};
use crate::error::CliError;
use crate::kube::Client;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Package name (a path within the repository).
    pub package: String,
    /// Repository to create the package in.
    #[arg(long, default_value = "")]
    pub repository: String,
    /// Workspace name of the new revision.
    #[arg(long, default_value = "")]
    pub workspace: String,
    /// Short description of the package.
    #[arg(long, default_value = "sample description")]
    pub description: String,
    /// Keywords (comma separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub keywords: Vec<String>,
    /// Site of the package.
    #[arg(long, default_value = "")]
    pub site: String,
}

pub async fn init(client: &Client, a: InitArgs) -> Result<(), CliError> {
    if a.repository.is_empty() {
        return Err(CliError::Usage(
            "--repository is required to specify target repository".into(),
        ));
    }
    if a.workspace.is_empty() {
        return Err(CliError::Usage(
            "--workspace is required to specify workspace name".into(),
        ));
    }
    let mut task = json!({"description": a.description});
    if !a.keywords.is_empty() {
        task["keywords"] = json!(a.keywords);
    }
    if !a.site.is_empty() {
        task["site"] = json!(a.site);
    }
    let spec = json!({
        "packageName": a.package,
        "workspaceName": a.workspace,
        "repository": a.repository,
        "tasks": [{"type": "init", "init": task}],
    });
    let name = create_pr(client, spec).await?;
    crate::output::emit(&format!("{name} created\n"));
    Ok(())
}

#[derive(Debug, Args)]
pub struct CloneArgs {
    /// Upstream: a package revision name, a git URL (`repo.git/dir@ref` allowed) or `oci://image`.
    pub source: String,
    /// Name of the new package.
    pub target: String,
    /// Downstream repository.
    #[arg(long, default_value = "")]
    pub repository: String,
    /// Workspace name of the new revision.
    #[arg(long, default_value = "v1")]
    pub workspace: String,
    /// Directory of the package in the upstream git repository.
    #[arg(long, default_value = "")]
    pub directory: String,
    /// Ref (branch, tag, commit) in the upstream git repository.
    #[arg(long = "ref", default_value = "")]
    pub git_ref: String,
    /// Secret with credentials for the upstream git repository.
    #[arg(long = "secret-ref", default_value = "")]
    pub secret_ref: String,
    /// Update strategy recorded on the clone task: resource-merge, fast-forward, force-delete-replace, copy-merge.
    #[arg(long, default_value = "resource-merge")]
    pub strategy: String,
}

/// `<repo>.git[/dir][@ref]` → (`<repo>.git`, dir, ref); None without a `.git` segment.
fn split_git_url(src: &str) -> Option<(String, String, String)> {
    let mut from = 0;
    while let Some(i) = src[from..].find(".git") {
        let end = from + i + 4;
        let next = src[end..].chars().next();
        if matches!(next, None | Some('/') | Some('@')) {
            let rest = &src[end..];
            let (path, r) = rest.split_once('@').unwrap_or((rest, ""));
            return Some((
                src[..end].to_string(),
                path.trim_matches('/').to_string(),
                r.to_string(),
            ));
        }
        from = end;
    }
    None
}

/// The `upstreamRef` of a clone task, built as Porch's porchctl builds it.
fn upstream(a: &CloneArgs) -> Result<Value, CliError> {
    if a.source.starts_with("oci://") {
        return Ok(json!({"type": "oci", "oci": {"image": a.source}}));
    }
    if !a.source.contains('/') {
        return Ok(json!({"upstreamRef": {"name": a.source}}));
    }
    let mut repo = a.source.clone();
    let mut dir = a.directory.clone();
    let mut git_ref = a.git_ref.clone();
    if let Some((r, d, rf)) = split_git_url(&a.source) {
        if !dir.is_empty() && !d.is_empty() && dir != d {
            return Err(CliError::Usage(format!(
                "directory {dir} specified by --directory contradicts directory {d} specified by SOURCE_PACKAGE"
            )));
        }
        if !git_ref.is_empty() && !rf.is_empty() && git_ref != rf {
            return Err(CliError::Usage(format!(
                "ref {git_ref} specified by --ref contradicts ref {rf} specified by SOURCE_PACKAGE"
            )));
        }
        if dir.is_empty() {
            dir = d;
        }
        if git_ref.is_empty() {
            git_ref = rf;
        }
        repo = r;
    }
    if git_ref.is_empty() {
        git_ref = "main".into();
    }
    if dir.is_empty() {
        dir = "/".into();
    }
    let mut git = json!({"repo": repo, "ref": git_ref, "directory": dir});
    if !a.secret_ref.is_empty() {
        git["secretRef"] = json!({"name": a.secret_ref});
    }
    Ok(json!({"type": "git", "git": git}))
}

/// Strategies a clone or upgrade task may name.
pub const STRATEGIES: &[&str] = &[
    "resource-merge",
    "fast-forward",
    "force-delete-replace",
    "copy-merge",
];

pub async fn clone(client: &Client, a: CloneArgs) -> Result<(), CliError> {
    if !STRATEGIES.contains(&a.strategy.as_str()) {
        return Err(CliError::Usage(format!(
            "invalid strategy: {:?}",
            a.strategy
        )));
    }
    if a.repository.is_empty() {
        return Err(CliError::Usage(
            "--repository is required to specify downstream repository".into(),
        ));
    }
    if a.workspace.is_empty() {
        return Err(CliError::Usage(
            "--workspace is required to specify downstream workspace name".into(),
        ));
    }
    // Porch's porchctl refuses a second clone itself (copy makes later revisions).
    let exists = list_prs(client).await?.iter().any(|p| {
        p["spec"]["repository"] == a.repository.as_str()
            && p["spec"]["packageName"] == a.target.as_str()
    });
    if exists {
        return Err(CliError::Msg(format!(
            "`clone` cannot create a new revision for package {:?} that already exists in repo {:?}; make subsequent revisions using `copy`",
            a.target, a.repository
        )));
    }
    let task = json!({"upstreamRef": upstream(&a)?, "strategy": a.strategy});
    let spec = json!({
        "packageName": a.target,
        "workspaceName": a.workspace,
        "repository": a.repository,
        "tasks": [{"type": "clone", "clone": task}],
    });
    let name = create_pr(client, spec).await?;
    crate::output::emit(&format!("{name} created\n"));
    Ok(())
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The published package revision to copy.
    pub source: String,
    /// Workspace name of the new revision.
    #[arg(long, default_value = "")]
    pub workspace: String,
}

pub async fn copy(client: &Client, a: CopyArgs) -> Result<(), CliError> {
    if a.workspace.is_empty() {
        return Err(CliError::Usage(
            "--workspace is required to specify workspace name".into(),
        ));
    }
    let src = get_pr(client, &a.source).await?;
    let mut spec = json!({
        "packageName": src["spec"]["packageName"],
        "workspaceName": a.workspace,
        "repository": src["spec"]["repository"],
        "tasks": [{"type": "edit", "edit": {"sourceRef": {"name": a.source}}}],
    });
    if src["spec"]["readinessGates"]
        .as_array()
        .is_some_and(|g| !g.is_empty())
    {
        spec["readinessGates"] = src["spec"]["readinessGates"].clone();
    }
    let name = create_pr(client, spec).await?;
    crate::output::emit(&format!("{name} created\n"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sources() {
        assert_eq!(
            split_git_url("http://h/nephio/test-blueprints.git/unready@unready/v1"),
            Some((
                "http://h/nephio/test-blueprints.git".into(),
                "unready".into(),
                "unready/v1".into()
            ))
        );
        assert_eq!(
            split_git_url("http://h/x.github/y.git"),
            Some((
                "http://h/x.github/y.git".into(),
                String::new(),
                String::new()
            ))
        );
        assert_eq!(split_git_url("http://h/nephio/porch-test"), None);
    }
}
