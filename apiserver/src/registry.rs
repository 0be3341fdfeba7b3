//! The resource registry: what each served resource is (definition), how it
//! behaves (strategy), and the map the one generic REST path looks it up in.
//! Discovery and OpenAPI are generated from the same registry, so a resource
//! appears everywhere at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// A Table column (`TableColumnDefinition`).
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub type_: &'static str,
    pub format: &'static str,
    pub description: &'static str,
    pub priority: i32,
}

impl Column {
    pub const fn new(name: &'static str, type_: &'static str, description: &'static str) -> Self {
        Column {
            name,
            type_,
            format: "",
            description,
            priority: 0,
        }
    }
    pub const fn wide(mut self) -> Self {
        self.priority = 1;
        self
    }
    pub const fn format(mut self, format: &'static str) -> Self {
        self.format = format;
        self
    }
}

/// Static description of a served resource.
pub struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Subresources and their verbs (`status`, `approval`).
    pub subresources: &'static [(&'static str, &'static [&'static str])],
    /// Extra table columns after `Name`.
    pub columns: Vec<Column>,
    /// JSON schema of the object, for OpenAPI.
    pub schema: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    /// Selectable fields besides `metadata.name` and `metadata.namespace`.
    pub fields: &'static [&'static str],
    /// `metadata.generation` is maintained (bumped on spec changes).
    pub uses_generation: bool,
    /// Names must be DNS-1123 labels (otherwise subdomains).
    pub name_is_label: bool,
    /// PUT must carry `metadata.resourceVersion` (422 otherwise).
    pub requires_resource_version: bool,
}

impl ResourceDef {
    /// `group/version`, or just `version` for the core group.
    pub fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.contains(&verb)
    }

    pub fn subresource_verbs(&self, sub: &str) -> Option<&'static [&'static str]> {
        self.subresources
            .iter()
            .find(|(n, _)| *n == sub)
            .map(|(_, v)| *v)
    }

    /// Key prefix of this resource's objects in the Store.
    pub fn prefix(&self) -> String {
        let group = if self.group.is_empty() {
            "core"
        } else {
            self.group
        };
        format!(
            "{}{}/{}/",
            crate::storage::cache::REGISTRY_PREFIX,
            group,
            self.plural
        )
    }

    /// Store key of one object.
    pub fn key(&self, namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(ns) if self.namespaced => format!("{}{ns}/{name}", self.prefix()),
            _ => format!("{}{name}", self.prefix()),
        }
    }

    /// Store key prefix of one namespace's objects (or all).
    pub fn namespace_prefix(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if self.namespaced => format!("{}{ns}/", self.prefix()),
            _ => self.prefix(),
        }
    }
}

/// Result of decoding into the typed object: the normalised JSON and the unknown fields met.
pub struct Normalized {
    pub value: Value,
    pub unknown: Vec<String>,
}

/// Where a resource's writes go when its objects are not plain Store
/// records: PackageRevisions live in git, with only their metadata in the
/// Store. The generic path validates as usual and hands the write over here
/// at the point where it would write the Store.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// Write a new, validated object; returns it as stored.
    async fn create(
        &self,
        ctx: &crate::rest::Ctx,
        obj: Value,
    ) -> Result<Arc<crate::storage::cache::Cached>, ApiError>;

    /// Write `new` over `old` (also when the last finalizer of a terminating object goes).
    async fn update(
        &self,
        ctx: &crate::rest::Ctx,
        old: &Arc<crate::storage::cache::Cached>,
        new: Value,
    ) -> Result<Arc<crate::storage::cache::Cached>, ApiError>;

    /// Remove `old` for good; returns its last state.
    async fn delete(
        &self,
        ctx: &crate::rest::Ctx,
        old: &Arc<crate::storage::cache::Cached>,
    ) -> Result<Arc<crate::storage::cache::Cached>, ApiError>;
}

/// Per-resource behaviour plugged into the generic REST path (k8s.io/apiserver's RESTStrategy).
#[async_trait::async_trait]
pub trait Strategy: Send + Sync {
    fn def(&self) -> &ResourceDef;

    /// Round-trip through the typed object: applies serde defaults, drops nulls,
    /// and reports unknown fields for `fieldValidation`.
    fn normalize(&self, value: Value) -> Result<Normalized, String>;

    /// The writer of this resource's objects when it is not the Store alone.
    fn backend(&self) -> Option<&dyn Backend> {
        None
    }

    /// A name the server derives from the object (Porch's PackageRevision
    /// names); the client's `metadata.name` and `generateName` are then ignored.
    fn derive_name(&self, _obj: &Value) -> Result<Option<String>, ApiError> {
        Ok(None)
    }

    /// Defaults for a new object (after generic metadata defaulting).
    fn prepare_for_create(&self, _obj: &mut Value) {}

    /// Field errors of a new object.
    fn validate_create(&self, _obj: &Value) -> Vec<FieldError> {
        Vec::new()
    }

    /// Defaults for an update; `subresource` is `Some("status")` for status writes.
    fn prepare_for_update(&self, new: &mut Value, old: &Value, subresource: Option<&str>) {
        if self.def().subresource_verbs("status").is_some() {
            split_status(new, old, subresource);
        }
    }

    /// Whether an update is also checked with `validate_create` (the object
    /// rules); false where those rules concern creation only.
    fn validates_updates_as_creates(&self) -> bool {
        true
    }

    /// Field errors of an update.
    fn validate_update(&self, _new: &Value, _old: &Value) -> Vec<FieldError> {
        Vec::new()
    }

    /// Checks against other objects before a create is written (e.g. conflicts).
    async fn before_create(&self, _state: &AppState, _obj: &Value) -> Result<(), ApiError> {
        Ok(())
    }

    /// Checks against other objects before an update is written.
    async fn before_update(
        &self,
        _state: &AppState,
        _new: &Value,
        _old: &Value,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    /// May refuse a delete request (403 and the like).
    async fn before_delete(&self, _state: &AppState, _obj: &Value) -> Result<(), ApiError> {
        Ok(())
    }

    /// Runs just before the object is removed for good (cascades).
    async fn before_remove(&self, _state: &AppState, _obj: &Value) -> Result<(), ApiError> {
        Ok(())
    }

    /// A secondary index the watch cache keeps for this resource.
    fn index(&self) -> Option<crate::storage::index::IndexFn> {
        None
    }

    /// Selectable fields the watch cache indexes, so exact field selectors
    /// are answered from index keys instead of scans.
    fn indexed_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// For resources computed from another resource's objects (as
    /// PackageRevisionResources from PackageRevisions): that resource's plural,
    /// in the same group and version.
    fn derived_from(&self) -> Option<&'static str> {
        None
    }

    /// Compute this resource's object from a source object (see `derived_from`).
    async fn derive(
        &self,
        _state: &AppState,
        _source: &crate::storage::cache::Cached,
    ) -> Result<Value, ApiError> {
        Err(ApiError::NotFoundPath)
    }

    /// Table cells after `Name`, matching `def().columns`.
    fn cells(&self, obj: &Value) -> Vec<Value>;

    /// Whether `field` may be used in a field selector (besides `metadata.name`/`metadata.namespace`).
    fn supports_field(&self, field: &str) -> bool {
        self.def().fields.contains(&field)
    }

    /// The value a field requirement compares with, normalised as the
    /// resource defines it; `Ok(None)` drops the requirement, `Err` is a 400.
    fn field_requirement(
        &self,
        _field: &str,
        _equals: bool,
        value: &str,
    ) -> Result<Option<String>, String> {
        Ok(Some(value.to_string()))
    }

    /// Value of a selectable field (`def().fields`), as a string.
    fn field_value(&self, _obj: &Value, _field: &str) -> Option<String> {
        None
    }
}

/// Decode into `T` and back, collecting unknown field paths.
pub fn normalize_typed<T: DeserializeOwned + Serialize>(
    value: Value,
) -> Result<Normalized, String> {
    let mut unknown = Vec::new();
    let typed: T = serde_ignored::deserialize(value, |path| unknown.push(path.to_string()))
        .map_err(|e| e.to_string())?;
    let value = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    Ok(Normalized { value, unknown })
}

/// The `/status` subresource rule: a status write changes only `status`, a
/// write of the main resource never does.
pub fn split_status(new: &mut Value, old: &Value, subresource: Option<&str>) {
    let status = match subresource {
        Some("status") => {
            let status = new.get("status").cloned();
            *new = old.clone();
            status
        }
        _ => old.get("status").cloned(),
    };
    match status {
        Some(s) => new["status"] = s,
        None => {
            if let Some(o) = new.as_object_mut() {
                o.remove("status");
            }
        }
    }
}

/// Index entry of an exact field value within a namespace.
pub fn field_index_key(namespace: &str, field: &str, value: &str) -> String {
    format!("{namespace}/{field}={value}")
}

/// A JSON string at a dotted path.
pub fn str_at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(obj, |v, p| v.get(p))
        .and_then(Value::as_str)
}

/// All registered resources, by group, version and plural.
#[derive(Default, Clone)]
pub struct Registry {
    resources: BTreeMap<(String, String, String), Arc<dyn Strategy>>,
}

impl Registry {
    pub fn register(&mut self, strategy: Arc<dyn Strategy>) {
        let d = strategy.def();
        self.resources.insert(
            (
                d.group.to_string(),
                d.version.to_string(),
                d.plural.to_string(),
            ),
            strategy,
        );
    }

    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<&Arc<dyn Strategy>> {
        self.resources
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
    }

    /// Every resource, in (group, version, plural) order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Strategy>> {
        self.resources.values()
    }

    /// Distinct (group, version) pairs, non-core groups only.
    pub fn group_versions(&self) -> Vec<(&'static str, &'static str)> {
        let mut out: Vec<(&'static str, &'static str)> = Vec::new();
        for s in self.resources.values() {
            let d = s.def();
            if !d.group.is_empty() && !out.contains(&(d.group, d.version)) {
                out.push((d.group, d.version));
            }
        }
        out
    }

    /// The watch-cache indexes the strategies ask for, by key prefix.
    pub fn indexes(&self) -> Vec<(String, crate::storage::index::IndexFn)> {
        let mut out = Vec::new();
        for s in self.resources.values() {
            let own = s.index();
            if own.is_none() && s.indexed_fields().is_empty() {
                continue;
            }
            let strategy = Arc::clone(s);
            let f: crate::storage::index::IndexFn = Arc::new(move |obj: &Value| {
                let mut values = own.as_ref().map(|f| f(obj)).unwrap_or_default();
                let ns = obj
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                for field in strategy.indexed_fields() {
                    if let Some(v) = strategy.field_value(obj, field) {
                        values.push(field_index_key(ns, field, &v));
                    }
                }
                values
            });
            out.push((s.def().prefix(), f));
        }
        out
    }

    pub fn has_core(&self) -> bool {
        self.resources.values().any(|s| s.def().group.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_indexes_cover_indexed_fields() {
        let mut r = Registry::default();
        r.register(Arc::new(
            crate::resources::packagerevision::PackageRevisionStrategy::new(),
        ));
        let idx = r.indexes();
        assert_eq!(idx.len(), 1);
        let obj = serde_json::json!({"metadata": {"namespace": "ns"}, "spec": {"repository": "r", "packageName": "p"}});
        let values = (idx[0].1)(&obj);
        assert!(
            values.contains(&field_index_key("ns", "spec.repository", "r")),
            "{values:?}"
        );
        assert!(
            values.contains(&field_index_key("ns", "spec.packageName", "p")),
            "{values:?}"
        );
    }
}
