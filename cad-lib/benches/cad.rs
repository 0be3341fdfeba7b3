//! `cargo bench -p cad-lib`: prints figures for the two scales
//! (targets: parse + write of 1,000 resources ≤ 20 ms; render of 30
//! resources through three builtin-like functions ≤ 5 ms). Not a test.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cad_lib::{
    EvalError, EvalOutput, FunctionSpec, PackageFiles, RenderOptions, ResourceFile, ResourceList,
    render,
};

fn deployment(i: usize) -> String {
    format!(
        "# Deployment {i}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i} # kpt-set: ${{name}}\n  labels:\n    app: app-{i}\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.25\n        ports:\n        - containerPort: 8080\n        env:\n        - name: MODE\n          value: \"prod\"\n"
    )
}

fn package(resources: usize, per_file: usize, pipeline: &str) -> PackageFiles {
    let mut files = PackageFiles::new();
    files.insert(
        "Kptfile".into(),
        format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: bench\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n{pipeline}"),
    );
    for f in 0..resources.div_ceil(per_file) {
        let docs: Vec<String> = (f * per_file..((f + 1) * per_file).min(resources))
            .map(deployment)
            .collect();
        files.insert(format!("res-{f:04}.yaml"), docs.join("---\n"));
    }
    files
}

fn measure(name: &str, iters: usize, mut f: impl FnMut()) {
    f();
    let mut times: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name}: median {:.2} ms, min {:.2} ms ({iters} runs)",
        times[iters / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
}

/// set-labels / set-namespace / set-annotations lookalikes editing in place.
fn builtin_like(f: &FunctionSpec, mut rl: ResourceList) -> Result<EvalOutput, EvalError> {
    let image = f.image.as_deref().unwrap_or_default();
    for o in rl
        .items
        .iter_mut()
        .filter(|o| o.kind().as_deref() != Some("Kptfile"))
    {
        let r = if image.contains("set-labels") {
            o.set_str(&["metadata", "labels", "tier"], "backend")
        } else if image.contains("set-namespace") {
            o.set_str(&["metadata", "namespace"], "staging")
        } else {
            o.set_annotation("owner", "team-a")
        };
        r.map_err(|e| EvalError::new(cad_lib::EvalErrorKind::Failed, e.to_string()))?;
    }
    Ok(rl.into())
}

fn main() {
    let big = package(1000, 10, "");
    let bytes: usize = big.values().map(String::len).sum();
    println!(
        "package: 1000 resources in {} files, {} KiB",
        big.len() - 1,
        bytes / 1024
    );
    measure("parse + write, 1000 resources", 20, || {
        for (path, text) in &big {
            let f = ResourceFile::parse(path, text).expect("bench data parses");
            black_box(f.text());
        }
    });
    let pipeline = "pipeline:\n  mutators:\n  - image: set-namespace:v0.4.1\n  - image: set-labels:v0.2.0\n  - image: set-annotations:v0.1.4\n";
    let small = package(30, 3, pipeline);
    let opts = RenderOptions::default();
    measure("render, 30 resources x 3 functions", 50, || {
        let out = render(&small, &builtin_like, &opts);
        assert!(out.error.is_none(), "{:?}", out.error);
        black_box(out.files);
    });
}
