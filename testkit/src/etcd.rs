//! A real etcd (Debian's etcd-server) on free loopback ports.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running etcd; killed on drop.
pub struct Etcd {
    pub endpoint: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Etcd {
    /// Start etcd; panics with an install hint when the binary is missing.
    pub fn start() -> Etcd {
        let bin = ["/usr/bin/etcd", "/usr/local/bin/etcd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or_else(|| {
                panic!("etcd is not installed: run `apt-get install etcd-server` (hack/test does)")
            });
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let client = super::free_port();
        let peer = super::free_port();
        let endpoint = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new(bin)
            .args(["--name", "porch-test", "--data-dir"])
            .arg(dir.path().join("etcd"))
            .args([
                "--listen-client-urls",
                &endpoint,
                "--advertise-client-urls",
                &endpoint,
            ])
            .args([
                "--listen-peer-urls",
                &peer_url,
                "--initial-advertise-peer-urls",
                &peer_url,
            ])
            .args(["--initial-cluster", &format!("porch-test={peer_url}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting etcd: {e}"));
        let etcd = Etcd {
            endpoint,
            child,
            _dir: dir,
        };
        super::wait_until("etcd to listen", Duration::from_secs(30), || {
            TcpStream::connect(("127.0.0.1", client)).is_ok()
        });
        etcd
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
