//! Update of a PackageRevision through the main resource or `approval`
//! (porch-api.md §3.1–§3.2, §6.3): lifecycle moves in git, Kptfile-mirrored
//! spec of drafts re-rendered, metadata in the Store.

use std::collections::BTreeMap;
use std::sync::Arc;

use porch_api::lifecycle::{self, Lifecycle, LifecycleError};
use porch_engine::authoring::{self, KptfileMeta};
use porch_engine::git::{DraftRef, PublishedRef, Trailer};
use serde_json::{Value, json};

use super::create::RENDER_NOT_PUSHED;
use super::refresh::refresh;
use super::{RepoHandle, approval, author, blocking, delete, text};
use crate::error::{ApiError, FieldError, Subject};
use crate::rest::Ctx;
use crate::storage::cache::Cached;

fn subject(name: &str) -> Subject {
    Subject::new("porch.kpt.dev", "packagerevisions", name)
}

pub(super) fn lifecycle_error(name: &str, e: LifecycleError) -> ApiError {
    ApiError::invalid(
        "porch.kpt.dev",
        "PackageRevision",
        name,
        vec![FieldError::invalid(e.field, "", &e.message)],
    )
}

/// Spec fields that name the revision. (`tasks` and `revision` are the
/// server's: changes to them are ignored, as Porch ignores them.)
const IMMUTABLE: &[&str] = &["packageName", "repository", "workspaceName"];

fn spec_field<'a>(v: &'a Value, f: &str) -> Option<&'a Value> {
    v.get("spec")
        .and_then(|s| s.get(f))
        .filter(|x| !x.is_null())
}

/// The Kptfile-mirrored part a user may change on drafts.
fn content_of(v: &Value) -> Value {
    json!({
        "packageMetadata": spec_field(v, "packageMetadata").cloned().unwrap_or(json!({})),
        "readinessGates": spec_field(v, "readinessGates").cloned().unwrap_or(json!([])),
        "conditions": v.pointer("/status/conditions").cloned().unwrap_or(json!([])),
    })
}

fn terminating_done(v: &Value) -> bool {
    v.pointer("/metadata/deletionTimestamp").is_some()
        && v.pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty())
}

/// The published ref a deletion marker is about.
pub(super) fn published_ref(pr: &Value) -> PublishedRef {
    match pr.pointer("/spec/revision").and_then(Value::as_i64) {
        Some(n) if n > 0 => PublishedRef::Tag(u32::try_from(n).unwrap_or(0)),
        _ => PublishedRef::Placeholder,
    }
}

/// PUT or PATCH of a PackageRevision or its approval.
pub async fn update(ctx: &Ctx, old: &Arc<Cached>, new: Value) -> Result<Arc<Cached>, ApiError> {
    let name = text(&old.value, "/metadata/name").to_string();
    let ns = ctx.info.namespace.clone().unwrap_or_default();
    let repo = RepoHandle::open(&ctx.state, &ns, text(&old.value, "/spec/repository"))?;
    repo.ensure_commit(text(&old.value, "/status/selfLock/git/commit"))
        .await?;
    if terminating_done(&new) {
        return delete::remove(ctx, &repo, old).await;
    }
    let old_lc = Lifecycle::parse_or_draft(text(&old.value, "/spec/lifecycle"))
        .map_err(|e| lifecycle_error(&name, e))?;
    let new_value = text(&new, "/spec/lifecycle");
    let approval = ctx.info.subresource.as_deref() == Some("approval");
    let content_changed = content_of(&new) != content_of(&old.value);
    let target = if approval {
        lifecycle::check_approval(old_lc, new_value).map_err(|e| lifecycle_error(&name, e))?
    } else {
        for f in IMMUTABLE {
            if spec_field(&new, f) != spec_field(&old.value, f) {
                return Err(ApiError::invalid(
                    "porch.kpt.dev",
                    "PackageRevision",
                    &name,
                    vec![FieldError::invalid(
                        format!("spec.{f}"),
                        "",
                        "field is immutable",
                    )],
                ));
            }
        }
        let target = lifecycle::check_update(old_lc, new_value, content_changed)
            .map_err(|e| lifecycle_error(&name, e))?;
        if old_lc == Lifecycle::Proposed && content_changed {
            return Err(ApiError::invalid(
                "porch.kpt.dev",
                "PackageRevision",
                &name,
                vec![FieldError::invalid(
                    "spec",
                    "",
                    "package must be Draft to change its content; only spec.lifecycle may change while Proposed",
                )],
            ));
        }
        target
    };
    let pkg = text(&old.value, "/spec/packageName").to_string();
    let mut commit = text(&old.value, "/status/selfLock/git/commit").to_string();
    let self_ref = text(&old.value, "/status/selfLock/git/ref").to_string();
    let mut wrote_git = false;
    if !approval && old_lc == Lifecycle::Draft && content_changed {
        commit = write_content(ctx, &repo, &old.value, &new, &self_ref, &commit).await?;
        wrote_git = true;
    }
    let git = repo.git.clone();
    let full = repo.git.full_path(&pkg);
    let ws = text(&old.value, "/spec/workspaceName").to_string();
    let moved: Option<Result<(), porch_engine::git::GitError>> = match (old_lc, target) {
        (a, b) if a == b => None,
        (Lifecycle::Draft, Lifecycle::Proposed) | (Lifecycle::Proposed, Lifecycle::Draft) => {
            let (from, to) = match target {
                Lifecycle::Proposed => (
                    format!("drafts/{full}/{ws}"),
                    format!("proposed/{full}/{ws}"),
                ),
                _ => (
                    format!("proposed/{full}/{ws}"),
                    format!("drafts/{full}/{ws}"),
                ),
            };
            let c = commit.clone();
            Some(blocking("moving the draft", move || git.move_draft(&from, &to, &c)).await?)
        }
        (Lifecycle::Proposed, Lifecycle::Published) => {
            approval::approve(ctx, &repo, &old.value, &name).await?;
            Some(Ok(()))
        }
        (Lifecycle::Published, Lifecycle::DeletionProposed) => {
            let (which, c, p) = (published_ref(&old.value), commit.clone(), pkg.clone());
            Some(
                blocking("proposing deletion", move || {
                    git.propose_delete(&p, which, &c)
                })
                .await?,
            )
        }
        (Lifecycle::DeletionProposed, Lifecycle::Published) => {
            let (which, p) = (published_ref(&old.value), pkg.clone());
            Some(
                blocking("cancelling the deletion proposal", move || {
                    git.cancel_delete(&p, which)
                })
                .await?,
            )
        }
        (a, b) => {
            return Err(lifecycle_error(
                &name,
                LifecycleError {
                    field: "spec.lifecycle",
                    message: format!("cannot change lifecycle from {a} to {b}"),
                },
            ));
        }
    };
    if let Some(r) = moved {
        r.map_err(|e| ApiError::from_git(e, subject(&name)))?;
        wrote_git = true;
    }
    if !wrote_git {
        return metadata_only(ctx, old, &new).await;
    }
    let overrides = BTreeMap::from([(
        name.clone(),
        new.get("metadata").cloned().unwrap_or(json!({})),
    )]);
    let placeholder = super::refresh::placeholder_name(&repo, &pkg);
    let written = refresh(&ctx.state, &repo, &pkg, &[&name, &placeholder], &overrides).await?;
    written
        .get(&name)
        .map(|w| Arc::clone(w.object()))
        .ok_or_else(|| ApiError::NotFound(subject(&name)))
}

/// Patch the draft's Kptfile with the mirrored spec, render, commit;
/// returns the new commit.
async fn write_content(
    ctx: &Ctx,
    repo: &RepoHandle,
    old: &Value,
    new: &Value,
    self_ref: &str,
    commit: &str,
) -> Result<String, ApiError> {
    let name = text(old, "/metadata/name").to_string();
    let mut files = crate::sync::package_files(&ctx.state, old).await?;
    let pm = spec_field(new, "packageMetadata");
    let strings = |v: Option<&Value>| -> BTreeMap<String, String> {
        v.and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let meta = KptfileMeta {
        labels: Some(strings(pm.and_then(|p| p.get("labels")))),
        annotations: Some(strings(pm.and_then(|p| p.get("annotations")))),
        readiness_gates: Some(
            spec_field(new, "readinessGates")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default(),
        ),
        conditions: new
            .pointer("/status/conditions")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default(),
    };
    let unprocessable = |m: String| ApiError::Unprocessable {
        subject: subject(&name),
        message: m,
    };
    authoring::apply_meta(&mut files, &meta).map_err(|e| unprocessable(e.to_string()))?;
    let renderer = ctx.state.renderer.clone();
    let report = blocking("rendering", move || renderer.render(&files)).await?;
    if let Some(err) = report.error {
        return Err(unprocessable(format!("{RENDER_NOT_PUSHED}{err}")));
    }
    let files = report.files.unwrap_or_default();
    let draft = DraftRef {
        git_ref: self_ref.to_string(),
        commit: commit.to_string(),
    };
    let trailer = Trailer {
        package: repo.git.full_path(text(old, "/spec/packageName")),
        workspace_name: text(old, "/spec/workspaceName").to_string(),
        revision: String::new(),
        task: None,
    };
    let git = repo.git.clone();
    let user = author(ctx);
    let written = blocking("updating the draft", move || {
        git.update_draft(
            &draft,
            &files,
            "Intermediate commit: patch",
            &trailer,
            user.as_deref(),
        )
    })
    .await?
    .map_err(|e| ApiError::from_git(e, subject(&name)))?;
    Ok(written.commit)
}

/// Only metadata changed: a compare-and-swap of the stored object.
async fn metadata_only(ctx: &Ctx, old: &Arc<Cached>, new: &Value) -> Result<Arc<Cached>, ApiError> {
    let name = text(&old.value, "/metadata/name").to_string();
    let mut value = old.value.clone();
    let latest = old
        .value
        .pointer("/metadata/labels")
        .and_then(|l| l.get(crate::resources::packagerevision::LATEST_LABEL))
        .cloned();
    let mut meta = new.get("metadata").cloned().unwrap_or(json!({}));
    if let Some(m) = meta.as_object_mut() {
        let mut labels = m
            .get("labels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        labels.remove(crate::resources::packagerevision::LATEST_LABEL);
        if let Some(l) = latest {
            labels.insert(crate::resources::packagerevision::LATEST_LABEL.into(), l);
        }
        if labels.is_empty() {
            m.remove("labels");
        } else {
            m.insert("labels".into(), Value::Object(labels));
        }
    }
    value["metadata"] = meta;
    ctx.state
        .objects
        .update(&old.key, &value, old.rv)
        .await
        .map_err(|e| match e {
            crate::storage::objects::WriteError::Stale => ApiError::stale(subject(&name)),
            crate::storage::objects::WriteError::Missing => ApiError::NotFound(subject(&name)),
            crate::storage::objects::WriteError::Exists => ApiError::AlreadyExists(subject(&name)),
            crate::storage::objects::WriteError::Api(e) => e,
        })
}
