//! The git read path (issue 3): a bare local cache per repository URL and
//! credentials, change detection, fetch, and Porch's package discovery.
//!
//! All calls block; the apiserver runs them on `spawn_blocking`.
//!
//! # Network: libgit2 with two bounds
//!
//! Fetch, ls-remote and the create-branch push go through git2 (libgit2 1.9,
//! vendored). Every network call is bounded by [`GitOptions::timeout`] twice:
//! libgit2's process-wide socket timeouts (`GIT_OPT_SET_SERVER_CONNECT_TIMEOUT`
//! and `GIT_OPT_SET_SERVER_TIMEOUT`, set once from the first [`GitCache`]) end a
//! connect or a read that hangs, and an overall deadline checked in the
//! progress callbacks ends a transfer that trickles. Measured on 127.0.0.1: a
//! listener that accepts and never answers gives [`GitError::Timeout`] after
//! the timeout plus a few ms, a closed port [`GitError::Unreachable`] in about
//! a millisecond. Running the `git` CLI with a kill on timeout was the
//! alternative; it costs a process per poll and puts credentials in a child's
//! environment, and libgit2's bounds proved sufficient.
//!
//! Credentials are sent pre-emptively as an `Authorization` header (basic or
//! bearer) on every request; the credentials callback, which libgit2 calls on a
//! 401, never answers with a second attempt, so a wrong password is one
//! [`GitError::AuthenticationFailed`] instead of a retry loop.
//!
//! # Reads: git2, memoised by object id
//!
//! Discovery and package reads are local and use git2 as well. Objects are
//! immutable, so parsed commits, Kptfiles, subtree scans and whole
//! per-ref results are memoised by oid in the cache's shared memo; a re-discovery
//! after a fetch only reads what changed. The module `bench` test prints the
//! figures (see `engine/tests/git_discovery.rs`); with them gix was not
//! needed: object access is a small part of a cold discovery (YAML parsing of
//! Kptfiles dominates), so a faster object reader cannot change the total
//! measurably.

mod cache;
mod discovery;
mod error;
mod kptfile;
mod memo;
mod package;
mod refs;
mod remote;
mod trailers;

pub use cache::{CachedRepo, GitCache};
pub use discovery::{DiscoveredRevision, Discovery, Lifecycle};
pub use error::GitError;
pub use kptfile::KptfileSummary;

use std::time::Duration;

/// Credentials for one repository, resolved by the caller from its Secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Credentials {
    /// Anonymous access.
    None,
    /// HTTP basic authentication.
    Basic { username: String, password: String },
    /// HTTP bearer token (`Authorization: Bearer …`).
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    /// Never prints secrets (the spec ends up in logs and spans).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credentials::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// What a Repository says about its git repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// `spec.git.repo`: http(s)://, git://, file:// or a local path.
    pub url: String,
    /// `spec.git.branch` (Porch defaults it to `main`).
    pub branch: String,
    /// `spec.git.directory`; leading and trailing `/` are ignored.
    pub directory: String,
    /// `spec.git.createBranch`.
    pub create_branch: bool,
    pub credentials: Credentials,
}

/// Settings of a [`GitCache`].
#[derive(Debug, Clone)]
pub struct GitOptions {
    /// Bound of every network operation (connect, each read, and the whole call).
    pub timeout: Duration,
}

impl Default for GitOptions {
    /// 20 s, Porch's `--list-timeout-per-repo`.
    fn default() -> Self {
        GitOptions {
            timeout: Duration::from_secs(20),
        }
    }
}
