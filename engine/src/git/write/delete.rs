//! Deletion proposals and deletion (porch-api.md §4.2): the
//! `deletionProposed/…` markers, tags, draft branches, and the placeholder's
//! `Delete FULL` commit on the branch (rebuilt and retried like approval).

use super::super::cache::CachedRepo;
use super::super::error::GitError;
use super::super::trailers::Trailer;
use super::push::{Expect, PushFailure, RefUpdate};
use super::{
    DeleteTarget, PublishedRef, RETRY_ATTEMPTS, backoff, commit_tree, full_ref, parse_oid, tree,
};

impl CachedRepo {
    /// Published → DeletionProposed: push `deletionProposed/FULL/…` at `commit`.
    pub fn propose_delete(
        &self,
        package_path: &str,
        which: PublishedRef,
        commit: &str,
    ) -> Result<(), GitError> {
        let marker = self.marker(package_path, which);
        let _span = tracing::info_span!("git.propose_delete", r#ref = %marker).entered();
        let repo = self.open_repo()?;
        let oid = parse_oid(commit)?;
        self.cas(&repo, &marker, Some(oid), Expect::Absent)
    }

    /// DeletionProposed → Published: delete the `deletionProposed/…` branch.
    pub fn cancel_delete(&self, package_path: &str, which: PublishedRef) -> Result<(), GitError> {
        let marker = self.marker(package_path, which);
        let _span = tracing::info_span!("git.cancel_delete", r#ref = %marker).entered();
        let repo = self.open_repo()?;
        match self.cached(&repo, &marker)? {
            Some(old) => self.cas(&repo, &marker, None, Expect::At(old)),
            None => Ok(()),
        }
    }

    /// Delete a revision (porch-api.md §4.2). Markers the cache does not know
    /// are not deleted: call [`fetch`](Self::fetch) first to see recent ones.
    pub fn delete_revision(&self, target: &DeleteTarget) -> Result<(), GitError> {
        let _span = tracing::info_span!("git.delete_revision", ?target).entered();
        let repo = self.open_repo()?;
        match target {
            DeleteTarget::Branch { git_ref, commit } => {
                let r = full_ref(git_ref);
                self.cas(&repo, &r, None, Expect::At(parse_oid(commit)?))
            }
            DeleteTarget::Tag {
                package_path,
                revision,
            } => {
                let full = self.full_path(package_path);
                let tag = format!("refs/tags/{full}/v{revision}");
                let marker = self.marker(package_path, PublishedRef::Tag(*revision));
                if self.cached(&repo, &marker)?.is_none() {
                    // Proposed for deletion elsewhere (another replica): see the marker.
                    self.fetch_allow_missing()?;
                }
                let mut updates = Vec::new();
                for r in [tag, marker] {
                    if let Some(old) = self.cached(&repo, &r)? {
                        updates.push(RefUpdate {
                            dst: r,
                            new: None,
                            expect: Expect::At(old),
                        });
                    }
                }
                self.push_all(&repo, &updates)
            }
            DeleteTarget::Placeholder { package_path } => self.delete_placeholder(package_path),
        }
    }

    fn delete_placeholder(&self, package_path: &str) -> Result<(), GitError> {
        let full = self.full_path(package_path);
        let branch = format!("refs/heads/{}", self.spec.branch);
        let mut last = String::new();
        for attempt in 1..=RETRY_ATTEMPTS {
            self.fetch()?;
            let repo = self.open_repo()?;
            let head = self.cached(&repo, &branch)?.ok_or_else(|| {
                GitError::BranchMissing(format!("branch {branch} is missing in {}", self.spec.url))
            })?;
            let root = tree::replace_subtree(&repo, Some(commit_tree(&repo, head)?), &full, None)?;
            let trailer = Trailer::default();
            let commit = self.commit(
                &repo,
                root,
                &[head],
                &format!("Delete {full}"),
                &trailer,
                None,
                None,
            )?;
            let mut updates = vec![RefUpdate {
                dst: branch.clone(),
                new: Some(commit),
                expect: Expect::At(head),
            }];
            let marker = self.marker(package_path, PublishedRef::Placeholder);
            if let Some(old) = self.cached(&repo, &marker)? {
                updates.push(RefUpdate {
                    dst: marker,
                    new: None,
                    expect: Expect::At(old),
                });
            }
            match self.push(&updates) {
                Ok(()) => {
                    let changes: Vec<_> = updates.iter().map(|u| (u.dst.clone(), u.new)).collect();
                    return self.record(&repo, &changes);
                }
                Err(PushFailure::Rejected(why)) => {
                    last = why;
                    backoff(attempt, &last);
                }
                Err(PushFailure::Error(e)) => return Err(e),
            }
        }
        Err(GitError::Conflict(format!(
            "deleting {full} from {}: gave up after {RETRY_ATTEMPTS} attempts ({last})",
            self.spec.url
        )))
    }

    /// Fetch; a missing branch is not an error here (approval creates it).
    pub(super) fn fetch_allow_missing(&self) -> Result<(), GitError> {
        match self.fetch() {
            Err(GitError::BranchMissing(_)) => Ok(()),
            r => r,
        }
    }

    fn marker(&self, package_path: &str, which: PublishedRef) -> String {
        let full = self.full_path(package_path);
        match which {
            PublishedRef::Tag(n) => format!("refs/heads/deletionProposed/{full}/v{n}"),
            PublishedRef::Placeholder => {
                format!("refs/heads/deletionProposed/{full}/{}", self.spec.branch)
            }
        }
    }
}
