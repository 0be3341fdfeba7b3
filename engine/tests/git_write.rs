//! The git write path against real git servers on 127.0.0.1 (`git daemon`
//! with push enabled, `git http-backend` behind lighttpd with basic auth),
//! checked with `discover()` and with plain `git` commands.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use porch_api::packagerevision::Task;
use porch_engine::git::{
    CachedRepo, Credentials, DeleteTarget, GitCache, GitError, GitOptions, Lifecycle, PublishedRef,
    RepoSpec, Trailer,
};
use porch_testkit::git::{
    self as fx, GitDaemon, GitHttpServer, HTTP_USER, HangingServer, HttpAuth, git,
};

fn open(root: &Path, url: &str, directory: &str, creds: Credentials) -> CachedRepo {
    let cache = GitCache::new(
        root.to_path_buf(),
        GitOptions {
            timeout: Duration::from_secs(15),
        },
    );
    cache
        .open(&RepoSpec {
            url: url.to_string(),
            branch: "main".into(),
            directory: directory.into(),
            create_branch: false,
            credentials: creds,
        })
        .unwrap()
}

/// A bare repository `name` under `repos` with one commit on main (README.md).
fn seeded(repos: &Path, name: &str) -> std::path::PathBuf {
    let bare = repos.join(name);
    fx::empty_bare(&bare);
    let work = repos.join(format!("{name}-work"));
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("README.md"), "hello\n").unwrap();
    git(&work, &["add", "."]);
    git(
        &work,
        &[
            "-c",
            "user.name=ext",
            "-c",
            "user.email=ext@x",
            "commit",
            "-q",
            "-m",
            "seed",
        ],
    );
    git(&work, &["push", "-q", &bare.to_string_lossy(), "main"]);
    bare
}

fn files(extra: &str) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    f.insert(
        "Kptfile".into(),
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: b\n".into(),
    );
    f.insert(format!("{extra}.yaml"), format!("name: {extra}\n"));
    f
}

fn init_trailer(full: &str, ws: &str) -> Trailer {
    let task: Task = serde_json::from_value(
        serde_json::json!({"type": "init", "init": {"description": "b description"}}),
    )
    .unwrap();
    Trailer {
        package: full.into(),
        workspace_name: ws.into(),
        revision: "0".into(),
        task: Some(task),
    }
}

fn rev_parse(bare: &Path, r: &str) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(bare)
        .args(["rev-parse", "--verify", "-q", r])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn lifecycle_of(repo: &CachedRepo, git_ref: &str) -> Option<(Lifecycle, i64)> {
    repo.discover()
        .unwrap()
        .revisions
        .into_iter()
        .find(|r| r.git_ref == git_ref)
        .map(|r| (r.lifecycle, r.revision))
}

#[test]
fn draft_lifecycle_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = seeded(&repos, "r.git");
    let daemon = GitDaemon::start(&repos);
    let repo = open(
        &tmp.path().join("cache"),
        &format!("{}/r.git", daemon.url),
        "bp",
        Credentials::None,
    );
    repo.fetch().unwrap();
    let seed = rev_parse(&bare, "main").unwrap();

    // Create.
    let d = repo
        .create_draft(
            "a/b",
            "ws1",
            &files("one"),
            "Creating new empty revision",
            &init_trailer("bp/a/b", "ws1"),
            Some("alice"),
        )
        .unwrap();
    assert_eq!(d.git_ref, "refs/heads/drafts/bp/a/b/ws1");
    assert_eq!(
        rev_parse(&bare, "refs/heads/drafts/bp/a/b/ws1").as_deref(),
        Some(d.commit.as_str())
    );
    let log = git(
        &bare,
        &["log", "-1", "--format=%an|%ae|%cn|%ce|%P", &d.commit],
    );
    assert_eq!(
        log.trim(),
        format!("alice|alice|Package Orchestration Service|porch@kpt.dev|{seed}")
    );
    let msg = git(&bare, &["log", "-1", "--format=%B", &d.commit]);
    assert!(
        msg.starts_with("Creating new empty revision\n\nkpt:{"),
        "{msg}"
    );
    assert!(
        msg.contains(r#""package":"bp/a/b""#) && msg.contains(r#""workspaceName":"ws1""#),
        "{msg}"
    );
    let tree = git(&bare, &["ls-tree", "-r", "--name-only", &d.commit]);
    assert_eq!(tree, "README.md\nbp/a/b/Kptfile\nbp/a/b/one.yaml\n");
    let found = repo.discover().unwrap();
    let r = found
        .revisions
        .iter()
        .find(|r| r.git_ref == "drafts/bp/a/b/ws1")
        .unwrap();
    assert_eq!(
        (r.package_path.as_str(), r.workspace.as_str(), r.lifecycle),
        ("a/b", "ws1", Lifecycle::Draft)
    );
    assert_eq!(r.tasks.first().map(|t| t.type_.as_str()), Some("init"));

    // Creating it again fails cleanly and changes nothing.
    let again = repo.create_draft("a/b", "ws1", &files("x"), "m", &Trailer::default(), None);
    assert!(
        matches!(again, Err(GitError::AlreadyExists(_))),
        "{again:?}"
    );
    assert_eq!(
        rev_parse(&bare, "refs/heads/drafts/bp/a/b/ws1").as_deref(),
        Some(d.commit.as_str())
    );

    // Update replaces the package directory; a stale writer gets a Conflict.
    let d2 = repo
        .update_draft(
            &d,
            &files("two"),
            "Rendering package",
            &Trailer {
                package: "bp/a/b".into(),
                workspace_name: "ws1".into(),
                ..Trailer::default()
            },
            None,
        )
        .unwrap();
    let tree = git(&bare, &["ls-tree", "-r", "--name-only", &d2.commit]);
    assert_eq!(tree, "README.md\nbp/a/b/Kptfile\nbp/a/b/two.yaml\n");
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%P|%an", &d2.commit]).trim(),
        format!("{}|Package Orchestration Service", d.commit)
    );
    let stale = repo.update_draft(&d, &files("three"), "m", &Trailer::default(), None);
    assert!(matches!(stale, Err(GitError::Conflict(_))), "{stale:?}");
    assert_eq!(
        rev_parse(&bare, "refs/heads/drafts/bp/a/b/ws1").as_deref(),
        Some(d2.commit.as_str())
    );

    // Propose, reject, propose.
    repo.move_draft(&d2.git_ref, "proposed/bp/a/b/ws1", &d2.commit)
        .unwrap();
    assert_eq!(rev_parse(&bare, "refs/heads/drafts/bp/a/b/ws1"), None);
    assert_eq!(
        lifecycle_of(&repo, "proposed/bp/a/b/ws1"),
        Some((Lifecycle::Proposed, 0))
    );
    repo.move_draft("proposed/bp/a/b/ws1", "drafts/bp/a/b/ws1", &d2.commit)
        .unwrap();
    assert_eq!(
        lifecycle_of(&repo, "drafts/bp/a/b/ws1"),
        Some((Lifecycle::Draft, 0))
    );
    repo.move_draft("drafts/bp/a/b/ws1", "proposed/bp/a/b/ws1", &d2.commit)
        .unwrap();

    // Approve.
    let p = repo
        .approve(
            "a/b",
            "proposed/bp/a/b/ws1",
            &d2.commit,
            None,
            Some("bob"),
            jiff::Timestamp::now(),
        )
        .unwrap();
    assert_eq!((p.revision, p.tag.as_str()), (1, "refs/tags/bp/a/b/v1"));
    assert_eq!(rev_parse(&bare, "main").as_deref(), Some(p.commit.as_str()));
    assert_eq!(
        rev_parse(&bare, "refs/tags/bp/a/b/v1").as_deref(),
        Some(p.commit.as_str())
    );
    assert_eq!(rev_parse(&bare, "refs/heads/proposed/bp/a/b/ws1"), None);
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%P|%ae|%ce", &p.commit]).trim(),
        format!("{seed} {}|bob|porch@kpt.dev", d2.commit)
    );
    let msg = git(&bare, &["log", "-1", "--format=%B", &p.commit]);
    assert!(
        msg.starts_with("Approving package revision bp/a/b/1\n\nkpt:"),
        "{msg}"
    );
    assert_eq!(
        git(&bare, &["ls-tree", "-r", "--name-only", "main"]),
        "README.md\nbp/a/b/Kptfile\nbp/a/b/two.yaml\n"
    );
    assert_eq!(
        lifecycle_of(&repo, "bp/a/b/v1"),
        Some((Lifecycle::Published, 1))
    );
    assert_eq!(
        lifecycle_of(&repo, "main"),
        Some((Lifecycle::Published, -1))
    );
    assert_eq!(lifecycle_of(&repo, "proposed/bp/a/b/ws1"), None);

    // Propose delete, cancel, propose again, delete the tag.
    repo.propose_delete("a/b", PublishedRef::Tag(1), &p.commit)
        .unwrap();
    assert_eq!(
        rev_parse(&bare, "refs/heads/deletionProposed/bp/a/b/v1").as_deref(),
        Some(p.commit.as_str())
    );
    assert_eq!(
        lifecycle_of(&repo, "bp/a/b/v1"),
        Some((Lifecycle::DeletionProposed, 1))
    );
    repo.cancel_delete("a/b", PublishedRef::Tag(1)).unwrap();
    assert_eq!(
        lifecycle_of(&repo, "bp/a/b/v1"),
        Some((Lifecycle::Published, 1))
    );
    repo.propose_delete("a/b", PublishedRef::Tag(1), &p.commit)
        .unwrap();
    repo.delete_revision(&DeleteTarget::Tag {
        package_path: "a/b".into(),
        revision: 1,
    })
    .unwrap();
    assert_eq!(rev_parse(&bare, "refs/tags/bp/a/b/v1"), None);
    assert_eq!(
        rev_parse(&bare, "refs/heads/deletionProposed/bp/a/b/v1"),
        None
    );
    assert_eq!(lifecycle_of(&repo, "bp/a/b/v1"), None);

    // A draft branch is deleted; the placeholder by a commit on main.
    let d3 = repo
        .create_draft("a/b", "ws3", &files("x"), "m", &Trailer::default(), None)
        .unwrap();
    repo.delete_revision(&DeleteTarget::Branch {
        git_ref: d3.git_ref.clone(),
        commit: d3.commit.clone(),
    })
    .unwrap();
    assert_eq!(rev_parse(&bare, "refs/heads/drafts/bp/a/b/ws3"), None);
    repo.propose_delete("a/b", PublishedRef::Placeholder, &p.commit)
        .unwrap();
    assert_eq!(
        lifecycle_of(&repo, "main"),
        Some((Lifecycle::DeletionProposed, -1))
    );
    repo.delete_revision(&DeleteTarget::Placeholder {
        package_path: "a/b".into(),
    })
    .unwrap();
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%s|%P", "main"]).trim(),
        format!("Delete bp/a/b|{}", p.commit)
    );
    assert_eq!(
        git(&bare, &["ls-tree", "-r", "--name-only", "main"]),
        "README.md\n"
    );
    assert_eq!(
        rev_parse(&bare, "refs/heads/deletionProposed/bp/a/b/main"),
        None
    );
    assert!(repo.discover().unwrap().revisions.is_empty());
    // What the cache shows is what a fetch shows.
    let before = repo.discover().unwrap();
    repo.fetch().unwrap();
    assert_eq!(repo.discover().unwrap(), before);
}

#[test]
fn empty_repository_draft_has_no_parent_and_approval_creates_the_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = repos.join("e.git");
    fx::empty_bare(&bare);
    let daemon = GitDaemon::start(&repos);
    let repo = open(
        &tmp.path().join("cache"),
        &format!("{}/e.git", daemon.url),
        "",
        Credentials::None,
    );
    let d = repo
        .create_draft("p", "ws", &files("a"), "m", &Trailer::default(), None)
        .unwrap();
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%P", &d.commit]).trim(),
        ""
    );
    let p = repo
        .approve(
            "p",
            &d.git_ref,
            &d.commit,
            None,
            None,
            jiff::Timestamp::now(),
        )
        .unwrap();
    assert_eq!(p.revision, 1);
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%P|%an", "main"]).trim(),
        format!("{}|Package Orchestration Service", d.commit)
    );
}

#[test]
fn concurrent_approvals_get_consecutive_revisions() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = seeded(&repos, "c.git");
    let daemon = GitDaemon::start(&repos);
    let url = format!("{}/c.git", daemon.url);
    // Two caches: two replicas.
    let a = open(&tmp.path().join("cache-a"), &url, "", Credentials::None);
    let b = open(&tmp.path().join("cache-b"), &url, "", Credentials::None);
    a.fetch().unwrap();
    b.fetch().unwrap();
    let da = a
        .create_draft("pkg", "wa", &files("a"), "m", &Trailer::default(), None)
        .unwrap();
    let db = b
        .create_draft("pkg", "wb", &files("b"), "m", &Trailer::default(), None)
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [(a, da), (b, db)]
        .into_iter()
        .map(|(repo, d)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                repo.approve(
                    "pkg",
                    &d.git_ref,
                    &d.commit,
                    None,
                    None,
                    jiff::Timestamp::now(),
                )
            })
        })
        .collect();
    let mut revs: Vec<u32> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap().revision)
        .collect();
    revs.sort();
    assert_eq!(revs, vec![1, 2]);
    for t in ["refs/tags/pkg/v1", "refs/tags/pkg/v2"] {
        git(&bare, &["merge-base", "--is-ancestor", t, "main"]);
    }
    assert_eq!(
        git(
            &bare,
            &["for-each-ref", "--format=%(refname)", "refs/heads/drafts"]
        ),
        ""
    );
}

#[test]
fn external_push_during_approval_rebuilds_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = seeded(&repos, "x.git");
    // An external commit on top of main, parked under refs/external/next.
    let work = repos.join("x.git-work");
    std::fs::write(work.join("other.txt"), "external\n").unwrap();
    git(&work, &["add", "."]);
    git(
        &work,
        &[
            "-c",
            "user.name=ext",
            "-c",
            "user.email=ext@x",
            "commit",
            "-q",
            "-m",
            "external",
        ],
    );
    git(
        &work,
        &[
            "push",
            "-q",
            &bare.to_string_lossy(),
            "main:refs/external/next",
        ],
    );
    let external = rev_parse(&bare, "refs/external/next").unwrap();
    // The first push that reaches the server finds main moved by someone else.
    let hook = bare.join("hooks/pre-receive");
    std::fs::create_dir_all(bare.join("hooks")).unwrap();
    std::fs::write(
        &hook,
        "#!/bin/sh\nif grep -q ' refs/heads/main$' && [ ! -e moved ]; then\n  touch moved\n  env -u GIT_QUARANTINE_PATH git update-ref refs/heads/main refs/external/next\nfi\nexit 0\n",
    )
    .unwrap();
    git(&bare, &["config", "core.hooksPath", "hooks"]);
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .unwrap();
    let daemon = GitDaemon::start(&repos);
    let repo = open(
        &tmp.path().join("cache"),
        &format!("{}/x.git", daemon.url),
        "",
        Credentials::None,
    );
    repo.fetch().unwrap();
    let d = repo
        .create_draft("pkg", "ws", &files("a"), "m", &Trailer::default(), None)
        .unwrap();
    assert!(!bare.join("moved").exists());
    // The approval's first push meets a main moved under it, and is rebuilt.
    let p = repo
        .approve(
            "pkg",
            &d.git_ref,
            &d.commit,
            None,
            None,
            jiff::Timestamp::now(),
        )
        .unwrap();
    assert_eq!(p.revision, 1);
    assert!(bare.join("moved").exists(), "the hook moved main");
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%P", "main"]).trim(),
        format!("{external} {}", d.commit)
    );
    assert_eq!(
        git(&bare, &["ls-tree", "-r", "--name-only", "main"]),
        "README.md\nother.txt\npkg/Kptfile\npkg/a.yaml\n"
    );
}

#[test]
fn http_push_with_and_without_the_right_password() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = seeded(&repos, "h.git");
    let server = GitHttpServer::start(&repos, HttpAuth::PushOnly);
    let url = format!("{}/h.git", server.url);
    let wrong = open(
        &tmp.path().join("cache"),
        &url,
        "",
        Credentials::Basic {
            username: HTTP_USER.into(),
            password: "wrong".into(),
        },
    );
    wrong.fetch().unwrap();
    let r = wrong.create_draft("pkg", "ws", &files("a"), "m", &Trailer::default(), None);
    assert!(matches!(r, Err(GitError::AuthenticationFailed(_))), "{r:?}");
    assert_eq!(rev_parse(&bare, "refs/heads/drafts/pkg/ws"), None);
    let right = open(
        &tmp.path().join("cache"),
        &url,
        "",
        Credentials::Basic {
            username: HTTP_USER.into(),
            password: fx::HTTP_PASSWORD.into(),
        },
    );
    right.fetch().unwrap();
    let d = right
        .create_draft("pkg", "ws", &files("a"), "m", &Trailer::default(), None)
        .unwrap();
    let p = right
        .approve(
            "pkg",
            &d.git_ref,
            &d.commit,
            None,
            None,
            jiff::Timestamp::now(),
        )
        .unwrap();
    assert_eq!(
        rev_parse(&bare, "refs/tags/pkg/v1").as_deref(),
        Some(p.commit.as_str())
    );
}

#[test]
fn push_to_a_silent_server_times_out() {
    let tmp = tempfile::tempdir().unwrap();
    let hang = HangingServer::start();
    let cache = GitCache::new(
        tmp.path().join("cache"),
        GitOptions {
            timeout: Duration::from_secs(2),
        },
    );
    let repo = cache
        .open(&RepoSpec {
            url: format!("http://127.0.0.1:{}/r.git", hang.port),
            branch: "main".into(),
            directory: String::new(),
            create_branch: false,
            credentials: Credentials::None,
        })
        .unwrap();
    let began = std::time::Instant::now();
    let r = repo.create_draft("p", "ws", &files("a"), "m", &Trailer::default(), None);
    assert!(matches!(r, Err(GitError::Timeout(_))), "{r:?}");
    assert!(
        began.elapsed() < Duration::from_secs(6),
        "{:?}",
        began.elapsed()
    );
}

#[test]
fn concurrent_approvals_through_one_cache_and_a_moved_draft() {
    let tmp = tempfile::tempdir().unwrap();
    let repos = tmp.path().join("repos");
    let bare = seeded(&repos, "s.git");
    let daemon = GitDaemon::start(&repos);
    let repo = open(
        &tmp.path().join("cache"),
        &format!("{}/s.git", daemon.url),
        "",
        Credentials::None,
    );
    repo.fetch().unwrap();
    let drafts: Vec<_> = ["w1", "w2"]
        .iter()
        .map(|ws| {
            repo.create_draft("pkg", ws, &files(ws), "m", &Trailer::default(), None)
                .unwrap()
        })
        .collect();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = drafts
        .into_iter()
        .map(|d| {
            let (repo, barrier) = (repo.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                repo.approve(
                    "pkg",
                    &d.git_ref,
                    &d.commit,
                    None,
                    None,
                    jiff::Timestamp::now(),
                )
            })
        })
        .collect();
    let mut revs: Vec<u32> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap().revision)
        .collect();
    revs.sort();
    assert_eq!(revs, vec![1, 2]);
    let published: Vec<i64> = repo
        .discover()
        .unwrap()
        .revisions
        .iter()
        .filter(|r| r.git_ref.starts_with("pkg/v"))
        .map(|r| r.revision)
        .collect();
    assert_eq!(published, vec![1, 2]);

    // A draft that moved after the caller read it is not approved.
    let d = repo
        .create_draft("pkg", "w3", &files("w3"), "m", &Trailer::default(), None)
        .unwrap();
    let d2 = repo
        .update_draft(&d, &files("w3b"), "m", &Trailer::default(), None)
        .unwrap();
    let r = repo.approve(
        "pkg",
        &d.git_ref,
        &d.commit,
        None,
        None,
        jiff::Timestamp::now(),
    );
    assert!(matches!(r, Err(GitError::Conflict(_))), "{r:?}");
    assert_eq!(rev_parse(&bare, "refs/tags/pkg/v3"), None);
    // A revision hint above the next number is honoured.
    let p = repo
        .approve(
            "pkg",
            &d2.git_ref,
            &d2.commit,
            Some(7),
            None,
            jiff::Timestamp::now(),
        )
        .unwrap();
    assert_eq!(p.tag, "refs/tags/pkg/v7");
}
