//! `porchctl fn render` on small packages: kpt's progress output, the
//! results file, and `exec` functions only with `--allow-exec`.

use std::path::Path;
use std::process::Command;

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn porchctl(args: &[&str], dir: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_porchctl"))
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app # keep me\nspec:\n  replicas: 3\n";

#[test]
fn render_prints_progress_and_writes_results() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("app");
    write(
        &pkg,
        "Kptfile",
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n  - image: set-namespace:v0.4.1\n    configMap:\n      namespace: prod\n",
    );
    write(&pkg, "deploy.yaml", DEPLOY);
    let results = tmp.path().join("results");
    let (code, stderr) = porchctl(
        &["fn", "render", "--results-dir", results.to_str().unwrap()],
        &pkg,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("Package \"app\":\n[RUNNING] \"ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1\" on package \"app\"\n[PASS]"), "{stderr}");
    assert!(
        stderr
            .contains("    [info]: namespace [default] updated to \"prod\", 1 value(s) changed\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Successfully executed 1 function(s) in 1 package(s)."),
        "{stderr}"
    );
    let text = std::fs::read_to_string(pkg.join("deploy.yaml")).unwrap();
    assert_eq!(
        text,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app # keep me\n  namespace: prod\nspec:\n  replicas: 3\n"
    );
    let r = std::fs::read_to_string(results.join("results.yaml")).unwrap();
    assert!(
        r.contains("kind: FunctionResultList") && r.contains("exitCode: 0"),
        "{r}"
    );
    let k = std::fs::read_to_string(pkg.join("Kptfile")).unwrap();
    assert!(k.contains("reason: RenderSuccess"), "{k}");
}

#[test]
fn exec_functions_need_allow_exec() {
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("add-label.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsed 's/^\\( *\\)name: app # keep me$/&\\n\\1labels:\\n\\1  by: exec/'\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let pkg = tmp.path().join("pkg");
    write(
        &pkg,
        "Kptfile",
        &format!(
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\npipeline:\n  mutators:\n  - exec: {}\n",
            script.display()
        ),
    );
    write(&pkg, "deploy.yaml", DEPLOY);
    let (code, stderr) = porchctl(&["fn", "render"], &pkg);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "Error: must run with `--allow-exec` option to allow running function binaries"
        ),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(pkg.join("deploy.yaml")).unwrap(),
        DEPLOY
    );
    let (code, stderr) = porchctl(&["fn", "render", "--allow-exec"], &pkg);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(pkg.join("deploy.yaml")).unwrap();
    assert!(text.contains("  labels:\n    by: exec\n"), "{text}");
}

#[test]
fn unknown_images_fail_the_render() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("pkg");
    write(
        &pkg,
        "Kptfile",
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\npipeline:\n  mutators:\n  - image: quay.io/invalid/nonexistent-fn:v0.0.1\n",
    );
    write(&pkg, "deploy.yaml", DEPLOY);
    let (code, stderr) = porchctl(&["fn", "render"], &pkg);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("[FAIL] \"quay.io/invalid/nonexistent-fn:v0.0.1\""),
        "{stderr}"
    );
    assert!(stderr.contains("not found"), "{stderr}");
}
