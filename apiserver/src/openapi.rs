//! OpenAPI v3 (per group-version, with the index kubectl starts from) and a
//! JSON Swagger 2.0 document, generated from the registry's schemas.
//!
//! Write operations declare `fieldValidation`, `dryRun`, `fieldManager` (and
//! `force` on PATCH) so kubectl validates on the server, and PATCH lists only
//! the patch types that behave exactly as Kubernetes' (no strategic merge, so
//! `kubectl apply` sends JSON merge patches).

use std::collections::BTreeMap;

use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};
use serde_json::{Map, Value, json};
use sha2::Digest;

use crate::error::ApiError;
use crate::registry::{Registry, ResourceDef};

/// Pre-rendered OpenAPI documents.
pub struct OpenApi {
    /// `/openapi/v3/<path>` → (document, hash).
    v3: BTreeMap<String, (String, String)>,
    v3_index: String,
    v2: String,
    /// The same Swagger document as gnostic protobuf (kubectl 1.27/1.28 read it to find `fieldValidation`).
    v2_protobuf: Vec<u8>,
}

const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/// What kube-apiserver answers for it: clients run the Content-Type through
/// Go's `mime.ParseMediaType`, which rejects the `@` of the Accept form.
const V2_PROTOBUF_CONTENT_TYPE: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

fn param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": schema, "uniqueItems": true})
}

fn write_params(patch: bool) -> Vec<Value> {
    let mut p = vec![
        param(
            "dryRun",
            "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed",
            json!({"type": "string"}),
        ),
        param(
            "fieldManager",
            "fieldManager is a name associated with the actor or entity that is making these changes.",
            json!({"type": "string"}),
        ),
        param(
            "fieldValidation",
            "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict",
            json!({"type": "string"}),
        ),
    ];
    if patch {
        p.push(param("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people.", json!({"type": "boolean"})));
    }
    p
}

fn list_params() -> Vec<Value> {
    vec![
        param(
            "allowWatchBookmarks",
            "allowWatchBookmarks requests watch events with type \"BOOKMARK\".",
            json!({"type": "boolean"}),
        ),
        param(
            "continue",
            "The continue option should be set when retrieving more results from the server.",
            json!({"type": "string"}),
        ),
        param(
            "fieldSelector",
            "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
            json!({"type": "string"}),
        ),
        param(
            "labelSelector",
            "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
            json!({"type": "string"}),
        ),
        param(
            "limit",
            "limit is a maximum number of responses to return for a list call.",
            json!({"type": "integer"}),
        ),
        param(
            "resourceVersion",
            "resourceVersion sets a constraint on what resource versions a request may be served from.",
            json!({"type": "string"}),
        ),
        param(
            "resourceVersionMatch",
            "resourceVersionMatch determines how resourceVersion is applied to list calls.",
            json!({"type": "string"}),
        ),
        param(
            "sendInitialEvents",
            "`sendInitialEvents=true` may be set together with `watch=true`.",
            json!({"type": "boolean"}),
        ),
        param(
            "timeoutSeconds",
            "Timeout for the list/watch call.",
            json!({"type": "integer"}),
        ),
        param(
            "watch",
            "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.",
            json!({"type": "boolean"}),
        ),
    ]
}

fn op(
    d: &ResourceDef,
    action: &str,
    id: &str,
    schema_ref: &str,
    params: Vec<Value>,
    body: Option<Value>,
    desc: &str,
) -> Value {
    let mut o = json!({
        "description": desc,
        "operationId": id,
        "tags": [format!("{}_{}", d.group.replace('.', "_"), d.version)],
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": schema_ref}}}},
                      "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": d.group, "version": d.version, "kind": d.kind},
    });
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    o
}

fn json_body(schema_ref: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": schema_ref}}}})
}

fn patch_body() -> Value {
    let s = json!({"type": "object", "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."});
    json!({"required": true, "content": {
        "application/json-patch+json": {"schema": s},
        "application/merge-patch+json": {"schema": s},
        "application/apply-patch+yaml": {"schema": s},
    }})
}

fn paths_for(d: &ResourceDef, kind_ref: &str, list_ref: &str, paths: &mut Map<String, Value>) {
    let base = if d.group.is_empty() {
        format!("/api/{}", d.version)
    } else {
        format!("/apis/{}/{}", d.group, d.version)
    };
    let k = d.kind;
    let ns_part = if d.namespaced {
        "/namespaces/{namespace}"
    } else {
        ""
    };
    let path_params = |named: bool| {
        let mut p = Vec::new();
        if named {
            p.push(json!({"name": "name", "in": "path", "required": true, "description": format!("name of the {k}"), "schema": {"type": "string"}, "uniqueItems": true}));
        }
        if d.namespaced {
            p.push(json!({"name": "namespace", "in": "path", "required": true, "description": "object name and auth scope, such as for teams and projects", "schema": {"type": "string"}, "uniqueItems": true}));
        }
        p
    };
    let mut coll = json!({"parameters": path_params(false)});
    if d.has_verb("list") {
        coll["get"] = op(
            d,
            "list",
            &format!("list{k}"),
            list_ref,
            list_params(),
            None,
            &format!("list or watch objects of kind {k}"),
        );
    }
    if d.has_verb("create") {
        coll["post"] = op(
            d,
            "post",
            &format!("create{k}"),
            kind_ref,
            write_params(false),
            Some(json_body(kind_ref)),
            &format!("create a {k}"),
        );
    }
    if d.has_verb("deletecollection") {
        coll["delete"] = op(
            d,
            "deletecollection",
            &format!("deletecollection{k}"),
            list_ref,
            list_params(),
            None,
            &format!("delete collection of {k}"),
        );
    }
    paths.insert(format!("{base}{ns_part}/{}", d.plural), coll);
    let mut item = json!({"parameters": path_params(true)});
    if d.has_verb("get") {
        item["get"] = op(
            d,
            "get",
            &format!("read{k}"),
            kind_ref,
            vec![],
            None,
            &format!("read the specified {k}"),
        );
    }
    if d.has_verb("update") {
        item["put"] = op(
            d,
            "put",
            &format!("replace{k}"),
            kind_ref,
            write_params(false),
            Some(json_body(kind_ref)),
            &format!("replace the specified {k}"),
        );
    }
    if d.has_verb("patch") {
        item["patch"] = op(
            d,
            "patch",
            &format!("patch{k}"),
            kind_ref,
            write_params(true),
            Some(patch_body()),
            &format!("partially update the specified {k}"),
        );
    }
    if d.has_verb("delete") {
        item["delete"] = op(
            d,
            "delete",
            &format!("delete{k}"),
            kind_ref,
            write_params(false),
            None,
            &format!("delete a {k}"),
        );
    }
    paths.insert(format!("{base}{ns_part}/{}/{{name}}", d.plural), item);
    for (sub, verbs) in d.subresources {
        let cap = {
            let mut c = sub.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        };
        let mut s = json!({"parameters": path_params(true)});
        if verbs.contains(&"get") {
            s["get"] = op(
                d,
                "get",
                &format!("read{k}{cap}"),
                kind_ref,
                vec![],
                None,
                &format!("read {sub} of the specified {k}"),
            );
        }
        if verbs.contains(&"update") {
            s["put"] = op(
                d,
                "put",
                &format!("replace{k}{cap}"),
                kind_ref,
                write_params(false),
                Some(json_body(kind_ref)),
                &format!("replace {sub} of the specified {k}"),
            );
        }
        if verbs.contains(&"patch") {
            s["patch"] = op(
                d,
                "patch",
                &format!("patch{k}{cap}"),
                kind_ref,
                write_params(true),
                Some(patch_body()),
                &format!("partially update {sub} of the specified {k}"),
            );
        }
        paths.insert(format!("{base}{ns_part}/{}/{{name}}/{sub}", d.plural), s);
    }
    if d.namespaced && d.has_verb("list") {
        let all = json!({"get": op(d, "list", &format!("list{k}ForAllNamespaces"), list_ref, list_params(), None, &format!("list or watch objects of kind {k}"))});
        paths.insert(format!("{base}/{}", d.plural), all);
    }
}

/// Rewrite schemars' Option encodings into the shapes Kubernetes publishes
/// (and kubectl explain understands): `anyOf [X, null]` → `allOf [X]` (or X
/// inlined), no `nullable`, no `default`.
fn kubernetes_style(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("nullable");
            map.remove("default");
            if let Some(Value::Array(any)) = map.get("anyOf") {
                let non_null: Vec<Value> = any
                    .iter()
                    .filter(|s| {
                        s.get("enum") != Some(&json!([null]))
                            && s.get("type") != Some(&json!("null"))
                    })
                    .cloned()
                    .collect();
                if non_null.len() == 1 {
                    map.remove("anyOf");
                    let inner = non_null.into_iter().next().unwrap_or(Value::Null);
                    if inner.get("$ref").is_some() {
                        map.insert("allOf".into(), json!([inner]));
                    } else if let Value::Object(fields) = inner {
                        for (k, val) in fields {
                            map.entry(k).or_insert(val);
                        }
                    }
                }
            }
            for (_, child) in map.iter_mut() {
                kubernetes_style(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(kubernetes_style),
        _ => {}
    }
}

fn hash(s: &str) -> String {
    let h = sha2::Sha512::digest(s.as_bytes());
    h.iter().take(32).map(|b| format!("{b:02X}")).collect()
}

fn list_schema(d: &ResourceDef, kind_ref: &str) -> Value {
    json!({"type": "object", "description": format!("{} is a list of {}.", d.list_kind(), d.kind), "required": ["items"], "properties": {
        "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."},
        "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents."},
        "metadata": {"$ref": "#/components/schemas/ListMeta"},
        "items": {"type": "array", "items": {"$ref": kind_ref}},
    }, "x-kubernetes-group-version-kind": [{"group": d.group, "version": d.version, "kind": d.list_kind()}]})
}

impl OpenApi {
    pub fn build(registry: &Registry) -> OpenApi {
        let mut by_gv: BTreeMap<(String, String), Vec<&ResourceDef>> = BTreeMap::new();
        for s in registry.all() {
            let d = s.def();
            by_gv
                .entry((d.group.to_string(), d.version.to_string()))
                .or_default()
                .push(d);
        }
        let mut v3 = BTreeMap::new();
        let mut index = Map::new();
        let mut docs = Vec::new();
        for ((group, version), defs) in &by_gv {
            let mut generator = schemars::generate::SchemaSettings::openapi3().into_generator();
            let _ = generator.subschema_for::<porch_apimachinery::meta::ListMeta>();
            let mut paths = Map::new();
            let mut kinds = Vec::new();
            for d in defs {
                let schema = (d.schema)(&mut generator);
                let kind_ref = schema
                    .get("$ref")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let list_ref = format!("#/components/schemas/{}", d.list_kind());
                paths_for(d, &kind_ref, &list_ref, &mut paths);
                kinds.push((*d, kind_ref));
            }
            let mut schemas = generator.take_definitions(true);
            for (_, schema) in schemas.iter_mut() {
                kubernetes_style(schema);
            }
            for (d, kind_ref) in &kinds {
                let name = kind_ref.rsplit('/').next().unwrap_or_default();
                if let Some(s) = schemas.get_mut(name).and_then(Value::as_object_mut) {
                    s.insert(
                        "x-kubernetes-group-version-kind".into(),
                        json!([{"group": d.group, "version": d.version, "kind": d.kind}]),
                    );
                }
                schemas.insert(d.list_kind(), list_schema(d, kind_ref));
            }
            let doc = json!({"openapi": "3.0.0", "info": {"title": "porch-rs", "version": env!("CARGO_PKG_VERSION")},
                "paths": paths, "components": {"schemas": schemas}});
            let text = doc.to_string();
            let h = hash(&text);
            let rel = if group.is_empty() {
                format!("api/{version}")
            } else {
                format!("apis/{group}/{version}")
            };
            index.insert(
                rel.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{rel}?hash={h}")}),
            );
            docs.push(doc);
            v3.insert(rel, (text, h));
        }
        let swagger =
            porch_apimachinery::openapi_v2::swagger_from_v3(&docs.iter().collect::<Vec<_>>());
        OpenApi {
            v3,
            v3_index: json!({"paths": index}).to_string(),
            v2: swagger.to_string(),
            v2_protobuf: porch_apimachinery::openapi_v2::encode_document(&swagger),
        }
    }

    /// Serve `/openapi/v2`, `/openapi/v3` and `/openapi/v3/<gv>`.
    pub fn serve(&self, path: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let path = path.trim_end_matches('/');
        let wanted: Vec<&str> = accept
            .split(',')
            .map(|a| a.split(';').next().unwrap_or("").trim())
            .collect();
        let is_json = |t: &str| matches!(t, "application/json" | "*/*" | "application/*");
        if path == "/openapi/v2" {
            return match wanted.iter().find(|t| is_json(t) || **t == V2_PROTOBUF) {
                Some(&V2_PROTOBUF) => {
                    let mut resp = Response::new(axum::body::Body::from(self.v2_protobuf.clone()));
                    resp.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(V2_PROTOBUF_CONTENT_TYPE),
                    );
                    Ok(resp)
                }
                Some(_) => Ok(crate::discovery::respond(
                    headers,
                    &self.v2,
                    "application/json",
                )),
                None if accept.is_empty() => Ok(crate::discovery::respond(
                    headers,
                    &self.v2,
                    "application/json",
                )),
                None => Err(ApiError::NotAcceptable(format!(
                    "only application/json and {V2_PROTOBUF} are served, not {accept:?}"
                ))),
            };
        }
        if !accept.is_empty() && !wanted.iter().any(|t| is_json(t)) {
            return Err(ApiError::NotAcceptable(format!(
                "only application/json is served for OpenAPI v3 documents, not {accept:?}"
            )));
        }
        if path == "/openapi/v3" {
            return Ok(crate::discovery::respond(
                headers,
                &self.v3_index,
                "application/json",
            ));
        }
        let rel = path
            .strip_prefix("/openapi/v3/")
            .ok_or(ApiError::NotFoundPath)?;
        let (doc, _) = self.v3.get(rel).ok_or(ApiError::NotFoundPath)?;
        let mut resp = crate::discovery::respond(headers, doc, "application/json");
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, immutable"),
        );
        Ok(resp)
    }
}
