//! Discovery documents (legacy and aggregated v2/v2beta1), built once from
//! the registry and served with ETags.

use std::collections::BTreeMap;

use axum::response::Response;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use sha2::Digest;

use crate::error::ApiError;
use crate::registry::{Registry, ResourceDef};

/// Pre-rendered discovery documents.
pub struct Discovery {
    /// `/apis` legacy APIGroupList.
    apis_legacy: String,
    /// `/apis` aggregated, per apiVersion (v2, v2beta1).
    apis_aggregated: BTreeMap<&'static str, String>,
    /// `/api` legacy and aggregated.
    api_legacy: String,
    api_aggregated: BTreeMap<&'static str, String>,
    /// `/apis/<g>` and `/apis/<g>/<v>` (and `/api/v1`), keyed by path.
    documents: BTreeMap<String, String>,
}

fn verbs_json(verbs: &[&str]) -> Value {
    let mut v: Vec<&str> = verbs.to_vec();
    v.sort_unstable();
    json!(v)
}

fn legacy_resources(defs: &[&ResourceDef]) -> Vec<Value> {
    let mut out = Vec::new();
    for d in defs {
        let mut r = json!({"name": d.plural, "singularName": d.singular, "namespaced": d.namespaced, "kind": d.kind, "verbs": verbs_json(d.verbs)});
        if !d.short_names.is_empty() {
            r["shortNames"] = json!(d.short_names);
        }
        out.push(r);
        for (sub, verbs) in d.subresources {
            out.push(json!({"name": format!("{}/{sub}", d.plural), "singularName": "", "namespaced": d.namespaced, "kind": d.kind, "verbs": verbs_json(verbs)}));
        }
    }
    out
}

fn aggregated_resources(defs: &[&ResourceDef]) -> Vec<Value> {
    defs.iter()
        .map(|d| {
            let kind = json!({"group": d.group, "version": d.version, "kind": d.kind});
            let mut r = json!({"resource": d.plural, "responseKind": kind, "scope": if d.namespaced {"Namespaced"} else {"Cluster"},
                "singularResource": d.singular, "verbs": verbs_json(d.verbs)});
            if !d.short_names.is_empty() {
                r["shortNames"] = json!(d.short_names);
            }
            if !d.subresources.is_empty() {
                r["subresources"] = Value::Array(
                    d.subresources
                        .iter()
                        .map(|(sub, verbs)| json!({"subresource": sub, "responseKind": kind, "verbs": verbs_json(verbs)}))
                        .collect(),
                );
            }
            r
        })
        .collect()
}

impl Discovery {
    pub fn build(registry: &Registry, server_address: &str) -> Discovery {
        let mut groups: BTreeMap<&str, BTreeMap<&str, Vec<&ResourceDef>>> = BTreeMap::new();
        for s in registry.all() {
            let d = s.def();
            groups
                .entry(d.group)
                .or_default()
                .entry(d.version)
                .or_default()
                .push(d);
        }
        let mut documents = BTreeMap::new();
        let mut legacy_groups = Vec::new();
        let mut agg_items = Vec::new();
        let mut core_items = Vec::new();
        for (group, versions) in &groups {
            let gvs: Vec<Value> = versions
                .keys()
                .map(|v| {
                    let gv = if group.is_empty() {
                        v.to_string()
                    } else {
                        format!("{group}/{v}")
                    };
                    json!({"groupVersion": gv, "version": v})
                })
                .collect();
            let preferred = gvs.first().cloned().unwrap_or(json!({}));
            let mut agg_versions = Vec::new();
            for (version, defs) in versions {
                let gv = if group.is_empty() {
                    version.to_string()
                } else {
                    format!("{group}/{version}")
                };
                let list = json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": legacy_resources(defs)});
                let path = if group.is_empty() {
                    format!("/api/{version}")
                } else {
                    format!("/apis/{group}/{version}")
                };
                documents.insert(path, list.to_string());
                agg_versions.push(json!({"version": version, "resources": aggregated_resources(defs), "freshness": "Current"}));
            }
            let item = json!({"metadata": {"name": group}, "versions": agg_versions});
            if group.is_empty() {
                core_items.push(json!({"metadata": {}, "versions": item["versions"]}));
                continue;
            }
            let g = json!({"name": group, "versions": gvs, "preferredVersion": preferred});
            let mut doc = g.clone();
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            documents.insert(format!("/apis/{group}"), doc.to_string());
            legacy_groups.push(g);
            agg_items.push(item);
        }
        let agg = |items: &Vec<Value>, v: &str| {
            json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{v}"), "metadata": {}, "items": items}).to_string()
        };
        Discovery {
            apis_legacy: json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": legacy_groups}).to_string(),
            apis_aggregated: [("v2", agg(&agg_items, "v2")), ("v2beta1", agg(&agg_items, "v2beta1"))].into(),
            api_legacy: json!({"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}).to_string(),
            api_aggregated: [("v2", agg(&core_items, "v2")), ("v2beta1", agg(&core_items, "v2beta1"))].into(),
            documents,
        }
    }

    /// Answer `/api` or `/apis` (negotiated) or a group / group-version document.
    pub fn serve(
        &self,
        path: &str,
        headers: &HeaderMap,
        has_core: bool,
    ) -> Result<Response, ApiError> {
        use porch_apimachinery::discovery::AggregatedVersion;
        use porch_apimachinery::media::{DiscoveryFormat, negotiate_discovery};
        let path = path.trim_end_matches('/');
        let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
        let (legacy, aggregated) = match path {
            "/apis" => (&self.apis_legacy, &self.apis_aggregated),
            "/api" if has_core => (&self.api_legacy, &self.api_aggregated),
            "/api" => return Err(ApiError::NotFoundPath),
            other => {
                let doc = self.documents.get(other).ok_or(ApiError::NotFoundPath)?;
                return Ok(respond(headers, doc, "application/json"));
            }
        };
        match negotiate_discovery(accept) {
            Some(DiscoveryFormat::Aggregated(AggregatedVersion::V2)) => Ok(respond(headers, &aggregated["v2"], "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")),
            Some(DiscoveryFormat::Aggregated(AggregatedVersion::V2Beta1)) => Ok(respond(headers, &aggregated["v2beta1"], "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList")),
            Some(DiscoveryFormat::Legacy) => Ok(respond(headers, legacy, "application/json")),
            None => Err(ApiError::NotAcceptable("only the following media types are accepted: application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList".into())),
        }
    }
}

/// A document with an ETag; 304 when the client already has it.
pub fn respond(headers: &HeaderMap, body: &str, content_type: &'static str) -> Response {
    let etag = format!("\"{:x}\"", sha2::Sha256::digest(body.as_bytes()));
    let mut resp = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        let mut r = Response::new(axum::body::Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(axum::body::Body::from(body.to_string()))
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}
