//! Reading the files of a package revision from its tree.

use std::collections::BTreeMap;

use git2::{ObjectType, Oid, Repository};

/// Every file below the tree `tree_hex` (paths relative to it, `/`-separated)
/// with its UTF-8 content, as Porch's `GetResources` (symlinks give their
/// target, like go-git's file iterator; submodules are skipped). Files that
/// are not UTF-8 are skipped with a warning: the API carries text only.
pub(crate) fn read_tree(
    repo: &Repository,
    tree_hex: &str,
) -> Result<BTreeMap<String, String>, git2::Error> {
    let oid = Oid::from_str(tree_hex)?;
    let mut out = BTreeMap::new();
    let mut stack = vec![(String::new(), oid)];
    while let Some((prefix, oid)) = stack.pop() {
        let tree = repo.find_tree(oid)?;
        for e in tree.iter() {
            let Ok(name) = e.name() else {
                tracing::warn!(prefix, "skipping a file whose name is not UTF-8");
                continue;
            };
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            match e.kind() {
                Some(ObjectType::Tree) => stack.push((path, e.id())),
                Some(ObjectType::Blob) => {
                    let blob = repo.find_blob(e.id())?;
                    match std::str::from_utf8(blob.content()) {
                        Ok(s) => {
                            out.insert(path, s.to_string());
                        }
                        Err(_) => tracing::warn!(path, "skipping binary (non-UTF-8) file"),
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The tree at `path` ("" = root) in `commit`; `None` when the commit is not
/// in the cache or the path is not a directory there.
pub(crate) fn tree_at(
    repo: &Repository,
    commit: Oid,
    path: &str,
) -> Result<Option<Oid>, git2::Error> {
    let root = match repo.find_commit(commit) {
        Ok(c) => c.tree_id(),
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if path.is_empty() {
        return Ok(Some(root));
    }
    match repo.find_tree(root)?.get_path(std::path::Path::new(path)) {
        Ok(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(e.id())),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
