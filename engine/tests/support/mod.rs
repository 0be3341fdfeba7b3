//! Test fixtures: a real etcd server on 127.0.0.1, owned by the test.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A single-member etcd started for one test, with its own data dir and
/// free ports. Killed (by the PID we started) when dropped.
pub struct EtcdServer {
    child: Child,
    pub endpoint: String,
    dir: tempfile::TempDir,
}

fn etcd_binary() -> PathBuf {
    let path = std::env::var_os("ETCD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/etcd"));
    assert!(
        path.exists(),
        "etcd binary not found at {}: install Debian's etcd-server (hack/test does) or set ETCD_BIN",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding a free port")
        .port()
}

impl EtcdServer {
    /// Starts etcd and returns once it serves requests (probed, not slept).
    pub async fn start() -> Self {
        let bin = etcd_binary();
        let mut last_log = String::new();
        // A port found free may be taken before etcd binds it: retry.
        for _attempt in 0..3 {
            let dir = tempfile::tempdir().expect("temp dir");
            let (client, peer) = (free_port(), free_port());
            let endpoint = format!("http://127.0.0.1:{client}");
            let peer_url = format!("http://127.0.0.1:{peer}");
            let log = std::fs::File::create(dir.path().join("etcd.log")).expect("log file");
            let child = Command::new(&bin)
                .arg("--name=test")
                .arg(format!("--data-dir={}", dir.path().join("data").display()))
                .arg(format!("--listen-client-urls={endpoint}"))
                .arg(format!("--advertise-client-urls={endpoint}"))
                .arg(format!("--listen-peer-urls={peer_url}"))
                .arg(format!("--initial-advertise-peer-urls={peer_url}"))
                .arg(format!("--initial-cluster=test={peer_url}"))
                .arg("--initial-cluster-state=new")
                .arg("--logger=zap")
                .arg("--log-outputs=stderr")
                .arg("--log-level=warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            let mut server = EtcdServer {
                child,
                endpoint,
                dir,
            };
            if server.wait_ready(Duration::from_secs(30)).await {
                return server;
            }
            last_log = server.log();
        }
        panic!("etcd did not become ready; last log:\n{last_log}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("etcd.log")).unwrap_or_default()
    }

    async fn wait_ready(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_status)) = self.child.try_wait() {
                return false;
            }
            let probe = async {
                let opts = etcd_client::ConnectOptions::new()
                    .with_connect_timeout(Duration::from_millis(500));
                let mut client =
                    etcd_client::Client::connect([self.endpoint.as_str()], Some(opts)).await?;
                client.get("health-probe", None).await
            };
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(1), probe).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to exactly the process we spawned.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
