//! Create a PackageRevision (porch-api.md §6.2): validate the task against
//! the package's other revisions, build the files, mirror the spec into the
//! Kptfile, render, push the draft branch, refresh the package.

use std::collections::BTreeMap;
use std::sync::Arc;

use porch_api::packagerevision::{
    Locator, PackageInitTaskSpec, PackageRevision, PackageRevisionSpec, Task,
};
use porch_engine::authoring::{self, KptfileMeta};
use porch_engine::git::{Credentials, RepoSpec, Trailer};
use serde_json::{Value, json};

use super::refresh::refresh;
use super::{RepoHandle, author, blocking, text};
use crate::error::{ApiError, Subject};
use crate::registry::field_index_key;
use crate::rest::Ctx;
use crate::storage::cache::Cached;

const PRS: &str = "packagerevisions";

/// Porch's render failure text for a write that saved nothing.
pub const RENDER_NOT_PUSHED: &str = "error rendering package in kpt function pipeline. Package NOT pushed to remote. Fix locally (until 'kpt fn render' succeeds) and retry. Details: ";

fn subject(name: &str) -> Subject {
    Subject::new("porch.kpt.dev", PRS, name)
}

fn unprocessable(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        subject: subject(name),
        message: message.into(),
    }
}

fn conflict(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        subject: subject(name),
        message: message.into(),
    }
}

/// The stored revisions of one package of one repository.
pub(super) fn package_revisions(ctx: &Ctx, repository: &str, package: &str) -> Vec<Arc<Cached>> {
    let ns = ctx.info.namespace.as_deref().unwrap_or_default();
    let def = ctx.strategy.def();
    ctx.state
        .objects
        .cache()
        .indexed(
            &def.prefix(),
            &field_index_key(ns, "spec.packageName", package),
        )
        .into_iter()
        .filter(|c| text(&c.value, "/spec/repository") == repository)
        .collect()
}

/// A PackageRevision the task names, in the request's namespace.
pub(super) fn source(ctx: &Ctx, name: &str, me: &str) -> Result<Arc<Cached>, ApiError> {
    ctx.state
        .objects
        .cache()
        .get(&ctx.key(name))
        .ok_or_else(|| unprocessable(me, format!("package revision {name:?} not found")))
}

fn is_placeholder(pr: &Value) -> bool {
    pr.pointer("/spec/revision").and_then(Value::as_i64) == Some(-1)
        && text(pr, "/status/selfLock/git/ref") == text(pr, "/spec/workspaceName")
}

fn is_published(pr: &Value) -> bool {
    matches!(
        text(pr, "/spec/lifecycle"),
        "Published" | "DeletionProposed"
    )
}

/// A source that must be a published, non-placeholder revision.
fn published_source(ctx: &Ctx, name: &str, me: &str, what: &str) -> Result<Arc<Cached>, ApiError> {
    let src = source(ctx, name, me)?;
    if is_placeholder(&src.value) {
        return Err(unprocessable(
            me,
            format!(
                "{what} may not be the placeholder package revision {}/{}",
                text(&src.value, "/spec/repository"),
                name
            ),
        ));
    }
    if !is_published(&src.value) {
        return Err(unprocessable(
            me,
            format!("{what} must be published, {name:?} is not"),
        ));
    }
    Ok(src)
}

fn self_lock(pr: &Value) -> Locator {
    pr.pointer("/status/selfLock")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The one creation task (an implicit `init` when there is none).
fn creation_task(spec: &PackageRevisionSpec) -> Task {
    spec.tasks.first().cloned().unwrap_or_else(|| Task {
        type_: "init".into(),
        init: Some(PackageInitTaskSpec {
            description: format!("{} description", spec.package_name),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// Porch's checks of a new revision against the package's existing ones.
fn check_package(
    ctx: &Ctx,
    name: &str,
    spec: &PackageRevisionSpec,
    task: &Task,
) -> Result<(), ApiError> {
    let existing = package_revisions(ctx, &spec.repository, &spec.package_name);
    if existing
        .iter()
        .any(|c| text(&c.value, "/spec/workspaceName") == spec.workspace_name)
    {
        return Err(ApiError::AlreadyExists(subject(name)));
    }
    match task.type_.as_str() {
        "init" if !existing.is_empty() => Err(conflict(
            name,
            format!(
                "package {:?} already exists in repository {:?}",
                spec.package_name, spec.repository
            ),
        )),
        "clone" if !existing.is_empty() => Err(conflict(
            name,
            format!(
                "`clone` cannot create a new revision for package {:?} that already exists in repo {:?}; make subsequent revisions using `copy`",
                spec.package_name, spec.repository
            ),
        )),
        "init" | "clone" => check_nesting(ctx, name, spec),
        _ => Ok(()),
    }
}

/// No package inside another one (422).
fn check_nesting(ctx: &Ctx, name: &str, spec: &PackageRevisionSpec) -> Result<(), ApiError> {
    let ns = ctx.info.namespace.as_deref().unwrap_or_default();
    let Some(packages) = ctx
        .state
        .registry
        .lookup("porch.kpt.dev", "v1alpha1", "packages")
    else {
        return Ok(());
    };
    let new = spec.package_name.as_str();
    for p in ctx.state.objects.cache().indexed(
        &packages.def().prefix(),
        &field_index_key(ns, "spec.repository", &spec.repository),
    ) {
        let existing = text(&p.value, "/spec/packageName");
        let nested = new
            .strip_prefix(existing)
            .is_some_and(|r| r.starts_with('/'))
            || existing
                .strip_prefix(new)
                .is_some_and(|r| r.starts_with('/'));
        if nested {
            return Err(ApiError::invalid(
                "porch.kpt.dev",
                "PackageRevision",
                name,
                vec![crate::error::FieldError::invalid(
                    "spec.packageName",
                    new,
                    format!(
                        "package path {new:?} conflicts with existing package {existing:?}: packages cannot be nested"
                    ),
                )],
            ));
        }
    }
    Ok(())
}

/// The files the task produces.
async fn build_files(
    ctx: &Ctx,
    repo: &RepoHandle,
    name: &str,
    spec: &PackageRevisionSpec,
    task: &Task,
) -> Result<BTreeMap<String, String>, ApiError> {
    let kpt_name = authoring::kpt_name(&spec.package_name).to_string();
    let task_error = |e: authoring::TaskError| unprocessable(name, e.to_string());
    match task.type_.as_str() {
        "init" => Ok(authoring::init_files(
            &kpt_name,
            &task.init.clone().unwrap_or_default(),
        )),
        "clone" => {
            let up = task
                .clone
                .as_ref()
                .map(|c| c.upstream_ref.clone())
                .unwrap_or_default();
            let (files, lock) =
                if let Some(r) = up.upstream_ref.as_ref().filter(|r| !r.name.is_empty()) {
                    let src = published_source(ctx, &r.name, name, "upstream revision")?;
                    let files = crate::sync::package_files(&ctx.state, &src.value).await?;
                    (files, self_lock(&src.value))
                } else if let Some(git) = up.git.as_ref().filter(|g| !g.repo.is_empty()) {
                    fetch_upstream(ctx, name, git).await?
                } else if up.oci.is_some() || up.type_ == "oci" {
                    return Err(unprocessable(
                        name,
                        "cloning from an OCI upstream is not supported yet",
                    ));
                } else {
                    return Err(unprocessable(
                        name,
                        "clone task needs upstreamRef.upstreamRef.name or upstreamRef.git",
                    ));
                };
            authoring::clone_files(&files, &kpt_name, &lock, repo.deployment).map_err(task_error)
        }
        "edit" => {
            let src_name = task
                .edit
                .as_ref()
                .map(|e| e.source_ref.name.clone())
                .unwrap_or_default();
            let src = source(ctx, &src_name, name)?;
            if is_placeholder(&src.value) {
                return Err(unprocessable(
                    name,
                    format!(
                        "source revision may not be the placeholder package revision {}/{src_name}",
                        spec.repository
                    ),
                ));
            }
            if text(&src.value, "/spec/repository") != spec.repository
                || text(&src.value, "/spec/packageName") != spec.package_name
            {
                return Err(unprocessable(
                    name,
                    format!(
                        "source revision must be from same package {}/{}",
                        spec.repository, spec.package_name
                    ),
                ));
            }
            if !is_published(&src.value) {
                return Err(unprocessable(name, "source revision must be published"));
            }
            crate::sync::package_files(&ctx.state, &src.value).await
        }
        "upgrade" => {
            let u = task.upgrade.clone().unwrap_or_default();
            let old =
                published_source(ctx, &u.old_upstream_ref.name, name, "old upstream revision")?;
            let new = published_source(ctx, &u.new_upstream_ref.name, name, "upstream revision")?;
            let local = published_source(
                ctx,
                &u.local_package_revision_ref.name,
                name,
                "local revision",
            )?;
            let old_files = crate::sync::package_files(&ctx.state, &old.value).await?;
            let new_files = crate::sync::package_files(&ctx.state, &new.value).await?;
            let local_files = crate::sync::package_files(&ctx.state, &local.value).await?;
            let lock = self_lock(&new.value);
            authoring::upgrade_files(&old_files, &new_files, &local_files, &u.strategy, &lock)
                .map_err(task_error)
        }
        other => Err(unprocessable(
            name,
            format!("unsupported task type {other:?}"),
        )),
    }
}

/// Files and lock of a package in an unregistered git repository.
async fn fetch_upstream(
    ctx: &Ctx,
    name: &str,
    git: &porch_api::packagerevision::GitPackage,
) -> Result<(BTreeMap<String, String>, Locator), ApiError> {
    let ns = ctx.info.namespace.as_deref().unwrap_or_default();
    let credentials = match git.secret_ref.as_ref().filter(|s| !s.name.is_empty()) {
        Some(s) => crate::sync::credentials(
            &ctx.state,
            ns,
            &json!({"spec": {"git": {"secretRef": {"name": s.name}}}}),
        )
        .map_err(|m| unprocessable(name, m))?,
        None => Credentials::None,
    };
    let spec = RepoSpec {
        url: git.repo.clone(),
        branch: "main".into(),
        directory: String::new(),
        create_branch: false,
        credentials,
    };
    let cache =
        ctx.state.git.clone().ok_or_else(|| {
            ApiError::ServiceUnavailable("git repositories are not served".into())
        })?;
    let (reference, directory) = (
        git.ref_.clone(),
        git.directory.trim_matches('/').to_string(),
    );
    let me = subject(name);
    let found = blocking("fetching the upstream", move || {
        let repo = cache.open(&spec)?;
        match repo.fetch() {
            Ok(()) | Err(porch_engine::git::GitError::BranchMissing(_)) => {}
            Err(e) => return Err(e),
        }
        let commit = repo.resolve(&reference)?.ok_or_else(|| {
            porch_engine::git::GitError::Invalid(format!(
                "ref {reference:?} not found in {}",
                spec.url
            ))
        })?;
        let files = repo
            .read_package_at(&commit, &directory)
            .map_err(|e| porch_engine::git::GitError::Invalid(e.to_string()))?;
        Ok((files, commit))
    })
    .await?
    .map_err(|e| ApiError::from_git(e, me))?;
    let (files, commit) = found;
    let lock = Locator {
        type_: "git".into(),
        git: Some(porch_api::packagerevision::GitLock {
            repo: git.repo.clone(),
            directory: git.directory.clone(),
            ref_: git.ref_.clone(),
            commit,
        }),
    };
    Ok((files, lock))
}

fn commit_message(task: &str) -> &'static str {
    match task {
        "init" => "Creating new empty revision",
        "clone" => "Creating new revision by cloning",
        "edit" => "Creating new revision by copying previous revision",
        "upgrade" => "Upgrading revision",
        _ => "Intermediate commit",
    }
}

/// POST of a PackageRevision (already defaulted and validated).
pub async fn create(ctx: &Ctx, obj: Value) -> Result<Arc<Cached>, ApiError> {
    let pr: PackageRevision = serde_json::from_value(obj.clone())
        .map_err(|e| ApiError::BadRequest(format!("decoding the PackageRevision: {e}")))?;
    let name = pr.metadata.name.clone().unwrap_or_default();
    let spec = pr.spec;
    let ns = ctx.info.namespace.clone().unwrap_or_default();
    let repo = RepoHandle::open(&ctx.state, &ns, &spec.repository)?;
    if ctx.state.objects.cache().get(&ctx.key(&name)).is_some() {
        return Err(ApiError::AlreadyExists(subject(&name)));
    }
    let task = creation_task(&spec);
    check_package(ctx, &name, &spec, &task)?;
    let mut files = build_files(ctx, &repo, &name, &spec, &task).await?;
    // Requested package metadata is added to what the Kptfile has.
    let current = authoring::read_meta(&files);
    let mut meta = KptfileMeta::default();
    if let Some(pm) = &spec.package_metadata {
        if let Some(l) = &pm.labels {
            let mut labels = current.labels.clone().unwrap_or_default();
            labels.extend(l.clone());
            meta.labels = Some(labels);
        }
        if let Some(a) = &pm.annotations {
            let mut annotations = current.annotations.clone().unwrap_or_default();
            annotations.extend(a.clone());
            meta.annotations = Some(annotations);
        }
    }
    if !spec.readiness_gates.is_empty() {
        meta.readiness_gates = Some(spec.readiness_gates.clone());
    }
    authoring::apply_meta(&mut files, &meta).map_err(|e| unprocessable(&name, e.to_string()))?;
    let renderer = ctx.state.renderer.clone();
    let report = blocking("rendering", move || renderer.render(&files)).await?;
    if let Some(err) = &report.error {
        return Err(unprocessable(&name, format!("{RENDER_NOT_PUSHED}{err}")));
    }
    let files = report.files.unwrap_or_default();
    let trailer = Trailer {
        package: repo.git.full_path(&spec.package_name),
        workspace_name: spec.workspace_name.clone(),
        revision: String::new(),
        task: Some(task.clone()),
    };
    let git = repo.git.clone();
    let (pkg, ws, user) = (
        spec.package_name.clone(),
        spec.workspace_name.clone(),
        author(ctx),
    );
    let message = commit_message(&task.type_);
    blocking("creating the draft", move || {
        git.create_draft(&pkg, &ws, &files, message, &trailer, user.as_deref())
    })
    .await?
    .map_err(|e| ApiError::from_git(e, subject(&name)))?;
    let overrides = BTreeMap::from([(
        name.clone(),
        obj.get("metadata").cloned().unwrap_or(json!({})),
    )]);
    let written = refresh(&ctx.state, &repo, &spec.package_name, &[&name], &overrides).await?;
    written
        .get(&name)
        .map(|w| Arc::clone(w.object()))
        .ok_or_else(|| {
            ApiError::Internal(format!(
                "created {name} but cannot find it in the repository"
            ))
        })
}
