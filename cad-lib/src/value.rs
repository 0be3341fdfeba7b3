//! Conversion between the lossless YAML tree and plain JSON-like values.
//!
//! Functions, selectors, merges and typed models reason about *values*
//! (`serde_json::Value` with insertion order kept), while files are kept as a
//! lossless syntax tree. This module resolves scalars with the YAML 1.2 core
//! schema (as kyaml does) and renders values back to YAML text in kyaml's
//! style (2-space indent, compact sequences, single-quoted ambiguous strings).

use serde_json::{Map, Number, Value};
use yaml_edit::{Mapping, Scalar, Sequence, TaggedNode, YamlNode};

/// Why a YAML node has no plain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Aliases are not resolved: KRM packages do not use anchors, and
    /// silently expanding them would change what is written back.
    #[error("YAML alias `*{0}` is not supported in KRM resources")]
    Alias(String),
    /// A tagged node whose content cannot be read.
    #[error("tagged node {0} has no readable content")]
    Tagged(String),
    /// Rendering a value to YAML text failed.
    #[error("cannot render value as YAML: {0}")]
    Render(String),
}

/// Converts one node of the lossless tree into a plain value.
pub fn node_to_value(node: &YamlNode) -> Result<Value, ValueError> {
    match node {
        YamlNode::Scalar(s) => Ok(scalar_to_value(s, None)),
        YamlNode::Mapping(m) => mapping_to_value(m),
        YamlNode::Sequence(s) => sequence_to_value(s),
        YamlNode::Alias(a) => Err(ValueError::Alias(a.name())),
        YamlNode::TaggedNode(t) => tagged_to_value(t),
    }
}

/// Converts a mapping node into a JSON object; keys become their string form.
pub fn mapping_to_value(m: &Mapping) -> Result<Value, ValueError> {
    let mut out = Map::new();
    for (k, v) in m.iter() {
        out.insert(key_string(&k)?, node_to_value(&v)?);
    }
    Ok(Value::Object(out))
}

/// Converts a sequence node into a JSON array.
pub fn sequence_to_value(s: &Sequence) -> Result<Value, ValueError> {
    s.values()
        .map(|v| node_to_value(&v))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// The string form of a mapping key (scalars by content, others as YAML).
pub fn key_string(k: &YamlNode) -> Result<String, ValueError> {
    Ok(match k {
        YamlNode::Scalar(s) => s.as_string(),
        YamlNode::TaggedNode(t) => t.as_string().unwrap_or_else(|| t.to_string()),
        other => match node_to_value(other)? {
            Value::String(s) => s,
            v => v.to_string(),
        },
    })
}

fn tagged_to_value(t: &TaggedNode) -> Result<Value, ValueError> {
    let tag = t.resolved_tag().unwrap_or_default();
    if let Some(m) = t.as_mapping() {
        return mapping_to_value(&m);
    }
    if let Some(s) = t.as_sequence() {
        return sequence_to_value(&s);
    }
    match t.value() {
        Some(s) => Ok(scalar_to_value(&s, Some(&tag))),
        None => Err(ValueError::Tagged(tag)),
    }
}

/// Resolves a scalar with the YAML 1.2 core schema, honouring `!!` tags.
pub fn scalar_to_value(s: &Scalar, tag: Option<&str>) -> Value {
    let text = scalar_text(s);
    let plain = !s.is_quoted() && !s.is_block();
    match tag {
        Some("!!str") => return Value::String(text),
        Some("!!null") => return Value::Null,
        Some("!!bool") | Some("!!int") | Some("!!float") => {
            return resolve_plain(text.trim()).unwrap_or(Value::String(text));
        }
        _ => {}
    }
    if plain && let Some(v) = resolve_plain(&text) {
        return v;
    }
    Value::String(text)
}

/// The content of a scalar. A clipped block scalar that ends the stream
/// without a final line break has none in its value (YAML 1.2 §8.1.1.2).
pub fn scalar_text(s: &Scalar) -> String {
    let mut text = s.as_string();
    if s.is_block() && text.ends_with('\n') {
        let raw = s.value();
        let header = raw.lines().next().unwrap_or_default();
        if !header.contains('+') && !raw.ends_with('\n') {
            text.pop();
        }
    }
    text
}

/// Resolves the text of a plain scalar to null, bool, int or float.
pub fn resolve_plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Some(n);
    }
    parse_float(text)
}

fn parse_int(text: &str) -> Option<Value> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix == 10 {
        if neg {
            return text.parse::<i64>().ok().map(|n| Value::Number(n.into()));
        }
        if let Ok(n) = body.parse::<u64>() {
            return Some(Value::Number(n.into()));
        }
        return None;
    }
    let n = i64::from_str_radix(body, radix).ok()?;
    Some(Value::Number(if neg { -n } else { n }.into()))
}

fn parse_float(text: &str) -> Option<Value> {
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['-', '+']);
    if matches!(unsigned, ".inf" | ".nan") {
        // JSON cannot hold these: keep the original spelling as a string.
        return Some(Value::String(text.to_string()));
    }
    let first = unsigned.chars().next()?;
    if !(first.is_ascii_digit() || first == '.') {
        return None;
    }
    if !unsigned
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '-' | '+'))
    {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// The same value as a YAML value. Numbers are converted explicitly: with
/// serde_json's `arbitrary_precision` feature (which some crates in a build,
/// such as starlark, switch on for everyone) a JSON number serialises
/// through other formats as a private map instead of a number.
fn to_yaml_value(v: &Value) -> serde_norway::Value {
    use serde_norway::Value as Y;
    match v {
        Value::Null => Y::Null,
        Value::Bool(b) => Y::Bool(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Y::Number(u.into())
            } else if let Some(i) = n.as_i64() {
                Y::Number(i.into())
            } else {
                Y::Number(n.as_f64().unwrap_or_default().into())
            }
        }
        Value::String(s) => Y::String(s.clone()),
        Value::Array(a) => Y::Sequence(a.iter().map(to_yaml_value).collect()),
        Value::Object(o) => Y::Mapping(
            o.iter()
                .map(|(k, v)| (Y::String(k.clone()), to_yaml_value(v)))
                .collect(),
        ),
    }
}

/// Renders a value as YAML text in kyaml's block style (ends with a newline).
pub fn to_yaml_string(value: &Value) -> Result<String, ValueError> {
    serde_norway::to_string(&to_yaml_value(value)).map_err(|e| ValueError::Render(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn v(text: &str) -> Value {
        let doc = yaml_edit::Document::from_str(text).unwrap();
        mapping_to_value(&doc.as_mapping().unwrap()).unwrap()
    }

    #[test]
    fn scalars_resolve_like_the_core_schema() {
        let got = v(
            "a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: yes\ng: 0x10\nh: \"x\\ty\"\ni: |\n  l1\n  l2\nj: !!str 5\nk: -3\n",
        );
        assert_eq!(
            got,
            serde_json::json!({"a": 1, "b": "1", "c": true, "d": null, "e": 1.5, "f": "yes",
                "g": 16, "h": "x\ty", "i": "l1\nl2\n", "j": "5", "k": -3})
        );
    }

    #[test]
    fn rendering_quotes_ambiguous_strings() {
        let text =
            to_yaml_string(&serde_json::json!({"a": "true", "b": "0", "c": [1, "x"]})).unwrap();
        assert_eq!(
            v(&text),
            serde_json::json!({"a": "true", "b": "0", "c": [1, "x"]})
        );
    }
}
