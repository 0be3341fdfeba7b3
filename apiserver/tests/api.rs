//! Raw HTTP against the real porch-server: error codes and Status bodies for
//! bad input, authentication, watch resume and 410, both Stores, restarts.

use std::time::Duration;

use porch_testkit::etcd::Etcd;
use porch_testkit::kubectl::Kubectl;
use porch_testkit::server::Server;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_porch-server");
const REPOS: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/repositories";

fn repo(name: &str) -> Value {
    json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
        "metadata": {"name": name}, "spec": {"type": "git", "git": {"repo": format!("http://127.0.0.1:9/{name}.git")}}})
}

fn status(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(v["kind"], "Status", "{body}");
    v
}

fn post(s: &Server, obj: &Value) -> porch_testkit::server::Response {
    s.request(
        "POST",
        REPOS,
        Some("application/json"),
        Some(obj.to_string().as_bytes()),
    )
}

#[test]
fn bad_input_gets_the_right_status() {
    let s = Server::start(
        BIN,
        &[
            "--disable-repository-sync",
            "--max-request-body-bytes",
            "1048576",
        ],
    );
    let r = post(&s, &repo("ok"));
    assert_eq!(r.code, 201, "{}", r.body);

    let cases: Vec<(&str, &str, Option<&str>, Vec<u8>, u16, &str, &str)> = vec![
        ("malformed JSON", "POST", Some("application/json"), b"{\"apiVersion\": ".to_vec(), 400, "BadRequest", ""),
        ("unknown field, Strict", "POST?fieldValidation=Strict", Some("application/json"),
            json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "u"}, "spec": {"type": "git", "bogus": 1, "git": {"repo": "x"}}}).to_string().into_bytes(),
            400, "BadRequest", "strict decoding error: unknown field \"spec.bogus\""),
        ("duplicate field, Strict", "POST?fieldValidation=Strict", Some("application/json"),
            br#"{"apiVersion":"config.porch.kpt.dev/v1alpha1","kind":"Repository","metadata":{"name":"d","name":"e"},"spec":{"type":"git","git":{"repo":"x"}}}"#.to_vec(),
            400, "BadRequest", "duplicate field \"metadata.name\""),
        ("wrong apiVersion", "POST", Some("application/json"),
            json!({"apiVersion": "v1", "kind": "Repository", "metadata": {"name": "w"}}).to_string().into_bytes(), 400, "BadRequest", "does not match the expected API version"),
        ("wrong kind", "POST", Some("application/json"),
            json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Pod", "metadata": {"name": "w"}}).to_string().into_bytes(), 400, "BadRequest", "does not match the expected kind"),
        ("name too long", "POST", Some("application/json"), repo(&"x".repeat(64)).to_string().into_bytes(), 422, "Invalid", "metadata.name"),
        ("bad name", "POST", Some("application/json"), repo("Not_A_Name").to_string().into_bytes(), 422, "Invalid", "RFC 1123"),
        ("unknown type", "POST", Some("application/json"),
            json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "t"}, "spec": {"type": "svn"}}).to_string().into_bytes(), 422, "Invalid", "spec.type: Unsupported value: \"svn\""),
        ("bad cron", "POST", Some("application/json"),
            json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "c"}, "spec": {"type": "git", "git": {"repo": "y"}, "sync": {"schedule": "every day"}}}).to_string().into_bytes(), 422, "Invalid", "spec.sync.schedule"),
        ("wrong content type", "POST", Some("text/plain"), b"hello".to_vec(), 415, "UnsupportedMediaType", ""),
        ("exists", "POST", Some("application/json"), repo("ok").to_string().into_bytes(), 409, "AlreadyExists", "repositories.config.porch.kpt.dev \"ok\" already exists"),
        ("too large", "POST", Some("application/json"), vec![b' '; 2 * 1024 * 1024], 413, "RequestEntityTooLarge", ""),
    ];
    for (what, method, ct, body, code, reason, text) in cases {
        let (method, query) = method
            .split_once('?')
            .map(|(m, q)| (m, format!("?{q}")))
            .unwrap_or((method, String::new()));
        let r = s.request(method, &format!("{REPOS}{query}"), ct, Some(&body));
        assert_eq!(r.code, code, "{what}: {}", r.body);
        let st = status(&r.body);
        assert_eq!(st["reason"], reason, "{what}: {}", r.body);
        assert_eq!(st["code"], code, "{what}");
        assert!(
            st["message"].as_str().unwrap_or_default().contains(text),
            "{what}: {}",
            r.body
        );
    }

    // immutable field on update
    let r = s.request(
        "PATCH",
        &format!("{REPOS}/ok"),
        Some("application/merge-patch+json"),
        Some(br#"{"spec":{"type":"oci","oci":{"registry":"r"}}}"#),
    );
    assert_eq!(r.code, 422, "{}", r.body);
    assert!(r.body.contains("spec.type is immutable"), "{}", r.body);
    // unknown resource and unknown object
    let r = s.request(
        "GET",
        "/apis/config.porch.kpt.dev/v1alpha1/namespaces/default/widgets",
        None,
        None,
    );
    assert_eq!(
        (r.code, status(&r.body)["reason"].clone()),
        (404, json!("NotFound"))
    );
    let r = s.request("GET", &format!("{REPOS}/missing"), None, None);
    assert_eq!(r.code, 404);
    assert_eq!(status(&r.body)["details"]["name"], "missing");
    // unsupported verb
    let r = s.request(
        "POST",
        &format!("{REPOS}/ok"),
        Some("application/json"),
        Some(b"{}"),
    );
    assert_eq!(r.code, 405, "{}", r.body);
    // no or bad credentials
    let r = s.request_as(None, "GET", REPOS, None, None, &[]);
    assert_eq!(
        (r.code, status(&r.body)["reason"].clone()),
        (401, json!("Unauthorized"))
    );
    let r = s.request_as(Some("wrong"), "GET", REPOS, None, None, &[]);
    assert_eq!(r.code, 401);
    let r = s.request_as(None, "GET", "/readyz", None, None, &[]);
    assert_eq!((r.code, r.body.as_str()), (200, "ok"));
    // bad selectors and tokens
    let r = s.request(
        "GET",
        &format!("{REPOS}?labelSelector=a%20in%20(b"),
        None,
        None,
    );
    assert_eq!(r.code, 400, "{}", r.body);
    let r = s.request("GET", &format!("{REPOS}?continue=garbage"), None, None);
    assert_eq!(r.code, 400, "{}", r.body);
    // protobuf-only Accept → 406
    let r = s.request_as(
        Some(&s.token()),
        "GET",
        REPOS,
        None,
        None,
        &["Accept: application/vnd.kubernetes.protobuf"],
    );
    assert_eq!(r.code, 406, "{}", r.body);
    let r = s.request_as(
        Some(&s.token()),
        "GET",
        "/openapi/v2",
        None,
        None,
        &["Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf"],
    );
    assert_eq!(r.code, 200, "{}", r.body);
    assert!(
        r.headers
            .contains("application/com.github.proto-openapi.spec.v2.v1.0+protobuf"),
        "{}",
        r.headers
    );
    let r = s.request_as(
        Some(&s.token()),
        "GET",
        "/openapi/v2",
        None,
        None,
        &["Accept: text/html"],
    );
    assert_eq!(r.code, 406, "{}", r.body);
    // still serving, nothing lost
    let r = s.request("GET", REPOS, None, None);
    assert_eq!(r.code, 200);
    let list: Value = serde_json::from_str(&r.body).unwrap_or_default();
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.body
    );
}

#[test]
fn discovery_negotiation_is_exact() {
    let s = Server::start(BIN, &["--disable-repository-sync"]);
    let accept = |a: &str| {
        s.request_as(
            Some(&s.token()),
            "GET",
            "/apis",
            None,
            None,
            &[&format!("Accept: {a}")],
        )
    };
    let v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    let r = accept(v2);
    assert!(
        r.headers.to_lowercase().contains(
            "content-type: application/json;g=apidiscovery.k8s.io;v=v2;as=apigroupdiscoverylist"
        ),
        "{}",
        r.headers
    );
    assert!(
        r.body.contains("\"apiVersion\":\"apidiscovery.k8s.io/v2\""),
        "{}",
        r.body
    );
    let r = accept(
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
    );
    assert!(r.body.contains("apidiscovery.k8s.io/v2beta1"), "{}", r.body);
    let r = accept("application/json");
    assert!(r.body.contains("\"kind\":\"APIGroupList\""), "{}", r.body);
    let etag = r
        .headers
        .lines()
        .find(|l| l.to_lowercase().starts_with("etag:"))
        .map(|l| l[5..].trim().to_string())
        .unwrap_or_default();
    let r = s.request_as(
        Some(&s.token()),
        "GET",
        "/apis",
        None,
        None,
        &[
            "Accept: application/json",
            &format!("If-None-Match: {etag}"),
        ],
    );
    assert_eq!(r.code, 304);
    let r = s.request("GET", "/openapi/v3", None, None);
    let idx: Value = serde_json::from_str(&r.body).unwrap_or_default();
    let url = idx["paths"]["apis/config.porch.kpt.dev/v1alpha1"]["serverRelativeURL"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(url.contains("?hash="), "{}", r.body);
    let doc: Value =
        serde_json::from_str(&s.request("GET", &url, None, None).body).unwrap_or_default();
    let patch = &doc["paths"]["/apis/config.porch.kpt.dev/v1alpha1/namespaces/{namespace}/repositories/{name}"]
        ["patch"];
    let params: Vec<&str> = patch["parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    for p in ["fieldValidation", "dryRun", "fieldManager", "force"] {
        assert!(params.contains(&p), "{p} missing: {params:?}");
    }
    assert!(
        patch["requestBody"]["content"]
            .get("application/strategic-merge-patch+json")
            .is_none()
    );
    let r = s.request("GET", "/version", None, None);
    assert!(r.body.contains("\"minor\":\"32\""), "{}", r.body);
}

/// Watch from a list RV, resume after a restart, 410 for a compacted RV.
fn watch_resume_and_restart(mut s: Server) {
    for i in 0..3 {
        assert_eq!(post(&s, &repo(&format!("r{i}"))).code, 201);
    }
    let list: Value =
        serde_json::from_str(&s.request("GET", REPOS, None, None).body).unwrap_or_default();
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(post(&s, &repo("after")).code, 201);
    let r = s.request("DELETE", &format!("{REPOS}/r0"), None, None);
    assert_eq!(r.code, 200, "{}", r.body);

    s.restart();
    // everything is still there
    let list: Value =
        serde_json::from_str(&s.request("GET", REPOS, None, None).body).unwrap_or_default();
    let names: Vec<&str> = list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["metadata"]["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["after", "r1", "r2"]);
    // a watch resumes from the old list RV with exactly the missed events
    let r = s.request(
        "GET",
        &format!("{REPOS}?watch=true&resourceVersion={rv}&timeoutSeconds=2"),
        None,
        None,
    );
    let events: Vec<(String, String)> = r
        .body
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("ADDED".to_string(), "after".to_string()),
            ("DELETED".to_string(), "r0".to_string())
        ],
        "{}",
        r.body
    );
    // RVs are stable across restarts
    let again: Value =
        serde_json::from_str(&s.request("GET", &format!("{REPOS}/r1"), None, None).body)
            .unwrap_or_default();
    let r1 = list["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["metadata"]["name"] == "r1"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        again["metadata"]["resourceVersion"],
        r1["metadata"]["resourceVersion"]
    );
    // a revision older than the history → 410 Expired
    for i in 0..12 {
        assert_eq!(post(&s, &repo(&format!("more{i}"))).code, 201);
    }
    let r = s.request(
        "GET",
        &format!("{REPOS}?watch=true&resourceVersion=1&timeoutSeconds=1"),
        None,
        None,
    );
    let expired = r.code == 410 || r.body.contains("\"Expired\"");
    assert!(expired, "{} {}", r.code, r.body);
    // kubectl works against the restarted server
    let k = Kubectl::new(32, &s.kubeconfig());
    assert!(k.run(&["get", "repo", "r1"]).ok().stdout.contains("r1"));
}

#[test]
fn redb_store_survives_kill_and_resumes_watches() {
    watch_resume_and_restart(Server::start(
        BIN,
        &["--disable-repository-sync", "--watch-history", "8"],
    ));
}

#[test]
fn etcd_store_survives_restart_and_resumes_watches() {
    let etcd = Etcd::start();
    let s = Server::start(
        BIN,
        &[
            "--disable-repository-sync",
            "--watch-history",
            "8",
            "--etcd-servers",
            &etcd.endpoint,
        ],
    );
    watch_resume_and_restart(s);
    drop(etcd);
}

#[test]
fn kubectl_suite_runs_against_etcd() {
    let etcd = Etcd::start();
    let s = Server::start(
        BIN,
        &[
            "--disable-repository-sync",
            "--etcd-servers",
            &etcd.endpoint,
        ],
    );
    let k = Kubectl::new(32, &s.kubeconfig());
    let m = "apiVersion: config.porch.kpt.dev/v1alpha1\nkind: Repository\nmetadata:\n  name: e\nspec:\n  type: git\n  git:\n    repo: http://127.0.0.1:9/e.git\n";
    assert!(
        k.run_stdin(&["apply", "-f", "-"], m)
            .ok()
            .stdout
            .contains("created")
    );
    assert!(
        k.run_stdin(
            &["apply", "--server-side", "-f", "-"],
            &m.replace("name: e", "name: f").replace("e.git", "f.git")
        )
        .ok()
        .stdout
        .contains("serverside-applied")
    );
    k.run(&["label", "repo", "e", "a=b"]).ok();
    assert_eq!(
        k.run(&["get", "repo", "-l", "a=b", "-o", "name"])
            .ok()
            .stdout
            .trim(),
        "repository.config.porch.kpt.dev/e"
    );
    k.run(&["create", "namespace", "other"]).ok();
    k.run(&["delete", "repo", "e", "f"]).ok();
    assert!(k.run(&["get", "repo", "-o", "name"]).ok().stdout.is_empty());
    let _ = Duration::from_secs(0);
}

fn events(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

#[test]
fn watch_semantics_initial_events_selectors_bookmarks() {
    let s = Server::start(
        BIN,
        &["--disable-repository-sync", "--bookmark-interval", "300ms"],
    );
    let mut labelled = repo("a");
    labelled["metadata"]["labels"] = json!({"team": "x"});
    assert_eq!(post(&s, &labelled).code, 201);
    assert_eq!(post(&s, &repo("b")).code, 201);

    // sendInitialEvents: ADDED for the current state, then the initial-events-end bookmark
    let r = s.request("GET", &format!("{REPOS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"), None, None);
    let ev = events(&r.body);
    assert_eq!(ev[0]["type"], "ADDED");
    assert_eq!(ev[1]["type"], "ADDED");
    assert_eq!(ev[2]["type"], "BOOKMARK", "{}", r.body);
    assert_eq!(
        ev[2]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    // periodic bookmarks keep coming within the timeout
    assert!(
        ev.iter().skip(3).any(|e| e["type"] == "BOOKMARK"),
        "{}",
        r.body
    );
    // sendInitialEvents without resourceVersionMatch is refused
    let r = s.request(
        "GET",
        &format!("{REPOS}?watch=true&sendInitialEvents=true"),
        None,
        None,
    );
    assert_eq!(r.code, 422, "{}", r.body);

    // selectors apply to every event: matches starting/stopping appear as ADDED/DELETED
    let list: Value =
        serde_json::from_str(&s.request("GET", REPOS, None, None).body).unwrap_or_default();
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let relabel = |name: &str, team: Value| {
        let body = json!({"metadata": {"labels": {"team": team}}}).to_string();
        let r = s.request(
            "PATCH",
            &format!("{REPOS}/{name}"),
            Some("application/merge-patch+json"),
            Some(body.as_bytes()),
        );
        assert_eq!(r.code, 200, "{}", r.body);
    };
    relabel("b", json!("x")); // b starts matching
    relabel("a", json!("y")); // a stops matching
    relabel("a", json!("z")); // still not matching: no event
    relabel("b", json!("x")); // no change, no event
    let r = s.request("DELETE", &format!("{REPOS}/b"), None, None);
    assert_eq!(r.code, 200);
    let r = s.request(
        "GET",
        &format!("{REPOS}?watch=true&resourceVersion={rv}&labelSelector=team%3Dx&timeoutSeconds=1"),
        None,
        None,
    );
    let got: Vec<(String, String)> = events(&r.body)
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [("ADDED", "b"), ("DELETED", "a"), ("DELETED", "b")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want, "{}", r.body);
    // field selector on a watch
    let r = s.request("GET", &format!("{REPOS}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Da&timeoutSeconds=1"), None, None);
    assert!(
        events(&r.body)
            .iter()
            .all(|e| e["object"]["metadata"]["name"] == "a"),
        "{}",
        r.body
    );
    // Table watch: one-row tables
    let r = s.request_as(
        Some(&s.token()),
        "GET",
        &format!("{REPOS}?watch=true&resourceVersion={rv}&timeoutSeconds=1"),
        None,
        None,
        &["Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json"],
    );
    let ev = events(&r.body);
    assert_eq!(ev[0]["object"]["kind"], "Table", "{}", r.body);
    assert_eq!(ev[0]["object"]["rows"].as_array().map(Vec::len), Some(1));
}

#[test]
fn tables_dry_run_warnings_and_collections() {
    let s = Server::start(BIN, &["--disable-repository-sync"]);
    for n in ["t1", "t2", "t3"] {
        let mut r = repo(n);
        r["metadata"]["labels"] = json!({"group": if n == "t3" { "b" } else { "a" }});
        assert_eq!(post(&s, &r).code, 201);
    }
    let table = |include: &str| {
        let r = s.request_as(
            Some(&s.token()),
            "GET",
            &format!("{REPOS}?includeObject={include}"),
            None,
            None,
            &["Accept: application/json;as=Table;v=v1;g=meta.k8s.io"],
        );
        serde_json::from_str::<Value>(&r.body).unwrap_or_default()
    };
    let t = table("Metadata");
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["columnDefinitions"][0]["name"], "Name");
    assert_eq!(t["rows"][0]["cells"][0], "t1");
    assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    assert!(table("None")["rows"][0].get("object").is_none());
    assert_eq!(table("Object")["rows"][0]["object"]["kind"], "Repository");
    // dry-run create stores nothing
    let r = s.request(
        "POST",
        &format!("{REPOS}?dryRun=All"),
        Some("application/json"),
        Some(repo("dry").to_string().as_bytes()),
    );
    assert_eq!(r.code, 201, "{}", r.body);
    assert_eq!(
        s.request("GET", &format!("{REPOS}/dry"), None, None).code,
        404
    );
    // Warn: unknown fields become Warning headers
    let mut odd = repo("odd");
    odd["spec"]["surprise"] = json!(true);
    let r = s.request(
        "POST",
        &format!("{REPOS}?fieldValidation=Warn"),
        Some("application/json"),
        Some(odd.to_string().as_bytes()),
    );
    assert_eq!(r.code, 201);
    assert!(
        r.headers.contains("unknown field \\\"spec.surprise\\\""),
        "{}",
        r.headers
    );
    // deletecollection with a label selector
    let r = s.request(
        "DELETE",
        &format!("{REPOS}?labelSelector=group%3Da"),
        None,
        None,
    );
    assert_eq!(r.code, 200, "{}", r.body);
    let list: Value =
        serde_json::from_str(&s.request("GET", REPOS, None, None).body).unwrap_or_default();
    let names: Vec<&str> = list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["metadata"]["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["odd", "t3"]);
    // delete preconditions
    let r = s.request(
        "DELETE",
        &format!("{REPOS}/t3"),
        Some("application/json"),
        Some(br#"{"preconditions":{"resourceVersion":"1"}}"#),
    );
    assert_eq!(r.code, 409, "{}", r.body);
    // PUT without resourceVersion is an unconditional update for Repositories; with a stale one 409
    let mut t3: Value =
        serde_json::from_str(&s.request("GET", &format!("{REPOS}/t3"), None, None).body)
            .unwrap_or_default();
    t3["spec"]["description"] = json!("put");
    let stale = t3.clone();
    t3["metadata"]
        .as_object_mut()
        .map(|m| m.remove("resourceVersion"));
    let r = s.request(
        "PUT",
        &format!("{REPOS}/t3"),
        Some("application/json"),
        Some(t3.to_string().as_bytes()),
    );
    assert_eq!(r.code, 200, "{}", r.body);
    let r = s.request(
        "PUT",
        &format!("{REPOS}/t3"),
        Some("application/json"),
        Some(stale.to_string().as_bytes()),
    );
    assert_eq!(r.code, 409, "{}", r.body);
    assert_eq!(status(&r.body)["reason"], "Conflict");
}

#[test]
fn a_100_mib_body_is_refused_and_the_server_keeps_serving() {
    let s = Server::start(BIN, &["--disable-repository-sync"]);
    let mut big = repo("big");
    big["spec"]["description"] = json!("x".repeat(100 * 1024 * 1024));
    let r = post(&s, &big);
    assert_eq!(r.code, 413, "{}", &r.body[..r.body.len().min(300)]);
    assert_eq!(status(&r.body)["reason"], "RequestEntityTooLarge");
    assert_eq!(post(&s, &repo("small")).code, 201);
}

#[test]
fn repositories_on_the_same_url_and_branch_must_not_overlap() {
    let s = Server::start(BIN, &["--disable-repository-sync"]);
    let with = |name: &str, url: &str, dir: Option<&str>, branch: Option<&str>| {
        let mut r = json!({"apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository", "metadata": {"name": name},
            "spec": {"type": "git", "git": {"repo": url}}});
        if let Some(d) = dir {
            r["spec"]["git"]["directory"] = json!(d);
        }
        if let Some(b) = branch {
            r["spec"]["git"]["branch"] = json!(b);
        }
        post(&s, &r)
    };
    assert_eq!(
        with("a", "http://127.0.0.1:9/x.git", Some("team-a"), None).code,
        201
    );
    assert_eq!(
        with("b", "http://127.0.0.1:9/x.git", Some("team-b"), None).code,
        201
    );
    assert_eq!(
        with("c", "http://127.0.0.1:9/x.git", Some("/"), Some("dev")).code,
        201
    );
    for (name, url, dir) in [
        ("d", "http://127.0.0.1:9/X", Some("team-a/sub")),
        ("e", "http://127.0.0.1:9/x.git/", None),
        ("f", "http://127.0.0.1:9/x.git", Some("team-b")),
    ] {
        let r = with(name, url, dir, None);
        assert_eq!(r.code, 409, "{name}: {}", r.body);
        let st = status(&r.body);
        assert_eq!(st["reason"], "Conflict");
        assert!(
            st["message"]
                .as_str()
                .unwrap_or_default()
                .contains("RepositoryConflict"),
            "{}",
            r.body
        );
    }
    // a deleted Repository no longer conflicts
    assert_eq!(
        s.request("DELETE", &format!("{REPOS}/b"), None, None).code,
        200
    );
    assert_eq!(
        with("f", "http://127.0.0.1:9/x.git", Some("team-b"), None).code,
        201
    );
}
