//! Repository sync: one worker per registered Repository keeps its
//! PackageRevisions and PorchPackages in the Store current with git — a full
//! sync at registration, start, generation change, cron schedule and
//! `runOnceAt`, and a cheap ls-remote poll every interval in between. Git work
//! runs on blocking threads with timeouts, so a slow or unreachable repository
//! never delays another repository or any request.
//!
//! (ARCHITECTURE.md places background sync in the engine; it lives here
//! because it writes the served objects through the apiserver's Store layout.
//! The git adapter it drives is the engine's.)

pub mod materialize;
pub mod reconcile;
pub mod status;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use porch_engine::git::{Credentials, GitCache, GitError, RepoSpec};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::registry::str_at;
use crate::state::SharedState;
use crate::storage::cache::{Cached, REGISTRY_PREFIX};
use materialize::RepoContext;
use status::SyncReport;

/// Timing of the sync (flags; tests set them low).
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Period of the cheap change poll.
    pub poll_interval: Duration,
}

const REPOS_PREFIX: &str = "/registry/config.porch.kpt.dev/repositories/";

pub(crate) fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Start the supervisor that keeps one worker per Repository.
pub fn spawn(state: SharedState, git: Arc<GitCache>, opts: SyncOptions) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut workers: HashMap<String, (String, JoinHandle<()>)> = HashMap::new();
        loop {
            let (repos, _) = state.objects.cache().range(REPOS_PREFIX, None);
            let mut seen = std::collections::HashSet::new();
            for repo in repos {
                let uid = str_at(&repo.value, &["metadata", "uid"])
                    .unwrap_or_default()
                    .to_string();
                if str_at(&repo.value, &["spec", "type"]) != Some("git") {
                    continue;
                }
                seen.insert(repo.key.clone());
                let alive = workers
                    .get(&repo.key)
                    .is_some_and(|(u, h)| *u == uid && !h.is_finished());
                if !alive {
                    if let Some((_, h)) = workers.remove(&repo.key) {
                        h.abort();
                    }
                    let handle = tokio::spawn(worker(
                        Arc::clone(&state),
                        Arc::clone(&git),
                        opts.clone(),
                        repo.key.clone(),
                        uid.clone(),
                    ));
                    workers.insert(repo.key.clone(), (uid, handle));
                }
            }
            // Workers of removed Repositories finish by themselves (after removing their objects).
            workers.retain(|key, (_, h)| seen.contains(key) || !h.is_finished());
            tokio::time::sleep(Duration::from_millis(200).min(opts.poll_interval)).await;
        }
    })
}

/// Credentials of a Repository from its Secret (basic-auth, or Opaque with bearerToken or username/password).
pub(crate) fn credentials(
    state: &crate::state::AppState,
    namespace: &str,
    repo: &Value,
) -> Result<Credentials, String> {
    let Some(secret_name) =
        str_at(repo, &["spec", "git", "secretRef", "name"]).filter(|s| !s.is_empty())
    else {
        return Ok(Credentials::None);
    };
    let key = format!("{REGISTRY_PREFIX}core/secrets/{namespace}/{secret_name}");
    let secret =
        state.objects.cache().get(&key).ok_or_else(|| {
            format!("secret {secret_name:?} not found in namespace {namespace:?}")
        })?;
    let field = |k: &str| -> Option<String> {
        let b64 = secret
            .value
            .get("data")
            .and_then(|d| d.get(k))
            .and_then(Value::as_str)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        String::from_utf8(bytes).ok()
    };
    if let Some(token) = field("bearerToken") {
        return Ok(Credentials::Bearer(token));
    }
    match (field("username"), field("password")) {
        (Some(username), Some(password)) => Ok(Credentials::Basic { username, password }),
        _ => Err(format!(
            "secret {secret_name:?} has neither username/password nor bearerToken"
        )),
    }
}

pub(crate) fn repo_spec_for(
    state: &crate::state::AppState,
    namespace: &str,
    repo: &Value,
) -> Result<RepoSpec, String> {
    Ok(RepoSpec {
        url: str_at(repo, &["spec", "git", "repo"])
            .unwrap_or_default()
            .to_string(),
        branch: str_at(repo, &["spec", "git", "branch"])
            .unwrap_or("main")
            .to_string(),
        directory: str_at(repo, &["spec", "git", "directory"])
            .unwrap_or("")
            .trim_matches('/')
            .to_string(),
        create_branch: repo
            .pointer("/spec/git/createBranch")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        credentials: credentials(state, namespace, repo)?,
    })
}

/// The next time the cron schedule fires after now.
fn next_cron(schedule: Option<&str>) -> Option<jiff::Timestamp> {
    let s = schedule?;
    let sched: cron::Schedule = format!("0 {s}").parse().ok()?;
    let next = sched.upcoming(chrono::Utc).next()?;
    jiff::Timestamp::from_second(next.timestamp()).ok()
}

/// One Repository's sync loop; ends when the Repository is gone (removing its objects).
async fn worker(
    state: SharedState,
    git: Arc<GitCache>,
    opts: SyncOptions,
    key: String,
    uid: String,
) {
    let mut last_refs: Option<BTreeMap<String, String>> = None;
    let mut synced_generation: Option<i64> = None;
    let mut next_full: Option<jiff::Timestamp> = None;
    let mut last_run_once: Option<String> = None;
    loop {
        let Some(repo) = state.objects.cache().get(&key) else {
            break;
        };
        if str_at(&repo.value, &["metadata", "uid"]) != Some(uid.as_str()) {
            break;
        }
        let namespace = str_at(&repo.value, &["metadata", "namespace"])
            .unwrap_or_default()
            .to_string();
        let name = str_at(&repo.value, &["metadata", "name"])
            .unwrap_or_default()
            .to_string();
        let generation = repo
            .value
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let run_once = str_at(&repo.value, &["spec", "sync", "runOnceAt"]).map(str::to_string);
        let run_once_due = run_once.as_ref().is_some_and(|t| {
            Some(t) != last_run_once.as_ref()
                && t.parse::<jiff::Timestamp>()
                    .is_ok_and(|t| t <= jiff::Timestamp::now())
                && str_at(&repo.value, &["status", "observedRunOnceAt"]) != Some(t.as_str())
        });
        let cron_due = next_full.is_some_and(|t| t <= jiff::Timestamp::now());
        let full = synced_generation != Some(generation) || cron_due || run_once_due;
        let outcome = sync_once(&state, &git, &repo, &namespace, &name, full, &mut last_refs).await;
        let schedule = str_at(&repo.value, &["spec", "sync", "schedule"]).map(str::to_string);
        if full {
            next_full = next_cron(schedule.as_deref());
        }
        let report = match outcome {
            Ok(None) => None,
            Ok(Some((count, commit))) => {
                if full {
                    synced_generation = Some(generation);
                    if run_once_due {
                        last_run_once = run_once.clone();
                    }
                }
                Some(SyncReport {
                    ready: true,
                    reason: "Ready",
                    message: "Repository Ready".into(),
                    full_sync_at: full.then(now),
                    next_full_sync: next_full.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
                    package_count: Some(count),
                    commit,
                    observed_run_once_at: if run_once_due { run_once.clone() } else { None },
                })
            }
            Err(message) => {
                last_refs = None;
                Some(SyncReport {
                    ready: false,
                    reason: "Error",
                    message,
                    full_sync_at: None,
                    next_full_sync: None,
                    package_count: None,
                    commit: None,
                    observed_run_once_at: None,
                })
            }
        };
        if let Some(report) = report {
            write_status(&state, &key, &report).await;
        }
        tokio::time::sleep(opts.poll_interval).await;
    }
    // The Repository is gone: so are its revisions.
    if let Some((namespace, name)) = key
        .strip_prefix(REPOS_PREFIX)
        .and_then(|r| r.split_once('/'))
    {
        remove_objects(&state, namespace, name).await;
    }
}

/// Delete every PackageRevision and PorchPackage of a repository.
pub async fn remove_objects(state: &crate::state::AppState, namespace: &str, repository: &str) {
    let ts = now();
    for plural in ["packagerevisions", "packages"] {
        if let Some(s) = state.registry.lookup("porch.kpt.dev", "v1alpha1", plural) {
            reconcile::remove_all(state, s, namespace, repository, &ts).await;
        }
    }
}

/// What one poll of a repository found.
enum Polled {
    /// The remote refs are those of the last poll.
    Unchanged,
    /// They changed only by this replica's own pushes (already in the Store).
    OwnWrites(BTreeMap<String, String>),
    /// Changed from outside: the new refs and what the fetched cache holds.
    Changed(BTreeMap<String, String>, porch_engine::git::Discovery),
}

/// One sync: poll (and on change fetch + discover + reconcile). `Ok(None)` = nothing changed.
async fn sync_once(
    state: &SharedState,
    git: &Arc<GitCache>,
    repo: &Cached,
    namespace: &str,
    name: &str,
    full: bool,
    last_refs: &mut Option<BTreeMap<String, String>>,
) -> Result<Option<(usize, Option<String>)>, String> {
    let spec = repo_spec_for(state, namespace, &repo.value)?;
    // Objects written after this point may be newer than what git shows below.
    let since = state.objects.cache().revision();
    let git = Arc::clone(git);
    let previous = if full { None } else { last_refs.clone() };
    let result = tokio::task::spawn_blocking(move || -> Result<Polled, GitError> {
        let cached = git.open(&spec)?;
        let remote = cached.ls_remote()?;
        if previous.as_ref() == Some(&remote) {
            return Ok(Polled::Unchanged);
        }
        if previous.is_some() && cached.mirrors(&remote) {
            // Only this replica's own writes, whose objects are already refreshed.
            return Ok(Polled::OwnWrites(remote));
        }
        let fetched = cached.fetch().and_then(|()| cached.discover());
        if let Err(GitError::Corrupt(_)) = &fetched {
            // Start the cache over; the next round fetches it again.
            let _ = cached.reset();
        }
        Ok(Polled::Changed(remote, fetched?))
    })
    .await
    .map_err(|e| format!("sync task failed: {e}"))?;
    let (remote, discovery) = match result {
        Ok(Polled::Unchanged) => return Ok(None),
        Ok(Polled::OwnWrites(remote)) => {
            *last_refs = Some(remote);
            return Ok(None);
        }
        Ok(Polled::Changed(remote, found)) => (remote, found),
        Err(e) => return Err(e.to_string()),
    };
    *last_refs = Some(remote);
    let deployment = repo
        .value
        .pointer("/spec/deployment")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let ctx = RepoContext {
        namespace,
        repository: name,
        deployment,
    };
    let ts = now();
    let package_count = materialize::packages(&ctx, &discovery).len();
    let desired = [
        (
            "packagerevisions",
            materialize::package_revisions(&ctx, &discovery),
        ),
        ("packages", materialize::packages(&ctx, &discovery)),
    ];
    for (plural, objects) in desired {
        if let Some(s) = state.registry.lookup("porch.kpt.dev", "v1alpha1", plural) {
            let changes =
                reconcile::reconcile(state, s, namespace, name, objects, &ts, since).await;
            tracing::debug!(repository = %name, %namespace, resource = plural, ?changes, "synced");
        }
    }
    Ok(Some((package_count, discovery.branch_commit.clone())))
}

async fn write_status(state: &SharedState, key: &str, report: &SyncReport) {
    for _ in 0..5 {
        let Some(repo) = state.objects.cache().get(key) else {
            return;
        };
        let generation = repo
            .value
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let new_status = status::status(&repo.value, generation, report, &now());
        if repo.value.get("status") == Some(&new_status) {
            return;
        }
        let mut updated = repo.value.clone();
        updated["status"] = new_status;
        match state.objects.update(key, &updated, repo.rv).await {
            Ok(_) => return,
            Err(crate::storage::objects::WriteError::Stale) => continue,
            Err(e) => {
                tracing::warn!(%key, error = ?e, "writing repository status failed");
                return;
            }
        }
    }
}

/// The files of a PackageRevision, read from the repository's git cache.
pub async fn package_files(
    state: &crate::state::AppState,
    pr: &Value,
) -> Result<BTreeMap<String, String>, crate::error::ApiError> {
    use crate::error::ApiError;
    let namespace = str_at(pr, &["metadata", "namespace"])
        .unwrap_or_default()
        .to_string();
    let repository = str_at(pr, &["spec", "repository"])
        .unwrap_or_default()
        .to_string();
    let package = str_at(pr, &["spec", "packageName"])
        .unwrap_or_default()
        .to_string();
    let commit = str_at(pr, &["status", "selfLock", "git", "commit"])
        .unwrap_or_default()
        .to_string();
    let repo_key = format!("{REPOS_PREFIX}{namespace}/{repository}");
    let repo = state.objects.cache().get(&repo_key).ok_or_else(|| {
        ApiError::NotFound(crate::error::Subject::new(
            "config.porch.kpt.dev",
            "repositories",
            &repository,
        ))
    })?;
    let spec =
        repo_spec_for(state, &namespace, &repo.value).map_err(ApiError::ServiceUnavailable)?;
    let path = if spec.directory.is_empty() {
        package
    } else {
        format!("{}/{package}", spec.directory)
    };
    let git = state
        .git
        .clone()
        .ok_or_else(|| ApiError::ServiceUnavailable("git repositories are not served".into()))?;
    tokio::task::spawn_blocking(move || git.open(&spec)?.read_package_at(&commit, &path))
        .await
        .map_err(|e| ApiError::Internal(format!("reading package: {e}")))?
        .map_err(|e| ApiError::ServiceUnavailable(e.to_string()))
}
