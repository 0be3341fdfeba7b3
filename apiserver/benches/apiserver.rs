//! Apiserver benchmark at the scale: 10,000 Repository objects in one
//! namespace, served over HTTPS by the real porch-server binary.
//! Prints list (JSON, Table) p50/p99, get p50, updates/s with 16 clients and
//! watch delivery latency to 100 watchers. Run: `hack/bench-apiserver.sh`.

mod common;

const NS_PATH: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories";

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Bench, client, ms, pct};
use http_body_util::{BodyExt, Full};
use porch_testkit::server::Server;
use serde_json::json;

fn main() {
    let n: usize = std::env::var("BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let watchers: usize = std::env::var("BENCH_WATCHERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let server = Server::start(
        env!("CARGO_BIN_EXE_porch-server"),
        &["--disable-repository-sync", "--watch-history", "200000"],
    );
    let ca = std::fs::read_to_string(server.ca()).expect("ca");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let b = Arc::new(Bench { client: client(&ca), url: server.url.clone(), token: server.token() });
        println!("porch-rs apiserver benchmark: {n} Repository objects, 1 namespace, redb Store");

        // Populate with 16 concurrent creators.
        let start = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..16 {
            let b = b.clone();
            tasks.push(tokio::spawn(async move {
                for i in (w..n).step_by(16) {
                    let obj = json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
                        "metadata": {"name": format!("repo-{i:05}"), "labels": {"bench": "true", "shard": format!("s{}", i % 10)}},
                        "spec": {"type": "git", "description": "benchmark repository", "deployment": i % 2 == 0,
                            "git": {"repo": format!("http://127.0.0.1:9/org/repo-{i:05}.git"), "branch": "main", "directory": "/"}}});
                    let (code, body) = b.call("POST", NS_PATH, "application/json", "application/json", obj.to_string().into_bytes()).await;
                    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
                }
            }));
        }
        for t in tasks {
            t.await.expect("creator");
        }
        let el = start.elapsed();
        println!("create      {n} objects in {:.2} s ({:.0} creates/s, 16 clients)", el.as_secs_f64(), n as f64 / el.as_secs_f64());

        for (label, accept) in [
            ("list JSON ", "application/json"),
            ("list Table", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
        ] {
            let mut samples = Vec::new();
            let mut size = 0;
            for _ in 0..40 {
                let t = Instant::now();
                let (code, body) = b.call("GET", NS_PATH, "application/json", accept, vec![]).await;
                samples.push(t.elapsed());
                assert_eq!(code, 200);
                size = body.len();
            }
            println!("{label}  p50 {}  p99 {}  ({} KiB per response, unpaged)", ms(pct(&mut samples, 0.5)), ms(pct(&mut samples, 0.99)), size / 1024);
        }

        let mut samples = Vec::new();
        for i in 0..3000 {
            let path = format!("{NS_PATH}/repo-{:05}", (i * 7919) % n);
            let t = Instant::now();
            let (code, _) = b.call("GET", &path, "application/json", "application/json", vec![]).await;
            samples.push(t.elapsed());
            assert_eq!(code, 200);
        }
        println!("get         p50 {}  p99 {}", ms(pct(&mut samples, 0.5)), ms(pct(&mut samples, 0.99)));

        // Updates: 16 clients, merge patches, 5 seconds.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut tasks = Vec::new();
        for w in 0..16usize {
            let b = b.clone();
            tasks.push(tokio::spawn(async move {
                let mut done = 0u64;
                let mut i = w;
                while Instant::now() < deadline {
                    let path = format!("{NS_PATH}/repo-{:05}", (i * 104_729) % n);
                    let patch = json!({"spec": {"description": format!("update {i}")}});
                    let (code, body) = b.call("PATCH", &path, "application/merge-patch+json", "application/json", patch.to_string().into_bytes()).await;
                    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
                    done += 1;
                    i += 16;
                }
                done
            }));
        }
        let start = Instant::now();
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("updater");
        }
        println!("update      {:.0} updates/s (16 clients, merge patch, {total} in {:.1} s)", total as f64 / start.elapsed().as_secs_f64(), start.elapsed().as_secs_f64());

        // Watch delivery: `watchers` watches; each update is stamped, latency = receipt - send.
        let (_, body) = b.call("GET", &format!("{NS_PATH}?limit=1"), "application/json", "application/json", vec![]).await;
        let rv = serde_json::from_slice::<serde_json::Value>(&body).expect("list")["metadata"]["resourceVersion"].as_str().unwrap_or("0").to_string();
        let sent: Arc<std::sync::Mutex<std::collections::HashMap<String, Instant>>> = Default::default();
        let updates = 200usize;
        let mut handles = Vec::new();
        for _ in 0..watchers {
            let b = b.clone();
            let sent = sent.clone();
            let rv = rv.clone();
            handles.push(tokio::spawn(async move {
                let req = http::Request::builder()
                    .uri(format!("{}{NS_PATH}?watch=true&resourceVersion={rv}&labelSelector=bench%3Dtrue", b.url))
                    .header("authorization", format!("Bearer {}", b.token))
                    .body(Full::new(Bytes::new()))
                    .expect("req");
                let resp = b.client.request(req).await.expect("watch");
                let mut body = resp.into_body();
                let mut buf = Vec::new();
                let mut lat = Vec::new();
                while lat.len() < updates {
                    let Some(frame) = body.frame().await else { break };
                    let Ok(frame) = frame else { break };
                    let Some(data) = frame.data_ref() else { continue };
                    buf.extend_from_slice(data);
                    while let Some(pos) = buf.iter().position(|c| *c == b'\n') {
                        let line: Vec<u8> = buf.drain(..=pos).collect();
                        let now = Instant::now();
                        let ev: serde_json::Value = serde_json::from_slice(&line).unwrap_or_default();
                        let marker = ev["object"]["spec"]["description"].as_str().unwrap_or_default().to_string();
                        if let Some(t) = sent.lock().expect("lock").get(&marker) {
                            lat.push(now.duration_since(*t));
                        }
                    }
                }
                lat
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        for i in 0..updates {
            let marker = format!("watch-{i}");
            sent.lock().expect("lock").insert(marker.clone(), Instant::now());
            let patch = json!({"spec": {"description": marker}});
            let (code, _) = b.call("PATCH", &format!("{NS_PATH}/repo-{:05}", i % n), "application/merge-patch+json", "application/json", patch.to_string().into_bytes()).await;
            assert_eq!(code, 200);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut all = Vec::new();
        for h in handles {
            if let Ok(Ok(l)) = tokio::time::timeout(Duration::from_secs(30), h).await {
                all.extend(l);
            }
        }
        println!(
            "watch       {} events to {watchers} watchers: delivery p50 {}  p99 {} (from sending the update)",
            all.len(),
            ms(pct(&mut all, 0.5)),
            ms(pct(&mut all, 0.99))
        );
    });
}
