//! porchctl's kubeconfig handling against a live porch-server: CA file
//! relative to the kubeconfig, token files, insecure-skip-tls-verify,
//! `--context` and the context namespace, and the errors for a wrong CA or
//! a missing context.

mod common;

use std::path::Path;
use std::process::Command;

use porch_testkit::server::Server;

fn porchctl(kubeconfig: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_porchctl"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn kubeconfig_variants() {
    let s = Server::start(&common::server_bin().to_string_lossy(), &[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(s.ca(), dir.path().join("ca.crt")).unwrap();
    std::fs::write(dir.path().join("token"), format!("{}\n", s.token())).unwrap();
    let kc = dir.path().join("config");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: good\n  cluster:\n    server: {url}\n    certificate-authority: ca.crt\n- name: insecure\n  cluster:\n    server: {url}\n    insecure-skip-tls-verify: true\n- name: wrongca\n  cluster:\n    server: {url}\nusers:\n- name: file\n  user:\n    tokenFile: token\n- name: tok\n  user:\n    token: {tok}\n- name: cert\n  user:\n    client-certificate: {crt}\n    client-key: {key}\n- name: plugin\n  user:\n    exec:\n      command: some-helper\ncontexts:\n- name: a\n  context:\n    cluster: good\n    user: file\n    namespace: ns-a\n- name: b\n  context:\n    cluster: insecure\n    user: tok\n- name: c\n  context:\n    cluster: wrongca\n    user: tok\n- name: d\n  context:\n    cluster: good\n    user: cert\n- name: e\n  context:\n    cluster: good\n    user: plugin\ncurrent-context: a\n",
            url = s.url,
            tok = s.token(),
            crt = s.data_dir().join("pki/tls.crt").display(),
            key = s.data_dir().join("pki/tls.key").display(),
        ),
    )
    .unwrap();
    // The context namespace is used when -n is absent (the namespace does not exist: empty list).
    let (code, out, err) = porchctl(&kc, &["repo", "get", "-o", "name"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    // token-file: read relative to the kubeconfig. (kubectl spells it tokenFile.)
    let (code, _, err) = porchctl(&kc, &["rpkg", "get"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = porchctl(&kc, &["--context", "b", "repo", "get", "-A"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = porchctl(&kc, &["--context", "c", "repo", "get"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("Error: "), "{err}");
    let (code, _, err) = porchctl(&kc, &["--context", "nope", "repo", "get"]);
    assert_eq!(code, 1);
    assert!(err.contains("context \"nope\" does not exist"), "{err}");
    // A client certificate is presented (this server does not map it to a user:
    // the request fails on the server side, not while building TLS).
    let (code, _, err) = porchctl(&kc, &["--context", "d", "repo", "get"]);
    assert!(code == 0 || !err.contains("client certificate"), "{err}");
    let (code, _, err) = porchctl(&kc, &["--context", "e", "repo", "get"]);
    assert_eq!(code, 1);
    assert!(err.contains("credential plugin"), "{err}");
    // --request-timeout bounds a server that accepts and never answers.
    let hang = porch_testkit::git::HangingServer::start();
    let hk = dir.path().join("hang");
    std::fs::write(
        &hk,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: h\n  cluster:\n    server: https://127.0.0.1:{}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: h\n  context:\n    cluster: h\ncurrent-context: h\n",
            hang.port
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (code, _, err) = porchctl(&hk, &["rpkg", "get", "--request-timeout=1s"]);
    assert_eq!(code, 1);
    assert!(err.contains("no answer within"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let (code, _, err) = porchctl(&dir.path().join("missing"), &["repo", "get"]);
    assert_eq!(code, 1);
    assert!(err.contains("reading kubeconfig"), "{err}");
}
