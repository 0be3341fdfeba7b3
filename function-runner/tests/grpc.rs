//! The real `porch-fn-runner` binary on 127.0.0.1: the Rust client, the
//! health service, NotFound for unknown images, and the exec runtime's
//! limits (a hanging, a flooding and a failing function, none of which
//! disturbs a concurrent call); plus a Python client generated from
//! Porch's own evaluator.proto.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cad_lib::{EvalErrorKind, FunctionEvaluator, FunctionSpec, KubeObject, ResourceList};
use porch_function_runner::{BuiltinRuntime, GrpcEvaluator};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");

/// A running `porch-fn-runner`, killed on drop.
struct Runner {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    p.display().to_string()
}

fn start() -> Runner {
    let dir = tempfile::tempdir().unwrap();
    let echo = script(dir.path(), "echo-fn", "cat");
    let hang = script(dir.path(), "hang-fn", "cat >/dev/null; sleep 600");
    let flood = script(
        dir.path(),
        "flood-fn",
        "cat >/dev/null; head -c 1073741824 /dev/zero",
    );
    let fail = script(
        dir.path(),
        "fail-fn",
        "cat >/dev/null; printf 'apiVersion: config.kubernetes.io/v1\\nkind: ResourceList\\nitems: []\\nresults:\\n- message: bad thing\\n  severity: error\\n'; echo 'it broke' >&2; exit 3",
    );
    let config = dir.path().join("exec.yaml");
    std::fs::write(
        &config,
        format!(
            "functions:\n- image: example.com/echo\n  command: {echo}\n- image: example.com/hang\n  command: {hang}\n- image: example.com/flood\n  command: {flood}\n- image: example.com/fail\n  tags: [v1]\n  command: {fail}\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_porch-fn-runner"))
        .args([
            "--port",
            "0",
            "--exec-timeout",
            "2",
            "--max-output",
            "1048576",
            "--exec-config",
        ])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    Runner {
        child,
        addr,
        _dir: dir,
    }
}

fn deployments(n: usize) -> ResourceList {
    let items = (0..n)
        .map(|i| {
            KubeObject::parse(&format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i} # the app\n  namespace: old\nspec:\n  replicas: 3\n"
            ))
            .unwrap()
        })
        .collect();
    ResourceList {
        items,
        function_config: Some(
            KubeObject::parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata:\n  namespace: staging\n").unwrap(),
        ),
        results: Vec::new(),
    }
}

fn spec(image: &str) -> FunctionSpec {
    FunctionSpec {
        image: Some(image.to_string()),
        ..Default::default()
    }
}

const SET_NS: &str = "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1";

#[test]
fn grpc_matches_in_process_and_reports_not_found() {
    let r = start();
    let client = GrpcEvaluator::new(&format!("http://{}", r.addr), 96 << 20).unwrap();
    let remote = client.evaluate(&spec(SET_NS), deployments(30)).unwrap();
    let local = BuiltinRuntime::new()
        .evaluate(&spec(SET_NS), deployments(30))
        .unwrap();
    assert_eq!(
        remote.resource_list.to_yaml().unwrap(),
        local.resource_list.to_yaml().unwrap()
    );
    assert!(
        remote.resource_list.items[0]
            .text()
            .contains("namespace: staging")
    );
    assert!(remote.resource_list.items[0].text().contains("# the app"));
    let e = client
        .evaluate(
            &spec("quay.io/invalid/nonexistent-fn:v0.0.1"),
            deployments(1),
        )
        .unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::NotFound, "{e:?}");
    assert!(e.message.contains("nonexistent-fn"), "{}", e.message);
    // A tag the fail entry does not list is not served either.
    let e = client
        .evaluate(&spec("example.com/fail:v2"), deployments(1))
        .unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::NotFound);
}

#[test]
fn health_service_reports_serving() {
    let r = start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut h =
            porch_proto::health::health_client::HealthClient::connect(format!("http://{}", r.addr))
                .await
                .unwrap();
        for service in ["", porch_proto::EVALUATOR_SERVICE] {
            let resp = h
                .check(porch_proto::health::HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(resp.status, 1, "SERVING for {service:?}");
        }
        let unknown = h
            .check(porch_proto::health::HealthCheckRequest {
                service: "nope".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), tonic::Code::NotFound);
    });
}

#[test]
fn exec_limits_do_not_disturb_concurrent_calls() {
    let r = start();
    let addr = format!("http://{}", r.addr);
    let run = |image: &'static str| {
        let addr = addr.clone();
        std::thread::spawn(move || {
            let c = GrpcEvaluator::new(&addr, 96 << 20).unwrap();
            let started = Instant::now();
            // Objects are not Send: hand back plain data.
            let out = c
                .evaluate(&spec(image), deployments(2))
                .map(|o| o.resource_list.items.len());
            (out, started.elapsed())
        })
    };
    let hang = run("example.com/hang:v1");
    let flood = run("example.com/flood");
    let fail = run("example.com/fail:v1");
    std::thread::sleep(Duration::from_millis(200));
    // While the hanging and flooding functions run, other calls answer.
    for _ in 0..5 {
        let (out, took) = run("example.com/echo:latest").join().unwrap();
        assert_eq!(out.unwrap(), 2);
        assert!(took < Duration::from_secs(1), "echo took {took:?}");
        let (out, _) = run(SET_NS).join().unwrap();
        assert!(out.is_ok());
    }
    let (out, took) = hang.join().unwrap();
    let e = out.unwrap_err();
    assert!(e.message.contains("timed out"), "{}", e.message);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "{took:?}"
    );
    let (out, took) = flood.join().unwrap();
    let e = out.unwrap_err();
    assert!(e.message.contains("exceeds the limit"), "{}", e.message);
    assert!(took < Duration::from_secs(10), "{took:?}");
    let (out, _) = fail.join().unwrap();
    let e = out.unwrap_err();
    assert_eq!(e.exit_code, 3);
    assert_eq!(e.results[0].message, "bad thing");
    assert!(e.stderr.contains("it broke"), "{}", e.stderr);
}

/// Porch's own evaluator.proto, compiled with grpcio-tools in a scratch
/// virtualenv, calls the server and gets what the in-process path returns.
#[test]
fn python_client_from_porch_proto_gets_the_same_resource_list() {
    let r = start();
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let ok = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status()
        .unwrap()
        .success();
    assert!(ok, "python3 -m venv");
    let pip = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "-q",
            "--disable-pip-version-check",
            "grpcio",
            "grpcio-tools",
        ])
        .status()
        .unwrap();
    assert!(pip.success(), "pip install grpcio grpcio-tools");
    let protos = dir.path().join("protos");
    std::fs::create_dir_all(&protos).unwrap();
    std::fs::copy(
        Path::new(TESTDATA).join("porch/evaluator.proto"),
        protos.join("evaluator.proto"),
    )
    .unwrap();
    // Porch imports an unused `struct.proto`; an empty file satisfies it.
    std::fs::write(protos.join("struct.proto"), "syntax = \"proto3\";\n").unwrap();
    let generated = Command::new(venv.join("bin/python"))
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(&protos)
        .arg("--python_out")
        .arg(dir.path())
        .arg("--grpc_python_out")
        .arg(dir.path())
        .arg(protos.join("evaluator.proto"))
        .arg(protos.join("struct.proto"))
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let input = deployments(30).to_yaml().unwrap();
    std::fs::write(dir.path().join("input.yaml"), &input).unwrap();
    std::fs::write(
        dir.path().join("client.py"),
        format!(
            "import sys, grpc, evaluator_pb2, evaluator_pb2_grpc\n\
             ch = grpc.insecure_channel('{}')\n\
             stub = evaluator_pb2_grpc.FunctionEvaluatorStub(ch)\n\
             req = evaluator_pb2.EvaluateFunctionRequest(resource_list=open('input.yaml','rb').read(), image='{SET_NS}')\n\
             resp = stub.EvaluateFunction(req, timeout=30)\n\
             sys.stdout.buffer.write(resp.resource_list)\n\
             try:\n    stub.EvaluateFunction(evaluator_pb2.EvaluateFunctionRequest(resource_list=b'kind: ResourceList', image='dne'), timeout=30)\n    sys.exit(3)\n\
             except grpc.RpcError as e:\n    sys.exit(0 if e.code() == grpc.StatusCode.NOT_FOUND else 4)\n",
            r.addr
        ),
    )
    .unwrap();
    let out = Command::new(venv.join("bin/python"))
        .arg("client.py")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python client: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let local = BuiltinRuntime::new()
        .evaluate(&spec(SET_NS), ResourceList::parse(&input).unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        local.resource_list.to_yaml().unwrap()
    );
}
