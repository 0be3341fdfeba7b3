//! Lifecycle latencies at the scales: one repository holding 10,
//! 1,000 and 10,000 published revisions; p50/p99 of create (init), update
//! resources (render through two builtins), propose, approve (publish to the
//! local bare remote), propose-delete and delete — and the same git work done
//! with the `git` CLI as a floor. Run: `hack/bench-lifecycle.sh`
//! (BENCH_SCALES=10,1000,10000 and BENCH_ITERATIONS=30 override).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Bench, ms, pct};
use porch_testkit::git::synthetic_repo;
use porch_testkit::server::Server;
use serde_json::{Value, json};

const NS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default";
const REPOS: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories";
const JSON: &str = "application/json";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (packages, revisions per package) for a total.
fn shape(total: usize) -> (usize, usize) {
    match total {
        0..=10 => (2, total.div_ceil(2).max(1)),
        11..=1000 => (20, total.div_ceil(20)),
        _ => (100, total.div_ceil(100)),
    }
}

struct Samples(Vec<(&'static str, Vec<Duration>)>);

impl Samples {
    fn add(&mut self, op: &'static str, d: Duration) {
        match self.0.iter_mut().find(|(o, _)| *o == op) {
            Some((_, v)) => v.push(d),
            None => self.0.push((op, vec![d])),
        }
    }
    fn p50(&mut self, op: &str) -> Duration {
        self.0
            .iter_mut()
            .find(|(o, _)| *o == op)
            .map(|(_, v)| pct(v, 0.5))
            .unwrap_or_default()
    }
    fn print(&mut self, scale: usize) {
        for (op, v) in &mut self.0 {
            println!(
                "{scale:>6} revisions  {op:<16} p50 {:>12}  p99 {:>12}",
                ms(pct(v, 0.5)),
                ms(pct(v, 0.99))
            );
        }
    }
}

async fn call(b: &Bench, method: &str, path: &str, body: &Value) -> (Duration, Value) {
    let t = Instant::now();
    let (code, out) = b
        .call(method, path, JSON, JSON, body.to_string().into_bytes())
        .await;
    let d = t.elapsed();
    assert!(
        code < 300,
        "{method} {path}: {code} {}",
        String::from_utf8_lossy(&out)
    );
    (d, serde_json::from_slice(&out).unwrap_or_default())
}

async fn get(b: &Bench, path: &str) -> Value {
    let (code, out) = b.call("GET", path, JSON, JSON, vec![]).await;
    assert_eq!(code, 200, "{path}: {}", String::from_utf8_lossy(&out));
    serde_json::from_slice(&out).unwrap_or_default()
}

const PIPELINE: &str = "pipeline:\n  mutators:\n  - image: ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1\n    configMap:\n      namespace: bench\n  - image: ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.2.0\n    configMap:\n      app: bench\n";
const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench\ndata:\n  key: value\n";

async fn run_server(dir: &Path, scale: usize, iterations: usize) -> Samples {
    let (packages, revisions) = shape(scale);
    let repo = dir.join(format!("server-{scale}.git"));
    synthetic_repo(&repo, packages, revisions, scale);
    let server = Server::start(
        env!("CARGO_BIN_EXE_porch-server"),
        &["--repo-sync-interval", "10s"],
    );
    let b = Bench::of(&server);
    let r = json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "bench"},
        "spec": {"type": "git", "git": {"repo": repo.to_string_lossy()}}});
    call(&b, "POST", REPOS, &r).await;
    let expected = packages * (revisions + 1);
    let start = Instant::now();
    loop {
        let page = get(&b, &format!("{NS}/packagerevisions?limit=1")).await;
        let total = page["metadata"]["remainingItemCount"].as_u64().unwrap_or(0) as usize
            + page["items"].as_array().map_or(0, Vec::len);
        if total >= expected {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "repository not listed after 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut s = Samples(Vec::new());
    for i in 0..iterations {
        let name = format!("bench.new-{i}.w");
        let pr = json!({"apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision", "metadata": {},
            "spec": {"repository": "bench", "packageName": format!("new-{i}"), "workspaceName": "w"}});
        s.add(
            "create (init)",
            call(&b, "POST", &format!("{NS}/packagerevisions"), &pr)
                .await
                .0,
        );
        let mut prr = get(&b, &format!("{NS}/packagerevisionresources/{name}")).await;
        let kf = prr["spec"]["resources"]["Kptfile"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        prr["spec"]["resources"]["Kptfile"] = json!(format!("{kf}{PIPELINE}"));
        prr["spec"]["resources"]["cm.yaml"] = json!(CM);
        let (d, out) = call(
            &b,
            "PUT",
            &format!("{NS}/packagerevisionresources/{name}"),
            &prr,
        )
        .await;
        assert!(
            out["spec"]["resources"]["cm.yaml"]
                .as_str()
                .unwrap_or_default()
                .contains("namespace: bench")
        );
        s.add("update+render", d);
        let mut pr = get(&b, &format!("{NS}/packagerevisions/{name}")).await;
        pr["spec"]["lifecycle"] = json!("Proposed");
        let (d, mut pr) = call(&b, "PUT", &format!("{NS}/packagerevisions/{name}"), &pr).await;
        s.add("propose", d);
        pr["spec"]["lifecycle"] = json!("Published");
        let (d, mut pr) = call(
            &b,
            "PUT",
            &format!("{NS}/packagerevisions/{name}/approval"),
            &pr,
        )
        .await;
        assert_eq!(pr["spec"]["revision"], 1);
        s.add("approve", d);
        pr["spec"]["lifecycle"] = json!("DeletionProposed");
        s.add(
            "propose-delete",
            call(
                &b,
                "PUT",
                &format!("{NS}/packagerevisions/{name}/approval"),
                &pr,
            )
            .await
            .0,
        );
        s.add(
            "delete",
            call(
                &b,
                "DELETE",
                &format!("{NS}/packagerevisions/{name}"),
                &json!({}),
            )
            .await
            .0,
        );
    }
    s
}

/// The same git work with the git CLI in a clone of an identical repository:
/// commit + push of a draft branch (create), and fetch + commit on main +
/// atomic push of branch, tag and draft deletion (approve).
fn run_floor(dir: &Path, scale: usize, iterations: usize) -> Samples {
    let (packages, revisions) = shape(scale);
    let remote = dir.join(format!("floor-{scale}.git"));
    synthetic_repo(&remote, packages, revisions, scale);
    let work = dir.join(format!("floor-{scale}-work"));
    let out = Command::new("git")
        .args(["clone", "-q"])
        .arg(&remote)
        .arg(&work)
        .output()
        .expect("git clone");
    assert!(out.status.success());
    git(&work, &["config", "user.name", "bench"]);
    git(&work, &["config", "user.email", "bench@example.com"]);
    let mut s = Samples(Vec::new());
    for i in 0..iterations {
        let pkg = format!("new-{i}");
        let t = Instant::now();
        std::fs::create_dir_all(work.join(&pkg)).expect("mkdir");
        std::fs::write(
            work.join(&pkg).join("Kptfile"),
            format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {pkg}\n"),
        )
        .expect("write");
        git(&work, &["add", &pkg]);
        git(
            &work,
            &["commit", "-q", "-m", "Creating new empty revision"],
        );
        git(
            &work,
            &[
                "push",
                "-q",
                "origin",
                &format!("HEAD:refs/heads/drafts/{pkg}/w"),
            ],
        );
        s.add("git create", t.elapsed());
        let t = Instant::now();
        git(&work, &["fetch", "-q", "origin"]);
        git(&work, &["tag", &format!("{pkg}/v1")]);
        git(
            &work,
            &[
                "push",
                "-q",
                "--atomic",
                "origin",
                "HEAD:refs/heads/main",
                &format!("refs/tags/{pkg}/v1"),
                &format!(":refs/heads/drafts/{pkg}/w"),
            ],
        );
        s.add("git approve", t.elapsed());
    }
    s
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let scales: Vec<usize> = std::env::var("BENCH_SCALES")
        .unwrap_or_else(|_| "10,1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let iterations: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "porch-rs lifecycle benchmark: {iterations} iterations per scale, one local bare repository each"
    );
    let mut approve_p50 = Vec::new();
    for &scale in &scales {
        let mut s = rt.block_on(run_server(dir.path(), scale, iterations));
        s.print(scale);
        let mut f = run_floor(dir.path(), scale, iterations);
        f.print(scale);
        let approve = s.p50("approve");
        let floor = f.p50("git approve");
        println!(
            "{scale:>6} revisions  approve / git floor = {:.2}",
            approve.as_secs_f64() / floor.as_secs_f64().max(1e-9)
        );
        approve_p50.push((scale, approve));
    }
    if let (Some((a, first)), Some((z, last))) = (approve_p50.first(), approve_p50.last()) {
        println!(
            "approve p50 at {z} / at {a} revisions = {:.2}",
            last.as_secs_f64() / first.as_secs_f64().max(1e-9)
        );
    }
}
