//! A minimal Kubernetes API client: the kubeconfig, JSON requests over
//! HTTPS, and `Status` errors turned into the messages kubectl prints.
//!
//! porchctl only needs a handful of verbs on a few resources, so a small
//! hand-written client keeps the binary lean compared with a full kube
//! client crate.

mod client;
mod config;

pub use client::Client;
pub use config::{Connection, kubeconfig_path, load};

/// Group/version and plural of the resources porchctl uses.
pub const PORCH: &str = "porch.kpt.dev/v1alpha1";
pub const CONFIG: &str = "config.porch.kpt.dev/v1alpha1";
pub const PACKAGE_REVISIONS: &str = "packagerevisions";
pub const PACKAGE_REVISION_RESOURCES: &str = "packagerevisionresources";
pub const REPOSITORIES: &str = "repositories";

/// Errors of the client.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// The kubeconfig is missing or unusable.
    #[error("{0}")]
    Config(String),
    /// The server could not be reached or the exchange failed.
    #[error("{0}")]
    Transport(String),
    /// The server answered with an error `Status`.
    #[error("{message}")]
    Status {
        code: u16,
        reason: String,
        message: String,
    },
    /// A response body that is not the JSON expected.
    #[error("decoding the server's answer: {0}")]
    Decode(String),
}

impl KubeError {
    /// The HTTP status code of a server error (0 for client-side errors).
    pub fn code(&self) -> u16 {
        match self {
            KubeError::Status { code, .. } => *code,
            _ => 0,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.code() == 404
    }

    pub fn is_conflict(&self) -> bool {
        self.code() == 409
    }
}

/// URL path of a resource collection or object: core `v1` under `/api`, groups under `/apis`.
pub fn path(
    group_version: &str,
    namespace: Option<&str>,
    resource: &str,
    name: Option<&str>,
) -> String {
    let mut p = if group_version == "v1" {
        "/api/v1".to_string()
    } else {
        format!("/apis/{group_version}")
    };
    if let Some(ns) = namespace {
        p.push_str("/namespaces/");
        p.push_str(ns);
    }
    p.push('/');
    p.push_str(resource);
    if let Some(n) = name {
        p.push('/');
        p.push_str(n);
    }
    p
}

/// Percent-encode a query value (field selectors contain `=` and `,`).
pub fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
