//! Function-call latency, p50 over repeated calls (prints figures; not a
//! pass/fail test): set-namespace on a 30-resource ResourceList in process
//! and over gRPC, a starlark function, and an exec round trip next to a
//! bare process spawn.

use std::time::{Duration, Instant};

use cad_lib::{FunctionEvaluator, FunctionSpec, KubeObject, ResourceList};
use porch_function_runner::server::{self, EvaluatorService, ServiceLimits};
use porch_function_runner::{
    BuiltinRuntime, ExecConfig, ExecEntry, ExecLimits, ExecRuntime, GrpcEvaluator,
};

fn list(n: usize, config: &str) -> ResourceList {
    let items = (0..n)
        .map(|i| {
            KubeObject::parse(&format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i} # app\n  namespace: old\n  labels:\n    app: app-{i}\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.25\n"
            ))
            .unwrap()
        })
        .collect();
    ResourceList {
        items,
        function_config: Some(KubeObject::parse(config).unwrap()),
        results: Vec::new(),
    }
}

const NS_CONFIG: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata:\n  namespace: staging\n";

fn p50(mut f: impl FnMut(), n: usize) -> Duration {
    p50_with(|| (), |_| f(), n)
}

/// p50 of `f` over inputs made fresh (untimed) by `make` before each call.
fn p50_with<T>(mut make: impl FnMut() -> T, mut f: impl FnMut(T), n: usize) -> Duration {
    for _ in 0..(n / 10).max(3) {
        f(make());
    }
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let x = make();
            let t = Instant::now();
            f(x);
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn spec(image: &str) -> FunctionSpec {
    FunctionSpec {
        image: Some(image.into()),
        ..Default::default()
    }
}

fn main() {
    let debug = std::env::var("BENCH_DEBUG").is_ok();
    let set_ns = spec("ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1");
    let builtin = BuiltinRuntime::new();
    let d = p50_with(
        || list(30, NS_CONFIG),
        |i| drop(builtin.evaluate(&set_ns, i).unwrap()),
        300,
    );
    report("set-namespace, 30 resources, in process", d);
    if debug {
        let d = p50_with(|| list(30, NS_CONFIG), |i| drop(i.to_yaml().unwrap()), 100);
        report("debug: encode 30 resources", d);
        let text = list(30, NS_CONFIG).to_yaml().unwrap();
        let d = p50(|| drop(ResourceList::parse(&text).unwrap()), 100);
        report("debug: parse 30 resources", d);
        let d = p50_with(
            || list(30, NS_CONFIG),
            |i| {
                for o in &i.items {
                    drop(o.to_value());
                }
            },
            100,
        );
        report("debug: to_value 30 resources", d);
        let d = p50_with(
            || list(30, NS_CONFIG),
            |i| {
                for o in &i.items {
                    drop(o.api_version());
                }
            },
            100,
        );
        report("debug: api_version x30", d);
        let d = p50_with(
            || list(30, NS_CONFIG),
            |i| {
                for o in &i.items {
                    drop(o.get(&["metadata"]));
                }
            },
            100,
        );
        report("debug: get(metadata) x30", d);
        let d = p50_with(
            || list(30, NS_CONFIG),
            |mut i| {
                for o in i.items.iter_mut() {
                    o.set_str(&["metadata", "namespace"], "staging").unwrap();
                }
            },
            100,
        );
        report("debug: set_str(namespace) x30", d);
        let d = p50_with(
            || list(30, NS_CONFIG),
            |i| {
                for o in i.items.iter() {
                    if let Some(yaml_edit::YamlNode::Scalar(s)) =
                        o.node_at(&["metadata", "namespace"])
                    {
                        s.set_value("staging");
                    }
                }
            },
            100,
        );
        report("debug: node_at+set_value x30", d);
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = ServiceLimits::default();
    rt.spawn(server::serve(
        listener,
        EvaluatorService::new(BuiltinRuntime::new(), None, limits),
        limits,
        Duration::from_secs(60),
        std::future::pending(),
    ));
    let client = GrpcEvaluator::new(&format!("http://{addr}"), 96 << 20).unwrap();
    let d = p50_with(
        || list(30, NS_CONFIG),
        |i| drop(client.evaluate(&set_ns, i).unwrap()),
        300,
    );
    report("set-namespace, 30 resources, over gRPC", d);
    if debug {
        let e = spec("nope");
        let d = p50_with(
            || list(1, NS_CONFIG),
            |i| drop(client.evaluate(&e, i).unwrap_err()),
            50,
        );
        report("debug: not-found over gRPC", d);
        for n in [1, 5, 10, 20] {
            let d = p50_with(
                || list(n, NS_CONFIG),
                |i| drop(client.evaluate(&set_ns, i).unwrap()),
                30,
            );
            report(&format!("debug: set-namespace {n} over gRPC"), d);
        }
    }

    if builtin.supports("starlark") {
        let star = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata:\n  source: |\n    for r in ctx.resource_list[\"items\"]:\n      r[\"metadata\"][\"annotations\"] = {\"bench\": \"yes\"}\n";
        let s = spec("starlark:v0.5");
        let d = p50_with(
            || list(30, star),
            |i| drop(builtin.evaluate(&s, i).unwrap()),
            100,
        );
        report("starlark, 30 resources, in process", d);
    }

    let exec = ExecRuntime::new(
        ExecConfig {
            functions: vec![ExecEntry {
                image: "example.com/cat".into(),
                command: "cat".into(),
                ..Default::default()
            }],
        },
        ExecLimits::default(),
    );
    let e = spec("example.com/cat:v1");
    let d = p50_with(
        || list(30, NS_CONFIG),
        |i| drop(exec.evaluate(&e, i).unwrap()),
        100,
    );
    let spawn = p50(
        || {
            std::process::Command::new("cat")
                .stdin(std::process::Stdio::null())
                .status()
                .unwrap();
        },
        100,
    );
    report("exec round trip (cat), 30 resources", d);
    report("bare process spawn + wait (cat)", spawn);
}

fn report(what: &str, d: Duration) {
    println!("{what:<45} p50 {:>9.3} ms", d.as_secs_f64() * 1e3);
}
