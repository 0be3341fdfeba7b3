//! Label and field selectors of list and watch requests, checked against the
//! fields a resource declares selectable.

use std::collections::BTreeMap;
use std::sync::Arc;

use porch_apimachinery::fields::FieldSelector;
use porch_apimachinery::labels::LabelSelector;
use serde_json::Value;

use super::query::Query;
use crate::error::ApiError;
use crate::registry::Strategy;

/// Which objects a list or watch wants.
pub struct Filter {
    labels: Option<LabelSelector>,
    fields: Option<FieldSelector>,
    strategy: Arc<dyn Strategy>,
}

impl Filter {
    /// Parse `labelSelector` and `fieldSelector`; 400 on bad syntax or unsupported fields.
    pub fn from_query(
        query: &Query,
        strategy: Arc<dyn Strategy>,
        url_namespace: Option<&str>,
    ) -> Result<Filter, ApiError> {
        let labels =
            match query.get("labelSelector").filter(|s| !s.trim().is_empty()) {
                Some(s) => Some(LabelSelector::parse(s).map_err(|e| {
                    ApiError::BadRequest(format!("unable to parse requirement: {e}"))
                })?),
                None => None,
            };
        let fields = match query.get("fieldSelector").filter(|s| !s.trim().is_empty()) {
            Some(s) => {
                let sel =
                    FieldSelector::parse(s).map_err(|e| ApiError::BadRequest(e.to_string()))?;
                let def = strategy.def();
                for r in sel.requirements() {
                    let f = r.field.as_str();
                    if f != "metadata.name" && f != "metadata.namespace" && !def.fields.contains(&f)
                    {
                        return Err(ApiError::BadRequest(format!(
                            "field label not supported: {f}"
                        )));
                    }
                }
                if let (Some(ns), Some(want)) = (url_namespace, sel.exact("metadata.namespace")) {
                    if ns != want {
                        return Err(ApiError::BadRequest(format!(
                            "the namespace of the field selector ({want}) does not match the namespace of the request ({ns})"
                        )));
                    }
                }
                Some(sel)
            }
            None => None,
        };
        Ok(Filter {
            labels,
            fields,
            strategy,
        })
    }

    /// True when neither selector constrains anything.
    pub fn is_everything(&self) -> bool {
        self.labels.is_none() && self.fields.is_none()
    }

    /// An exact `metadata.name` wanted, for direct lookups.
    pub fn exact_name(&self) -> Option<&str> {
        self.fields.as_ref().and_then(|f| f.exact("metadata.name"))
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
        if let Some(sel) = &self.fields {
            let strategy = &self.strategy;
            return sel.matches(|field| match field {
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
                other => strategy.field_value(obj, other),
            });
        }
        true
    }
}
