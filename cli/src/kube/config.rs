//! The user's kubeconfig: which server, which credentials, which namespace.
//!
//! Only the parts porchctl needs are read (clusters, users, contexts, the
//! current context); exec/auth-provider plugins are not supported because
//! they would need external programs this client does not run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

use super::KubeError;

/// A kubeconfig file as far as porchctl reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct KubeConfigFile {
    #[serde(default)]
    clusters: Vec<NamedCluster>,
    #[serde(default)]
    users: Vec<NamedUser>,
    #[serde(default)]
    contexts: Vec<NamedContext>,
    #[serde(default)]
    current_context: String,
}

#[derive(Debug, Deserialize)]
struct NamedCluster {
    name: String,
    #[serde(default)]
    cluster: Cluster,
}

#[derive(Debug, Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: User,
}

#[derive(Debug, Deserialize)]
struct NamedContext {
    name: String,
    #[serde(default)]
    context: Context,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Cluster {
    #[serde(default)]
    server: String,
    certificate_authority: Option<String>,
    certificate_authority_data: Option<String>,
    #[serde(default)]
    insecure_skip_tls_verify: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct User {
    token: Option<String>,
    /// kubectl's spelling is camelCase here, unlike the other user fields.
    #[serde(rename = "tokenFile", alias = "token-file")]
    token_file: Option<String>,
    client_certificate: Option<String>,
    client_certificate_data: Option<String>,
    client_key: Option<String>,
    client_key_data: Option<String>,
    username: Option<String>,
    password: Option<String>,
    /// Credential plugins; porchctl runs no external programs, so these are refused clearly.
    exec: Option<serde_norway::Value>,
    auth_provider: Option<serde_norway::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Context {
    #[serde(default)]
    cluster: String,
    #[serde(default)]
    user: String,
    namespace: Option<String>,
}

/// Everything needed to talk to one API server.
pub struct Connection {
    /// `https://host:port` without a trailing slash.
    pub server: String,
    /// `Authorization` header value, if any.
    pub authorization: Option<String>,
    /// TLS settings (CA, client certificate, verification).
    pub tls: rustls::ClientConfig,
    /// Namespace of the context (`default` when unset).
    pub namespace: String,
}

/// Where the kubeconfig is: the flag, else `$KUBECONFIG` (first entry), else `~/.kube/config`.
pub fn kubeconfig_path(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Ok(env) = std::env::var("KUBECONFIG")
        && let Some(first) = env.split(':').find(|s| !s.is_empty())
    {
        return PathBuf::from(first);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    Path::new(&home).join(".kube").join("config")
}

/// Load the kubeconfig at `path`, pick `context` (or the current one) and build a [`Connection`].
pub fn load(path: &Path, context: Option<&str>) -> Result<Connection, KubeError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| KubeError::Config(format!("reading kubeconfig {}: {e}", path.display())))?;
    let file: KubeConfigFile = serde_norway::from_str(&text)
        .map_err(|e| KubeError::Config(format!("parsing kubeconfig {}: {e}", path.display())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let ctx_name = context.unwrap_or(&file.current_context);
    let ctx = file
        .contexts
        .iter()
        .find(|c| c.name == ctx_name)
        .map(|c| &c.context)
        .ok_or_else(|| KubeError::Config(format!("context \"{ctx_name}\" does not exist")))?;
    let cluster = file
        .clusters
        .iter()
        .find(|c| c.name == ctx.cluster)
        .map(|c| &c.cluster)
        .ok_or_else(|| KubeError::Config(format!("cluster \"{}\" does not exist", ctx.cluster)))?;
    let default_user = User::default();
    let user = file
        .users
        .iter()
        .find(|u| u.name == ctx.user)
        .map(|u| &u.user)
        .unwrap_or(&default_user);
    if cluster.server.is_empty() {
        return Err(KubeError::Config("no server found for cluster".into()));
    }
    let tls = tls_config(cluster, user, base)?;
    Ok(Connection {
        server: cluster.server.trim_end_matches('/').to_string(),
        authorization: authorization(user, base)?,
        tls,
        namespace: ctx
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into()),
    })
}

/// A file path relative to the kubeconfig's directory, as kubectl resolves it.
fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// Inline `*-data` (base64) wins over the file form.
fn data_or_file(
    data: Option<&str>,
    file: Option<&str>,
    base: &Path,
) -> Result<Option<Vec<u8>>, KubeError> {
    if let Some(d) = data {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(d.trim())
            .map_err(|e| KubeError::Config(format!("decoding kubeconfig data: {e}")))?;
        return Ok(Some(bytes));
    }
    if let Some(f) = file {
        let p = resolve(base, f);
        return std::fs::read(&p)
            .map(Some)
            .map_err(|e| KubeError::Config(format!("reading {}: {e}", p.display())));
    }
    Ok(None)
}

fn authorization(user: &User, base: &Path) -> Result<Option<String>, KubeError> {
    let has_static = user.token.is_some()
        || user.token_file.is_some()
        || user.client_certificate.is_some()
        || user.client_certificate_data.is_some()
        || user.username.is_some();
    if !has_static && (user.exec.is_some() || user.auth_provider.is_some()) {
        return Err(KubeError::Config(
            "the kubeconfig user needs an exec or auth-provider credential plugin, which porchctl does not run; use a token or client certificate".into(),
        ));
    }
    if let Some(t) = user.token.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(format!("Bearer {t}")));
    }
    if let Some(f) = &user.token_file {
        let p = resolve(base, f);
        let t = std::fs::read_to_string(&p)
            .map_err(|e| KubeError::Config(format!("reading {}: {e}", p.display())))?;
        return Ok(Some(format!("Bearer {}", t.trim())));
    }
    if let (Some(u), Some(p)) = (&user.username, &user.password) {
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        return Ok(Some(format!("Basic {enc}")));
    }
    Ok(None)
}

fn certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, KubeError> {
    rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| KubeError::Config(format!("reading PEM certificates: {e}")))
}

fn tls_config(
    cluster: &Cluster,
    user: &User,
    base: &Path,
) -> Result<rustls::ClientConfig, KubeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| KubeError::Config(format!("TLS setup: {e}")))?;
    let builder = if cluster.insecure_skip_tls_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        if let Some(ca) = data_or_file(
            cluster.certificate_authority_data.as_deref(),
            cluster.certificate_authority.as_deref(),
            base,
        )? {
            for c in certs(&ca)? {
                roots
                    .add(c)
                    .map_err(|e| KubeError::Config(format!("bad CA certificate: {e}")))?;
            }
        }
        builder.with_root_certificates(roots)
    };
    let cert = data_or_file(
        user.client_certificate_data.as_deref(),
        user.client_certificate.as_deref(),
        base,
    )?;
    let key = data_or_file(
        user.client_key_data.as_deref(),
        user.client_key.as_deref(),
        base,
    )?;
    match (cert, key) {
        (Some(cert), Some(key)) => {
            let chain = certs(&cert)?;
            let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut &key[..])
                .map_err(|e| KubeError::Config(format!("reading client key: {e}")))?
                .ok_or_else(|| KubeError::Config("no private key in client-key".into()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| KubeError::Config(format!("client certificate: {e}")))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// `insecure-skip-tls-verify: true`: accept any server certificate, as kubectl does.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
