use prost::Message;
use serde_json::{Value, json};

use super::proto::*;
use super::*;

const GROUP_PATH: &str = "/apis/config.porch.kpt.dev/v1alpha1";
const ITEM: &str = "/apis/config.porch.kpt.dev/v1alpha1/namespaces/{namespace}/repositories/{name}";
const GVK_YAML: &str = "group: config.porch.kpt.dev\nkind: Repository\nversion: v1alpha1\n";

fn query(name: &str, ty: &str) -> Value {
    json!({"name": name, "in": "query", "description": format!("{name} option"), "schema": {"type": ty}, "uniqueItems": true})
}

fn path_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": name, "schema": {"type": "string"}})
}

fn op(action: &str, id: &str, schema_ref: &str, params: Vec<Value>, body: Option<Value>) -> Value {
    let mut o = json!({
        "description": id, "operationId": id, "tags": ["config_porch_kpt_dev_v1alpha1"],
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": schema_ref}}}},
                      "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": "config.porch.kpt.dev", "version": "v1alpha1", "kind": "Repository"},
    });
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    o
}

/// A group-version document shaped like the server's `/openapi/v3/apis/…`.
fn v3_doc() -> Value {
    let kind = "#/components/schemas/Repository";
    let list = "#/components/schemas/RepositoryList";
    let json_body =
        json!({"required": true, "content": {"application/json": {"schema": {"$ref": kind}}}});
    let patch_schema = json!({"type": "object", "description": "Patch body"});
    let patch_body = json!({"required": true, "content": {
        "application/json-patch+json": {"schema": patch_schema},
        "application/merge-patch+json": {"schema": patch_schema},
    }});
    let write = || {
        vec![
            query("dryRun", "string"),
            query("fieldValidation", "string"),
        ]
    };
    json!({
        "openapi": "3.0.0",
        "info": {"title": "porch-rs", "version": "0.1.0"},
        "paths": {
            format!("{GROUP_PATH}/namespaces/{{namespace}}/repositories"): {
                "parameters": [path_param("namespace")],
                "get": op("list", "listRepository", list, vec![query("limit", "integer")], None),
                "post": op("post", "createRepository", kind, write(), Some(json_body.clone())),
            },
            ITEM: {
                "parameters": [path_param("name"), path_param("namespace")],
                "get": op("get", "readRepository", kind, vec![], None),
                "put": op("put", "replaceRepository", kind, write(), Some(json_body)),
                "patch": op("patch", "patchRepository", kind, write(), Some(patch_body)),
                "delete": op("delete", "deleteRepository", kind, write(), None),
            },
        },
        "components": {"schemas": {
            "Repository": {
                "type": "object", "description": "A repository.", "required": ["spec"],
                "properties": {
                    "metadata": {"allOf": [{"$ref": "#/components/schemas/ObjectMeta"}]},
                    "spec": {"type": "object", "properties": {
                        "branches": {"type": "array", "items": {"type": "string"}},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    }},
                },
                "x-kubernetes-group-version-kind": [{"group": "config.porch.kpt.dev", "version": "v1alpha1", "kind": "Repository"}],
            },
            "RepositoryList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": kind}}}},
            "ObjectMeta": {"type": "object", "properties": {"name": {"type": "string"}}},
        }},
    })
}

#[test]
fn converts_v3_to_swagger() {
    let doc = v3_doc();
    let s = swagger_from_v3(&[&doc]);
    assert_eq!(s["swagger"], "2.0");
    assert_eq!(s["info"]["title"], "porch-rs");
    let item = &s["paths"][ITEM];
    assert_eq!(
        item["parameters"][0],
        json!({"name": "name", "in": "path", "required": true, "description": "name", "type": "string"})
    );

    let patch = &item["patch"];
    assert_eq!(patch["operationId"], "patchRepository");
    assert_eq!(
        patch["consumes"],
        json!([
            "application/json-patch+json",
            "application/merge-patch+json"
        ])
    );
    assert_eq!(patch["produces"], json!(["application/json"]));
    assert_eq!(
        patch["parameters"][0],
        json!({"in": "body", "name": "body", "required": true, "schema": {"type": "object", "description": "Patch body"}})
    );
    assert_eq!(
        patch["parameters"][2],
        json!({"name": "fieldValidation", "in": "query", "description": "fieldValidation option", "type": "string", "uniqueItems": true})
    );
    assert_eq!(
        patch["responses"]["200"],
        json!({"description": "OK", "schema": {"$ref": "#/definitions/Repository"}})
    );
    assert_eq!(
        patch["responses"]["401"],
        json!({"description": "Unauthorized"})
    );
    assert_eq!(patch["x-kubernetes-action"], "patch");
    assert_eq!(
        patch["x-kubernetes-group-version-kind"]["kind"],
        "Repository"
    );
    assert!(patch.get("requestBody").is_none());

    let put = &item["put"];
    assert_eq!(put["consumes"], json!(["application/json"]));
    assert_eq!(
        put["parameters"][0]["schema"],
        json!({"$ref": "#/definitions/Repository"})
    );
    assert_eq!(
        item["delete"]["parameters"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(item["get"].get("consumes").is_none());

    let defs = &s["definitions"];
    assert_eq!(
        defs["Repository"]["x-kubernetes-group-version-kind"][0]["kind"],
        "Repository"
    );
    assert_eq!(
        defs["Repository"]["properties"]["metadata"]["allOf"][0]["$ref"],
        "#/definitions/ObjectMeta"
    );
    assert_eq!(
        defs["RepositoryList"]["properties"]["items"]["items"]["$ref"],
        "#/definitions/Repository"
    );
    assert!(!s.to_string().contains("#/components/"));
}

/// What kubectl 1.27/1.28's query-param verifier does with the document.
fn patch_supports(doc: &Document, gvk_yaml: &str, param: &str) -> bool {
    let paths = doc
        .paths
        .as_ref()
        .map(|p| p.path.as_slice())
        .unwrap_or_default();
    paths.iter().filter_map(|p| p.value.as_ref()?.patch.as_ref()).any(|op| {
        let gvk = op.vendor_extension.iter().find(|e| e.name == "x-kubernetes-group-version-kind");
        gvk.and_then(|e| e.value.as_ref()).is_some_and(|a| a.yaml == gvk_yaml)
            && op.parameters.iter().any(|p| match &p.oneof {
                Some(ParametersItemOneof::Parameter(Parameter { oneof: Some(ParameterOneof::NonBodyParameter(nb)) })) => {
                    matches!(&nb.oneof, Some(NonBodyOneof::QueryParameterSubSchema(q)) if q.name == param)
                }
                _ => false,
            })
    })
}

#[test]
fn encodes_and_decodes_document() {
    let doc = v3_doc();
    let bytes = encode_document(&swagger_from_v3(&[&doc]));
    let decoded = Document::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded.swagger, "2.0");
    assert_eq!(decoded.info.as_ref().unwrap().title, "porch-rs");
    assert!(patch_supports(&decoded, GVK_YAML, "fieldValidation"));
    assert!(!patch_supports(&decoded, GVK_YAML, "nope"));

    let item = decoded
        .paths
        .as_ref()
        .unwrap()
        .path
        .iter()
        .find(|p| p.name == ITEM)
        .unwrap();
    let item = item.value.as_ref().unwrap();
    assert!(
        item.get.is_some() && item.put.is_some() && item.delete.is_some() && item.post.is_none()
    );
    let patch = item.patch.as_ref().unwrap();
    let action = patch
        .vendor_extension
        .iter()
        .find(|e| e.name == "x-kubernetes-action")
        .unwrap();
    assert_eq!(action.value.as_ref().unwrap().yaml, "patch\n");
    assert_eq!(
        patch.consumes,
        [
            "application/json-patch+json",
            "application/merge-patch+json"
        ]
    );
    match &patch.parameters[0].oneof {
        Some(ParametersItemOneof::Parameter(Parameter {
            oneof: Some(ParameterOneof::BodyParameter(b)),
        })) => {
            assert_eq!(
                (b.name.as_str(), b.r#in.as_str(), b.required),
                ("body", "body", true)
            );
            assert_eq!(
                b.schema.as_ref().unwrap().r#type.as_ref().unwrap().value,
                ["object"]
            );
        }
        other => panic!("body parameter expected, got {other:?}"),
    }
    match &item.parameters[1].oneof {
        Some(ParametersItemOneof::Parameter(Parameter {
            oneof: Some(ParameterOneof::NonBodyParameter(nb)),
        })) => {
            let Some(NonBodyOneof::PathParameterSubSchema(p)) = &nb.oneof else {
                panic!("path parameter expected")
            };
            assert_eq!(
                (
                    p.name.as_str(),
                    p.r#in.as_str(),
                    p.r#type.as_str(),
                    p.required
                ),
                ("namespace", "path", "string", true)
            );
        }
        other => panic!("path parameter expected, got {other:?}"),
    }
    let ok = &patch.responses.as_ref().unwrap().response_code[0];
    let Some(ResponseValueOneof::Response(r)) = &ok.value.as_ref().unwrap().oneof else {
        panic!("response expected")
    };
    assert_eq!(
        r.schema.as_ref().unwrap().schema.as_ref().unwrap()._ref,
        "#/definitions/Repository"
    );

    let defs = &decoded.definitions.as_ref().unwrap().additional_properties;
    let repo = defs
        .iter()
        .find(|d| d.name == "Repository")
        .unwrap()
        .value
        .as_ref()
        .unwrap();
    assert_eq!(repo.required, ["spec"]);
    assert_eq!(repo.description, "A repository.");
    assert_eq!(
        repo.vendor_extension[0].value.as_ref().unwrap().yaml,
        "- group: config.porch.kpt.dev\n  kind: Repository\n  version: v1alpha1\n"
    );
    let props = &repo.properties.as_ref().unwrap().additional_properties;
    let meta = props
        .iter()
        .find(|p| p.name == "metadata")
        .unwrap()
        .value
        .as_ref()
        .unwrap();
    assert_eq!(meta.all_of[0]._ref, "#/definitions/ObjectMeta");
    let spec = props
        .iter()
        .find(|p| p.name == "spec")
        .unwrap()
        .value
        .as_ref()
        .unwrap();
    let spec_props = &spec.properties.as_ref().unwrap().additional_properties;
    let branches = spec_props[0].value.as_ref().unwrap();
    assert_eq!(branches.r#type.as_ref().unwrap().value, ["array"]);
    assert_eq!(
        branches.items.as_ref().unwrap().schema[0]
            .r#type
            .as_ref()
            .unwrap()
            .value,
        ["string"]
    );
    let labels = spec_props[1].value.as_ref().unwrap();
    match labels
        .additional_properties
        .as_ref()
        .unwrap()
        .oneof
        .as_ref()
        .unwrap()
    {
        AdditionalPropertiesOneof::Schema(s) => {
            assert_eq!(s.r#type.as_ref().unwrap().value, ["string"])
        }
        other => panic!("schema expected, got {other:?}"),
    }
}

#[test]
fn pins_document_swagger_field() {
    assert_eq!(
        encode_document(&json!({"swagger": "2.0"})),
        [0x0a, 0x03, b'2', b'.', b'0']
    );
}

/// Hand-encoded from OpenAPIv2.proto: Document.paths (8) → Paths.path (2) →
/// NamedPathItem (name 1, value 2) → PathItem.patch (8) → Operation.parameters
/// (8) → ParametersItem.parameter (1) → Parameter.non_body_parameter (2) →
/// NonBodyParameter.query_parameter_sub_schema (3) → in (2), name (4); then
/// Operation.vendor_extension (13) → NamedAny (name 1, value 2) → Any.yaml (2).
#[test]
fn pins_patch_query_parameter_and_extension_fields() {
    let doc = json!({"swagger": "2.0", "paths": {"/p": {"patch": {
        "parameters": [{"in": "query", "name": "f"}],
        "x-a": "b",
    }}}});
    let mut expected = vec![
        0x0a, 0x03, b'2', b'.', b'0', 0x42, 0x29, 0x12, 0x27, 0x0a, 0x02, b'/', b'p',
    ];
    expected.extend([0x12, 0x21, 0x42, 0x1f]); // NamedPathItem.value, PathItem.patch
    expected.extend([0x42, 0x10, 0x0a, 0x0e, 0x12, 0x0c, 0x1a, 0x0a]); // parameters … query sub-schema
    expected.extend([0x12, 0x05, b'q', b'u', b'e', b'r', b'y', 0x22, 0x01, b'f']);
    expected.extend([
        0x6a, 0x0b, 0x0a, 0x03, b'x', b'-', b'a', 0x12, 0x04, 0x12, 0x02, b'b', b'\n',
    ]);
    assert_eq!(encode_document(&doc), expected);
}

#[test]
fn merges_documents_and_tolerates_odd_input() {
    let a = json!({"paths": {"/a": {}}, "components": {"schemas": {"A": {"type": "string"}}}});
    let b = json!({"paths": {"/b": {}}, "components": {"schemas": {"B": {"type": ["integer", "null"]}}}});
    let s = swagger_from_v3(&[&a, &b]);
    assert_eq!(s["info"]["title"], "Kubernetes");
    assert!(s["paths"].get("/a").is_some() && s["paths"].get("/b").is_some());
    let decoded = Document::decode(encode_document(&s).as_slice()).unwrap();
    let b = &decoded.definitions.unwrap().additional_properties[1];
    assert_eq!(
        b.value.as_ref().unwrap().r#type.as_ref().unwrap().value,
        ["integer"]
    );
    assert!(Document::decode(encode_document(&json!([1, "x"])).as_slice()).is_ok());
}
