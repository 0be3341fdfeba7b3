//! Minimal server-side apply and `managedFields` bookkeeping (kube-api.md §6.4).
//!
//! There is no Rust port of structured-merge-diff, so this keeps to a
//! schema-less subset that is exact for Porch's types (which declare no list
//! merge keys):
//!
//! - A field set is the set of *leaf* paths of an object: scalars, lists
//!   (always atomic: `"f:items":{}`), and empty objects. Maps/structs are
//!   traversed. Sets are written in the FieldsV1 trie format; `"."` is written
//!   only for a path that is both a member and has members below it. When
//!   reading FieldsV1 written by Kubernetes, `k:`/`v:`/`i:` list-item keys are
//!   folded into ownership of the whole list.
//! - `apiVersion`, `kind`, `metadata.name`, `metadata.namespace` and the
//!   system metadata (`uid`, `resourceVersion`, `creationTimestamp`,
//!   `generation`, `managedFields`, `selfLink`, `deletionTimestamp`,
//!   `deletionGracePeriodSeconds`) are never owned, merged over or removed.
//! - Apply merges the applied configuration into the live object (objects
//!   recursively, everything else replaced; `null` in the applied config is
//!   ignored), then removes fields the applier owned before but no longer
//!   applies, unless another manager owns them or something related to them;
//!   objects emptied by such removals are pruned.
//! - A conflict is a field owned by another manager (any other entry,
//!   including `Update` entries of the same name) whose value the apply would
//!   change; `force` moves those fields to the applier. Equal values are shared.
//! - Not implemented: version conversion of field sets, the
//!   `before-first-apply` manager for objects without managedFields, apply on
//!   subresources, and reset fields (callers strip e.g. `status` first).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};
use thiserror::Error;

use crate::meta::ManagedFieldsEntry;
use crate::status::{Status, StatusCause};

/// A field path from the object root, e.g. `["spec", "description"]`.
pub type FieldPath = Vec<String>;

/// Renders a path as Kubernetes prints it in conflicts: `.spec.description`.
pub fn path_string(path: &[String]) -> String {
    path.iter().map(|p| format!(".{p}")).collect()
}

/// A set of field paths (what one manager owns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet(BTreeSet<FieldPath>);

impl FieldSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a path; returns whether it was new.
    pub fn insert(&mut self, path: FieldPath) -> bool {
        self.0.insert(path)
    }

    /// Removes a path; returns whether it was present.
    pub fn remove(&mut self, path: &[String]) -> bool {
        self.0.remove(path)
    }

    /// Whether the exact path is a member.
    pub fn contains(&self, path: &[String]) -> bool {
        self.0.contains(path)
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Members in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &FieldPath> {
        self.0.iter()
    }

    /// Members of either set.
    pub fn union(&self, other: &Self) -> Self {
        Self(self.0.union(&other.0).cloned().collect())
    }

    /// Members of `self` not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        Self(self.0.difference(&other.0).cloned().collect())
    }

    /// Members of both sets.
    pub fn intersection(&self, other: &Self) -> Self {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    /// Members equal to, above or below `path` (they describe overlapping data).
    pub fn related<'a>(&'a self, path: &'a [String]) -> impl Iterator<Item = &'a FieldPath> + 'a {
        let ancestors = (0..path.len()).filter_map(move |n| self.0.get(&path[..n]));
        let below = self
            .0
            .range::<[String], _>((std::ops::Bound::Included(path), std::ops::Bound::Unbounded))
            .take_while(move |p| p.starts_with(path));
        ancestors.chain(below)
    }

    /// Whether any member is equal to, above or below `path`.
    pub fn overlaps(&self, path: &[String]) -> bool {
        self.related(path).next().is_some()
    }

    /// Parses a FieldsV1 trie (`{"f:spec":{"f:x":{}}}`), folding list-item keys into the list.
    pub fn from_fields_v1(v: &Value) -> Self {
        let mut set = Self::new();
        read_trie(v, &mut Vec::new(), &mut set);
        set
    }

    /// Writes the set as a FieldsV1 trie.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = TrieNode::default();
        for path in &self.0 {
            let node = path.iter().fold(&mut root, |n, seg| {
                n.children.entry(seg.clone()).or_default()
            });
            node.member = true;
        }
        root.to_value(true)
    }
}

/// A node of the FieldsV1 trie while it is being written.
#[derive(Default)]
struct TrieNode {
    member: bool,
    children: std::collections::BTreeMap<String, TrieNode>,
}

impl TrieNode {
    fn to_value(&self, is_root: bool) -> Value {
        let mut m = Map::new();
        if self.member && !is_root && !self.children.is_empty() {
            m.insert(".".into(), Value::Object(Map::new()));
        }
        for (k, child) in &self.children {
            m.insert(format!("f:{k}"), child.to_value(false));
        }
        Value::Object(m)
    }
}

fn read_trie(v: &Value, path: &mut FieldPath, set: &mut FieldSet) {
    let Some(map) = v.as_object() else { return };
    if map.is_empty() && !path.is_empty() {
        set.insert(path.clone());
        return;
    }
    for (k, child) in map {
        if k == "." {
            if !path.is_empty() {
                set.insert(path.clone());
            }
        } else if let Some(name) = k.strip_prefix("f:") {
            path.push(name.to_string());
            read_trie(child, path, set);
            path.pop();
        } else if !path.is_empty() {
            // k:{..}, v:.., i:N — list items; lists are atomic here.
            set.insert(path.clone());
        }
    }
}

/// Paths that identify the object; never owned, and kept from the live object.
fn is_identity(path: &[String]) -> bool {
    match path {
        [a] => a == "apiVersion" || a == "kind" || a == "metadata",
        [m, f] => m == "metadata" && (f == "name" || f == "namespace"),
        _ => false,
    }
}

/// Server-maintained metadata; never owned, merged or removed.
fn is_system(path: &[String]) -> bool {
    matches!(path, [m, f] if m == "metadata" && matches!(f.as_str(),
        "uid" | "resourceVersion" | "creationTimestamp" | "generation" | "managedFields"
            | "selfLink" | "deletionTimestamp" | "deletionGracePeriodSeconds"))
}

/// The leaf paths of an object, without identity and system metadata.
pub fn fields_of(value: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    if let Value::Object(m) = value {
        collect_leaves(m, &mut Vec::new(), &mut set);
    }
    set
}

fn collect_leaves(map: &Map<String, Value>, path: &mut FieldPath, set: &mut FieldSet) {
    for (k, v) in map {
        path.push(k.clone());
        if !is_identity(path) && !is_system(path) {
            match v {
                Value::Null => {}
                Value::Object(m) if !m.is_empty() => collect_leaves(m, path, set),
                _ => {
                    set.insert(path.clone());
                }
            }
        } else if let (true, Value::Object(m)) = (path.len() == 1 && k == "metadata", v) {
            collect_leaves(m, path, set);
        }
        path.pop();
    }
}

fn get<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(v, |cur, seg| cur.as_object()?.get(seg))
}

/// Removes `path` and prunes objects left empty above it (never the root or `metadata`).
fn remove_path(v: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let Some(Value::Object(m)) = parent
        .iter()
        .try_fold(&mut *v, |cur, seg| cur.as_object_mut()?.get_mut(seg))
    else {
        return;
    };
    if m.shift_remove(last).is_none() {
        return;
    }
    if m.is_empty() && !parent.is_empty() && parent != ["metadata"] {
        remove_path(v, parent);
    }
}

/// Deep-merges `applied` into `target`: objects recursively, others replaced, nulls ignored.
fn merge_into(
    target: &mut Value,
    applied: &Map<String, Value>,
    path: &mut FieldPath,
    keep_identity: bool,
) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    for (k, v) in applied {
        path.push(k.clone());
        let skip = is_system(path)
            || (keep_identity && is_identity(path) && !matches!(v, Value::Object(_)));
        if !skip {
            match v {
                Value::Null => {}
                Value::Object(child) => {
                    let slot = t
                        .entry(k.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    merge_into(slot, child, path, keep_identity);
                }
                other => {
                    t.insert(k.clone(), other.clone());
                }
            }
        }
        path.pop();
    }
}

/// One field owned by another manager that an apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The manager as Kubernetes prints it: `"name"` or `"name" using v1`.
    pub manager: String,
    /// The field, e.g. `.spec.description`.
    pub path: String,
}

/// Why an apply was refused (409 Conflict).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApplyError {
    /// Fields owned by other managers would change and `force` was false.
    #[error("{0}")]
    Conflicts(ApplyConflicts),
    /// The applied configuration is not a JSON object.
    #[error("apply configuration must be a JSON object")]
    NotAnObject,
}

/// The conflicts of a refused apply, with kube-apiserver's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyConflicts {
    /// Conflicts sorted by manager, then path.
    pub conflicts: Vec<Conflict>,
}

impl fmt::Display for ApplyConflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.conflicts;
        if let [one] = c.as_slice() {
            return write!(
                f,
                "Apply failed with 1 conflict: conflict with {}: {}",
                one.manager, one.path
            );
        }
        write!(f, "Apply failed with {} conflicts: ", c.len())?;
        let mut lines: Vec<String> = Vec::new();
        let mut last: Option<&str> = None;
        for conflict in c {
            if last != Some(conflict.manager.as_str()) {
                lines.push(format!("conflicts with {}:", conflict.manager));
                last = Some(&conflict.manager);
            }
            lines.push(format!("- {}", conflict.path));
        }
        f.write_str(&lines.join("\n"))
    }
}

impl ApplyConflicts {
    /// The 409 `Status` kube-apiserver sends, with one `FieldManagerConflict` cause per field.
    pub fn to_status(&self) -> Status {
        let causes = self
            .conflicts
            .iter()
            .map(|c| StatusCause {
                reason: "FieldManagerConflict".into(),
                message: format!("conflict with {}", c.manager),
                field: c.path.clone(),
            })
            .collect();
        Status::apply_conflict(self.to_string(), causes)
    }
}

/// The outcome of a successful apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyResult {
    /// The merged object, with `metadata.managedFields` set to `managed_fields`.
    pub object: Value,
    /// The new managedFields.
    pub managed_fields: Vec<ManagedFieldsEntry>,
}

/// How Kubernetes names a manager in conflict messages.
fn print_manager(e: &ManagedFieldsEntry) -> String {
    let mut s = crate::field_error::go_quote(e.manager.as_deref().unwrap_or(""));
    if let Some(sub) = e.subresource.as_deref().filter(|s| !s.is_empty()) {
        s.push_str(&format!(
            " with subresource {}",
            crate::field_error::go_quote(sub)
        ));
    }
    if e.operation.as_deref() == Some("Update") {
        s.push_str(&format!(
            " using {}",
            e.api_version.as_deref().unwrap_or("")
        ));
    }
    s
}

fn entry_set(e: &ManagedFieldsEntry) -> FieldSet {
    e.fields_v1
        .as_ref()
        .map(FieldSet::from_fields_v1)
        .unwrap_or_default()
}

fn sub(e: &ManagedFieldsEntry) -> &str {
    e.subresource.as_deref().unwrap_or("")
}

fn new_entry(
    manager: &str,
    operation: &str,
    api_version: &str,
    now: &str,
    subresource: &str,
    set: &FieldSet,
) -> ManagedFieldsEntry {
    ManagedFieldsEntry {
        manager: Some(manager.into()),
        operation: Some(operation.into()),
        api_version: Some(api_version.into()),
        time: Some(now.into()),
        fields_type: Some("FieldsV1".into()),
        fields_v1: Some(set.to_fields_v1()),
        subresource: (!subresource.is_empty()).then(|| subresource.to_string()),
    }
}

/// Kubernetes' managedFields order: operation, time, manager, apiVersion, subresource.
fn sort_entries(entries: &mut [ManagedFieldsEntry]) {
    entries.sort_by(|a, b| {
        (&a.operation, &a.time, &a.manager, &a.api_version, sub(a)).cmp(&(
            &b.operation,
            &b.time,
            &b.manager,
            &b.api_version,
            sub(b),
        ))
    });
}

/// Writes `entries` to `metadata.managedFields` (removing the key when empty).
pub fn set_managed_fields(obj: &mut Value, entries: &[ManagedFieldsEntry]) {
    if let Value::Object(root) = obj {
        let meta = root
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = meta {
            if entries.is_empty() {
                m.shift_remove("managedFields");
            } else {
                m.insert(
                    "managedFields".into(),
                    serde_json::to_value(entries).unwrap_or(Value::Null),
                );
            }
        }
    }
}

/// Server-side apply of `applied` by `manager` over `live` (absent = create).
#[allow(clippy::too_many_arguments)]
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    managed: &[ManagedFieldsEntry],
    api_version: &str,
    now: &str,
) -> Result<ApplyResult, ApplyError> {
    let Value::Object(applied_map) = applied else {
        return Err(ApplyError::NotAnObject);
    };
    let applied_set = fields_of(applied);
    let is_mine = |e: &ManagedFieldsEntry| {
        e.manager.as_deref() == Some(manager)
            && e.operation.as_deref() == Some("Apply")
            && sub(e).is_empty()
    };

    let mut merged = live.cloned().unwrap_or_else(|| Value::Object(Map::new()));
    merge_into(&mut merged, applied_map, &mut Vec::new(), live.is_some());
    let null = Value::Null;
    let before = live.unwrap_or(&null);

    // Conflicts: another manager's field that overlaps the applied set and changes value.
    let mut others: Vec<(ManagedFieldsEntry, FieldSet)> = Vec::new();
    let mut previous = FieldSet::new();
    for e in managed {
        if is_mine(e) {
            previous = previous.union(&entry_set(e));
        } else {
            others.push((e.clone(), entry_set(e)));
        }
    }
    let mut conflicts = Vec::new();
    let mut taken: Vec<FieldSet> = vec![FieldSet::new(); others.len()];
    for (i, (e, set)) in others.iter().enumerate() {
        for q in set.iter() {
            if applied_set.overlaps(q) && get(before, q) != get(&merged, q) {
                conflicts.push(Conflict {
                    manager: print_manager(e),
                    path: path_string(q),
                });
                taken[i].insert(q.clone());
            }
        }
    }
    if !conflicts.is_empty() && !force {
        conflicts.sort_by(|a, b| (&a.manager, &a.path).cmp(&(&b.manager, &b.path)));
        conflicts.dedup();
        return Err(ApplyError::Conflicts(ApplyConflicts { conflicts }));
    }
    for ((_, set), t) in others.iter_mut().zip(&taken) {
        *set = set.difference(t);
    }

    // Fields this manager applied before but not now: remove unless someone else holds them.
    for r in previous.difference(&applied_set).iter() {
        let held = applied_set.overlaps(r) || others.iter().any(|(_, s)| s.overlaps(r));
        if !held && !is_identity(r) && !is_system(r) {
            remove_path(&mut merged, r);
        }
    }

    let mut entries: Vec<ManagedFieldsEntry> = Vec::new();
    for ((mut e, set), t) in others.into_iter().zip(taken) {
        if set.is_empty() {
            continue;
        }
        if !t.is_empty() {
            e.fields_v1 = Some(set.to_fields_v1());
        }
        entries.push(e);
    }
    if !applied_set.is_empty() {
        entries.push(new_entry(
            manager,
            "Apply",
            api_version,
            now,
            "",
            &applied_set,
        ));
    }
    sort_entries(&mut entries);
    set_managed_fields(&mut merged, &entries);
    Ok(ApplyResult {
        object: merged,
        managed_fields: entries,
    })
}

/// managedFields after a non-apply write (create, update, merge/JSON patch) by `manager`:
/// added or changed fields move to it, removed fields leave every manager, entries left
/// empty are dropped.
#[allow(clippy::too_many_arguments)]
pub fn update_managed_fields(
    old: Option<&Value>,
    new: &Value,
    manager: &str,
    operation: &str,
    subresource: Option<&str>,
    managed: &[ManagedFieldsEntry],
    api_version: &str,
    now: &str,
) -> Vec<ManagedFieldsEntry> {
    let subresource = subresource.unwrap_or("");
    let new_set = fields_of(new);
    let old_set = old.map(fields_of).unwrap_or_default();
    let touched = FieldSet(
        new_set
            .iter()
            .filter(|p| old.and_then(|o| get(o, p)) != get(new, p))
            .cloned()
            .collect(),
    );
    let removed = old_set.difference(&new_set);

    let is_mine = |e: &ManagedFieldsEntry| {
        e.manager.as_deref() == Some(manager)
            && e.operation.as_deref() == Some(operation)
            && e.api_version.as_deref() == Some(api_version)
            && sub(e) == subresource
    };
    let mut entries = Vec::new();
    let mut mine: Option<ManagedFieldsEntry> = None;
    for e in managed {
        if is_mine(e) {
            mine = Some(e.clone());
            continue;
        }
        let set = entry_set(e);
        let kept = set.difference(&touched).difference(&removed);
        if kept.is_empty() {
            continue;
        }
        let mut e = e.clone();
        if kept != set {
            e.fields_v1 = Some(kept.to_fields_v1());
        }
        entries.push(e);
    }
    let prev = mine.as_ref().map(entry_set).unwrap_or_default();
    if touched.is_empty() && prev.intersection(&removed).is_empty() {
        entries.extend(mine.filter(|_| !prev.is_empty()));
    } else {
        let set = prev.union(&touched).difference(&removed);
        if !set.is_empty() {
            entries.push(new_entry(
                manager,
                operation,
                api_version,
                now,
                subresource,
                &set,
            ));
        }
    }
    sort_entries(&mut entries);
    entries
}

#[cfg(test)]
#[path = "ssa/apply_test.rs"]
mod tests;
