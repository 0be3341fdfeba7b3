//! Authoring and lifecycle (issue 6) against the real porch-server, real git
//! repositories and kubectl: the Porch e2e scenarios of testing.md §3 with
//! porch-rs's stricter codes, and what git holds afterwards.

use std::path::{Path, PathBuf};

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
        let s = Server::start(BIN, &["--repo-sync-interval", "500ms", "--git-timeout", "5s"]);
        let k = Kubectl::new(32, &s.kubeconfig());
        Env {
            s,
            k,
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
                .run_stdin(&["apply", "-f", "-"], &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"))
                .ok();
        }
    }

    fn register(&self, ns: &str, name: &str, url: &Path, extra: &str) {
        let m = format!(
            "apiVersion: config.porch.kpt.dev/v1alpha1\nkind: Repository\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  type: git\n{extra}  git:\n    repo: {}\n",
            url.display()
        );
        self.k.run_stdin(&["apply", "-f", "-"], &m).ok();
        self.k
            .run(&["wait", "-n", ns, "--for=condition=Ready", &format!("repository/{name}"), "--timeout=60s"])
            .ok();
    }

    fn req(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap());
        self.s
            .request(method, path, bytes.as_ref().map(|_| "application/json"), bytes.as_deref())
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
        self.req("PUT", &format!("{API}/{ns}/packagerevisions/{name}{sub}"), Some(&pr))
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

fn body(r: &Response) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

fn kptfile(e: &Env, ns: &str, name: &str) -> String {
    let prr = e.get(ns, "packagerevisionresources", name);
    prr["spec"]["resources"]["Kptfile"].as_str().unwrap_or_default().to_string()
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
    assert!(out.stdout.contains("porch-test.empty-package.test-workspace created"), "{}", out.stdout);
    let name = "porch-test.empty-package.test-workspace";
    let pr = e.get("default", "packagerevisions", name);
    assert_eq!(pr["spec"]["lifecycle"], "Draft");
    assert_eq!(pr["spec"]["revision"], 0);
    assert_eq!(pr["spec"]["tasks"][0]["type"], "init");
    assert_eq!(
        pr["metadata"]["uid"],
        porch_api::names::generate_uid("packagerevision:", "porch.kpt.dev/v1alpha1", "default", name)
    );
    let kf = kptfile(&e, "default", name);
    assert!(kf.contains("name: empty-package"), "{kf}");
    assert!(kf.contains("description: empty-package description"), "{kf}");
    assert!(refs(&bare).contains(&"refs/heads/drafts/empty-package/test-workspace".to_string()));
    let msg = g::git(&bare, &["log", "-1", "--format=%B", "drafts/empty-package/test-workspace"]);
    assert!(msg.starts_with("Creating new empty revision"), "{msg}");
    assert!(msg.contains(r#"kpt:{"package":"empty-package","workspaceName":"test-workspace","task":{"type":"init""#), "{msg}");

    // The same again: 409 AlreadyExists; a second init of the package: 409.
    let again = e.create("default", &draft("porch-test", "empty-package", "test-workspace", None));
    assert_eq!(again.code, 409, "{}", again.body);
    assert_eq!(body(&again)["reason"], "AlreadyExists");
    let second = e.create("default", &draft("porch-test", "empty-package", "other", None));
    assert_eq!(second.code, 409, "{}", second.body);
    assert!(second.body.contains(r#"package \"empty-package\" already exists in repository \"porch-test\""#), "{}", second.body);

    // Approving a Draft is refused; propose with kubectl patch.
    let r = e.lifecycle("default", name, "Published", true);
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(r.body.contains("cannot approve package with Draft lifecycle value; only Proposed packages can be approved"), "{}", r.body);
    e.k.run(&["patch", "packagerevisions", name, "--type=merge", "-p", r#"{"spec":{"lifecycle":"Proposed"}}"#]).ok();
    assert_eq!(e.get("default", "packagerevisions", name)["spec"]["lifecycle"], "Proposed");
    assert!(refs(&bare).contains(&"refs/heads/proposed/empty-package/test-workspace".to_string()));
    assert!(!refs(&bare).contains(&"refs/heads/drafts/empty-package/test-workspace".to_string()));

    // Approve through the approval subresource with kubectl replace --raw.
    let mut pr = e.get("default", "packagerevisions", name);
    pr["spec"]["lifecycle"] = json!("Published");
    let file = e.dir.path().join("approve.json");
    std::fs::write(&file, serde_json::to_vec(&pr).unwrap()).unwrap();
    let path = format!("{API}/default/packagerevisions/{name}/approval");
    e.k.run(&["replace", "--raw", &path, "-f", &file.to_string_lossy()]).ok();
    let pr = e.get("default", "packagerevisions", name);
    assert_eq!(pr["spec"]["lifecycle"], "Published");
    assert_eq!(pr["spec"]["revision"], 1);
    assert_eq!(pr["metadata"]["labels"]["kpt.dev/latest-revision"], "true");
    assert!(pr["status"]["publishedBy"].as_str().is_some_and(|s| !s.is_empty()), "{pr}");
    let r = refs(&bare);
    assert!(r.contains(&"refs/tags/empty-package/v1".to_string()), "{r:?}");
    assert!(!r.iter().any(|x| x.contains("proposed/")), "{r:?}");
    // The tag is the merge commit on main.
    assert_eq!(g::git(&bare, &["rev-parse", "main"]), g::git(&bare, &["rev-parse", "empty-package/v1^{commit}"]));
    let msg = g::git(&bare, &["log", "-1", "--format=%B", "main"]);
    assert!(msg.starts_with("Approving package revision empty-package/1"), "{msg}");
    assert_eq!(g::git(&bare, &["show", "main:empty-package/Kptfile"]), kptfile(&e, "default", name));
    // The placeholder appeared.
    let main = e.get("default", "packagerevisions", "porch-test.empty-package.main");
    assert_eq!(main["spec"]["revision"], -1);

    // Deleting a Published revision: 403; propose-delete, undo, propose again, delete.
    let out = e.k.run(&["delete", "packagerevision", name]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("published PackageRevisions must be proposed for deletion"), "{}", out.stderr);
    for (lc, code) in [("DeletionProposed", 200), ("Published", 200), ("Draft", 422), ("DeletionProposed", 200)] {
        let r = e.lifecycle("default", name, lc, true);
        assert_eq!(r.code, code, "{lc}: {}", r.body);
    }
    assert!(refs(&bare).contains(&"refs/heads/deletionProposed/empty-package/v1".to_string()));
    e.k.run(&["delete", "packagerevision", name]).ok();
    let r = e.req("GET", &format!("{API}/default/packagerevisions/{name}"), None);
    assert_eq!(r.code, 404);
    let r = refs(&bare);
    assert!(!r.iter().any(|x| x.contains("empty-package/v1")), "{r:?}");
}
