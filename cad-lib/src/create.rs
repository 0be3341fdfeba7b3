//! Creating package content as Porch's tasks do: `init` (a new package),
//! `clone` (a copy of an upstream, pointed at it), and the package context
//! of deployment repositories.

use std::collections::BTreeMap;

use serde_json::json;

use crate::PackageFiles;
use crate::annotations;
use crate::kptfile::{KPTFILE, PackageInfo, Upstream, UpstreamLock, edit};
use crate::merge_comment;
use crate::object::{KubeObject, ObjectError};
use crate::package::join;
use crate::resource_file::{FileError, ResourceFile, is_resource_file};

/// File name of the package context ConfigMap.
pub const PACKAGE_CONTEXT: &str = "package-context.yaml";
/// Name of the package context ConfigMap.
pub const PACKAGE_CONTEXT_NAME: &str = "kptfile.kpt.dev";

/// Why package content could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// The source package has no root Kptfile.
    #[error("package has no Kptfile at its root")]
    NoKptfile,
    /// A file could not be parsed.
    #[error(transparent)]
    File(#[from] FileError),
    /// An edit failed.
    #[error("{path}: {source}")]
    Edit {
        /// File being edited.
        path: String,
        /// Why.
        source: ObjectError,
    },
}

/// What `init` needs.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Package name (Kptfile `metadata.name`).
    pub name: String,
    /// Directory to initialise inside the package (`""` = root).
    pub subpackage: String,
    /// `info.description`.
    pub description: String,
    /// `info.keywords`.
    pub keywords: Vec<String>,
    /// `info.site`.
    pub site: String,
}

/// The README kpt writes for a new package.
pub fn readme(name: &str, description: &str) -> String {
    format!(
        "# {name}\n\n## Description\n{description}\n\n## Usage\n\n### Fetch the package\n`kpt pkg get REPO_URI[.git]/PKG_PATH[@VERSION] {name}`\nDetails: https://kpt.dev/reference/cli/pkg/get/\n\n### View package content\n`kpt pkg tree {name}`\nDetails: https://kpt.dev/reference/cli/pkg/tree/\n\n### Apply the package\n```\nkpt live init {name}\nkpt live apply {name} --reconcile-timeout=2m --output=table\n```\nDetails: https://kpt.dev/reference/cli/live/\n"
    )
}

/// The package context ConfigMap (`data.name`, and `data.package-path` when given).
pub fn package_context(name: &str, package_path: Option<&str>) -> String {
    let mut data = serde_json::Map::new();
    data.insert("name".into(), json!(name));
    if let Some(p) = package_path.filter(|p| !p.is_empty()) {
        data.insert("package-path".into(), json!(p));
    }
    let v = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": PACKAGE_CONTEXT_NAME,
            "annotations": {annotations::LOCAL_CONFIG: "true"}},
        "data": data});
    crate::value::to_yaml_string(&v).unwrap_or_default()
}

/// `init`: Kptfile, README.md and package-context.yaml. `info` holds
/// exactly the given fields.
pub fn init(opts: &InitOptions) -> PackageFiles {
    let info = PackageInfo {
        site: opts.site.clone(),
        description: opts.description.clone(),
        keywords: opts.keywords.clone(),
        ..Default::default()
    };
    let mut kf = json!({"apiVersion": "kpt.dev/v1", "kind": "Kptfile",
        "metadata": {"name": opts.name, "annotations": {annotations::LOCAL_CONFIG: "true"}}});
    if info != PackageInfo::default()
        && let Ok(v) = serde_json::to_value(&info)
    {
        kf["info"] = v;
    }
    let dir = opts.subpackage.trim_matches('/');
    BTreeMap::from([
        (
            join(dir, KPTFILE),
            crate::value::to_yaml_string(&kf).unwrap_or_default(),
        ),
        (
            join(dir, "README.md"),
            readme(&opts.name, &opts.description),
        ),
        (join(dir, PACKAGE_CONTEXT), package_context("example", None)),
    ])
}

/// What `clone` needs.
#[derive(Debug, Clone, Default)]
pub struct CloneOptions {
    /// New package name.
    pub name: String,
    /// Kptfile `upstream` to record.
    pub upstream: Upstream,
    /// Kptfile `upstreamLock` to record.
    pub lock: UpstreamLock,
    /// Cloning into a deployment repository: write the package context.
    pub deployment: bool,
    /// Package path for the package context's `package-path`.
    pub package_path: Option<String>,
    /// Also add the `internal.kpt.dev/upstream-identifier` annotation.
    pub upstream_identifier_annotations: bool,
}

fn edit_error(path: &str) -> impl Fn(ObjectError) -> CreateError + '_ {
    move |source| CreateError::Edit {
        path: path.to_string(),
        source,
    }
}

/// `clone`: the upstream's files with the root Kptfile renamed and pointed
/// at the upstream, merge keys added, and the package context written for
/// deployment repositories.
pub fn clone_package(
    upstream_files: &PackageFiles,
    opts: &CloneOptions,
) -> Result<PackageFiles, CreateError> {
    let mut files = upstream_files.clone();
    let text = files.get(KPTFILE).ok_or(CreateError::NoKptfile)?;
    let mut kf = KubeObject::parse(text).map_err(edit_error(KPTFILE))?;
    edit::set_name(&mut kf, &opts.name).map_err(edit_error(KPTFILE))?;
    edit::set_upstream(&mut kf, &opts.upstream, &opts.lock).map_err(edit_error(KPTFILE))?;
    files.insert(KPTFILE.to_string(), kf.text());
    files = add_merge_keys(&files, opts.upstream_identifier_annotations)?;
    if opts.deployment {
        set_package_context(&mut files, &opts.name, opts.package_path.as_deref())?;
    }
    Ok(files)
}

/// Adds kpt merge-key comments (and optionally upstream identifiers) to
/// every KRM resource of the package (best effort: files that do not
/// parse are left alone).
pub fn add_merge_keys(
    files: &PackageFiles,
    annotations: bool,
) -> Result<PackageFiles, CreateError> {
    let mut out = files.clone();
    for (path, text) in files {
        if !is_resource_file(path) || path.ends_with(KPTFILE) {
            continue;
        }
        let Ok(mut file) = ResourceFile::parse(path, text) else {
            continue;
        };
        for doc in &mut file.documents {
            if !doc.is_empty_document() {
                merge_comment::add(doc, annotations).map_err(edit_error(path))?;
            }
        }
        out.insert(path.clone(), file.text());
    }
    Ok(out)
}

/// Writes (or updates) `package-context.yaml` with the package's name.
pub fn set_package_context(
    files: &mut PackageFiles,
    name: &str,
    package_path: Option<&str>,
) -> Result<(), CreateError> {
    let text = match files.get(PACKAGE_CONTEXT) {
        Some(existing) => {
            let mut obj = KubeObject::parse(existing).map_err(edit_error(PACKAGE_CONTEXT))?;
            obj.set_str(&["data", "name"], name)
                .map_err(edit_error(PACKAGE_CONTEXT))?;
            if let Some(p) = package_path.filter(|p| !p.is_empty()) {
                obj.set_str(&["data", "package-path"], p)
                    .map_err(edit_error(PACKAGE_CONTEXT))?;
            }
            obj.text()
        }
        None => package_context(name, package_path),
    };
    files.insert(PACKAGE_CONTEXT.to_string(), text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kptfile::{Git, GitLock, Kptfile};

    #[test]
    fn init_writes_porchs_three_files() {
        let files = init(&InitOptions {
            name: "init-package".into(),
            description: "Test Package Description".into(),
            keywords: vec!["test".into(), "package".into()],
            site: "http://kpt.dev/init-package".into(),
            ..Default::default()
        });
        assert_eq!(
            files["Kptfile"],
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: init-package\n  annotations:\n    config.kubernetes.io/local-config: 'true'\ninfo:\n  site: http://kpt.dev/init-package\n  description: Test Package Description\n  keywords:\n  - test\n  - package\n"
        );
        assert!(
            files["README.md"]
                .starts_with("# init-package\n\n## Description\nTest Package Description\n")
        );
        let ctx = KubeObject::parse(&files["package-context.yaml"]).unwrap();
        assert_eq!(ctx.name().as_deref(), Some("kptfile.kpt.dev"));
        assert_eq!(ctx.get_str(&["data", "name"]).as_deref(), Some("example"));
        assert!(ctx.is_local_config());
    }

    #[test]
    fn clone_points_at_the_upstream_and_renames() {
        let upstream = init(&InitOptions {
            name: "basens".into(),
            description: "d".into(),
            ..Default::default()
        });
        let mut upstream = upstream;
        upstream.insert(
            "ns.yaml".into(),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: example\n".into(),
        );
        let opts = CloneOptions {
            name: "istions".into(),
            upstream: Upstream {
                kind: "git".into(),
                git: Some(Git {
                    repo: "http://r".into(),
                    directory: "basens".into(),
                    git_ref: "basens/v1".into(),
                }),
                ..Default::default()
            },
            lock: UpstreamLock {
                kind: "git".into(),
                git: Some(GitLock {
                    repo: "http://r".into(),
                    directory: "basens".into(),
                    git_ref: "basens/v1".into(),
                    commit: "abc".into(),
                }),
                ..Default::default()
            },
            deployment: true,
            ..Default::default()
        };
        let files = clone_package(&upstream, &opts).unwrap();
        let kf = Kptfile::parse("Kptfile", &files["Kptfile"]).unwrap();
        assert_eq!(kf.metadata.name, "istions");
        assert_eq!(kf.upstream, Some(opts.upstream.clone()));
        assert_eq!(kf.upstream_lock.unwrap().git.unwrap().commit, "abc");
        assert!(files["ns.yaml"].contains("metadata: # kpt-merge: /example\n"));
        assert!(files["package-context.yaml"].contains("name: istions"));
    }
}
