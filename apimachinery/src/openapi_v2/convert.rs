//! OpenAPI 3.0 group-version documents → one Swagger 2.0 document.

use serde_json::{Map, Value, json};

const V3_SCHEMAS: &str = "#/components/schemas/";
const V2_DEFINITIONS: &str = "#/definitions/";
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

/// Merge the server's OpenAPI 3.0 group-version documents into one Swagger
/// 2.0 document, the shape kubectl 1.27/1.28 expect from `/openapi/v2`.
///
/// Paths and schemas of later documents win on name clashes; `info` is taken
/// from the first document that has one. Vendor extensions (`x-…`) are kept
/// as they are, so operations keep `x-kubernetes-group-version-kind` as an
/// object and definitions as an array. v3-only keywords inside schemas
/// (`oneOf`, `anyOf`, …) are left in place; the protobuf encoding drops them.
pub fn swagger_from_v3(docs: &[&Value]) -> Value {
    let mut info = None;
    let mut paths = Map::new();
    let mut definitions = Map::new();
    for doc in docs {
        if info.is_none() {
            info = doc.get("info").cloned();
        }
        if let Some(p) = doc.get("paths").and_then(Value::as_object) {
            for (name, item) in p {
                paths.insert(name.clone(), path_item(item));
            }
        }
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object);
        for (name, schema) in schemas.into_iter().flatten() {
            definitions.insert(name.clone(), schema.clone());
        }
    }
    let mut out = json!({
        "swagger": "2.0",
        "info": info.unwrap_or_else(|| json!({"title": "Kubernetes", "version": "unversioned"})),
        "paths": paths,
        "definitions": definitions,
    });
    rewrite_refs(&mut out);
    out
}

/// Rewrite every `$ref` to a v3 component schema into a v2 definition ref.
fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match child {
                    Value::String(s) if k == "$ref" => {
                        if let Some(name) = s.strip_prefix(V3_SCHEMAS) {
                            *s = format!("{V2_DEFINITIONS}{name}");
                        }
                    }
                    _ => rewrite_refs(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

fn path_item(item: &Value) -> Value {
    let mut out = Map::new();
    let Some(obj) = item.as_object() else {
        return Value::Object(out);
    };
    for (k, v) in obj {
        if k == "parameters" {
            out.insert(k.clone(), parameters(v));
        } else if METHODS.contains(&k.as_str()) {
            out.insert(k.clone(), operation(v));
        } else if k.starts_with("x-") || k == "$ref" {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn parameters(v: &Value) -> Value {
    v.as_array().into_iter().flatten().map(parameter).collect()
}

/// A v3 parameter: the `schema`'s primitive keywords move onto the parameter.
fn parameter(p: &Value) -> Value {
    let Some(obj) = p.as_object() else {
        return p.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        match k.as_str() {
            "schema" => {
                for (sk, sv) in v.as_object().into_iter().flatten() {
                    if matches!(
                        sk.as_str(),
                        "type" | "format" | "items" | "enum" | "default" | "uniqueItems"
                    ) {
                        out.entry(sk.clone()).or_insert_with(|| sv.clone());
                    }
                }
            }
            // v3-only keywords without a Swagger 2.0 counterpart.
            "style" | "explode" | "example" | "examples" | "content" | "deprecated" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// The schema of the first media type of a v3 `content` map.
fn content_schema(content: Option<&Value>) -> Option<Value> {
    let content = content?.as_object()?;
    content.values().find_map(|m| m.get("schema").cloned())
}

fn media_types(content: Option<&Value>) -> Vec<Value> {
    let keys = content.and_then(Value::as_object).into_iter().flatten();
    keys.map(|(k, _)| Value::String(k.clone())).collect()
}

fn operation(op: &Value) -> Value {
    let Some(obj) = op.as_object() else {
        return op.clone();
    };
    let mut out = Map::new();
    for key in ["tags", "summary", "description", "operationId"] {
        if let Some(v) = obj.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    let mut params = Vec::new();
    if let Some(body) = obj.get("requestBody") {
        let content = body.get("content");
        out.insert("consumes".into(), Value::Array(media_types(content)));
        let mut b = json!({"in": "body", "name": "body", "required": body.get("required").and_then(Value::as_bool).unwrap_or(true)});
        if let Some(d) = body.get("description") {
            b["description"] = d.clone();
        }
        if let Some(s) = content_schema(content) {
            b["schema"] = s;
        }
        params.push(b);
    }
    if let Some(Value::Array(ps)) = obj.get("parameters") {
        params.extend(ps.iter().map(parameter));
    }
    let mut produces: Vec<Value> = Vec::new();
    let mut responses = Map::new();
    for (code, r) in obj
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for m in media_types(r.get("content")) {
            if !produces.contains(&m) {
                produces.push(m);
            }
        }
        responses.insert(code.clone(), response(r));
    }
    if produces.is_empty() {
        produces.push(json!("application/json"));
    }
    out.insert("produces".into(), Value::Array(produces));
    out.insert("parameters".into(), Value::Array(params));
    out.insert("responses".into(), Value::Object(responses));
    if let Some(d) = obj.get("deprecated") {
        out.insert("deprecated".into(), d.clone());
    }
    for (k, v) in obj {
        if k.starts_with("x-") {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn response(r: &Value) -> Value {
    if let Some(reference) = r.get("$ref") {
        return json!({"$ref": reference});
    }
    let desc = r.get("description").cloned().unwrap_or_else(|| json!(""));
    let mut out = json!({"description": desc});
    if let Some(s) = content_schema(r.get("content")) {
        out["schema"] = s;
    }
    if let Some(obj) = r.as_object() {
        for (k, v) in obj.iter().filter(|(k, _)| k.starts_with("x-")) {
            out[k] = v.clone();
        }
    }
    out
}
