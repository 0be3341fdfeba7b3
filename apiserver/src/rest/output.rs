//! Response encodings of resource requests: plain JSON, `meta.k8s.io` Table
//! (what `kubectl get` asks for) and PartialObjectMetadata.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::registry::Strategy;
use crate::storage::cache::Cached;

/// How the client wants objects rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    /// A Table of `meta.k8s.io/<version>`.
    Table(&'static str),
    /// PartialObjectMetadata(List) of `meta.k8s.io/<version>`.
    Metadata(&'static str),
}

/// Pick the output from the Accept header (406 when nothing acceptable is offered).
pub fn negotiate(accept: Option<&str>) -> Result<Output, ApiError> {
    use porch_apimachinery::media::{ObjectFormat, negotiate_object};
    match negotiate_object(accept) {
        Some(ObjectFormat::Json) | Some(ObjectFormat::Yaml) => Ok(Output::Json),
        Some(ObjectFormat::Table(v)) => Ok(Output::Table(meta_version(v))),
        Some(ObjectFormat::PartialObjectMetadata(v)) | Some(ObjectFormat::PartialObjectMetadataList(v)) => {
            Ok(Output::Metadata(meta_version(v)))
        }
        None => Err(ApiError::NotAcceptable(
            "only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io".into(),
        )),
    }
}

fn meta_version(v: porch_apimachinery::table::MetaVersion) -> &'static str {
    match v {
        porch_apimachinery::table::MetaVersion::V1 => "meta.k8s.io/v1",
        porch_apimachinery::table::MetaVersion::V1Beta1 => "meta.k8s.io/v1beta1",
    }
}

/// A JSON response with extra `Warning` headers.
pub fn json_response(code: StatusCode, body: impl Into<Body>, warnings: &[String]) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for w in warnings {
        let text = format!("299 - {}", json!(w));
        if let Ok(v) = HeaderValue::from_str(&text) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}

/// `includeObject` of Table requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(v: Option<&str>) -> Result<Self, ApiError> {
        match v {
            None | Some("") | Some("Metadata") => Ok(IncludeObject::Metadata),
            Some("None") => Ok(IncludeObject::None),
            Some("Object") => Ok(IncludeObject::Object),
            Some(o) => Err(ApiError::BadRequest(format!(
                "includeObject must be one of None, Metadata or Object, got {o:?}"
            ))),
        }
    }
}

/// The column definitions of a resource's Table (Name first).
pub fn column_definitions(strategy: &dyn Strategy) -> Value {
    let mut cols = vec![json!({
        "name": "Name", "type": "string", "format": "name", "priority": 0,
        "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    })];
    for c in &strategy.def().columns {
        cols.push(json!({"name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority}));
    }
    Value::Array(cols)
}

fn partial_metadata(obj: &Value, meta_api: &str) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": meta_api, "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
}

/// The cells of one row: computed once per object and cached; `date`
/// columns are kept as epoch seconds and rendered as ages (`5m`) relative to `now`.
pub fn row_cells(strategy: &dyn Strategy, obj: &Cached, now: i64) -> Vec<Value> {
    let columns = &strategy.def().columns;
    let cached = obj.cells(|v| {
        let mut cells = vec![
            v.pointer("/metadata/name")
                .cloned()
                .unwrap_or(Value::String(String::new())),
        ];
        cells.extend(strategy.cells(v));
        for (i, c) in columns.iter().enumerate() {
            if c.type_ == "date"
                && let Some(cell) = cells.get_mut(i + 1)
            {
                let epoch = cell
                    .as_str()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                    .map(|t| t.as_second());
                *cell = epoch.map(Value::from).unwrap_or(Value::Null);
            }
        }
        cells
    });
    let mut cells = cached.to_vec();
    for (i, c) in columns.iter().enumerate() {
        if c.type_ == "date"
            && let Some(cell) = cells.get_mut(i + 1)
        {
            *cell = match cell.as_i64() {
                Some(epoch) => Value::String(human_duration(now - epoch)),
                None => Value::String("<unknown>".into()),
            };
        }
    }
    cells
}

/// One Table row.
pub fn table_row(
    strategy: &dyn Strategy,
    obj: &Cached,
    include: IncludeObject,
    meta_api: &str,
) -> Value {
    let mut row = json!({"cells": row_cells(strategy, obj, jiff::Timestamp::now().as_second())});
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => row["object"] = partial_metadata(&obj.value, meta_api),
        IncludeObject::Object => row["object"] = obj.value.clone(),
    }
    row
}

/// List metadata fields.
pub struct ListMeta {
    pub resource_version: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<u64>,
}

impl ListMeta {
    fn to_json(&self) -> Value {
        let mut m = json!({"resourceVersion": self.resource_version.to_string()});
        if let Some(c) = &self.continue_token {
            m["continue"] = json!(c);
        }
        if let Some(r) = self.remaining.filter(|r| *r > 0) {
            m["remainingItemCount"] = json!(r);
        }
        m
    }
}

/// Render a list in the negotiated output. Plain JSON lists concatenate the
/// cached encodings of the items (no re-encoding).
pub fn list_body(
    strategy: &dyn Strategy,
    items: &[Arc<Cached>],
    meta: &ListMeta,
    output: Output,
    include: IncludeObject,
) -> Bytes {
    let def = strategy.def();
    match output {
        Output::Json => {
            let head = json!({"kind": def.list_kind(), "apiVersion": def.group_version(), "metadata": meta.to_json()});
            let head = head.to_string();
            let size: usize =
                items.iter().map(|i| i.json.len() + 1).sum::<usize>() + head.len() + 16;
            let mut buf = BytesMut::with_capacity(size);
            // `{"kind":..,"metadata":{..}` + `,"items":[` ... `]}`
            buf.put_slice(&head.as_bytes()[..head.len() - 1]);
            buf.put_slice(b",\"items\":[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.put_u8(b',');
                }
                buf.put_slice(&item.json);
            }
            buf.put_slice(b"]}");
            buf.freeze()
        }
        Output::Table(api) => {
            // Rows are spliced from each object's cached metadata encoding.
            let head = json!({"kind": "Table", "apiVersion": api, "metadata": meta.to_json(),
                "columnDefinitions": column_definitions(strategy)})
            .to_string();
            let mut buf = BytesMut::with_capacity(head.len() + items.len() * 1024);
            buf.put_slice(&head.as_bytes()[..head.len() - 1]);
            buf.put_slice(b",\"rows\":[");
            let now = jiff::Timestamp::now().as_second();
            let object_head = format!(
                "{{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"{api}\",\"metadata\":"
            );
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.put_u8(b',');
                }
                let cells = row_cells(strategy, item, now);
                buf.put_slice(b"{\"cells\":");
                buf.put_slice(&serde_json::to_vec(&cells).unwrap_or_else(|_| b"[]".to_vec()));
                match include {
                    IncludeObject::None => {}
                    IncludeObject::Metadata => {
                        buf.put_slice(b",\"object\":");
                        buf.put_slice(object_head.as_bytes());
                        buf.put_slice(item.metadata_json());
                        buf.put_u8(b'}');
                    }
                    IncludeObject::Object => {
                        buf.put_slice(b",\"object\":");
                        buf.put_slice(&item.json);
                    }
                }
                buf.put_u8(b'}');
            }
            buf.put_slice(b"]}");
            buf.freeze()
        }
        Output::Metadata(api) => {
            let items: Vec<Value> = items
                .iter()
                .map(|i| partial_metadata(&i.value, api))
                .collect();
            let l = json!({"kind": "PartialObjectMetadataList", "apiVersion": api, "metadata": meta.to_json(), "items": items});
            Bytes::from(l.to_string())
        }
    }
}

/// Render one object in the negotiated output.
pub fn object_body(
    strategy: &dyn Strategy,
    obj: &Cached,
    output: Output,
    include: IncludeObject,
) -> Bytes {
    match output {
        Output::Json => obj.json.clone(),
        Output::Table(api) => {
            let t = json!({"kind": "Table", "apiVersion": api,
                "metadata": {"resourceVersion": obj.rv.to_string()},
                "columnDefinitions": column_definitions(strategy),
                "rows": [table_row(strategy, obj, include, api)]});
            Bytes::from(t.to_string())
        }
        Output::Metadata(api) => Bytes::from(partial_metadata(&obj.value, api).to_string()),
    }
}

/// Kubernetes' `HumanDuration` (what kubectl shows in AGE columns).
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    if s < 120 {
        return format!("{s}s");
    }
    let m = s / 60;
    if m < 10 {
        let rs = s % 60;
        return if rs == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{rs}s")
        };
    }
    if m < 180 {
        return format!("{m}m");
    }
    let h = s / 3600;
    if h < 8 {
        let rm = (s / 60) % 60;
        return if rm == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{rm}m")
        };
    }
    if h < 48 {
        return format!("{h}h");
    }
    if h < 24 * 8 {
        let rh = h % 24;
        return if rh == 0 {
            format!("{}d", h / 24)
        } else {
            format!("{}d{rh}h", h / 24)
        };
    }
    if h < 24 * 365 * 2 {
        return format!("{}d", h / 24);
    }
    if h < 24 * 365 * 8 {
        let dy = (h / 24) % 365;
        return if dy == 0 {
            format!("{}y", h / 24 / 365)
        } else {
            format!("{}y{dy}d", h / 24 / 365)
        };
    }
    format!("{}y", h / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_kubernetes() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 120), "3h2m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400), "3d");
    }
}
