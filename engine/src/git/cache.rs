//! The local cache: one bare repository per (URL, credentials) under the
//! cache root, shared by every Repository with the same URL and the same
//! credentials, so that no Repository reads through the cache what its own
//! credentials could not fetch.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use git2::{Repository, RepositoryInitOptions, Signature};
use sha2::{Digest, Sha256};

use super::discovery::{self, DiscoveredRevision, Discovery};
use super::error::{GitError, local_error};
use super::memo::Memo;
use super::{Credentials, GitOptions, RepoSpec, package, refs, remote};

/// Author of the commit that creates a missing branch (porch-api.md §4.2).
pub(super) const PORCH_NAME: &str = "Package Orchestration Service";
pub(super) const PORCH_EMAIL: &str = "porch@kpt.dev";

/// All cache repositories under one root directory.
pub struct GitCache {
    root: PathBuf,
    opts: GitOptions,
    /// Kept open for the life of the cache: its memo, ref map and handles
    /// are what make a write or a discovery cost what changed, not the repository.
    open: Mutex<HashMap<PathBuf, Arc<Shared>>>,
}

/// One cache directory, shared by the [`CachedRepo`]s that use it.
pub(super) struct Shared {
    pub(super) dir: PathBuf,
    pub(super) url: String,
    pub(super) credentials: Credentials,
    /// Serialises fetches, resets and the ref updates after a push.
    pub(super) fetch_lock: Mutex<()>,
    /// Held for reading by discoveries, for writing while loose refs are packed.
    pub(super) refs_lock: RwLock<()>,
    /// The mirrored refs (local name → oid) as last written, so that writes
    /// and one-package discoveries never list every ref of a large repository.
    refs_map: Mutex<Option<Arc<BTreeMap<String, git2::Oid>>>>,
    /// An open handle of the local repository at the URL (in-process pushes).
    pub(super) remote_handle: Mutex<Option<Repository>>,
    /// An open handle for local reads, plus the memo; `None` after a reset.
    reader: Mutex<Option<Repository>>,
    memo: Mutex<Memo>,
}

/// A Repository's view of its cache directory. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct CachedRepo {
    pub(super) shared: Arc<Shared>,
    pub(super) spec: RepoSpec,
    pub(super) opts: GitOptions,
    /// `spec.git.author` / `spec.git.email`, the fallback commit author (see [`CachedRepo::with_author`]).
    pub(super) author: Option<(String, String)>,
}

impl GitCache {
    /// A cache rooted at `root` (created on first use).
    pub fn new(root: PathBuf, opts: GitOptions) -> GitCache {
        remote::init_libgit2(opts.timeout);
        GitCache {
            root,
            opts,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Bare cache repository for this URL *and credentials* (a Repository never
    /// reads through the cache what its own credentials could not fetch):
    /// `<root>/<sanitised url>-<short hash of url+credentials>`. No network.
    pub fn open(&self, spec: &RepoSpec) -> Result<CachedRepo, GitError> {
        let _span = tracing::debug_span!("git.open", url = %spec.url).entered();
        let dir = self.root.join(dir_name(&spec.url, &spec.credentials));
        let mut open = lock(&self.open);
        let shared = match open.get(&dir) {
            Some(s) => Arc::clone(s),
            None => {
                init_bare(&dir)?;
                // The directory is this process's own: a lock in it was left
                // by a predecessor that died (kill -9) and would block every ref update.
                clear_stale_locks(&dir);
                let s = Arc::new(Shared {
                    dir: dir.clone(),
                    url: spec.url.clone(),
                    credentials: spec.credentials.clone(),
                    fetch_lock: Mutex::new(()),
                    refs_lock: RwLock::new(()),
                    refs_map: Mutex::new(None),
                    remote_handle: Mutex::new(None),
                    reader: Mutex::new(None),
                    memo: Mutex::new(Memo::default()),
                });
                open.insert(dir, Arc::clone(&s));
                s
            }
        };
        Ok(CachedRepo {
            shared,
            spec: spec.clone(),
            opts: self.opts.clone(),
            author: None,
        })
    }

    /// Delete the cache directory of `spec` (for a deleted Repository), unless
    /// another Repository still uses it.
    pub fn remove(&self, spec: &RepoSpec) -> Result<(), GitError> {
        let dir = self.root.join(dir_name(&spec.url, &spec.credentials));
        let mut open = lock(&self.open);
        // In use by a CachedRepo besides the map's own reference.
        if open.get(&dir).is_some_and(|s| Arc::strong_count(s) > 1) {
            return Ok(());
        }
        open.remove(&dir);
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(GitError::Other(format!(
                "removing git cache {}: {e}",
                dir.display()
            ))),
            _ => Ok(()),
        }
    }
}

impl CachedRepo {
    /// The cache directory (for logs and tests).
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The spec this view was opened with.
    pub fn spec(&self) -> &RepoSpec {
        &self.spec
    }

    /// Cheap change detection: remote refs (name → oid) via ls-remote, bounded by the timeout.
    pub fn ls_remote(&self) -> Result<BTreeMap<String, String>, GitError> {
        let _span = tracing::debug_span!("git.ls_remote", url = %self.spec.url).entered();
        let repo = self.open_repo()?;
        remote::ls_remote(
            &repo,
            &self.shared.url,
            &self.shared.credentials,
            self.opts.timeout,
        )
    }

    /// Whether the cache already mirrors the remote refs `remote` (an
    /// ls-remote answer): true after this process's own pushes, so a poll
    /// that sees only them needs no fetch and no discovery.
    pub fn mirrors(&self, remote: &BTreeMap<String, String>) -> bool {
        let Ok(repo) = self.open_repo() else {
            return false;
        };
        let Ok(map) = self.ref_map(&repo) else {
            return false;
        };
        let mut seen = 0;
        for (name, oid) in remote {
            let Some(local) = refs::local_name(name) else {
                continue;
            };
            seen += 1;
            if map.get(&local).map(|o| o.to_string()).as_deref() != Some(oid.as_str()) {
                return false;
            }
        }
        seen == map.len()
    }

    /// Fetch heads and tags with prune, bounded by the timeout; then, when the
    /// branch is missing, create it on the remote (`create_branch`) or fail
    /// with [`GitError::BranchMissing`] (the refs fetched are kept either way).
    pub fn fetch(&self) -> Result<(), GitError> {
        let _span = tracing::info_span!("git.fetch", url = %self.spec.url).entered();
        let _guard = lock(&self.shared.fetch_lock);
        let repo = self.open_repo()?;
        let (url, creds, timeout) = (
            &self.shared.url,
            &self.shared.credentials,
            self.opts.timeout,
        );
        let desired = remote::fetch(&repo, url, creds, timeout)?;
        self.mirror(&repo, &desired)?;
        let branch_ref = format!("refs/remotes/origin/{}", self.spec.branch);
        if repo.find_reference(&branch_ref).is_ok() {
            return Ok(());
        }
        if !self.spec.create_branch {
            return Err(GitError::BranchMissing(format!(
                "branch {:?} doesn't exist in {url}",
                self.spec.branch
            )));
        }
        tracing::info!(branch = %self.spec.branch, "creating missing branch");
        let tmp = "refs/porch-rs/create-branch";
        let commit = initial_commit(&repo)
            .map_err(|e| local_error(&self.shared.dir, "create branch", &e))?;
        repo.reference(tmp, commit, true, "porch-rs: create branch")
            .map_err(|e| local_error(&self.shared.dir, "create branch", &e))?;
        let pushed = remote::push(
            &repo,
            url,
            creds,
            timeout,
            tmp,
            &format!("refs/heads/{}", self.spec.branch),
        );
        if let Ok(mut r) = repo.find_reference(tmp) {
            let _ = r.delete();
        }
        pushed?;
        let desired = remote::fetch(&repo, url, creds, timeout)?;
        self.mirror(&repo, &desired)
    }

    /// Make the cache's refs those of the remote (see `refs`), while no discovery lists them.
    pub(super) fn mirror(
        &self,
        repo: &Repository,
        desired: &BTreeMap<String, git2::Oid>,
    ) -> Result<(), GitError> {
        let _w = self
            .shared
            .refs_lock
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let now = self.ref_map(repo)?;
        match refs::mirror(repo, &now, desired) {
            Ok(changed) => {
                tracing::debug!(changed, refs = desired.len(), "mirrored remote refs");
                *lock(&self.shared.refs_map) = Some(Arc::new(desired.clone()));
                Ok(())
            }
            Err(e) => Err(GitError::Corrupt(format!(
                "updating the refs of git cache {}: {e}",
                self.shared.dir.display()
            ))),
        }
    }

    /// The mirrored refs (read from disk once, then kept current by every
    /// fetch and push of this process).
    pub(super) fn ref_map(
        &self,
        repo: &Repository,
    ) -> Result<Arc<BTreeMap<String, git2::Oid>>, GitError> {
        let mut m = lock(&self.shared.refs_map);
        if let Some(map) = m.as_ref() {
            return Ok(Arc::clone(map));
        }
        let map = Arc::new(
            refs::current(repo).map_err(|e| local_error(&self.shared.dir, "reading refs", &e))?,
        );
        *m = Some(Arc::clone(&map));
        Ok(map)
    }

    /// Apply pushed ref changes (local names) to the cache: one loose ref
    /// file per change instead of rewriting every ref.
    pub(super) fn apply_refs(
        &self,
        changes: &[(String, Option<git2::Oid>)],
    ) -> Result<(), GitError> {
        // The long-lived handle: a fresh one would parse every packed ref again.
        let reader = self.reader()?;
        let repo = reader
            .as_ref()
            .ok_or_else(|| GitError::Other("cache not open".into()))?;
        let mut slot = lock(&self.shared.refs_map);
        let mut arc = match slot.take() {
            Some(a) => a,
            None => Arc::new(
                refs::current(repo)
                    .map_err(|e| local_error(&self.shared.dir, "reading refs", &e))?,
            ),
        };
        let map = Arc::make_mut(&mut arc);
        let _w = self
            .shared
            .refs_lock
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let err = |e: git2::Error| {
            GitError::Corrupt(format!(
                "updating the refs of git cache {}: {}",
                self.shared.dir.display(),
                e.message()
            ))
        };
        for (local, new) in changes {
            match new {
                Some(oid) => {
                    // libgit2's reference_create scans every ref for name
                    // conflicts; the remote already accepted this name.
                    refs::write_loose(&self.shared.dir, local, *oid).map_err(|e| {
                        GitError::Corrupt(format!(
                            "updating the refs of git cache {}: {e}",
                            self.shared.dir.display()
                        ))
                    })?;
                    map.insert(local.clone(), *oid);
                }
                None => {
                    match repo.find_reference(local) {
                        Ok(mut r) => r.delete().map_err(err)?,
                        Err(e) if e.code() == git2::ErrorCode::NotFound => {}
                        Err(e) => return Err(err(e)),
                    }
                    map.remove(local);
                }
            }
        }
        *slot = Some(arc);
        Ok(())
    }

    /// Everything Porch discovers (porch-api.md §4.3) from the local cache, no network.
    pub fn discover(&self) -> Result<Discovery, GitError> {
        let _span =
            tracing::debug_span!("git.discover", url = %self.spec.url, dir = %self.spec.directory)
                .entered();
        let reader = self.reader()?;
        let repo = reader
            .as_ref()
            .ok_or_else(|| GitError::Other("cache not open".into()))?;
        let mut memo = lock(&self.shared.memo);
        let _r = self
            .shared
            .refs_lock
            .read()
            .unwrap_or_else(|p| p.into_inner());
        discovery::discover(repo, &mut memo, &self.spec)
            .map_err(|e| local_error(&self.shared.dir, "discovering packages", &e))
    }

    /// Make sure the cache holds `commit` (written by another replica or
    /// pushed from outside since the last fetch): fetch when it does not.
    pub fn ensure_commit(&self, commit: &str) -> Result<(), GitError> {
        let present = git2::Oid::from_str(commit)
            .ok()
            .is_some_and(|oid| self.open_repo().is_ok_and(|r| r.find_commit(oid).is_ok()));
        if present {
            return Ok(());
        }
        let _span = tracing::debug_span!("git.ensure_commit", %commit).entered();
        match self.fetch() {
            Err(GitError::BranchMissing(_)) => Ok(()),
            r => r,
        }
    }

    /// The commit a user-given ref names in the cache: a tag, a branch, or a
    /// commit id (clone from an unregistered repository). No network.
    pub fn resolve(&self, name: &str) -> Result<Option<String>, GitError> {
        let reader = self.reader()?;
        let repo = reader
            .as_ref()
            .ok_or_else(|| GitError::Other("cache not open".into()))?;
        let name = name
            .trim_start_matches("refs/heads/")
            .trim_start_matches("refs/tags/");
        for candidate in [
            format!("refs/tags/{name}"),
            format!("refs/remotes/origin/{name}"),
        ] {
            if let Ok(r) = repo.find_reference(&candidate)
                && let Ok(c) = r.peel_to_commit()
            {
                return Ok(Some(c.id().to_string()));
            }
        }
        match git2::Oid::from_str(name)
            .ok()
            .and_then(|o| repo.find_commit(o).ok())
        {
            Some(c) if name.len() >= 7 => Ok(Some(c.id().to_string())),
            _ => Ok(None),
        }
    }

    /// Every revision of one package (`package_path` relative to
    /// `spec.directory`) from the local cache: the targeted refresh after a
    /// write, whose cost does not grow with the rest of the repository.
    pub fn discover_package(
        &self,
        package_path: &str,
    ) -> Result<Vec<DiscoveredRevision>, GitError> {
        let full = self.full_path(package_path);
        let _span =
            tracing::debug_span!("git.discover_package", url = %self.spec.url, package = %full)
                .entered();
        let reader = self.reader()?;
        let repo = reader
            .as_ref()
            .ok_or_else(|| GitError::Other("cache not open".into()))?;
        let map = self.ref_map(repo)?;
        let mut memo = lock(&self.shared.memo);
        let _r = self
            .shared
            .refs_lock
            .read()
            .unwrap_or_else(|p| p.into_inner());
        discovery::discover_package(repo, &mut memo, &self.spec, &full, &map)
            .map_err(|e| local_error(&self.shared.dir, "discovering a package", &e))
    }

    /// The files of one package revision (path relative to the package root →
    /// UTF-8 content); binary (non-UTF-8) files are skipped with a warning. No network.
    pub fn read_package(
        &self,
        rev: &DiscoveredRevision,
    ) -> Result<BTreeMap<String, String>, GitError> {
        let _span = tracing::debug_span!("git.read_package", package = %rev.package_path, r#ref = %rev.git_ref).entered();
        let reader = self.reader()?;
        let repo = reader
            .as_ref()
            .ok_or_else(|| GitError::Other("cache not open".into()))?;
        package::read_tree(repo, &rev.tree)
            .map_err(|e| local_error(&self.shared.dir, "reading package", &e))
    }

    /// The files of the package at `path` (from the repository root, so
    /// including `spec.git.directory`) in `commit`: what a served
    /// PackageRevision records in its `selfLock`. No network.
    pub fn read_package_at(
        &self,
        commit: &str,
        path: &str,
    ) -> Result<BTreeMap<String, String>, GitError> {
        let _span = tracing::debug_span!("git.read_package_at", %commit, %path).entered();
        let reader = self.reader()?;
        let repo = reader
            .as_ref()
            .ok_or_else(|| GitError::Other("cache not open".into()))?;
        let not_found = || {
            GitError::Other(format!(
                "no package at {path:?} in commit {commit} of {}",
                self.spec.url
            ))
        };
        let oid = git2::Oid::from_str(commit).map_err(|_| not_found())?;
        if repo.find_commit(oid).is_err() {
            // Written elsewhere since the last fetch (another replica, a push).
            drop(reader);
            self.ensure_commit(commit)?;
            return self.read_package_at_fetched(commit, path);
        }
        match package::tree_at(repo, oid, path.trim_matches('/')) {
            Ok(Some(tree)) => package::read_tree(repo, &tree.to_string())
                .map_err(|e| local_error(&self.shared.dir, "reading package", &e)),
            Ok(None) => Err(not_found()),
            Err(e) => Err(local_error(&self.shared.dir, "finding package", &e)),
        }
    }

    /// [`read_package_at`](Self::read_package_at) after a fetch, without another one.
    fn read_package_at_fetched(
        &self,
        commit: &str,
        path: &str,
    ) -> Result<BTreeMap<String, String>, GitError> {
        let reader = self.reader()?;
        let repo = reader
            .as_ref()
            .ok_or_else(|| GitError::Other("cache not open".into()))?;
        let oid = git2::Oid::from_str(commit)
            .map_err(|_| GitError::Other(format!("{commit:?} is not a commit id")))?;
        match package::tree_at(repo, oid, path.trim_matches('/')) {
            Ok(Some(tree)) => package::read_tree(repo, &tree.to_string())
                .map_err(|e| local_error(&self.shared.dir, "reading package", &e)),
            Ok(None) => Err(GitError::Other(format!(
                "no package at {path:?} in commit {commit} of {}",
                self.spec.url
            ))),
            Err(e) => Err(local_error(&self.shared.dir, "finding package", &e)),
        }
    }

    /// Throw the cache directory away and start empty (after [`GitError::Corrupt`]);
    /// the next [`fetch`](Self::fetch) fills it again.
    pub fn reset(&self) -> Result<(), GitError> {
        let _span = tracing::warn_span!("git.reset", dir = %self.shared.dir.display()).entered();
        let _guard = lock(&self.shared.fetch_lock);
        let mut reader = lock(&self.shared.reader);
        *reader = None;
        *lock(&self.shared.memo) = Memo::default();
        *lock(&self.shared.refs_map) = None;
        let _ = std::fs::remove_dir_all(&self.shared.dir);
        init_bare(&self.shared.dir)
    }

    pub(super) fn open_repo(&self) -> Result<Repository, GitError> {
        Repository::open_bare(&self.shared.dir)
            .map_err(|e| local_error(&self.shared.dir, "opening git cache", &e))
    }

    /// The shared read handle, opened on first use.
    fn reader(&self) -> Result<MutexGuard<'_, Option<Repository>>, GitError> {
        let mut reader = lock(&self.shared.reader);
        if reader.is_none() {
            *reader = Some(self.open_repo()?);
        }
        Ok(reader)
    }
}

/// Remove `packed-refs.lock` and every `*.lock` below `refs/`.
fn clear_stale_locks(dir: &Path) {
    fn walk(d: &Path) {
        let Ok(entries) = std::fs::read_dir(d) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p);
            } else if p.extension().is_some_and(|x| x == "lock") {
                tracing::warn!(lock = %p.display(), "removing a stale lock from the git cache");
                let _ = std::fs::remove_file(&p);
            }
        }
    }
    let packed = dir.join("packed-refs.lock");
    if packed.exists() {
        tracing::warn!(lock = %packed.display(), "removing a stale lock from the git cache");
        let _ = std::fs::remove_file(&packed);
    }
    walk(&dir.join("refs"));
}

/// Lock ignoring poisoning: the guarded data are caches that stay consistent.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn init_bare(dir: &Path) -> Result<(), GitError> {
    if Repository::open_bare(dir).is_ok() {
        return Ok(());
    }
    if dir.exists() {
        tracing::warn!(dir = %dir.display(), "git cache is not a repository; re-creating it");
        let _ = std::fs::remove_dir_all(dir);
    }
    let mut o = RepositoryInitOptions::new();
    // No hook samples from the system template: fewer files, a faster cold start.
    o.bare(true).mkpath(true).external_template(false);
    Repository::init_opts(dir, &o).map(|_| ()).map_err(|e| {
        GitError::Other(format!(
            "creating git cache {}: {}",
            dir.display(),
            e.message()
        ))
    })
}

/// The commit that creates a missing branch: README.md "Created by porch".
fn initial_commit(repo: &Repository) -> Result<git2::Oid, git2::Error> {
    let blob = repo.blob(b"Created by porch")?;
    let mut tb = repo.treebuilder(None)?;
    tb.insert("README.md", blob, 0o100644)?;
    let tree = repo.find_tree(tb.write()?)?;
    let sig = Signature::now(PORCH_NAME, PORCH_EMAIL)?;
    repo.commit(
        None,
        &sig,
        &sig,
        "Initial commit: Creating main branch",
        &tree,
        &[],
    )
}

/// `<sanitised url>-<hash>`: readable, bounded, and distinct per credentials.
fn dir_name(url: &str, creds: &Credentials) -> String {
    let mut h = Sha256::new();
    h.update(url.as_bytes());
    match creds {
        Credentials::None => h.update(b"\0none"),
        Credentials::Basic { username, password } => {
            h.update(b"\0basic\0");
            h.update(username.as_bytes());
            h.update(b"\0");
            h.update(password.as_bytes());
        }
        Credentials::Bearer(t) => {
            h.update(b"\0bearer\0");
            h.update(t.as_bytes());
        }
    }
    let hash: String = h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut name: String = url
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches(|c| c == '-' || c == '.').to_string();
    name.truncate(80);
    format!("{name}-{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_names_differ_by_credentials() {
        let u = "http://127.0.0.1:8080/git/repo.git";
        let none = dir_name(u, &Credentials::None);
        assert!(
            none.starts_with("http---127.0.0.1-8080-git-repo.git-"),
            "{none}"
        );
        let a = dir_name(
            u,
            &Credentials::Basic {
                username: "u".into(),
                password: "a".into(),
            },
        );
        let b = dir_name(
            u,
            &Credentials::Basic {
                username: "u".into(),
                password: "b".into(),
            },
        );
        assert!(none != a && a != b);
        assert!(!dir_name("/../../etc", &Credentials::None).contains('/'));
        assert!(!dir_name("..", &Credentials::None).starts_with('.'));
    }
}
