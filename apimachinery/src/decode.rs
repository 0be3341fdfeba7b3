//! Request body decoding with Kubernetes' `fieldValidation` semantics.
//!
//! Bodies are parsed into a `serde_json::Value` while recording duplicate
//! object keys (last one wins, as in Go), then deserialised into the target
//! type while recording unknown fields (`serde_ignored`). Depending on the
//! mode these become a `strict decoding error: …` (Strict), warnings with the
//! same texts (Warn) or nothing (Ignore). Paths are dotted from the root with
//! `[i]` for list items, as kube-apiserver prints them.
//!
//! Limits: unknown fields under `#[serde(flatten)]` or internally tagged enums
//! are not seen (serde buffers them); free-form `Value`/map fields accept any key
//! by design. Strict errors list unknown fields first, then duplicates, each in
//! document order.

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use thiserror::Error;

use crate::field_error::FieldError;

/// The `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Drop unknown fields, accept duplicates silently.
    Ignore,
    /// Accept, but report problems as `Warning` headers (the server default).
    #[default]
    Warn,
    /// Reject the request on any unknown or duplicate field.
    Strict,
}

impl FieldValidation {
    /// Parses the query value; empty means `Warn`. An unknown value yields the
    /// field error kube-apiserver reports (wrap it as an Invalid `CreateOptions`/… status).
    #[allow(clippy::result_large_err)] // a cold path; the error is wrapped in a Status at once
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match value {
            "" | "Warn" => Ok(Self::Warn),
            "Ignore" => Ok(Self::Ignore),
            "Strict" => Ok(Self::Strict),
            other => Err(FieldError::not_supported(
                "fieldValidation",
                other,
                &["", "Ignore", "Strict", "Warn"],
            )),
        }
    }
}

/// A decoded body plus the warnings `Warn` mode produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<T> {
    /// The decoded value.
    pub value: T,
    /// Warning texts such as `unknown field "spec.foo"`, for `Warning: 299` headers.
    pub warnings: Vec<String>,
}

/// Why a body could not be decoded (all are 400 BadRequest in Kubernetes).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Not well-formed JSON / YAML; the message carries line and column.
    #[error("{0}")]
    Syntax(String),
    /// Well-formed, but the wrong shape for the type (`spec.x: invalid type: …`).
    #[error("{0}")]
    Type(String),
    /// Unknown or duplicate fields under `fieldValidation=Strict`.
    #[error("strict decoding error: {}", .0.join(", "))]
    Strict(Vec<String>),
}

/// Decodes a JSON body into `T` under the given field validation mode.
pub fn decode_json<T: DeserializeOwned>(
    bytes: &[u8],
    mode: FieldValidation,
) -> Result<Decoded<T>, DecodeError> {
    let (value, duplicates) = parse_json_tracking(bytes)?;
    finish(value, duplicates, mode)
}

/// Decodes an already-parsed value (e.g. a patched object) into `T`; only unknown fields apply.
pub fn decode_value<T: DeserializeOwned>(
    value: Value,
    mode: FieldValidation,
) -> Result<Decoded<T>, DecodeError> {
    finish(value, Vec::new(), mode)
}

/// Parses JSON into a `Value`, applying the duplicate-key rules of `mode`
/// (used for patch bodies, which have no schema of their own).
pub fn parse_json(bytes: &[u8], mode: FieldValidation) -> Result<Decoded<Value>, DecodeError> {
    let (value, duplicates) = parse_json_tracking(bytes)?;
    let problems: Vec<String> = duplicates
        .iter()
        .map(|p| format!("duplicate field \"{p}\""))
        .collect();
    report(value, problems, mode)
}

/// Converts a YAML (or JSON) body, e.g. an apply patch, to a JSON `Value`.
/// Multi-document input and non-string keys are rejected.
pub fn yaml_to_json(bytes: &[u8]) -> Result<Value, DecodeError> {
    let v: serde_norway::Value = serde_norway::from_slice(bytes)
        .map_err(|e| DecodeError::Syntax(format!("error parsing YAML: {e}")))?;
    yaml_value_to_json(v, &mut String::new())
}

fn yaml_value_to_json(v: serde_norway::Value, path: &mut String) -> Result<Value, DecodeError> {
    use serde_norway::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(Number::from_f64(f).ok_or_else(|| {
                    DecodeError::Type(format!(
                        "{}: {f} is not representable in JSON",
                        display_path(path)
                    ))
                })?)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(yaml_value_to_json(item, path)?);
                path.truncate(len);
            }
            Value::Array(out)
        }
        Y::Mapping(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    _ => {
                        return Err(DecodeError::Type(format!(
                            "{}: object keys must be strings",
                            display_path(path)
                        )));
                    }
                };
                let len = path.len();
                push_key(path, &key);
                let value = yaml_value_to_json(v, path)?;
                path.truncate(len);
                out.insert(key, value);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_value_to_json(t.value, path)?,
    })
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "." } else { path }
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

fn parse_json_tracking(bytes: &[u8]) -> Result<(Value, Vec<String>), DecodeError> {
    let syntax = |e: serde_json::Error| DecodeError::Syntax(format!("error decoding JSON: {e}"));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut duplicates = Vec::new();
    let value = ValueSeed {
        path: String::new(),
        duplicates: &mut duplicates,
    }
    .deserialize(&mut de)
    .map_err(syntax)?;
    de.end().map_err(syntax)?;
    Ok((value, duplicates))
}

fn finish<T: DeserializeOwned>(
    value: Value,
    duplicates: Vec<String>,
    mode: FieldValidation,
) -> Result<Decoded<T>, DecodeError> {
    let mut unknown = Vec::new();
    let mut on_ignored = |p: serde_ignored::Path<'_>| {
        if mode != FieldValidation::Ignore {
            unknown.push(ignored_path(&p));
        }
    };
    let de = serde_ignored::Deserializer::new(value, &mut on_ignored);
    let typed: T =
        serde_path_to_error::deserialize(de).map_err(|e| DecodeError::Type(e.to_string()))?;
    let mut problems: Vec<String> = unknown
        .iter()
        .map(|p| format!("unknown field \"{p}\""))
        .collect();
    problems.extend(
        duplicates
            .iter()
            .map(|p| format!("duplicate field \"{p}\"")),
    );
    report(typed, problems, mode)
}

fn report<T>(
    value: T,
    problems: Vec<String>,
    mode: FieldValidation,
) -> Result<Decoded<T>, DecodeError> {
    match mode {
        FieldValidation::Strict if !problems.is_empty() => Err(DecodeError::Strict(problems)),
        FieldValidation::Warn => Ok(Decoded {
            value,
            warnings: problems,
        }),
        _ => Ok(Decoded {
            value,
            warnings: Vec::new(),
        }),
    }
}

/// Renders a `serde_ignored` path as `spec.items[0].foo`.
fn ignored_path(p: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match p {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        P::Map { parent, key } => {
            let mut s = ignored_path(parent);
            push_key(&mut s, key);
            s
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            ignored_path(parent)
        }
    }
}

/// Builds a `Value` from any self-describing input, recording duplicate keys.
struct ValueSeed<'a> {
    path: String,
    duplicates: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let path = format!("{}[{}]", self.path, out.len());
            match seq.next_element_seed(ValueSeed {
                path,
                duplicates: &mut *self.duplicates,
            })? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let mut path = self.path.clone();
            push_key(&mut path, &key);
            let value = map.next_value_seed(ValueSeed {
                path: path.clone(),
                duplicates: &mut *self.duplicates,
            })?;
            if out.insert(key, value).is_some() {
                self.duplicates.push(path);
            }
        }
        // With serde_json's `arbitrary_precision` (switched on for the whole
        // build by the starlark crate) numbers arrive as this one-entry map.
        if out.len() == 1
            && let Some(Value::String(digits)) = out.get(ARBITRARY_PRECISION_TOKEN)
            && let Ok(n) = digits.parse::<serde_json::Number>()
        {
            return Ok(Value::Number(n));
        }
        Ok(Value::Object(out))
    }
}

/// The private map key serde_json uses for numbers under `arbitrary_precision`.
const ARBITRARY_PRECISION_TOKEN: &str = "$serde_json::private::Number";

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(rename_all = "camelCase")]
    struct Obj {
        #[serde(default)]
        api_version: String,
        #[serde(default)]
        metadata: Meta,
        #[serde(default)]
        spec: Spec,
    }
    #[derive(Debug, Deserialize, PartialEq, Default)]
    struct Meta {
        #[serde(default)]
        name: String,
        #[serde(default)]
        labels: std::collections::BTreeMap<String, String>,
    }
    #[derive(Debug, Deserialize, PartialEq, Default)]
    struct Spec {
        #[serde(default)]
        revision: Option<i64>,
        #[serde(default)]
        tasks: Vec<Task>,
        #[serde(default)]
        free: Option<Value>,
    }
    #[derive(Debug, Deserialize, PartialEq, Default)]
    struct Task {
        #[serde(rename = "type")]
        type_: String,
    }

    const BAD: &str = r#"{"apiVersion":"v1","metadata":{"name":"a","name":"b"},"spec":{"foo":1,"tasks":[{"type":"init","bar":2}]}}"#;

    #[test]
    fn strict_reports_unknown_and_duplicate() {
        let e = decode_json::<Obj>(BAD.as_bytes(), FieldValidation::Strict).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"strict decoding error: unknown field "spec.foo", unknown field "spec.tasks[0].bar", duplicate field "metadata.name""#
        );
        let e = decode_json::<Obj>(
            br#"{"spec":{"foo":1},"metadata":{"name":"a","name":"b"}}"#,
            FieldValidation::Strict,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"strict decoding error: unknown field "spec.foo", duplicate field "metadata.name""#
        );
    }

    #[test]
    fn warn_returns_value_and_warnings() {
        let d = decode_json::<Obj>(BAD.as_bytes(), FieldValidation::Warn).unwrap();
        assert_eq!(d.value.metadata.name, "b", "last duplicate wins");
        assert_eq!(d.value.spec.tasks[0].type_, "init");
        assert_eq!(
            d.warnings,
            vec![
                r#"unknown field "spec.foo""#.to_string(),
                r#"unknown field "spec.tasks[0].bar""#.to_string(),
                r#"duplicate field "metadata.name""#.to_string()
            ]
        );
    }

    #[test]
    fn ignore_drops_everything() {
        let d = decode_json::<Obj>(BAD.as_bytes(), FieldValidation::Ignore).unwrap();
        assert!(d.warnings.is_empty());
        assert_eq!(d.value.metadata.name, "b");
    }

    #[test]
    fn clean_body_and_free_form_fields() {
        let body = br#"{"apiVersion":"v1","metadata":{"labels":{"any":"x"}},"spec":{"revision":3,"free":{"x":{"y":1}}}}"#;
        let d = decode_json::<Obj>(body, FieldValidation::Strict).unwrap();
        assert!(d.warnings.is_empty());
        assert_eq!(d.value.spec.revision, Some(3));
        assert_eq!(d.value.spec.free, Some(json!({"x":{"y":1}})));
    }

    #[test]
    fn duplicates_in_free_form_and_nested_lists() {
        let body =
            br#"{"spec":{"free":{"a":1,"a":2},"tasks":[{"type":"x"},{"type":"y","type":"z"}]}}"#;
        let e = decode_json::<Obj>(body, FieldValidation::Strict).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Strict(vec![
                r#"duplicate field "spec.free.a""#.into(),
                r#"duplicate field "spec.tasks[1].type""#.into()
            ])
        );
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let e = decode_json::<Obj>(b"{\n  \"a\": ,\n}", FieldValidation::Strict).unwrap_err();
        assert!(matches!(e, DecodeError::Syntax(_)));
        assert!(e.to_string().contains("line 2 column"), "{e}");
        let e = decode_json::<Obj>(b"{} x", FieldValidation::Strict).unwrap_err();
        assert!(
            e.to_string()
                .contains("trailing characters at line 1 column 4"),
            "{e}"
        );
        let e = decode_json::<Obj>(b"", FieldValidation::Strict).unwrap_err();
        assert!(e.to_string().contains("EOF"), "{e}");
    }

    #[test]
    fn type_errors_have_paths() {
        let e = decode_json::<Obj>(br#"{"spec":{"revision":"x"}}"#, FieldValidation::Strict)
            .unwrap_err();
        assert!(matches!(e, DecodeError::Type(_)));
        assert!(
            e.to_string()
                .starts_with("spec.revision: invalid type: string \"x\""),
            "{e}"
        );
        let e = decode_json::<Obj>(
            br#"{"spec":{"tasks":[{"type":1}]}}"#,
            FieldValidation::Ignore,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("spec.tasks[0].type: invalid type"),
            "{e}"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let body = "[".repeat(100_000);
        assert!(matches!(
            decode_json::<Value>(body.as_bytes(), FieldValidation::Strict),
            Err(DecodeError::Syntax(_))
        ));
    }

    #[test]
    fn decode_value_reports_unknown() {
        let d = decode_value::<Obj>(json!({"spec":{"nope":true}}), FieldValidation::Warn).unwrap();
        assert_eq!(d.warnings, vec![r#"unknown field "spec.nope""#.to_string()]);
        let e = decode_value::<Obj>(json!({"zzz":1}), FieldValidation::Strict).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"strict decoding error: unknown field "zzz""#
        );
    }

    #[test]
    fn parse_json_for_patches() {
        let d = parse_json(
            br#"{"metadata":{"labels":{"a":"1","a":"2"}}}"#,
            FieldValidation::Warn,
        )
        .unwrap();
        assert_eq!(d.value, json!({"metadata":{"labels":{"a":"2"}}}));
        assert_eq!(
            d.warnings,
            vec![r#"duplicate field "metadata.labels.a""#.to_string()]
        );
        assert!(parse_json(br#"{"a":1,"a":1}"#, FieldValidation::Strict).is_err());
        assert_eq!(
            parse_json(br#"[1,2.5,null,true,"s"]"#, FieldValidation::Strict)
                .unwrap()
                .value,
            json!([1, 2.5, null, true, "s"])
        );
        assert_eq!(
            parse_json(
                br#"{"n":-5,"u":18446744073709551615}"#,
                FieldValidation::Strict
            )
            .unwrap()
            .value["u"],
            json!(u64::MAX)
        );
    }

    #[test]
    fn field_validation_parse() {
        assert_eq!(FieldValidation::parse(""), Ok(FieldValidation::Warn));
        assert_eq!(
            FieldValidation::parse("Strict"),
            Ok(FieldValidation::Strict)
        );
        assert_eq!(
            FieldValidation::parse("Ignore"),
            Ok(FieldValidation::Ignore)
        );
        assert_eq!(FieldValidation::parse("Warn"), Ok(FieldValidation::Warn));
        assert_eq!(
            FieldValidation::parse("strict").unwrap_err().to_string(),
            r#"fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn""#
        );
    }

    #[test]
    fn yaml_bodies() {
        let y = b"apiVersion: v1\nkind: X\nmetadata:\n  name: a\n  labels: {x: \"1\"}\nspec:\n  n: 3\n  f: 1.5\n  b: true\n  l: [a, 2]\n  z: null\n";
        assert_eq!(
            yaml_to_json(y).unwrap(),
            json!({"apiVersion":"v1","kind":"X","metadata":{"name":"a","labels":{"x":"1"}},
                   "spec":{"n":3,"f":1.5,"b":true,"l":["a",2],"z":null}})
        );
        // JSON is YAML.
        assert_eq!(
            yaml_to_json(br#"{"a":[1,{"b":"c"}]}"#).unwrap(),
            json!({"a":[1,{"b":"c"}]})
        );
        // Non-string scalar keys become strings, as Kubernetes' YAML→JSON does.
        assert_eq!(
            yaml_to_json(b"1: a\ntrue: b\n").unwrap(),
            json!({"1":"a","true":"b"})
        );
    }

    #[test]
    fn yaml_errors() {
        let e = yaml_to_json(b"a: 1\nb: [\n").unwrap_err();
        assert!(matches!(e, DecodeError::Syntax(_)));
        assert!(e.to_string().contains("line"), "{e}");
        let e = yaml_to_json(b"a: 1\na: 2\n").unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");
        assert!(yaml_to_json(b"a: 1\n---\nb: 2\n").is_err());
        let e = yaml_to_json(b"x:\n  [1]: a\n").unwrap_err();
        assert_eq!(e.to_string(), "x: object keys must be strings");
        assert!(yaml_to_json(b"x: .nan\n").is_err());
    }
}
