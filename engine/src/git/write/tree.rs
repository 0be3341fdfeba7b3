//! Building trees in the cache's object database: a package directory from
//! its files, and a repository tree with one subtree replaced or removed.

use std::collections::BTreeMap;

use git2::{ObjectType, Oid, Repository};

use super::super::error::GitError;

const DIR_MODE: i32 = 0o040000;
const FILE_MODE: i32 = 0o100644;

#[derive(Default)]
struct Dir {
    files: BTreeMap<String, Oid>,
    dirs: BTreeMap<String, Dir>,
}

/// The tree of a package from its files (path relative to the package root →
/// content). Paths come from users, so they are checked: no empty, `.`,
/// `..` or `.git` components, no file that is also a directory.
pub(crate) fn package_tree(
    repo: &Repository,
    files: &BTreeMap<String, String>,
) -> Result<Oid, GitError> {
    if !files.contains_key("Kptfile") {
        return Err(GitError::Invalid(
            "the package has no Kptfile at its root".into(),
        ));
    }
    let mut root = Dir::default();
    for (path, content) in files {
        let parts: Vec<&str> = path.split('/').collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == ".." || *p == ".git")
        {
            return Err(GitError::Invalid(format!("invalid file path {path:?}")));
        }
        let blob = repo.blob(content.as_bytes()).map_err(other)?;
        let mut dir = &mut root;
        let (name, parents) = parts
            .split_last()
            .ok_or_else(|| GitError::Invalid(format!("invalid file path {path:?}")))?;
        for p in parents {
            if dir.files.contains_key(*p) {
                return Err(GitError::Invalid(format!(
                    "{path:?}: {p:?} is both a file and a directory"
                )));
            }
            dir = dir.dirs.entry((*p).to_string()).or_default();
        }
        if dir.dirs.contains_key(*name) {
            return Err(GitError::Invalid(format!(
                "{path:?} is both a file and a directory"
            )));
        }
        dir.files.insert((*name).to_string(), blob);
    }
    write_dir(repo, &root)
}

fn write_dir(repo: &Repository, dir: &Dir) -> Result<Oid, GitError> {
    let mut tb = repo.treebuilder(None).map_err(other)?;
    for (name, oid) in &dir.files {
        tb.insert(name, *oid, FILE_MODE).map_err(other)?;
    }
    for (name, sub) in &dir.dirs {
        let oid = write_dir(repo, sub)?;
        tb.insert(name, oid, DIR_MODE).map_err(other)?;
    }
    tb.write().map_err(other)
}

/// `base` (a root tree, `None` for an empty repository) with the directory
/// at `path` replaced by `new`, or removed when `new` is `None`; parents left
/// empty by a removal disappear, as in git.
pub(crate) fn replace_subtree(
    repo: &Repository,
    base: Option<Oid>,
    path: &str,
    new: Option<Oid>,
) -> Result<Oid, GitError> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        // The package is the repository root (no directory, package path "").
        return match new {
            Some(t) => Ok(t),
            None => repo
                .treebuilder(None)
                .and_then(|t| t.write())
                .map_err(other),
        };
    }
    match replace_in(repo, base, &parts, new)? {
        Some(t) => Ok(t),
        None => repo
            .treebuilder(None)
            .and_then(|t| t.write())
            .map_err(other),
    }
}

fn replace_in(
    repo: &Repository,
    base: Option<Oid>,
    parts: &[&str],
    new: Option<Oid>,
) -> Result<Option<Oid>, GitError> {
    let base_tree = base.map(|b| repo.find_tree(b)).transpose().map_err(other)?;
    let mut tb = repo.treebuilder(base_tree.as_ref()).map_err(other)?;
    let Some((first, rest)) = parts.split_first() else {
        return Ok(new);
    };
    let child = if rest.is_empty() {
        new
    } else {
        let existing = base_tree
            .as_ref()
            .and_then(|t| t.get_name(first))
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .map(|e| e.id());
        replace_in(repo, existing, rest, new)?
    };
    match child {
        Some(oid) => {
            tb.insert(first, oid, DIR_MODE).map_err(other)?;
        }
        None => {
            if tb.get(first).map_err(other)?.is_some() {
                tb.remove(first).map_err(other)?;
            }
        }
    }
    if tb.is_empty() {
        return Ok(None);
    }
    tb.write().map(Some).map_err(other)
}

/// The tree at `path` in commit `commit`, if it is a directory.
pub(crate) fn subtree(repo: &Repository, commit: Oid, path: &str) -> Result<Option<Oid>, GitError> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(other)?;
    let path = path.trim_matches('/');
    if path.is_empty() {
        return Ok(Some(tree.id()));
    }
    match tree.get_path(std::path::Path::new(path)) {
        Ok(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(e.id())),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(other(e)),
    }
}

fn other(e: git2::Error) -> GitError {
    GitError::Other(format!(
        "building a commit in the git cache: {}",
        e.message()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(tmp.path()).unwrap();
        let mut files = BTreeMap::new();
        files.insert("Kptfile".to_string(), "k".to_string());
        files.insert("a/b.yaml".to_string(), "b".to_string());
        let pkg = package_tree(&repo, &files).unwrap();
        let root = replace_subtree(&repo, None, "x/y", Some(pkg)).unwrap();
        let t = repo.find_tree(root).unwrap();
        assert!(t.get_path(std::path::Path::new("x/y/a/b.yaml")).is_ok());
        let removed = replace_subtree(&repo, Some(root), "x/y", None).unwrap();
        assert!(repo.find_tree(removed).unwrap().is_empty());
        files.insert("../evil".to_string(), String::new());
        assert!(matches!(
            package_tree(&repo, &files),
            Err(GitError::Invalid(_))
        ));
        files.remove("../evil");
        files.insert("a".to_string(), String::new());
        assert!(package_tree(&repo, &files).is_err());
    }
}
