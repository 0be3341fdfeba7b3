//! Real git servers on 127.0.0.1 for the git read path: `git http-backend`
//! behind lighttpd with basic auth, `git daemon`, and misbehaving listeners
//! (one that accepts and never answers, one that records request headers).
//! Each server has its own scratch directory and free port and is stopped by
//! the PID it started, on drop. Needs `git` and `lighttpd` (Debian packages
//! `git`, `lighttpd`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// User and password the HTTP server accepts.
pub const HTTP_USER: &str = "nephio";
pub const HTTP_PASSWORD: &str = "secret";

/// Run `git -C dir args…`; panics with stderr on failure; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_env(dir, args, &[])
}

/// [`git`] with extra environment variables (e.g. author dates).
pub fn git_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running git (apt-get install git): {e}"));
    if !out.status.success() {
        panic!(
            "git {args:?} in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Porch's test blueprints bundle in the shared test data.
pub fn blueprints_bundle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/porch/test-blueprints.bundle")
}

/// `git clone --bare <bundle> <dest>`: branches and tags, no stale remote refs.
pub fn bare_from_bundle(bundle: &Path, dest: &Path) {
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    git(
        parent,
        &[
            "clone",
            "-q",
            "--bare",
            &bundle.to_string_lossy(),
            &dest.to_string_lossy(),
        ],
    );
}

/// An empty bare repository with `main` as HEAD, accepting pushes over HTTP.
pub fn empty_bare(dest: &Path) {
    std::fs::create_dir_all(dest).unwrap_or_else(|e| panic!("mkdir {}: {e}", dest.display()));
    git(dest, &["init", "-q", "--bare", "-b", "main"]);
    git(dest, &["config", "http.receivepack", "true"]);
}

/// Who must authenticate to the HTTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpAuth {
    /// Anonymous fetch, basic auth for push (the recipe in dependencies.md).
    PushOnly,
    /// Basic auth for everything.
    All,
}

/// lighttpd + `git http-backend` serving `<repos>/<name>` at `{url}/<name>`.
pub struct GitHttpServer {
    /// `http://127.0.0.1:<port>/git`
    pub url: String,
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl GitHttpServer {
    /// Serve the bare repositories under `repos`.
    pub fn start(repos: &Path, auth: HttpAuth) -> GitHttpServer {
        let bin = ["/usr/sbin/lighttpd", "/usr/bin/lighttpd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or_else(|| {
                panic!("lighttpd is not installed: run `apt-get install -y lighttpd`")
            });
        let backend = String::from_utf8_lossy(
            &Command::new("git")
                .arg("--exec-path")
                .output()
                .unwrap_or_else(|e| panic!("git --exec-path: {e}"))
                .stdout,
        )
        .trim()
        .to_string()
            + "/git-http-backend";
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let d = dir.path();
        std::fs::create_dir_all(d.join("www")).unwrap_or_else(|e| panic!("mkdir: {e}"));
        std::fs::write(d.join("users"), format!("{HTTP_USER}:{HTTP_PASSWORD}\n"))
            .unwrap_or_else(|e| panic!("users file: {e}"));
        let port = super::free_port();
        let require = r#"auth.require = ( "/" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )"#;
        let auth_conf = match auth {
            HttpAuth::All => format!("$HTTP[\"url\"] =~ \"^/git\" {{\n  {require}\n}}\n"),
            HttpAuth::PushOnly => format!(
                "$HTTP[\"querystring\"] =~ \"service=git-receive-pack\" {{\n  {require}\n}}\n\
                 $HTTP[\"url\"] =~ \"/git-receive-pack$\" {{\n  {require}\n}}\n"
            ),
        };
        let conf = format!(
            r#"server.modules = ("mod_alias", "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv")
server.port = {port}
server.bind = "127.0.0.1"
server.document-root = "{www}"
server.errorlog = "{dir}/error.log"
alias.url = ( "/git" => "{backend}" )
$HTTP["url"] =~ "^/git" {{
  cgi.assign = ( "" => "" )
  setenv.add-environment = ( "GIT_PROJECT_ROOT" => "{repos}", "GIT_HTTP_EXPORT_ALL" => "" )
}}
auth.backend = "plain"
auth.backend.plain.userfile = "{dir}/users"
{auth_conf}"#,
            www = d.join("www").display(),
            dir = d.display(),
            repos = repos.display(),
        );
        std::fs::write(d.join("lighttpd.conf"), conf)
            .unwrap_or_else(|e| panic!("lighttpd.conf: {e}"));
        // -D: stay in the foreground, so the child's PID is lighttpd's.
        let child = Command::new(bin)
            .arg("-D")
            .arg("-f")
            .arg(d.join("lighttpd.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting lighttpd: {e}"));
        let server = GitHttpServer {
            url: format!("http://127.0.0.1:{port}/git"),
            port,
            child,
            _dir: dir,
        };
        super::wait_until("lighttpd to listen", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        server
    }

    /// `http://nephio:secret@127.0.0.1:<port>/git`, for pushes with the git CLI.
    pub fn authed_url(&self) -> String {
        format!(
            "http://{HTTP_USER}:{HTTP_PASSWORD}@127.0.0.1:{}/git",
            self.port
        )
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `git daemon` (git://, no auth, push enabled) serving `<repos>/<name>`.
pub struct GitDaemon {
    /// `git://127.0.0.1:<port>`
    pub url: String,
    child: Child,
}

impl GitDaemon {
    pub fn start(repos: &Path) -> GitDaemon {
        let port = super::free_port();
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg(format!("--base-path={}", repos.display()))
            .args([
                "--export-all",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting git daemon: {e}"));
        let d = GitDaemon {
            url: format!("git://127.0.0.1:{port}"),
            child,
        };
        super::wait_until("git daemon to listen", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        d
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A 127.0.0.1 listener that accepts connections and never answers.
pub struct HangingServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HangingServer {
    pub fn start() -> HangingServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    held.push(c);
                }
            }
        });
        HangingServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for HangingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    super::free_port()
}

/// An HTTP listener that records each request head and answers 401, to check
/// which headers a client sends.
pub struct HeaderProbe {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HeaderProbe {
    pub fn start() -> HeaderProbe {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (stop.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut c) = conn else { continue };
                let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                if let Ok(mut v) = r.lock() {
                    v.push(String::from_utf8_lossy(&buf).into_owned());
                }
                let _ = c.write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"probe\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        HeaderProbe {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The request heads received so far.
    pub fn seen(&self) -> Vec<String> {
        self.requests.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Drop for HeaderProbe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A bare repository at `dest` with `packages` packages under `pkgs/`, each
/// published `revisions` times: one commit on `main` per revision and a
/// lightweight tag `pkgs/<pkg>/v<N>` on it (Porch's layout, no trailers).
/// Built with `git fast-import`, so 100 repositories take a few seconds.
/// `seed` varies the content between repositories.
pub fn synthetic_repo(dest: &Path, packages: usize, revisions: usize, seed: usize) {
    empty_bare(dest);
    let mut s = String::new();
    let mut mark = 0usize;
    let mut prev: Option<usize> = None;
    let mut time = 1_700_000_000u64 + seed as u64;
    for rev in 1..=revisions {
        for p in 0..packages {
            let pkg = format!("pkg-{p:02}");
            let files = [
                (
                    "Kptfile",
                    format!(
                        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {pkg}\n  labels:\n    seed: \"{seed}\"\n    revision: \"{rev}\"\ninfo:\n  description: {pkg} of repository {seed}\n"
                    ),
                ),
                (
                    "configmap.yaml",
                    format!(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {pkg}\ndata:\n  revision: \"{rev}\"\n  seed: \"{seed}\"\n"
                    ),
                ),
                (
                    "namespace.yaml",
                    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {pkg}-{seed}\n"),
                ),
                ("README.md", format!("# {pkg}\n\nRevision {rev}.\n")),
            ];
            let mut blob_marks = Vec::new();
            for (name, content) in &files {
                mark += 1;
                s.push_str(&format!(
                    "blob\nmark :{mark}\ndata {}\n{content}\n",
                    content.len()
                ));
                blob_marks.push((*name, mark));
            }
            mark += 1;
            let commit = mark;
            time += 60;
            let msg = format!("Publish {pkg} v{rev}");
            s.push_str(&format!(
                "commit refs/heads/main\nmark :{commit}\nauthor Bench <bench@example.com> {time} +0000\ncommitter Bench <bench@example.com> {time} +0000\ndata {}\n{msg}\n",
                msg.len()
            ));
            if let Some(p) = prev {
                s.push_str(&format!("from :{p}\n"));
            }
            for (name, m) in blob_marks {
                s.push_str(&format!("M 100644 :{m} pkgs/{pkg}/{name}\n"));
            }
            s.push_str(&format!(
                "\nreset refs/tags/pkgs/{pkg}/v{rev}\nfrom :{commit}\n\n"
            ));
            prev = Some(commit);
        }
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dest)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("git fast-import: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(s.as_bytes())
            .unwrap_or_else(|e| panic!("feeding git fast-import: {e}"));
    }
    let status = child
        .wait()
        .unwrap_or_else(|e| panic!("git fast-import: {e}"));
    assert!(
        status.success(),
        "git fast-import failed for {}",
        dest.display()
    );
    // As a git server keeps them after gc: fast-import leaves one loose file
    // per tag and no commit-graph.
    git(dest, &["pack-refs", "--all"]);
    git(dest, &["commit-graph", "write", "--reachable"]);
}

/// Porch's `porch-test`: a bare repository whose `main` has one README commit.
pub fn porch_test_repo(dest: &Path) {
    empty_bare(dest);
    let env = [
        ("GIT_AUTHOR_NAME", "test"),
        ("GIT_AUTHOR_EMAIL", "test@example.com"),
        ("GIT_COMMITTER_NAME", "test"),
        ("GIT_COMMITTER_EMAIL", "test@example.com"),
    ];
    let scratch = dest.join("README.seed");
    std::fs::write(&scratch, "# porch-test\n").unwrap_or_else(|e| panic!("{e}"));
    let blob = git(dest, &["hash-object", "-w", &scratch.to_string_lossy()]);
    let _ = std::fs::remove_file(&scratch);
    let tree = git_stdin(
        dest,
        &["mktree"],
        &format!("100644 blob {}\tREADME.md\n", blob.trim()),
    );
    let commit = git_env(
        dest,
        &["commit-tree", tree.trim(), "-m", "Initial commit"],
        &env,
    );
    git(dest, &["update-ref", "refs/heads/main", commit.trim()]);
}

/// `git` with `stdin` fed in; panics on failure.
pub fn git_stdin(dir: &Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    if let Some(mut s) = child.stdin.take() {
        let _ = s.write_all(stdin.as_bytes());
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
