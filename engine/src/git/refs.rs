//! Mirroring the remote's refs into the cache as one `packed-refs` file.
//!
//! libgit2's fetch writes every updated ref as a loose file (lock file,
//! write, rename); on the benchmark's repositories (120 refs) that was most of
//! a cold fetch, and listing loose refs the largest cost of a discovery. The
//! cache mirrors the remote exactly (Porch's refspecs with prune), so after
//! the pack is downloaded the whole ref set is written at once: a new
//! `packed-refs` renamed into place, then any loose ref in the mirrored
//! namespaces removed (libgit2 notices the new file by its inode and size).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use git2::{Oid, Repository};

/// Local name of a remote ref under Porch's refspecs, if it is mirrored.
pub(crate) fn local_name(remote: &str) -> Option<String> {
    if let Some(b) = remote.strip_prefix("refs/heads/") {
        Some(format!("refs/remotes/origin/{b}"))
    } else if remote.starts_with("refs/tags/") && !remote.ends_with("^{}") {
        Some(remote.to_string())
    } else {
        None
    }
}

/// The mirrored refs the cache has now (local name → oid).
pub(crate) fn current(repo: &Repository) -> Result<BTreeMap<String, Oid>, git2::Error> {
    let mut out = BTreeMap::new();
    for glob in ["refs/remotes/origin/*", "refs/tags/*"] {
        for r in repo.references_glob(glob)? {
            let r = r?;
            if let (Ok(name), Some(oid)) = (r.name(), r.target()) {
                out.insert(name.to_string(), oid);
            }
        }
    }
    Ok(out)
}

/// Make the mirrored refs exactly `desired`; false when they already were.
/// Other refs in `packed-refs` are kept.
pub(crate) fn mirror(
    repo: &Repository,
    now: &BTreeMap<String, Oid>,
    desired: &BTreeMap<String, Oid>,
) -> std::io::Result<bool> {
    if now == desired {
        return Ok(false);
    }
    let dir = repo.path();
    let packed = dir.join("packed-refs");
    let mut lines: BTreeMap<String, String> = BTreeMap::new();
    if let Ok(old) = std::fs::read_to_string(&packed) {
        // Keep what we do not mirror (peel lines `^oid` are dropped; libgit2 peels on demand).
        for line in old
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
        {
            if let Some((oid, name)) = line.split_once(' ')
                && !mirrored(name)
            {
                lines.insert(name.to_string(), format!("{oid} {name}\n"));
            }
        }
    }
    for (name, oid) in desired {
        lines.insert(name.clone(), format!("{oid} {name}\n"));
    }
    let tmp = dir.join("packed-refs.porch-rs.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(b"# pack-refs with: sorted \n")?;
        for l in lines.values() {
            f.write_all(l.as_bytes())?;
        }
    }
    std::fs::rename(&tmp, &packed)?;
    for ns in ["refs/remotes/origin", "refs/tags"] {
        remove_loose(&dir.join(ns))?;
    }
    Ok(true)
}

/// Write the loose ref `name` = `oid` (lock file, then rename, as git does).
pub(crate) fn write_loose(dir: &Path, name: &str, oid: Oid) -> std::io::Result<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let lock = dir.join(format!("{name}.lock"));
    std::fs::write(&lock, format!("{oid}\n"))?;
    std::fs::rename(&lock, &path)
}

fn mirrored(name: &str) -> bool {
    name.starts_with("refs/remotes/origin/") || name.starts_with("refs/tags/")
}

/// Remove loose ref files below `dir`, which would shadow `packed-refs`.
fn remove_loose(dir: &Path) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for e in entries {
        let e = e?;
        if e.file_type()?.is_dir() {
            remove_loose(&e.path())?;
            let _ = std::fs::remove_dir(e.path());
        } else {
            std::fs::remove_file(e.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_exactly_and_keeps_other_refs() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(tmp.path()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let c1 = repo.commit(None, &sig, &sig, "1", &tree, &[]).unwrap();
        let c2 = repo.commit(None, &sig, &sig, "2", &tree, &[]).unwrap();
        // A loose ref in a mirrored namespace (as libgit2's fetch leaves them) and one outside.
        repo.reference("refs/tags/old/v1", c1, true, "").unwrap();
        repo.reference("refs/other/keep", c1, true, "").unwrap();
        repo.refdb().unwrap().compress().unwrap();
        repo.reference("refs/tags/loose", c1, true, "").unwrap();

        let mut desired = BTreeMap::new();
        desired.insert("refs/remotes/origin/main".to_string(), c2);
        desired.insert("refs/remotes/origin/drafts/a/b/ws".to_string(), c1);
        desired.insert("refs/tags/a/b/v1".to_string(), c1);
        assert!(mirror(&repo, &current(&repo).unwrap(), &desired).unwrap());
        assert_eq!(current(&repo).unwrap(), desired);
        assert!(
            !mirror(&repo, &current(&repo).unwrap(), &desired).unwrap(),
            "unchanged refs are not rewritten"
        );
        assert_eq!(repo.refname_to_id("refs/other/keep").unwrap(), c1);
        assert!(!tmp.path().join("refs/tags/loose").exists());

        desired.remove("refs/tags/a/b/v1");
        desired.insert("refs/remotes/origin/main".to_string(), c1);
        assert!(mirror(&repo, &current(&repo).unwrap(), &desired).unwrap());
        assert_eq!(current(&repo).unwrap(), desired);
        assert!(repo.find_reference("refs/tags/a/b/v1").is_err());
    }

    #[test]
    fn local_names() {
        assert_eq!(
            local_name("refs/heads/drafts/a/ws").as_deref(),
            Some("refs/remotes/origin/drafts/a/ws")
        );
        assert_eq!(
            local_name("refs/tags/a/v1").as_deref(),
            Some("refs/tags/a/v1")
        );
        assert_eq!(local_name("refs/tags/a/v1^{}"), None);
        assert_eq!(local_name("HEAD"), None);
        assert_eq!(local_name("refs/pull/1/head"), None);
    }
}
