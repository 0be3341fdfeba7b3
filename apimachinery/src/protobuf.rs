//! The Kubernetes protobuf wire format, for the few built-in kinds kubectl
//! sends as protobuf (kube-api.md §2, §9.1): `v1` Namespace and Secret (the
//! 1.32+ `create namespace` / `create secret` generators) and
//! `authorization.k8s.io/v1` SelfSubjectAccessReview (`kubectl auth can-i`).
//!
//! A body is the magic `k8s\0` followed by a `runtime.Unknown` message whose
//! `raw` holds the object's own message. Messages are small hand-written prost
//! structs carrying only the fields used here (field numbers checked against
//! k8s-pb 0.9); unknown fields are skipped by prost. Decoded objects are
//! returned as JSON values in the shape the JSON API would have received.
//! Responses may be JSON (kubectl's Accept always allows it), but an encoder
//! for the SelfSubjectAccessReview answer is provided as well.

use std::collections::BTreeMap;

use base64::Engine as _;
use prost::Message;
use serde_json::{Map, Value, json};
use thiserror::Error;

/// The four bytes every Kubernetes protobuf body starts with.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// Why a protobuf body could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtobufError {
    /// The body lacks the `k8s\0` prefix.
    #[error("protobuf body does not start with the Kubernetes magic bytes \"k8s\\x00\"")]
    MissingMagic,
    /// Bytes that are not a valid message.
    #[error("invalid protobuf message: {0}")]
    Decode(String),
    /// A `contentEncoding` (e.g. gzip) this server does not unpack.
    #[error("unsupported protobuf content encoding {0:?}")]
    ContentEncoding(String),
    /// A kind this server has no protobuf decoder for.
    #[error("no protobuf decoder for {api_version}, Kind={kind}")]
    UnsupportedKind {
        /// `apiVersion` from the envelope.
        api_version: String,
        /// `kind` from the envelope.
        kind: String,
    },
}

impl From<prost::DecodeError> for ProtobufError {
    fn from(e: prost::DecodeError) -> Self {
        Self::Decode(e.to_string())
    }
}

/// `runtime.Unknown`: the envelope around every protobuf object.
#[derive(Clone, PartialEq, Message)]
pub struct Unknown {
    /// apiVersion and kind of `raw`.
    #[prost(message, optional, tag = "1")]
    pub type_meta: Option<TypeMeta>,
    /// The object's own message.
    #[prost(bytes = "vec", optional, tag = "2")]
    pub raw: Option<Vec<u8>>,
    /// Compression of `raw`; empty for none.
    #[prost(string, optional, tag = "3")]
    pub content_encoding: Option<String>,
    /// Media type of `raw`; empty means protobuf.
    #[prost(string, optional, tag = "4")]
    pub content_type: Option<String>,
}

/// `runtime.TypeMeta`.
#[derive(Clone, PartialEq, Message)]
pub struct TypeMeta {
    /// e.g. `v1`.
    #[prost(string, optional, tag = "1")]
    pub api_version: Option<String>,
    /// e.g. `Namespace`.
    #[prost(string, optional, tag = "2")]
    pub kind: Option<String>,
}

/// `metav1.ObjectMeta`, the fields a client sets on create/update.
#[derive(Clone, PartialEq, Message)]
pub struct ObjectMeta {
    /// Object name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// Name prefix for server-generated names.
    #[prost(string, optional, tag = "2")]
    pub generate_name: Option<String>,
    /// Namespace.
    #[prost(string, optional, tag = "3")]
    pub namespace: Option<String>,
    /// UID (updates only).
    #[prost(string, optional, tag = "5")]
    pub uid: Option<String>,
    /// resourceVersion (updates only).
    #[prost(string, optional, tag = "6")]
    pub resource_version: Option<String>,
    /// Labels.
    #[prost(btree_map = "string, string", tag = "11")]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[prost(btree_map = "string, string", tag = "12")]
    pub annotations: BTreeMap<String, String>,
    /// Owner references.
    #[prost(message, repeated, tag = "13")]
    pub owner_references: Vec<OwnerReference>,
    /// Finalizers.
    #[prost(string, repeated, tag = "14")]
    pub finalizers: Vec<String>,
}

/// `metav1.OwnerReference`.
#[derive(Clone, PartialEq, Message)]
pub struct OwnerReference {
    /// Kind of the owner.
    #[prost(string, optional, tag = "1")]
    pub kind: Option<String>,
    /// Name of the owner.
    #[prost(string, optional, tag = "3")]
    pub name: Option<String>,
    /// UID of the owner.
    #[prost(string, optional, tag = "4")]
    pub uid: Option<String>,
    /// apiVersion of the owner.
    #[prost(string, optional, tag = "5")]
    pub api_version: Option<String>,
    /// Whether the owner is the managing controller.
    #[prost(bool, optional, tag = "6")]
    pub controller: Option<bool>,
    /// Whether the owner's deletion waits for this object.
    #[prost(bool, optional, tag = "7")]
    pub block_owner_deletion: Option<bool>,
}

/// `v1.Namespace` (status is server-owned and not read).
#[derive(Clone, PartialEq, Message)]
pub struct Namespace {
    /// Metadata.
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ObjectMeta>,
    /// Spec.
    #[prost(message, optional, tag = "2")]
    pub spec: Option<NamespaceSpec>,
}

/// `v1.NamespaceSpec`.
#[derive(Clone, PartialEq, Message)]
pub struct NamespaceSpec {
    /// Finalizers that must run before the namespace is removed.
    #[prost(string, repeated, tag = "1")]
    pub finalizers: Vec<String>,
}

/// `v1.Secret`.
#[derive(Clone, PartialEq, Message)]
pub struct Secret {
    /// Metadata.
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ObjectMeta>,
    /// Binary data (base64 in JSON).
    #[prost(btree_map = "string, bytes", tag = "2")]
    pub data: BTreeMap<String, Vec<u8>>,
    /// Secret type, e.g. `Opaque`, `kubernetes.io/basic-auth`.
    #[prost(string, optional, tag = "3")]
    pub type_: Option<String>,
    /// Write-only string data.
    #[prost(btree_map = "string, string", tag = "4")]
    pub string_data: BTreeMap<String, String>,
    /// Whether the data may never change.
    #[prost(bool, optional, tag = "5")]
    pub immutable: Option<bool>,
}

/// `authorization.k8s.io/v1` `SelfSubjectAccessReview`.
#[derive(Clone, PartialEq, Message)]
pub struct SelfSubjectAccessReview {
    /// Metadata (unused).
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ObjectMeta>,
    /// The question.
    #[prost(message, optional, tag = "2")]
    pub spec: Option<SelfSubjectAccessReviewSpec>,
    /// The answer.
    #[prost(message, optional, tag = "3")]
    pub status: Option<SubjectAccessReviewStatus>,
}

/// What the caller asks to be allowed to do.
#[derive(Clone, PartialEq, Message)]
pub struct SelfSubjectAccessReviewSpec {
    /// A resource request.
    #[prost(message, optional, tag = "1")]
    pub resource_attributes: Option<ResourceAttributes>,
    /// A non-resource (path) request.
    #[prost(message, optional, tag = "2")]
    pub non_resource_attributes: Option<NonResourceAttributes>,
}

/// Attributes of a resource request.
#[derive(Clone, PartialEq, Message)]
pub struct ResourceAttributes {
    /// Namespace (empty = all / cluster-scoped).
    #[prost(string, optional, tag = "1")]
    pub namespace: Option<String>,
    /// Verb.
    #[prost(string, optional, tag = "2")]
    pub verb: Option<String>,
    /// API group.
    #[prost(string, optional, tag = "3")]
    pub group: Option<String>,
    /// Version.
    #[prost(string, optional, tag = "4")]
    pub version: Option<String>,
    /// Resource (plural).
    #[prost(string, optional, tag = "5")]
    pub resource: Option<String>,
    /// Subresource.
    #[prost(string, optional, tag = "6")]
    pub subresource: Option<String>,
    /// Object name.
    #[prost(string, optional, tag = "7")]
    pub name: Option<String>,
}

/// Attributes of a non-resource request.
#[derive(Clone, PartialEq, Message)]
pub struct NonResourceAttributes {
    /// URL path.
    #[prost(string, optional, tag = "1")]
    pub path: Option<String>,
    /// HTTP verb, lower-case.
    #[prost(string, optional, tag = "2")]
    pub verb: Option<String>,
}

/// The authorisation decision.
#[derive(Clone, PartialEq, Message)]
pub struct SubjectAccessReviewStatus {
    /// Whether the action is allowed.
    #[prost(bool, optional, tag = "1")]
    pub allowed: Option<bool>,
    /// Why.
    #[prost(string, optional, tag = "2")]
    pub reason: Option<String>,
    /// Error while evaluating, if any.
    #[prost(string, optional, tag = "3")]
    pub evaluation_error: Option<String>,
    /// Explicitly denied (short-circuits other authorizers).
    #[prost(bool, optional, tag = "4")]
    pub denied: Option<bool>,
}

/// A decoded `runtime.Unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `apiVersion` of the payload.
    pub api_version: String,
    /// `kind` of the payload.
    pub kind: String,
    /// The payload message bytes.
    pub raw: Vec<u8>,
    /// Payload compression (empty = none).
    pub content_encoding: String,
    /// Payload media type (empty = protobuf).
    pub content_type: String,
}

/// Whether a body looks like a Kubernetes protobuf body.
pub fn has_magic(body: &[u8]) -> bool {
    body.starts_with(MAGIC)
}

/// Strips the magic and decodes the `runtime.Unknown` envelope.
pub fn decode_envelope(body: &[u8]) -> Result<Envelope, ProtobufError> {
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or(ProtobufError::MissingMagic)?;
    let u = Unknown::decode(rest)?;
    let tm = u.type_meta.unwrap_or_default();
    Ok(Envelope {
        api_version: tm.api_version.unwrap_or_default(),
        kind: tm.kind.unwrap_or_default(),
        raw: u.raw.unwrap_or_default(),
        content_encoding: u.content_encoding.unwrap_or_default(),
        content_type: u.content_type.unwrap_or_default(),
    })
}

/// Wraps a message in the envelope (magic + `runtime.Unknown`), as kube-apiserver writes it.
pub fn encode_envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let u = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut out = Vec::with_capacity(MAGIC.len() + u.encoded_len());
    out.extend_from_slice(MAGIC);
    u.encode_raw(&mut out);
    out
}

/// Decodes a protobuf request body of a supported kind into its JSON form.
pub fn decode_object(body: &[u8]) -> Result<Value, ProtobufError> {
    let env = decode_envelope(body)?;
    if !env.content_encoding.is_empty() {
        return Err(ProtobufError::ContentEncoding(env.content_encoding));
    }
    let raw = env.raw.as_slice();
    match (env.api_version.as_str(), env.kind.as_str()) {
        ("v1", "Namespace") => Ok(namespace_to_json(&Namespace::decode(raw)?)),
        ("v1", "Secret") => Ok(secret_to_json(&Secret::decode(raw)?)),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => {
            Ok(ssar_to_json(&SelfSubjectAccessReview::decode(raw)?))
        }
        _ => Err(ProtobufError::UnsupportedKind {
            api_version: env.api_version,
            kind: env.kind,
        }),
    }
}

/// Encodes a SelfSubjectAccessReview given in its JSON form (spec and status) as a protobuf body.
pub fn encode_self_subject_access_review(review: &Value) -> Vec<u8> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    let b = |v: &Value, k: &str| v.get(k).and_then(Value::as_bool);
    let spec = review.get("spec").map(|spec| SelfSubjectAccessReviewSpec {
        resource_attributes: spec.get("resourceAttributes").map(|r| ResourceAttributes {
            namespace: s(r, "namespace"),
            verb: s(r, "verb"),
            group: s(r, "group"),
            version: s(r, "version"),
            resource: s(r, "resource"),
            subresource: s(r, "subresource"),
            name: s(r, "name"),
        }),
        non_resource_attributes: spec
            .get("nonResourceAttributes")
            .map(|n| NonResourceAttributes {
                path: s(n, "path"),
                verb: s(n, "verb"),
            }),
    });
    let st = review.get("status").cloned().unwrap_or(Value::Null);
    let msg = SelfSubjectAccessReview {
        metadata: Some(ObjectMeta::default()),
        spec,
        status: Some(SubjectAccessReviewStatus {
            allowed: Some(b(&st, "allowed").unwrap_or(false)),
            reason: s(&st, "reason"),
            evaluation_error: s(&st, "evaluationError"),
            denied: b(&st, "denied"),
        }),
    };
    encode_envelope(
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        msg.encode_to_vec(),
    )
}

fn put_str(m: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
        m.insert(key.into(), Value::String(v.into()));
    }
}

fn put_map(m: &mut Map<String, Value>, key: &str, v: &BTreeMap<String, String>) {
    if !v.is_empty() {
        m.insert(key.into(), json!(v));
    }
}

/// `ObjectMeta` in its JSON form (empty fields omitted, as Go's `omitempty` does).
pub fn object_meta_to_json(meta: &ObjectMeta) -> Value {
    let mut m = Map::new();
    put_str(&mut m, "name", &meta.name);
    put_str(&mut m, "generateName", &meta.generate_name);
    put_str(&mut m, "namespace", &meta.namespace);
    put_str(&mut m, "uid", &meta.uid);
    put_str(&mut m, "resourceVersion", &meta.resource_version);
    put_map(&mut m, "labels", &meta.labels);
    put_map(&mut m, "annotations", &meta.annotations);
    if !meta.owner_references.is_empty() {
        let refs: Vec<Value> = meta
            .owner_references
            .iter()
            .map(|r| {
                let mut o = Map::new();
                o.insert(
                    "apiVersion".into(),
                    json!(r.api_version.clone().unwrap_or_default()),
                );
                o.insert("kind".into(), json!(r.kind.clone().unwrap_or_default()));
                o.insert("name".into(), json!(r.name.clone().unwrap_or_default()));
                o.insert("uid".into(), json!(r.uid.clone().unwrap_or_default()));
                if let Some(c) = r.controller {
                    o.insert("controller".into(), json!(c));
                }
                if let Some(b) = r.block_owner_deletion {
                    o.insert("blockOwnerDeletion".into(), json!(b));
                }
                Value::Object(o)
            })
            .collect();
        m.insert("ownerReferences".into(), Value::Array(refs));
    }
    if !meta.finalizers.is_empty() {
        m.insert("finalizers".into(), json!(meta.finalizers));
    }
    Value::Object(m)
}

fn meta_json(meta: &Option<ObjectMeta>) -> Value {
    meta.as_ref().map_or_else(|| json!({}), object_meta_to_json)
}

/// A `v1.Namespace` in its JSON form.
pub fn namespace_to_json(ns: &Namespace) -> Value {
    let mut o =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta_json(&ns.metadata)});
    if let Some(spec) = &ns.spec {
        o["spec"] = if spec.finalizers.is_empty() {
            json!({})
        } else {
            json!({"finalizers": spec.finalizers})
        };
    }
    o
}

/// A `v1.Secret` in its JSON form (`data` base64-encoded).
pub fn secret_to_json(s: &Secret) -> Value {
    let mut o = json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta_json(&s.metadata)});
    if !s.data.is_empty() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let data: Map<String, Value> = s
            .data
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(b64.encode(v))))
            .collect();
        o["data"] = Value::Object(data);
    }
    if !s.string_data.is_empty() {
        o["stringData"] = json!(s.string_data);
    }
    if let Some(t) = s.type_.as_deref().filter(|t| !t.is_empty()) {
        o["type"] = json!(t);
    }
    if let Some(i) = s.immutable {
        o["immutable"] = json!(i);
    }
    o
}

/// A `SelfSubjectAccessReview` in its JSON form.
pub fn ssar_to_json(r: &SelfSubjectAccessReview) -> Value {
    let mut spec = Map::new();
    if let Some(spec_pb) = &r.spec {
        if let Some(a) = &spec_pb.resource_attributes {
            let mut m = Map::new();
            put_str(&mut m, "namespace", &a.namespace);
            put_str(&mut m, "verb", &a.verb);
            put_str(&mut m, "group", &a.group);
            put_str(&mut m, "version", &a.version);
            put_str(&mut m, "resource", &a.resource);
            put_str(&mut m, "subresource", &a.subresource);
            put_str(&mut m, "name", &a.name);
            spec.insert("resourceAttributes".into(), Value::Object(m));
        }
        if let Some(a) = &spec_pb.non_resource_attributes {
            let mut m = Map::new();
            put_str(&mut m, "path", &a.path);
            put_str(&mut m, "verb", &a.verb);
            spec.insert("nonResourceAttributes".into(), Value::Object(m));
        }
    }
    let mut o = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "metadata": meta_json(&r.metadata), "spec": spec});
    if let Some(st) = &r.status {
        let mut m = Map::new();
        m.insert("allowed".into(), json!(st.allowed.unwrap_or(false)));
        if let Some(d) = st.denied {
            m.insert("denied".into(), json!(d));
        }
        put_str(&mut m, "reason", &st.reason);
        put_str(&mut m, "evaluationError", &st.evaluation_error);
        o["status"] = Value::Object(m);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(api_version: &str, kind: &str, msg: &impl Message) -> Vec<u8> {
        encode_envelope(api_version, kind, msg.encode_to_vec())
    }

    #[test]
    fn hand_built_namespace() {
        // k8s\0 + Unknown{typeMeta{"v1","Namespace"}, raw=Namespace{metadata{name:"test-ns"}, spec{}}, "", ""}
        let mut body = b"k8s\0".to_vec();
        body.extend([0x0a, 0x0f, 0x0a, 0x02, b'v', b'1', 0x12, 0x09]);
        body.extend(b"Namespace");
        body.extend([0x12, 0x0d, 0x0a, 0x09, 0x0a, 0x07]);
        body.extend(b"test-ns");
        body.extend([0x12, 0x00, 0x1a, 0x00, 0x22, 0x00]);
        assert_eq!(
            decode_object(&body).unwrap(),
            json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"test-ns"},"spec":{}})
        );
        // Our encoder produces exactly these bytes.
        let ns = Namespace {
            metadata: Some(ObjectMeta {
                name: Some("test-ns".into()),
                ..Default::default()
            }),
            spec: Some(NamespaceSpec::default()),
        };
        assert_eq!(wrap("v1", "Namespace", &ns), body);
    }

    #[test]
    fn hand_built_secret_with_data_map() {
        // Secret{metadata{name:"s"}, data{"k": [0xff, 0x00]}, type:"Opaque"}
        let mut raw = vec![0x0a, 0x03, 0x0a, 0x01, b's'];
        raw.extend([0x12, 0x07, 0x0a, 0x01, b'k', 0x12, 0x02, 0xff, 0x00]);
        raw.extend([0x1a, 0x06]);
        raw.extend(b"Opaque");
        let body = encode_envelope("v1", "Secret", raw.clone());
        assert_eq!(
            decode_object(&body).unwrap(),
            json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"/wA="},"type":"Opaque"})
        );
        let s = Secret::decode(raw.as_slice()).unwrap();
        assert_eq!(s.data["k"], vec![0xff, 0x00]);
    }

    #[test]
    fn namespace_with_full_metadata() {
        let ns = Namespace {
            metadata: Some(ObjectMeta {
                name: Some("ns1".into()),
                generate_name: Some("g-".into()),
                namespace: Some(String::new()),
                uid: Some("u".into()),
                resource_version: Some("7".into()),
                labels: BTreeMap::from([("a".into(), "1".into())]),
                annotations: BTreeMap::from([("b".into(), "2".into())]),
                owner_references: vec![OwnerReference {
                    api_version: Some("v1".into()),
                    kind: Some("X".into()),
                    name: Some("o".into()),
                    uid: Some("ou".into()),
                    controller: Some(true),
                    block_owner_deletion: None,
                }],
                finalizers: vec!["f".into()],
            }),
            spec: Some(NamespaceSpec {
                finalizers: vec!["kubernetes".into()],
            }),
        };
        assert_eq!(
            decode_object(&wrap("v1", "Namespace", &ns)).unwrap(),
            json!({"apiVersion":"v1","kind":"Namespace",
              "metadata":{"name":"ns1","generateName":"g-","uid":"u","resourceVersion":"7",
                "labels":{"a":"1"},"annotations":{"b":"2"},
                "ownerReferences":[{"apiVersion":"v1","kind":"X","name":"o","uid":"ou","controller":true}],
                "finalizers":["f"]},
              "spec":{"finalizers":["kubernetes"]}})
        );
    }

    #[test]
    fn secret_generic_and_string_data() {
        let s = Secret {
            metadata: Some(ObjectMeta {
                name: Some("creds".into()),
                namespace: Some("default".into()),
                ..Default::default()
            }),
            data: BTreeMap::from([
                ("username".into(), b"admin".to_vec()),
                ("password".into(), b"p@ss".to_vec()),
            ]),
            type_: Some("kubernetes.io/basic-auth".into()),
            string_data: BTreeMap::from([("x".into(), "y".into())]),
            immutable: Some(true),
        };
        assert_eq!(
            decode_object(&wrap("v1", "Secret", &s)).unwrap(),
            json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds","namespace":"default"},
              "data":{"password":"cEBzcw==","username":"YWRtaW4="},"stringData":{"x":"y"},
              "type":"kubernetes.io/basic-auth","immutable":true})
        );
    }

    #[test]
    fn self_subject_access_review_round_trip() {
        let req = SelfSubjectAccessReview {
            metadata: Some(ObjectMeta::default()),
            spec: Some(SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: Some("default".into()),
                    verb: Some("list".into()),
                    group: Some("porch.kpt.dev".into()),
                    version: Some(String::new()),
                    resource: Some("packagerevisions".into()),
                    subresource: Some(String::new()),
                    name: Some(String::new()),
                }),
                non_resource_attributes: None,
            }),
            status: Some(SubjectAccessReviewStatus::default()),
        };
        let mut v = decode_object(&wrap(
            "authorization.k8s.io/v1",
            "SelfSubjectAccessReview",
            &req,
        ))
        .unwrap();
        assert_eq!(
            v,
            json!({"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{},
              "spec":{"resourceAttributes":{"namespace":"default","verb":"list","group":"porch.kpt.dev","resource":"packagerevisions"}},
              "status":{"allowed":false}})
        );
        v["status"] = json!({"allowed": true, "reason": "admin"});
        let body = encode_self_subject_access_review(&v);
        let env = decode_envelope(&body).unwrap();
        assert_eq!(
            (env.api_version.as_str(), env.kind.as_str()),
            ("authorization.k8s.io/v1", "SelfSubjectAccessReview")
        );
        let back = SelfSubjectAccessReview::decode(env.raw.as_slice()).unwrap();
        let st = back.status.unwrap();
        assert_eq!(
            (st.allowed, st.reason.as_deref(), st.denied),
            (Some(true), Some("admin"), None)
        );
        assert_eq!(
            back.spec
                .unwrap()
                .resource_attributes
                .unwrap()
                .resource
                .as_deref(),
            Some("packagerevisions")
        );
        // And decoding the response gives the JSON back.
        assert_eq!(
            decode_object(&body).unwrap()["status"],
            json!({"allowed":true,"reason":"admin"})
        );
    }

    #[test]
    fn non_resource_review() {
        let v = json!({"spec":{"nonResourceAttributes":{"path":"/healthz","verb":"get"}},"status":{"allowed":false,"denied":true}});
        let out = decode_object(&encode_self_subject_access_review(&v)).unwrap();
        assert_eq!(
            out["spec"],
            json!({"nonResourceAttributes":{"path":"/healthz","verb":"get"}})
        );
        assert_eq!(out["status"], json!({"allowed":false,"denied":true}));
    }

    #[test]
    fn hand_built_ssar_allowed_response_bytes() {
        // status{allowed:true} only: field 3 (len 2) = {field 1 varint 1}.
        let raw = vec![0x0a, 0x00, 0x1a, 0x02, 0x08, 0x01];
        let r = SelfSubjectAccessReview::decode(raw.as_slice()).unwrap();
        assert_eq!(r.status.unwrap().allowed, Some(true));
        assert_eq!(
            encode_self_subject_access_review(&json!({"status":{"allowed":true}})),
            encode_envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", raw)
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            decode_envelope(b"{}").unwrap_err(),
            ProtobufError::MissingMagic
        );
        assert!(matches!(
            decode_envelope(b"k8s\0\x0a\x05ab"),
            Err(ProtobufError::Decode(_))
        ));
        let body = encode_envelope("v1", "Pod", vec![]);
        assert_eq!(
            decode_object(&body).unwrap_err().to_string(),
            "no protobuf decoder for v1, Kind=Pod"
        );
        let mut u = Unknown::decode(&body[4..]).unwrap();
        u.content_encoding = Some("gzip".into());
        let mut gz = MAGIC.to_vec();
        gz.extend(u.encode_to_vec());
        assert_eq!(
            decode_object(&gz).unwrap_err(),
            ProtobufError::ContentEncoding("gzip".into())
        );
        assert!(matches!(
            decode_object(&encode_envelope("v1", "Secret", vec![0x0a, 0x05])),
            Err(ProtobufError::Decode(_))
        ));
        assert!(has_magic(&body));
        assert!(!has_magic(b"k8s"));
    }

    #[test]
    fn unknown_fields_are_skipped() {
        // Namespace with an unknown field 3 (status) containing garbage-free bytes, and ObjectMeta field 8.
        let raw = vec![0x0a, 0x05, 0x0a, 0x01, b'n', 0x42, 0x00, 0x1a, 0x00];
        let body = encode_envelope("v1", "Namespace", raw);
        assert_eq!(
            decode_object(&body).unwrap()["metadata"],
            json!({"name":"n"})
        );
    }
}
