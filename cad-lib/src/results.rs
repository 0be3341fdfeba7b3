//! Function results: per-call result items and the aggregated
//! `FunctionResultList` that render reports (kpt's `kpt.dev/v1` schema).
//!
//! Functions in the wild emit a few legacy shapes; they are accepted on
//! input and normalised, so callers only ever see the current one.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// How serious a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails validation.
    Error,
    /// Worth a look.
    Warning,
    /// Informational (the default).
    #[default]
    Info,
}

/// The object a result is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// `apiVersion` of the object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `kind` of the object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `metadata.name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `metadata.namespace`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

impl<'de> Deserialize<'de> for ResourceRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Accepts both `name` and the legacy `metadata.name` forms.
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Raw {
            api_version: String,
            kind: String,
            name: String,
            namespace: String,
            metadata: Option<Meta>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Meta {
            name: String,
            namespace: String,
        }
        let raw = Raw::deserialize(d)?;
        let meta = raw.metadata.unwrap_or_default();
        Ok(ResourceRef {
            api_version: raw.api_version,
            kind: raw.kind,
            name: if raw.name.is_empty() {
                meta.name
            } else {
                raw.name
            },
            namespace: if raw.namespace.is_empty() {
                meta.namespace
            } else {
                raw.namespace
            },
        })
    }
}

/// The field a result is about.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    /// Dotted path of the field.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Value found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_value: Option<Value>,
    /// Value suggested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_value: Option<Value>,
}

impl<'de> Deserialize<'de> for FieldRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Accepts the legacy `suggestedValue` for `proposedValue`.
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Raw {
            path: String,
            current_value: Option<Value>,
            proposed_value: Option<Value>,
            suggested_value: Option<Value>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(FieldRef {
            path: raw.path,
            current_value: raw.current_value,
            proposed_value: raw.proposed_value.or(raw.suggested_value),
        })
    }
}

/// The file a result is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FileRef {
    /// Package-relative path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Document index in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
}

/// One result reported by a function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResultItem {
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Severity (`info` when absent).
    #[serde(default)]
    pub severity: Severity,
    /// Object concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_ref: Option<ResourceRef>,
    /// Field concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldRef>,
    /// File concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileRef>,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Reads a `results` value in any accepted shape: a list, or a legacy
/// `{items: [...]}` wrapper.
pub fn results_from_value(value: Value) -> Result<Vec<ResultItem>, serde_json::Error> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Object(mut o) if o.contains_key("items") => {
            results_from_value(o.remove("items").unwrap_or(Value::Null))
        }
        other => serde_json::from_value(other),
    }
}

/// What one executed function reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FunctionResult {
    /// Resolved image reference (container functions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Command line (exec functions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<String>,
    /// What the function wrote to stderr.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Exit code (0 = success).
    #[serde(default)]
    pub exit_code: i32,
    /// Structured results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ResultItem>,
}

/// Aggregated results of a render (`kpt.dev/v1 FunctionResultList`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionResultList {
    /// Always `kpt.dev/v1`.
    pub api_version: String,
    /// Always `FunctionResultList`.
    pub kind: String,
    /// `{name: fnresults}`.
    pub metadata: BTreeMap<String, String>,
    /// 1 if any executed function failed, else 0.
    pub exit_code: i32,
    /// One entry per executed function, in execution order.
    #[serde(default)]
    pub items: Vec<FunctionResult>,
}

impl Default for FunctionResultList {
    fn default() -> Self {
        Self {
            api_version: "kpt.dev/v1".to_string(),
            kind: "FunctionResultList".to_string(),
            metadata: BTreeMap::from([("name".to_string(), "fnresults".to_string())]),
            exit_code: 0,
            items: Vec::new(),
        }
    }
}

impl FunctionResultList {
    /// Records one function's outcome, keeping `exitCode` in step.
    pub fn push(&mut self, result: FunctionResult) {
        if result.exit_code != 0 {
            self.exit_code = 1;
        }
        self.items.push(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_shapes_are_normalised() {
        let items = results_from_value(json!({"items": [{
            "message": "m", "severity": "error",
            "resourceRef": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}},
            "field": {"path": "data.x", "suggestedValue": 3}
        }]}))
        .unwrap();
        assert_eq!(items[0].resource_ref.as_ref().unwrap().name, "c");
        assert_eq!(
            items[0].field.as_ref().unwrap().proposed_value,
            Some(json!(3))
        );
        assert_eq!(items[0].severity, Severity::Error);
    }

    #[test]
    fn a_failure_sets_the_list_exit_code() {
        let mut list = FunctionResultList::default();
        list.push(FunctionResult {
            exit_code: 1,
            ..Default::default()
        });
        assert_eq!(list.exit_code, 1);
    }
}
