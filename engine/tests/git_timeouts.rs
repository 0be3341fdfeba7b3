//! Hanging servers end in `Timeout` within the configured bound. A separate
//! test binary: libgit2's socket timeouts are process-wide, set by the first
//! `GitCache` of the process.

use std::time::{Duration, Instant};

use porch_engine::git::{Credentials, GitCache, GitError, GitOptions, RepoSpec};
use porch_testkit::git::HangingServer;

#[test]
fn hanging_listener_times_out_within_the_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let timeout = Duration::from_secs(2);
    let cache = GitCache::new(tmp.path().to_path_buf(), GitOptions { timeout });
    let hang = HangingServer::start();
    for url in [
        format!("http://127.0.0.1:{}/git/r.git", hang.port),
        format!("git://127.0.0.1:{}/r.git", hang.port),
    ] {
        let repo = cache
            .open(&RepoSpec {
                url: url.clone(),
                branch: "main".into(),
                directory: String::new(),
                create_branch: false,
                credentials: Credentials::Bearer("t".into()),
            })
            .unwrap();
        for op in ["fetch", "ls-remote"] {
            let t = Instant::now();
            let r = if op == "fetch" {
                repo.fetch()
            } else {
                repo.ls_remote().map(|_| ())
            };
            let took = t.elapsed();
            eprintln!("{url} {op}: {r:?} after {took:?}");
            let e = r.unwrap_err();
            assert!(matches!(e, GitError::Timeout(_)), "{url} {op}: {e:?}");
            assert!(took >= timeout - Duration::from_millis(100), "{took:?}");
            assert!(
                took < timeout + Duration::from_secs(2),
                "{url} {op}: {took:?}"
            );
        }
    }
}
