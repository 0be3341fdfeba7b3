//! Reading a function's `functionConfig`: ConfigMap data, typed configs,
//! and the placeholders kpt sends when a step has no config.

use cad_lib::KubeObject;
use serde_json::{Map, Value};

use super::fields;

/// The kind of config a function received.
#[allow(clippy::enum_variant_names)] // `Config::ConfigMap` names the kind it holds
pub enum Config {
    /// No config, or kpt's empty `function-input` placeholder.
    Missing,
    /// A `v1 ConfigMap`: its `data` as strings.
    ConfigMap {
        /// `metadata.name`.
        name: String,
        /// `data`, every value as a string.
        data: Map<String, Value>,
    },
    /// Any other object: apiVersion, kind and the whole value.
    Typed {
        /// `apiVersion`.
        api_version: String,
        /// `kind`.
        kind: String,
        /// The object.
        value: Value,
    },
}

/// Classifies a function config.
pub fn read(fc: Option<&KubeObject>) -> Config {
    let Some(fc) = fc else {
        return Config::Missing;
    };
    let Ok(value) = fc.to_value() else {
        return Config::Missing;
    };
    let api_version = fields::get_str(&value, &["apiVersion"])
        .unwrap_or_default()
        .to_string();
    let kind = fields::get_str(&value, &["kind"])
        .unwrap_or_default()
        .to_string();
    let name = fields::get_str(&value, &["metadata", "name"])
        .unwrap_or_default()
        .to_string();
    if kind.is_empty() && name.is_empty() {
        return Config::Missing;
    }
    if kind == "ConfigMap" && (api_version == "v1" || api_version.is_empty()) {
        let data = string_map(fields::get(&value, &["data"]));
        if name == "function-input" && data.is_empty() {
            return Config::Missing;
        }
        return Config::ConfigMap { name, data };
    }
    Config::Typed {
        api_version,
        kind,
        value,
    }
}

/// A mapping with every scalar rendered as a string (ConfigMap semantics).
pub fn string_map(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(scalar_string(v))))
            .collect(),
        _ => Map::new(),
    }
}

/// The string form of a scalar (`null` → empty).
pub fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A string from a ConfigMap's data.
pub fn data_str<'a>(data: &'a Map<String, Value>, key: &str) -> &'a str {
    data.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Whether a typed config has the given group and kind.
pub fn is_kind(api_version: &str, kind: &str, group: &str, want_kind: &str) -> bool {
    kind == want_kind && fields::group(api_version) == group
}
