//! The runner of Porch-style CLI cases (format in `shared/spec/testing.md`
//! §4: ordered commands with expected stdout/stderr/exit code) against a
//! live porch-server and real git servers on 127.0.0.1.
//!
//! Each case gets its own server, its own git repositories (`test-blueprints`
//! from the bundle, an initialised `porch-test`) behind lighttpd, its own
//! namespace (the case name) and its own scratch directory in place of
//! `/tmp/porch-e2e`. The gitea URL of the configs is mapped to the local git
//! server and back in outputs. `kpt fn eval search-replace` (kpt is not
//! installed) is emulated by editing the Kptfile the same way.

// Each test crate uses part of the harness.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use porch_testkit::git::{self as g, GitHttpServer, HttpAuth};
use porch_testkit::kubectl::Kubectl;
use porch_testkit::server::Server;
use serde::Deserialize;
use serde_json::Value;

const GITEA: &str = "http://gitea.gitea.svc.cluster.local:3000/nephio";
const E2E_TMP: &str = "/tmp/porch-e2e";
const PORCHCTL: &str = env!("CARGO_BIN_EXE_porchctl");

/// The shared CLI test data (read in place, never copied).
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/porch/cli")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    #[serde(default)]
    skip: String,
    #[serde(default)]
    commands: Vec<Cmd>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cmd {
    args: Vec<String>,
    #[serde(default)]
    stdin: String,
    #[serde(default)]
    stdout: String,
    #[serde(default)]
    stderr: String,
    #[serde(default)]
    exit_code: i32,
    #[serde(default)]
    yaml: bool,
    #[serde(default)]
    ignore_whitespace: bool,
    #[serde(default)]
    std_err_tab_to_whitespace: bool,
    #[serde(default)]
    contains_error_string: bool,
}

/// porch-server beside the porchctl test binary; built once if absent.
pub fn server_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = Path::new(PORCHCTL)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let bin = dir.join("porch-server");
        if !bin.exists() {
            let st = Command::new(env!("CARGO"))
                .args(["build", "-p", "porch-server", "--bin", "porch-server"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .unwrap_or_else(|e| panic!("cargo build porch-server: {e}"));
            assert!(st.success(), "building porch-server failed");
        }
        bin
    })
    .clone()
}

/// The git side of one case: repositories and the HTTP server in front of them.
struct Git {
    http: GitHttpServer,
    _dir: tempfile::TempDir,
}

fn start_git() -> Git {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repos = dir.path().join("repos");
    g::bare_from_bundle(&g::blueprints_bundle(), &repos.join("test-blueprints.git"));
    // porch-test: like gitea's auto-initialised repository, one commit on main.
    let bare = repos.join("porch-test");
    g::empty_bare(&bare);
    let work = dir.path().join("init");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    g::git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("README.md"), "# porch-test\n").unwrap_or_else(|e| panic!("{e}"));
    g::git(&work, &["add", "README.md"]);
    g::git_env(
        &work,
        &["commit", "-q", "-m", "Initial commit"],
        &[
            ("GIT_AUTHOR_NAME", "test"),
            ("GIT_AUTHOR_EMAIL", "test@example.com"),
            ("GIT_COMMITTER_NAME", "test"),
            ("GIT_COMMITTER_EMAIL", "test@example.com"),
        ],
    );
    g::git(&work, &["push", "-q", &bare.to_string_lossy(), "main"]);
    let http = GitHttpServer::start(&repos, HttpAuth::PushOnly);
    Git { http, _dir: dir }
}

/// Output of one command.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_process(mut c: Command, stdin: &str, timeout: Duration) -> Out {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap_or_else(|e| panic!("spawning {c:?}: {e}"));
    if let Some(mut i) = child.stdin.take() {
        let text = stdin.to_string();
        std::thread::spawn(move || {
            let _ = i.write_all(text.as_bytes());
        });
    }
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("waiting: {e}"),
        }
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("collecting output: {e}"));
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Everything one case needs to map and run its commands.
struct Env {
    case: String,
    git_url: String,
    tmp: PathBuf,
    server: Server,
    kubectl: Kubectl,
}

impl Env {
    fn map_in(&self, s: &str) -> String {
        s.replace(GITEA, &self.git_url)
            .replace(E2E_TMP, &self.tmp.to_string_lossy())
    }

    fn map_out(&self, s: &str) -> String {
        s.replace(&self.git_url, GITEA)
            .replace(&*self.tmp.to_string_lossy(), E2E_TMP)
    }

    fn run(&self, cmd: &Cmd) -> Out {
        let args: Vec<String> = cmd.args.iter().map(|a| self.map_in(a)).collect();
        let stdin = self.map_in(&cmd.stdin);
        let timeout = Duration::from_secs(180);
        match args[0].as_str() {
            "porchctl" => {
                let mut c = Command::new(PORCHCTL);
                c.args(&args[1..])
                    .env("KUBECONFIG", self.server.kubeconfig())
                    .current_dir(testdata());
                run_process(c, &stdin, timeout)
            }
            "kubectl" => {
                let a: Vec<&str> = args[1..].iter().map(String::as_str).collect();
                let o = self.kubectl.run_stdin(&a, &stdin);
                Out {
                    code: o.code,
                    stdout: o.stdout,
                    stderr: o.stderr,
                }
            }
            "sh" | "sleep" => {
                // Scripts may call porchctl (this build) against this case's server.
                let bin_dir = Path::new(PORCHCTL).parent().unwrap_or(Path::new("."));
                let path = format!(
                    "{}:{}",
                    bin_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                );
                let mut c = Command::new(&args[0]);
                c.args(&args[1..])
                    .current_dir(testdata())
                    .env("PATH", path)
                    .env("KUBECONFIG", self.server.kubeconfig());
                run_process(c, &stdin, timeout)
            }
            "kpt" => kpt(&args, &cmd.stderr),
            other => panic!("{}: unsupported command {other}", self.case),
        }
    }
}

/// `kpt fn eval --image …search-replace… --match-kind Kptfile DIR -- by-path=P put-value=V`,
/// done directly on DIR/Kptfile (kpt is not installed). Reports kpt's expected stderr.
fn kpt(args: &[String], expected_stderr: &str) -> Out {
    let is_search_replace = args.iter().any(|a| a.contains("search-replace"));
    let dir = args
        .iter()
        .position(|a| a == "--match-kind")
        .and_then(|i| args.get(i + 2))
        .unwrap_or_else(|| panic!("unsupported kpt invocation {args:?}"));
    assert!(is_search_replace, "unsupported kpt invocation {args:?}");
    let kv = |k: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("kpt: missing {k} in {args:?}"))
            .to_string()
    };
    let (path, value) = (kv("by-path"), kv("put-value"));
    let file = Path::new(dir).join("Kptfile");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let mut v: Value = cad_lib::KubeObject::parse(&text)
        .and_then(|o| o.to_value().map_err(Into::into))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut cur = &mut v;
    for seg in path.split('.') {
        let (name, index) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (seg, None),
        };
        cur = &mut cur[name];
        if let Some(i) = index {
            cur = &mut cur[i];
        }
    }
    *cur = Value::String(value);
    let out = cad_lib::value::to_yaml_string(&v).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&file, out).unwrap_or_else(|e| panic!("{e}"));
    Out {
        code: 0,
        stdout: String::new(),
        stderr: expected_stderr.to_string(),
    }
}

/// Parse YAML, drop `resourceVersion`/`creationTimestamp` anywhere (the runner's rule).
fn yaml_value(s: &str) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("resourceVersion");
                m.remove("creationTimestamp");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    if s.trim().is_empty() {
        return Value::Null;
    }
    let mut v: Value = cad_lib::KubeObject::parse(s)
        .map_err(|e| e.to_string())
        .and_then(|o| o.to_value().map_err(|e| e.to_string()))
        .unwrap_or_else(|e| Value::String(format!("unparsable YAML ({e}):\n{s}")));
    strip(&mut v);
    v
}

/// First line kept, the rest sorted (server list order is not part of the contract).
fn sort_lines(s: &str) -> String {
    let mut lines: Vec<&str> = s.lines().collect();
    if lines.len() > 2 {
        lines[1..].sort_unstable();
    }
    lines.join("\n")
}

fn squash(s: &str) -> String {
    s.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Porch returns 500 "Internal error occurred: …"; porch-rs a 4xx with the same text (spec §12a).
fn drop_internal(s: &str) -> String {
    s.replace("Internal error occurred: ", "")
}

fn clean_stderr(s: &str) -> String {
    s.lines()
        .filter(|l| !l.contains("[PASS]"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn wait_ready(k: &Kubectl, ns: &str, name: &str) {
    let out = k.run(&[
        "wait",
        "-n",
        ns,
        "--for=condition=Ready",
        &format!("repository/{name}"),
        "--timeout=90s",
    ]);
    assert_eq!(out.code, 0, "repository {name} not Ready: {}", out.stderr);
}

/// Run `<testdata>/<case>/config.yaml`.
pub fn run_case(case: &str) {
    let dir = testdata().join(case);
    let text = std::fs::read_to_string(dir.join("config.yaml"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    run_config(case, &text);
}

/// Run a case given as config text; `case` is also the namespace.
pub fn run_config(case: &str, text: &str) {
    let config: Config = serde_norway::from_str(text).unwrap_or_else(|e| panic!("{case}: {e}"));
    if !config.skip.is_empty() {
        eprintln!("{case}: skipped ({})", config.skip);
        return;
    }
    let git = start_git();
    let server = Server::start(
        &server_bin().to_string_lossy(),
        &["--repo-sync-interval", "500ms"],
    );
    let kubectl = Kubectl::new(32, &server.kubeconfig());
    kubectl.run(&["create", "namespace", case]).ok();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env = Env {
        case: case.to_string(),
        git_url: git.http.url.clone(),
        tmp: tmp.path().join("porch-e2e"),
        server,
        kubectl,
    };
    std::fs::create_dir_all(&env.tmp).unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for (i, cmd) in config.commands.iter().enumerate() {
        let out = env.run(cmd);
        let label = format!("{case} #{i}: {}", cmd.args.join(" "));
        let is_porchctl = cmd.args[0] == "porchctl";
        if is_porchctl
            && out.code == 0
            && cmd.args.get(1).is_some_and(|a| a == "repo")
            && cmd
                .args
                .get(2)
                .is_some_and(|a| a == "register" || a == "reg")
            && let Some(name) = cmd.args.iter().find_map(|a| a.strip_prefix("--name="))
        {
            let ns = cmd
                .args
                .iter()
                .find_map(|a| a.strip_prefix("--namespace="))
                .unwrap_or("default");
            wait_ready(&env.kubectl, ns, name);
        }
        let mut stdout = env.map_out(&out.stdout);
        let mut want_out = cmd.stdout.clone();
        let mut stderr = clean_stderr(&env.map_out(&out.stderr));
        let mut want_err = cmd.stderr.clone();
        if cmd.std_err_tab_to_whitespace {
            stderr = stderr.replace('\t', "  ");
        }
        // Porch's 500s become 4xx with the same text (spec §12a): compare the message only.
        let substring = want_err.contains("Internal error occurred: ");
        if substring {
            want_err = drop_internal(&want_err)
                .trim_start_matches("Error: ")
                .trim_end()
                .to_string();
            stderr = drop_internal(&stderr);
        }
        if !is_porchctl {
            stdout = stdout.trim_end().to_string();
            want_out = want_out.trim_end().to_string();
        }
        let stdout_ok = if cmd.yaml {
            yaml_value(&stdout) == yaml_value(&want_out)
        } else if cmd.ignore_whitespace {
            sort_lines(&squash(&stdout)) == sort_lines(&squash(&want_out))
        } else {
            sort_lines(&stdout) == sort_lines(&want_out)
        };
        let stderr_ok = if cmd.contains_error_string || substring {
            stderr.contains(want_err.trim_end())
        } else if cmd.ignore_whitespace {
            squash(&stderr) == squash(&want_err)
        } else {
            stderr == want_err
        };
        if out.code != cmd.exit_code || !stdout_ok || !stderr_ok {
            failures.push(format!(
                "{label}\n  exit {} (want {})\n  stdout:\n{}\n  want stdout:\n{}\n  stderr:\n{}\n  want stderr:\n{}",
                out.code, cmd.exit_code, stdout, want_out, stderr, want_err
            ));
            // Later steps depend on earlier ones; stop at the first failure.
            break;
        }
    }
    drop(git);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
