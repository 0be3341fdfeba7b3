//! Errors of the git adapter, worded for the Repository `Ready` condition.

use git2::{ErrorClass, ErrorCode};

/// What went wrong with a repository; the message says it in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    /// The host or path cannot be reached (connection refused, unknown host, no such repository path).
    #[error("{0}")]
    Unreachable(String),
    /// The server refused the credentials (or needs some and none are configured).
    #[error("{0}")]
    AuthenticationFailed(String),
    /// The configured branch does not exist and `createBranch` is off.
    #[error("{0}")]
    BranchMissing(String),
    /// The server did not answer within the configured timeout.
    #[error("{0}")]
    Timeout(String),
    /// The local cache is damaged; [`crate::git::CachedRepo::reset`] re-creates it.
    #[error("{0}")]
    Corrupt(String),
    /// A ref to create exists already (a draft branch, a tag).
    #[error("{0}")]
    AlreadyExists(String),
    /// A ref moved under a compare-and-swap push: another writer won; re-read and retry.
    #[error("{0}")]
    Conflict(String),
    /// The caller asked for something invalid (a bad file path, no Kptfile, a missing package).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Other(String),
}

/// What the callbacks of one network call observed, to classify its error.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CallFlags {
    /// libgit2 asked for credentials: the ones sent (if any) were refused.
    pub auth_refused: bool,
    /// The overall deadline passed and a callback cancelled the transfer.
    pub deadline_passed: bool,
}

/// Classify a libgit2 error of a network operation on `url`.
pub(crate) fn network_error(url: &str, what: &str, flags: CallFlags, e: &git2::Error) -> GitError {
    let msg = e.message();
    let lower = msg.to_ascii_lowercase();
    if flags.deadline_passed || e.code() == ErrorCode::Timeout || lower.contains("timed out") {
        return GitError::Timeout(format!(
            "{what} {url}: timed out waiting for the git server ({msg})"
        ));
    }
    if flags.auth_refused
        || e.code() == ErrorCode::Auth
        || lower.contains("401")
        || lower.contains("403")
        || lower.contains("authentication")
    {
        return GitError::AuthenticationFailed(format!(
            "{what} {url}: authentication failed ({msg})"
        ));
    }
    if lower.contains("404")
        || lower.contains("not found")
        || lower.contains("not exported")
        || lower.contains("could not find repository")
    {
        return GitError::Unreachable(format!("{what} {url}: repository not found ({msg})"));
    }
    match e.class() {
        ErrorClass::Net | ErrorClass::Os | ErrorClass::Ssl | ErrorClass::Http => {
            GitError::Unreachable(format!("{what} {url}: cannot reach the git server ({msg})"))
        }
        ErrorClass::Odb | ErrorClass::Zlib | ErrorClass::Indexer => {
            GitError::Corrupt(format!("{what} {url}: local git cache is damaged ({msg})"))
        }
        _ => GitError::Other(format!("{what} {url}: {msg}")),
    }
}

/// A local path (or `file://` URL) that does not exist: libgit2 would call it
/// an "unsupported URL protocol", which tells the user nothing.
pub(crate) fn missing_local_path(url: &str) -> Option<GitError> {
    let path = match url.strip_prefix("file://") {
        Some(p) => p,
        None if url.contains("://") => return None,
        None if url.starts_with('/') || url.starts_with('.') => url,
        None => return None,
    };
    (!std::path::Path::new(path).exists())
        .then(|| GitError::Unreachable(format!("{url}: repository not found (no such directory)")))
}

/// Classify a libgit2 error of a local read of the cache at `dir`.
pub(crate) fn local_error(dir: &std::path::Path, what: &str, e: &git2::Error) -> GitError {
    match e.class() {
        ErrorClass::Odb | ErrorClass::Zlib | ErrorClass::Object | ErrorClass::Reference => {
            GitError::Corrupt(format!(
                "{what}: local git cache {} is damaged ({}); it is re-created on the next sync",
                dir.display(),
                e.message()
            ))
        }
        _ => GitError::Other(format!("{what}: {}", e.message())),
    }
}
