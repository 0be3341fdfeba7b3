//! The files of a new draft from its creation task: `init`, `clone`, and
//! `upgrade` (an `edit` is a plain copy of the source's files).

use cad_lib::PackageFiles;
use cad_lib::create::{self, CloneOptions, InitOptions};
use cad_lib::kptfile::{Git, GitLock, Upstream, UpstreamLock};
use porch_api::packagerevision::{Locator, PackageInitTaskSpec};

/// Why a task could not build the package; the message is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The source content cannot be used (no Kptfile, unparsable file, …).
    #[error("{0}")]
    Invalid(String),
    /// `fast-forward` with local changes, unknown strategy, …
    #[error("{0}")]
    Upgrade(String),
}

/// `init`: Kptfile, README.md and package-context.yaml, `info` holding
/// exactly the given fields.
pub fn init_files(name: &str, init: &PackageInitTaskSpec) -> PackageFiles {
    create::init(&InitOptions {
        name: name.to_string(),
        subpackage: init.subpackage.clone(),
        description: init.description.clone(),
        keywords: init.keywords.clone(),
        site: init.site.clone(),
    })
}

/// Kptfile `upstream` / `upstreamLock` for a git source at `lock`.
pub fn upstream_of(lock: &Locator) -> (Upstream, UpstreamLock) {
    let g = lock.git.clone().unwrap_or_default();
    let upstream = Upstream {
        kind: "git".into(),
        git: Some(Git {
            repo: g.repo.clone(),
            directory: g.directory.clone(),
            git_ref: g.ref_.clone(),
        }),
        ..Default::default()
    };
    let lock = UpstreamLock {
        kind: "git".into(),
        git: Some(GitLock {
            repo: g.repo,
            directory: g.directory,
            git_ref: g.ref_,
            commit: g.commit,
        }),
        ..Default::default()
    };
    (upstream, lock)
}

/// `clone`: the upstream's files renamed and pointed at `source` (the
/// upstream's lock), with merge keys and, in deployment repositories, the
/// package context.
pub fn clone_files(
    upstream: &PackageFiles,
    name: &str,
    source: &Locator,
    deployment: bool,
) -> Result<PackageFiles, TaskError> {
    let (up, lock) = upstream_of(source);
    create::clone_package(
        upstream,
        &CloneOptions {
            name: name.to_string(),
            upstream: up,
            lock,
            deployment,
            package_path: None,
            upstream_identifier_annotations: true,
        },
    )
    .map_err(|e| TaskError::Invalid(format!("cloning the upstream package: {e}")))
}

/// `upgrade`: `local` (cloned from `old`) moved to `new` with `strategy`;
/// the Kptfile then points at `new_lock`.
pub fn upgrade_files(
    old: &PackageFiles,
    new: &PackageFiles,
    local: &PackageFiles,
    strategy: &str,
    new_lock: &Locator,
) -> Result<PackageFiles, TaskError> {
    let strategy: cad_lib::Strategy = strategy
        .parse()
        .map_err(|e: cad_lib::UpgradeError| TaskError::Upgrade(e.to_string()))?;
    let files = cad_lib::upgrade(
        old,
        new,
        local,
        &cad_lib::UpgradeOptions {
            strategy,
            new_upstream: Some(upstream_of(new_lock)),
            crds: Vec::new(),
        },
    )
    .map_err(|e| TaskError::Upgrade(e.to_string()))?;
    create::add_merge_keys(&files, true).map_err(|e| TaskError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_exactly_the_given_info() {
        let given = PackageInitTaskSpec {
            keywords: vec!["test".into()],
            ..Default::default()
        };
        let kf = init_files("pkg", &given)
            .get("Kptfile")
            .cloned()
            .unwrap_or_default();
        assert!(kf.contains("name: pkg"), "{kf}");
        assert!(kf.contains("keywords:"), "{kf}");
        assert!(!kf.contains("description"), "{kf}");
    }
}
