//! The git read path against real git: a local path, `git daemon` and
//! `git http-backend` behind lighttpd, all on 127.0.0.1.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use porch_engine::git::{
    CachedRepo, Credentials, DiscoveredRevision, GitCache, GitError, GitOptions, Lifecycle,
    RepoSpec,
};
use porch_testkit::git::{
    self as fx, GitDaemon, GitHttpServer, HTTP_PASSWORD, HTTP_USER, HeaderProbe, HttpAuth, git,
    git_env,
};

fn cache(dir: &Path) -> GitCache {
    GitCache::new(
        dir.join("cache"),
        GitOptions {
            timeout: Duration::from_secs(10),
        },
    )
}

fn spec(url: &str) -> RepoSpec {
    RepoSpec {
        url: url.to_string(),
        branch: "main".into(),
        directory: String::new(),
        create_branch: false,
        credentials: Credentials::None,
    }
}

fn basic(user: &str, password: &str) -> Credentials {
    Credentials::Basic {
        username: user.into(),
        password: password.into(),
    }
}

/// (package, workspace, revision, lifecycle, ref), as Porch lists the bundle.
fn rows(revs: &[DiscoveredRevision]) -> Vec<(String, String, i64, &'static str, String)> {
    let mut v: Vec<_> = revs
        .iter()
        .map(|r| {
            (
                r.package_path.clone(),
                r.workspace.clone(),
                r.revision,
                r.lifecycle.as_str(),
                r.git_ref.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Derived by hand from the bundle's refs: `main` holds 6 packages (placeholders,
/// workspace `main`, revision -1) and 10 lightweight tags `<pkg>/v<N>`; no
/// drafts, no deletionProposed branches, no trailers (so workspace = tag suffix).
fn expected_bundle() -> Vec<(String, String, i64, &'static str, String)> {
    let mut v = Vec::new();
    let tags = [
        ("basens", 4),
        ("bucket", 1),
        ("empty", 1),
        ("redis-bucket", 1),
        ("unready", 1),
        ("update", 2),
    ];
    for (pkg, n) in tags {
        v.push((
            pkg.to_string(),
            "main".to_string(),
            -1,
            "Published",
            "main".to_string(),
        ));
        for i in 1..=n {
            v.push((
                pkg.to_string(),
                format!("v{i}"),
                i,
                "Published",
                format!("{pkg}/v{i}"),
            ));
        }
    }
    v.sort();
    v
}

/// Every file of `rev` equals `git show <commit>:<full>/<file>` byte for byte.
fn assert_files_match(bare: &Path, repo: &CachedRepo, rev: &DiscoveredRevision, full: &str) {
    let files = repo.read_package(rev).unwrap();
    let listed = git(
        bare,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            &rev.commit,
            "--",
            &format!("{full}/"),
        ],
    );
    let names: Vec<String> = listed
        .lines()
        .map(|l| l.strip_prefix(&format!("{full}/")).unwrap().to_string())
        .collect();
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        names,
        "{full}@{}",
        rev.git_ref
    );
    for (name, content) in &files {
        let want = std::process::Command::new("git")
            .arg("-C")
            .arg(bare)
            .args(["show", &format!("{}:{full}/{name}", rev.commit)])
            .output()
            .unwrap()
            .stdout;
        assert_eq!(
            content.as_bytes(),
            &want[..],
            "{full}/{name}@{}",
            rev.git_ref
        );
    }
}

fn check_bundle(url: &str, creds: Credentials, bare: &Path, tmp: &Path) {
    let c = cache(tmp);
    let repo = c
        .open(&RepoSpec {
            credentials: creds,
            ..spec(url)
        })
        .unwrap();
    let t = Instant::now();
    repo.fetch().unwrap();
    let fetched = t.elapsed();
    let t = Instant::now();
    let d = repo.discover().unwrap();
    eprintln!("{url}: fetch {fetched:?}, discover {:?}", t.elapsed());
    assert_eq!(rows(&d.revisions), expected_bundle());
    let head = git(bare, &["rev-parse", "main"]).trim().to_string();
    assert_eq!(d.branch_commit.as_deref(), Some(head.as_str()));

    // Publishing commits: the tag's commit; for the placeholder (no trailers) the branch head.
    let find = |p: &str, r: &str| {
        d.revisions
            .iter()
            .find(|x| x.package_path == p && x.git_ref == r)
            .unwrap()
    };
    let v1 = find("basens", "basens/v1");
    assert_eq!(v1.published_by.as_deref(), Some("mmaly@google.com"));
    assert_eq!(
        v1.publish_timestamp.as_deref(),
        Some("2022-03-01T18:57:02Z")
    );
    assert_eq!(v1.commit, "67f29546028f0a48c6bbb08614934d0e070cdd3a");
    assert!(v1.tasks.is_empty());
    let lock = v1.self_lock.git.as_ref().unwrap();
    assert_eq!(
        (
            lock.repo.as_str(),
            lock.directory.as_str(),
            lock.ref_.as_str()
        ),
        (url, "basens", "basens/v1")
    );
    assert_eq!(v1.self_lock.type_, "git");
    let main = find("basens", "main");
    assert_eq!(main.published_by.as_deref(), Some("laszlo.mozes@nokia.com"));
    assert_eq!(
        main.publish_timestamp.as_deref(),
        Some("2026-01-06T13:40:15Z")
    );
    assert_eq!(
        main.kptfile.labels.get("test-label").map(String::as_str),
        Some("test-value")
    );
    assert_eq!(
        main.kptfile
            .annotations
            .get("test-annotation")
            .map(String::as_str),
        Some("true")
    );
    let unready = find("unready", "main");
    assert_eq!(
        unready.kptfile.readiness_gates[0].condition_type,
        "nephio.org.Specializer.specialize"
    );
    assert_eq!(unready.kptfile.conditions[0].status, "False");
    assert!(
        d.revisions
            .iter()
            .all(|r| r.kptfile.error.is_none() && r.upstream_lock.is_none())
    );

    for rev in &d.revisions {
        assert_files_match(bare, &repo, rev, &rev.package_path);
        // The same files by selfLock (commit + full path), as the apiserver reads them.
        assert_eq!(
            repo.read_package_at(&rev.commit, &rev.package_path)
                .unwrap(),
            repo.read_package(rev).unwrap()
        );
    }
    for (commit, path) in [
        (v1.commit.as_str(), "nope"),
        ("0123456789012345678901234567890123456789", "basens"),
        ("xyz", "basens"),
    ] {
        let e = repo.read_package_at(commit, path).unwrap_err();
        assert!(
            matches!(e, GitError::Other(_)) && e.to_string().contains("no package"),
            "{e:?}"
        );
    }

    // ls-remote sees exactly the remote's refs.
    let refs = repo.ls_remote().unwrap();
    let want: BTreeMap<String, String> = git(bare, &["show-ref"])
        .lines()
        .map(|l| {
            let (oid, name) = l.split_once(' ').unwrap();
            (name.to_string(), oid.to_string())
        })
        .collect();
    let got: BTreeMap<String, String> = refs.into_iter().filter(|(k, _)| k != "HEAD").collect();
    assert_eq!(got, want);

    // A second discovery (warm memo) gives the same answer.
    let t = Instant::now();
    assert_eq!(repo.discover().unwrap(), d);
    eprintln!("{url}: warm discover {:?}", t.elapsed());
}

#[test]
fn bundle_via_local_path_and_file_url() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = tmp.path().join("repos/test-blueprints.git");
    fx::bare_from_bundle(&fx::blueprints_bundle(), &bare);
    check_bundle(
        bare.to_str().unwrap(),
        Credentials::None,
        &bare,
        &tmp.path().join("a"),
    );
    check_bundle(
        &format!("file://{}", bare.display()),
        Credentials::None,
        &bare,
        &tmp.path().join("b"),
    );
}

#[test]
fn bundle_via_git_daemon() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = repos.join("test-blueprints.git");
    fx::bare_from_bundle(&fx::blueprints_bundle(), &bare);
    let daemon = GitDaemon::start(&repos);
    check_bundle(
        &format!("{}/test-blueprints.git", daemon.url),
        Credentials::None,
        &bare,
        tmp.path(),
    );
}

#[test]
fn bundle_via_http_backend_with_basic_auth() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = repos.join("test-blueprints.git");
    fx::bare_from_bundle(&fx::blueprints_bundle(), &bare);
    let http = GitHttpServer::start(&repos, HttpAuth::All);
    let url = format!("{}/test-blueprints.git", http.url);
    check_bundle(&url, basic(HTTP_USER, HTTP_PASSWORD), &bare, tmp.path());

    // Wrong password and no credentials: AuthenticationFailed, at once, for ls-remote and fetch.
    let c = cache(&tmp.path().join("wrong"));
    for creds in [basic(HTTP_USER, "wrong"), Credentials::None] {
        let repo = c
            .open(&RepoSpec {
                credentials: creds,
                ..spec(&url)
            })
            .unwrap();
        let t = Instant::now();
        let e = repo.fetch().unwrap_err();
        assert!(matches!(e, GitError::AuthenticationFailed(_)), "{e:?}");
        assert!(e.to_string().contains("authentication failed"), "{e}");
        let e = repo.ls_remote().unwrap_err();
        assert!(matches!(e, GitError::AuthenticationFailed(_)), "{e:?}");
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    }
}

#[test]
fn caches_are_per_url_and_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let c = cache(tmp.path());
    let url = "http://127.0.0.1:1/git/x.git";
    let a = c
        .open(&RepoSpec {
            credentials: basic("u", "a"),
            ..spec(url)
        })
        .unwrap();
    let a2 = c
        .open(&RepoSpec {
            credentials: basic("u", "a"),
            directory: "d".into(),
            ..spec(url)
        })
        .unwrap();
    let b = c
        .open(&RepoSpec {
            credentials: basic("u", "b"),
            ..spec(url)
        })
        .unwrap();
    let n = c.open(&spec(url)).unwrap();
    assert_eq!(a.dir(), a2.dir());
    assert_ne!(a.dir(), b.dir());
    assert_ne!(a.dir(), n.dir());
    assert!(a.dir().starts_with(tmp.path().join("cache")));
    assert!(a.dir().join("HEAD").exists());
}

#[test]
fn bearer_token_and_basic_auth_are_sent_on_every_operation() {
    let tmp = tempfile::tempdir().unwrap();
    let probe = HeaderProbe::start();
    let c = cache(tmp.path());
    let url = format!("http://127.0.0.1:{}/git/r.git", probe.port);
    for (creds, header) in [
        (
            Credentials::Bearer("tok-123".into()),
            "Authorization: Bearer tok-123",
        ),
        (
            basic("nephio", "secret"),
            "Authorization: Basic bmVwaGlvOnNlY3JldA==",
        ),
    ] {
        let repo = c
            .open(&RepoSpec {
                credentials: creds,
                ..spec(&url)
            })
            .unwrap();
        let before = probe.seen().len();
        assert!(matches!(
            repo.ls_remote(),
            Err(GitError::AuthenticationFailed(_))
        ));
        assert!(matches!(
            repo.fetch(),
            Err(GitError::AuthenticationFailed(_))
        ));
        let seen = probe.seen();
        assert_eq!(
            seen.len() - before,
            2,
            "one request each, no credential retry loop: {seen:?}"
        );
        for req in &seen[before..] {
            assert!(req.contains(header), "{req}");
        }
    }
}

#[test]
fn closed_port_is_unreachable() {
    let tmp = tempfile::tempdir().unwrap();
    let c = cache(tmp.path());
    let port = fx::closed_port();
    for url in [
        format!("http://127.0.0.1:{port}/git/r.git"),
        format!("git://127.0.0.1:{port}/r.git"),
    ] {
        let repo = c.open(&spec(&url)).unwrap();
        let t = Instant::now();
        let e = repo.fetch().unwrap_err();
        assert!(matches!(e, GitError::Unreachable(_)), "{url}: {e:?}");
        assert!(matches!(repo.ls_remote(), Err(GitError::Unreachable(_))));
        assert!(t.elapsed() < Duration::from_secs(2));
    }
    let missing = tmp.path().join("no-such-repo");
    let e = c
        .open(&spec(missing.to_str().unwrap()))
        .unwrap()
        .fetch()
        .unwrap_err();
    assert!(matches!(e, GitError::Unreachable(_)), "{e:?}");
    eprintln!("{e}");

    // A server that is up but has no such repository.
    let repos = tmp.path().join("repos");
    fx::empty_bare(&repos.join("there.git"));
    let http = GitHttpServer::start(&repos, HttpAuth::PushOnly);
    let daemon = GitDaemon::start(&repos);
    for url in [
        format!("{}/missing.git", http.url),
        format!("{}/missing.git", daemon.url),
    ] {
        let e = c.open(&spec(&url)).unwrap().fetch().unwrap_err();
        eprintln!("{e}");
        assert!(matches!(e, GitError::Unreachable(_)), "{url}: {e:?}");
    }
}

#[test]
fn create_branch_on_an_empty_remote() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    fx::empty_bare(&repos.join("empty.git"));
    fx::empty_bare(&repos.join("empty2.git"));
    let http = GitHttpServer::start(&repos, HttpAuth::PushOnly);
    let c = cache(tmp.path());

    // Without createBranch: BranchMissing, and discovery of the empty cache is empty.
    let url = format!("{}/empty.git", http.url);
    let repo = c
        .open(&RepoSpec {
            credentials: basic(HTTP_USER, HTTP_PASSWORD),
            ..spec(&url)
        })
        .unwrap();
    let e = repo.fetch().unwrap_err();
    assert!(matches!(e, GitError::BranchMissing(_)), "{e:?}");
    assert!(e.to_string().contains("\"main\" doesn't exist"), "{e}");
    let d = repo.discover().unwrap();
    assert_eq!((d.branch_commit, d.revisions.len()), (None, 0));

    // Push needs credentials: anonymous createBranch fails with an authentication error.
    let anon = c
        .open(&RepoSpec {
            create_branch: true,
            ..spec(&url)
        })
        .unwrap();
    assert!(matches!(
        anon.fetch(),
        Err(GitError::AuthenticationFailed(_))
    ));

    let creating = RepoSpec {
        create_branch: true,
        credentials: basic(HTTP_USER, HTTP_PASSWORD),
        ..spec(&url)
    };
    let repo = c.open(&creating).unwrap();
    repo.fetch().unwrap();
    let d = repo.discover().unwrap();
    let remote_head = git(&repos.join("empty.git"), &["rev-parse", "refs/heads/main"])
        .trim()
        .to_string();
    assert_eq!(d.branch_commit.as_deref(), Some(remote_head.as_str()));
    assert!(d.revisions.is_empty());
    let bare = repos.join("empty.git");
    assert_eq!(git(&bare, &["show", "main:README.md"]), "Created by porch");
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%s|%an|%ae", "main"]).trim(),
        "Initial commit: Creating main branch|Package Orchestration Service|porch@kpt.dev"
    );
    // Idempotent: the next fetch finds the branch.
    repo.fetch().unwrap();

    // Also through a local path, with another branch name.
    let local = c
        .open(&RepoSpec {
            branch: "deploy".into(),
            create_branch: true,
            ..spec(repos.join("empty2.git").to_str().unwrap())
        })
        .unwrap();
    local.fetch().unwrap();
    assert!(local.discover().unwrap().branch_commit.is_some());
    git(
        &repos.join("empty2.git"),
        &["rev-parse", "--verify", "refs/heads/deploy"],
    );
}

#[test]
fn refs_pushed_or_deleted_externally_are_seen_after_fetch() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = repos.join("bp.git");
    fx::bare_from_bundle(&fx::blueprints_bundle(), &bare);
    let daemon = GitDaemon::start(&repos);
    let url = format!("{}/bp.git", daemon.url);
    let c = cache(tmp.path());
    let repo = c.open(&spec(&url)).unwrap();
    repo.fetch().unwrap();
    assert_eq!(repo.discover().unwrap().revisions.len(), 16);
    let before = repo.ls_remote().unwrap();

    // Someone tags basens/v5 and pushes a draft with plain git.
    let wc = tmp.path().join("wc");
    git(tmp.path(), &["clone", "-q", &url, wc.to_str().unwrap()]);
    let id = [
        ("GIT_AUTHOR_NAME", "Eve"),
        ("GIT_AUTHOR_EMAIL", "eve@example.com"),
        ("GIT_COMMITTER_NAME", "Eve"),
        ("GIT_COMMITTER_EMAIL", "eve@example.com"),
    ];
    git(&wc, &["tag", "basens/v5", "origin/main"]);
    git(
        &wc,
        &[
            "checkout",
            "-q",
            "-b",
            "drafts/basens/ws-new",
            "origin/main",
        ],
    );
    std::fs::write(wc.join("basens/new.yaml"), "a: 1\n").unwrap();
    git(&wc, &["add", "."]);
    git_env(&wc, &["commit", "-q", "-m", "draft"], &id);
    git(
        &wc,
        &["push", "-q", "origin", "basens/v5", "drafts/basens/ws-new"],
    );

    let after = repo.ls_remote().unwrap();
    assert_ne!(before, after);
    assert!(after.contains_key("refs/tags/basens/v5"));
    repo.fetch().unwrap();
    let d = repo.discover().unwrap();
    assert_eq!(d.revisions.len(), 18);
    let v5 = d
        .revisions
        .iter()
        .find(|r| r.git_ref == "basens/v5")
        .unwrap();
    assert_eq!(
        (v5.revision, v5.workspace.as_str(), v5.lifecycle),
        (5, "v5", Lifecycle::Published)
    );
    let draft = d
        .revisions
        .iter()
        .find(|r| r.git_ref == "drafts/basens/ws-new")
        .unwrap();
    assert_eq!(
        (draft.revision, draft.workspace.as_str(), draft.lifecycle),
        (0, "ws-new", Lifecycle::Draft)
    );
    assert_eq!(draft.published_by, None);
    assert!(repo.read_package(draft).unwrap().contains_key("new.yaml"));

    // Deleting them on the remote removes them after the next fetch (prune).
    git(
        &wc,
        &[
            "push",
            "-q",
            "origin",
            ":refs/tags/basens/v5",
            ":refs/heads/drafts/basens/ws-new",
        ],
    );
    repo.fetch().unwrap();
    let d = repo.discover().unwrap();
    assert_eq!(rows(&d.revisions), expected_bundle());
    assert_eq!(repo.ls_remote().unwrap(), before);
}

/// A repository with a directory, nested paths, trailers, drafts, proposals,
/// deletion proposals, semver-like and non-package tags, built with plain git.
#[test]
fn discovery_rules_on_a_built_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let wc = tmp.path().join("wc");
    std::fs::create_dir_all(&wc).unwrap();
    git(&wc, &["init", "-q", "-b", "main"]);
    let mut t = 1_700_000_000u64;
    let mut commit = |msg: &str, who: &str| {
        t += 100;
        let date = format!("{t} +0000");
        let email = format!("{who}@example.com");
        git(&wc, &["add", "-A"]);
        git_env(
            &wc,
            &["commit", "-q", "--allow-empty", "-m", msg],
            &[
                ("GIT_AUTHOR_NAME", who),
                ("GIT_AUTHOR_EMAIL", &email),
                ("GIT_AUTHOR_DATE", &date),
                ("GIT_COMMITTER_NAME", who),
                ("GIT_COMMITTER_EMAIL", &email),
                ("GIT_COMMITTER_DATE", &date),
            ],
        );
        git(&wc, &["rev-parse", "HEAD"]).trim().to_string()
    };
    let write = |p: &str, s: &str| {
        let p = wc.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, s).unwrap();
    };
    let kptfile =
        |name: &str| format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name}\n");

    write("catalog/simple/Kptfile", &kptfile("simple"));
    write("catalog/simple/cm.yaml", "kind: ConfigMap\n");
    write(
        "catalog/a/b/Kptfile",
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: b\n  labels: {tier: gold}\n  annotations: {note: x}\nupstream:\n  type: git\n  git: {repo: 'https://example.com/up.git', directory: /basens, ref: basens/v1}\nupstreamLock:\n  type: git\n  git: {repo: 'https://example.com/up.git', directory: /basens, ref: basens/v1, commit: 0123abcd}\ninfo:\n  readinessGates:\n  - conditionType: Approved\nstatus:\n  conditions:\n  - {type: Approved, status: 'True', reason: OK, message: fine}\n",
    );
    write("catalog/a/b/sub/deep.yaml", "deep: true\n");
    write("catalog/outer/Kptfile", &kptfile("outer"));
    write("catalog/outer/inner/Kptfile", &kptfile("inner"));
    write("catalog/notpkg/x.yaml", "x: 1\n");
    write("catalog/broken/Kptfile", "metadata: [unclosed\n");
    write("catalog/bin/Kptfile", &kptfile("bin"));
    std::fs::write(
        wc.join("catalog/bin/logo.png"),
        [0x89u8, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00],
    )
    .unwrap();
    write("outside/other/Kptfile", &kptfile("other"));
    let base = commit("Add packages", "bob");

    // The simple package goes through Porch: init, an unknown task, render, approval of ws1.
    let kpt = |json: &str| format!("kpt:{json}");
    write("catalog/simple/cm.yaml", "kind: ConfigMap\ndata: {a: b}\n");
    commit(
        &format!(
            "Creating new empty revision\n\n{}",
            kpt(
                r#"{"package":"catalog/simple","workspaceName":"ws1","revision":"0","task":{"type":"init","init":{"description":"simple description"}}}"#
            )
        ),
        "carol",
    );
    commit(
        &format!(
            "Intermediate commit: frobnicate\n\n{}",
            kpt(
                r#"{"package":"catalog/simple","workspaceName":"ws1","revision":"0","task":{"type":"frobnicate"}}"#
            )
        ),
        "carol",
    );
    commit(
        &format!(
            "Rendering package\n\n{}",
            kpt(
                r#"{"package":"catalog/simple","workspaceName":"ws1","revision":"0","task":{"type":"render"}}"#
            )
        ),
        "carol",
    );
    let approved = commit(
        &format!(
            "Approving package revision catalog/simple/1\n\n{}",
            kpt(r#"{"package":"catalog/simple","workspaceName":"ws1","revision":"1"}"#)
        ),
        "alice",
    );
    git(&wc, &["tag", "catalog/simple/v1", &approved]);
    // An unrelated commit afterwards: the placeholder is still attributed to alice's approval.
    write("README.md", "hello\n");
    let head = commit("Unrelated", "dave");
    git(&wc, &["tag", "catalog/simple/v2.0.0", &head]);
    git_env(
        &wc,
        &["tag", "-a", "-m", "annotated", "catalog/a/b/v3", &base],
        &[
            ("GIT_COMMITTER_NAME", "tagger"),
            ("GIT_COMMITTER_EMAIL", "tagger@example.com"),
        ],
    );
    git(&wc, &["tag", "release-1", &base]);
    git(&wc, &["tag", "catalog/notpkg/v1", &base]);
    git(&wc, &["tag", "outside/other/v1", &base]);
    git(&wc, &["tag", "catalog/v1", &base]);
    git(
        &wc,
        &["branch", "deletionProposed/catalog/simple/v1", &approved],
    );
    git(&wc, &["branch", "deletionProposed/catalog/a/b/main", &head]);

    // A cloned draft of a/b with an unknown older task and a newer edit... clone stops the walk.
    git(
        &wc,
        &["checkout", "-q", "-b", "drafts/catalog/a/b/ws2", &head],
    );
    commit(
        &format!(
            "x\n\n{}",
            kpt(
                r#"{"package":"catalog/a/b","workspaceName":"ws2","task":{"type":"init","init":{"description":"older, hidden by the clone"}}}"#
            )
        ),
        "erin",
    );
    write("catalog/a/b/new.yaml", "n: 1\n");
    commit(
        &format!(
            "Creating new revision by cloning\n\n{}",
            kpt(
                r#"{"package":"catalog/a/b","workspaceName":"ws2","task":{"type":"clone","clone":{"upstreamRef":{"upstreamRef":{"name":"blueprints.basens.v1"}}}}}"#
            )
        ),
        "erin",
    );
    commit(
        &format!(
            "Intermediate commit: mystery\n\n{}\n{}",
            kpt(
                r#"{"package":"catalog/a/b","workspaceName":"ws2","task":{"type":"mystery","mystery":{}}}"#
            ),
            kpt("{broken json")
        ),
        "erin",
    );
    // A proposal whose only task is unknown: no task.
    git(
        &wc,
        &["checkout", "-q", "-b", "proposed/catalog/simple/ws3", &head],
    );
    commit(
        &format!(
            "x\n\n{}",
            kpt(
                r#"{"package":"catalog/simple","workspaceName":"ws3","task":{"type":"frobnicate"}}"#
            )
        ),
        "frank",
    );
    // Drafts that are not packages or outside the directory, and a malformed name.
    git(&wc, &["branch", "drafts/catalog/notpkg/ws", &head]);
    git(&wc, &["branch", "drafts/outside/other/ws", &head]);
    git(&wc, &["branch", "drafts/badname", &head]);
    git(&wc, &["checkout", "-q", "main"]);

    let bare = tmp.path().join("built.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            wc.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    // clone --bare copies branches as refs/heads/*, tags included.
    let c = cache(tmp.path());
    let url = bare.to_str().unwrap().to_string();
    let repo = c
        .open(&RepoSpec {
            directory: "/catalog/".into(),
            ..spec(&url)
        })
        .unwrap();
    repo.fetch().unwrap();
    let d = repo.discover().unwrap();
    let got = rows(&d.revisions);
    let row = |p: &str, w: &str, r: i64, l: &'static str, git_ref: &str| {
        (p.to_string(), w.to_string(), r, l, git_ref.to_string())
    };
    let mut want = vec![
        row("a/b", "main", -1, "DeletionProposed", "main"),
        row("a/b", "v3", 3, "Published", "catalog/a/b/v3"),
        row("a/b", "ws2", 0, "Draft", "drafts/catalog/a/b/ws2"),
        row("bin", "main", -1, "Published", "main"),
        row("broken", "main", -1, "Published", "main"),
        row("outer", "main", -1, "Published", "main"),
        row("simple", "main", -1, "Published", "main"),
        row("simple", "ws1", 1, "DeletionProposed", "catalog/simple/v1"),
        row("simple", "v2.0.0", -1, "Published", "catalog/simple/v2.0.0"),
        row(
            "simple",
            "ws3",
            0,
            "Proposed",
            "proposed/catalog/simple/ws3",
        ),
    ];
    want.sort();
    assert_eq!(got, want);

    let find = |r: &str| {
        d.revisions
            .iter()
            .find(|x| x.git_ref == r && (r != "main" || x.package_path == "simple"))
            .unwrap()
    };
    let v1 = find("catalog/simple/v1");
    assert_eq!(v1.tasks.len(), 1);
    assert_eq!(v1.tasks[0].type_, "init");
    assert_eq!(
        v1.tasks[0].init.as_ref().unwrap().description,
        "simple description"
    );
    assert_eq!(v1.published_by.as_deref(), Some("alice@example.com"));
    let lock = v1.self_lock.git.as_ref().unwrap();
    assert_eq!(
        (
            lock.directory.as_str(),
            lock.ref_.as_str(),
            lock.commit.as_str()
        ),
        ("simple", "catalog/simple/v1", approved.as_str())
    );

    let placeholder = find("main");
    assert_eq!(
        placeholder.published_by.as_deref(),
        Some("alice@example.com"),
        "latest commit whose trailer names the package"
    );
    assert_eq!(
        placeholder.publish_timestamp.as_deref(),
        Some(rfc3339(1_700_000_500).as_str())
    );
    assert_eq!(placeholder.commit, head);
    assert_eq!(
        placeholder.tasks.len(),
        1,
        "tasks of the revision the latest trailer names"
    );

    let semver = find("catalog/simple/v2.0.0");
    assert_eq!(semver.published_by.as_deref(), Some("dave@example.com"));
    assert!(semver.tasks.is_empty());

    let ws2 = find("drafts/catalog/a/b/ws2");
    assert_eq!(ws2.tasks.len(), 1);
    assert_eq!(ws2.tasks[0].type_, "clone");
    assert_eq!(
        ws2.tasks[0]
            .clone
            .as_ref()
            .unwrap()
            .upstream_ref
            .upstream_ref
            .as_ref()
            .unwrap()
            .name,
        "blueprints.basens.v1"
    );
    assert_eq!(
        (ws2.published_by.as_ref(), ws2.publish_timestamp.as_ref()),
        (None, None)
    );
    assert!(
        find("proposed/catalog/simple/ws3").tasks.is_empty(),
        "unknown task types are skipped"
    );

    let ab_main = d
        .revisions
        .iter()
        .find(|x| x.package_path == "a/b" && x.git_ref == "main")
        .unwrap();
    assert_eq!(
        ab_main.published_by.as_deref(),
        Some("dave@example.com"),
        "no trailer: the branch head"
    );
    assert_eq!(
        ab_main.kptfile.labels.get("tier").map(String::as_str),
        Some("gold")
    );
    assert_eq!(
        ab_main.kptfile.annotations.get("note").map(String::as_str),
        Some("x")
    );
    assert_eq!(
        ab_main.kptfile.readiness_gates[0].condition_type,
        "Approved"
    );
    assert_eq!(ab_main.kptfile.conditions[0].message, "fine");
    let up = ab_main.upstream_lock.as_ref().unwrap();
    assert_eq!(
        (up.type_.as_str(), up.git.as_ref().unwrap().commit.as_str()),
        ("git", "0123abcd")
    );
    let ab_v3 = find("catalog/a/b/v3");
    assert_eq!(ab_v3.commit, base, "annotated tag peeled to its commit");

    let broken = d
        .revisions
        .iter()
        .find(|x| x.package_path == "broken")
        .unwrap();
    assert!(broken.kptfile.error.is_some());

    // Package files: nested directories included, binary file skipped.
    let files = repo.read_package(ab_main).unwrap();
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        vec!["Kptfile", "sub/deep.yaml"]
    );
    let bin = d
        .revisions
        .iter()
        .find(|x| x.package_path == "bin")
        .unwrap();
    assert_eq!(
        repo.read_package(bin)
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        vec!["Kptfile"]
    );
    let outer = d
        .revisions
        .iter()
        .find(|x| x.package_path == "outer")
        .unwrap();
    assert!(
        repo.read_package(outer)
            .unwrap()
            .contains_key("inner/Kptfile")
    );

    // The same cache read with the root directory sees outside/other too; tree oids match git.
    let root = c.open(&spec(&url)).unwrap();
    let d2 = root.discover().unwrap();
    let other: Vec<_> = d2
        .revisions
        .iter()
        .filter(|r| r.package_path == "outside/other")
        .map(|r| r.git_ref.clone())
        .collect();
    assert_eq!(
        other,
        vec!["drafts/outside/other/ws", "main", "outside/other/v1"]
    );
    let simple = d2
        .revisions
        .iter()
        .find(|r| r.package_path == "catalog/simple" && r.git_ref == "main")
        .unwrap();
    assert_eq!(
        simple.tree,
        git(&bare, &["rev-parse", "main:catalog/simple"]).trim()
    );
    assert_eq!(
        simple.self_lock.git.as_ref().unwrap().directory,
        "catalog/simple"
    );
}

fn rfc3339(s: i64) -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{s}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn handles_are_shareable_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<GitCache>();
    shareable::<CachedRepo>();
    shareable::<porch_engine::git::Discovery>();
    shareable::<GitError>();
}
