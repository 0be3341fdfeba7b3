//! The git write path (issue 6): drafts, propose/reject, approval, deletion
//! proposals and deletion, in Porch's layout (porch-api.md §4.1, §4.2, §4.4).
//!
//! Commits are built with libgit2 in the bare cache (objects only; no
//! working tree) and pushed as compare-and-swaps on what the cache saw: to
//! remote repositories with `git push --atomic --force-with-lease` (module
//! `push`), to repositories on a local path in process under git's own ref
//! lock files (module `local`). Concurrent writers (other threads, other
//! replicas, external users) never overwrite each other silently. Approval
//! and placeholder deletion rebuild their commit on a fresh branch head and
//! retry; the other writes report [`GitError::Conflict`] and let the caller
//! decide.
//!
//! After each successful push the cache's mirrored refs are updated to what
//! was pushed (loose ref files and the in-memory ref map, never a listing of
//! every ref), so [`CachedRepo::discover`] and
//! [`CachedRepo::discover_package`] show the result at once.

mod delete;
mod local;
mod push;
mod tree;

use std::collections::BTreeMap;
use std::time::Duration;

use git2::{Oid, Repository, Signature, Time};

use super::cache::{CachedRepo, PORCH_EMAIL, PORCH_NAME, lock};
use super::error::GitError;
use super::refs;
use super::trailers::Trailer;
use push::{Expect, PushFailure, RefUpdate};

/// Rebuild-and-retry rounds of a branch write that lost a race. Porch stops
/// after 3 (`--repo-operation-retry-attempts`); a lost race here only means
/// another approval landed first, so porch-rs keeps going (with jittered
/// backoff) until the operation's time budget is spent.
const RETRY_ATTEMPTS: u32 = 30;

/// A draft or proposed branch as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRef {
    /// Full remote ref, `refs/heads/drafts/FULL/WS` or `refs/heads/proposed/FULL/WS`.
    pub git_ref: String,
    /// Commit the branch points at.
    pub commit: String,
}

/// The result of an approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub revision: u32,
    /// The merge commit on the branch (the tag's target).
    pub commit: String,
    /// Full tag ref, `refs/tags/FULL/vN`.
    pub tag: String,
}

/// Which published revision a deletion proposal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishedRef {
    /// Tag `FULL/vN`: marker `deletionProposed/FULL/vN`.
    Tag(u32),
    /// The placeholder on the branch: marker `deletionProposed/FULL/<branch>` (Porch's `…/WS` when N ≤ 0).
    Placeholder,
}

/// What [`CachedRepo::delete_revision`] deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    /// A published revision: the tag and any deletionProposed branch.
    Tag { package_path: String, revision: u32 },
    /// A draft or proposed branch (full or short ref) at `commit`.
    Branch { git_ref: String, commit: String },
    /// The placeholder: a commit `Delete FULL` removing the directory from the
    /// branch, and any deletionProposed branch.
    Placeholder { package_path: String },
}

impl CachedRepo {
    /// The same view with `spec.git.author` / `spec.git.email`, the commit
    /// author when a request has no user (porch-api.md §4.2).
    pub fn with_author(mut self, name: &str, email: &str) -> CachedRepo {
        self.author =
            (!name.is_empty() || !email.is_empty()).then(|| (name.to_string(), email.to_string()));
        self
    }

    /// `directory/package_path`, without leading or trailing `/`.
    pub fn full_path(&self, package_path: &str) -> String {
        [self.spec.directory.as_str(), package_path]
            .iter()
            .map(|s| s.trim_matches('/'))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Create `drafts/FULL/WS`: a commit on the branch head as the cache last
    /// fetched it (no parent in an empty repository) whose tree is the head's
    /// with `FULL/` replaced by `files`; no fetch here, so creation stays one
    /// round trip (approval re-bases on the fresh head anyway). Fails with
    /// [`GitError::AlreadyExists`] when the branch exists.
    pub fn create_draft(
        &self,
        package_path: &str,
        workspace: &str,
        files: &BTreeMap<String, String>,
        message: &str,
        trailer: &Trailer,
        author: Option<&str>,
    ) -> Result<DraftRef, GitError> {
        let full = self.full_path(package_path);
        let git_ref = format!("refs/heads/drafts/{full}/{workspace}");
        let _span = tracing::info_span!("git.create_draft", r#ref = %git_ref).entered();
        check_ref(&git_ref)?;
        let repo = self.open_repo()?;
        let head = self.cached(&repo, &format!("refs/heads/{}", self.spec.branch))?;
        let base_tree = head.map(|h| commit_tree(&repo, h)).transpose()?;
        let pkg = tree::package_tree(&repo, files)?;
        let root = tree::replace_subtree(&repo, base_tree, &full, Some(pkg))?;
        let parents: Vec<Oid> = head.into_iter().collect();
        let commit = self.commit(&repo, root, &parents, message, trailer, author, None)?;
        let update = RefUpdate {
            dst: git_ref.clone(),
            new: Some(commit),
            expect: Expect::Absent,
        };
        match self.push(&[update]) {
            Ok(()) => {}
            Err(PushFailure::Rejected(why)) => {
                return Err(GitError::AlreadyExists(format!(
                    "draft branch {git_ref} already exists in {} ({why})",
                    self.spec.url
                )));
            }
            Err(PushFailure::Error(e)) => return Err(e),
        }
        self.record(&repo, &[(git_ref.clone(), Some(commit))])?;
        Ok(DraftRef {
            git_ref,
            commit: commit.to_string(),
        })
    }

    /// A new commit on top of the draft's, with `FULL/` replaced entirely by
    /// `files`; pushed only if the branch is still at `draft.commit`, else
    /// [`GitError::Conflict`].
    pub fn update_draft(
        &self,
        draft: &DraftRef,
        files: &BTreeMap<String, String>,
        message: &str,
        trailer: &Trailer,
        author: Option<&str>,
    ) -> Result<DraftRef, GitError> {
        let git_ref = full_ref(&draft.git_ref);
        let _span = tracing::info_span!("git.update_draft", r#ref = %git_ref).entered();
        let full = package_of(&git_ref)?;
        let repo = self.open_repo()?;
        let old = parse_oid(&draft.commit)?;
        let pkg = tree::package_tree(&repo, files)?;
        let root = tree::replace_subtree(&repo, Some(commit_tree(&repo, old)?), &full, Some(pkg))?;
        let commit = self.commit(&repo, root, &[old], message, trailer, author, None)?;
        self.cas(&repo, &git_ref, Some(commit), Expect::At(old))?;
        Ok(DraftRef {
            git_ref,
            commit: commit.to_string(),
        })
    }

    /// Rename a draft/proposed branch at `commit` (propose: drafts → proposed;
    /// reject: back) in one atomic push: create `to_ref`, delete `from_ref`.
    pub fn move_draft(&self, from_ref: &str, to_ref: &str, commit: &str) -> Result<(), GitError> {
        let (from, to) = (full_ref(from_ref), full_ref(to_ref));
        let _span = tracing::info_span!("git.move_draft", %from, %to).entered();
        check_ref(&to)?;
        let repo = self.open_repo()?;
        let oid = parse_oid(commit)?;
        if from == to {
            return Ok(());
        }
        let updates = [
            RefUpdate {
                dst: to.clone(),
                new: Some(oid),
                expect: Expect::Absent,
            },
            RefUpdate {
                dst: from.clone(),
                new: None,
                expect: Expect::At(oid),
            },
        ];
        self.push(&updates).map_err(|f| self.conflict(f, &from))?;
        self.record(&repo, &[(to, Some(oid)), (from, None)])
    }

    /// Publish the draft/proposed branch `draft_ref` at `draft_commit`
    /// (porch-api.md §4.2): a merge commit on the branch head (parents
    /// [head, draft]) whose tree is the head's with `FULL/` taken from the
    /// draft, the tag `FULL/vN` (N = highest `FULL/v*` + 1, at least
    /// `revision_hint`) and the deletion of the draft branch, in one atomic,
    /// non-forced push. A moved head or a taken tag rebuilds the commit on a
    /// fresh fetch and retries; a moved draft branch is a [`GitError::Conflict`].
    pub fn approve(
        &self,
        package_path: &str,
        draft_ref: &str,
        draft_commit: &str,
        revision_hint: Option<u32>,
        author: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<Published, GitError> {
        let full = self.full_path(package_path);
        let draft_ref = full_ref(draft_ref);
        let _span =
            tracing::info_span!("git.approve", package = %full, r#ref = %draft_ref).entered();
        let draft = parse_oid(draft_commit)?;
        let branch = format!("refs/heads/{}", self.spec.branch);
        let mut last = String::new();
        for attempt in 1..=RETRY_ATTEMPTS {
            // The push is a compare-and-swap on the branch head, the new tag
            // and the draft: the first attempt builds on what the cache has
            // (one round trip when nobody else wrote); a lost race fetches.
            if attempt > 1 {
                self.fetch_allow_missing()?;
            }
            let repo = self.open_repo()?;
            if attempt > 1 && self.cached(&repo, &draft_ref)? != Some(draft) {
                return Err(GitError::Conflict(format!(
                    "{draft_ref} is no longer at {draft_commit} in {}",
                    self.spec.url
                )));
            }
            let head = self.cached(&repo, &branch)?;
            let revision = self
                .highest_revision(&repo, &full)?
                .saturating_add(1)
                .max(revision_hint.unwrap_or(0));
            let pkg = tree::subtree(&repo, draft, &full)?.ok_or_else(|| {
                GitError::Invalid(format!("{draft_ref} has no package at {full:?}"))
            })?;
            let base = head.map(|h| commit_tree(&repo, h)).transpose()?;
            let root = tree::replace_subtree(&repo, base, &full, Some(pkg))?;
            let parents: Vec<Oid> = head.into_iter().chain([draft]).collect();
            let trailer = Trailer {
                package: full.clone(),
                workspace_name: draft_ref.rsplit('/').next().unwrap_or_default().into(),
                revision: revision.to_string(),
                task: None,
            };
            let message = format!("Approving package revision {full}/{revision}");
            let commit =
                self.commit(&repo, root, &parents, &message, &trailer, author, Some(now))?;
            let tag = format!("refs/tags/{full}/v{revision}");
            let updates = [
                RefUpdate {
                    dst: branch.clone(),
                    new: Some(commit),
                    expect: head.map_or(Expect::Absent, Expect::At),
                },
                RefUpdate {
                    dst: tag.clone(),
                    new: Some(commit),
                    expect: Expect::Absent,
                },
                RefUpdate {
                    dst: draft_ref.clone(),
                    new: None,
                    expect: Expect::At(draft),
                },
            ];
            match self.push(&updates) {
                Ok(()) => {
                    self.record(
                        &repo,
                        &[
                            (branch.clone(), Some(commit)),
                            (tag.clone(), Some(commit)),
                            (draft_ref.clone(), None),
                        ],
                    )?;
                    return Ok(Published {
                        revision,
                        commit: commit.to_string(),
                        tag,
                    });
                }
                Err(PushFailure::Rejected(why)) => {
                    tracing::info!(attempt, %why, "approval push rejected; rebuilding on a fresh head");
                    last = why;
                    backoff(attempt, &last);
                }
                Err(PushFailure::Error(e)) => return Err(e),
            }
        }
        Err(GitError::Conflict(format!(
            "approving {full} in {}: gave up after {RETRY_ATTEMPTS} attempts ({last})",
            self.spec.url
        )))
    }

    /// One compare-and-swap ref update; a rejection is a [`GitError::Conflict`].
    fn cas(
        &self,
        repo: &Repository,
        dst: &str,
        new: Option<Oid>,
        expect: Expect,
    ) -> Result<(), GitError> {
        let u = RefUpdate {
            dst: dst.to_string(),
            new,
            expect,
        };
        self.push_all(repo, &[u])
    }

    fn push_all(&self, repo: &Repository, updates: &[RefUpdate]) -> Result<(), GitError> {
        if updates.is_empty() {
            return Ok(());
        }
        let first = updates.first().map(|u| u.dst.clone()).unwrap_or_default();
        self.push(updates).map_err(|f| self.conflict(f, &first))?;
        let changes: Vec<_> = updates.iter().map(|u| (u.dst.clone(), u.new)).collect();
        self.record(repo, &changes)
    }

    fn conflict(&self, f: PushFailure, what: &str) -> GitError {
        match f {
            PushFailure::Rejected(why) => GitError::Conflict(format!(
                "{what} in {} was changed by someone else ({why})",
                self.spec.url
            )),
            PushFailure::Error(e) => e,
        }
    }

    fn push(&self, updates: &[RefUpdate]) -> Result<(), PushFailure> {
        if let Some(path) = local::local_path(&self.shared.url).filter(|p| p.exists()) {
            let mut handle = lock(&self.shared.remote_handle);
            return local::push_local(&self.shared.dir, &path, &mut handle, updates);
        }
        push::push_atomic(
            &self.shared.dir,
            &self.shared.url,
            &self.shared.credentials,
            self.opts.timeout,
            updates,
        )
    }

    /// The cache's copy of remote ref `remote` (`refs/heads/…` or `refs/tags/…`),
    /// peeled to a commit for annotated tags.
    fn cached(&self, repo: &Repository, remote: &str) -> Result<Option<Oid>, GitError> {
        let Some(local) = refs::local_name(remote) else {
            return Ok(None);
        };
        Ok(self.ref_map(repo)?.get(&local).copied())
    }

    /// Highest N of the cached tags `FULL/vN` (0 when none).
    fn highest_revision(&self, repo: &Repository, full: &str) -> Result<u32, GitError> {
        let prefix = format!("refs/tags/{full}/v");
        let map = self.ref_map(repo)?;
        Ok(map
            .range(prefix.clone()..)
            .take_while(|(n, _)| n.starts_with(&prefix))
            .filter_map(|(n, _)| n.strip_prefix(&prefix)?.parse::<u32>().ok())
            .max()
            .unwrap_or(0))
    }

    /// Make the cache's mirrored refs reflect a successful push (remote name → new oid or deleted).
    fn record(&self, repo: &Repository, changes: &[(String, Option<Oid>)]) -> Result<(), GitError> {
        let _guard = lock(&self.shared.fetch_lock);
        let local: Vec<(String, Option<Oid>)> = changes
            .iter()
            .filter_map(|(remote, new)| Some((refs::local_name(remote)?, *new)))
            .collect();
        let _ = repo;
        self.apply_refs(&local)
    }

    /// Write a commit (no ref moves): author per §4.2, committer Porch, message + trailer.
    #[allow(clippy::too_many_arguments)]
    fn commit(
        &self,
        repo: &Repository,
        root: Oid,
        parents: &[Oid],
        message: &str,
        trailer: &Trailer,
        user: Option<&str>,
        now: Option<jiff::Timestamp>,
    ) -> Result<Oid, GitError> {
        let err = |e: git2::Error| GitError::Other(format!("writing a commit: {}", e.message()));
        let (name, email) = match (user, &self.author) {
            (Some(u), _) if !u.is_empty() => (u.to_string(), u.to_string()),
            (_, Some((n, e))) => (n.clone(), e.clone()),
            _ => (PORCH_NAME.to_string(), PORCH_EMAIL.to_string()),
        };
        let sig = |n: &str, e: &str| match now {
            Some(t) => Signature::new(n, e, &Time::new(t.as_second(), 0)),
            None => Signature::now(n, e),
        };
        let author = sig(&name, &email)
            .map_err(|e| GitError::Invalid(format!("commit author {name:?}: {}", e.message())))?;
        let committer = sig(PORCH_NAME, PORCH_EMAIL).map_err(err)?;
        let tree = repo.find_tree(root).map_err(err)?;
        let parents = parents
            .iter()
            .map(|p| repo.find_commit(*p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        let line = trailer.line();
        let message = if line == "kpt:{}" {
            message.to_string()
        } else {
            format!("{}\n\n{line}\n", message.trim_end())
        };
        repo.commit(None, &author, &committer, &message, &tree, &refs)
            .map_err(err)
    }
}

fn commit_tree(repo: &Repository, commit: Oid) -> Result<Oid, GitError> {
    repo.find_commit(commit)
        .map(|c| c.tree_id())
        .map_err(|e| GitError::Other(format!("reading commit {commit}: {}", e.message())))
}

fn parse_oid(s: &str) -> Result<Oid, GitError> {
    Oid::from_str(s).map_err(|_| GitError::Invalid(format!("{s:?} is not a commit id")))
}

/// `drafts/…` → `refs/heads/drafts/…`; full refs unchanged.
fn full_ref(r: &str) -> String {
    if r.starts_with("refs/") {
        r.to_string()
    } else {
        format!("refs/heads/{r}")
    }
}

fn check_ref(r: &str) -> Result<(), GitError> {
    if git2::Reference::is_valid_name(r) {
        Ok(())
    } else {
        Err(GitError::Invalid(format!(
            "{r:?} is not a valid git ref name"
        )))
    }
}

/// FULL of `refs/heads/{drafts,proposed}/FULL/WS`.
fn package_of(git_ref: &str) -> Result<String, GitError> {
    let rest = git_ref
        .strip_prefix("refs/heads/drafts/")
        .or_else(|| git_ref.strip_prefix("refs/heads/proposed/"));
    match rest.and_then(|r| r.rsplit_once('/')) {
        Some((full, _)) => Ok(full.to_string()),
        None => Err(GitError::Invalid(format!(
            "{git_ref:?} is not a draft or proposed branch"
        ))),
    }
}

/// Backoff after a lost race: short and jittered (racing writers spread
/// out instead of colliding again), capped; 1 s × attempt after a hook
/// decline, as Porch.
fn backoff(attempt: u32, why: &str) {
    if why.contains("pre-receive hook declined") {
        std::thread::sleep(Duration::from_millis(1000 * u64::from(attempt.min(5))));
        return;
    }
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
            % 50,
    );
    std::thread::sleep(Duration::from_millis(
        (20 * u64::from(attempt.min(10))) + jitter,
    ));
}
