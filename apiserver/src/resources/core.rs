//! Core `v1` Namespaces and Secrets, served only in standalone mode (no
//! kube-apiserver to own them) so kubectl and porchctl flows work unchanged.

use base64::Engine;
use porch_api::core::{Namespace, Secret};
use serde_json::{Value, json};

use crate::error::{ApiError, FieldError, Subject};
use crate::registry::{Column, Normalized, ResourceDef, Strategy, normalize_typed, str_at};
use crate::state::AppState;
use crate::storage::objects::WriteError;

const CORE_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

/// Namespaces: cluster-scoped; deleting one deletes what is in it.
pub struct NamespaceStrategy {
    def: ResourceDef,
}

impl NamespaceStrategy {
    pub fn new() -> Self {
        NamespaceStrategy {
            def: ResourceDef {
                group: "",
                version: "v1",
                kind: "Namespace",
                plural: "namespaces",
                singular: "namespace",
                namespaced: false,
                short_names: &["ns"],
                verbs: CORE_VERBS,
                subresources: &[],
                columns: vec![
                    Column::new("Status", "string", "The status of the namespace"),
                    Column::new("Age", "date", "CreationTimestamp of the object"),
                ],
                schema: |g| g.subschema_for::<Namespace>(),
                fields: &["status.phase"],
                uses_generation: false,
                name_is_label: true,
                requires_resource_version: false,
            },
        }
    }
}

impl Default for NamespaceStrategy {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl Strategy for NamespaceStrategy {
    fn def(&self) -> &ResourceDef {
        &self.def
    }

    fn normalize(&self, value: Value) -> Result<Normalized, String> {
        normalize_typed::<Namespace>(value)
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        obj["spec"] = json!({"finalizers": ["kubernetes"]});
        obj["status"] = json!({"phase": "Active"});
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value, _sub: Option<&str>) {
        for f in ["spec", "status"] {
            if let Some(v) = old.get(f) {
                new[f] = v.clone();
            }
        }
    }

    async fn before_delete(&self, _state: &AppState, obj: &Value) -> Result<(), ApiError> {
        let name = str_at(obj, &["metadata", "name"]).unwrap_or_default();
        if name == "default" || name == "kube-system" {
            return Err(ApiError::Forbidden {
                message: format!(
                    "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
                ),
                subject: Some(Subject::new("", "namespaces", name)),
            });
        }
        Ok(())
    }

    async fn before_remove(&self, state: &AppState, obj: &Value) -> Result<(), ApiError> {
        let ns = str_at(obj, &["metadata", "name"]).unwrap_or_default();
        for s in state.registry.all() {
            let d = s.def();
            if !d.namespaced {
                continue;
            }
            let (items, _) = state
                .objects
                .cache()
                .range(&d.namespace_prefix(Some(ns)), None);
            for item in items {
                match state.objects.delete(&item.key, &item.value, item.rv).await {
                    Ok(_) | Err(WriteError::Missing) | Err(WriteError::Stale) => {}
                    Err(WriteError::Api(e)) => return Err(e),
                    Err(WriteError::Exists) => {}
                }
            }
        }
        Ok(())
    }

    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            obj.pointer("/status/phase")
                .cloned()
                .unwrap_or(json!("Active")),
            obj.pointer("/metadata/creationTimestamp")
                .cloned()
                .unwrap_or(Value::Null),
        ]
    }

    fn field_value(&self, obj: &Value, field: &str) -> Option<String> {
        (field == "status.phase").then(|| {
            str_at(obj, &["status", "phase"])
                .unwrap_or("Active")
                .to_string()
        })
    }
}

/// Secrets: `stringData` folded into `data`, default type Opaque, `immutable` honoured.
pub struct SecretStrategy {
    def: ResourceDef,
}

impl SecretStrategy {
    pub fn new() -> Self {
        SecretStrategy {
            def: ResourceDef {
                group: "",
                version: "v1",
                kind: "Secret",
                plural: "secrets",
                singular: "secret",
                namespaced: true,
                short_names: &[],
                verbs: &[
                    "create",
                    "delete",
                    "deletecollection",
                    "get",
                    "list",
                    "patch",
                    "update",
                    "watch",
                ],
                subresources: &[],
                columns: vec![
                    Column::new("Type", "string", "The type of the secret"),
                    Column::new("Data", "string", "The number of data items in the secret"),
                    Column::new("Age", "date", "CreationTimestamp of the object"),
                ],
                schema: |g| g.subschema_for::<Secret>(),
                fields: &["type"],
                uses_generation: false,
                name_is_label: false,
                requires_resource_version: false,
            },
        }
    }
}

impl Default for SecretStrategy {
    fn default() -> Self {
        Self::new()
    }
}

fn fold_string_data(obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    if let Some(Value::Object(sd)) = o.remove("stringData") {
        let data = o.entry("data").or_insert_with(|| json!({}));
        if let Some(data) = data.as_object_mut() {
            for (k, v) in sd {
                let text = v.as_str().unwrap_or_default();
                data.insert(
                    k,
                    json!(base64::engine::general_purpose::STANDARD.encode(text)),
                );
            }
        }
    }
    if o.get("type")
        .is_none_or(|t| t.as_str().is_none_or(|s| s.is_empty()))
    {
        o.insert("type".into(), json!("Opaque"));
    }
}

fn validate_data(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(data) = obj.get("data").and_then(Value::as_object) {
        for (k, v) in data {
            let ok_key = !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
            if !ok_key {
                errs.push(FieldError::invalid(
                    format!("data[{k}]"),
                    k.as_str(),
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                ));
            }
            if base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap_or_default())
                .is_err()
            {
                errs.push(FieldError::invalid(
                    format!("data[{k}]"),
                    "<secret contents redacted>",
                    "illegal base64 data",
                ));
            }
        }
    }
    if str_at(obj, &["type"]) == Some("kubernetes.io/basic-auth") {
        let data = obj.get("data").and_then(Value::as_object);
        if !data.is_some_and(|d| d.contains_key("username") || d.contains_key("password")) {
            errs.push(FieldError::required(
                "data[username]",
                "either username or password is required for this secret type",
            ));
        }
    }
    errs
}

#[async_trait::async_trait]
impl Strategy for SecretStrategy {
    fn def(&self) -> &ResourceDef {
        &self.def
    }

    fn normalize(&self, value: Value) -> Result<Normalized, String> {
        normalize_typed::<Secret>(value)
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        fold_string_data(obj);
    }

    fn prepare_for_update(&self, new: &mut Value, _old: &Value, _sub: Option<&str>) {
        fold_string_data(new);
    }

    fn validate_create(&self, obj: &Value) -> Vec<FieldError> {
        validate_data(obj)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if old.get("type") != new.get("type") {
            errs.push(FieldError::invalid(
                "type",
                str_at(new, &["type"]).unwrap_or_default(),
                "field is immutable",
            ));
        }
        if old.get("immutable") == Some(&json!(true)) {
            if old.get("data") != new.get("data") {
                errs.push(FieldError::forbidden(
                    "data",
                    "field is immutable when `immutable` is set",
                ));
            }
            if new.get("immutable") != Some(&json!(true)) {
                errs.push(FieldError::forbidden(
                    "immutable",
                    "field is immutable when `immutable` is set",
                ));
            }
        }
        errs
    }

    fn cells(&self, obj: &Value) -> Vec<Value> {
        let n = obj
            .get("data")
            .and_then(Value::as_object)
            .map_or(0, |d| d.len());
        vec![
            obj.get("type").cloned().unwrap_or(json!("Opaque")),
            json!(n),
            obj.pointer("/metadata/creationTimestamp")
                .cloned()
                .unwrap_or(Value::Null),
        ]
    }

    fn field_value(&self, obj: &Value, field: &str) -> Option<String> {
        (field == "type").then(|| str_at(obj, &["type"]).unwrap_or_default().to_string())
    }
}
