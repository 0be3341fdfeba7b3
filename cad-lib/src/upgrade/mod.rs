//! Upgrading a downstream package to a new upstream revision with kpt's
//! four strategies.
//!
//! `resource-merge` matches resources by identity (helped by `kpt-merge`
//! comments) and merges the upstream's changes into the local objects with
//! minimal edits, so local comments and layout survive; non-KRM files keep
//! local changes and otherwise follow the upstream. `fast-forward` refuses
//! when the local package differs from the old upstream; the other two take
//! the upstream's files.

mod merge3;
mod schema;

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use serde_json::Value;

pub use merge3::Merge3;
pub use schema::MergeSchema;

use crate::PackageFiles;
use crate::identity::split_api_version;
use crate::kptfile::{KPTFILE, Upstream, UpstreamLock, edit};
use crate::merge_comment;
use crate::object::{KubeObject, ObjectError};
use crate::package::{join, parent_dir};
use crate::resource_file::{FileError, ResourceFile, is_resource_file};

/// Porch's upgrade strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// kpt's identity-based 3-way merge (the default).
    #[default]
    ResourceMerge,
    /// Take the upstream only if nothing changed locally.
    FastForward,
    /// Discard local changes and take the upstream.
    ForceDeleteReplace,
    /// Copy every upstream file over the local package.
    CopyMerge,
}

impl FromStr for Strategy {
    type Err = UpgradeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "" | "resource-merge" => Strategy::ResourceMerge,
            "fast-forward" => Strategy::FastForward,
            "force-delete-replace" => Strategy::ForceDeleteReplace,
            "copy-merge" => Strategy::CopyMerge,
            other => return Err(UpgradeError::UnknownStrategy(other.to_string())),
        })
    }
}

/// Why an upgrade failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeError {
    /// Not one of the four strategies.
    #[error("unknown upgrade strategy {0:?}")]
    UnknownStrategy(String),
    /// fast-forward with local changes; lists the changed files.
    #[error("local package files have been modified: {0:?}")]
    LocalModified(Vec<String>),
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

fn edit_err(path: &str) -> impl Fn(ObjectError) -> UpgradeError + '_ {
    move |source| UpgradeError::Edit {
        path: path.to_string(),
        source,
    }
}

/// What an upgrade needs besides the three packages.
#[derive(Debug, Clone, Default)]
pub struct UpgradeOptions {
    /// Strategy to use.
    pub strategy: Strategy,
    /// New root Kptfile `upstream` / `upstreamLock`, if they should move.
    pub new_upstream: Option<(Upstream, UpstreamLock)>,
    /// Extra CRDs whose list keys guide the merge (CRDs inside the
    /// packages are used automatically).
    pub crds: Vec<KubeObject>,
}

/// Upgrades `local` (cloned from `original`) to `upstream`.
pub fn upgrade(
    original: &PackageFiles,
    upstream: &PackageFiles,
    local: &PackageFiles,
    opts: &UpgradeOptions,
) -> Result<PackageFiles, UpgradeError> {
    let mut out = match opts.strategy {
        Strategy::ResourceMerge => resource_merge(original, upstream, local, &opts.crds)?,
        Strategy::FastForward => {
            let changed = local_changes(original, local);
            if !changed.is_empty() {
                return Err(UpgradeError::LocalModified(changed));
            }
            take_upstream(upstream, local)?
        }
        Strategy::ForceDeleteReplace => take_upstream(upstream, local)?,
        Strategy::CopyMerge => {
            let mut files = local.clone();
            files.extend(take_upstream(upstream, local)?);
            files
        }
    };
    if let (Some((up, lock)), Some(text)) = (&opts.new_upstream, out.get(KPTFILE)) {
        let mut kf = KubeObject::parse(text).map_err(edit_err(KPTFILE))?;
        edit::set_upstream(&mut kf, up, lock).map_err(edit_err(KPTFILE))?;
        out.insert(KPTFILE.to_string(), kf.text());
    }
    Ok(out)
}

fn is_kptfile(path: &str) -> bool {
    path.rsplit('/').next() == Some(KPTFILE)
}

/// The upstream's files, with the local package name kept on the root Kptfile.
fn take_upstream(
    upstream: &PackageFiles,
    local: &PackageFiles,
) -> Result<PackageFiles, UpgradeError> {
    let mut files = upstream.clone();
    let local_name = local
        .get(KPTFILE)
        .and_then(|t| KubeObject::parse(t).ok())
        .and_then(|k| k.name());
    if let (Some(name), Some(text)) = (local_name, upstream.get(KPTFILE)) {
        let mut kf = KubeObject::parse(text).map_err(edit_err(KPTFILE))?;
        edit::set_name(&mut kf, &name).map_err(edit_err(KPTFILE))?;
        files.insert(KPTFILE.to_string(), kf.text());
    }
    Ok(files)
}

/// Files that differ between the old upstream and the local package
/// (Kptfiles compared without name and upstream fields).
pub fn local_changes(original: &PackageFiles, local: &PackageFiles) -> Vec<String> {
    let strip = |t: &str| -> Option<Value> {
        let mut v = KubeObject::parse(t).ok()?.to_value().ok()?;
        let o = v.as_object_mut()?;
        o.remove("upstream");
        o.remove("upstreamLock");
        o.remove("status");
        if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("name");
        }
        Some(v)
    };
    let mut paths: Vec<&String> = original.keys().chain(local.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| match (original.get(*p), local.get(*p)) {
            (Some(a), Some(b)) if is_kptfile(p) => strip(a) != strip(b) || strip(a).is_none(),
            (a, b) => a != b,
        })
        .cloned()
        .collect()
}

/// Parsed KRM files of one package version (files with a non-KRM
/// document are left to the file-level rules).
fn krm_files(files: &PackageFiles) -> BTreeMap<String, ResourceFile> {
    files
        .iter()
        .filter(|(p, _)| is_resource_file(p) && !is_kptfile(p))
        .filter_map(|(p, t)| {
            let f = ResourceFile::parse(p, t).ok()?;
            let krm = f.objects().all(|(_, o)| o.check_krm().is_ok());
            krm.then(|| (p.clone(), f))
        })
        .collect()
}

/// Directory of the package a file belongs to in a given version.
fn package_dir(files: &PackageFiles, path: &str) -> String {
    let mut dir = parent_dir(path);
    loop {
        if files.contains_key(&join(dir, KPTFILE)) || dir.is_empty() {
            return dir.to_string();
        }
        dir = parent_dir(dir);
    }
}

type Key = (String, String, String, String, String);

fn key_of(files: &PackageFiles, path: &str, obj: &KubeObject) -> Key {
    let (g, k, ns, n) = merge_comment::upstream_id(obj).merge_key();
    (package_dir(files, path), g, k, ns, n)
}

/// Every object of a version by identity, with its file.
fn objects(
    files: &PackageFiles,
    parsed: &BTreeMap<String, ResourceFile>,
) -> HashMap<Key, (String, KubeObject)> {
    let mut out = HashMap::new();
    for (path, f) in parsed {
        for (_, o) in f.objects() {
            out.entry(key_of(files, path, o))
                .or_insert_with(|| (path.clone(), o.clone()));
        }
    }
    out
}

fn resource_merge(
    original: &PackageFiles,
    upstream: &PackageFiles,
    local: &PackageFiles,
    crds: &[KubeObject],
) -> Result<PackageFiles, UpgradeError> {
    let (po, pu, mut pl) = (krm_files(original), krm_files(upstream), krm_files(local));
    let (oo, uo) = (objects(original, &po), objects(upstream, &pu));
    let mut schema = MergeSchema::with_crds(crds);
    for f in po.values().chain(pu.values()).chain(pl.values()) {
        for (_, o) in f.objects() {
            schema.add_crd(o);
        }
    }
    let mut out = PackageFiles::new();
    // Local resources: merge, keep or delete.
    let mut seen = std::collections::HashSet::new();
    for (path, file) in pl.iter_mut() {
        let mut kept = Vec::new();
        let had_objects = file.objects().next().is_some();
        for doc in file.documents.drain(..) {
            if doc.is_empty_document() {
                kept.push(doc);
                continue;
            }
            let key = key_of(local, path, &doc);
            seen.insert(key.clone());
            let (o, u) = (oo.get(&key).map(|x| &x.1), uo.get(&key).map(|x| &x.1));
            if o.is_some() && u.is_none() {
                continue;
            }
            if o.is_none() && u.is_none() {
                kept.push(doc);
                continue;
            }
            kept.push(merge_object(&schema, o, u, doc).map_err(edit_err(path))?);
        }
        if kept.len() != file.gaps.len() {
            file.gaps.clear();
        }
        file.documents = kept;
        if !had_objects || file.objects().next().is_some() {
            out.insert(path.clone(), file.text());
        }
    }
    // Resources added upstream go to the upstream's file.
    let mut added: BTreeMap<String, Vec<KubeObject>> = BTreeMap::new();
    for (path, f) in &pu {
        for (_, o) in f.objects() {
            let key = key_of(upstream, path, o);
            if !seen.contains(&key) && !oo.contains_key(&key) {
                added.entry(path.clone()).or_default().push(o.deep_copy());
            }
        }
    }
    for (path, objs) in added {
        let text = match out.get(&path) {
            Some(existing) => {
                let mut t = existing.clone();
                for o in &objs {
                    if !t.is_empty() {
                        if !t.ends_with('\n') {
                            t.push('\n');
                        }
                        t.push_str("---\n");
                    }
                    t.push_str(&o.body_text());
                }
                t
            }
            None if pu.get(&path).map(|f| f.objects().count()) == Some(objs.len()) => {
                upstream.get(&path).cloned().unwrap_or_default()
            }
            None => {
                let docs: Vec<String> = objs.iter().map(KubeObject::text).collect();
                crate::resource_file::join_documents("", &docs, "")
            }
        };
        out.insert(path, text);
    }
    // Kptfiles merge field-wise; other files follow kpt's file rules.
    let mut paths: Vec<&String> = original
        .keys()
        .chain(upstream.keys())
        .chain(local.keys())
        .collect();
    paths.sort();
    paths.dedup();
    for path in paths {
        if pl.contains_key(path) || (pu.contains_key(path) && !local.contains_key(path)) {
            continue;
        }
        let (o, u, l) = (original.get(path), upstream.get(path), local.get(path));
        if is_kptfile(path)
            && let (Some(u), Some(l)) = (u, l)
        {
            out.insert(
                path.clone(),
                merge_kptfile(&schema, o, u, l).map_err(edit_err(path))?,
            );
            continue;
        }
        let pick = match (o, u, l) {
            (_, _, Some(l)) if o != Some(l) => Some(l),
            (Some(_), u, Some(_)) => u,
            (None, u, None) => u,
            _ => None,
        };
        if let Some(text) = pick {
            out.insert(path.clone(), text.clone());
        }
    }
    Ok(out)
}

/// Merges the upstream change of one object into the local object, editing
/// the local text minimally.
fn merge_object(
    schema: &MergeSchema,
    o: Option<&KubeObject>,
    u: Option<&KubeObject>,
    mut l: KubeObject,
) -> Result<KubeObject, ObjectError> {
    let (ov, uv, lv) = (
        o.map(KubeObject::to_value).transpose()?,
        u.map(KubeObject::to_value).transpose()?,
        l.to_value()?,
    );
    let api = l.api_version().unwrap_or_default();
    let m = Merge3 {
        schema,
        group: split_api_version(&api).0.to_string(),
        kind: l.kind().unwrap_or_default(),
    };
    if let Some(merged) = m.merge(ov.as_ref(), uv.as_ref(), Some(&lv))
        && merged != lv
    {
        l.replace_root(&merged, u)?;
    }
    Ok(l)
}

fn merge_kptfile(
    schema: &MergeSchema,
    o: Option<&String>,
    u: &str,
    l: &str,
) -> Result<String, ObjectError> {
    let parse = |t: &str| KubeObject::parse(t);
    let o = o.map(|t| parse(t)).transpose()?;
    let u = parse(u)?;
    let mut l = parse(l)?;
    let name = l.name();
    l = merge_object(schema, o.as_ref(), Some(&u), l)?;
    if let Some(name) = name {
        edit::set_name(&mut l, &name)?;
    }
    Ok(l.text())
}
