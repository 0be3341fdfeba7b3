//! Update of PackageRevisionResources (porch-api.md §3.6, §6.5): drafts only;
//! comments healed from the old files, render, commit on the draft branch
//! — or nothing saved when the render fails, unless the revision asks for
//! `porch.kpt.dev/push-on-render-failure`.

use std::collections::BTreeMap;
use std::sync::Arc;

use porch_api::packagerevision::Task;
use porch_engine::git::{DraftRef, Trailer};
use serde_json::{Value, json};

use super::create::RENDER_NOT_PUSHED;
use super::refresh::refresh;
use super::{RepoHandle, author, blocking, text};
use crate::error::{ApiError, FieldError, Subject};
use crate::rest::Ctx;
use crate::storage::cache::Cached;

/// The PR annotation that saves a draft whose render failed.
pub const PUSH_ON_RENDER_FAILURE: &str = "porch.kpt.dev/push-on-render-failure";
const RENDER_PUSHED: &str = "error rendering package in kpt function pipeline. Package pushed to remote despite render failure. Details: ";

fn subject(name: &str) -> Subject {
    Subject::new("porch.kpt.dev", "packagerevisionresources", name)
}

fn files_of(v: &Value) -> BTreeMap<String, String> {
    v.pointer("/spec/resources")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// PUT or PATCH of a draft's resources.
pub async fn update(ctx: &Ctx, old: &Arc<Cached>, new: Value) -> Result<Arc<Cached>, ApiError> {
    let name = text(&old.value, "/metadata/name").to_string();
    let ns = ctx.info.namespace.clone().unwrap_or_default();
    let pr = ctx
        .state
        .objects
        .cache()
        .get(&ctx.source().def().key(Some(&ns), &name))
        .ok_or_else(|| ApiError::NotFound(subject(&name)))?;
    if !matches!(text(&pr.value, "/spec/lifecycle"), "Draft" | "") {
        return Err(ApiError::invalid(
            "porch.kpt.dev",
            "PackageRevisionResources",
            &name,
            vec![FieldError::invalid(
                "spec.resources",
                "",
                format!(
                    "resources can only be changed while the revision is Draft; it is {}",
                    text(&pr.value, "/spec/lifecycle")
                ),
            )],
        ));
    }
    let repo = RepoHandle::open(&ctx.state, &ns, text(&pr.value, "/spec/repository"))?;
    repo.ensure_commit(text(&pr.value, "/status/selfLock/git/commit"))
        .await?;
    let old_files = files_of(&old.value);
    let given = files_of(&new);
    let healed = porch_engine::authoring::heal_comments(&old_files, &given);
    let renderer = ctx.state.renderer.clone();
    let input = healed.clone();
    let report = blocking("rendering", move || renderer.render(&input)).await?;
    let push_anyway = pr
        .value
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(PUSH_ON_RENDER_FAILURE))
        .and_then(Value::as_str)
        == Some("true");
    let to_save = match (&report.error, report.files.clone()) {
        (None, files) => Some(files.unwrap_or(healed)),
        (Some(_), partial) if push_anyway => Some(partial.unwrap_or(healed)),
        (Some(_), _) => None,
    };
    let mut written_pr = Arc::clone(&pr);
    if let Some(files) = to_save {
        let draft = DraftRef {
            git_ref: text(&pr.value, "/status/selfLock/git/ref").to_string(),
            commit: text(&pr.value, "/status/selfLock/git/commit").to_string(),
        };
        let pkg = text(&pr.value, "/spec/packageName").to_string();
        let trailer = Trailer {
            package: repo.git.full_path(&pkg),
            workspace_name: text(&pr.value, "/spec/workspaceName").to_string(),
            revision: String::new(),
            task: Some(Task {
                type_: "render".into(),
                ..Default::default()
            }),
        };
        let git = repo.git.clone();
        let user = author(ctx);
        blocking("updating the draft", move || {
            git.update_draft(
                &draft,
                &files,
                "Rendering package",
                &trailer,
                user.as_deref(),
            )
        })
        .await?
        .map_err(|e| match e {
            porch_engine::git::GitError::Conflict(_) => ApiError::stale(subject(&name)),
            e => ApiError::from_git(e, subject(&name)),
        })?;
        let written = refresh(&ctx.state, &repo, &pkg, &[&name], &BTreeMap::new()).await?;
        if let Some(w) = written.get(&name) {
            written_pr = Arc::clone(w.object());
        }
    }
    if let Some(err) = &report.error {
        let prefix = if push_anyway {
            RENDER_PUSHED
        } else {
            RENDER_NOT_PUSHED
        };
        return Err(ApiError::Unprocessable {
            subject: subject(&name),
            message: format!("{prefix}{err}"),
        });
    }
    let mut value = ctx.strategy.derive(&ctx.state, &written_pr).await?;
    if let Some(status) = report.status {
        value["status"] = json!({"renderStatus": status});
    }
    Cached::unstored(&written_pr.key, value, written_pr.rv)
        .map_err(|e| ApiError::Internal(e.to_string()))
}
