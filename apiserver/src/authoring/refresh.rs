//! After a write to git: the objects of that one package (its revisions,
//! the latest label, its PorchPackage) re-read from the cache and written to
//! the Store, at a cost that does not grow with the rest of the repository.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::{RepoHandle, blocking};
use crate::error::{ApiError, Subject};
use crate::state::AppState;
use crate::sync::materialize::{self, RepoContext};
use crate::sync::reconcile::{Written, reconcile_package};

/// The placeholder revision of a package (it changes when a revision is published).
pub fn placeholder_name(repo: &RepoHandle, package_path: &str) -> String {
    porch_api::names::package_revision_name(&repo.name, package_path, &repo.git.spec().branch)
}

/// Refresh one package after a write that changed the revisions named in
/// `affected` (the others only follow the latest label); `overrides` are
/// request metadata by object name. Returns what happened to each
/// PackageRevision, by name.
pub async fn refresh(
    state: &AppState,
    repo: &RepoHandle,
    package_path: &str,
    affected: &[&str],
    overrides: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Written>, ApiError> {
    let affected: HashSet<String> = affected.iter().map(|s| s.to_string()).collect();
    let git = repo.git.clone();
    let path = package_path.to_string();
    let revisions = blocking("discovering a package", move || git.discover_package(&path))
        .await?
        .map_err(|e| {
            ApiError::from_git(
                e,
                Subject::new("config.porch.kpt.dev", "repositories", &repo.name),
            )
        })?;
    let ctx = RepoContext {
        namespace: &repo.namespace,
        repository: &repo.name,
        deployment: repo.deployment,
    };
    let discovery = porch_engine::git::Discovery {
        branch_commit: None,
        revisions,
    };
    let now = crate::sync::now();
    let mut out = BTreeMap::new();
    for (plural, desired) in [
        (
            "packagerevisions",
            materialize::package_revisions(&ctx, &discovery),
        ),
        ("packages", materialize::packages(&ctx, &discovery)),
    ] {
        let Some(strategy) = state.registry.lookup("porch.kpt.dev", "v1alpha1", plural) else {
            continue;
        };
        let written = if plural == "packagerevisions" {
            reconcile_package(
                state,
                strategy,
                &repo.namespace,
                &repo.name,
                package_path,
                desired,
                overrides,
                Some(&affected),
                &now,
            )
            .await?
        } else {
            reconcile_package(
                state,
                strategy,
                &repo.namespace,
                &repo.name,
                package_path,
                desired,
                &BTreeMap::new(),
                None,
                &now,
            )
            .await?
        };
        if plural == "packagerevisions" {
            out = written;
        }
    }
    Ok(out)
}
