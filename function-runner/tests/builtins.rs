//! Builtins checked directly against expectations from the shared test
//! data: the kubeconform validator against kpt's golden results, image
//! matching, and starlark's print/fail conventions.

mod common;

use std::path::Path;

use cad_lib::annotations as ann;
use cad_lib::{
    EvalErrorKind, FunctionEvaluator, FunctionSpec, KubeObject, ResourceFile, ResourceList,
};
use common::*;
use porch_function_runner::BuiltinRuntime;
use serde_json::Value;

fn spec(image: &str) -> FunctionSpec {
    FunctionSpec {
        image: Some(image.into()),
        ..Default::default()
    }
}

fn items(path: &str, text: &str) -> Vec<KubeObject> {
    let f = ResourceFile::parse(path, text).unwrap();
    f.objects()
        .map(|(i, o)| {
            let mut o = o.deep_copy();
            o.set_annotation(ann::PATH, path).unwrap();
            o.set_annotation(ann::INDEX, &i.to_string()).unwrap();
            o
        })
        .collect()
}

#[test]
fn kubeconform_matches_kpts_golden_results() {
    let case = Path::new(TESTDATA).join("kpt-fn-render/structured-results-from-muiltiple-fns");
    let text = std::fs::read_to_string(case.join("resources.yaml")).unwrap();
    let config = KubeObject::parse(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata:\n  ignore_missing_schemas: \"true\"\n  strict: \"true\"\n",
    )
    .unwrap();
    let input = ResourceList {
        items: items("resources.yaml", &text),
        function_config: Some(config),
        results: Vec::new(),
    };
    let e = BuiltinRuntime::new()
        .evaluate(
            &spec("ghcr.io/kptdev/krm-functions-catalog/kubeconform:latest"),
            input,
        )
        .unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::Failed);
    assert_eq!(
        e.stderr,
        "failed to evaluate function: error: function failure"
    );
    let golden = yaml_value(&std::fs::read_to_string(case.join(".expected/results.yaml")).unwrap());
    let want = golden["items"][1]["results"].clone();
    let got = serde_json::to_value(&e.results).unwrap();
    assert_eq!(normalise_list(&got), normalise_list(&want));
}

fn normalise_list(v: &Value) -> Value {
    normalise_results(&serde_json::json!({"items": [{"results": v}]}))["items"][0]["results"]
        .clone()
}

#[test]
fn kubeconform_reports_missing_schemas_unless_ignored() {
    let obj = KubeObject::parse("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
        .unwrap();
    let input = ResourceList::new(vec![obj]);
    let e = BuiltinRuntime::new()
        .evaluate(&spec("kubeval:v0.3.0"), input)
        .unwrap_err();
    assert!(
        e.results[0]
            .message
            .contains("could not find schema for Widget"),
        "{:?}",
        e.results
    );
    let ok =
        KubeObject::parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n")
            .unwrap();
    assert!(
        BuiltinRuntime::new()
            .evaluate(&spec("kubeconform"), ResourceList::new(vec![ok]))
            .is_ok()
    );
}

#[test]
fn images_match_with_and_without_prefixes_and_tags() {
    let b = BuiltinRuntime::new();
    for image in [
        "set-namespace",
        "set-namespace:v0.4.1",
        "gcr.io/kpt-fn/set-namespace:unstable",
        "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.2",
        "ghcr.io/kptdev/krm-functions-catalog/apply-setters:v0.2.2",
    ] {
        assert!(b.supports(image), "{image}");
    }
    assert_eq!(b.supports("starlark:v0.5"), cfg!(feature = "starlark"));
    for image in [
        "set-namespace:v0.5.0",
        "quay.io/invalid/nonexistent-fn:v0.0.1",
        "dne",
        "my-func:v1",
    ] {
        assert!(!b.supports(image), "{image}");
    }
    // A Kptfile `tag` constraint resolves against the version table.
    assert!(
        b.find(
            "ghcr.io/kptdev/krm-functions-catalog/set-labels",
            Some("~0.2")
        )
        .is_some()
    );
    assert!(
        b.find(
            "ghcr.io/kptdev/krm-functions-catalog/set-labels",
            Some(">=0.9")
        )
        .is_none()
    );
}

#[cfg(feature = "starlark")]
#[test]
fn starlark_prints_to_stderr_and_fail_is_an_error_result() {
    let cfg = |src: &str| {
        KubeObject::from_value(
            &serde_json::json!({"apiVersion": "fn.kpt.dev/v1alpha1", "kind": "StarlarkRun",
            "metadata": {"name": "script"}, "source": src}),
        )
        .unwrap()
    };
    let item = || {
        KubeObject::parse(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c # keep\ndata:\n  a: b\n",
        )
        .unwrap()
    };
    let b = BuiltinRuntime::new();
    let out = b
        .evaluate(
            &spec("starlark"),
            ResourceList {
                items: vec![item()],
                function_config: Some(cfg("print('hello')\nfor r in ctx.resource_list['items']:\n  r['data']['a'] = 'c'\n")),
                results: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(out.stderr, "hello\n");
    assert_eq!(
        out.resource_list.items[0].text(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c # keep\ndata:\n  a: c\n"
    );
    let e = b
        .evaluate(
            &spec("starlark"),
            ResourceList {
                items: vec![item()],
                function_config: Some(cfg("fail('nope')\n")),
                results: Vec::new(),
            },
        )
        .unwrap_err();
    assert_eq!(e.results[0].message, "fail: nope");
    let e = b
        .evaluate(
            &spec("starlark"),
            ResourceList {
                items: vec![item()],
                function_config: Some(cfg("x = 10/0\n")),
                results: Vec::new(),
            },
        )
        .unwrap_err();
    assert!(
        e.results[0].message.starts_with("script:1:"),
        "{}",
        e.results[0].message
    );
}
