//! Every well-formed YAML file of the shared test data is read and written
//! back byte for byte, and reads to the same values as serde_norway; the
//! deliberately broken ones give errors that name the file and the line.

use std::path::{Path, PathBuf};

use cad_lib::ResourceFile;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");

/// Files that are invalid YAML on purpose (an invalid Kptfile case and
/// files with git conflict markers).
const INVALID: &[&str] = &[
    "kpt-fn-render/subpkg-has-invalid-kptfile/db/Kptfile",
    "kpt-merge/datasets/updateMergeConflict/java/java-deployment.resource.yaml",
    "kpt-merge/datasets/updateMergeConflict/java/java-service.resource.yaml",
];

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            yaml_files(&p, out);
        } else if ft.is_file() && cad_lib::resource_file::is_resource_file(&p.to_string_lossy()) {
            out.push(p);
        }
    }
}

fn all_files() -> Vec<(String, String)> {
    let root = Path::new(TESTDATA);
    let mut paths = Vec::new();
    yaml_files(root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let rel = p
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((rel, text))
        })
        .collect()
}

#[test]
fn every_testdata_yaml_file_round_trips_byte_for_byte() {
    let files = all_files();
    assert!(files.len() > 500, "test data not found under {TESTDATA}");
    let mut checked = 0;
    for (rel, text) in &files {
        match ResourceFile::parse(rel, text) {
            Ok(f) => {
                assert!(!INVALID.contains(&rel.as_str()), "{rel} should not parse");
                assert_eq!(&f.text(), text, "{rel} changed on round trip");
                checked += 1;
            }
            Err(e) => {
                assert!(
                    INVALID.contains(&rel.as_str()),
                    "{rel}: unexpected error {e}"
                );
                let msg = e.to_string();
                assert!(msg.starts_with(&format!("{rel}: line ")), "{msg}");
            }
        }
    }
    assert_eq!(checked + INVALID.len(), files.len());
}

#[test]
fn values_agree_with_serde_norway() {
    use serde::Deserialize;
    let mut bad = Vec::new();
    for (rel, text) in all_files() {
        if INVALID.contains(&rel.as_str()) {
            continue;
        }
        let ours: Vec<serde_json::Value> = ResourceFile::parse(&rel, &text)
            .unwrap()
            .objects()
            .map(|(_, o)| o.to_value().unwrap())
            .collect();
        let theirs: Vec<serde_json::Value> = serde_norway::Deserializer::from_str(&text)
            .map(serde_json::Value::deserialize)
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("{rel}: serde_norway: {e}"))
            .into_iter()
            .filter(|v| !v.is_null())
            .collect();
        if ours != theirs {
            bad.push(format!("{rel}:\n  ours:   {ours:?}\n  theirs: {theirs:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
