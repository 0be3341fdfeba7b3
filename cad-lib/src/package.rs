//! The package tree of a set of files: which directories are (sub)packages
//! and which files each package reads as resources.
//!
//! A package is a directory with a `Kptfile`; a file belongs to the deepest
//! package above it. Resource files are `Kptfile`, `*.yaml` and `*.yml`,
//! minus what the package's `.krmignore` excludes.

use crate::PackageFiles;
use crate::kptfile::KPTFILE;
use crate::krmignore::{KRMIGNORE, KrmIgnore};
use crate::resource_file::is_resource_file;

/// One package of the tree.
#[derive(Debug, Clone)]
pub struct PackageNode {
    /// Directory relative to the root (`""` for the root).
    pub dir: String,
    /// Index of the parent package.
    pub parent: Option<usize>,
    /// Direct subpackages, in directory-name order.
    pub children: Vec<usize>,
    /// Root-relative paths of the package's resource files, in path order.
    pub resource_files: Vec<String>,
}

impl PackageNode {
    /// Root-relative path of this package's Kptfile.
    pub fn kptfile_path(&self) -> String {
        join(&self.dir, KPTFILE)
    }

    /// A root-relative path as seen from this package (`None` if outside).
    pub fn relative<'a>(&self, path: &'a str) -> Option<&'a str> {
        if self.dir.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(self.dir.as_str())?.strip_prefix('/')
        }
    }
}

/// All packages under a root.
#[derive(Debug, Clone)]
pub struct PackageTree {
    /// Packages; index 0 is the root.
    pub nodes: Vec<PackageNode>,
}

/// Joins a package directory and a package-relative path.
pub fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// The directory part of a path (`""` at the top).
pub fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Normalises a package-relative path: drops `./` and empty segments and
/// resolves `..` where possible (a leading `..` stays, marking an escape).
pub fn clean_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

impl PackageTree {
    /// Finds the packages; `None` when there is no root `Kptfile`.
    pub fn discover(files: &PackageFiles) -> Option<Self> {
        if !files.contains_key(KPTFILE) {
            return None;
        }
        let mut dirs: Vec<String> = files
            .keys()
            .filter(|p| *p == KPTFILE || p.ends_with("/Kptfile"))
            .map(|p| parent_dir(p).to_string())
            .collect();
        dirs.sort();
        let mut nodes: Vec<PackageNode> = Vec::new();
        let mut ignores: Vec<KrmIgnore> = Vec::new();
        for dir in dirs {
            let parent = nearest(&nodes, &dir);
            if let Some(p) = parent {
                let rel = nodes[p].relative(&dir).unwrap_or_default().to_string();
                if ignores[p].is_ignored(&format!("{rel}/{KPTFILE}")) {
                    continue;
                }
            }
            let ignore = files
                .get(&join(&dir, KRMIGNORE))
                .map_or_else(KrmIgnore::empty, |t| KrmIgnore::parse(t));
            let idx = nodes.len();
            if let Some(p) = parent {
                nodes[p].children.push(idx);
            }
            nodes.push(PackageNode {
                dir,
                parent,
                children: Vec::new(),
                resource_files: Vec::new(),
            });
            ignores.push(ignore);
        }
        for path in files.keys() {
            if !is_resource_file(path) {
                continue;
            }
            let Some(owner) = nearest(&nodes, parent_dir(path)) else {
                continue;
            };
            let rel = nodes[owner].relative(path).unwrap_or(path).to_string();
            if ignores[owner].is_ignored(&rel) {
                continue;
            }
            nodes[owner].resource_files.push(path.clone());
        }
        Some(Self { nodes })
    }

    /// The package a root-relative path belongs to.
    pub fn package_of(&self, path: &str) -> usize {
        nearest(&self.nodes, parent_dir(path)).unwrap_or(0)
    }

    /// Index of the package at `dir`.
    pub fn by_dir(&self, dir: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.dir == dir)
    }

    /// Whether package `inner` is `outer` or below it.
    pub fn is_within(&self, inner: usize, outer: usize) -> bool {
        let mut cur = Some(inner);
        while let Some(c) = cur {
            if c == outer {
                return true;
            }
            cur = self.nodes[c].parent;
        }
        false
    }
}

/// The deepest package whose directory contains `dir` (or is `dir`).
fn nearest(nodes: &[PackageNode], dir: &str) -> Option<usize> {
    nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            n.dir.is_empty() || dir == n.dir || dir.starts_with(&format!("{}/", n.dir))
        })
        .max_by_key(|(_, n)| n.dir.len())
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> PackageFiles {
        paths
            .iter()
            .map(|p| (p.to_string(), String::new()))
            .collect()
    }

    #[test]
    fn subpackages_own_their_files() {
        let t = PackageTree::discover(&files(&[
            "Kptfile",
            "a.yaml",
            "README.md",
            "db/Kptfile",
            "db/x.yaml",
            "db/sub/y.yml",
            "web/Kptfile",
            ".expected/diff.yaml",
            ".krmignore",
        ]))
        .unwrap();
        assert_eq!(t.nodes.len(), 3);
        assert_eq!(t.nodes[0].children, vec![1, 2]);
        assert_eq!(
            t.nodes[1].resource_files,
            vec!["db/Kptfile", "db/sub/y.yml", "db/x.yaml"]
        );
        assert!(
            t.nodes[0]
                .resource_files
                .contains(&".expected/diff.yaml".to_string())
        );
    }

    #[test]
    fn krmignore_excludes_files() {
        let mut f = files(&["Kptfile", "a.yaml", ".expected/diff.yaml"]);
        f.insert(".krmignore".into(), ".expected\n".into());
        let t = PackageTree::discover(&f).unwrap();
        assert_eq!(t.nodes[0].resource_files, vec!["Kptfile", "a.yaml"]);
    }

    #[test]
    fn paths_are_cleaned() {
        assert_eq!(clean_path("./resources.yaml"), "resources.yaml");
        assert_eq!(clean_path("a/../../b.yaml"), "../b.yaml");
    }
}
