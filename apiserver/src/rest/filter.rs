//! Label and field selectors of list and watch requests, checked against the
//! fields a resource declares selectable.

use std::collections::BTreeMap;
use std::sync::Arc;

use porch_apimachinery::fields::{FieldOperator, FieldSelector};
use porch_apimachinery::labels::LabelSelector;
use serde_json::Value;

use super::query::Query;
use crate::error::ApiError;
use crate::registry::Strategy;

/// One field requirement after the strategy normalised its value.
struct FieldReq {
    field: String,
    equals: bool,
    value: String,
}

/// Which objects a list or watch wants.
pub struct Filter {
    labels: Option<LabelSelector>,
    fields: Vec<FieldReq>,
    strategy: Arc<dyn Strategy>,
}

impl Filter {
    /// Parse `labelSelector` and `fieldSelector`; 400 on bad syntax or unsupported fields.
    pub fn from_query(
        query: &Query,
        strategy: Arc<dyn Strategy>,
        url_namespace: Option<&str>,
    ) -> Result<Filter, ApiError> {
        let labels = match query.get("labelSelector").filter(|s| !s.trim().is_empty()) {
            Some(s) => {
                Some(LabelSelector::parse(s).map_err(|e| ApiError::BadRequest(e.to_string()))?)
            }
            None => None,
        };
        let mut fields = Vec::new();
        if let Some(s) = query.get("fieldSelector").filter(|s| !s.trim().is_empty()) {
            let sel = FieldSelector::parse(s).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            for r in sel.requirements() {
                let f = r.field.as_str();
                let generic = f == "metadata.name" || f == "metadata.namespace";
                if !generic && !strategy.supports_field(f) {
                    return Err(ApiError::BadRequest(format!(
                        "field label not supported: {f}"
                    )));
                }
                let equals = r.operator == FieldOperator::Equals;
                if f == "metadata.namespace"
                    && equals
                    && let Some(ns) = url_namespace.filter(|ns| *ns != r.value)
                {
                    return Err(ApiError::BadRequest(format!(
                        "the namespace of the field selector ({}) does not match the namespace of the request ({ns})",
                        r.value
                    )));
                }
                let value = if generic {
                    Some(r.value.clone())
                } else {
                    strategy
                        .field_requirement(f, equals, &r.value)
                        .map_err(ApiError::BadRequest)?
                };
                if let Some(value) = value {
                    fields.push(FieldReq {
                        field: f.to_string(),
                        equals,
                        value,
                    });
                }
            }
        }
        Ok(Filter {
            labels,
            fields,
            strategy,
        })
    }

    /// True when neither selector constrains anything.
    pub fn is_everything(&self) -> bool {
        self.labels.is_none() && self.fields.is_empty()
    }

    /// An exact `metadata.name` wanted, for direct lookups.
    pub fn exact_name(&self) -> Option<&str> {
        self.exact("metadata.name")
    }

    /// The value an equality requirement on `field` asks for.
    pub fn exact(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|r| r.equals && r.field == field)
            .map(|r| r.value.as_str())
    }

    pub fn matches(&self, obj: &Value) -> bool {
        if let Some(sel) = &self.labels {
            let labels: BTreeMap<String, String> = obj
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            if !sel.matches(&labels) {
                return false;
            }
        }
        self.fields.iter().all(|r| {
            let actual = match r.field.as_str() {
                "metadata.name" => obj
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                "metadata.namespace" => Some(
                    obj.pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                ),
                other => self.strategy.field_value(obj, other),
            };
            (actual.as_deref() == Some(r.value.as_str())) == r.equals
        })
    }
}
