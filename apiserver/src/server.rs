//! HTTPS transport (rustls with the ring provider; h2 and HTTP/1.1 by ALPN)
//! and the top-level routing: fixed endpoints, discovery, OpenAPI, and the
//! generic resource path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, Request, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use crate::error::ApiError;
use crate::state::SharedState;

/// Request counters for `/metrics`.
struct Metrics {
    requests: AtomicU64,
    errors: AtomicU64,
}

static METRICS: Metrics = Metrics {
    requests: AtomicU64::new(0),
    errors: AtomicU64::new(0),
};

/// The version kubectl's dispatcher reads (minor 32 selects the built-in 1.32 client).
pub fn version_json() -> String {
    json!({"major": "1", "minor": "32", "gitVersion": format!("v1.32.0-porch-rs-{}", env!("CARGO_PKG_VERSION")),
        "gitCommit": "", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "n/a",
        "compiler": "rustc", "platform": "linux/amd64"})
    .to_string()
}

fn text(code: StatusCode, body: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn is_discovery_path(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["apis"] | ["apis", _] | ["apis", _, _] | ["api"] | ["api", _]
    )
}

/// Answer `kubectl auth can-i`: the local policy allows everything to `system:masters`.
fn self_subject_access_review(user: &crate::auth::UserInfo) -> Response {
    let allowed = user.groups.iter().any(|g| g == "system:masters");
    let body = json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {},
        "spec": {}, "status": {"allowed": allowed}});
    crate::rest::output::json_response(StatusCode::CREATED, body.to_string(), &[])
}

async fn route(state: SharedState, req: Request<Body>) -> Result<Response, ApiError> {
    let path = req.uri().path().to_string();
    match path.as_str() {
        "/healthz" | "/livez" | "/readyz" | "/healthz/" | "/readyz/" | "/livez/" => {
            return Ok(text(StatusCode::OK, "ok"));
        }
        "/version" | "/version/" => {
            return Ok(crate::rest::output::json_response(
                StatusCode::OK,
                version_json(),
                &[],
            ));
        }
        _ => {}
    }
    let user = state.auth.authenticate(req.headers())?;
    if path == "/metrics" {
        let body = format!(
            "# HELP porch_apiserver_requests_total Requests served.\n# TYPE porch_apiserver_requests_total counter\nporch_apiserver_requests_total {}\n# HELP porch_apiserver_errors_total Requests answered with an error status.\n# TYPE porch_apiserver_errors_total counter\nporch_apiserver_errors_total {}\n",
            METRICS.requests.load(Ordering::Relaxed),
            METRICS.errors.load(Ordering::Relaxed)
        );
        let mut r = Response::new(Body::from(body));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        return Ok(r);
    }
    if path.starts_with("/openapi/") {
        return state.openapi.serve(&path, req.headers());
    }
    if is_discovery_path(&path) {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Err(ApiError::MethodNotAllowed(format!(
                "{} is not supported on discovery documents",
                req.method()
            )));
        }
        return state
            .discovery
            .serve(&path, req.headers(), state.registry.has_core());
    }
    if req.method() == Method::POST
        && path.trim_end_matches('/') == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    {
        return Ok(self_subject_access_review(&user));
    }
    match crate::rest::serve(Arc::clone(&state), user, req).await {
        Some(r) => r,
        None => Err(ApiError::NotFoundPath),
    }
}

async fn handle(State(state): State<SharedState>, req: Request<Body>) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("http", %method, %path);
    let resp = match route(state, req).instrument(span).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    METRICS.requests.fetch_add(1, Ordering::Relaxed);
    if resp.status().is_client_error() || resp.status().is_server_error() {
        METRICS.errors.fetch_add(1, Ordering::Relaxed);
    }
    tracing::debug!(%method, %path, status = resp.status().as_u16(), elapsed_us = started.elapsed().as_micros() as u64, "request");
    resp
}

/// The axum router: everything goes through [`handle`].
pub fn router(state: SharedState) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// Accept TLS connections until the process ends.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, router: Router) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let tls = match acceptor.accept(stream).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
            };
            let builder = auto::Builder::new(TokioExecutor::new());
            if let Err(e) = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}

/// TLS configuration from PEM material (ring provider only).
pub fn tls_acceptor(cert_pem: &str, key_pem: &str) -> anyhow::Result<TlsAcceptor> {
    use anyhow::Context;
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .context("reading the serving certificate")?;
    let key = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .context("reading the serving key")?
        .context("no private key in the serving key file")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("TLS certificate")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
