//! Atomic, compare-and-swap pushes through the `git` CLI.
//!
//! libgit2 can neither push several refs atomically nor make a ref update
//! conditional on the remote's current value, and approval needs both (the
//! branch, the tag and the deletion of the draft together, never a tag whose
//! commit is not on the branch). `git push --atomic --force-with-lease=…`
//! does both in one round trip. Credentials go in as `http.extraHeader`
//! through `GIT_CONFIG_*` environment variables (not the command line, which
//! other users can read in `/proc`), prompts are off, and the child is killed
//! when the cache's timeout passes.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use git2::Oid;

use super::super::Credentials;
use super::super::error::{GitError, missing_local_path};
use super::super::remote::auth_header;

/// What the remote ref must be for the update to apply.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    /// The ref must not exist.
    Absent,
    /// The ref must point at this commit.
    At(Oid),
}

/// One ref of an atomic push: `dst` (full remote name) set to `new`, or deleted when `None`.
#[derive(Debug, Clone)]
pub(crate) struct RefUpdate {
    pub dst: String,
    pub new: Option<Oid>,
    pub expect: Expect,
}

/// Why a push did not apply.
#[derive(Debug)]
pub(crate) enum PushFailure {
    /// The server refused a ref (lease not met, non-fast-forward, hook,
    /// lock): nothing was applied (atomic); the text is git's report.
    Rejected(String),
    /// Anything else (network, authentication, timeout).
    Error(GitError),
}

/// `git push --atomic` of `updates` from the bare repository `dir` to `url`.
pub(crate) fn push_atomic(
    dir: &Path,
    url: &str,
    creds: &Credentials,
    timeout: Duration,
    updates: &[RefUpdate],
) -> Result<(), PushFailure> {
    let _span = tracing::info_span!("git.push", %url, refs = updates.len()).entered();
    if let Some(e) = missing_local_path(url) {
        return Err(PushFailure::Error(e));
    }
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(["push", "--atomic", "--porcelain", "--no-verify", "--quiet"]);
    for u in updates {
        let expect = match u.expect {
            Expect::Absent => String::new(),
            Expect::At(o) => o.to_string(),
        };
        cmd.arg(format!("--force-with-lease={}:{expect}", u.dst));
    }
    cmd.arg("--").arg(url);
    for u in updates {
        match u.new {
            Some(o) => cmd.arg(format!("{o}:{}", u.dst)),
            None => cmd.arg(format!(":{}", u.dst)),
        };
    }
    // curl gives up on its own too, so that a helper (git-remote-http) left
    // behind by the kill below does not hang on a silent server.
    let secs = timeout.as_secs().max(1).to_string();
    let mut config: Vec<(&str, String)> = vec![
        ("credential.helper", String::new()),
        ("core.askPass", String::new()),
        ("http.lowSpeedLimit", "1".into()),
        ("http.lowSpeedTime", secs),
    ];
    if let Some(h) = auth_header(creds) {
        config.push(("http.extraHeader", h));
    }
    cmd.env("GIT_CONFIG_COUNT", config.len().to_string());
    for (i, (k, v)) in config.iter().enumerate() {
        cmd.env(format!("GIT_CONFIG_KEY_{i}"), k);
        cmd.env(format!("GIT_CONFIG_VALUE_{i}"), v);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_ASKPASS", "")
        .env_remove("SSH_ASKPASS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (ok, text, timed_out) = run(cmd, timeout).map_err(PushFailure::Error)?;
    if ok {
        return Ok(());
    }
    Err(classify(url, &text, timed_out))
}

/// Run `cmd`, killing it (by its own PID) past `timeout`; (success, stdout + stderr, timed out).
fn run(mut cmd: Command, timeout: Duration) -> Result<(bool, String, bool), GitError> {
    let mut child = cmd
        .spawn()
        .map_err(|e| GitError::Other(format!("running git (is it installed?): {e}")))?;
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut r) = r {
                let mut b = Vec::new();
                let _ = r.read_to_end(&mut b);
                s = String::from_utf8_lossy(&b).into_owned();
            }
            s
        })
    };
    let out = drain(child.stdout.take().map(|r| Box::new(r) as _));
    let err = drain(child.stderr.take().map(|r| Box::new(r) as _));
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() > deadline => {
                timed_out = true;
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => return Err(GitError::Other(format!("waiting for git push: {e}"))),
        }
    };
    let text = format!(
        "{}{}",
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default()
    );
    Ok((status.is_some_and(|s| s.success()), text, timed_out))
}

/// Porch's retryable rejections (porch-api.md §4.2) plus the lease failure.
const REJECTIONS: [&str; 12] = [
    "stale info",
    "[rejected]",
    "[remote rejected]",
    "remote ref",
    "failed to update ref",
    "pre-receive hook declined",
    "non-fast-forward",
    "fetch first",
    "already exists",
    "failed to lock",
    "atomic push failed",
    "cannot lock ref",
];

fn classify(url: &str, text: &str, timed_out: bool) -> PushFailure {
    let msg = text.trim().replace('\n', "; ");
    let lower = text.to_ascii_lowercase();
    if timed_out {
        return PushFailure::Error(GitError::Timeout(format!(
            "push {url}: timed out waiting for the git server ({msg})"
        )));
    }
    if lower.contains("authentication failed")
        || lower.contains("could not read username")
        || lower.contains("could not read password")
        || lower.contains("terminal prompts disabled")
        || lower.contains(" 401")
        || lower.contains(" 403")
    {
        return PushFailure::Error(GitError::AuthenticationFailed(format!(
            "push {url}: authentication failed ({msg})"
        )));
    }
    if REJECTIONS.iter().any(|r| lower.contains(r)) {
        return PushFailure::Rejected(msg);
    }
    if lower.contains("connection refused")
        || lower.contains("could not resolve host")
        || lower.contains("unable to connect")
        || lower.contains("does not appear to be a git repository")
        || lower.contains("not found")
    {
        return PushFailure::Error(GitError::Unreachable(format!(
            "push {url}: cannot reach the git server ({msg})"
        )));
    }
    if lower.contains("broken pipe") || lower.contains("status code: 500") || lower.contains(" 500")
    {
        return PushFailure::Rejected(msg);
    }
    PushFailure::Error(GitError::Other(format!("push {url}: {msg}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_git_reports() {
        let r = classify(
            "u",
            "!\trefs/heads/x:refs/heads/x\t[rejected] (stale info)\n",
            false,
        );
        assert!(matches!(r, PushFailure::Rejected(_)));
        let r = classify(
            "u",
            "fatal: could not read Username for 'http://h': terminal prompts disabled",
            false,
        );
        assert!(matches!(
            r,
            PushFailure::Error(GitError::AuthenticationFailed(_))
        ));
        assert!(matches!(
            classify("u", "", true),
            PushFailure::Error(GitError::Timeout(_))
        ));
    }
}
