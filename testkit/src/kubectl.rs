//! The real kubectl: a fixed client version from beside the dispatcher, a
//! fresh discovery cache per instance.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Result of one kubectl run.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics with the output when the command failed.
    pub fn ok(self) -> Output {
        assert_eq!(
            self.code, 0,
            "kubectl failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics when the command succeeded; returns stderr.
    pub fn fails(self) -> String {
        assert_ne!(
            self.code, 0,
            "kubectl unexpectedly succeeded:\nstdout: {}",
            self.stdout
        );
        self.stderr
    }
}

/// A kubectl of one version against one kubeconfig.
pub struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    cache: tempfile::TempDir,
}

/// Folder of the kubectl dispatcher, where `kubectl.1.NN` live.
pub fn kubectl_dir() -> PathBuf {
    let which = Command::new("sh")
        .args(["-c", "readlink -f \"$(command -v kubectl)\""])
        .output();
    let path = which
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    Path::new(&path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/google-cloud-sdk/bin"))
}

impl Kubectl {
    /// `kubectl.1.<minor>` from beside the dispatcher.
    pub fn new(minor: u32, kubeconfig: &Path) -> Kubectl {
        let bin = kubectl_dir().join(format!("kubectl.1.{minor}"));
        assert!(bin.exists(), "{} is missing", bin.display());
        Kubectl {
            bin,
            kubeconfig: kubeconfig.to_path_buf(),
            cache: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.cache.path())
            .args(args);
        c.env_remove("KUBECONFIG");
        c
    }

    /// Run with arguments.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_stdin(args, "")
    }

    /// Run with `stdin` piped in (e.g. `apply -f -`).
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Output {
        self.run_env(args, stdin, &[])
    }

    /// Run with extra environment variables.
    pub fn run_env(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut c = self.command(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap_or_else(|e| panic!("running kubectl: {e}"));
        if let Some(mut s) = child.stdin.take() {
            let _ = s.write_all(stdin.as_bytes());
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("waiting for kubectl: {e}"));
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Start a long-running kubectl (e.g. `get -w`), output to files.
    pub fn spawn(&self, args: &[&str]) -> Background {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let out = dir.path().join("stdout");
        let err = dir.path().join("stderr");
        let mut c = self.command(args);
        c.stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap_or_else(|e| panic!("{e}")))
            .stderr(std::fs::File::create(&err).unwrap_or_else(|e| panic!("{e}")));
        let child = c.spawn().unwrap_or_else(|e| panic!("running kubectl: {e}"));
        Background {
            child,
            out,
            err,
            _dir: dir,
        }
    }
}

/// A kubectl running in the background; killed on drop.
pub struct Background {
    pub child: std::process::Child,
    out: PathBuf,
    err: PathBuf,
    _dir: tempfile::TempDir,
}

impl Background {
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }
    /// Wait for exit, at most `timeout`; the exit code if it exited.
    pub fn wait(&mut self, timeout: std::time::Duration) -> Option<i32> {
        let start = std::time::Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s.code().unwrap_or(-1));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
