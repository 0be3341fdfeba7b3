//! Bring the Store's PackageRevision and PorchPackage objects of one
//! Repository in line with what git holds: create what is new, rewrite what
//! changed (keeping user metadata and the resourceVersion of everything that
//! did not), delete what is gone. Every write is a compare-and-swap, so a
//! concurrent writer or replica simply makes the next round redo its part.

use std::collections::BTreeMap;
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

/// Metadata the server keeps across rewrites: what users set (labels but the
/// latest label, annotations, finalizers, owner references) and creation time.
fn merge_metadata(desired: &mut Value, old: &Value) {
    let Some(new_meta) = desired.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(old_meta) = old.get("metadata").and_then(Value::as_object) else {
        return;
    };
    let mut labels: Map<String, Value> = old_meta
        .get("labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.remove(LATEST_LABEL);
    if let Some(l) = new_meta.get("labels").and_then(Value::as_object) {
        labels.extend(l.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    new_meta.insert("labels".into(), Value::Object(labels));
    for f in [
        "annotations",
        "finalizers",
        "ownerReferences",
        "creationTimestamp",
        "managedFields",
        "deletionTimestamp",
    ] {
        if let Some(v) = old_meta.get(f) {
            new_meta.insert(f.into(), v.clone());
        }
    }
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
pub async fn reconcile(
    state: &AppState,
    strategy: &Arc<dyn Strategy>,
    namespace: &str,
    repository: &str,
    desired: Desired,
    now: &str,
) -> Changes {
    let def = strategy.def();
    let cache = state.objects.cache();
    let existing: BTreeMap<String, Arc<Cached>> = cache
        .indexed(
            &def.prefix(),
            &field_index_key(namespace, "spec.repository", repository),
        )
        .into_iter()
        .map(|c| (c.key.clone(), c))
        .collect();
    let mut changes = Changes::default();
    let mut wanted = Vec::new();
    for (name, mut obj) in desired {
        let key = def.key(Some(namespace), &name);
        wanted.push(key.clone());
        match existing.get(&key) {
            None => {
                if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.insert("creationTimestamp".into(), json!(now));
                    if m.get("labels")
                        .and_then(Value::as_object)
                        .is_some_and(Map::is_empty)
                    {
                        m.remove("labels");
                    }
                }
                match state.objects.create(&key, &obj).await {
                    Ok(_) => changes.created += 1,
                    Err(e) => log_write(&key, e),
                }
            }
            Some(old) => {
                merge_metadata(&mut obj, &old.value);
                if comparable(&obj) == comparable(&old.value) {
                    continue;
                }
                let obj = comparable(&obj);
                match state.objects.update(&key, &obj, old.rv).await {
                    Ok(_) => changes.updated += 1,
                    Err(e) => log_write(&key, e),
                }
            }
        }
    }
    for (key, old) in existing {
        if wanted.contains(&key) {
            continue;
        }
        match state.objects.delete(&key, &old.value, old.rv).await {
            Ok(_) => changes.deleted += 1,
            Err(e) => log_write(&key, e),
        }
    }
    changes
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
    reconcile(state, strategy, namespace, repository, Desired::new(), now).await
}
