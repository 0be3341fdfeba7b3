//! Git repositories served as PackageRevisions: the real porch-server, real git
//! servers (local path, git daemon, http-backend behind lighttpd) and kubectl.

use std::path::Path;
use std::time::Duration;

use porch_testkit::git::{self as g, GitDaemon, GitHttpServer, HangingServer, HttpAuth};
use porch_testkit::kubectl::Kubectl;
use porch_testkit::server::Server;
use porch_testkit::wait_until;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_porch-server");
const PRS: &str = "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions";

fn start() -> Server {
    Server::start(
        BIN,
        &["--repo-sync-interval", "300ms", "--git-timeout", "3s"],
    )
}

fn register(k: &Kubectl, ns: &str, name: &str, url: &str, extra: &str) {
    let m = format!(
        "apiVersion: config.porch.kpt.dev/v1alpha1\nkind: Repository\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  type: git\n  git:\n    repo: {url}\n{extra}"
    );
    k.run_stdin(&["apply", "-f", "-"], &m).ok();
}

fn wait_ready(k: &Kubectl, ns: &str, name: &str) {
    k.run(&[
        "wait",
        "-n",
        ns,
        "--for=condition=Ready",
        &format!("repository/{name}"),
        "--timeout=60s",
    ])
    .ok();
}

fn list(s: &Server, query: &str) -> Vec<Value> {
    let r = s.request("GET", &format!("{PRS}{query}"), None, None);
    assert_eq!(r.code, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap_or_default();
    v["items"].as_array().cloned().unwrap_or_default()
}

fn row(pr: &Value) -> String {
    let latest = pr["metadata"]["labels"]["kpt.dev/latest-revision"] == "true";
    format!(
        "{} {} {} {} {}{}",
        pr["metadata"]["name"].as_str().unwrap_or_default(),
        pr["spec"]["packageName"].as_str().unwrap_or_default(),
        pr["spec"]["workspaceName"].as_str().unwrap_or_default(),
        pr["spec"]["revision"],
        pr["spec"]["lifecycle"].as_str().unwrap_or_default(),
        if latest { " latest" } else { "" }
    )
}

/// What Porch lists for its test blueprints (16 revisions: tags and the `main` placeholders).
const BLUEPRINTS: &[&str] = &[
    "tb.basens.main basens main -1 Published",
    "tb.basens.v1 basens v1 1 Published",
    "tb.basens.v2 basens v2 2 Published",
    "tb.basens.v3 basens v3 3 Published",
    "tb.basens.v4 basens v4 4 Published latest",
    "tb.bucket.main bucket main -1 Published",
    "tb.bucket.v1 bucket v1 1 Published latest",
    "tb.empty.main empty main -1 Published",
    "tb.empty.v1 empty v1 1 Published latest",
    "tb.redis-bucket.main redis-bucket main -1 Published",
    "tb.redis-bucket.v1 redis-bucket v1 1 Published latest",
    "tb.unready.main unready main -1 Published",
    "tb.unready.v1 unready v1 1 Published latest",
    "tb.update.main update main -1 Published",
    "tb.update.v1 update v1 1 Published",
    "tb.update.v2 update v2 2 Published latest",
];

fn assert_blueprints(s: &Server) {
    let rows: Vec<String> = list(s, "").iter().map(row).collect();
    assert_eq!(rows, BLUEPRINTS);
}

/// Every file of a revision, as git has it.
fn git_files(bare: &Path, git_ref: &str, dir: &str) -> std::collections::BTreeMap<String, String> {
    let names = g::git(
        bare,
        &["ls-tree", "-r", "--name-only", git_ref, &format!("{dir}/")],
    );
    names
        .lines()
        .map(|p| {
            (
                p.strip_prefix(&format!("{dir}/")).unwrap_or(p).to_string(),
                g::git(bare, &["show", &format!("{git_ref}:{p}")]),
            )
        })
        .collect()
}

#[test]
fn blueprints_over_a_local_path_list_as_porch_lists_them() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bare = work.path().join("tb.git");
    g::bare_from_bundle(&g::blueprints_bundle(), &bare);
    let s = start();
    let k = Kubectl::new(32, &s.kubeconfig());
    register(&k, "default", "tb", &bare.to_string_lossy(), "");
    wait_ready(&k, "default", "tb");
    assert_blueprints(&s);
    // resources byte for byte
    for (name, git_ref, dir) in [
        ("tb.basens.v2", "basens/v2", "basens"),
        ("tb.bucket.main", "main", "bucket"),
        ("tb.update.v1", "update/v1", "update"),
    ] {
        let r = s.request(
            "GET",
            &format!(
                "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisionresources/{name}"
            ),
            None,
            None,
        );
        assert_eq!(r.code, 200, "{}", r.body);
        let prr: Value = serde_json::from_str(&r.body).unwrap_or_default();
        let got: std::collections::BTreeMap<String, String> =
            serde_json::from_value(prr["spec"]["resources"].clone()).unwrap_or_default();
        assert_eq!(got, git_files(&bare, git_ref, dir), "{name}");
        let pr: Value =
            serde_json::from_str(&s.request("GET", &format!("{PRS}/{name}"), None, None).body)
                .unwrap_or_default();
        assert_eq!(prr["metadata"]["uid"], pr["metadata"]["uid"]);
        assert_eq!(
            prr["metadata"]["resourceVersion"],
            pr["metadata"]["resourceVersion"]
        );
    }
    // Porch's UID scheme, and the packages resource
    let pr: Value = serde_json::from_str(
        &s.request("GET", &format!("{PRS}/tb.basens.v1"), None, None)
            .body,
    )
    .unwrap_or_default();
    assert_eq!(
        pr["metadata"]["uid"],
        porch_api::names::generate_uid(
            "packagerevision:",
            "porch.kpt.dev/v1alpha1",
            "default",
            "tb.basens.v1"
        )
    );
    assert_eq!(pr["status"]["selfLock"]["git"]["ref"], "basens/v1");
    assert_eq!(
        pr["status"]["selfLock"]["git"]["commit"],
        "67f29546028f0a48c6bbb08614934d0e070cdd3a"
    );
    let out = k.run(&["get", "packages", "--no-headers"]).ok().stdout;
    let pkgs: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(pkgs.len(), 6, "{out}");
    assert!(
        pkgs.contains(&"tb.basens basens tb 4".to_string()),
        "{pkgs:?}"
    );
    // tables
    let out = k.run(&["get", "packagerevisions"]).ok().stdout;
    assert_eq!(
        out.lines()
            .next()
            .map(|h| h.split_whitespace().collect::<Vec<_>>()),
        Some(vec![
            "NAME",
            "PACKAGE",
            "WORKSPACENAME",
            "REVISION",
            "LATEST",
            "LIFECYCLE",
            "REPOSITORY"
        ])
    );
    assert!(
        out.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == [
                "tb.basens.v4",
                "basens",
                "v4",
                "4",
                "true",
                "Published",
                "tb"
            ]),
        "{out}"
    );
    let out = k
        .run(&["get", "packagerevisionresources", "tb.basens.v2"])
        .ok()
        .stdout;
    assert!(
        out.contains("FILES")
            && out
                .lines()
                .nth(1)
                .is_some_and(|l| l.trim_end().ends_with('4')),
        "{out}"
    );
    // field and label selectors
    let names = |q: &str| {
        list(&s, q)
            .iter()
            .map(|p| {
                p["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names("?fieldSelector=spec.packageName%3Dbasens,spec.revision%3Dv2"),
        ["tb.basens.v2"]
    );
    assert_eq!(names("?fieldSelector=spec.revision%3D-1").len(), 6);
    assert_eq!(names("?fieldSelector=spec.workspaceName%3Dv2").len(), 2);
    assert_eq!(names("?fieldSelector=spec.repository%3Dtb").len(), 16);
    assert_eq!(names("?fieldSelector=spec.lifecycle%3DDraft").len(), 0);
    assert_eq!(
        names("?fieldSelector=spec.packageMetadata.labels%5Btest-label%5D%3Dtest-value"),
        ["tb.basens.main", "tb.basens.v4"]
    );
    assert_eq!(
        names("?labelSelector=kpt.dev%2Flatest-revision%3Dtrue").len(),
        6
    );
    let r = s.request(
        "GET",
        &format!("{PRS}?fieldSelector=spec.lifecycle%3DFinal"),
        None,
        None,
    );
    assert_eq!(r.code, 400, "{}", r.body);
    let out = k
        .run(&[
            "get",
            "packagerevisions",
            "--field-selector",
            "spec.packageName=empty",
            "-o",
            "wide",
            "--no-headers",
        ])
        .ok()
        .stdout;
    assert_eq!(out.lines().count(), 2, "{out}");
    // writes to packages are refused
    let r = s.request(
        "DELETE",
        "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packages/tb.basens",
        None,
        None,
    );
    assert_eq!(r.code, 405, "{}", r.body);
}

#[test]
fn external_pushes_become_watch_events() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repos = work.path().join("repos");
    let bare = repos.join("tb.git");
    g::bare_from_bundle(&g::blueprints_bundle(), &bare);
    let daemon = GitDaemon::start(&repos);
    let s = start();
    let k = Kubectl::new(32, &s.kubeconfig());
    register(&k, "default", "tb", &format!("{}/tb.git", daemon.url), "");
    wait_ready(&k, "default", "tb");
    assert_blueprints(&s);
    let watch = k.spawn(&[
        "get",
        "packagerevisions",
        "-w",
        "--output-watch-events",
        "--no-headers",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    // a new tag: a new published revision that takes the latest label over
    g::git(&bare, &["tag", "basens/v5", "basens/v4"]);
    wait_until("ADDED tb.basens.v5", Duration::from_secs(20), || {
        watch
            .stdout()
            .lines()
            .any(|l| l.starts_with("ADDED") && l.contains("tb.basens.v5"))
    });
    wait_until("latest moves", Duration::from_secs(20), || {
        watch
            .stdout()
            .lines()
            .any(|l| l.starts_with("MODIFIED") && l.contains("tb.basens.v4"))
    });
    let v5: Value = serde_json::from_str(
        &s.request("GET", &format!("{PRS}/tb.basens.v5"), None, None)
            .body,
    )
    .unwrap_or_default();
    assert_eq!(v5["metadata"]["labels"]["kpt.dev/latest-revision"], "true");
    // deleting a tag removes the revision
    g::git(&bare, &["tag", "-d", "update/v1"]);
    wait_until("DELETED tb.update.v1", Duration::from_secs(20), || {
        watch
            .stdout()
            .lines()
            .any(|l| l.starts_with("DELETED") && l.contains("tb.update.v1"))
    });
    assert_eq!(
        s.request("GET", &format!("{PRS}/tb.update.v1"), None, None)
            .code,
        404
    );
    // a draft branch pushed by someone else, and a commit on main
    let clone = work.path().join("clone");
    g::git(
        work.path(),
        &[
            "clone",
            "-q",
            &bare.to_string_lossy(),
            &clone.to_string_lossy(),
        ],
    );
    g::git(&clone, &["checkout", "-q", "-b", "drafts/empty/my-ws"]);
    std::fs::write(
        clone.join("empty/extra.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    g::git(&clone, &["add", "-A"]);
    g::git_env(
        &clone,
        &["commit", "-q", "-m", "draft"],
        &[
            ("GIT_AUTHOR_NAME", "t"),
            ("GIT_AUTHOR_EMAIL", "t@example.org"),
            ("GIT_COMMITTER_NAME", "t"),
            ("GIT_COMMITTER_EMAIL", "t@example.org"),
        ],
    );
    g::git(&clone, &["push", "-q", "origin", "drafts/empty/my-ws"]);
    wait_until("ADDED draft", Duration::from_secs(20), || {
        watch
            .stdout()
            .lines()
            .any(|l| l.starts_with("ADDED") && l.contains("tb.empty.my-ws"))
    });
    let draft: Value = serde_json::from_str(
        &s.request("GET", &format!("{PRS}/tb.empty.my-ws"), None, None)
            .body,
    )
    .unwrap_or_default();
    assert_eq!(
        (
            draft["spec"]["lifecycle"].as_str(),
            draft["spec"]["revision"].as_i64()
        ),
        // Revision 0 is omitted, as Porch's omitempty.
        (Some("Draft"), None)
    );
    g::git(&clone, &["checkout", "-q", "main"]);
    std::fs::write(clone.join("bucket/notes.txt"), "changed on main\n")
        .unwrap_or_else(|e| panic!("{e}"));
    g::git(&clone, &["add", "-A"]);
    g::git_env(
        &clone,
        &["commit", "-q", "-m", "main change"],
        &[
            ("GIT_AUTHOR_NAME", "t"),
            ("GIT_AUTHOR_EMAIL", "t@example.org"),
            ("GIT_COMMITTER_NAME", "t"),
            ("GIT_COMMITTER_EMAIL", "t@example.org"),
        ],
    );
    g::git(&clone, &["push", "-q", "origin", "main"]);
    wait_until("MODIFIED placeholder", Duration::from_secs(20), || {
        watch
            .stdout()
            .lines()
            .any(|l| l.starts_with("MODIFIED") && l.contains("tb.bucket.main"))
    });
    // unchanged revisions keep their resourceVersion across a restart (once the sync settled)
    let rvs = |s: &Server| {
        list(s, "")
            .iter()
            .map(|p| p["metadata"]["resourceVersion"].clone())
            .collect::<Vec<_>>()
    };
    let mut last = rvs(&s);
    wait_until("the sync to settle", Duration::from_secs(20), || {
        std::thread::sleep(Duration::from_millis(700));
        let now = rvs(&s);
        std::mem::replace(&mut last, now.clone()) == now
    });
    let before: Vec<(String, String)> = list(&s, "")
        .iter()
        .map(|p| {
            (
                row(p),
                p["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    drop(watch);
    let mut s = s;
    s.restart();
    let k = Kubectl::new(32, &s.kubeconfig());
    wait_ready(&k, "default", "tb");
    std::thread::sleep(Duration::from_secs(1));
    let after: Vec<(String, String)> = list(&s, "")
        .iter()
        .map(|p| {
            (
                row(p),
                p["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(before, after);
    // deleting the Repository removes its revisions
    k.run(&["delete", "repository", "tb"]).ok();
    assert!(list(&s, "").is_empty());
    assert_eq!(
        s.request(
            "GET",
            "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packages",
            None,
            None
        )
        .body
        .contains("tb.basens"),
        false
    );
}

#[test]
fn authentication_failures_unreachable_and_hanging_repositories() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repos = work.path().join("repos");
    g::bare_from_bundle(&g::blueprints_bundle(), &repos.join("tb.git"));
    let http = GitHttpServer::start(&repos, HttpAuth::All);
    let hanging = HangingServer::start();
    let s = start();
    let k = Kubectl::new(32, &s.kubeconfig());
    let secret = |password: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tb-auth\n  namespace: default\ntype: kubernetes.io/basic-auth\nstringData:\n  username: {}\n  password: {password}\n",
            g::HTTP_USER
        )
    };
    k.run_stdin(&["apply", "-f", "-"], &secret("wrong")).ok();
    register(
        &k,
        "default",
        "tb",
        &format!("{}/tb.git", http.url),
        "    secretRef:\n      name: tb-auth\n",
    );
    register(
        &k,
        "default",
        "closed",
        &format!("http://127.0.0.1:{}/x.git", g::closed_port()),
        "",
    );
    register(
        &k,
        "default",
        "hanging",
        &format!("http://127.0.0.1:{}/x.git", hanging.port),
        "",
    );
    let ready = |name: &str| {
        k.run(&["get", "repository", name, "-o", "jsonpath={.status.conditions[0].status}/{.status.conditions[0].reason}/{.status.conditions[0].message}"]).ok().stdout
    };
    wait_until("tb in error", Duration::from_secs(30), || {
        ready("tb").starts_with("False/Error/")
    });
    let msg = ready("tb").to_lowercase();
    assert!(msg.contains("auth"), "{msg}");
    wait_until("closed in error", Duration::from_secs(30), || {
        ready("closed").starts_with("False/Error/")
    });
    // meanwhile other requests are answered promptly
    let t = std::time::Instant::now();
    assert_eq!(s.request("GET", PRS, None, None).code, 200);
    assert!(t.elapsed() < Duration::from_secs(1));
    wait_until("hanging in error", Duration::from_secs(30), || {
        ready("hanging").starts_with("False/Error/")
    });
    // fixing the Secret recovers without a restart
    k.run_stdin(&["apply", "-f", "-"], &secret(g::HTTP_PASSWORD))
        .ok();
    wait_until("tb ready", Duration::from_secs(30), || {
        ready("tb").starts_with("True/Ready/")
    });
    wait_until("revisions listed", Duration::from_secs(10), || {
        list(&s, "?fieldSelector=spec.repository%3Dtb").len() == 16
    });
    let count = k
        .run(&[
            "get",
            "repository",
            "tb",
            "-o",
            "jsonpath={.status.packageCount}",
        ])
        .ok()
        .stdout;
    assert_eq!(count, "6");
}

#[test]
fn one_repository_in_two_namespaces_gives_separate_revisions() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bare = work.path().join("tb.git");
    g::bare_from_bundle(&g::blueprints_bundle(), &bare);
    let s = start();
    let k = Kubectl::new(32, &s.kubeconfig());
    k.run_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n",
    )
    .ok();
    register(&k, "default", "tb", &bare.to_string_lossy(), "");
    register(&k, "other", "tb", &bare.to_string_lossy(), "");
    wait_ready(&k, "default", "tb");
    wait_ready(&k, "other", "tb");
    let uid = |ns: &str| {
        k.run(&[
            "get",
            "packagerevision",
            "-n",
            ns,
            "tb.basens.v1",
            "-o",
            "jsonpath={.metadata.uid}",
        ])
        .ok()
        .stdout
    };
    assert_ne!(uid("default"), uid("other"));
    let all = k
        .run(&["get", "packagerevisions", "-A", "--no-headers"])
        .ok()
        .stdout;
    assert_eq!(all.lines().count(), 32);
    let _ = json!(null);
}

#[test]
fn demo_flag_registers_example_blueprints() {
    let mut s = Server::start(BIN, &["--demo", "--repo-sync-interval", "300ms"]);
    let k = Kubectl::new(32, &s.kubeconfig());
    wait_ready(&k, "default", "demo-blueprints");
    wait_until("demo revisions", Duration::from_secs(20), || {
        list(&s, "").len() == 7
    });
    let rows: Vec<String> = list(&s, "").iter().map(row).collect();
    assert!(
        rows.contains(&"demo-blueprints.web-app.v2 web-app v2 2 Published latest".to_string()),
        "{rows:?}"
    );
    // only on first start: a restart keeps the same repository and revisions
    s.restart();
    let k = Kubectl::new(32, &s.kubeconfig());
    wait_ready(&k, "default", "demo-blueprints");
    assert_eq!(list(&s, "").len(), 7);
}

#[test]
fn create_branch_and_sync_schedule() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repos = work.path().join("repos");
    g::empty_bare(&repos.join("empty.git"));
    let daemon = GitDaemon::start(&repos);
    let s = start();
    let k = Kubectl::new(32, &s.kubeconfig());
    let url = format!("{}/empty.git", daemon.url);
    register(&k, "default", "nobranch", &url, "    branch: missing\n");
    let ready = |name: &str| {
        k.run(&[
            "get",
            "repository",
            name,
            "-o",
            "jsonpath={.status.conditions[0].status}/{.status.conditions[0].message}",
        ])
        .ok()
        .stdout
    };
    wait_until("branch missing reported", Duration::from_secs(30), || {
        ready("nobranch").starts_with("False/")
    });
    assert!(
        ready("nobranch").contains("missing"),
        "{}",
        ready("nobranch")
    );
    register(
        &k,
        "default",
        "created",
        &url,
        "    createBranch: true\n  sync:\n    schedule: \"*/5 * * * *\"\n",
    );
    wait_ready(&k, "default", "created");
    let heads = g::git(&repos.join("empty.git"), &["branch", "--list", "main"]);
    assert!(heads.contains("main"), "{heads}");
    let st = k.run(&["get", "repository", "created", "-o", "jsonpath={.status.lastFullSyncTime}|{.status.nextFullSyncTime}|{.status.packageCount}|{.status.gitCommitHash}|{.status.observedGeneration}"]).ok().stdout;
    let parts: Vec<&str> = st.split('|').collect();
    assert!(
        parts.len() == 5
            && !parts[0].is_empty()
            && !parts[1].is_empty()
            && parts[2] == "0"
            && parts[3].len() == 40
            && parts[4] == "1",
        "{st}"
    );
}
