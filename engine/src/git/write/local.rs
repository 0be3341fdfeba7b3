//! Pushes to a repository on a local path, in process.
//!
//! `git push` to a path spawns a chain of processes (push, pack-objects,
//! receive-pack, index-pack, rev-list for the connectivity check) and
//! receive-pack advertises every ref: about 40 ms on a small repository and
//! 200 ms with 10,000 tags, for a write that adds a handful of objects. For
//! local repositories the same compare-and-swap is done here: the new
//! objects are copied into the remote's object database (walking down from
//! each new commit only until objects the remote has), then every ref is
//! locked with git's own lock files (`<ref>.lock`, created exclusively, so
//! concurrent `git push`es and other replicas are excluded as receive-pack
//! excludes them), its current value checked against the expectation, and
//! all are written (deletions leave `packed-refs` under its lock). libgit2's
//! transaction was the first choice; it scans every ref for name conflicts
//! on each write, which grew with the repository. Hooks of the local
//! repository do not run.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository};

use super::push::{Expect, PushFailure, RefUpdate};
use crate::git::error::GitError;

/// The directory of a local repository URL (a path or `file://`), if it is one.
pub(crate) fn local_path(url: &str) -> Option<PathBuf> {
    match url.strip_prefix("file://") {
        Some(p) => Some(PathBuf::from(p)),
        None if url.contains("://") => None,
        None if url.starts_with('/') || url.starts_with('.') => Some(PathBuf::from(url)),
        None => None,
    }
}

fn other(what: &str, e: &git2::Error) -> PushFailure {
    PushFailure::Error(GitError::Other(format!("{what}: {}", e.message())))
}

/// Copy `start` and everything it reaches that `to` lacks from `from`.
fn copy_objects(from: &Repository, to: &Repository, start: Oid) -> Result<(), git2::Error> {
    let (src, dst) = (from.odb()?, to.odb()?);
    let mut stack = vec![start];
    while let Some(oid) = stack.pop() {
        if dst.exists(oid) {
            continue;
        }
        let obj = src.read(oid)?;
        match obj.kind() {
            ObjectType::Commit => {
                let c = from.find_commit(oid)?;
                stack.push(c.tree_id());
                stack.extend(c.parent_ids());
            }
            ObjectType::Tree => {
                let t = from.find_tree(oid)?;
                for e in t.iter() {
                    // Submodule entries (commits) are not objects of this repository.
                    if e.kind() != Some(ObjectType::Commit) {
                        stack.push(e.id());
                    }
                }
            }
            ObjectType::Tag => {
                if let Ok(t) = from.find_tag(oid) {
                    stack.push(t.target_id());
                }
            }
            _ => {}
        }
        dst.write(obj.kind(), obj.data())?;
    }
    Ok(())
}

/// The atomic compare-and-swap of `updates` into the repository at `remote`.
/// `handle` keeps the remote open between pushes (its packed refs are then
/// parsed again only when they change).
pub(crate) fn push_local(
    cache: &Path,
    remote: &Path,
    handle: &mut Option<Repository>,
    updates: &[RefUpdate],
) -> Result<(), PushFailure> {
    let _span =
        tracing::info_span!("git.push_local", remote = %remote.display(), refs = updates.len())
            .entered();
    if handle.is_none() {
        *handle = Some(Repository::open_bare(remote).map_err(|e| {
            PushFailure::Error(GitError::Unreachable(format!(
                "{}: not a git repository ({})",
                remote.display(),
                e.message()
            )))
        })?);
    }
    let Some(to) = handle.as_ref() else {
        return Err(PushFailure::Error(GitError::Other(
            "remote not open".into(),
        )));
    };
    let from = Repository::open_bare(cache).map_err(|e| other("opening the git cache", &e))?;
    for u in updates {
        if let Some(new) = u.new {
            copy_objects(&from, to, new).map_err(|e| other("copying objects", &e))?;
        }
    }
    let mut locks = RefLocks {
        dir: remote.to_path_buf(),
        held: Vec::new(),
    };
    for u in &updates.iter().map(|u| u.dst.clone()).collect::<Vec<_>>() {
        locks.lock(u)?;
    }
    for u in updates {
        let current = match to.refname_to_id(&u.dst) {
            Ok(o) => Some(o),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(other("reading a ref", &e)),
        };
        let holds = match u.expect {
            Expect::Absent => current.is_none(),
            Expect::At(o) => current == Some(o),
        };
        if !holds {
            return Err(PushFailure::Rejected(format!(
                "! {} [rejected] (stale info)",
                u.dst
            )));
        }
    }
    locks.commit(updates)
}

/// git's ref lock files (`<ref>.lock`, created exclusively) held by one
/// push; the ones still held are removed when it ends, however it ends.
struct RefLocks {
    dir: PathBuf,
    held: Vec<PathBuf>,
}

impl RefLocks {
    fn lock_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.lock"))
    }

    /// Take `<name>.lock` (removing one a dead writer left).
    fn lock(&mut self, name: &str) -> Result<(), PushFailure> {
        let path = self.lock_path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| PushFailure::Rejected(format!("failed to lock {name}: {e}")))?;
        }
        let create = || {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
        };
        let taken = match create() {
            Err(e)
                if e.kind() == std::io::ErrorKind::AlreadyExists
                    && remove_stale_lock(&self.dir, name) =>
            {
                create()
            }
            r => r,
        };
        match taken {
            Ok(_) => {
                self.held.push(path);
                Ok(())
            }
            Err(e) => Err(PushFailure::Rejected(format!("failed to lock {name}: {e}"))),
        }
    }

    /// Apply every update: new values renamed into place, deletions of loose
    /// refs unlinked, packed ones removed from `packed-refs` under its lock.
    fn commit(mut self, updates: &[RefUpdate]) -> Result<(), PushFailure> {
        let io =
            |what: &str, e: std::io::Error| other(what, &git2::Error::from_str(&e.to_string()));
        // Deletions leave packed-refs first, then their loose files (as git
        // orders it: a reader never sees an older packed value come back).
        let deletions: Vec<String> = updates
            .iter()
            .filter(|u| u.new.is_none())
            .map(|u| u.dst.clone())
            .collect();
        self.unpack(&deletions)?;
        for u in updates {
            let lock = self.lock_path(&u.dst);
            let path = self.dir.join(&u.dst);
            match u.new {
                Some(oid) => {
                    std::fs::write(&lock, format!("{oid}\n"))
                        .map_err(|e| io("writing a ref", e))?;
                    std::fs::rename(&lock, &path).map_err(|e| io("updating a ref", e))?;
                    self.held.retain(|h| h != &lock);
                }
                None => match std::fs::remove_file(&path) {
                    Ok(()) => self.prune_dirs(&path),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io("deleting a ref", e)),
                },
            }
        }
        Ok(())
    }

    /// Remove the directories a deleted ref leaves empty (below `refs/<kind>/`),
    /// as git does, so that a later ref of that name can be a file.
    fn prune_dirs(&self, deleted: &Path) {
        let stop = self.dir.join("refs");
        let mut dir = deleted.parent();
        while let Some(d) = dir {
            if d.parent() == Some(stop.as_path())
                || !d.starts_with(&stop)
                || std::fs::remove_dir(d).is_err()
            {
                break;
            }
            dir = d.parent();
        }
    }

    /// Drop `names` from `packed-refs` (with their peel lines), if any is there.
    fn unpack(&mut self, names: &[String]) -> Result<(), PushFailure> {
        let packed = self.dir.join("packed-refs");
        let Ok(text) = std::fs::read_to_string(&packed) else {
            return Ok(());
        };
        let listed = |line: &str| {
            line.split_once(' ')
                .is_some_and(|(_, n)| names.iter().any(|x| x == n))
        };
        if !text.lines().any(listed) {
            return Ok(());
        }
        self.lock("packed-refs")?;
        let mut out = String::with_capacity(text.len());
        let mut skipping = false;
        for line in text.lines() {
            if line.starts_with('^') {
                if !skipping {
                    out.push_str(line);
                    out.push('\n');
                }
                continue;
            }
            skipping = listed(line);
            if !skipping {
                out.push_str(line);
                out.push('\n');
            }
        }
        let lock = self.lock_path("packed-refs");
        let io = |e: std::io::Error| {
            other(
                "rewriting packed-refs",
                &git2::Error::from_str(&e.to_string()),
            )
        };
        std::fs::write(&lock, out).map_err(io)?;
        std::fs::rename(&lock, &packed).map_err(io)?;
        self.held.retain(|h| h != &lock);
        Ok(())
    }
}

impl Drop for RefLocks {
    fn drop(&mut self) {
        for lock in &self.held {
            let _ = std::fs::remove_file(lock);
        }
    }
}

/// Age past which a ref lock file is taken to be left by a dead writer.
const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(10);

/// Remove `<ref>.lock` (or `packed-refs.lock`) when older than [`STALE_LOCK`]; true if one was removed.
fn remove_stale_lock(remote: &Path, name: &str) -> bool {
    let mut removed = false;
    for lock in [
        remote.join(format!("{name}.lock")),
        remote.join("packed-refs.lock"),
    ] {
        let stale = std::fs::metadata(&lock)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_LOCK);
        if stale && std::fs::remove_file(&lock).is_ok() {
            tracing::warn!(lock = %lock.display(), "removed a stale ref lock");
            removed = true;
        }
    }
    removed
}
