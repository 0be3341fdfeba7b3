//! The Repository a write goes to: its spec, its git cache and the commit
//! author it falls back to.

use std::sync::Arc;

use porch_engine::git::CachedRepo;
use serde_json::Value;

use super::text;
use crate::error::{ApiError, Subject};
use crate::state::AppState;

/// A registered git Repository, opened for writing.
#[derive(Clone)]
pub struct RepoHandle {
    pub namespace: String,
    pub name: String,
    pub deployment: bool,
    pub git: CachedRepo,
}

impl RepoHandle {
    /// The Repository `name` in `namespace` (404 when it is not registered,
    /// 422 when it is not a git repository).
    pub fn open(state: &AppState, namespace: &str, name: &str) -> Result<RepoHandle, ApiError> {
        let key = format!(
            "{}config.porch.kpt.dev/repositories/{namespace}/{name}",
            crate::storage::cache::REGISTRY_PREFIX
        );
        let repo = state.objects.cache().get(&key).ok_or_else(|| {
            ApiError::NotFound(Subject::new("config.porch.kpt.dev", "repositories", name))
        })?;
        Self::from_object(state, namespace, &repo.value)
    }

    fn from_object(
        state: &AppState,
        namespace: &str,
        repo: &Value,
    ) -> Result<RepoHandle, ApiError> {
        let name = text(repo, "/metadata/name").to_string();
        if text(repo, "/spec/type") != "git" {
            return Err(ApiError::ServiceUnavailable(format!(
                "repository {name:?} is of type {:?}; only git repositories can be written",
                text(repo, "/spec/type")
            )));
        }
        let spec = crate::sync::repo_spec_for(state, namespace, repo)
            .map_err(ApiError::ServiceUnavailable)?;
        let cache = state.git.as_ref().map(Arc::clone).ok_or_else(|| {
            ApiError::ServiceUnavailable("git repositories are not served".into())
        })?;
        let git = cache
            .open(&spec)
            .map_err(|e| {
                ApiError::from_git(
                    e,
                    Subject::new("config.porch.kpt.dev", "repositories", &name),
                )
            })?
            .with_author(
                text(repo, "/spec/git/author"),
                text(repo, "/spec/git/email"),
            );
        Ok(RepoHandle {
            namespace: namespace.to_string(),
            deployment: repo
                .pointer("/spec/deployment")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            name,
            git,
        })
    }

    /// The cache holds `commit` (fetching when another replica or a push
    /// wrote it since the last fetch), so writes build on what git has.
    pub async fn ensure_commit(&self, commit: &str) -> Result<(), ApiError> {
        let git = self.git.clone();
        let commit = commit.to_string();
        let name = self.name.clone();
        super::blocking("fetching", move || git.ensure_commit(&commit))
            .await?
            .map_err(|e| {
                ApiError::from_git(
                    e,
                    Subject::new("config.porch.kpt.dev", "repositories", &name),
                )
            })
    }
}
