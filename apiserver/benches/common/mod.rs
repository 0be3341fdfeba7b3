//! Shared by the benchmarks: an HTTPS client to the real porch-server and
//! percentile helpers.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A client of one server.
pub struct Bench {
    pub client: HttpsClient,
    pub url: String,
    pub token: String,
}

impl Bench {
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        ct: &str,
        accept: &str,
        body: Vec<u8>,
    ) -> (u16, Bytes) {
        let req = http::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.url, path))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", ct)
            .header("accept", accept)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let resp = self.client.request(req).await.expect("response");
        let code = resp.status().as_u16();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        (code, body)
    }
}

pub fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i.min(samples.len() - 1)]
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

pub fn client(ca_pem: &str) -> HttpsClient {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
        roots.add(cert.expect("ca")).expect("add ca");
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(cfg)
        .https_only()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build(https)
}

impl Bench {
    /// A client of `server` (its CA and admin token).
    pub fn of(server: &porch_testkit::server::Server) -> Bench {
        let ca = std::fs::read_to_string(server.ca()).expect("ca");
        Bench {
            client: client(&ca),
            url: server.url.clone(),
            token: server.token(),
        }
    }

    /// Latencies of `n` sequential GETs of `path` with `accept`.
    pub async fn sample(&self, n: usize, path: &str, accept: &str) -> (Vec<Duration>, usize) {
        let mut samples = Vec::with_capacity(n);
        let mut size = 0;
        for _ in 0..n {
            let t = std::time::Instant::now();
            let (code, body) = self
                .call("GET", path, "application/json", accept, vec![])
                .await;
            samples.push(t.elapsed());
            assert_eq!(code, 200, "{path}: {}", String::from_utf8_lossy(&body));
            size = body.len();
        }
        (samples, size)
    }
}

/// kubectl's Table Accept.
pub const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
