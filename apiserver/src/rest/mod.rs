//! The one generic REST path for every resource: parse the request, find the
//! resource's strategy, authorise, and run the verb's generic logic.

pub mod apply;
pub mod body;
pub mod delete;
pub mod filter;
pub mod info;
pub mod output;
pub mod query;
pub mod read;
pub mod watch;
pub mod write;

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, Method, Request};

use crate::auth::UserInfo;
use crate::error::{ApiError, Subject};
use crate::registry::Strategy;
use crate::state::SharedState;
use info::RequestInfo;
use query::Query;

/// One resource request, resolved.
pub struct Ctx {
    pub state: SharedState,
    pub info: RequestInfo,
    pub strategy: Arc<dyn Strategy>,
    pub query: Query,
    pub headers: HeaderMap,
    pub user: UserInfo,
}

impl Ctx {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn accept(&self) -> Option<&str> {
        self.header("accept")
    }

    /// `details` of errors about object `name`.
    pub fn subject(&self, name: &str) -> Subject {
        let d = self.strategy.def();
        Subject::new(d.group, d.plural, name)
    }

    /// Store key of object `name` in the request's namespace.
    pub fn key(&self, name: &str) -> String {
        self.strategy
            .def()
            .key(self.info.namespace.as_deref(), name)
    }

    /// The stored object `name` of this request's namespace (404 when absent).
    pub fn current(&self, name: &str) -> Result<Arc<crate::storage::cache::Cached>, ApiError> {
        self.state
            .objects
            .cache()
            .get(&self.key(name))
            .ok_or_else(|| ApiError::NotFound(self.subject(name)))
    }

    /// The current object `name`: stored, or computed from its source for
    /// derived resources (PackageRevisionResources). 404 when absent.
    pub async fn current_object(
        &self,
        name: &str,
    ) -> Result<Arc<crate::storage::cache::Cached>, ApiError> {
        if self.strategy.derived_from().is_none() {
            return self.current(name);
        }
        let source = self.source();
        let obj = self
            .state
            .objects
            .cache()
            .get(&source.def().key(self.info.namespace.as_deref(), name))
            .ok_or_else(|| ApiError::NotFound(self.subject(name)))?;
        let value = self.strategy.derive(&self.state, &obj).await?;
        crate::storage::cache::Cached::unstored(&obj.key, value, obj.rv)
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    /// The resource whose stored objects this request reads: the resource
    /// itself, or the one it is derived from.
    pub fn source(&self) -> Arc<dyn Strategy> {
        self.strategy
            .derived_from()
            .and_then(|plural| {
                self.state
                    .registry
                    .lookup(&self.info.group, &self.info.version, plural)
                    .cloned()
            })
            .unwrap_or_else(|| Arc::clone(&self.strategy))
    }

    /// Wait until the cache holds every write the Store acknowledged.
    pub async fn sync(&self) -> Result<u64, ApiError> {
        self.state.objects.cache().sync().await
    }
}

/// Serve a request whose path is a resource path; `None` when it is not one.
pub async fn serve(
    state: SharedState,
    user: UserInfo,
    req: Request<Body>,
) -> Option<Result<Response, ApiError>> {
    let (parts, body) = req.into_parts();
    let query = Query::parse(parts.uri.query());
    let info = info::parse(&parts.method, parts.uri.path(), query.flag("watch"))?;
    Some(dispatch(state, user, info, query, parts.method, parts.headers, body).await)
}

async fn dispatch(
    state: SharedState,
    user: UserInfo,
    info: RequestInfo,
    query: Query,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Read the body before anything can fail, so that every answer reaches a
    // client that is still sending (an unread h2 body is reset).
    let bytes = match method {
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE => {
            body::read(&headers, body, state.options.max_body).await?
        }
        _ => bytes::Bytes::new(),
    };
    let strategy = state
        .registry
        .lookup(&info.group, &info.version, &info.resource)
        .cloned()
        .ok_or(ApiError::NotFoundPath)?;
    let def = strategy.def();
    if def.namespaced != info.namespace.is_some() && !matches!(info.verb, "list" | "watch") {
        return Err(ApiError::NotFoundPath);
    }
    if !def.namespaced && info.namespace.is_some() {
        return Err(ApiError::NotFoundPath);
    }
    let allowed = match &info.subresource {
        Some(sub) => def.subresource_verbs(sub).ok_or(ApiError::NotFoundPath)?,
        None => def.verbs,
    };
    if !allowed.contains(&info.verb) {
        return Err(ApiError::MethodNotAllowed(format!(
            "{} is not supported on resources of kind \"{}.{}\"",
            method.as_str(),
            def.plural,
            def.group
        )));
    }
    state.auth.authorize(&user, &info)?;
    let name = info.name.clone();
    let ctx = Ctx {
        state,
        info,
        strategy,
        query,
        headers,
        user,
    };
    let span = tracing::info_span!("request", verb = ctx.info.verb, resource = %ctx.info.resource, name = name.as_deref().unwrap_or(""), namespace = ctx.info.namespace.as_deref().unwrap_or(""));
    let _ = span.enter();
    match (ctx.info.verb, name.as_deref()) {
        ("get", Some(n)) => read::get(&ctx, n).await,
        ("list", _) => read::list(&ctx).await,
        ("watch", _) => watch::watch(&ctx).await,
        ("create", None) => write::create(&ctx, &bytes).await,
        ("create", Some(_)) => Err(ApiError::MethodNotAllowed(
            "POST on a named resource is not supported".into(),
        )),
        ("update", Some(n)) => write::update(&ctx, n, &bytes).await,
        ("patch", Some(n)) => write::patch(&ctx, n, &bytes).await,
        ("delete", Some(n)) => delete::delete(&ctx, n, &bytes).await,
        ("deletecollection", _) => delete::delete_collection(&ctx, &bytes).await,
        _ => Err(ApiError::MethodNotAllowed(format!(
            "{} is not supported here",
            method.as_str()
        ))),
    }
}
