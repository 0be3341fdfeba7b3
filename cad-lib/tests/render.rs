//! Render pipeline semantics with tiny purpose-built evaluators.

use std::cell::RefCell;

use cad_lib::annotations as ann;
use cad_lib::{
    EvalError, EvalErrorKind, EvalOutput, FunctionSpec, KubeObject, PackageFiles, RenderOptions,
    ResourceList, ResultItem, render,
};
use serde_json::json;

fn files(list: &[(&str, &str)]) -> PackageFiles {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

fn kptfile(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name}\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n{extra}"
    )
}

fn cm(name: &str) -> String {
    format!(
        "# the {name} map\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name} # name\ndata:\n  k: v\n"
    )
}

/// What one call saw.
#[derive(Debug, Clone)]
struct Seen {
    image: String,
    items: Vec<(String, String, String)>, // (package-path, path, name)
    config: Option<serde_json::Value>,
}

/// Records every call; `label` functions add `metadata.labels.<image>=yes`
/// in place; images starting with `fail` fail.
#[derive(Default)]
struct Recorder {
    calls: RefCell<Vec<Seen>>,
}

impl cad_lib::FunctionEvaluator for Recorder {
    fn evaluate(&self, f: &FunctionSpec, mut input: ResourceList) -> Result<EvalOutput, EvalError> {
        let image = f.image.clone().unwrap_or_default();
        let short = image
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(":latest")
            .to_string();
        self.calls.borrow_mut().push(Seen {
            image: short.clone(),
            items: input
                .items
                .iter()
                .map(|o| {
                    (
                        o.annotation(ann::PACKAGE_PATH).unwrap_or_default(),
                        o.annotation(ann::PATH).unwrap_or_default(),
                        o.name().unwrap_or_default(),
                    )
                })
                .collect(),
            config: input
                .function_config
                .as_ref()
                .map(|c| c.to_value().unwrap()),
        });
        if short.starts_with("fail") {
            return Err(EvalError {
                kind: EvalErrorKind::Failed,
                message: "function failure".into(),
                exit_code: 1,
                stderr: "boom".into(),
                results: vec![ResultItem {
                    message: "bad".into(),
                    ..Default::default()
                }],
            });
        }
        if short.starts_with("label") {
            for o in input
                .items
                .iter_mut()
                .filter(|o| o.kind().as_deref() != Some("Kptfile"))
            {
                o.set_str(&["metadata", "labels", &short], "set").unwrap();
            }
        }
        input.results = vec![ResultItem {
            message: format!("{short} ok"),
            ..Default::default()
        }];
        Ok(EvalOutput {
            resource_list: input,
            stderr: format!("{short} stderr"),
        })
    }
}

fn pipeline(mutators: &[&str], validators: &[&str]) -> String {
    let mut s = String::from("pipeline:\n");
    if !mutators.is_empty() {
        s.push_str("  mutators:\n");
        for m in mutators {
            s.push_str(&format!("  - image: {m}\n"));
        }
    }
    if !validators.is_empty() {
        s.push_str("  validators:\n");
        for v in validators {
            s.push_str(&format!("  - image: {v}\n"));
        }
    }
    s
}

fn nested(root_annotations: &str) -> PackageFiles {
    let root = kptfile("root", &pipeline(&["label-root"], &[])).replace(
        "    config.kubernetes.io/local-config: \"true\"\n",
        &format!("    config.kubernetes.io/local-config: \"true\"\n{root_annotations}"),
    );
    files(&[
        ("Kptfile", &root),
        ("root.yaml", &cm("root")),
        ("README.md", "# hi\n"),
        ("b/Kptfile", &kptfile("b", &pipeline(&["label-b"], &[]))),
        ("b/b.yaml", &cm("b")),
        (
            "a/Kptfile",
            &kptfile("a", &pipeline(&["label-a"], &["check-a"])),
        ),
        ("a/a.yaml", &cm("a")),
        ("a/c/Kptfile", &kptfile("c", &pipeline(&["label-c"], &[]))),
        ("a/c/c.yaml", &cm("c")),
    ])
}

fn order(r: &Recorder) -> Vec<String> {
    r.calls.borrow().iter().map(|s| s.image.clone()).collect()
}

fn names_seen(r: &Recorder, image: &str) -> Vec<String> {
    let calls = r.calls.borrow();
    let call = calls.iter().find(|s| s.image == image).unwrap();
    call.items.iter().map(|(_, _, n)| n.clone()).collect()
}

#[test]
fn dfs_runs_subpackages_first_and_each_pipeline_sees_its_subtree() {
    let r = Recorder::default();
    let out = render(&nested(""), &r, &RenderOptions::default());
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        order(&r),
        ["label-c", "label-a", "check-a", "label-b", "label-root"]
    );
    assert_eq!(names_seen(&r, "label-c"), ["c", "c"]);
    assert_eq!(names_seen(&r, "label-a"), ["a", "a", "c", "c"]);
    assert_eq!(names_seen(&r, "label-root").len(), 8);
    // The root's function saw the subpackage's output (label-c applied).
    let files = out.files.unwrap();
    assert!(files["a/c/c.yaml"].contains("label-c: set"));
    assert!(files["a/c/c.yaml"].contains("label-root: set"));
    assert!(!files["b/b.yaml"].contains("label-a"));
    // Comments and untouched files survive.
    assert!(files["a/c/c.yaml"].starts_with("# the c map\n"));
    assert_eq!(files["README.md"], "# hi\n");
}

#[test]
fn bfs_runs_parents_first() {
    let r = Recorder::default();
    let out = render(
        &nested("    kpt.dev/bfs-rendering: \"true\"\n"),
        &r,
        &RenderOptions::default(),
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        order(&r),
        ["label-root", "label-a", "check-a", "label-b", "label-c"]
    );
    assert_eq!(names_seen(&r, "label-root").len(), 8);
    assert_eq!(names_seen(&r, "label-a"), ["a", "a", "c", "c"]);
    // The child saw the parent's edit.
    let calls = r.calls.borrow();
    assert_eq!(
        calls[1].items.iter().filter(|(p, _, _)| p == "a/c").count(),
        2
    );
    let files = out.files.unwrap();
    assert!(
        files["a/c/c.yaml"].contains("label-root: set")
            && files["a/c/c.yaml"].contains("label-c: set")
    );
}

#[test]
fn path_and_package_annotations_are_relative_to_each_package() {
    let r = Recorder::default();
    render(&nested(""), &r, &RenderOptions::default());
    let calls = r.calls.borrow();
    let root = calls.iter().find(|s| s.image == "label-root").unwrap();
    assert!(
        root.items
            .contains(&("a/c".into(), "c.yaml".into(), "c".into()))
    );
    assert!(
        root.items
            .contains(&(".".into(), "root.yaml".into(), "root".into()))
    );
}

#[test]
fn results_are_collected_in_execution_order() {
    let r = Recorder::default();
    let out = render(&nested(""), &r, &RenderOptions::default());
    let items = &out.results.items;
    assert_eq!(items.len(), 5);
    assert_eq!(out.results.exit_code, 0);
    assert_eq!(
        items[0].image.as_deref(),
        Some("ghcr.io/kptdev/krm-functions-catalog/label-c:latest")
    );
    assert_eq!(items[0].stderr, "label-c stderr");
    assert_eq!(items[0].results[0].message, "label-c ok");
}

#[test]
fn untouched_files_stay_byte_identical_and_render_marks_the_kptfile() {
    let input = files(&[
        ("Kptfile", &kptfile("p", "info:\n  description: d # keep\n")),
        (
            "a.yaml",
            "# c\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
        ),
    ]);
    let out = render(&input, &Recorder::default(), &RenderOptions::default());
    let files = out.files.unwrap();
    assert_eq!(files["a.yaml"], input["a.yaml"]);
    assert_eq!(
        files["Kptfile"],
        format!(
            "{}status:\n  conditions:\n  - type: Rendered\n    status: 'True'\n    reason: RenderSuccess\n",
            input["Kptfile"]
        )
    );
}

#[test]
fn selectors_and_exclusions_limit_a_step() {
    let kf = kptfile(
        "p",
        "pipeline:\n  mutators:\n  - image: label-x\n    selectors:\n    - kind: ConfigMap\n    exclude:\n    - name: skip\n",
    );
    let input = files(&[
        ("Kptfile", &kf),
        ("a.yaml", &cm("a")),
        ("skip.yaml", &cm("skip")),
        (
            "ns.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n",
        ),
    ]);
    let r = Recorder::default();
    let out = render(&input, &r, &RenderOptions::default());
    assert_eq!(names_seen(&r, "label-x"), ["a"]);
    let files = out.files.unwrap();
    assert!(files["a.yaml"].contains("label-x: set"));
    assert_eq!(files["skip.yaml"], input["skip.yaml"]);
    assert_eq!(files["ns.yaml"], input["ns.yaml"]);
}

#[test]
fn config_map_and_config_path_become_function_config() {
    let kf = kptfile(
        "p",
        "pipeline:\n  mutators:\n  - image: label-cfg\n  - image: show\n    configMap:\n      namespace: staging\n      n: 3\n  - image: show-path\n    configPath: cfg.yaml\n",
    );
    let input = files(&[("Kptfile", &kf), ("cfg.yaml", &cm("cfg"))]);
    let r = Recorder::default();
    let out = render(&input, &r, &RenderOptions::default());
    assert!(out.error.is_none(), "{:?}", out.error);
    let calls = r.calls.borrow();
    assert_eq!(
        calls[1].config,
        Some(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"},
            "data": {"namespace": "staging", "n": "3"}})
        )
    );
    // The config from a path is the current object: label-cfg's edit shows.
    let c = calls[2].config.as_ref().unwrap();
    assert_eq!(c["metadata"]["labels"]["label-cfg"], "set");
    assert!(c["metadata"].get("annotations").is_none());
}

#[test]
fn missing_config_path_is_a_kptfile_error() {
    let kf = kptfile(
        "p",
        "pipeline:\n  mutators:\n  - image: a\n  - image: b\n    configPath: nope.yaml\n",
    );
    let r = Recorder::default();
    let out = render(&files(&[("Kptfile", &kf)]), &r, &RenderOptions::default());
    let msg = out.error.unwrap().to_string();
    assert!(
        msg.contains("Field: `pipeline.mutators[1].configPath`"),
        "{msg}"
    );
    assert!(
        r.calls.borrow().is_empty(),
        "no function runs before the check"
    );
    assert!(out.files.is_none());
}

#[test]
fn a_failure_stops_the_render_and_saves_nothing_by_default() {
    let kf = kptfile(
        "p",
        &pipeline(&["label-1", "fail-2", "label-3"], &["check"]),
    );
    let input = files(&[("Kptfile", &kf), ("a.yaml", &cm("a"))]);
    let r = Recorder::default();
    let out = render(&input, &r, &RenderOptions::default());
    assert_eq!(order(&r), ["label-1", "fail-2"]);
    let msg = out.error.unwrap().to_string();
    assert!(
        msg.contains("fail-2") && msg.contains("function failure"),
        "{msg}"
    );
    assert!(out.files.is_none());
    assert_eq!(out.results.exit_code, 1);
    let last = out.results.items.last().unwrap();
    assert_eq!((last.exit_code, last.stderr.as_str()), (1, "boom"));
    assert_eq!(last.results[0].message, "bad");
}

#[test]
fn save_on_render_failure_keeps_completed_work() {
    let kf = kptfile("p", &pipeline(&["label-1", "fail-2"], &[])).replace(
        "local-config: \"true\"\n",
        "local-config: \"true\"\n    kpt.dev/save-on-render-failure: \"true\"\n",
    );
    let input = files(&[("Kptfile", &kf), ("a.yaml", &cm("a"))]);
    let out = render(&input, &Recorder::default(), &RenderOptions::default());
    assert!(out.error.is_some());
    let files = out.files.expect("partial output saved");
    assert!(files["a.yaml"].contains("label-1: set"));
    assert!(files["Kptfile"].contains("reason: RenderFailed"));
}

#[test]
fn save_on_render_failure_in_a_subpackage_keeps_earlier_packages() {
    let root = kptfile("root", &pipeline(&["label-root"], &[])).replace(
        "local-config: \"true\"\n",
        "local-config: \"true\"\n    kpt.dev/save-on-render-failure: \"true\"\n",
    );
    let input = files(&[
        ("Kptfile", &root),
        ("root.yaml", &cm("root")),
        ("a/Kptfile", &kptfile("a", &pipeline(&["label-a"], &[]))),
        ("a/a.yaml", &cm("a")),
        (
            "b/Kptfile",
            &kptfile("b", &pipeline(&["label-b", "fail-b"], &[])),
        ),
        ("b/b.yaml", &cm("b")),
    ]);
    let out = render(&input, &Recorder::default(), &RenderOptions::default());
    let files = out.files.unwrap();
    assert!(
        files["a/a.yaml"].contains("label-a: set"),
        "completed sibling saved"
    );
    assert!(
        files["b/b.yaml"].contains("label-b: set"),
        "failing package's completed mutators saved"
    );
    assert!(
        !files["root.yaml"].contains("label-root"),
        "the root never ran"
    );
}

#[test]
fn validators_cannot_change_resources() {
    let kf = kptfile("p", &pipeline(&[], &["label-v"]));
    let input = files(&[("Kptfile", &kf), ("a.yaml", &cm("a"))]);
    let out = render(&input, &Recorder::default(), &RenderOptions::default());
    assert_eq!(out.files.unwrap()["a.yaml"], input["a.yaml"]);
}

#[test]
fn exec_functions_are_refused_without_permission() {
    let kf = kptfile("p", "pipeline:\n  mutators:\n  - exec: ./run.sh\n");
    let out = render(
        &files(&[("Kptfile", &kf)]),
        &Recorder::default(),
        &RenderOptions::default(),
    );
    assert!(out.error.unwrap().to_string().contains("--allow-exec"));
    assert_eq!(out.results.items[0].exec.as_deref(), Some("./run.sh"));
}

#[test]
fn non_krm_input_is_refused() {
    let input = files(&[
        ("Kptfile", &kptfile("p", "")),
        ("non-krm.yaml", "Non-krm-resource: true\n"),
    ]);
    let out = render(&input, &Recorder::default(), &RenderOptions::default());
    assert_eq!(
        out.error.unwrap().to_string(),
        "pkg .: input resource list must contain only KRM resources: non-krm.yaml: resource must have `apiVersion`"
    );
}

/// Returns the items it is given plus generated ones, through the wire
/// format (as an out-of-process function would).
struct Generator {
    extra: Vec<String>,
    drop_comments: bool,
    move_to: Option<String>,
}

impl cad_lib::FunctionEvaluator for Generator {
    fn evaluate(&self, _: &FunctionSpec, input: ResourceList) -> Result<EvalOutput, EvalError> {
        let mut text = input.to_yaml().unwrap();
        if self.drop_comments {
            text = text
                .lines()
                .map(|l| l.split(" #").next().unwrap_or(l))
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
        }
        let mut out = ResourceList::parse(&text).unwrap();
        if let Some(p) = &self.move_to {
            for o in out
                .items
                .iter_mut()
                .filter(|o| o.kind().as_deref() == Some("ConfigMap"))
            {
                o.set_annotation(ann::PATH, p).unwrap();
            }
        }
        for e in &self.extra {
            out.items.push(KubeObject::parse(e).unwrap());
        }
        Ok(out.into())
    }
}

fn gen_render(g: Generator, input: &PackageFiles) -> cad_lib::RenderOutcome {
    render(input, &g, &RenderOptions::default())
}

fn one_fn() -> PackageFiles {
    files(&[
        ("Kptfile", &kptfile("p", &pipeline(&["gen"], &[]))),
        ("a.yaml", &cm("a")),
    ])
}

#[test]
fn generated_resources_get_kpts_default_path() {
    let g = Generator {
        extra: vec![
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n"
                .into(),
        ],
        drop_comments: false,
        move_to: None,
    };
    let out = gen_render(g, &one_fn());
    let files = out.files.unwrap();
    assert!(files["prod/deployment_web.yaml"].contains("name: web"));
    assert_eq!(
        files["a.yaml"],
        one_fn()["a.yaml"],
        "wire round trip keeps text"
    );
}

#[test]
fn generated_resources_must_stay_in_the_package() {
    let g = Generator {
        extra: vec![format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    {}: ../x.yaml\n",
            ann::PATH
        )],
        drop_comments: false,
        move_to: None,
    };
    let msg = gen_render(g, &one_fn()).error.unwrap().to_string();
    assert!(
        msg.contains(
            "function must not modify resources outside of package: resource has path ../x.yaml"
        ),
        "{msg}"
    );
}

#[test]
fn duplicate_path_and_index_is_refused() {
    let g = Generator {
        extra: vec![format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    {}: ./a.yaml\n    {}: '0'\n",
            ann::INTERNAL_PATH,
            ann::INTERNAL_INDEX
        )],
        drop_comments: false,
        move_to: None,
    };
    let msg = gen_render(g, &one_fn()).error.unwrap().to_string();
    assert!(
        msg.contains("resource at path \"a.yaml\" and index \"0\" already exists"),
        "{msg}"
    );
}

#[test]
fn changing_the_legacy_path_moves_the_resource_and_prunes_the_old_file() {
    let g = Generator {
        extra: vec![],
        drop_comments: false,
        move_to: Some("b.yaml".into()),
    };
    let files = gen_render(g, &one_fn()).files.unwrap();
    assert!(!files.contains_key("a.yaml"));
    assert_eq!(files["b.yaml"], cm("a"));
}

#[test]
fn comments_dropped_by_a_function_are_healed() {
    let g = Generator {
        extra: vec![],
        drop_comments: true,
        move_to: None,
    };
    let files = gen_render(g, &one_fn()).files.unwrap();
    assert_eq!(files["a.yaml"], cm("a"));
}
