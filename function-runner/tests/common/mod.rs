//! Helpers shared by the corpus harnesses: reading cases from the shared
//! test data, a scratch copy with the expected tree built by `git apply`,
//! kpt-style `fn eval`, and semantic comparison of results.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use cad_lib::annotations as ann;
use cad_lib::{
    FunctionEvaluator, FunctionSpec, KubeObject, PackageFiles, ResourceFile, ResourceList,
};
use serde_json::Value;

/// The shared test data, read in place.
pub const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");

/// Every directory under `root` that holds a `.expected` directory.
pub fn cases(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        if d.join(".expected").is_dir() {
            out.push(d.clone());
        }
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() && e.file_name() != ".expected" && e.file_name() != ".git" {
                    stack.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// All files under `dir` (relative paths with `/`), skipping `.git`.
pub fn read_tree(dir: &Path) -> PackageFiles {
    let mut out = PackageFiles::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_name() == ".git" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, text);
            }
        }
    }
    out
}

/// Replaces the files under `dir` with `files` (keeps `.git`).
pub fn write_tree(dir: &Path, old: &PackageFiles, files: &PackageFiles) {
    for path in old.keys() {
        if !files.contains_key(path) {
            let _ = std::fs::remove_file(dir.join(path));
        }
    }
    for (path, text) in files {
        if old.get(path) != Some(text) {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }
}

/// Copies a case directory recursively.
pub fn copy_dir(src: &Path, dst: &Path) {
    let st = Command::new("cp")
        .arg("-r")
        .arg(src)
        .arg(dst)
        .status()
        .unwrap();
    assert!(st.success());
}

/// Runs git in `dir`.
pub fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args([
            "-c",
            "user.name=none",
            "-c",
            "user.email=none",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The expected tree: the case plus `.expected/diff.patch` applied.
pub fn expected_tree(case: &Path, scratch: &Path) -> Result<PackageFiles, String> {
    let dir = scratch.join("expected");
    copy_dir(case, &dir);
    let patch = case.join(".expected/diff.patch");
    if patch.exists() {
        let out = Command::new("git")
            .args(["apply", "--whitespace=nowarn"])
            .arg(&patch)
            .current_dir(&dir)
            .output()
            .unwrap();
        if !out.status.success() {
            return Err(format!(
                "git apply failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(read_tree(&dir))
}

/// Removes the block that starts with the line `key_line` (exact, with its
/// indentation) and every deeper-indented or blank line after it.
pub fn strip_block(text: &str, key_line: &str) -> String {
    let mut out = String::new();
    let mut skipping: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if let Some(level) = skipping {
            if line.trim().is_empty() || indent > level {
                continue;
            }
            skipping = None;
        }
        if line.trim_end() == key_line {
            skipping = Some(indent);
            continue;
        }
        out.push_str(line);
    }
    out
}

/// Files differing between two trees, with a unified diff of each.
pub fn tree_diff(expected: &PackageFiles, actual: &PackageFiles) -> Vec<String> {
    let mut diffs = Vec::new();
    let keys: std::collections::BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    for k in keys {
        let (e, a) = (expected.get(k), actual.get(k));
        if e != a {
            diffs.push(format!(
                "{k}:\n{}",
                unified(e.map_or("", String::as_str), a.map_or("", String::as_str))
            ));
        }
    }
    diffs
}

/// Results normalised for comparison: each function's image, exit code and
/// results (severity defaulting to info, empty refs dropped).
pub fn normalise_results(v: &Value) -> Value {
    let items = v
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let norm: Vec<Value> = items
        .iter()
        .map(|it| {
            let results: Vec<Value> = it
                .get("results")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut r| {
                    if let Some(o) = r.as_object_mut() {
                        o.entry("severity").or_insert(Value::String("info".into()));
                        o.retain(|_, v| !v.is_null());
                    }
                    r
                })
                .collect();
            serde_json::json!({
                "image": it.get("image").or(it.get("exec")).cloned().unwrap_or(Value::Null),
                "exitCode": it.get("exitCode").cloned().unwrap_or(Value::from(0)),
                "stderr": it.get("stderr").and_then(Value::as_str).unwrap_or_default().trim(),
                "results": results,
            })
        })
        .collect();
    serde_json::json!({
        "exitCode": v.get("exitCode").cloned().unwrap_or(Value::from(0)),
        "items": norm,
    })
}

/// Parses YAML text into a JSON value.
pub fn yaml_value(text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or(Value::Null)
}

/// `kpt fn eval`: runs one function on every resource of the directory
/// tree (minus `.krmignore`d paths and the function-config file) and
/// writes the output back by path annotation.
pub fn eval(
    files: &PackageFiles,
    evaluator: &dyn FunctionEvaluator,
    spec: &FunctionSpec,
    config: Option<KubeObject>,
    exclude: Option<&str>,
) -> Result<(PackageFiles, Vec<cad_lib::ResultItem>), cad_lib::EvalError> {
    let ignore: Vec<String> = files
        .get(".krmignore")
        .map(|t| {
            t.lines()
                .map(|l| l.trim().trim_end_matches('/').to_string())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut items = Vec::new();
    let mut originals: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, text) in files {
        if !cad_lib::resource_file::is_resource_file(path)
            || Some(path.as_str()) == exclude
            || ignore
                .iter()
                .any(|i| path == i || path.starts_with(&format!("{i}/")))
        {
            continue;
        }
        let Ok(f) = ResourceFile::parse(path, text) else {
            continue;
        };
        let seq = f.seq_indent.as_str();
        for (index, obj) in f.objects() {
            let mut o = obj.deep_copy();
            let idx = index.to_string();
            for (k, v) in [
                (ann::PATH, path.as_str()),
                (ann::INDEX, idx.as_str()),
                (ann::INTERNAL_PATH, path.as_str()),
                (ann::INTERNAL_INDEX, idx.as_str()),
                (ann::SEQ_INDENT, seq),
            ] {
                let _ = o.set_annotation(k, v);
            }
            originals.entry(path.clone()).or_default().push(obj.text());
            items.push(o);
        }
    }
    let input = ResourceList {
        items,
        function_config: config,
        results: Vec::new(),
    };
    let out = evaluator.evaluate(spec, input)?;
    let fn_results = out.resource_list.results.clone();
    let mut groups: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for mut o in out.resource_list.items {
        let path = o
            .annotation(ann::INTERNAL_PATH)
            .or_else(|| o.annotation(ann::PATH))
            .unwrap_or_else(|| {
                let f = format!(
                    "{}_{}.yaml",
                    o.kind().unwrap_or_default().to_lowercase(),
                    o.name().unwrap_or_default()
                );
                match o.namespace() {
                    Some(ns) if !ns.is_empty() => format!("{ns}/{f}"),
                    _ => f,
                }
            });
        let index = o
            .annotation(ann::INTERNAL_INDEX)
            .or_else(|| o.annotation(ann::INDEX))
            .and_then(|i| i.parse().ok())
            .unwrap_or(usize::MAX);
        for k in ann::RENDER_ANNOTATIONS {
            o.remove_annotation(k);
        }
        groups.entry(path).or_default().push((index, o.text()));
    }
    let mut result = files.clone();
    for path in originals.keys() {
        if !groups.contains_key(path) {
            result.remove(path);
        }
    }
    for (path, mut docs) in groups {
        docs.sort_by_key(|d| d.0);
        let texts: Vec<String> = docs.into_iter().map(|d| d.1).collect();
        if originals.get(&path) == Some(&texts) {
            continue;
        }
        let (prefix, suffix) = match files
            .get(&path)
            .and_then(|t| ResourceFile::parse(&path, t).ok())
        {
            Some(f) => (f.prefix, f.suffix),
            None => (String::new(), String::new()),
        };
        result.insert(
            path,
            cad_lib::resource_file::join_documents(&prefix, &texts, &suffix),
        );
    }
    Ok((result, fn_results))
}

/// `diff -u expected actual` of two texts.
pub fn unified(expected: &str, actual: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (e, a) = (dir.path().join("expected"), dir.path().join("actual"));
    std::fs::write(&e, expected).unwrap();
    std::fs::write(&a, actual).unwrap();
    let out = Command::new("diff")
        .arg("-u")
        .arg(&e)
        .arg(&a)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .collect::<Vec<_>>()
        .join("\n")
}
