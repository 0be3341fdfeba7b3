//! Writes of PackageRevisions and their resources (porch-api.md §3, §6):
//! create with a task, resource updates with render, propose/reject,
//! approval, deletion proposals and deletion. Git is the truth: each write
//! goes to the repository first (compare-and-swap pushes, so concurrent
//! writers on any replica never both win), then the objects of that one
//! package are refreshed in the Store, which makes the change — and its
//! watch events — visible before the response.

mod approval;
mod create;
mod delete;
mod lock;
mod refresh;
mod repo;
mod resources;
mod update;

use std::sync::Arc;

use serde_json::Value;

use crate::error::{ApiError, Subject};
use crate::registry::Backend;
use crate::rest::Ctx;
use crate::storage::cache::Cached;

pub use delete::check as check_delete;
pub use repo::RepoHandle;

/// Where PackageRevision writes go.
pub struct PackageRevisionBackend;

#[async_trait::async_trait]
impl Backend for PackageRevisionBackend {
    async fn create(&self, ctx: &Ctx, obj: Value) -> Result<Arc<Cached>, ApiError> {
        let what = format!(
            "{}-{}-{}-{}",
            ctx.info.namespace.as_deref().unwrap_or_default(),
            text(&obj, "/spec/repository"),
            text(&obj, "/spec/packageName"),
            text(&obj, "/spec/workspaceName")
        );
        let subject = Subject::new("porch.kpt.dev", "packagerevisions", "(new creation)");
        lock::with_lock(&ctx.state, &what, &subject, async {
            ctx.sync().await?;
            create::create(ctx, obj).await
        })
        .await
    }

    async fn update(
        &self,
        ctx: &Ctx,
        old: &Arc<Cached>,
        new: Value,
    ) -> Result<Arc<Cached>, ApiError> {
        with_revision_lock(ctx, old, update::update(ctx, old, new)).await
    }

    async fn delete(&self, ctx: &Ctx, old: &Arc<Cached>) -> Result<Arc<Cached>, ApiError> {
        with_revision_lock(ctx, old, delete::delete(ctx, old)).await
    }
}

/// Where PackageRevisionResources writes go (only updates exist).
pub struct ResourcesBackend;

#[async_trait::async_trait]
impl Backend for ResourcesBackend {
    async fn create(&self, _ctx: &Ctx, _obj: Value) -> Result<Arc<Cached>, ApiError> {
        Err(ApiError::MethodNotAllowed(
            "packagerevisionresources are created with their packagerevision".into(),
        ))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        old: &Arc<Cached>,
        new: Value,
    ) -> Result<Arc<Cached>, ApiError> {
        with_revision_lock(ctx, old, resources::update(ctx, old, new)).await
    }

    async fn delete(&self, _ctx: &Ctx, _old: &Arc<Cached>) -> Result<Arc<Cached>, ApiError> {
        Err(ApiError::MethodNotAllowed(
            "packagerevisionresources are deleted with their packagerevision".into(),
        ))
    }
}

/// Run `f` holding the lock of the existing revision `old` (`<ns>/<name>`,
/// as Porch keys it), once it is clear `old` is still current.
async fn with_revision_lock<T>(
    ctx: &Ctx,
    old: &Cached,
    f: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let name = text(&old.value, "/metadata/name");
    let ns = ctx.info.namespace.as_deref().unwrap_or_default();
    let subject = Subject::new("porch.kpt.dev", "packagerevisions", name);
    lock::with_lock(&ctx.state, &format!("{ns}/{name}"), &subject, async {
        still_current(ctx, old).await?;
        f.await
    })
    .await
}

/// Under the lock: the revision must not have changed since the request read it.
async fn still_current(ctx: &Ctx, old: &Cached) -> Result<(), ApiError> {
    ctx.sync().await?;
    let name = text(&old.value, "/metadata/name");
    let key = ctx.source().def().key(ctx.info.namespace.as_deref(), name);
    match ctx.state.objects.cache().get(&key) {
        Some(c) if c.rv == old.rv => Ok(()),
        Some(_) => Err(ApiError::stale(ctx.subject(name))),
        None => Err(ApiError::NotFound(ctx.subject(name))),
    }
}

/// A string field of a JSON object.
fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The request user as commit author (Porch: name = email = username).
fn author(ctx: &Ctx) -> Option<String> {
    Some(ctx.user.name.clone()).filter(|n| !n.is_empty())
}

/// Run blocking git or render work off the async threads.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("{what}: {e}")))
}
