//! Network operations through libgit2: credentials on every request, the
//! timeout bounds described in the module doc of `git`, ls-remote, fetch with
//! prune, and the push that creates a missing branch.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Once;
use std::time::{Duration, Instant};

use base64::Engine as _;
use git2::{
    AutotagOption, FetchOptions, FetchPrune, Oid, PushOptions, RemoteCallbacks, Repository,
};

use super::Credentials;
use super::error::{CallFlags, GitError, missing_local_path, network_error};

/// Porch's fetch refspecs (porch-api.md §4.1).
pub(crate) const FETCH_REFSPECS: [&str; 2] = [
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/tags/*:refs/tags/*",
];

/// A refspec that matches no remote ref: a fetch with it only connects and
/// reads the ref advertisement, which is an ls-remote that still carries our
/// custom headers (git2's `connect_auth` cannot send any).
const LIST_ONLY_REFSPEC: &str = "+refs/porch-rs/list-only/*:refs/porch-rs/list-only/*";

static LIBGIT2_SETTINGS: Once = Once::new();

/// Set libgit2's process-wide settings, once: the connect and read timeouts
/// (C globals; the first cache decides; the per-call deadline still applies
/// to each call), and no SHA-1 re-verification of every object read from
/// the cache (git itself does not re-verify on read; the pack indexer checks
/// what a fetch brings; it was 7–10 % of a cold discovery), and a smaller
/// object cache so that memory stays flat with many repositories.
pub(crate) fn init_libgit2(timeout: Duration) {
    LIBGIT2_SETTINGS.call_once(|| {
        let ms = i32::try_from(timeout.as_millis())
            .unwrap_or(i32::MAX)
            .max(1);
        // SAFETY: plain int stores into libgit2 globals, done once under `Once`
        // before this module starts any network operation.
        unsafe {
            let _ = git2::opts::set_server_connect_timeout_in_milliseconds(ms);
            let _ = git2::opts::set_server_timeout_in_milliseconds(ms);
            // Bound libgit2's process-wide object cache (256 MiB by default):
            // every registered repository shares it, and discovery reads each
            // tree once per change anyway.
            let _ = git2::opts::set_cache_max_size(32 * 1024 * 1024);
        }
        git2::opts::strict_hash_verification(false);
    });
}

/// The `Authorization` header for `creds`, sent pre-emptively on every request.
pub(crate) fn auth_header(creds: &Credentials) -> Option<String> {
    match creds {
        Credentials::None => None,
        Credentials::Basic { username, password } => {
            let raw = format!("{username}:{password}");
            Some(format!(
                "Authorization: Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            ))
        }
        Credentials::Bearer(token) => Some(format!("Authorization: Bearer {token}")),
    }
}

/// Callbacks shared by all operations: refuse the credentials prompt (we sent
/// ours already; a second try would loop), and cancel past the deadline.
fn callbacks<'a>(flags: &'a Cell<CallFlags>, deadline: Instant) -> RemoteCallbacks<'a> {
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |_, _, _| {
        flags.set(CallFlags {
            auth_refused: true,
            ..flags.get()
        });
        Err(git2::Error::from_str(
            "the server refused the credentials (or needs credentials)",
        ))
    });
    let past = move || {
        let over = Instant::now() > deadline;
        if over {
            flags.set(CallFlags {
                deadline_passed: true,
                ..flags.get()
            });
        }
        over
    };
    cb.transfer_progress(move |_| !past());
    cb.sideband_progress(move |_| !past());
    cb
}

/// Options of [`ls_remote`] and [`fetch`]: no automatic tags, no FETCH_HEAD, no prune (refs are mirrored by us).
fn list_options<'a>(
    flags: &'a Cell<CallFlags>,
    deadline: Instant,
    header: &'a Option<String>,
) -> FetchOptions<'a> {
    let mut fo = FetchOptions::new();
    fo.remote_callbacks(callbacks(flags, deadline));
    fo.download_tags(AutotagOption::None);
    fo.update_fetchhead(false);
    fo.prune(FetchPrune::Off);
    if let Some(h) = header {
        fo.custom_headers(&[h.as_str()]);
    }
    fo
}

/// Remote refs (name → oid), without peeled `^{}` entries.
pub(crate) fn ls_remote(
    repo: &Repository,
    url: &str,
    creds: &Credentials,
    timeout: Duration,
) -> Result<BTreeMap<String, String>, GitError> {
    if let Some(e) = missing_local_path(url) {
        return Err(e);
    }
    let flags = Cell::new(CallFlags::default());
    let header = auth_header(creds);
    let mut remote = repo
        .remote_anonymous(url)
        .map_err(|e| network_error(url, "ls-remote", flags.get(), &e))?;
    let mut fo = list_options(&flags, Instant::now() + timeout, &header);
    remote
        .fetch(&[LIST_ONLY_REFSPEC], Some(&mut fo), None)
        .map_err(|e| network_error(url, "ls-remote", flags.get(), &e))?;
    let heads = remote
        .list()
        .map_err(|e| network_error(url, "ls-remote", flags.get(), &e))?;
    Ok(heads
        .iter()
        .filter(|h| !h.name().ends_with("^{}"))
        .map(|h| (h.name().to_string(), h.oid().to_string()))
        .collect())
}

/// Download what Porch's refspecs want and return the refs the cache must
/// mirror (local name → oid); [`super::refs::mirror`] writes them.
pub(crate) fn fetch(
    repo: &Repository,
    url: &str,
    creds: &Credentials,
    timeout: Duration,
) -> Result<BTreeMap<String, Oid>, GitError> {
    if let Some(e) = missing_local_path(url) {
        return Err(e);
    }
    let flags = Cell::new(CallFlags::default());
    let header = auth_header(creds);
    let err = |e: git2::Error| network_error(url, "fetch", flags.get(), &e);
    let mut remote = repo.remote_anonymous(url).map_err(err)?;
    let mut fo = list_options(&flags, Instant::now() + timeout, &header);
    remote
        .download(&FETCH_REFSPECS, Some(&mut fo))
        .map_err(err)?;
    let desired = remote
        .list()
        .map_err(err)?
        .iter()
        .filter_map(|h| {
            let local = super::refs::local_name(h.name())?;
            git2::Reference::is_valid_name(&local).then(|| (local, h.oid()))
        })
        .collect();
    let _ = remote.disconnect();
    Ok(desired)
}

/// Push local `src` to remote `dst` (not forced); a ref the server rejects is an error.
pub(crate) fn push(
    repo: &Repository,
    url: &str,
    creds: &Credentials,
    timeout: Duration,
    src: &str,
    dst: &str,
) -> Result<(), GitError> {
    if let Some(e) = missing_local_path(url) {
        return Err(e);
    }
    let flags = Cell::new(CallFlags::default());
    let header = auth_header(creds);
    let deadline = Instant::now() + timeout;
    let rejected: Cell<Option<String>> = Cell::new(None);
    let mut cb = callbacks(&flags, deadline);
    cb.push_update_reference(|name, status| {
        if let Some(s) = status {
            rejected.set(Some(format!("{name}: {s}")));
        }
        Ok(())
    });
    let mut po = PushOptions::new();
    po.remote_callbacks(cb);
    if let Some(h) = &header {
        po.custom_headers(&[h.as_str()]);
    }
    let mut remote = repo
        .remote_anonymous(url)
        .map_err(|e| network_error(url, "push", flags.get(), &e))?;
    remote
        .push(&[format!("{src}:{dst}")], Some(&mut po))
        .map_err(|e| network_error(url, "push", flags.get(), &e))?;
    drop(po);
    match rejected.take() {
        Some(why) => Err(GitError::Other(format!("push to {url} rejected: {why}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let b = Credentials::Basic {
            username: "nephio".into(),
            password: "secret".into(),
        };
        assert_eq!(
            auth_header(&b).as_deref(),
            Some("Authorization: Basic bmVwaGlvOnNlY3JldA==")
        );
        assert_eq!(
            auth_header(&Credentials::Bearer("t".into())).as_deref(),
            Some("Authorization: Bearer t")
        );
        assert_eq!(auth_header(&Credentials::None), None);
    }
}
