//! The real porch-server binary in standalone mode, with its own data
//! directory, and raw HTTPS requests to it (curl) where exact codes matter.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running porch-server; killed on drop.
pub struct Server {
    bin: PathBuf,
    args: Vec<String>,
    pub dir: tempfile::TempDir,
    pub url: String,
    child: Option<Child>,
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Response {
    pub code: u16,
    pub body: String,
    pub headers: String,
}

impl Server {
    /// Start `bin` (the porch-server binary) on a free port with extra flags.
    pub fn start(bin: &str, extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let mut s = Server {
            bin: PathBuf::from(bin),
            args: extra.iter().map(|a| a.to_string()).collect(),
            dir,
            url: String::new(),
            child: None,
        };
        s.launch(0);
        s
    }

    fn launch(&mut self, port: u16) {
        let mut child = Command::new(&self.bin)
            .arg("--data-dir")
            .arg(self.dir.path())
            .args([
                "--bind-address",
                "127.0.0.1",
                "--secure-port",
                &port.to_string(),
            ])
            .args(&self.args)
            .env(
                "PORCH_LOG",
                std::env::var("PORCH_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.bin.display()));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("porch-server listening on ") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("porch-server did not start within 60 s");
            }
        };
        self.url = url;
        self.child = Some(child);
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    pub fn token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pki/admin.token"))
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("pki/ca.crt")
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// The server's process id (for RSS readings).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Resident set size of the server in KiB, from /proc.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// kill -9 the server.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// kill -9, then start again on the same data directory and port.
    pub fn restart(&mut self) {
        let port = self.port();
        self.kill();
        self.launch(port);
    }

    /// A raw request with the admin token; `body` from a file when given.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Response {
        self.request_as(Some(&self.token()), method, path, content_type, body, &[])
    }

    /// A raw request with an explicit token (None: no credentials) and extra headers.
    pub fn request_as(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<&[u8]>,
        headers: &[&str],
    ) -> Response {
        let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let head = scratch.path().join("headers");
        let mut c = Command::new("curl");
        c.args(["-sS", "--max-time", "60", "-X", method, "--cacert"])
            .arg(self.ca());
        c.arg("-D")
            .arg(&head)
            .args(["-o", "-", "-w", "\n%{http_code}"]);
        if let Some(t) = token {
            c.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        if let Some(ct) = content_type {
            c.args(["-H", &format!("Content-Type: {ct}")]);
        }
        for h in headers {
            c.args(["-H", h]);
        }
        if let Some(b) = body {
            let file = scratch.path().join("body");
            std::fs::write(&file, b).unwrap_or_else(|e| panic!("{e}"));
            c.arg("--data-binary").arg(format!("@{}", file.display()));
        }
        c.arg(format!("{}{}", self.url, path));
        let out = c.output().unwrap_or_else(|e| panic!("running curl: {e}"));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", text.as_str()));
        Response {
            code: code.trim().parse().unwrap_or(0),
            body: body.to_string(),
            headers: std::fs::read_to_string(&head).unwrap_or_default(),
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
