//! Bring the Store's PackageRevision and PorchPackage objects of one
//! Repository in line with what git holds: create what is new, rewrite what
//! changed (keeping user metadata and the resourceVersion of everything that
//! did not), delete what is gone. Every write is a compare-and-swap, so a
//! concurrent writer or replica simply makes the next round redo its part.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::materialize::Desired;
use crate::registry::{Strategy, field_index_key};
use crate::resources::packagerevision::LATEST_LABEL;
use crate::state::AppState;
use crate::storage::cache::Cached;
use crate::storage::objects::WriteError;

/// What one reconcile pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
}

/// Put `source`'s metadata on `desired`: its labels (but the latest label,
/// which stays `desired`'s) and `fields`; with `replace`, fields `source`
/// lacks are removed from `desired` too.
fn carry_metadata(desired: &mut Value, source: &Value, fields: &[&str], replace: bool) {
    let Some(new_meta) = desired.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let mut labels: Map<String, Value> = source
        .get("labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.remove(LATEST_LABEL);
    if let Some(l) = new_meta.get("labels").and_then(Value::as_object) {
        labels.extend(l.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    new_meta.insert("labels".into(), Value::Object(labels));
    for f in fields {
        match source.get(*f).filter(|v| !v.is_null()) {
            Some(v) => {
                new_meta.insert((*f).into(), v.clone());
            }
            None if replace => {
                new_meta.remove(*f);
            }
            None => {}
        }
    }
}

/// Metadata users set, which the Store keeps outside git.
const USER_METADATA: &[&str] = &[
    "annotations",
    "finalizers",
    "ownerReferences",
    "managedFields",
    "deletionTimestamp",
];

/// Metadata the server keeps across rewrites: what users set (labels but the
/// latest label, annotations, finalizers, owner references) and creation time.
fn merge_metadata(desired: &mut Value, old: &Value) {
    let Some(old_meta) = old.get("metadata") else {
        return;
    };
    carry_metadata(desired, old_meta, USER_METADATA, false);
    carry_metadata(desired, old_meta, &["creationTimestamp"], false);
}

fn comparable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        if m.get("labels")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            m.remove("labels");
        }
    }
    v
}

/// Reconcile one resource's objects of one repository in one namespace.
/// Objects written after `since` (a Store revision) are left alone: the
/// discovery behind `desired` may predate them, and the next round sees them.
pub async fn reconcile(
    state: &AppState,
    strategy: &Arc<dyn Strategy>,
    namespace: &str,
    repository: &str,
    desired: Desired,
    now: &str,
    since: u64,
) -> Changes {
    let def = strategy.def();
    let existing: BTreeMap<String, Arc<Cached>> = state
        .objects
        .cache()
        .indexed(
            &def.prefix(),
            &field_index_key(namespace, "spec.repository", repository),
        )
        .into_iter()
        .map(|c| (c.key.clone(), c))
        .collect();
    let mut changes = Changes::default();
    let wanted: HashSet<String> = desired
        .keys()
        .map(|name| def.key(Some(namespace), name))
        .collect();
    for (name, obj) in desired {
        let key = def.key(Some(namespace), &name);
        let old = existing.get(&key);
        if old.is_some_and(|o| o.rv > since) {
            continue;
        }
        match write_one(state, &key, old, obj, None, now).await {
            Ok(Written::Created(_)) => changes.created += 1,
            Ok(Written::Updated(_)) => changes.updated += 1,
            Ok(_) => {}
            Err(e) => log_write(&key, e),
        }
    }
    for (key, old) in existing {
        if wanted.contains(&key) || old.rv > since {
            continue;
        }
        match state.objects.delete(&key, &old.value, old.rv).await {
            Ok(_) => changes.deleted += 1,
            Err(e) => log_write(&key, e),
        }
    }
    changes
}

/// What happened to one object.
#[derive(Debug, Clone)]
pub enum Written {
    Created(Arc<Cached>),
    Updated(Arc<Cached>),
    Unchanged(Arc<Cached>),
    Deleted(Arc<Cached>),
}

impl Written {
    /// The object as it now is (its last state for a deletion).
    pub fn object(&self) -> &Arc<Cached> {
        match self {
            Written::Created(c)
            | Written::Updated(c)
            | Written::Unchanged(c)
            | Written::Deleted(c) => c,
        }
    }
}

/// Metadata a request set, replacing what the Store kept (the latest label
/// stays the server's).
fn override_metadata(desired: &mut Value, meta: &Value) {
    carry_metadata(desired, meta, USER_METADATA, true);
}

/// Create or rewrite one object as `desired` (keeping server-kept metadata
/// of `old`, or taking `meta` from a request).
async fn write_one(
    state: &AppState,
    key: &str,
    old: Option<&Arc<Cached>>,
    mut obj: Value,
    meta: Option<&Value>,
    now: &str,
) -> Result<Written, WriteError> {
    match old {
        None => {
            if let Some(meta) = meta {
                override_metadata(&mut obj, meta);
            }
            if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                m.insert("creationTimestamp".into(), json!(now));
            }
            let obj = comparable(&obj);
            state.objects.create(key, &obj).await.map(Written::Created)
        }
        Some(old) => {
            match meta {
                Some(meta) => {
                    override_metadata(&mut obj, meta);
                    if let (Some(m), Some(ts)) = (
                        obj.get_mut("metadata").and_then(Value::as_object_mut),
                        old.value.pointer("/metadata/creationTimestamp"),
                    ) {
                        m.insert("creationTimestamp".into(), ts.clone());
                    }
                }
                None => merge_metadata(&mut obj, &old.value),
            }
            if comparable(&obj) == comparable(&old.value) {
                return Ok(Written::Unchanged(Arc::clone(old)));
            }
            let obj = comparable(&obj);
            state
                .objects
                .update(key, &obj, old.rv)
                .await
                .map(Written::Updated)
        }
    }
}

/// The latest label of `desired` on `old`, everything else as it is.
fn with_latest_of(old: &Value, desired: &Value) -> Value {
    let mut v = old.clone();
    let latest = desired
        .pointer("/metadata/labels")
        .and_then(|l| l.get(LATEST_LABEL))
        .cloned();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = m.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            match latest {
                Some(x) => {
                    l.insert(LATEST_LABEL.into(), x);
                }
                None => {
                    l.remove(LATEST_LABEL);
                }
            }
        }
    }
    comparable(&v)
}

/// Bring the objects of one package in line with `desired` right after a
/// write to git: every write is retried on a concurrent change, and the
/// request's metadata (`overrides`, by name) replaces what the Store kept.
/// Only the `affected` objects (all when `None`) are created, rewritten or
/// deleted; the others only follow the latest label, so a cache that has
/// not yet fetched another replica's writes never undoes them.
/// Returns what happened to each object, by name.
#[allow(clippy::too_many_arguments)]
pub async fn reconcile_package(
    state: &AppState,
    strategy: &Arc<dyn Strategy>,
    namespace: &str,
    repository: &str,
    package_path: &str,
    desired: Desired,
    overrides: &BTreeMap<String, Value>,
    affected: Option<&HashSet<String>>,
    now: &str,
) -> Result<BTreeMap<String, Written>, crate::error::ApiError> {
    let def = strategy.def();
    let cache = state.objects.cache();
    let index = field_index_key(namespace, "spec.packageName", package_path);
    let in_scope = |c: &Arc<Cached>| {
        c.value.pointer("/spec/repository").and_then(Value::as_str) == Some(repository)
            && c.value.pointer("/spec/packageName").and_then(Value::as_str) == Some(package_path)
    };
    let mut out = BTreeMap::new();
    let mut names: Vec<String> = desired.keys().cloned().collect();
    for c in cache.indexed(&def.prefix(), &index) {
        if in_scope(&c)
            && let Some(n) = c.value.pointer("/metadata/name").and_then(Value::as_str)
            && !desired.contains_key(n)
        {
            names.push(n.to_string());
        }
    }
    for name in names {
        let key = def.key(Some(namespace), &name);
        let free = affected.is_none_or(|a| a.contains(&name));
        for attempt in 0.. {
            let old = cache.get(&key).filter(in_scope);
            let result = match (free, desired.get(&name), &old) {
                (false, Some(d), Some(o)) => {
                    let v = with_latest_of(&o.value, d);
                    if v == comparable(&o.value) {
                        Ok(Written::Unchanged(Arc::clone(o)))
                    } else {
                        state
                            .objects
                            .update(&key, &v, o.rv)
                            .await
                            .map(Written::Updated)
                    }
                }
                (false, _, _) => break,
                _ => match desired.get(&name) {
                    Some(obj) => {
                        write_one(
                            state,
                            &key,
                            old.as_ref(),
                            obj.clone(),
                            overrides.get(&name),
                            now,
                        )
                        .await
                    }
                    None => match &old {
                        Some(old) => state
                            .objects
                            .delete(&key, &old.value, old.rv)
                            .await
                            .map(Written::Deleted),
                        None => break,
                    },
                },
            };
            match result {
                Ok(w) => {
                    out.insert(name.clone(), w);
                    break;
                }
                Err(WriteError::Stale | WriteError::Exists | WriteError::Missing)
                    if attempt < 8 =>
                {
                    cache.sync().await?;
                }
                Err(WriteError::Api(e)) => return Err(e),
                Err(_) => {
                    return Err(crate::error::ApiError::Internal(format!(
                        "{key} keeps changing concurrently"
                    )));
                }
            }
        }
    }
    Ok(out)
}

fn log_write(key: &str, e: WriteError) {
    match e {
        // Someone else wrote it meanwhile: the next round compares again.
        WriteError::Exists | WriteError::Stale | WriteError::Missing => {
            tracing::debug!(%key, "concurrent change; retried on the next sync")
        }
        WriteError::Api(e) => tracing::warn!(%key, error = %e, "writing a synced object failed"),
    }
}

/// Remove every object of a repository (the Repository is gone).
pub async fn remove_all(
    state: &AppState,
    strategy: &Arc<dyn Strategy>,
    namespace: &str,
    repository: &str,
    now: &str,
) -> Changes {
    reconcile(
        state,
        strategy,
        namespace,
        repository,
        Desired::new(),
        now,
        u64::MAX,
    )
    .await
}
