//! JSON requests to the API server over hyper + rustls.

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::{Connection, KubeError};

/// Accept header that asks the server for its `Table` rendering.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

/// A connection to one API server, with a default namespace.
pub struct Client {
    http: HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    server: String,
    authorization: Option<String>,
    /// The namespace from `-n` or the kubeconfig context.
    pub namespace: String,
    /// Bound of one request (`--request-timeout`), none by default.
    timeout: Option<std::time::Duration>,
}

impl Client {
    /// Build a client from a kubeconfig connection; `namespace` overrides the context's.
    pub fn new(
        conn: Connection,
        namespace: Option<String>,
        timeout: Option<std::time::Duration>,
    ) -> Client {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(conn.tls)
            .https_or_http()
            .enable_http1()
            .build();
        Client {
            http: HyperClient::builder(TokioExecutor::new()).build(https),
            server: conn.server,
            authorization: conn.authorization,
            namespace: namespace
                .filter(|n| !n.is_empty())
                .unwrap_or(conn.namespace),
            timeout,
        }
    }

    /// One request; a non-2xx answer becomes [`KubeError::Status`].
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        accept: &str,
    ) -> Result<Vec<u8>, KubeError> {
        match self.timeout {
            None => self.exchange(method, path, body, accept).await,
            Some(t) => tokio::time::timeout(t, self.exchange(method.clone(), path, body, accept))
                .await
                .map_err(|_| {
                    KubeError::Transport(format!(
                        "{method} {}{path}: no answer within {t:?} (--request-timeout)",
                        self.server
                    ))
                })?,
        }
    }

    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        accept: &str,
    ) -> Result<Vec<u8>, KubeError> {
        let uri = format!("{}{}", self.server, path);
        let mut req = Request::builder()
            .method(method.clone())
            .uri(&uri)
            .header(header::ACCEPT, accept)
            .header(
                header::USER_AGENT,
                concat!("porchctl/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(a) = &self.authorization {
            req = req.header(header::AUTHORIZATION, a);
        }
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| KubeError::Transport(format!("building request to {uri}: {e}")))?;
        let resp =
            self.http.request(req).await.map_err(|e| {
                KubeError::Transport(format!("{method} {uri}: {}", error_chain(&e)))
            })?;
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| KubeError::Transport(format!("reading answer of {uri}: {e}")))?
            .to_bytes();
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(status_error(status.as_u16(), &bytes))
    }

    /// GET a JSON object.
    pub async fn get(&self, path: &str) -> Result<Value, KubeError> {
        decode(
            &self
                .raw(Method::GET, path, None, "application/json")
                .await?,
        )
    }

    /// GET the server's Table rendering.
    pub async fn get_table(&self, path: &str) -> Result<Value, KubeError> {
        decode(&self.raw(Method::GET, path, None, TABLE_ACCEPT).await?)
    }

    /// Send `body` with `method` (POST/PUT) and decode the answer.
    pub async fn send(&self, method: Method, path: &str, body: &Value) -> Result<Value, KubeError> {
        let bytes = serde_json::to_vec(body).map_err(|e| KubeError::Decode(e.to_string()))?;
        decode(
            &self
                .raw(method, path, Some(bytes), "application/json")
                .await?,
        )
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, KubeError> {
        self.send(Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, KubeError> {
        self.send(Method::PUT, path, body).await
    }

    /// DELETE an object (the answer is ignored).
    pub async fn delete(&self, path: &str) -> Result<(), KubeError> {
        self.raw(Method::DELETE, path, None, "application/json")
            .await
            .map(|_| ())
    }
}

fn decode(bytes: &[u8]) -> Result<Value, KubeError> {
    serde_json::from_slice(bytes).map_err(|e| KubeError::Decode(e.to_string()))
}

/// The messages of an error and its sources, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// A `Status` body's message, or client-go's generic text for the code when there is none.
fn status_error(code: u16, body: &[u8]) -> KubeError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let message = match v["message"].as_str().filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => generic_message(code, String::from_utf8_lossy(body).trim()),
    };
    KubeError::Status {
        code,
        reason: v["reason"].as_str().unwrap_or_default().to_string(),
        message,
    }
}

/// apimachinery's `NewGenericServerResponse` wording.
fn generic_message(code: u16, body: &str) -> String {
    match code {
        400 => "the server rejected our request for an unknown reason".into(),
        401 => "the server has asked for the client to provide credentials".into(),
        403 => "the server does not allow access to the requested resource".into(),
        404 => "the server could not find the requested resource".into(),
        405 => "the server does not allow this method on the requested resource".into(),
        409 => "the server reported a conflict".into(),
        410 => "the server has asked for the client to retry".into(),
        422 => "the server rejected our request due to an error in our request".into(),
        429 => "the server has received too many requests and has asked us to try again later".into(),
        500 => format!("an error on the server ({body:?}) has prevented the request from succeeding"),
        503 => "the server is currently unable to handle the request".into(),
        504 => "the server was unable to return a response in the time allotted, but may still be processing the request".into(),
        _ if body.is_empty() => format!("the server responded with the status code {code} but did not return more information"),
        _ => format!("the server responded with the status code {code}: {body}"),
    }
}
