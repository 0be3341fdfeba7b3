//! Authoring and lifecycle (issue 6) against the real porch-server, real git
//! repositories and kubectl: the Porch e2e scenarios of testing.md §3 with
//! porch-rs's stricter codes, and what git holds afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;

use porch_testkit::git as g;
use porch_testkit::kubectl::Kubectl;
use porch_testkit::server::{Response, Server};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_porch-server");
const API: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces";

/// A server, kubectl, and a scratch directory for repositories.
struct Env {
    s: Server,
    k: Kubectl,
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let s = Server::start(
            BIN,
            &[
                "--repo-sync-interval",
                "500ms",
                "--git-timeout",
                "20s",
                "--operation-lock-ttl",
                "3s",
            ],
        );
        Env::on(s)
    }

    /// kubectl and a scratch directory for an already started server.
    fn on(s: Server) -> Env {
        Env {
            k: Kubectl::new(32, &s.kubeconfig()),
            s,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A fresh `porch-test` repository (one README commit on main), by path.
    fn porch_test(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(format!("{name}.git"));
        g::porch_test_repo(&p);
        p
    }

    /// The blueprints repository (all tags), by path.
    fn blueprints(&self) -> PathBuf {
        let p = self.dir.path().join("blueprints.git");
        if !p.exists() {
            g::bare_from_bundle(&g::blueprints_bundle(), &p);
        }
        p
    }

    fn namespace(&self, ns: &str) {
        if ns != "default" {
            self.k
                .run_stdin(
                    &["apply", "-f", "-"],
                    &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
                )
                .ok();
        }
    }

    fn register(&self, ns: &str, name: &str, url: &Path, extra: &str) {
        self.apply_repository(ns, name, &repo_manifest(ns, name, url, extra, ""));
    }

    /// Apply a Repository manifest and wait until it is Ready.
    fn apply_repository(&self, ns: &str, name: &str, manifest: &str) {
        self.k.run_stdin(&["apply", "-f", "-"], manifest).ok();
        self.k
            .run(&[
                "wait",
                "-n",
                ns,
                "--for=condition=Ready",
                &format!("repository/{name}"),
                "--timeout=60s",
            ])
            .ok();
    }

    fn req(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
        self.s.request(
            method,
            path,
            bytes.as_ref().map(|_| "application/json"),
            bytes.as_deref(),
        )
    }

    fn get(&self, ns: &str, resource: &str, name: &str) -> Value {
        let r = self.req("GET", &format!("{API}/{ns}/{resource}/{name}"), None);
        assert_eq!(r.code, 200, "GET {resource}/{name}: {}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    fn create(&self, ns: &str, pr: &Value) -> Response {
        self.req("POST", &format!("{API}/{ns}/packagerevisions"), Some(pr))
    }

    /// Set the lifecycle through the main resource (propose, reject) or approval.
    fn lifecycle(&self, ns: &str, name: &str, lifecycle: &str, approval: bool) -> Response {
        let mut pr = self.get(ns, "packagerevisions", name);
        pr["spec"]["lifecycle"] = json!(lifecycle);
        let sub = if approval { "/approval" } else { "" };
        self.req(
            "PUT",
            &format!("{API}/{ns}/packagerevisions/{name}{sub}"),
            Some(&pr),
        )
    }

    fn publish(&self, ns: &str, name: &str) -> Value {
        let r = self.lifecycle(ns, name, "Proposed", false);
        assert_eq!(r.code, 200, "propose {name}: {}", r.body);
        let r = self.lifecycle(ns, name, "Published", true);
        assert_eq!(r.code, 200, "approve {name}: {}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    fn list(&self, ns: &str, query: &str) -> Vec<Value> {
        let r = self.req("GET", &format!("{API}/{ns}/packagerevisions{query}"), None);
        assert_eq!(r.code, 200, "{}", r.body);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        v["items"].as_array().cloned().unwrap_or_default()
    }
}

/// A git Repository; `spec_extra` / `git_extra` are indented lines under `spec` / `spec.git`.
fn repo_manifest(ns: &str, name: &str, url: &Path, spec_extra: &str, git_extra: &str) -> String {
    format!(
        "apiVersion: config.porch.kpt.dev/v1alpha1\nkind: Repository\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  type: git\n{spec_extra}  git:\n    repo: {}\n{git_extra}",
        url.display()
    )
}

fn draft(repo: &str, pkg: &str, ws: &str, task: Option<Value>) -> Value {
    let mut pr = json!({
        "apiVersion": "porch.kpt.dev/v1alpha1", "kind": "PackageRevision",
        "metadata": {"name": "ignored"},
        "spec": {"repository": repo, "packageName": pkg, "workspaceName": ws},
    });
    if let Some(t) = task {
        pr["spec"]["tasks"] = json!([t]);
    }
    pr
}

/// The start of a long body, for assertion messages.
fn short(s: &str) -> &str {
    &s[..s.len().min(1500)]
}

fn body(r: &Response) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

fn kptfile(e: &Env, ns: &str, name: &str) -> String {
    let prr = e.get(ns, "packagerevisionresources", name);
    prr["spec"]["resources"]["Kptfile"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn refs(bare: &Path) -> Vec<String> {
    g::git(bare, &["for-each-ref", "--format=%(refname)"])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn init_propose_approve_delete_as_porch_writes_git() {
    let e = Env::new();
    let bare = e.porch_test("porch-test");
    e.register("default", "porch-test", &bare, "");

    // Create with kubectl: no task means init with "<pkg> description".
    let manifest = "apiVersion: porch.kpt.dev/v1alpha1\nkind: PackageRevision\nmetadata:\n  namespace: default\nspec:\n  repository: porch-test\n  packageName: empty-package\n  workspaceName: test-workspace\n";
    let out = e.k.run_stdin(&["create", "-f", "-"], manifest).ok();
    assert!(
        out.stdout
            .contains("porch-test.empty-package.test-workspace created"),
        "{}",
        out.stdout
    );
    let name = "porch-test.empty-package.test-workspace";
    let pr = e.get("default", "packagerevisions", name);
    assert_eq!(pr["spec"]["lifecycle"], "Draft");
    assert!(
        pr["spec"]["revision"].is_null(),
        "revision 0 is omitted: {pr}"
    );
    assert_eq!(pr["spec"]["tasks"][0]["type"], "init");
    assert_eq!(
        pr["metadata"]["uid"],
        porch_api::names::generate_uid(
            "packagerevision:",
            "porch.kpt.dev/v1alpha1",
            "default",
            name
        )
    );
    let kf = kptfile(&e, "default", name);
    assert!(kf.contains("name: empty-package"), "{kf}");
    assert!(
        kf.contains("description: empty-package description"),
        "{kf}"
    );
    assert!(refs(&bare).contains(&"refs/heads/drafts/empty-package/test-workspace".to_string()));
    let msg = g::git(
        &bare,
        &[
            "log",
            "-1",
            "--format=%B",
            "drafts/empty-package/test-workspace",
        ],
    );
    assert!(msg.starts_with("Creating new empty revision"), "{msg}");
    assert!(msg.contains(r#"kpt:{"package":"empty-package","workspaceName":"test-workspace","task":{"type":"init""#), "{msg}");

    // The same again: 409 AlreadyExists; a second init of the package: 409.
    let again = e.create(
        "default",
        &draft("porch-test", "empty-package", "test-workspace", None),
    );
    assert_eq!(again.code, 409, "{}", again.body);
    assert_eq!(body(&again)["reason"], "AlreadyExists");
    let second = e.create(
        "default",
        &draft("porch-test", "empty-package", "other", None),
    );
    assert_eq!(second.code, 409, "{}", second.body);
    assert!(
        second
            .body
            .contains(r#"package \"empty-package\" already exists in repository \"porch-test\""#),
        "{}",
        second.body
    );

    // Approving a Draft is refused; propose with kubectl patch.
    let r = e.lifecycle("default", name, "Published", true);
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(r.body.contains("cannot approve package with Draft lifecycle value; only Proposed packages can be approved"), "{}", r.body);
    e.k.run(&[
        "patch",
        "packagerevisions",
        name,
        "--type=merge",
        "-p",
        r#"{"spec":{"lifecycle":"Proposed"}}"#,
    ])
    .ok();
    assert_eq!(
        e.get("default", "packagerevisions", name)["spec"]["lifecycle"],
        "Proposed"
    );
    assert!(refs(&bare).contains(&"refs/heads/proposed/empty-package/test-workspace".to_string()));
    assert!(!refs(&bare).contains(&"refs/heads/drafts/empty-package/test-workspace".to_string()));

    // Approve through the approval subresource with kubectl replace --raw.
    let mut pr = e.get("default", "packagerevisions", name);
    pr["spec"]["lifecycle"] = json!("Published");
    let file = e.dir.path().join("approve.json");
    std::fs::write(&file, serde_json::to_vec(&pr).unwrap()).unwrap();
    let path = format!("{API}/default/packagerevisions/{name}/approval");
    e.k.run(&["replace", "--raw", &path, "-f", &file.to_string_lossy()])
        .ok();
    let pr = e.get("default", "packagerevisions", name);
    assert_eq!(pr["spec"]["lifecycle"], "Published");
    assert_eq!(pr["spec"]["revision"], 1);
    assert_eq!(pr["metadata"]["labels"]["kpt.dev/latest-revision"], "true");
    assert!(
        pr["status"]["publishedBy"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{pr}"
    );
    let r = refs(&bare);
    assert!(
        r.contains(&"refs/tags/empty-package/v1".to_string()),
        "{r:?}"
    );
    assert!(!r.iter().any(|x| x.contains("proposed/")), "{r:?}");
    // The tag is the merge commit on main.
    assert_eq!(
        g::git(&bare, &["rev-parse", "main"]),
        g::git(&bare, &["rev-parse", "empty-package/v1^{commit}"])
    );
    let msg = g::git(&bare, &["log", "-1", "--format=%B", "main"]);
    assert!(
        msg.starts_with("Approving package revision empty-package/1"),
        "{msg}"
    );
    assert_eq!(
        g::git(&bare, &["show", "main:empty-package/Kptfile"]),
        kptfile(&e, "default", name)
    );
    // The placeholder appeared.
    let main = e.get(
        "default",
        "packagerevisions",
        "porch-test.empty-package.main",
    );
    assert_eq!(main["spec"]["revision"], -1);

    // Deleting a Published revision: 403; propose-delete, undo, propose again, delete.
    let out = e.k.run(&["delete", "packagerevision", name]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("published PackageRevisions must be proposed for deletion"),
        "{}",
        out.stderr
    );
    for (lc, code) in [
        ("DeletionProposed", 200),
        ("Published", 200),
        ("Draft", 422),
        ("DeletionProposed", 200),
    ] {
        let r = e.lifecycle("default", name, lc, true);
        assert_eq!(r.code, code, "{lc}: {}", r.body);
    }
    assert!(refs(&bare).contains(&"refs/heads/deletionProposed/empty-package/v1".to_string()));
    e.k.run(&["delete", "packagerevision", name]).ok();
    let r = e.req(
        "GET",
        &format!("{API}/default/packagerevisions/{name}"),
        None,
    );
    assert_eq!(r.code, 404);
    let r = refs(&bare);
    assert!(!r.iter().any(|x| x.contains("empty-package/v1")), "{r:?}");
}

fn clone_task(upstream: &str) -> Value {
    json!({"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": upstream}}}})
}

#[test]
fn clone_copy_and_upgrade_from_registered_blueprints() {
    let e = Env::new();
    let bp = e.blueprints();
    let bare = e.porch_test("porch-test");
    e.register("default", "test-blueprints", &bp, "");
    e.register("default", "porch-test", &bare, "");

    // From the placeholder: 422 naming it.
    let r = e.create(
        "default",
        &draft(
            "porch-test",
            "istions",
            "ws",
            Some(clone_task("test-blueprints.basens.main")),
        ),
    );
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body.contains("placeholder package revision"),
        "{}",
        r.body
    );

    // Clone basens v1: Kptfile renamed and pointed at the upstream.
    let r = e.create(
        "default",
        &draft(
            "porch-test",
            "istions",
            "test-workspace",
            Some(clone_task("test-blueprints.basens.v1")),
        ),
    );
    assert_eq!(r.code, 201, "{}", r.body);
    let name = "porch-test.istions.test-workspace";
    let kf = kptfile(&e, "default", name);
    assert!(kf.contains("name: istions"), "{kf}");
    let url = bp.display().to_string();
    assert!(kf.contains(&format!("upstream:\n  type: git\n  git:\n    repo: {url}\n    directory: basens\n    ref: basens/v1")), "{kf}");
    assert!(kf.contains("upstreamLock:\n  type: git\n  git:\n"), "{kf}");
    let commit = g::git(&bp, &["rev-parse", "basens/v1^{commit}"]);
    assert!(kf.contains(&format!("commit: {}", commit.trim())), "{kf}");
    let pr = e.get("default", "packagerevisions", name);
    assert_eq!(
        pr["status"]["upstreamLock"]["git"]["ref"], "basens/v1",
        "{pr}"
    );
    assert_eq!(
        pr["spec"]["tasks"][0]["clone"]["upstreamRef"]["upstreamRef"]["name"],
        "test-blueprints.basens.v1"
    );
    let prr = e.get("default", "packagerevisionresources", name);
    let ns = prr["spec"]["resources"]["namespace.yaml"]
        .as_str()
        .unwrap_or_default();
    assert!(
        ns.contains("internal.kpt.dev/upstream-identifier: '|Namespace|default|example'"),
        "{ns}"
    );

    // A second clone of the package: 409 with Porch's text.
    let r = e.create(
        "default",
        &draft(
            "porch-test",
            "istions",
            "other",
            Some(clone_task("test-blueprints.basens.v1")),
        ),
    );
    assert_eq!(r.code, 409, "{}", r.body);
    assert!(
        r.body.contains("make subsequent revisions using `copy`"),
        "{}",
        r.body
    );

    // Copy: from another package → 422; from an unpublished one → 422.
    let copy = |src: &str, _ws: &str| json!({"type": "edit", "edit": {"sourceRef": {"name": src}}});
    let r = e.create(
        "default",
        &draft(
            "porch-test",
            "istions",
            "copy",
            Some(copy("test-blueprints.basens.v1", "copy")),
        ),
    );
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body
            .contains("source revision must be from same package porch-test/istions"),
        "{}",
        r.body
    );
    let r = e.create(
        "default",
        &draft("porch-test", "istions", "copy", Some(copy(name, "copy"))),
    );
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body.contains("source revision must be published"),
        "{}",
        r.body
    );
    let published = e.publish("default", name);
    assert_eq!(published["spec"]["revision"], 1);
    let r = e.create(
        "default",
        &draft("porch-test", "istions", "copy", Some(copy(name, "copy"))),
    );
    assert_eq!(r.code, 201, "{}", r.body);
    let copied = body(&r);
    assert_eq!(copied["spec"]["tasks"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        copied["spec"]["tasks"][0]["edit"]["sourceRef"]["name"],
        name
    );
    assert_eq!(
        kptfile(&e, "default", "porch-test.istions.copy"),
        kptfile(&e, "default", name)
    );

    // Upgrade the published clone from basens v1 to v2 (resource-merge by default).
    let upgrade = json!({"type": "upgrade", "upgrade": {
        "oldUpstreamRef": {"name": "test-blueprints.basens.v1"},
        "newUpstreamRef": {"name": "test-blueprints.basens.v2"},
        "localPackageRevisionRef": {"name": name}}});
    let r = e.create(
        "default",
        &draft("porch-test", "istions", "upgrade", Some(upgrade.clone())),
    );
    assert_eq!(r.code, 201, "{}", r.body);
    let prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.istions.upgrade",
    );
    assert!(
        prr["spec"]["resources"]["resourcequota.yaml"].is_string(),
        "{prr}"
    );
    let kf = kptfile(&e, "default", "porch-test.istions.upgrade");
    assert!(kf.contains("ref: basens/v2"), "{kf}");
    let mut bad = upgrade.clone();
    bad["upgrade"]["newUpstreamRef"]["name"] = json!("test-blueprints.basens.main");
    let r = e.create(
        "default",
        &draft("porch-test", "istions", "upgrade-2", Some(bad)),
    );
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body.contains("placeholder package revision"),
        "{}",
        r.body
    );

    // basens v2 is the new upstream of the upgrade: its deletion is refused;
    // the local revision of an upgrade is no upstream and may go.
    let r = e.lifecycle(
        "default",
        "test-blueprints.basens.v2",
        "DeletionProposed",
        true,
    );
    assert_eq!(r.code, 200, "{}", r.body);
    let r = e.req(
        "DELETE",
        &format!("{API}/default/packagerevisions/test-blueprints.basens.v2"),
        None,
    );
    assert_eq!(r.code, 403, "{}", r.body);
    assert!(r.body.contains("cannot delete package revision, it is referenced as upstream by: porch-test.istions.upgrade"), "{}", r.body);
    // A packed tag of the registered repository goes from packed-refs.
    assert!(
        std::fs::read_to_string(bp.join("packed-refs"))
            .unwrap_or_default()
            .contains("refs/tags/basens/v3")
    );
    assert_eq!(
        e.lifecycle(
            "default",
            "test-blueprints.basens.v3",
            "DeletionProposed",
            true
        )
        .code,
        200
    );
    let r = e.req(
        "DELETE",
        &format!("{API}/default/packagerevisions/test-blueprints.basens.v3"),
        None,
    );
    assert_eq!(r.code, 200, "{}", r.body);
    assert!(
        !std::fs::read_to_string(bp.join("packed-refs"))
            .unwrap_or_default()
            .contains("refs/tags/basens/v3")
    );
    assert!(
        g::git(&bp, &["tag", "-l", "basens/*"])
            .lines()
            .all(|t| t != "basens/v3")
    );
    assert!(
        !refs(&bp)
            .iter()
            .any(|r| r.contains("deletionProposed/basens/v3")),
        "{:?}",
        refs(&bp)
    );
    g::git(&bp, &["fsck", "--no-progress"]);
    let r = e.lifecycle("default", name, "DeletionProposed", true);
    assert_eq!(r.code, 200, "{}", r.body);
    let r = e.req(
        "DELETE",
        &format!("{API}/default/packagerevisions/{name}"),
        None,
    );
    assert_eq!(r.code, 200, "{}", r.body);

    // Clone into a deployment repository from an unregistered git URL.
    let deploy = e.porch_test("deploy");
    e.register("default", "deploy", &deploy, "  deployment: true\n");
    let inline = json!({"type": "clone", "clone": {"upstreamRef": {"type": "git", "git": {
        "repo": url, "ref": "basens/v1", "directory": "/basens"}}}});
    let r = e.create(
        "default",
        &draft("deploy", "istions-deployment", "v1", Some(inline)),
    );
    assert_eq!(r.code, 201, "{}", r.body);
    let prr = e.get(
        "default",
        "packagerevisionresources",
        "deploy.istions-deployment.v1",
    );
    let ctx = prr["spec"]["resources"]["package-context.yaml"]
        .as_str()
        .unwrap_or_default();
    assert!(ctx.contains("name: istions-deployment"), "{ctx}");
    assert!(ctx.contains("kptfile.kpt.dev"), "{ctx}");

    // From an unreachable upstream: refused, and nothing is left behind.
    let port = porch_testkit::git::closed_port();
    let gone = json!({"type": "clone", "clone": {"upstreamRef": {"type": "git", "git": {
        "repo": format!("http://127.0.0.1:{port}/x.git"), "ref": "main", "directory": "/"}}}});
    let r = e.create("default", &draft("deploy", "unreachable", "v1", Some(gone)));
    assert!(
        r.code >= 400 && r.code < 600 && r.code != 500,
        "{} {}",
        r.code,
        r.body
    );
    let r = e.req(
        "GET",
        &format!("{API}/default/packagerevisions/deploy.unreachable.v1"),
        None,
    );
    assert_eq!(r.code, 404);
}

/// Append a mutator to the Kptfile of a PRR object.
fn add_mutator(prr: &mut Value, mutator: &str) {
    let kf = prr["spec"]["resources"]["Kptfile"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let kf = if kf.contains("pipeline:") {
        // Follow the file's list indentation.
        let mutator = if kf.contains("  mutators:\n    - ") {
            mutator
                .lines()
                .map(|l| format!("  {l}\n"))
                .collect::<String>()
        } else {
            mutator.to_string()
        };
        kf.replace("  mutators:\n", &format!("  mutators:\n{mutator}"))
    } else {
        format!("{kf}pipeline:\n  mutators:\n{mutator}")
    };
    prr["spec"]["resources"]["Kptfile"] = json!(kf);
}

/// An invalid Deployment and the kubeconform validator that rejects it.
fn with_failing_validator(prr: &mut Value) {
    prr["spec"]["resources"]["deploy.yaml"] = json!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: \"invalid\"\n"
    );
    let kf = prr["spec"]["resources"]["Kptfile"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    prr["spec"]["resources"]["Kptfile"] = json!(format!(
        "{kf}pipeline:\n  validators:\n  - image: ghcr.io/kptdev/krm-functions-catalog/kubeconform:v0.1.1\n"
    ));
}

const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: test-data\ndata:\n  key: before-render\n";

#[test]
fn resources_render_and_render_failures() {
    let e = Env::new();
    let bare = e.porch_test("porch-test");
    e.register("default", "porch-test", &bare, "");
    for ws in ["ok", "fail", "push", "save"] {
        let r = e.create(
            "default",
            &draft("porch-test", &format!("pkg-{ws}"), ws, None),
        );
        assert_eq!(r.code, 201, "{}", r.body);
    }
    let path = |n: &str| format!("{API}/default/packagerevisionresources/{n}");

    // An unchanged PUT is fine and renders nothing new.
    let prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-ok.ok",
    );
    let r = e.req("PUT", &path("porch-test.pkg-ok.ok"), Some(&prr));
    assert_eq!(r.code, 200, "{}", r.body);
    assert!(
        body(&r)["status"]["renderStatus"]["error"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );

    // Without resourceVersion: 422; with a stale one: 409.
    let mut no_rv = prr.clone();
    no_rv["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let r = e.req("PUT", &path("porch-test.pkg-ok.ok"), Some(&no_rv));
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body
            .contains("resourceVersion must be specified for an update"),
        "{}",
        r.body
    );
    let mut stale = prr.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    let r = e.req("PUT", &path("porch-test.pkg-ok.ok"), Some(&stale));
    assert_eq!(r.code, 409, "{}", r.body);
    assert!(r.body.contains("the object has been modified; please apply your changes to the latest version and try again"), "{}", r.body);

    // set-annotations renders in process; a 5 MiB value round-trips.
    let big = "x".repeat(5 * 1024 * 1024);
    let mut prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-ok.ok",
    );
    add_mutator(
        &mut prr,
        "  - image: ghcr.io/kptdev/krm-functions-catalog/set-annotations:v0.1.4\n    configMap:\n      color: red\n      fruit: apple\n",
    );
    prr["spec"]["resources"]["configmap.yaml"] = json!(CONFIG_MAP);
    prr["spec"]["resources"]["large.yaml"] = json!(format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: large\ndata:\n  value: {big}\n"
    ));
    let r = e.req("PUT", &path("porch-test.pkg-ok.ok"), Some(&prr));
    assert_eq!(r.code, 200, "{}", short(&r.body));
    let out = body(&r);
    assert_eq!(
        out["status"]["renderStatus"]["result"]["exitCode"], 0,
        "{}",
        out["status"]
    );
    let cm = out["spec"]["resources"]["configmap.yaml"]
        .as_str()
        .unwrap_or_default();
    assert!(
        cm.contains("color: red") && cm.contains("fruit: apple"),
        "{cm}"
    );
    let stored = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-ok.ok",
    );
    assert_eq!(
        stored["spec"]["resources"]["configmap.yaml"],
        out["spec"]["resources"]["configmap.yaml"]
    );
    let large = stored["spec"]["resources"]["large.yaml"]
        .as_str()
        .unwrap_or_default();
    assert!(large.contains(&big), "large value lost");
    let kf = stored["spec"]["resources"]["Kptfile"]
        .as_str()
        .unwrap_or_default();
    assert!(kf.contains("type: Rendered"), "{kf}");
    let msg = g::git(&bare, &["log", "-1", "--format=%B", "drafts/pkg-ok/ok"]);
    assert!(
        msg.starts_with("Rendering package") && msg.contains(r#""task":{"type":"render"}"#),
        "{msg}"
    );
    // The PR moved with its resources (same resourceVersion).
    let pr = e.get("default", "packagerevisions", "porch-test.pkg-ok.ok");
    assert_eq!(
        pr["metadata"]["resourceVersion"],
        stored["metadata"]["resourceVersion"]
    );

    // A failing function: 422, nothing saved.
    let broken = "  - image: quay.io/invalid/nonexistent-fn:v0.0.1\n";
    let mut prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-fail.fail",
    );
    add_mutator(&mut prr, broken);
    prr["spec"]["resources"]["configmap.yaml"] = json!(CONFIG_MAP);
    let r = e.req("PUT", &path("porch-test.pkg-fail.fail"), Some(&prr));
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(r.body.contains("error rendering package in kpt function pipeline. Package NOT pushed to remote. Fix locally (until 'kpt fn render' succeeds) and retry."), "{}", r.body);
    let after = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-fail.fail",
    );
    assert!(after["spec"]["resources"]["configmap.yaml"].is_null());

    // push-on-render-failure: saved unrendered, error still returned.
    e.k.run(&[
        "annotate",
        "packagerevisions.v1alpha1.porch.kpt.dev",
        "porch-test.pkg-push.push",
        "porch.kpt.dev/push-on-render-failure=true",
    ])
    .ok();
    let mut prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-push.push",
    );
    add_mutator(&mut prr, broken);
    prr["spec"]["resources"]["configmap.yaml"] = json!(CONFIG_MAP);
    let r = e.req("PUT", &path("porch-test.pkg-push.push"), Some(&prr));
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body
            .contains("Package pushed to remote despite render failure"),
        "{}",
        r.body
    );
    let after = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-push.push",
    );
    assert!(
        after["spec"]["resources"]["configmap.yaml"]
            .as_str()
            .unwrap_or_default()
            .contains("key: before-render")
    );
    assert!(
        after["spec"]["resources"]["Kptfile"]
            .as_str()
            .unwrap_or_default()
            .contains("nonexistent-fn")
    );

    // … and with kpt's save-on-render-failure, partially rendered.
    e.k.run(&[
        "annotate",
        "packagerevisions",
        "porch-test.pkg-save.save",
        "porch.kpt.dev/push-on-render-failure=true",
    ])
    .ok();
    let mut prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-save.save",
    );
    let kf = prr["spec"]["resources"]["Kptfile"]
        .as_str()
        .unwrap_or_default()
        .replace(
            "  annotations:\n",
            "  annotations:\n    kpt.dev/save-on-render-failure: \"true\"\n",
        );
    prr["spec"]["resources"]["Kptfile"] = json!(kf);
    add_mutator(
        &mut prr,
        &format!(
            "  - image: ghcr.io/kptdev/krm-functions-catalog/set-annotations:v0.1.4\n    configMap:\n      render-test: partial\n{broken}"
        ),
    );
    prr["spec"]["resources"]["configmap.yaml"] = json!(CONFIG_MAP);
    let r = e.req("PUT", &path("porch-test.pkg-save.save"), Some(&prr));
    assert_eq!(r.code, 422, "{}", r.body);
    let after = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-save.save",
    );
    assert!(
        after["spec"]["resources"]["configmap.yaml"]
            .as_str()
            .unwrap_or_default()
            .contains("render-test: partial"),
        "{after}"
    );

    // Resources of a non-draft: 422.
    e.publish("default", "porch-test.pkg-ok.ok");
    let mut prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.pkg-ok.ok",
    );
    prr["spec"]["resources"]["new.yaml"] = json!(CONFIG_MAP);
    let r = e.req("PUT", &path("porch-test.pkg-ok.ok"), Some(&prr));
    assert_eq!(r.code, 422, "{}", short(&r.body));
    assert!(
        r.body
            .contains("resources can only be changed while the revision is Draft"),
        "{}",
        short(&r.body)
    );
}

#[test]
fn metadata_latest_label_finalizers_readiness_and_events() {
    let e = Env::new();
    let bare = e.porch_test("porch-test");
    let bp = e.blueprints();
    e.namespace("meta");
    e.register("meta", "porch-test", &bare, "");
    e.register("meta", "test-blueprints", &bp, "");
    let watch = e.k.spawn(&["get", "packagerevisions", "-n", "meta", "--watch", "--output-watch-events", "-o", "custom-columns=TYPE:.type,NAME:.object.metadata.name,LC:.object.spec.lifecycle,LATEST:.object.metadata.labels.kpt\\.dev/latest-revision"]);

    // Labels and annotations given at create survive propose and approve.
    let mut pr = draft("porch-test", "pkg", "v1", None);
    pr["metadata"]["labels"] = json!({"kpt.dev/label": "foo", "other": "x"});
    pr["metadata"]["annotations"] = json!({"note": "kept"});
    assert_eq!(e.create("meta", &pr).code, 201);
    let mut with_latest = draft("porch-test", "pkg", "v9", None);
    with_latest["metadata"]["labels"] = json!({"kpt.dev/latest-revision": "true"});
    let r = e.create("meta", &with_latest);
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body
            .contains("label is managed by porch and cannot be set by users"),
        "{}",
        r.body
    );
    let v1 = e.publish("meta", "porch-test.pkg.v1");
    assert_eq!(v1["metadata"]["labels"]["kpt.dev/label"], "foo", "{v1}");
    assert_eq!(v1["metadata"]["labels"]["kpt.dev/latest-revision"], "true");
    assert_eq!(v1["metadata"]["annotations"]["note"], "kept");
    // Users cannot change the latest label; other metadata changes persist (kubectl label).
    let mut changed = e.get("meta", "packagerevisions", "porch-test.pkg.v1");
    changed["metadata"]["labels"]["kpt.dev/latest-revision"] = json!("false");
    let r = e.req(
        "PUT",
        &format!("{API}/meta/packagerevisions/porch-test.pkg.v1"),
        Some(&changed),
    );
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(r.body.contains("cannot be modified by users"), "{}", r.body);
    e.k.run(&[
        "label",
        "-n",
        "meta",
        "packagerevision",
        "porch-test.pkg.v1",
        "other-",
        "added=yes",
    ])
    .ok();
    let got = e.get("meta", "packagerevisions", "porch-test.pkg.v1");
    assert_eq!(got["metadata"]["labels"]["added"], "yes");
    assert!(got["metadata"]["labels"]["other"].is_null());
    assert_eq!(got["metadata"]["labels"]["kpt.dev/latest-revision"], "true");
    // Selectors.
    let names = |q: &str| -> Vec<String> {
        e.list("meta", q)
            .iter()
            .map(|p| {
                p["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        names("?labelSelector=kpt.dev/label%3Dfoo"),
        ["porch-test.pkg.v1"]
    );
    assert!(names("?labelSelector=kpt.dev/label%3Dbar").is_empty());
    assert_eq!(
        names(
            "?labelSelector=kpt.dev/latest-revision%3Dtrue&fieldSelector=spec.repository%3Dporch-test"
        ),
        ["porch-test.pkg.v1"]
    );
    assert_eq!(
        names("?fieldSelector=spec.packageName%3Dpkg,spec.revision%3D1"),
        ["porch-test.pkg.v1"]
    );

    // A copy becomes latest; deleting it moves the label back.
    let copy = json!({"type": "edit", "edit": {"sourceRef": {"name": "porch-test.pkg.v1"}}});
    assert_eq!(
        e.create("meta", &draft("porch-test", "pkg", "v2", Some(copy)))
            .code,
        201
    );
    let v2 = e.publish("meta", "porch-test.pkg.v2");
    assert_eq!(v2["spec"]["revision"], 2);
    assert_eq!(v2["metadata"]["labels"]["kpt.dev/latest-revision"], "true");
    assert!(e.get("meta", "packagerevisions", "porch-test.pkg.v1")["metadata"]["labels"]["kpt.dev/latest-revision"].is_null());
    let r = e.lifecycle("meta", "porch-test.pkg.v2", "DeletionProposed", false);
    assert_eq!(r.code, 200, "{}", r.body);
    e.k.run(&[
        "delete",
        "-n",
        "meta",
        "packagerevision",
        "porch-test.pkg.v2",
    ])
    .ok();
    assert_eq!(
        e.get("meta", "packagerevisions", "porch-test.pkg.v1")["metadata"]["labels"]["kpt.dev/latest-revision"],
        "true"
    );
    let pkg = e.get("meta", "packages", "porch-test.pkg");
    assert_eq!(pkg["status"]["latestRevision"], 1);

    // Finalizers: delete waits for them; removing the last one deletes in git.
    assert_eq!(
        e.create("meta", &draft("porch-test", "fin", "ws", None))
            .code,
        201
    );
    e.k.run(&[
        "patch",
        "-n",
        "meta",
        "packagerevision",
        "porch-test.fin.ws",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["foo-finalizer"]}}"#,
    ])
    .ok();
    e.k.run(&[
        "delete",
        "-n",
        "meta",
        "packagerevision",
        "porch-test.fin.ws",
        "--wait=false",
    ])
    .ok();
    let fin = e.get("meta", "packagerevisions", "porch-test.fin.ws");
    assert!(fin["metadata"]["deletionTimestamp"].is_string(), "{fin}");
    assert!(refs(&bare).contains(&"refs/heads/drafts/fin/ws".to_string()));
    e.k.run(&[
        "patch",
        "-n",
        "meta",
        "packagerevision",
        "porch-test.fin.ws",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ])
    .ok();
    let r = e.req(
        "GET",
        &format!("{API}/meta/packagerevisions/porch-test.fin.ws"),
        None,
    );
    assert_eq!(r.code, 404, "{}", r.body);
    assert!(!refs(&bare).contains(&"refs/heads/drafts/fin/ws".to_string()));

    // Readiness gates: approval refused until the condition holds.
    let clone = json!({"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "test-blueprints.unready.v1"}}}});
    assert_eq!(
        e.create("meta", &draft("porch-test", "unready", "ws", Some(clone)))
            .code,
        201
    );
    let name = "porch-test.unready.ws";
    let pr = e.get("meta", "packagerevisions", name);
    assert_eq!(
        pr["spec"]["readinessGates"][0]["conditionType"], "nephio.org.Specializer.specialize",
        "{pr}"
    );
    assert_eq!(e.lifecycle("meta", name, "Proposed", false).code, 200);
    let r = e.lifecycle("meta", name, "Published", true);
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body.contains("nephio.org.Specializer.specialize")
            && r.body.contains("readiness gates not satisfied"),
        "{}",
        r.body
    );
    // Back to Draft, set the condition through the PR (written into the Kptfile), approve.
    assert_eq!(e.lifecycle("meta", name, "Draft", true).code, 200);
    let mut pr = e.get("meta", "packagerevisions", name);
    pr["status"]["conditions"] =
        json!([{"type": "nephio.org.Specializer.specialize", "status": "True", "reason": "Done"}]);
    let r = e.req(
        "PUT",
        &format!("{API}/meta/packagerevisions/{name}"),
        Some(&pr),
    );
    assert_eq!(r.code, 200, "{}", r.body);
    assert!(
        kptfile(&e, "meta", name).contains("status: 'True'"),
        "{}",
        kptfile(&e, "meta", name)
    );
    let published = e.publish("meta", name);
    assert_eq!(published["spec"]["revision"], 1);

    // Events: ADDED on create, MODIFIED for lifecycle and latest moves, DELETED.
    let mut w = watch;
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = w.wait(std::time::Duration::from_millis(10));
    let events = w.stdout();
    let has = |t: &str, n: &str, rest: &str| {
        events.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.first() == Some(&t)
                && f.get(1) == Some(&n)
                && rest
                    .split_whitespace()
                    .zip(f.iter().skip(2))
                    .all(|(a, b)| a == *b)
        })
    };
    assert!(has("ADDED", "porch-test.pkg.v1", "Draft"), "{events}");
    assert!(has("MODIFIED", "porch-test.pkg.v1", "Proposed"), "{events}");
    assert!(
        has("MODIFIED", "porch-test.pkg.v1", "Published true"),
        "{events}"
    );
    assert!(
        has("MODIFIED", "porch-test.pkg.v1", "Published <none>"),
        "{events}"
    );
    assert!(has("DELETED", "porch-test.pkg.v2", ""), "{events}");
    assert!(has("DELETED", "porch-test.fin.ws", ""), "{events}");
}

/// Run `f(i)` on `n` threads released together; the HTTP codes, in order.
fn race(n: usize, f: impl Fn(usize) -> Response + Sync) -> Vec<u16> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    f(i).code
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    })
}

fn count(codes: &[u16], code: u16) -> usize {
    codes.iter().filter(|c| **c == code).count()
}

#[test]
fn concurrent_writers_one_wins_and_revisions_never_repeat() {
    let e = Env::new();
    let bare = e.porch_test("porch-test");
    e.register("default", "porch-test", &bare, "");

    // Ten creates of one revision: one 201, the rest 409.
    let codes = race(10, |_| {
        e.create("default", &draft("porch-test", "race", "ws", None))
    });
    assert_eq!(count(&codes, 201), 1, "{codes:?}");
    assert_eq!(count(&codes, 409), 9, "{codes:?}");

    // Fifty updates of one PRR from the same resourceVersion: no lost update.
    let base = e.get("default", "packagerevisionresources", "porch-test.race.ws");
    let path = format!("{API}/default/packagerevisionresources/porch-test.race.ws");
    let codes = race(50, |i| {
        let mut prr = base.clone();
        prr["spec"]["resources"]["cm.yaml"] = json!(format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: writer\ndata:\n  who: w{i}\n"
        ));
        e.req("PUT", &path, Some(&prr))
    });
    assert_eq!(count(&codes, 200), 1, "{codes:?}");
    assert_eq!(count(&codes, 409), 49, "{codes:?}");
    let winner = codes.iter().position(|c| *c == 200).unwrap_or(usize::MAX);
    let now = e.get("default", "packagerevisionresources", "porch-test.race.ws");
    assert!(
        now["spec"]["resources"]["cm.yaml"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("who: w{winner}")),
        "{now}"
    );

    // Two racing proposals: one wins; two racing approvals: one publishes.
    let codes = race(2, |_| {
        e.lifecycle("default", "porch-test.race.ws", "Proposed", false)
    });
    assert!(
        count(&codes, 200) >= 1 && !codes.contains(&500),
        "{codes:?}"
    );
    let mut pr = e.get("default", "packagerevisions", "porch-test.race.ws");
    pr["spec"]["lifecycle"] = json!("Published");
    let approval = format!("{API}/default/packagerevisions/porch-test.race.ws/approval");
    let codes = race(2, |_| e.req("PUT", &approval, Some(&pr)));
    assert_eq!(count(&codes, 200), 1, "{codes:?}");
    assert_eq!(count(&codes, 409), 1, "{codes:?}");

    // Six drafts of one package approved at once: revisions 2..=7, each once.
    for i in 0..6 {
        let copy = json!({"type": "edit", "edit": {"sourceRef": {"name": "porch-test.race.ws"}}});
        assert_eq!(
            e.create(
                "default",
                &draft("porch-test", "race", &format!("c{i}"), Some(copy))
            )
            .code,
            201
        );
        assert_eq!(
            e.lifecycle(
                "default",
                &format!("porch-test.race.c{i}"),
                "Proposed",
                false
            )
            .code,
            200
        );
    }
    let codes = race(6, |i| {
        let r = e.lifecycle(
            "default",
            &format!("porch-test.race.c{i}"),
            "Published",
            true,
        );
        assert_eq!(r.code, 200, "{}", r.body);
        r
    });
    assert_eq!(count(&codes, 200), 6, "{codes:?}");
    let mut revisions: Vec<i64> = e
        .list("default", "?fieldSelector=spec.packageName%3Drace")
        .iter()
        .filter_map(|p| p["spec"]["revision"].as_i64())
        .filter(|r| *r > 0)
        .collect();
    revisions.sort();
    assert_eq!(revisions, [1, 2, 3, 4, 5, 6, 7]);
    let tags = g::git(&bare, &["tag", "-l", "race/*"]);
    assert_eq!(tags.lines().count(), 7, "{tags}");
    // Every tag's commit is on main.
    for t in tags.lines() {
        g::git(&bare, &["merge-base", "--is-ancestor", t, "main"]);
    }

    // Eight deletes of one draft: one 200, the others 409 or 404, and it is gone.
    assert_eq!(
        e.create("default", &draft("porch-test", "gone", "ws", None))
            .code,
        201
    );
    let path = format!("{API}/default/packagerevisions/porch-test.gone.ws");
    let codes = race(8, |_| e.req("DELETE", &path, None));
    assert_eq!(count(&codes, 200), 1, "{codes:?}");
    assert_eq!(count(&codes, 409) + count(&codes, 404), 7, "{codes:?}");
    assert_eq!(e.req("GET", &path, None).code, 404);
    assert!(
        !refs(&bare).iter().any(|r| r.contains("gone")),
        "{:?}",
        refs(&bare)
    );
}

/// What a revision looks like to a user, for comparing servers. The commit
/// of a placeholder is left out: after its own replica's writes to other
/// packages it stays at the branch commit it was last read from (same
/// package content), where a fresh server reads the branch head.
fn summary(pr: &Value) -> String {
    let placeholder = pr["spec"]["revision"] == -1;
    format!(
        "{} {} {} {} {} {}",
        pr["metadata"]["name"].as_str().unwrap_or_default(),
        pr["spec"]["revision"],
        pr["spec"]["lifecycle"].as_str().unwrap_or_default(),
        pr["metadata"]["labels"]["kpt.dev/latest-revision"]
            .as_str()
            .unwrap_or("-"),
        pr["spec"]["tasks"],
        if placeholder {
            ""
        } else {
            pr["status"]["selfLock"]["git"]["commit"]
                .as_str()
                .unwrap_or_default()
        },
    )
}

#[test]
fn kill_during_approvals_leaves_git_and_server_consistent() {
    let mut e = Env::new();
    let bare = e.porch_test("porch-test");
    e.register("default", "porch-test", &bare, "");
    let n = 100;
    for i in 0..n {
        assert_eq!(
            e.create(
                "default",
                &draft("porch-test", &format!("k{i:03}"), "ws", None)
            )
            .code,
            201
        );
        assert_eq!(
            e.lifecycle(
                "default",
                &format!("porch-test.k{i:03}.ws"),
                "Proposed",
                false
            )
            .code,
            200
        );
    }
    // Approve from four threads; kill -9 the server in the middle of it.
    let pid = e.s.pid().unwrap_or(0);
    std::thread::scope(|s| {
        for t in 0..4 {
            let e = &e;
            s.spawn(move || {
                for i in (t..n).step_by(4) {
                    let path = format!("{API}/default/packagerevisions/porch-test.k{i:03}.ws");
                    let got = e.req("GET", &path, None);
                    if got.code != 200 {
                        break; // killed
                    }
                    let mut pr: Value = serde_json::from_str(&got.body).unwrap_or_default();
                    pr["spec"]["lifecycle"] = json!("Published");
                    let r = e.req("PUT", &format!("{path}/approval"), Some(&pr));
                    if r.code == 0 {
                        break;
                    }
                    assert!(r.code != 500, "{}", r.body);
                }
            });
        }
        // Kill once about a third is published, however fast the machine.
        let start = std::time::Instant::now();
        while g::git(&bare, &["tag", "-l"]).lines().count() < n / 3
            && start.elapsed() < std::time::Duration::from_secs(120)
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    });
    // Git: every tag is on main and its proposal branch is gone, never both.
    let all = refs(&bare);
    let mut published = 0;
    for i in 0..n {
        let tag = format!("refs/tags/k{i:03}/v1");
        let proposed = format!("refs/heads/proposed/k{i:03}/ws");
        assert!(
            all.contains(&tag) != all.contains(&proposed),
            "k{i:03}: {all:?}"
        );
        if all.contains(&tag) {
            g::git(&bare, &["merge-base", "--is-ancestor", &tag, "main"]);
            published += 1;
        }
    }
    assert!(
        published > 0 && published < n,
        "the kill should land mid-way: {published} of {n} published"
    );
    g::git(&bare, &["fsck", "--no-progress"]);

    // After a restart the server shows exactly what git holds; the rest can still be approved.
    e.s.restart();
    porch_testkit::wait_until(
        "revisions match git after the restart",
        std::time::Duration::from_secs(60),
        || {
            e.list("default", "")
                .iter()
                .filter(|p| p["spec"]["lifecycle"] == "Published" && p["spec"]["revision"] == 1)
                .count()
                == published
        },
    );
    for i in 0..n {
        let name = format!("porch-test.k{i:03}.ws");
        let pr = e.get("default", "packagerevisions", &name);
        if pr["spec"]["lifecycle"] == "Proposed" {
            let mut r = e.lifecycle("default", &name, "Published", true);
            for _ in 0..20 {
                // A lock the killed server held expires after --operation-lock-ttl.
                if r.code != 409 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(300));
                r = e.lifecycle("default", &name, "Published", true);
            }
            assert_eq!(r.code, 200, "{name}: {}", r.body);
        }
        assert_eq!(
            e.get("default", "packagerevisions", &name)["spec"]["revision"],
            1
        );
    }

    // A fresh server registering the same repository lists the same revisions.
    let fresh = Env::new();
    fresh.register("default", "porch-test", &bare, "");
    let mut a: Vec<String> = e.list("default", "").iter().map(summary).collect();
    let mut b: Vec<String> = fresh.list("default", "").iter().map(summary).collect();
    a.sort();
    b.sort();
    assert_eq!(a.len(), 2 * n);
    assert_eq!(a, b);
}

#[test]
fn directories_branches_placeholders_and_namespaces() {
    let e = Env::new();
    let bare = e.porch_test("porch-test");

    // A repository on a new branch (createBranch) with a directory; nested package names.
    let m = repo_manifest(
        "default",
        "sub",
        &bare,
        "",
        "    branch: subfolder\n    createBranch: true\n    directory: random/repo/folder\n",
    );
    e.apply_repository("default", "sub", &m);
    let pkg = "random/package/folder/test-package";
    assert_eq!(
        e.create("default", &draft("sub", pkg, "v1", None)).code,
        201
    );
    let name = "sub.random.package.folder.test-package.v1";
    assert_eq!(e.publish("default", name)["spec"]["revision"], 1);
    let copy = json!({"type": "edit", "edit": {"sourceRef": {"name": name}}});
    assert_eq!(
        e.create("default", &draft("sub", pkg, "v2", Some(copy)))
            .code,
        201
    );
    assert_eq!(
        e.publish("default", "sub.random.package.folder.test-package.v2")["spec"]["revision"],
        2
    );
    let r = refs(&bare);
    assert!(
        r.contains(
            &"refs/tags/random/repo/folder/random/package/folder/test-package/v2".to_string()
        ),
        "{r:?}"
    );
    assert!(
        g::git(&bare, &["ls-tree", "-r", "--name-only", "subfolder"])
            .contains("random/repo/folder/random/package/folder/test-package/Kptfile")
    );
    // Listed package names never carry the directory; locks keep Porch's quirk.
    let pr = e.get(
        "default",
        "packagerevisions",
        "sub.random.package.folder.test-package.v2",
    );
    assert_eq!(pr["spec"]["packageName"], pkg);
    assert_eq!(
        pr["status"]["selfLock"]["git"]["ref"],
        "random/repo/folder/random/package/folder/test-package/v2"
    );
    // A package inside another one: 422.
    let r = e.create(
        "default",
        &draft(
            "sub",
            "random/package/folder/test-package/inner",
            "v1",
            None,
        ),
    );
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(r.body.contains("packages cannot be nested"), "{}", r.body);

    // Deleting the placeholder: propose-delete, undo, again, delete → `Delete FULL` on the branch.
    let main = "sub.random.package.folder.test-package.subfolder";
    assert_eq!(
        e.get("default", "packagerevisions", main)["spec"]["revision"],
        -1
    );
    for lc in ["DeletionProposed", "Published", "DeletionProposed"] {
        let r = e.lifecycle("default", main, lc, true);
        assert_eq!(r.code, 200, "{lc}: {}", r.body);
    }
    let r = e.req(
        "DELETE",
        &format!("{API}/default/packagerevisions/{main}"),
        None,
    );
    assert_eq!(r.code, 200, "{}", r.body);
    let msg = g::git(&bare, &["log", "-1", "--format=%s", "subfolder"]);
    assert_eq!(
        msg.trim(),
        "Delete random/repo/folder/random/package/folder/test-package"
    );
    assert_eq!(
        e.req(
            "GET",
            &format!("{API}/default/packagerevisions/{main}"),
            None
        )
        .code,
        404
    );
    // The tags stay; deleting them one by one removes the package.
    for v in ["v1", "v2"] {
        let n = format!("sub.random.package.folder.test-package.{v}");
        assert_eq!(
            e.lifecycle("default", &n, "DeletionProposed", true).code,
            200
        );
        assert_eq!(
            e.req(
                "DELETE",
                &format!("{API}/default/packagerevisions/{n}"),
                None
            )
            .code,
            200
        );
    }
    assert_eq!(
        e.req(
            "GET",
            &format!("{API}/default/packages/sub.random.package.folder.test-package"),
            None
        )
        .code,
        404
    );
    // Recreating the same name starts over with one init task.
    let r = e.create("default", &draft("sub", pkg, "v1", None));
    assert_eq!(r.code, 201, "{}", r.body);
    assert_eq!(body(&r)["spec"]["tasks"].as_array().map(Vec::len), Some(1));

    // The blueprints in three namespaces: the same revisions under each repository name.
    let bp = e.blueprints();
    for (ns, repo) in [("default", "bp-a"), ("second", "bp-b"), ("third", "bp-c")] {
        e.namespace(ns);
        e.register(ns, repo, &bp, "");
    }
    let mut uids = std::collections::HashSet::new();
    for (ns, repo) in [("default", "bp-a"), ("second", "bp-b"), ("third", "bp-c")] {
        let items = e.list(ns, &format!("?fieldSelector=spec.repository%3D{repo}"));
        assert_eq!(items.len(), 16, "{ns}");
        for it in &items {
            assert!(
                it["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with(&format!("{repo}."))
            );
            assert_eq!(it["metadata"]["namespace"], ns);
            assert!(
                uids.insert(
                    it["metadata"]["uid"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                )
            );
        }
    }

    // Package metadata: clone basens v4 with extra labels; the Kptfile mirrors the union;
    // a later update of spec.packageMetadata replaces them.
    let mut pr = draft(
        "sub",
        "meta",
        "v1",
        Some(
            json!({"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "bp-a.basens.v4"}}}}),
        ),
    );
    pr["spec"]["packageMetadata"] =
        json!({"labels": {"mine": "yes"}, "annotations": {"note": "n"}});
    let r = e.create("default", &pr);
    assert_eq!(r.code, 201, "{}", r.body);
    let created = body(&r);
    assert_eq!(
        created["spec"]["packageMetadata"]["labels"],
        json!({"mine": "yes", "test-label": "test-value"}),
        "{created}"
    );
    let found = e.list(
        "default",
        "?fieldSelector=spec.packageMetadata.labels%5Btest-label%5D%3Dtest-value",
    );
    assert!(found.iter().any(|p| p["metadata"]["name"] == "sub.meta.v1"));
    let mut pr = e.get("default", "packagerevisions", "sub.meta.v1");
    pr["spec"]["packageMetadata"] = json!({"labels": {"only": "this"}});
    let r = e.req(
        "PUT",
        &format!("{API}/default/packagerevisions/sub.meta.v1"),
        Some(&pr),
    );
    assert_eq!(r.code, 200, "{}", r.body);
    let kf = kptfile(&e, "default", "sub.meta.v1");
    assert!(
        kf.contains("only: this") && !kf.contains("test-label") && !kf.contains("mine"),
        "{kf}"
    );
    assert_eq!(
        body(&r)["spec"]["packageMetadata"]["labels"],
        json!({"only": "this"})
    );
}

#[test]
fn builtin_functions_validators_and_parallel_renders() {
    let e = Env::new();
    let bp = e.blueprints();
    let bare = e.porch_test("porch-test");
    e.register("default", "test-blueprints", &bp, "");
    e.register("default", "porch-test", &bare, "");
    let clone = |src: &str| json!({"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": src}}}});
    // apply-setters ran at clone time (bucket's pipeline).
    assert_eq!(
        e.create(
            "default",
            &draft(
                "porch-test",
                "bucket",
                "ws",
                Some(clone("test-blueprints.bucket.v1"))
            )
        )
        .code,
        201
    );
    let prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.bucket.ws",
    );
    let bucket = prr["spec"]["resources"]["bucket.yaml"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        bucket.contains("name: blueprints-project-bucket"),
        "{bucket}"
    );

    // starlark + set-namespace, both in process.
    let mut prr = prr;
    add_mutator(
        &mut prr,
        "  - image: ghcr.io/kptdev/krm-functions-catalog/starlark:v0.4.3\n    configMap:\n      source: |\n        for r in ctx.resource_list[\"items\"]:\n          r[\"metadata\"][\"annotations\"][\"foo\"] = \"bar\"\n  - image: ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1\n    configMap:\n      namespace: bucket-namespace\n",
    );
    let r = e.req(
        "PUT",
        &format!("{API}/default/packagerevisionresources/porch-test.bucket.ws"),
        Some(&prr),
    );
    assert_eq!(r.code, 200, "{}", short(&r.body));
    let out = body(&r);
    let bucket = out["spec"]["resources"]["bucket.yaml"]
        .as_str()
        .unwrap_or_default();
    assert!(
        bucket.contains("namespace: bucket-namespace") && bucket.contains("foo: bar"),
        "{bucket}"
    );

    // A validator that fails blocks approval (and the update that adds it).
    assert_eq!(
        e.create("default", &draft("porch-test", "checked", "ws", None))
            .code,
        201
    );
    let mut prr = e.get(
        "default",
        "packagerevisionresources",
        "porch-test.checked.ws",
    );
    with_failing_validator(&mut prr);
    let r = e.req(
        "PUT",
        &format!("{API}/default/packagerevisionresources/porch-test.checked.ws"),
        Some(&prr),
    );
    assert_eq!(r.code, 422, "{}", short(&r.body));
    assert!(
        r.body
            .contains("error rendering package in kpt function pipeline"),
        "{}",
        short(&r.body)
    );

    // Renders of different drafts run in parallel: four 2 s sleeps take well under 8 s.
    for i in 0..4 {
        assert_eq!(
            e.create(
                "default",
                &draft("porch-test", &format!("sleepy-{i}"), "ws", None)
            )
            .code,
            201
        );
    }
    let t = std::time::Instant::now();
    let codes = race(4, |i| {
        let name = format!("porch-test.sleepy-{i}.ws");
        let mut prr = e.get("default", "packagerevisionresources", &name);
        add_mutator(
            &mut prr,
            "  - image: ghcr.io/kptdev/krm-functions-catalog/sleep:latest\n    configMap:\n      duration: 2s\n",
        );
        e.req(
            "PUT",
            &format!("{API}/default/packagerevisionresources/{name}"),
            Some(&prr),
        )
    });
    let took = t.elapsed();
    assert_eq!(count(&codes, 200), 4, "{codes:?}");
    assert!(
        took >= std::time::Duration::from_secs(2) && took < std::time::Duration::from_millis(7800),
        "{took:?}"
    );
}

#[test]
fn two_replicas_sharing_etcd_never_both_win() {
    let etcd = porch_testkit::etcd::Etcd::start();
    let args = [
        "--repo-sync-interval",
        "500ms",
        "--git-timeout",
        "5s",
        "--etcd-servers",
        &etcd.endpoint,
    ];
    let a = Env::on(Server::start(BIN, &args));
    let b = Env::on(Server::start(BIN, &args));
    let bare = a.porch_test("porch-test");
    a.register("default", "porch-test", &bare, "");
    porch_testkit::wait_until(
        "the second replica sees the repository",
        std::time::Duration::from_secs(30),
        || {
            b.req(
                "GET",
                "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories/porch-test",
                None,
            )
            .code
                == 200
        },
    );
    let replica = |i: usize| if i % 2 == 0 { &a } else { &b };

    // Creates of one revision through both replicas: one 201.
    let codes = race(8, |i| {
        replica(i).create("default", &draft("porch-test", "shared", "ws", None))
    });
    assert_eq!(count(&codes, 201), 1, "{codes:?}");
    assert_eq!(count(&codes, 409), 7, "{codes:?}");
    // Both replicas serve it (the Store is shared).
    assert_eq!(
        b.get("default", "packagerevisions", "porch-test.shared.ws")["spec"]["lifecycle"],
        "Draft"
    );
    a.publish("default", "porch-test.shared.ws");

    // Copies approved through alternating replicas: distinct revisions 2..=7.
    for i in 0..6 {
        let copy = json!({"type": "edit", "edit": {"sourceRef": {"name": "porch-test.shared.ws"}}});
        let r = replica(i).create(
            "default",
            &draft("porch-test", "shared", &format!("c{i}"), Some(copy)),
        );
        assert_eq!(r.code, 201, "{}", r.body);
        porch_testkit::wait_until(
            "both replicas see the copy",
            std::time::Duration::from_secs(10),
            || {
                replica(i + 1)
                    .req(
                        "GET",
                        &format!("{API}/default/packagerevisions/porch-test.shared.c{i}"),
                        None,
                    )
                    .code
                    == 200
            },
        );
        let r = replica(i + 1).lifecycle(
            "default",
            &format!("porch-test.shared.c{i}"),
            "Proposed",
            false,
        );
        assert_eq!(r.code, 200, "{}", r.body);
    }
    let codes = race(6, |i| {
        replica(i).lifecycle(
            "default",
            &format!("porch-test.shared.c{i}"),
            "Published",
            true,
        )
    });
    assert_eq!(count(&codes, 200), 6, "{codes:?}");
    let tags = g::git(&bare, &["tag", "-l", "shared/*"]);
    let mut numbers: Vec<u32> = tags
        .lines()
        .filter_map(|t| t.strip_prefix("shared/v")?.parse().ok())
        .collect();
    numbers.sort();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7]);
    assert!(
        !refs(&bare)
            .iter()
            .any(|r| r.contains("proposed/") || r.contains("drafts/")),
        "{:?}",
        refs(&bare)
    );
    // And both replicas list the same.
    porch_testkit::wait_until("replicas agree", std::time::Duration::from_secs(10), || {
        let mut x: Vec<String> = a.list("default", "").iter().map(summary).collect();
        let mut y: Vec<String> = b.list("default", "").iter().map(summary).collect();
        x.sort();
        y.sort();
        x == y && x.len() == 8
    });
}

#[test]
fn upgrade_strategies_and_racing_updates() {
    let e = Env::new();
    let bp = e.blueprints();
    let bare = e.porch_test("porch-test");
    e.register("default", "test-blueprints", &bp, "");
    e.register("default", "porch-test", &bare, "");
    let clone = json!({"type": "clone", "clone": {"upstreamRef": {"upstreamRef": {"name": "test-blueprints.basens.v1"}}}});
    assert_eq!(
        e.create("default", &draft("porch-test", "app", "v1", Some(clone)))
            .code,
        201
    );
    // A local change: a new file and an edited README.
    let mut prr = e.get("default", "packagerevisionresources", "porch-test.app.v1");
    prr["spec"]["resources"]["local.yaml"] = json!(CONFIG_MAP);
    prr["spec"]["resources"]["README.md"] = json!("# changed locally\n");
    let r = e.req(
        "PUT",
        &format!("{API}/default/packagerevisionresources/porch-test.app.v1"),
        Some(&prr),
    );
    assert_eq!(r.code, 200, "{}", short(&r.body));
    e.publish("default", "porch-test.app.v1");
    let upgrade = |ws: &str, strategy: &str| {
        let mut t = json!({"type": "upgrade", "upgrade": {
            "oldUpstreamRef": {"name": "test-blueprints.basens.v1"},
            "newUpstreamRef": {"name": "test-blueprints.basens.v2"},
            "localPackageRevisionRef": {"name": "porch-test.app.v1"}}});
        if !strategy.is_empty() {
            t["upgrade"]["strategy"] = json!(strategy);
        }
        e.create("default", &draft("porch-test", "app", ws, Some(t)))
    };
    let files = |name: &str| {
        e.get("default", "packagerevisionresources", name)["spec"]["resources"].clone()
    };
    // fast-forward refuses local changes.
    let r = upgrade("ff", "fast-forward");
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body.contains("local package files have been modified"),
        "{}",
        r.body
    );
    // resource-merge keeps local changes and takes the upstream's new file.
    assert_eq!(upgrade("merge", "resource-merge").code, 201);
    let f = files("porch-test.app.merge");
    assert!(
        f["resourcequota.yaml"].is_string() && f["local.yaml"].is_string(),
        "{f}"
    );
    assert_eq!(f["README.md"], "# changed locally\n");
    // force-delete-replace drops them.
    assert_eq!(upgrade("replace", "force-delete-replace").code, 201);
    let f = files("porch-test.app.replace");
    assert!(
        f["resourcequota.yaml"].is_string() && f["local.yaml"].is_null(),
        "{f}"
    );
    // copy-merge copies the upstream over the local package, keeping local additions.
    assert_eq!(upgrade("copy", "copy-merge").code, 201);
    let f = files("porch-test.app.copy");
    assert!(
        f["resourcequota.yaml"].is_string() && f["local.yaml"].is_string(),
        "{f}"
    );
    // An unknown strategy is the user's mistake.
    let r = upgrade("bad", "sideways");
    assert_eq!(r.code, 422, "{}", r.body);

    // Two updates of one PR racing (Porch's TestConcurrentPackageUpdates): one wins.
    let mut pr = e.get("default", "packagerevisions", "porch-test.app.merge");
    pr["spec"]["tasks"][0]["upgrade"]["newUpstreamRef"]["name"] =
        json!("test-blueprints.basens.v3");
    pr["metadata"]["labels"] = json!({"racing": "yes"});
    let path = format!("{API}/default/packagerevisions/porch-test.app.merge");
    let codes = race(2, |_| e.req("PUT", &path, Some(&pr)));
    assert_eq!(count(&codes, 200), 1, "{codes:?}");
    assert_eq!(count(&codes, 409), 1, "{codes:?}");
    let now = e.get("default", "packagerevisions", "porch-test.app.merge");
    assert_eq!(now["metadata"]["labels"]["racing"], "yes");
    // The creation task is the server's: it did not change.
    assert_eq!(
        now["spec"]["tasks"][0]["upgrade"]["newUpstreamRef"]["name"],
        "test-blueprints.basens.v2"
    );
}

#[test]
fn resources_of_32_mib_round_trip() {
    let e = Env::new();
    let bare = e.porch_test("porch-test");
    e.register("default", "porch-test", &bare, "");
    assert_eq!(
        e.create("default", &draft("porch-test", "big", "ws", None))
            .code,
        201
    );
    let mut prr = e.get("default", "packagerevisionresources", "porch-test.big.ws");
    let big = "y".repeat(32 * 1024 * 1024);
    prr["spec"]["resources"]["big.yaml"] = json!(format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  value: {big}\n"
    ));
    let t = std::time::Instant::now();
    let r = e.req(
        "PUT",
        &format!("{API}/default/packagerevisionresources/porch-test.big.ws"),
        Some(&prr),
    );
    assert_eq!(r.code, 200, "{}", short(&r.body));
    let back = e.get("default", "packagerevisionresources", "porch-test.big.ws");
    let value = back["spec"]["resources"]["big.yaml"]
        .as_str()
        .unwrap_or_default();
    assert!(
        value.len() > 32 * 1024 * 1024 && value.contains(&big[..1024]),
        "{} bytes",
        value.len()
    );
    eprintln!("32 MiB PUT + GET took {:?}", t.elapsed());
}

/// porch-fn-runner beside the porch-server binary (built if absent).
fn fn_runner_bin() -> PathBuf {
    let bin = Path::new(BIN).with_file_name("porch-fn-runner");
    if !bin.exists() {
        let st = Command::new(env!("CARGO"))
            .args([
                "build",
                "-p",
                "porch-function-runner",
                "--bin",
                "porch-fn-runner",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(st.success(), "building porch-fn-runner failed");
    }
    bin
}

#[test]
fn other_images_render_through_porch_fn_runner_and_validators_gate_approval() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("rewrite-fn");
    std::fs::write(
        &script,
        "#!/bin/sh\nsed 's/key: before-render/key: after-exec/'\n",
    )
    .unwrap();
    let _ = Command::new("chmod").arg("+x").arg(&script).status();
    let config = dir.path().join("exec.yaml");
    std::fs::write(
        &config,
        format!(
            "functions:\n- image: example.com/rewrite\n  command: {}\n",
            script.display()
        ),
    )
    .unwrap();
    /// Stops the function runner however the test ends.
    struct Runner(std::process::Child);
    impl Drop for Runner {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut runner = Command::new(fn_runner_bin())
        .args(["--port", "0", "--exec-config"])
        .arg(&config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = runner.stdout.take();
    let runner = Runner(runner);
    std::io::BufReader::new(stdout.unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_default()
        .to_string();
    let s = Server::start(
        BIN,
        &[
            "--repo-sync-interval",
            "500ms",
            "--git-timeout",
            "20s",
            "--function-runner",
            &addr,
        ],
    );
    let e = Env::on(s);
    let bare = e.porch_test("porch-test");
    e.register("default", "porch-test", &bare, "");
    assert_eq!(
        e.create("default", &draft("porch-test", "exec", "ws", None))
            .code,
        201
    );
    let mut prr = e.get("default", "packagerevisionresources", "porch-test.exec.ws");
    add_mutator(&mut prr, "  - image: example.com/rewrite:v1\n");
    prr["spec"]["resources"]["cm.yaml"] = json!(CONFIG_MAP);
    let r = e.req(
        "PUT",
        &format!("{API}/default/packagerevisionresources/porch-test.exec.ws"),
        Some(&prr),
    );
    assert_eq!(r.code, 200, "{}", short(&r.body));
    let out = body(&r);
    assert!(
        out["spec"]["resources"]["cm.yaml"]
            .as_str()
            .unwrap_or_default()
            .contains("key: after-exec"),
        "{out}"
    );
    assert_eq!(
        out["status"]["renderStatus"]["result"]["items"][0]["image"], "example.com/rewrite:v1",
        "{}",
        out["status"]
    );

    // A validator that fails on content saved despite a failed render blocks approval.
    assert_eq!(
        e.create("default", &draft("porch-test", "gated", "ws", None))
            .code,
        201
    );
    e.k.run(&[
        "annotate",
        "packagerevisions",
        "porch-test.gated.ws",
        "porch.kpt.dev/push-on-render-failure=true",
    ])
    .ok();
    let mut prr = e.get("default", "packagerevisionresources", "porch-test.gated.ws");
    with_failing_validator(&mut prr);
    let r = e.req(
        "PUT",
        &format!("{API}/default/packagerevisionresources/porch-test.gated.ws"),
        Some(&prr),
    );
    assert_eq!(r.code, 422, "{}", short(&r.body));
    assert!(
        r.body
            .contains("Package pushed to remote despite render failure"),
        "{}",
        short(&r.body)
    );
    assert_eq!(
        e.lifecycle("default", "porch-test.gated.ws", "Proposed", false)
            .code,
        200
    );
    let r = e.lifecycle("default", "porch-test.gated.ws", "Published", true);
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(
        r.body.contains("validation of the package failed"),
        "{}",
        r.body
    );
    assert!(!refs(&bare).iter().any(|r| r.starts_with("refs/tags/gated")));
    drop(runner);
}

#[test]
fn re_registering_a_repository_gives_back_its_revisions() {
    let e = Env::new();
    let bare = e.porch_test("porch-test");
    let m = repo_manifest(
        "default",
        "porch-test",
        &bare,
        "",
        "    directory: test-dir\n",
    );
    e.apply_repository("default", "porch-test", &m);
    assert_eq!(
        e.create("default", &draft("porch-test", "test-package", "v1", None))
            .code,
        201
    );
    e.publish("default", "porch-test.test-package.v1");
    assert_eq!(
        e.create("default", &draft("porch-test", "other", "ws", None))
            .code,
        201
    );
    let rows = |e: &Env| -> Vec<String> {
        let mut v: Vec<String> = e
            .list("default", "")
            .iter()
            .map(|p| {
                format!(
                    "{} {} {}",
                    p["metadata"]["name"].as_str().unwrap_or_default(),
                    p["spec"]["packageName"].as_str().unwrap_or_default(),
                    p["spec"]["revision"]
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = rows(&e);
    assert_eq!(
        before,
        [
            "porch-test.other.ws other null",
            "porch-test.test-package.main test-package -1",
            "porch-test.test-package.v1 test-package 1"
        ]
    );
    assert!(refs(&bare).contains(&"refs/tags/test-dir/test-package/v1".to_string()));
    // Delete the Repository: its revisions go; register it again: they come back.
    e.k.run(&["delete", "repository", "porch-test"]).ok();
    porch_testkit::wait_until(
        "revisions removed",
        std::time::Duration::from_secs(20),
        || e.list("default", "").is_empty(),
    );
    e.k.run_stdin(&["apply", "-f", "-"], &m).ok();
    porch_testkit::wait_until("revisions back", std::time::Duration::from_secs(30), || {
        rows(&e) == before
    });
    // Deleting v1 keeps the placeholder, also after another round.
    assert_eq!(
        e.lifecycle(
            "default",
            "porch-test.test-package.v1",
            "DeletionProposed",
            true
        )
        .code,
        200
    );
    assert_eq!(
        e.req(
            "DELETE",
            &format!("{API}/default/packagerevisions/porch-test.test-package.v1"),
            None
        )
        .code,
        200
    );
    e.k.run(&["delete", "repository", "porch-test"]).ok();
    porch_testkit::wait_until(
        "revisions removed",
        std::time::Duration::from_secs(20),
        || e.list("default", "").is_empty(),
    );
    e.k.run_stdin(&["apply", "-f", "-"], &m).ok();
    porch_testkit::wait_until("revisions back", std::time::Duration::from_secs(30), || {
        rows(&e)
            == [
                "porch-test.other.ws other null",
                "porch-test.test-package.main test-package -1",
            ]
    });
}
