//! Porch's package discovery (porch-api.md §4.3, §3.3) over the local cache:
//! packages on the branch (placeholders), tags, drafts/proposed branches and
//! the deletionProposed markers.

use std::collections::HashSet;
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};
use porch_api::packagerevision::{GitLock, Locator, Task};

use super::RepoSpec;
use super::kptfile::{self, KptfileInfo, KptfileSummary};
use super::memo::{Memo, ScannedPackage};
use super::trailers::{self, commit_info};

/// What one discovery found.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    /// Commit at the head of the branch (`gitCommitHash`), `None` when the branch is missing.
    pub branch_commit: Option<String>,
    /// Every package revision, sorted by package path then ref.
    pub revisions: Vec<DiscoveredRevision>,
}

pub use porch_api::lifecycle::Lifecycle;

/// One package revision as found in git.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveredRevision {
    /// Relative to `spec.directory`, e.g. "basens" or "a/b".
    pub package_path: String,
    /// From `kpt:` trailers, else the branch name (placeholder), `v<N>`, or the tag suffix.
    pub workspace: String,
    /// -1 placeholder and non-integer tags, 0 drafts/proposed, N for tags `FULL/vN`.
    pub revision: i64,
    pub lifecycle: Lifecycle,
    /// Short ref as Porch's `selfLock.ref`: "drafts/FULL/ws", "FULL/v3", "main".
    pub git_ref: String,
    /// Commit the revision lives at.
    pub commit: String,
    /// Oid of the package directory tree (cheap change detection of the content).
    pub tree: String,
    /// The creation task from `kpt:` trailers (at most one).
    pub tasks: Vec<Task>,
    /// Author email of the publishing commit (published revisions only).
    pub published_by: Option<String>,
    /// Author time of the publishing commit, RFC 3339 UTC (published revisions only).
    pub publish_timestamp: Option<String>,
    /// From the Kptfile, only with `upstream.git` and `upstreamLock`.
    pub upstream_lock: Option<Locator>,
    /// `{type: git, git: {repo, directory (without spec.directory), ref, commit}}`.
    pub self_lock: Locator,
    pub kptfile: KptfileSummary,
}

/// How a ref contributes revisions.
enum RefKind<'a> {
    Branch,
    Tag(&'a str),
    Draft(&'a str, Lifecycle),
}

/// Which kind of ref `name` is for a Repository on `branch_ref`; `None` for
/// refs that give no revision (deletionProposed markers are handled apart).
fn classify<'a>(name: &'a str, branch_ref: &str) -> Option<RefKind<'a>> {
    if name == branch_ref {
        return Some(RefKind::Branch);
    }
    if let Some(t) = name.strip_prefix("refs/tags/") {
        return Some(RefKind::Tag(t));
    }
    let b = name.strip_prefix("refs/remotes/origin/")?;
    if b.starts_with("drafts/") {
        Some(RefKind::Draft(b, Lifecycle::Draft))
    } else if b.starts_with("proposed/") {
        Some(RefKind::Draft(b, Lifecycle::Proposed))
    } else {
        None
    }
}

/// Discover every revision visible to `spec` in `repo`.
pub(crate) fn discover(
    repo: &Repository,
    memo: &mut Memo,
    spec: &RepoSpec,
) -> Result<Discovery, git2::Error> {
    let directory = spec.directory.trim_matches('/').to_string();
    let branch_ref = format!("refs/remotes/origin/{}", spec.branch);
    let mut deletion_proposed = HashSet::new();
    let mut refs: Vec<(String, Oid)> = Vec::new();
    for r in repo.references()? {
        let r = r?;
        let Ok(name) = r.name() else { continue };
        if let Some(rest) = name.strip_prefix("refs/remotes/origin/deletionProposed/") {
            deletion_proposed.insert(rest.to_string());
            continue;
        }
        if classify(name, &branch_ref).is_none() {
            continue;
        }
        // Tags may be annotated; everything else must point at a commit.
        match r.peel(ObjectType::Commit) {
            Ok(c) => refs.push((name.to_string(), c.id())),
            Err(e) if e.class() == git2::ErrorClass::Odb => return Err(e),
            Err(e) => {
                tracing::warn!(r#ref = name, error = %e.message(), "skipping ref that is not a commit");
            }
        }
    }
    let branch_commit = refs
        .iter()
        .find(|(n, _)| *n == branch_ref)
        .map(|(_, c)| c.to_string());
    // Packages named by any trailer: history walks for the others are skipped
    // (computed only when some ref has to be built).
    let key = |n: &String, c: &Oid| (directory.clone(), n.clone(), *c);
    let named = if refs
        .iter()
        .any(|(n, c)| memo.refs.get(&key(n, c)).is_none())
    {
        let tips: Vec<Oid> = refs.iter().map(|(_, c)| *c).collect();
        trailers::named_packages(repo, memo, &tips)?
    } else {
        HashSet::new()
    };
    let mut revisions = Vec::new();
    for (name, commit) in &refs {
        let Some(kind) = classify(name, &branch_ref) else {
            continue;
        };
        let found = match memo.refs.get(&key(name, commit)) {
            Some(found) => found,
            None => {
                let built = from_ref(repo, memo, spec, &directory, &named, &kind, *commit)?;
                let found = Arc::new(built);
                memo.refs.insert(key(name, commit), found.clone());
                found
            }
        };
        revisions.extend(found.iter().cloned());
    }
    // Revisions of refs that moved or went away are not needed again.
    let live: HashSet<(&str, Oid)> = refs.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    memo.refs
        .retain(|k| k.0 != directory || live.contains(&(k.1.as_str(), k.2)));
    mark_deletion_proposed(&mut revisions, &directory, &deletion_proposed);
    revisions.sort_by(|a, b| (&a.package_path, &a.git_ref).cmp(&(&b.package_path, &b.git_ref)));
    Ok(Discovery {
        branch_commit,
        revisions,
    })
}

/// Every revision of the one package at `full` (directory included): its
/// placeholder on the branch, tags, drafts and proposals, with deletion
/// markers applied. What a write needs to refresh that package's objects
/// without discovering the whole repository.
pub(crate) fn discover_package(
    repo: &Repository,
    memo: &mut Memo,
    spec: &RepoSpec,
    full: &str,
    refs: &std::collections::BTreeMap<String, Oid>,
) -> Result<Vec<DiscoveredRevision>, git2::Error> {
    let directory = spec.directory.trim_matches('/').to_string();
    let Some(rel) = relative(&directory, full) else {
        return Ok(Vec::new());
    };
    let branch_ref = format!("refs/remotes/origin/{}", spec.branch);
    let named: HashSet<String> = HashSet::from([full.to_string()]);
    let mut deletion_proposed = HashSet::new();
    let mut out = Vec::new();
    let prefixes = [
        format!("refs/tags/{full}/"),
        format!("refs/remotes/origin/drafts/{full}/"),
        format!("refs/remotes/origin/proposed/{full}/"),
        format!("refs/remotes/origin/deletionProposed/{full}/"),
    ];
    for prefix in &prefixes {
        for (name, oid) in refs
            .range(prefix.clone()..)
            .take_while(|(n, _)| n.starts_with(prefix.as_str()))
        {
            // Only this package's refs, not those of packages nested below it.
            let last = &name[prefix.len()..];
            if last.is_empty() || last.contains('/') {
                continue;
            }
            if let Some(rest) = name.strip_prefix("refs/remotes/origin/deletionProposed/") {
                deletion_proposed.insert(rest.to_string());
                continue;
            }
            let Some(kind) = classify(name, &branch_ref) else {
                continue;
            };
            // Tags may be annotated.
            let commit = match repo
                .find_object(*oid, None)
                .and_then(|o| o.peel(ObjectType::Commit))
            {
                Ok(c) => c.id(),
                Err(e) if e.class() == git2::ErrorClass::Odb => return Err(e),
                Err(_) => continue,
            };
            out.extend(from_ref(
                repo, memo, spec, &directory, &named, &kind, commit,
            )?);
        }
    }
    if let Some(head) = refs.get(&branch_ref).copied() {
        let root = repo.find_commit(head)?.tree_id();
        if let Some((tree, kptfile)) = package_at(repo, root, full)? {
            let latest =
                trailers::latest_package_commits(repo, memo, &named, head, &[full.to_string()])?
                    .into_iter()
                    .next()
                    .flatten();
            out.push(placeholder(
                repo,
                memo,
                spec,
                &named,
                (&rel, full),
                head,
                (tree, kptfile),
                latest,
            )?);
        }
    }
    out.retain(|r| r.package_path == rel);
    mark_deletion_proposed(&mut out, &directory, &deletion_proposed);
    out.sort_by(|a, b| a.git_ref.cmp(&b.git_ref));
    Ok(out)
}

/// Published revisions with a `deletionProposed/FULL/{vN|WS}` marker are DeletionProposed.
fn mark_deletion_proposed(
    revs: &mut [DiscoveredRevision],
    directory: &str,
    markers: &HashSet<String>,
) {
    for rev in revs
        .iter_mut()
        .filter(|r| r.lifecycle == Lifecycle::Published)
    {
        let full = join(directory, &rev.package_path);
        let suffix = if rev.revision > 0 {
            format!("{full}/v{}", rev.revision)
        } else {
            format!("{full}/{}", rev.workspace)
        };
        if markers.contains(&suffix) {
            rev.lifecycle = Lifecycle::DeletionProposed;
        }
    }
}

/// The placeholder revision of the package `(rel, full)` on the branch at
/// `commit`; `latest` is the newest commit whose trailer names the package.
#[allow(clippy::too_many_arguments)]
fn placeholder(
    repo: &Repository,
    memo: &mut Memo,
    spec: &RepoSpec,
    named: &HashSet<String>,
    (rel, full): (&str, &str),
    commit: Oid,
    (tree, kptfile): (Oid, Oid),
    latest: Option<Oid>,
) -> Result<DiscoveredRevision, git2::Error> {
    // Tasks as Porch: those of the revision the latest trailer names.
    let trailer_ws = match latest {
        Some(c) => commit_info(repo, memo, c)?
            .trailers
            .iter()
            .find(|t| t.package == full && !t.workspace_name.is_empty())
            .map(|t| t.workspace_name.clone()),
        None => None,
    };
    let ws_for_tasks = trailer_ws.unwrap_or_else(|| spec.branch.clone());
    let task = trailers::creation_task(repo, memo, named, commit, full, &ws_for_tasks)?;
    build(
        repo,
        memo,
        spec,
        rel,
        spec.branch.clone(),
        -1,
        Lifecycle::Published,
        &spec.branch,
        commit,
        tree,
        kptfile,
        task,
        Some(latest.unwrap_or(commit)),
    )
}

/// The revisions one ref gives (a tag or draft gives at most one).
fn from_ref(
    repo: &Repository,
    memo: &mut Memo,
    spec: &RepoSpec,
    directory: &str,
    named: &HashSet<String>,
    kind: &RefKind<'_>,
    commit: Oid,
) -> Result<Vec<DiscoveredRevision>, git2::Error> {
    let root = repo.find_commit(commit)?.tree_id();
    match kind {
        RefKind::Branch => {
            let Some(dir_tree) = subtree(repo, root, directory)? else {
                return Ok(Vec::new());
            };
            let packages = scan(repo, memo, dir_tree)?;
            let packages: Vec<&ScannedPackage> = packages
                .iter()
                .filter(|(p, _, _)| {
                    if p.is_empty() {
                        tracing::warn!(
                            directory,
                            "a Kptfile at the repository directory itself is not a package"
                        );
                    }
                    !p.is_empty()
                })
                .collect();
            let fulls: Vec<String> = packages
                .iter()
                .map(|(p, _, _)| join(directory, p))
                .collect();
            let latest = trailers::latest_package_commits(repo, memo, named, commit, &fulls)?;
            let mut out = Vec::new();
            for (((rel, tree, kptfile), full), latest) in
                packages.into_iter().zip(&fulls).zip(latest)
            {
                out.push(placeholder(
                    repo,
                    memo,
                    spec,
                    named,
                    (rel, full),
                    commit,
                    (*tree, *kptfile),
                    latest,
                )?);
            }
            Ok(out)
        }
        RefKind::Tag(name) => {
            // Tags without `/` (release tags) are not package revisions.
            let Some((full, suffix)) = name.rsplit_once('/') else {
                return Ok(Vec::new());
            };
            let Some(rel) = relative(directory, full) else {
                return Ok(Vec::new());
            };
            let Some((tree, kptfile)) = package_at(repo, root, full)? else {
                tracing::warn!(tag = %name, "skipping tag: no Kptfile at {full}");
                return Ok(Vec::new());
            };
            let revision = parse_revision(suffix);
            let info = commit_info(repo, memo, commit)?;
            let workspace = info
                .trailers
                .iter()
                .find(|t| t.package == full && !t.workspace_name.is_empty())
                .map(|t| t.workspace_name.clone())
                .unwrap_or_else(|| suffix.to_string());
            let task = trailers::creation_task(repo, memo, named, commit, full, &workspace)?;
            Ok(vec![build(
                repo,
                memo,
                spec,
                &rel,
                workspace,
                revision,
                Lifecycle::Published,
                name,
                commit,
                tree,
                kptfile,
                task,
                Some(commit),
            )?])
        }
        RefKind::Draft(branch, lifecycle) => {
            let rest = branch.split_once('/').map(|(_, r)| r).unwrap_or_default();
            let Some((full, workspace)) = rest
                .rsplit_once('/')
                .filter(|(f, w)| !f.is_empty() && !w.is_empty())
            else {
                tracing::warn!(
                    branch,
                    "skipping draft branch without <package>/<workspace>"
                );
                return Ok(Vec::new());
            };
            let Some(rel) = relative(directory, full) else {
                return Ok(Vec::new());
            };
            let Some((tree, kptfile)) = package_at(repo, root, full)? else {
                tracing::warn!(branch, "skipping draft: no Kptfile at {full}");
                return Ok(Vec::new());
            };
            let task = trailers::creation_task(repo, memo, named, commit, full, workspace)?;
            Ok(vec![build(
                repo,
                memo,
                spec,
                &rel,
                workspace.to_string(),
                0,
                *lifecycle,
                branch,
                commit,
                tree,
                kptfile,
                task,
                None,
            )?])
        }
    }
}

/// Assemble a revision; `published_at` is the commit whose author published it.
#[allow(clippy::too_many_arguments)]
fn build(
    repo: &Repository,
    memo: &mut Memo,
    spec: &RepoSpec,
    rel: &str,
    workspace: String,
    revision: i64,
    lifecycle: Lifecycle,
    git_ref: &str,
    commit: Oid,
    tree: Oid,
    kptfile_blob: Oid,
    task: Option<Task>,
    published_at: Option<Oid>,
) -> Result<DiscoveredRevision, git2::Error> {
    let kf = kptfile_info(repo, memo, kptfile_blob)?;
    let (published_by, publish_timestamp) = match published_at {
        Some(c) => {
            let info = commit_info(repo, memo, c)?;
            (
                Some(info.author_email.clone()),
                Some(rfc3339(info.author_time)),
            )
        }
        None => (None, None),
    };
    Ok(DiscoveredRevision {
        package_path: rel.to_string(),
        workspace,
        revision,
        lifecycle,
        git_ref: git_ref.to_string(),
        commit: commit.to_string(),
        tree: tree.to_string(),
        tasks: task.into_iter().collect(),
        published_by,
        publish_timestamp,
        upstream_lock: kf.upstream_lock.clone(),
        self_lock: Locator {
            type_: "git".into(),
            git: Some(GitLock {
                repo: spec.url.clone(),
                directory: rel.to_string(),
                ref_: git_ref.to_string(),
                commit: commit.to_string(),
            }),
        },
        kptfile: kf.summary.clone(),
    })
}

/// Porch's `Revision2Int`: strip one leading `v`, parse an integer, else -1.
pub(crate) fn parse_revision(suffix: &str) -> i64 {
    suffix
        .strip_prefix('v')
        .unwrap_or(suffix)
        .parse()
        .unwrap_or(-1)
}

/// `full` relative to `directory` when it lies strictly below it (Porch's `packageInDirectory`).
fn relative(directory: &str, full: &str) -> Option<String> {
    if directory.is_empty() {
        return Some(full.to_string());
    }
    full.strip_prefix(directory)?
        .strip_prefix('/')
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

fn join(directory: &str, rel: &str) -> String {
    match (directory.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (_, true) => directory.to_string(),
        _ => format!("{directory}/{rel}"),
    }
}

fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The tree at `path` below `root` ("" is `root` itself); `None` if absent or not a directory.
fn subtree(repo: &Repository, root: Oid, path: &str) -> Result<Option<Oid>, git2::Error> {
    if path.is_empty() {
        return Ok(Some(root));
    }
    let tree = repo.find_tree(root)?;
    match tree.get_path(std::path::Path::new(path)) {
        Ok(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(e.id())),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `tree` is a package: its regular-file `Kptfile` blob.
fn kptfile_in(tree: &git2::Tree<'_>) -> Option<Oid> {
    tree.get_name("Kptfile")
        .filter(|e| matches!(e.filemode(), 0o100644 | 0o100664))
        .map(|e| e.id())
}

/// The package at `full` in the tree `root`: (package tree, Kptfile blob).
fn package_at(repo: &Repository, root: Oid, full: &str) -> Result<Option<(Oid, Oid)>, git2::Error> {
    let Some(t) = subtree(repo, root, full)? else {
        return Ok(None);
    };
    Ok(kptfile_in(&repo.find_tree(t)?).map(|k| (t, k)))
}

/// Packages below `tree`; recursion stops at a package. Memoised per subtree,
/// so a changed branch re-reads only the directories on the changed paths.
fn scan(
    repo: &Repository,
    memo: &mut Memo,
    tree: Oid,
) -> Result<Arc<Vec<ScannedPackage>>, git2::Error> {
    if let Some(s) = memo.scans.get(&tree) {
        return Ok(s);
    }
    let t = repo.find_tree(tree)?;
    let mut out = Vec::new();
    if let Some(k) = kptfile_in(&t) {
        out.push((String::new(), tree, k));
    } else {
        for e in t.iter() {
            if e.filemode() != 0o040000 {
                continue;
            }
            let Ok(name) = e.name() else { continue };
            for (p, pt, k) in scan(repo, memo, e.id())?.iter() {
                out.push((join(name, p), *pt, *k));
            }
        }
    }
    let out = Arc::new(out);
    memo.scans.insert(tree, out.clone());
    Ok(out)
}

fn kptfile_info(
    repo: &Repository,
    memo: &mut Memo,
    blob: Oid,
) -> Result<Arc<KptfileInfo>, git2::Error> {
    if let Some(k) = memo.kptfiles.get(&blob) {
        return Ok(k);
    }
    let info = Arc::new(kptfile::parse(repo.find_blob(blob)?.content()));
    memo.kptfiles.insert(blob, info.clone());
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_and_paths() {
        assert_eq!(parse_revision("v3"), 3);
        assert_eq!(parse_revision("7"), 7);
        assert_eq!(parse_revision("v2.0.0"), -1);
        assert_eq!(parse_revision("vv1"), -1);
        assert_eq!(parse_revision("release"), -1);
        assert_eq!(relative("", "a/b").as_deref(), Some("a/b"));
        assert_eq!(relative("dir", "dir/a/b").as_deref(), Some("a/b"));
        assert_eq!(relative("dir", "dir"), None);
        assert_eq!(relative("dir", "dirx/a"), None);
        assert_eq!(join("dir", "a"), "dir/a");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
