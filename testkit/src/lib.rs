//! Fixtures for integration tests and benchmarks: the real porch-server
//! binary, a real etcd, and the real kubectl, all on 127.0.0.1, each with its
//! own scratch directory, stopped by the PID they started.

pub mod etcd;
pub mod git;
pub mod kubectl;
pub mod server;

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A free loopback port (bound and released; good enough for fixtures).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}

/// Poll `check` until it holds or `timeout` passes; panics with `what` on timeout.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
