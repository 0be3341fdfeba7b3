//! A JSON-schema validator for Kubernetes objects with kubeconform's
//! messages: `missing properties 'a', 'b'`, `got string, want null or
//! integer`, `additionalProperties 'x' not allowed` (strict mode), each
//! with the field path (`spec.replicas`).

use serde_json::Value;

/// One violation: field path (dotted) and message.
pub type Violation = (String, String);

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(v: &Value, want: &str) -> bool {
    match (want, v) {
        (_, Value::Null) => true,
        ("string", Value::String(_)) | ("boolean", Value::Bool(_)) | ("array", Value::Array(_)) => {
            true
        }
        ("object", Value::Object(_)) => true,
        ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

fn join(path: &str, seg: &str) -> String {
    if path.is_empty() {
        seg.to_string()
    } else {
        format!("{path}.{seg}")
    }
}

/// Validates `v` against `schema` (references resolved in `root`).
pub fn validate(v: &Value, schema: &Value, root: &Value, strict: bool) -> Vec<Violation> {
    let mut out = Vec::new();
    walk(v, schema, root, strict, "", &mut out, 0);
    out
}

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let mut s = schema;
    for _ in 0..16 {
        let Some(r) = s.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let mut target = root;
        for part in r.trim_start_matches("#/").split('/') {
            let part = part.replace("~1", "/").replace("~0", "~");
            match target.get(&part) {
                Some(t) => target = t,
                None => return s,
            }
        }
        s = target;
    }
    s
}

fn walk(
    v: &Value,
    schema: &Value,
    root: &Value,
    strict: bool,
    path: &str,
    out: &mut Vec<Violation>,
    depth: usize,
) {
    if depth > 64 || v.is_null() {
        return;
    }
    let s = resolve(schema, root);
    if s.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        if !matches!(json_type(v), "integer" | "string") {
            out.push((
                path.to_string(),
                format!("got {}, want null or integer or string", json_type(v)),
            ));
        }
        return;
    }
    if let Some(t) = s.get("type").and_then(Value::as_str)
        && !type_ok(v, t)
    {
        out.push((
            path.to_string(),
            format!("got {}, want null or {t}", json_type(v)),
        ));
        return;
    }
    match v {
        Value::Object(m) => {
            let missing: Vec<String> = s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|k| !m.contains_key(*k))
                .map(|k| format!("'{k}'"))
                .collect();
            if !missing.is_empty() {
                out.push((
                    path.to_string(),
                    format!("missing properties {}", missing.join(", ")),
                ));
            }
            let props = s.get("properties").and_then(Value::as_object);
            let additional = s.get("additionalProperties");
            for (k, child) in m {
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => walk(child, ps, root, strict, &join(path, k), out, depth + 1),
                    None => match additional {
                        Some(Value::Bool(false)) => out.push((
                            path.to_string(),
                            format!("additionalProperties '{k}' not allowed"),
                        )),
                        Some(a @ Value::Object(_)) => {
                            walk(child, a, root, strict, &join(path, k), out, depth + 1)
                        }
                        _ if strict && props.is_some() => out.push((
                            path.to_string(),
                            format!("additionalProperties '{k}' not allowed"),
                        )),
                        _ => {}
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(
                        item,
                        is,
                        root,
                        strict,
                        &join(path, &i.to_string()),
                        out,
                        depth + 1,
                    );
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubeconform_messages() {
        let root = json!({"$defs": {"Spec": {"type": "object", "required": ["selector", "template"],
            "properties": {"replicas": {"type": "integer"}, "selector": {"type": "object"}}}},
            "type": "object", "properties": {"spec": {"$ref": "#/$defs/Spec", "description": "x"}}});
        let got = validate(
            &json!({"spec": {"replicas": "3", "extra": 1}}),
            &root,
            &root,
            true,
        );
        assert_eq!(
            got,
            vec![
                (
                    "spec".to_string(),
                    "missing properties 'selector', 'template'".to_string()
                ),
                (
                    "spec.replicas".to_string(),
                    "got string, want null or integer".to_string()
                ),
                (
                    "spec".to_string(),
                    "additionalProperties 'extra' not allowed".to_string()
                ),
            ]
        );
        assert!(
            validate(
                &json!({"spec": {"extra": 1, "selector": {}, "template": {}}}),
                &root,
                &root,
                false
            )
            .is_empty()
        );
    }
}
