//! Memoised reads of one cache repository. Git objects never change, so
//! everything keyed by an object id stays valid forever; the maps are only
//! bounded in size, and cleared wholesale when one grows past its bound.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use git2::Oid;
use porch_api::packagerevision::Task;

use super::discovery::DiscoveredRevision;
use super::kptfile::KptfileInfo;
use super::trailers::CommitInfo;

/// A package found while scanning a tree: path relative to the scanned tree
/// ("" for the tree itself), package tree oid, Kptfile blob oid.
pub(crate) type ScannedPackage = (String, Oid, Oid);

/// The memo tables of one cache directory (shared by every Repository using it).
pub(crate) struct Memo {
    pub commits: Bounded<Oid, Arc<CommitInfo>>,
    pub kptfiles: Bounded<Oid, Arc<KptfileInfo>>,
    /// Subtree oid → packages below it (recursion stops at a package).
    pub scans: Bounded<Oid, Arc<Vec<ScannedPackage>>>,
    /// (start commit, full package path, workspace) → creation task.
    pub tasks: Bounded<(Oid, String, String), Option<Task>>,
    /// (branch commit, full package path) → latest commit whose trailer names it.
    pub latest: Bounded<(Oid, String), Option<Oid>>,
    /// (directory, ref name, ref target) → revisions built from that ref
    /// (before the deletionProposed adjustment).
    pub refs: Bounded<(String, String, Oid), Arc<Vec<DiscoveredRevision>>>,
}

impl Default for Memo {
    /// Bounds in entries: a repository's whole history of commits, and
    /// enough of everything else for thousands of revisions. `refs` is also
    /// trimmed to the refs of the last discovery (see `retain`).
    fn default() -> Self {
        Memo {
            commits: Bounded::with_cap(50_000),
            kptfiles: Bounded::with_cap(20_000),
            scans: Bounded::with_cap(20_000),
            tasks: Bounded::with_cap(20_000),
            latest: Bounded::with_cap(20_000),
            refs: Bounded::with_cap(20_000),
        }
    }
}

/// A map that forgets everything when it reaches `cap` entries: memory stays
/// bounded and the next discovery simply recomputes what it needs.
pub(crate) struct Bounded<K, V> {
    map: HashMap<K, V>,
    cap: usize,
}

impl<K: Eq + Hash, V: Clone> Bounded<K, V> {
    pub fn with_cap(cap: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            cap,
        }
    }

    /// Keep only the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.map.retain(|k, _| keep(k));
    }

    pub fn get(&self, k: &K) -> Option<V> {
        self.map.get(k).cloned()
    }

    pub fn insert(&mut self, k: K, v: V) {
        if self.map.len() >= self.cap {
            self.map.clear();
        }
        self.map.insert(k, v);
    }
}
