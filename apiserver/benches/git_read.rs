//! Git read path at the scale: 100 local bare repositories × 20
//! packages × 5 published revisions (10,000 published revisions, plus the
//! branch placeholders). Prints start-to-all-Ready (cold and warm cache), list
//! all (JSON, Table), list one package, get, get resources, and RSS.
//! Run: `hack/bench-git-read.sh` (BENCH_REPOS / BENCH_PACKAGES / BENCH_REVISIONS override).

mod common;

use std::time::{Duration, Instant};

use common::{Bench, TABLE, ms, pct};
use porch_testkit::git::synthetic_repo;
use porch_testkit::server::Server;
use serde_json::{Value, json};

const PRS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";
const REPOS: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn all_ready(b: &Bench, repos: usize, expected_revisions: usize) -> Duration {
    let start = Instant::now();
    loop {
        let (_, body) = b
            .call("GET", REPOS, "application/json", "application/json", vec![])
            .await;
        let list: Value = serde_json::from_slice(&body).unwrap_or_default();
        let ready = list["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|r| r["status"]["conditions"][0]["status"] == "True")
                    .count()
            })
            .unwrap_or(0);
        if ready == repos {
            let (_, body) = b
                .call(
                    "GET",
                    &format!("{PRS}?limit=1"),
                    "application/json",
                    "application/json",
                    vec![],
                )
                .await;
            let page: Value = serde_json::from_slice(&body).unwrap_or_default();
            let total = page["metadata"]["remainingItemCount"].as_u64().unwrap_or(0) as usize + 1;
            if total >= expected_revisions {
                return start.elapsed();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "repositories not ready after 10 minutes ({ready}/{repos})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let repos = env("BENCH_REPOS", 100);
    let packages = env("BENCH_PACKAGES", 20);
    let revisions = env("BENCH_REVISIONS", 5);
    let expected = repos * packages * (revisions + 1);
    let work = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    for i in 0..repos {
        synthetic_repo(
            &work.path().join(format!("repo-{i:03}.git")),
            packages,
            revisions,
            i,
        );
    }
    println!(
        "porch-rs git read benchmark: {repos} local bare repositories × {packages} packages × {revisions} published revisions ({} published, {expected} revisions with placeholders); repositories made in {:.1} s",
        repos * packages * revisions,
        t.elapsed().as_secs_f64()
    );
    let mut server = Server::start(
        env!("CARGO_BIN_EXE_porch-server"),
        &["--repo-sync-interval", "10s"],
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let b = Bench::of(&server);
        let t0 = Instant::now();
        for i in 0..repos {
            let repo = json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository", "metadata": {"name": format!("repo-{i:03}")},
                "spec": {"type": "git", "git": {"repo": work.path().join(format!("repo-{i:03}.git")).to_string_lossy()}}});
            let (code, body) = b.call("POST", REPOS, "application/json", "application/json", repo.to_string().into_bytes()).await;
            assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
        }
        all_ready(&b, repos, expected).await;
        let cold = t0.elapsed();
        println!("cold start  all {repos} repositories Ready with {expected} revisions listed in {:.2} s (from registration)", cold.as_secs_f64());
    });
    println!(
        "RSS         {} MiB after cold start",
        server.rss_kib().unwrap_or(0) / 1024
    );
    let t = Instant::now();
    server.restart();
    rt.block_on(async {
        let b = Bench::of(&server);
        let warm = all_ready(&b, repos, expected).await;
        println!("warm start  restart to all Ready and listed in {:.2} s (process start included: {:.2} s)", warm.as_secs_f64(), t.elapsed().as_secs_f64());
        // Let the restart's re-sync finish before measuring reads.
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!("RSS         {} MiB after the warm start", server.rss_kib().unwrap_or(0) / 1024);
        for (label, accept) in [("list JSON ", "application/json"), ("list Table", TABLE)] {
            let (mut s, size) = b.sample(30, PRS, accept).await;
            println!("{label}  p50 {}  p99 {}  ({} KiB, unpaged)", ms(pct(&mut s, 0.5)), ms(pct(&mut s, 0.99)), size / 1024);
        }
        let r = format!("repo-{:03}", repos / 2);
        let p = format!("pkg-{:02}", packages / 2);
        let one = format!("{PRS}?fieldSelector=spec.repository%3D{r},spec.packageName%3Dpkgs%2F{p}");
        let (mut s, size) = b.sample(300, &one, "application/json").await;
        println!("list one package  p50 {}  p99 {}  ({} bytes)", ms(pct(&mut s, 0.5)), ms(pct(&mut s, 0.99)), size);
        let (mut s, _) = b.sample(1000, &format!("{PRS}/{r}.pkgs.{p}.v{revisions}"), "application/json").await;
        println!("get         p50 {}  p99 {}", ms(pct(&mut s, 0.5)), ms(pct(&mut s, 0.99)));
        let (mut s, _) = b.sample(300, &format!("/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisionresources/{r}.pkgs.{p}.v{revisions}"), "application/json").await;
        println!("get resources p50 {}  p99 {}", ms(pct(&mut s, 0.5)), ms(pct(&mut s, 0.99)));
    });
    println!(
        "RSS         {} MiB after the reads",
        server.rss_kib().unwrap_or(0) / 1024
    );
}
