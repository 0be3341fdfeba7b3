//! kubectl against the real porch-server binary: discovery, apply, get, watch,
//! edit/patch, finalizers, core Namespaces/Secrets, and bad input.

use std::time::Duration;

use porch_testkit::kubectl::Kubectl;
use porch_testkit::server::Server;
use porch_testkit::wait_until;

const BIN: &str = env!("CARGO_BIN_EXE_porch-server");

fn start() -> (Server, Kubectl) {
    let server = Server::start(
        BIN,
        &["--disable-repository-sync", "--bookmark-interval", "1s"],
    );
    let k = Kubectl::new(32, &server.kubeconfig());
    (server, k)
}

fn repo(name: &str, url: &str, extra: &str) -> String {
    format!(
        "apiVersion: config.porch.kpt.dev/v1alpha1\nkind: Repository\nmetadata:\n  name: {name}\n  namespace: default\n{extra}spec:\n  type: git\n  description: first\n  git:\n    repo: {url}\n"
    )
}

#[test]
fn discovery_openapi_and_explain() {
    let (_s, k) = start();
    let out = k.run(&["api-resources"]).ok().stdout;
    assert!(
        out.lines().any(|l| l.starts_with("repositories")
            && l.contains("repo")
            && l.contains("config.porch.kpt.dev/v1alpha1")
            && l.contains("Repository")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("namespaces") && l.contains("ns") && l.contains("Namespace")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("secrets") && l.contains("Secret")),
        "{out}"
    );
    let out = k.run(&["api-versions"]).ok().stdout;
    assert!(
        out.lines().any(|l| l == "config.porch.kpt.dev/v1alpha1"),
        "{out}"
    );
    assert!(out.lines().any(|l| l == "v1"), "{out}");
    let out = k.run(&["explain", "repository.spec.git"]).ok().stdout;
    assert!(out.contains("KIND:") && out.contains("Repository"), "{out}");
    assert!(
        out.contains("repo") && out.contains("Address of the Git repository"),
        "{out}"
    );
    assert!(out.contains("branch") && out.contains("directory"), "{out}");
    let out = k.run(&["explain", "repository", "--recursive"]).ok().stdout;
    for f in [
        "spec",
        "git",
        "secretRef",
        "sync",
        "schedule",
        "status",
        "conditions",
        "packageCount",
    ] {
        assert!(
            out.contains(f),
            "{f} missing in explain --recursive:\n{out}"
        );
    }
}

#[test]
fn apply_client_side_server_side_dry_run_and_diff() {
    let (_s, k) = start();
    let m = repo("r1", "http://127.0.0.1:9/r1.git", "");
    let out = k.run_stdin(&["apply", "-f", "-"], &m).ok().stdout;
    assert!(
        out.contains("repository.config.porch.kpt.dev/r1 created"),
        "{out}"
    );
    let changed = m.replace("description: first", "description: second");
    let out = k.run_stdin(&["apply", "-f", "-"], &changed).ok().stdout;
    assert!(out.contains("r1 configured"), "{out}");
    let out = k.run_stdin(&["apply", "-f", "-"], &changed).ok().stdout;
    assert!(out.contains("r1 unchanged"), "{out}");
    let d = k
        .run(&[
            "get",
            "repo",
            "r1",
            "-o",
            "jsonpath={.spec.description}/{.spec.git.branch}/{.metadata.generation}",
        ])
        .ok()
        .stdout;
    assert_eq!(d, "second/main/2");

    // dry run changes nothing
    let dry = changed.replace("description: second", "description: dry");
    let out = k
        .run_stdin(&["apply", "--dry-run=server", "-f", "-"], &dry)
        .ok()
        .stdout;
    assert!(out.contains("(server dry run)"), "{out}");
    assert_eq!(
        k.run(&["get", "repo", "r1", "-o", "jsonpath={.spec.description}"])
            .ok()
            .stdout,
        "second"
    );

    // diff shows the pending change, exit 1
    let d = k.run_stdin(&["diff", "-f", "-"], &dry);
    assert_eq!(d.code, 1, "{d:?}");
    assert!(
        d.stdout.contains("-  description: second") && d.stdout.contains("+  description: dry"),
        "{}",
        d.stdout
    );

    // server-side apply: create, update, conflict, force
    let ssa = repo("r2", "http://127.0.0.1:9/r2.git", "");
    let out = k
        .run_stdin(&["apply", "--server-side", "-f", "-"], &ssa)
        .ok()
        .stdout;
    assert!(out.contains("r2 serverside-applied"), "{out}");
    let upd = ssa.replace("description: first", "description: mine");
    k.run_stdin(&["apply", "--server-side", "-f", "-"], &upd)
        .ok();
    let other = ssa.replace("description: first", "description: theirs");
    let err = k
        .run_stdin(
            &["apply", "--server-side", "--field-manager=other", "-f", "-"],
            &other,
        )
        .fails();
    assert!(
        err.contains("conflict") && err.contains(".spec.description"),
        "{err}"
    );
    assert_eq!(
        k.run(&["get", "repo", "r2", "-o", "jsonpath={.spec.description}"])
            .ok()
            .stdout,
        "mine"
    );
    k.run_stdin(
        &[
            "apply",
            "--server-side",
            "--field-manager=other",
            "--force-conflicts",
            "-f",
            "-",
        ],
        &other,
    )
    .ok();
    assert_eq!(
        k.run(&["get", "repo", "r2", "-o", "jsonpath={.spec.description}"])
            .ok()
            .stdout,
        "theirs"
    );
    let mf = k
        .run(&[
            "get",
            "repo",
            "r2",
            "-o",
            "jsonpath={.metadata.managedFields[*].manager}",
        ])
        .ok()
        .stdout;
    assert!(mf.contains("other"), "{mf}");
}

#[test]
fn get_formats_selectors_paging_sorting() {
    let (_s, k) = start();
    for (name, team) in [("c", "x"), ("a", "y"), ("b", "x")] {
        let m = repo(
            name,
            &format!("http://127.0.0.1:9/{name}.git"),
            &format!("  labels:\n    team: \"{team}\"\n"),
        );
        k.run_stdin(&["apply", "-f", "-"], &m).ok();
    }
    let out = k.run(&["get", "repositories"]).ok().stdout;
    let header = out.lines().next().unwrap_or_default();
    let cols: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "NAME",
            "TYPE",
            "CONTENT",
            "SYNC",
            "SCHEDULE",
            "DEPLOYMENT",
            "READY",
            "ADDRESS",
            "BRANCH",
            "AGE"
        ],
        "{out}"
    );
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(
        out.contains("http://127.0.0.1:9/a.git") && out.contains("Package"),
        "{out}"
    );
    let wide = k.run(&["get", "repo", "-o", "wide"]).ok().stdout;
    assert!(wide.starts_with("NAME"), "{wide}");
    let yaml = k.run(&["get", "repo", "a", "-o", "yaml"]).ok().stdout;
    assert!(
        yaml.contains("kind: Repository")
            && yaml.contains("resourceVersion:")
            && yaml.contains("uid:"),
        "{yaml}"
    );
    let json = k.run(&["get", "repo", "-o", "json"]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(v["items"].as_array().map(Vec::len), Some(3), "{json}");
    let jp = k
        .run(&["get", "repo", "-o", "jsonpath={.items[*].metadata.name}"])
        .ok()
        .stdout;
    assert_eq!(jp, "a b c");
    let cc = k
        .run(&[
            "get",
            "repo",
            "-o",
            "custom-columns=N:.metadata.name,T:.metadata.labels.team",
            "--no-headers",
        ])
        .ok()
        .stdout;
    assert_eq!(
        cc.split_whitespace().collect::<Vec<_>>(),
        ["a", "y", "b", "x", "c", "x"]
    );
    let all = k.run(&["get", "repo", "-A"]).ok().stdout;
    assert!(
        all.starts_with("NAMESPACE") && all.contains("default"),
        "{all}"
    );
    let sel = k
        .run(&["get", "repo", "-l", "team=x", "-o", "name"])
        .ok()
        .stdout;
    assert_eq!(
        sel.lines().collect::<Vec<_>>(),
        [
            "repository.config.porch.kpt.dev/b",
            "repository.config.porch.kpt.dev/c"
        ]
    );
    let sel = k
        .run(&["get", "repo", "-l", "team notin (x)", "-o", "name"])
        .ok()
        .stdout;
    assert_eq!(sel.trim(), "repository.config.porch.kpt.dev/a");
    let fs = k
        .run(&[
            "get",
            "repo",
            "--field-selector",
            "metadata.name=b",
            "-o",
            "name",
        ])
        .ok()
        .stdout;
    assert_eq!(fs.trim(), "repository.config.porch.kpt.dev/b");
    let bad = k
        .run(&["get", "repo", "--field-selector", "spec.nope=b"])
        .fails();
    assert!(
        bad.contains("field label not supported: spec.nope"),
        "{bad}"
    );
    let chunks = k
        .run(&["get", "repo", "--chunk-size=1", "-o", "name"])
        .ok()
        .stdout;
    assert_eq!(chunks.lines().count(), 3, "{chunks}");
    let sorted = k
        .run(&[
            "get",
            "repo",
            "--sort-by=.metadata.labels.team",
            "-o",
            "custom-columns=N:.metadata.name",
            "--no-headers",
        ])
        .ok()
        .stdout;
    assert_eq!(sorted.split_whitespace().last(), Some("a"), "{sorted}");
}

#[test]
fn watch_and_wait_see_changes_from_other_clients() {
    let (s, k) = start();
    let watch = k.spawn(&["get", "repo", "-w", "--output-watch-events"]);
    let watcher = Kubectl::new(32, &s.kubeconfig());
    std::thread::sleep(Duration::from_millis(300));
    k.run_stdin(
        &["apply", "-f", "-"],
        &repo("w1", "http://127.0.0.1:9/w.git", ""),
    )
    .ok();
    k.run(&[
        "patch",
        "repo",
        "w1",
        "--type=merge",
        "-p",
        r#"{"spec":{"description":"changed"}}"#,
    ])
    .ok();
    // wait --for=condition=Ready returns once another client sets the status
    let mut wait = watcher.spawn(&["wait", "--for=condition=Ready", "repo/w1", "--timeout=60s"]);
    std::thread::sleep(Duration::from_millis(300));
    let status = r#"{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Ready","message":"Repository Ready","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#;
    k.run(&[
        "patch",
        "repo",
        "w1",
        "--subresource=status",
        "--type=merge",
        "-p",
        status,
    ])
    .ok();
    assert_eq!(
        wait.wait(Duration::from_secs(30)),
        Some(0),
        "wait: {} {}",
        wait.stdout(),
        wait.stderr()
    );
    assert!(wait.stdout().contains("condition met"), "{}", wait.stdout());
    let mut gone = watcher.spawn(&["wait", "--for=delete", "repo/w1", "--timeout=60s"]);
    k.run(&["delete", "repo", "w1"]).ok();
    assert_eq!(
        gone.wait(Duration::from_secs(30)),
        Some(0),
        "{}",
        gone.stderr()
    );
    wait_until("watch events", Duration::from_secs(10), || {
        watch.stdout().contains("DELETED")
    });
    let events: Vec<String> = watch
        .stdout()
        .lines()
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        events.first().map(String::as_str),
        Some("EVENT NAME"),
        "{events:?}"
    );
    assert_eq!(
        events.iter().filter(|e| *e == "ADDED w1").count(),
        1,
        "{events:?}"
    );
    // the description patch and the status update
    assert_eq!(
        events.iter().filter(|e| *e == "MODIFIED w1").count(),
        2,
        "{events:?}"
    );
    assert_eq!(
        events.last().map(String::as_str),
        Some("DELETED w1"),
        "{events:?}"
    );
}

#[test]
fn edit_patch_label_annotate_replace_and_finalizers() {
    let (_s, k) = start();
    k.run_stdin(
        &["apply", "-f", "-"],
        &repo("e1", "http://127.0.0.1:9/e.git", ""),
    )
    .ok();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/description: first/description: edited/' \"$1\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .ok();
    let ed = editor.to_string_lossy().to_string();
    k.run_env(
        &["edit", "repo", "e1"],
        "",
        &[("KUBE_EDITOR", &ed), ("EDITOR", &ed)],
    )
    .ok();
    assert_eq!(
        k.run(&["get", "repo", "e1", "-o", "jsonpath={.spec.description}"])
            .ok()
            .stdout,
        "edited"
    );
    k.run(&[
        "patch",
        "repo",
        "e1",
        "--type=merge",
        "-p",
        r#"{"spec":{"deployment":true}}"#,
    ])
    .ok();
    k.run(&[
        "patch",
        "repo",
        "e1",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/description","value":"json"}]"#,
    ])
    .ok();
    k.run(&[
        "patch",
        "repo",
        "e1",
        "-p",
        r#"{"spec":{"sync":{"schedule":"*/5 * * * *"}}}"#,
    ])
    .ok();
    let err = k
        .run(&[
            "patch",
            "repo",
            "e1",
            "-p",
            r#"{"spec":{"$patch":"replace"}}"#,
        ])
        .fails();
    assert!(err.contains("$patch"), "{err}");
    k.run(&["label", "repo", "e1", "tier=gold"]).ok();
    k.run(&["annotate", "repo", "e1", "note=hello"]).ok();
    let got = k.run(&["get", "repo", "e1", "-o", "jsonpath={.spec.deployment}/{.spec.description}/{.spec.sync.schedule}/{.metadata.labels.tier}/{.metadata.annotations.note}"]).ok().stdout;
    assert_eq!(got, "true/json/*/5 * * * */gold/hello");
    // replace with a stale resourceVersion
    let mut obj: serde_json::Value =
        serde_json::from_str(&k.run(&["get", "repo", "e1", "-o", "json"]).ok().stdout)
            .unwrap_or_default();
    obj["metadata"]["resourceVersion"] = serde_json::json!("1");
    obj["spec"]["description"] = serde_json::json!("stale");
    let err = k
        .run_stdin(&["replace", "-f", "-"], &obj.to_string())
        .fails();
    assert!(
        err.contains("Conflict") && err.contains("the object has been modified"),
        "{err}"
    );
    // immutable field
    let err = k
        .run(&[
            "patch",
            "repo",
            "e1",
            "--type=merge",
            "-p",
            r#"{"spec":{"git":{"repo":"http://127.0.0.1:9/other.git"}}}"#,
        ])
        .fails();
    assert!(err.contains("spec.git.repo is immutable"), "{err}");
    // finalizers keep the object until removed
    k.run(&[
        "patch",
        "repo",
        "e1",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/keep"]}}"#,
    ])
    .ok();
    k.run(&["delete", "repo", "e1", "--wait=false"]).ok();
    let ts = k
        .run(&[
            "get",
            "repo",
            "e1",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}",
        ])
        .ok()
        .stdout;
    assert!(!ts.is_empty(), "deletionTimestamp missing");
    k.run(&[
        "patch",
        "repo",
        "e1",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ])
    .ok();
    let err = k.run(&["get", "repo", "e1"]).fails();
    assert!(err.contains("NotFound"), "{err}");
}

#[test]
fn core_namespaces_and_secrets() {
    let (_s, k) = start();
    // kubectl 1.32 sends these as protobuf
    k.run(&["create", "namespace", "team-a"]).ok();
    k.run(&[
        "create",
        "secret",
        "generic",
        "creds",
        "-n",
        "team-a",
        "--from-literal=username=nephio",
        "--from-literal=password=secret",
    ])
    .ok();
    let data = k
        .run(&[
            "get",
            "secret",
            "creds",
            "-n",
            "team-a",
            "-o",
            "jsonpath={.data.username}",
        ])
        .ok()
        .stdout;
    assert_eq!(data, "bmVwaGlv");
    let yaml = k
        .run(&["get", "secret", "creds", "-n", "team-a", "-o", "yaml"])
        .ok()
        .stdout;
    assert!(
        yaml.contains("type: Opaque") && yaml.contains("password: c2VjcmV0"),
        "{yaml}"
    );
    let ns = k.run(&["get", "ns"]).ok().stdout;
    assert!(
        ns.contains("default") && ns.contains("team-a") && ns.contains("Active"),
        "{ns}"
    );
    let m = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: basic\n  namespace: team-a\ntype: kubernetes.io/basic-auth\nstringData:\n  username: u\n  password: p\n";
    k.run_stdin(&["apply", "-f", "-"], m).ok();
    assert_eq!(
        k.run(&[
            "get",
            "secret",
            "basic",
            "-n",
            "team-a",
            "-o",
            "jsonpath={.data.password}"
        ])
        .ok()
        .stdout,
        "cA=="
    );
    let repo_in = repo("r", "http://127.0.0.1:9/x.git", "")
        .replace("namespace: default", "namespace: team-a");
    k.run_stdin(&["apply", "-f", "-"], &repo_in).ok();
    let err = k
        .run_stdin(
            &["apply", "-f", "-"],
            &repo_in.replace("namespace: team-a", "namespace: nowhere"),
        )
        .fails();
    assert!(err.contains("NotFound") && err.contains("nowhere"), "{err}");
    k.run(&["delete", "namespace", "team-a"]).ok();
    let err = k.run(&["get", "repo", "r", "-n", "team-a"]).fails();
    assert!(err.contains("NotFound"), "{err}");
    assert!(
        k.run(&["get", "secrets", "-n", "team-a", "-o", "name"])
            .ok()
            .stdout
            .is_empty()
    );
    let err = k.run(&["delete", "namespace", "default"]).fails();
    assert!(err.contains("Forbidden"), "{err}");
}

#[test]
fn other_kubectl_versions_smoke() {
    let s = Server::start(BIN, &["--disable-repository-sync"]);
    for minor in [27, 28, 33] {
        let k = Kubectl::new(minor, &s.kubeconfig());
        let name = format!("v{minor}");
        let out = k.run(&["api-resources"]).ok().stdout;
        assert!(out.contains("repositories"), "{minor}: {out}");
        k.run_stdin(
            &["apply", "-f", "-"],
            &repo(&name, &format!("http://127.0.0.1:9/{name}.git"), ""),
        )
        .ok();
        let out = k.run(&["get", "repo", &name]).ok().stdout;
        assert!(
            out.starts_with("NAME") && out.contains(&name),
            "{minor}: {out}"
        );
        k.run(&["label", "repo", &name, "x=y"]).ok();
        assert_eq!(
            k.run(&["auth", "can-i", "list", "repositories"])
                .ok()
                .stdout
                .trim(),
            "yes"
        );
        k.run(&["create", "namespace", &format!("ns{minor}")]).ok();
        k.run(&["delete", "repo", &name]).ok();
    }
}
