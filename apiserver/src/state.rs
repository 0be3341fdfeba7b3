//! Shared state of the server, passed explicitly to every handler.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::Authenticator;
use crate::discovery::Discovery;
use crate::openapi::OpenApi;
use crate::registry::Registry;
use crate::storage::objects::Objects;

/// Tunables of the REST layer (flags; tests set them low).
#[derive(Debug, Clone)]
pub struct RestOptions {
    /// Largest accepted request body.
    pub max_body: usize,
    /// Period of BOOKMARK events for watches that allow them.
    pub bookmark_interval: Duration,
    /// How long a package revision operation lock lives if its holder dies.
    pub operation_lock_ttl: Duration,
}

/// Everything a request handler needs.
pub struct AppState {
    pub registry: Registry,
    pub objects: Objects,
    pub options: RestOptions,
    pub discovery: Discovery,
    pub openapi: OpenApi,
    pub auth: Authenticator,
    /// Local caches of registered git repositories.
    pub git: Option<Arc<porch_engine::git::GitCache>>,
    /// Renders drafts after every change (builtins in process, the rest through the runner).
    pub renderer: porch_engine::authoring::Renderer,
}

/// Handle to the shared state.
pub type SharedState = Arc<AppState>;
