//! Timing of the read path on the benchmark shape: repositories of
//! 20 packages × 5 published revisions (100 tags + 20 placeholders each),
//! local bare repositories, as the cold start of the server sees them.
//!
//! `cargo test -p porch-engine --test git_bench -- --nocapture` prints one
//! repository; `-- --ignored --nocapture` runs the 100-repository benchmark
//! (cold: fetch + discover all, then warm: fetch + discover with a new process
//! view on the same cache directories). Use `--release` for real figures.

use std::time::{Duration, Instant};

use porch_engine::git::{CachedRepo, Credentials, GitCache, GitOptions, RepoSpec};

fn spec(url: &str) -> RepoSpec {
    RepoSpec {
        url: url.to_string(),
        branch: "main".into(),
        directory: String::new(),
        create_branch: false,
        credentials: Credentials::None,
    }
}

fn opts() -> GitOptions {
    GitOptions {
        timeout: Duration::from_secs(20),
    }
}

#[test]
fn discover_one_benchmark_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = tmp.path().join("r.git");
    porch_testkit::git::synthetic_repo(&bare, 20, 5, 0);
    let cache = GitCache::new(tmp.path().join("cache"), opts());
    let repo = cache.open(&spec(bare.to_str().unwrap())).unwrap();
    let t = Instant::now();
    repo.fetch().unwrap();
    let fetch = t.elapsed();
    let t = Instant::now();
    let d = repo.discover().unwrap();
    let cold = t.elapsed();
    assert_eq!(d.revisions.len(), 120);
    let t = Instant::now();
    repo.discover().unwrap();
    let warm = t.elapsed();
    // A new cache object on the same directory: nothing memoised (a restart).
    let again = GitCache::new(tmp.path().join("cache"), opts());
    let repo2 = again.open(&spec(bare.to_str().unwrap())).unwrap();
    let t = Instant::now();
    repo2.fetch().unwrap();
    let refetch = t.elapsed();
    let t = Instant::now();
    repo2.discover().unwrap();
    let restart = t.elapsed();
    let t = Instant::now();
    for r in d.revisions.iter().take(20) {
        repo.read_package(r).unwrap();
    }
    let read = t.elapsed() / 20;
    println!(
        "one repository, 120 revisions: fetch {fetch:?} (up to date: {refetch:?}), discover cold {cold:?}, \
         memoised {warm:?}, after restart {restart:?}; read_package {read:?} each"
    );
}

fn run_all(repos: &[CachedRepo]) -> (Duration, Duration, usize) {
    let (mut fetch, mut discover, mut n) = (Duration::ZERO, Duration::ZERO, 0);
    for r in repos {
        let t = Instant::now();
        r.fetch().unwrap();
        fetch += t.elapsed();
        let t = Instant::now();
        n += r.discover().unwrap().revisions.len();
        discover += t.elapsed();
    }
    (fetch, discover, n)
}

/// 100 repositories, two threads (the machine has two cores).
#[test]
#[ignore]
fn bench_100_repositories() {
    let tmp = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let urls: Vec<String> = (0..100)
        .map(|i| {
            let p = tmp.path().join(format!("repos/r{i:03}.git"));
            porch_testkit::git::synthetic_repo(&p, 20, 5, i);
            p.to_string_lossy().into_owned()
        })
        .collect();
    println!("built 100 repositories in {:?}", t.elapsed());
    for round in ["cold", "warm"] {
        let cache = GitCache::new(tmp.path().join("cache"), opts());
        let repos: Vec<CachedRepo> = urls.iter().map(|u| cache.open(&spec(u)).unwrap()).collect();
        let t = Instant::now();
        let (a, b) = repos.split_at(50);
        let (ra, rb) = std::thread::scope(|s| {
            let ha = s.spawn(|| run_all(a));
            let hb = s.spawn(|| run_all(b));
            (ha.join().unwrap(), hb.join().unwrap())
        });
        let total = t.elapsed();
        let n = ra.2 + rb.2;
        assert_eq!(n, 100 * 120);
        println!(
            "{round}: 100 repositories, {n} revisions in {total:?} wall (2 threads); \
             per repository: fetch {:?}, discover {:?}",
            (ra.0 + rb.0) / 100,
            (ra.1 + rb.1) / 100
        );
    }
}

/// Cold discovery in a loop, for a profiler (`perf record`).
#[test]
#[ignore]
fn profile_cold_discovery() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = tmp.path().join("r.git");
    porch_testkit::git::synthetic_repo(&bare, 20, 5, 0);
    GitCache::new(tmp.path().join("cache"), opts())
        .open(&spec(bare.to_str().unwrap()))
        .unwrap()
        .fetch()
        .unwrap();
    let t = Instant::now();
    for _ in 0..100 {
        let cache = GitCache::new(tmp.path().join("cache"), opts());
        cache
            .open(&spec(bare.to_str().unwrap()))
            .unwrap()
            .discover()
            .unwrap();
    }
    println!("cold discovery: {:?} each", t.elapsed() / 100);
}

/// Cold fetches in a loop, for a profiler (`perf record`).
#[test]
#[ignore]
fn profile_cold_fetch() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = tmp.path().join("r.git");
    porch_testkit::git::synthetic_repo(&bare, 20, 5, 0);
    let t = Instant::now();
    for i in 0..20 {
        let cache = GitCache::new(tmp.path().join(format!("cache{i}")), opts());
        cache
            .open(&spec(bare.to_str().unwrap()))
            .unwrap()
            .fetch()
            .unwrap();
    }
    println!("cold fetch: {:?} each", t.elapsed() / 20);
}
