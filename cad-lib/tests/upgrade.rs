//! Upgrade strategies against Porch's and kpt's merge fixtures.

use std::path::Path;

use cad_lib::kptfile::{Git, GitLock, Kptfile, Upstream, UpstreamLock};
use cad_lib::{KubeObject, PackageFiles, Strategy, UpgradeError, UpgradeOptions, upgrade};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");

fn read_dir(root: &Path) -> PackageFiles {
    fn walk(root: &Path, dir: &Path, out: &mut PackageFiles) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(root, &p, out);
            } else if ft.is_file() {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = PackageFiles::new();
    walk(root, root, &mut out);
    assert!(!out.is_empty(), "no test data at {}", root.display());
    out
}

fn fixture(rel: &str) -> PackageFiles {
    read_dir(&Path::new(TESTDATA).join(rel))
}

fn opts(strategy: Strategy) -> UpgradeOptions {
    UpgradeOptions {
        strategy,
        ..Default::default()
    }
}

fn new_lock() -> (Upstream, UpstreamLock) {
    let git = Git {
        repo: "http://git/blueprints".into(),
        directory: "basens".into(),
        git_ref: "basens/v2".into(),
    };
    (
        Upstream {
            kind: "git".into(),
            git: Some(git.clone()),
            ..Default::default()
        },
        UpstreamLock {
            kind: "git".into(),
            git: Some(GitLock {
                repo: git.repo,
                directory: git.directory,
                git_ref: git.git_ref,
                commit: "c0ffee".into(),
            }),
            ..Default::default()
        },
    )
}

fn assert_same_files(got: &PackageFiles, want: &PackageFiles, skip: &[&str]) {
    let keys = |m: &PackageFiles| {
        m.keys()
            .filter(|k| !skip.contains(&k.as_str()))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(got), keys(want));
    for k in keys(want) {
        assert_eq!(got[&k], want[&k], "{k} differs");
    }
}

#[test]
fn porch_update_resource_merge_gives_updated() {
    let (o, u, l, want) = (
        fixture("porch/update/original"),
        fixture("porch/update/upstream"),
        fixture("porch/update/local"),
        fixture("porch/update/updated"),
    );
    let got = upgrade(
        &o,
        &u,
        &l,
        &UpgradeOptions {
            new_upstream: Some(new_lock()),
            ..opts(Strategy::ResourceMerge)
        },
    )
    .unwrap();
    assert_same_files(&got, &want, &["Kptfile"]);
    let kf = Kptfile::parse("Kptfile", &got["Kptfile"]).unwrap();
    let expected = Kptfile::parse("Kptfile", &want["Kptfile"]).unwrap();
    assert_eq!(kf.upstream, Some(new_lock().0));
    assert_eq!(kf.upstream_lock, Some(new_lock().1));
    assert_eq!(kf.metadata, expected.metadata);
    assert_eq!(kf.pipeline, expected.pipeline);
    assert_eq!(kf.info, expected.info);
    // Only the lock moved: the rest of the local Kptfile text is unchanged.
    assert!(got["Kptfile"].ends_with(&l["Kptfile"][l["Kptfile"].find("info:").unwrap()..]));
}

#[test]
fn porch_update_fast_forward_names_the_changed_files() {
    let (o, u, l) = (
        fixture("porch/update/original"),
        fixture("porch/update/upstream"),
        fixture("porch/update/local"),
    );
    match upgrade(&o, &u, &l, &opts(Strategy::FastForward)) {
        Err(UpgradeError::LocalModified(files)) => {
            assert!(files.contains(&"namespace.yaml".to_string()), "{files:?}");
            assert!(!files.contains(&"README.md".to_string()));
            let msg = UpgradeError::LocalModified(files).to_string();
            assert!(
                msg.starts_with("local package files have been modified: "),
                "{msg}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn porch_update_force_delete_replace_gives_upstream() {
    let (o, u, l) = (
        fixture("porch/update/original"),
        fixture("porch/update/upstream"),
        fixture("porch/update/local"),
    );
    let got = upgrade(&o, &u, &l, &opts(Strategy::ForceDeleteReplace)).unwrap();
    assert_same_files(&got, &u, &["Kptfile"]);
    assert_eq!(
        KubeObject::parse(&got["Kptfile"])
            .unwrap()
            .name()
            .as_deref(),
        Some("backend")
    );
}

#[test]
fn conflicting_non_krm_files_follow_each_strategy() {
    let (o, mut u, mut l) = (
        fixture("porch/update/original"),
        fixture("porch/update/upstream"),
        fixture("porch/update/local"),
    );
    u.insert("README.md".into(), "upstream readme\n".into());
    l.insert("README.md".into(), "local readme\n".into());
    let merged = upgrade(&o, &u, &l, &opts(Strategy::ResourceMerge)).unwrap();
    assert_eq!(merged["README.md"], "local readme\n");
    for s in [Strategy::CopyMerge, Strategy::ForceDeleteReplace] {
        assert_eq!(
            upgrade(&o, &u, &l, &opts(s)).unwrap()["README.md"],
            "upstream readme\n"
        );
    }
    assert!(upgrade(&o, &u, &l, &opts(Strategy::FastForward)).is_err());
    // An unmodified local file follows the upstream, even when deleted there.
    let mut u2 = fixture("porch/update/upstream");
    u2.remove("README.md");
    assert!(
        !upgrade(
            &o,
            &u2,
            &fixture("porch/update/local"),
            &opts(Strategy::ResourceMerge)
        )
        .unwrap()
        .contains_key("README.md")
    );
}

#[test]
fn kpt_datasets_resource_merge_gives_datasetmerged() {
    let (o, u, l, want) = (
        fixture("kpt-merge/datasets/dataset1"),
        fixture("kpt-merge/datasets/dataset2"),
        fixture("kpt-merge/datasets/dataset3"),
        fixture("kpt-merge/datasets/datasetmerged"),
    );
    let got = upgrade(&o, &u, &l, &opts(Strategy::ResourceMerge)).unwrap();
    assert_same_files(&got, &want, &[]);
}

#[test]
fn kpt_datasets_fast_forward_and_force_delete_replace() {
    let (o, u, l) = (
        fixture("kpt-merge/datasets/dataset1"),
        fixture("kpt-merge/datasets/dataset2"),
        fixture("kpt-merge/datasets/dataset3"),
    );
    let err = upgrade(&o, &u, &l, &opts(Strategy::FastForward)).unwrap_err();
    assert!(
        err.to_string()
            .contains("local package files have been modified")
    );
    assert_same_files(
        &upgrade(&o, &u, &l, &opts(Strategy::ForceDeleteReplace)).unwrap(),
        &u,
        &[],
    );
    // Unchanged local package: fast-forward takes the upstream.
    assert_same_files(
        &upgrade(&o, &u, &o, &opts(Strategy::FastForward)).unwrap(),
        &u,
        &[],
    );
}

/// The `spec.resources` map of a kpt merge3 fixture file.
fn prr(case: &str, which: &str) -> PackageFiles {
    let text = std::fs::read_to_string(
        Path::new(TESTDATA).join(format!("kpt-merge/merge3/{case}/{which}.yaml")),
    )
    .unwrap();
    let v: serde_json::Value = serde_norway::from_str(&text).unwrap();
    v["spec"]["resources"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

fn merge3_case(case: &str) -> PackageFiles {
    let crd_path = Path::new(TESTDATA).join(format!("kpt-merge/merge3/{case}/fruitstore.crd.yaml"));
    let crds = std::fs::read_to_string(crd_path)
        .map(|t| vec![KubeObject::parse(&t).unwrap()])
        .unwrap_or_default();
    upgrade(
        &prr(case, "original"),
        &prr(case, "updated"),
        &prr(case, "destination"),
        &UpgradeOptions {
            crds,
            ..opts(Strategy::ResourceMerge)
        },
    )
    .unwrap()
}

fn image(files: &PackageFiles) -> String {
    KubeObject::parse(&files["deployment.yaml"])
        .unwrap()
        .get_str(&["spec", "template", "spec", "containers", "0", "image"])
        .unwrap()
}

fn fruit(files: &PackageFiles) -> (i64, Vec<(String, i64)>) {
    let v = KubeObject::parse(&files["fruitstore.yaml"])
        .unwrap()
        .to_value()
        .unwrap();
    let mut fruits: Vec<(String, i64)> = v["spec"]["fruits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    fruits.sort();
    (v["spec"]["preferredTemperature"].as_i64().unwrap(), fruits)
}

fn fruits(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = list.iter().map(|(n, a)| (n.to_string(), *a)).collect();
    v.sort();
    v
}

#[test]
fn merge3_simple_conflicts_take_the_upstream_value() {
    assert_eq!(image(&merge3_case("simple-conflict")), "test-image:updated");
    let sub = merge3_case("simple-subpackage-conflict");
    assert_eq!(image(&sub), "test-image:updated");
    assert_eq!(
        sub["subpackage/cm.yaml"],
        prr("simple-subpackage-conflict", "destination")["subpackage/cm.yaml"]
    );
}

#[test]
fn merge3_associative_lists_merge_per_key() {
    let all = fruits(&[("apple", 20), ("grape", 5), ("banana", 3), ("pear", 30)]);
    assert_eq!(fruit(&merge3_case("one-key-crd")), (10, all.clone()));
    assert_eq!(fruit(&merge3_case("one-key-crd-empty-orig")), (10, all));
    assert_eq!(
        fruit(&merge3_case("one-key-crd-empty-updated")),
        (10, fruits(&[("banana", 3)]))
    );
    assert_eq!(
        fruit(&merge3_case("one-key-crd-empty-dest")),
        (10, fruits(&[("apple", 20), ("pear", 30)]))
    );
}

#[test]
fn merge3_lists_without_keys_are_replaced_by_upstream() {
    assert_eq!(
        fruit(&merge3_case("non-assoc-crd")),
        (10, fruits(&[("apple", 20), ("grape", 5), ("pear", 30)]))
    );
}
