//! Standalone bootstrap: a CA, a serving certificate and an admin token made
//! on first start in the data directory and reused afterwards, and a
//! kubeconfig that points kubectl at this server.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// PEM material and credentials of a standalone server.
pub struct Credentials {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub admin_token: String,
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name))
        .ok()
        .filter(|s| !s.trim().is_empty())
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(content.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Load the credentials from `pki` or create them (SANs cover loopback and `extra_hosts`).
pub fn credentials(dir: &Path, extra_hosts: &[String]) -> anyhow::Result<Credentials> {
    let pki = dir.join("pki");
    std::fs::create_dir_all(&pki).with_context(|| format!("creating {}", pki.display()))?;
    if let (Some(ca_pem), Some(cert_pem), Some(key_pem), Some(token)) = (
        read(&pki, "ca.crt"),
        read(&pki, "tls.crt"),
        read(&pki, "tls.key"),
        read(&pki, "admin.token"),
    ) {
        return Ok(Credentials {
            ca_pem,
            cert_pem,
            key_pem,
            admin_token: token.trim().to_string(),
        });
    }
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "porch-rs-ca");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("self-signing the CA")?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut hosts = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    hosts.extend(
        extra_hosts
            .iter()
            .filter(|h| !h.is_empty() && *h != "0.0.0.0")
            .cloned(),
    );
    hosts.dedup();
    let mut params =
        CertificateParams::new(Vec::<String>::new()).context("serving certificate parameters")?;
    params.subject_alt_names = hosts
        .iter()
        .map(|h| match h.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => h.clone().try_into().map(SanType::DnsName),
        })
        .collect::<Result<_, _>>()
        .context("serving certificate names")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "porch-server");
    params.distinguished_name = dn;
    let key = KeyPair::generate().context("generating the serving key")?;
    let cert = params
        .signed_by(&key, &issuer)
        .context("signing the serving certificate")?;

    let mut token_bytes = [0u8; 24];
    rand::fill(&mut token_bytes);
    let token: String = token_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let creds = Credentials {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        admin_token: token,
    };
    write_private(&pki.join("ca.crt"), &creds.ca_pem)?;
    write_private(&pki.join("tls.crt"), &creds.cert_pem)?;
    write_private(&pki.join("tls.key"), &creds.key_pem)?;
    write_private(&pki.join("admin.token"), &creds.admin_token)?;
    Ok(creds)
}

/// Write `DIR/kubeconfig` for the admin user; returns its path.
pub fn write_kubeconfig(
    dir: &Path,
    server_url: &str,
    creds: &Credentials,
) -> anyhow::Result<PathBuf> {
    let ca = base64::engine::general_purpose::STANDARD.encode(creds.ca_pem.as_bytes());
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: porch-rs\n  cluster:\n    server: {server_url}\n    certificate-authority-data: {ca}\nusers:\n- name: admin\n  user:\n    token: {}\ncontexts:\n- name: porch-rs\n  context:\n    cluster: porch-rs\n    user: admin\n    namespace: default\ncurrent-context: porch-rs\n",
        creds.admin_token
    );
    let path = dir.join("kubeconfig");
    write_private(&path, &text)?;
    Ok(path)
}
