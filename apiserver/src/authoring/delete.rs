//! Deletion of a PackageRevision (porch-api.md §3.1, §4.2): Published ones
//! must be proposed for deletion first, upstreams of others stay; the ref
//! (branch, tag, or the placeholder's directory on the branch) goes from git.

use std::collections::BTreeMap;
use std::sync::Arc;

use porch_api::lifecycle::{self, Lifecycle};
use porch_engine::git::DeleteTarget;
use serde_json::Value;

use super::refresh::refresh;
use super::update::lifecycle_error;
use super::{RepoHandle, blocking, text};
use crate::error::{ApiError, Subject};
use crate::rest::Ctx;
use crate::state::AppState;
use crate::storage::cache::Cached;
use crate::sync::reconcile::Written;

fn subject(name: &str) -> Subject {
    Subject::new("porch.kpt.dev", "packagerevisions", name)
}

/// 403 worded as kube-apiserver words it: `<resource> "<name>" is forbidden: <reason>`.
fn forbidden(name: &str, reason: &str) -> ApiError {
    ApiError::Forbidden {
        message: format!("packagerevisions.porch.kpt.dev \"{name}\" is forbidden: {reason}"),
        subject: Some(subject(name)),
    }
}

/// The refusals Porch answers with 403 (checked before finalizers too).
pub fn check(state: &AppState, pr: &Value) -> Result<(), ApiError> {
    let name = text(pr, "/metadata/name");
    let lc = Lifecycle::parse_or_draft(text(pr, "/spec/lifecycle"))
        .map_err(|e| lifecycle_error(name, e))?;
    lifecycle::check_delete(lc).map_err(|reason| forbidden(name, &reason))?;
    let users = upstream_users(state, pr);
    if !users.is_empty() {
        return Err(forbidden(
            name,
            &format!(
                "cannot delete package revision, it is referenced as upstream by: {}",
                users.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Revisions of the namespace that name `pr` as their clone or upgrade upstream.
fn upstream_users(state: &AppState, pr: &Value) -> Vec<String> {
    let name = text(pr, "/metadata/name");
    let ns = text(pr, "/metadata/namespace");
    let Some(prs) = state
        .registry
        .lookup("porch.kpt.dev", "v1alpha1", "packagerevisions")
    else {
        return Vec::new();
    };
    let (items, _) = state
        .objects
        .cache()
        .range(&prs.def().namespace_prefix(Some(ns)), None);
    items
        .iter()
        .filter(|c| c.value.pointer("/spec/revision").and_then(Value::as_i64) != Some(-1))
        .filter(|c| {
            c.value
                .pointer("/spec/tasks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|t| {
                    t.pointer("/clone/upstreamRef/upstreamRef/name")
                        .and_then(Value::as_str)
                        == Some(name)
                        || t.pointer("/upgrade/newUpstreamRef/name")
                            .and_then(Value::as_str)
                            == Some(name)
                })
        })
        .map(|c| text(&c.value, "/metadata/name").to_string())
        .collect()
}

/// DELETE (no finalizers left).
pub async fn delete(ctx: &Ctx, old: &Arc<Cached>) -> Result<Arc<Cached>, ApiError> {
    let ns = ctx.info.namespace.clone().unwrap_or_default();
    let repo = RepoHandle::open(&ctx.state, &ns, text(&old.value, "/spec/repository"))?;
    remove(ctx, &repo, old).await
}

/// Remove the revision from git and the Store; returns its last state.
pub async fn remove(
    ctx: &Ctx,
    repo: &RepoHandle,
    old: &Arc<Cached>,
) -> Result<Arc<Cached>, ApiError> {
    let pr = &old.value;
    let name = text(pr, "/metadata/name").to_string();
    let pkg = text(pr, "/spec/packageName").to_string();
    let git_ref = text(pr, "/status/selfLock/git/ref").to_string();
    let commit = text(pr, "/status/selfLock/git/commit").to_string();
    let revision = pr
        .pointer("/spec/revision")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    repo.ensure_commit(&commit).await?;
    let target = match text(pr, "/spec/lifecycle") {
        "Draft" | "Proposed" | "" => DeleteTarget::Branch { git_ref, commit },
        _ if revision > 0 => DeleteTarget::Tag {
            package_path: pkg.clone(),
            revision: u32::try_from(revision).unwrap_or(0),
        },
        _ if git_ref == text(pr, "/spec/workspaceName") => DeleteTarget::Placeholder {
            package_path: pkg.clone(),
        },
        _ => DeleteTarget::Branch {
            git_ref: format!("refs/tags/{git_ref}"),
            commit,
        },
    };
    let git = repo.git.clone();
    blocking("deleting", move || git.delete_revision(&target))
        .await?
        .map_err(|e| match e {
            porch_engine::git::GitError::Conflict(_) => ApiError::stale(subject(&name)),
            e => ApiError::from_git(e, subject(&name)),
        })?;
    let placeholder = super::refresh::placeholder_name(repo, &pkg);
    let written = refresh(
        &ctx.state,
        repo,
        &pkg,
        &[&name, &placeholder],
        &BTreeMap::new(),
    )
    .await?;
    match written.get(&name) {
        Some(Written::Deleted(c)) => Ok(Arc::clone(c)),
        // A sync removed it first: answer with the last state we knew.
        None => Ok(Arc::clone(old)),
        Some(_) => Err(ApiError::Internal(format!(
            "{name} is still in the repository after deletion"
        ))),
    }
}
