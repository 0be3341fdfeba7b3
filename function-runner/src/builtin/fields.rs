//! Reading and writing nested fields of plain values, and applying value
//! edits to lossless objects.
//!
//! Functions compute on `serde_json::Value`s; [`edit`] writes the result
//! back with the fewest tree edits, so comments and layout survive.

use cad_lib::KubeObject;
use serde_json::{Map, Value};

/// The value at `path` (mapping keys), if present.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.as_object()?.get(*k))
}

/// The string at `path`, if it is one.
pub fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path)?.as_str()
}

/// The mutable value at `path`, if present.
pub fn get_mut<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(v, |cur, k| cur.as_object_mut()?.get_mut(*k))
}

/// The mapping at `path`, created (with its parents) when missing or null;
/// `Err` names the first segment that holds something else.
pub fn ensure_map<'a>(
    v: &'a mut Value,
    path: &[&str],
) -> Result<&'a mut Map<String, Value>, String> {
    let mut cur = v;
    for (i, k) in path.iter().enumerate() {
        if cur.is_null() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else {
            return Err(path[..i].join("."));
        };
        cur = m.entry(k.to_string()).or_insert(Value::Null);
    }
    if cur.is_null() {
        *cur = Value::Object(Map::new());
    }
    match cur {
        Value::Object(m) => Ok(m),
        _ => Err(path.join(".")),
    }
}

/// Sets `path` to `value`, creating parent mappings.
pub fn set(v: &mut Value, path: &[&str], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        *v = value;
        return Ok(());
    };
    ensure_map(v, parents)?.insert(last.to_string(), value);
    Ok(())
}

/// Why an edit could not be written back.
#[derive(Debug, thiserror::Error)]
#[error("cannot update {what}: {source}")]
pub struct EditError {
    what: String,
    source: cad_lib::ObjectError,
}

/// Runs `f` on the object's value and writes back what changed.
pub fn edit<T>(obj: &mut KubeObject, f: impl FnOnce(&mut Value) -> T) -> Result<T, EditError> {
    let mut v = obj.to_value().map_err(|e| EditError {
        what: describe(obj),
        source: e.into(),
    })?;
    let before = v.clone();
    let out = f(&mut v);
    if v != before {
        obj.replace_root(&v, None).map_err(|source| EditError {
            what: describe(obj),
            source,
        })?;
    }
    Ok(out)
}

/// `Kind/name` of an object, for messages.
pub fn describe(obj: &KubeObject) -> String {
    format!(
        "{}/{}",
        obj.kind().unwrap_or_default(),
        obj.name().unwrap_or_default()
    )
}

/// `group` of an `apiVersion`.
pub fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Calls `f` on every value at a kustomize field-spec path, where a
/// segment `name[]` steps into each item of the list `name`.
pub fn for_each_at(v: &mut Value, path: &[String], f: &mut dyn FnMut(&mut Value)) {
    let Some((first, rest)) = path.split_first() else {
        f(v);
        return;
    };
    if let Some(name) = first.strip_suffix("[]") {
        if let Some(Value::Array(items)) = v.as_object_mut().and_then(|m| m.get_mut(name)) {
            for item in items.iter_mut() {
                for_each_at(item, rest, f);
            }
        }
    } else if let Some(next) = v.as_object_mut().and_then(|m| m.get_mut(first.as_str())) {
        for_each_at(next, rest, f);
    }
}

/// The parts of an object most functions look at, read in one pass over
/// the top-level mapping (each separate lookup walks the tree again).
#[derive(Debug, Clone, Default)]
pub struct Head {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata` as a value (`Null` when absent).
    pub meta: Value,
}

impl Head {
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        get_str(&self.meta, &["name"]).unwrap_or_default()
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> &str {
        get_str(&self.meta, &["namespace"]).unwrap_or_default()
    }

    /// One annotation.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        get_str(&self.meta, &["annotations", key])
    }

    /// Whether the object is local-config.
    pub fn is_local_config(&self) -> bool {
        self.annotation(cad_lib::annotations::LOCAL_CONFIG) == Some("true")
    }
}

/// Reads [`Head`] of an object.
pub fn head(o: &KubeObject) -> Head {
    let Some(m) = o.root_mapping() else {
        return Head::default();
    };
    let text = |k: &str| match m.get(k) {
        Some(yaml_edit::YamlNode::Scalar(s)) => cad_lib::value::scalar_text(&s),
        _ => String::new(),
    };
    Head {
        api_version: text("apiVersion"),
        kind: text("kind"),
        meta: m
            .get("metadata")
            .and_then(|n| cad_lib::value::node_to_value(&n).ok())
            .unwrap_or(Value::Null),
    }
}

/// Sets a string field, rewriting only the scalar's text when the field
/// already holds a plain scalar and the new value needs no quoting.
pub fn set_string(
    o: &mut KubeObject,
    path: &[&str],
    value: &str,
) -> Result<(), cad_lib::ObjectError> {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'))
        && cad_lib::value::resolve_plain(value).is_none();
    if plain
        && let Some(yaml_edit::YamlNode::Scalar(s)) = o.node_at(path)
        && !s.is_quoted()
        && !s.is_block()
        && !s.is_null()
    {
        s.set_value(value);
        return Ok(());
    }
    o.set_str(path, value)
}
