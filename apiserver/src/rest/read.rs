//! get and list: served from the watch cache after it caught up with the Store.

use axum::response::Response;
use base64::Engine;
use http::StatusCode;
use serde_json::json;

use super::Ctx;
use super::filter::Filter;
use super::output::{self, IncludeObject, ListMeta};
use crate::error::ApiError;

const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// GET of one object (also of its subresources, which return the parent object).
pub async fn get(ctx: &Ctx, name: &str) -> Result<Response, ApiError> {
    let out = output::negotiate(ctx.accept())?;
    let include = IncludeObject::parse(ctx.query.get("includeObject"))?;
    ctx.sync().await?;
    let source = ctx.source();
    let obj = ctx
        .state
        .objects
        .cache()
        .get(&source.def().key(ctx.info.namespace.as_deref(), name))
        .ok_or_else(|| ApiError::NotFound(ctx.subject(name)))?;
    let obj = derive(ctx, obj).await?;
    let body = output::object_body(ctx.strategy.as_ref(), &obj, out, include);
    Ok(output::json_response(StatusCode::OK, body, &[]))
}

/// For derived resources (PackageRevisionResources), the object computed from its source.
async fn derive(
    ctx: &Ctx,
    obj: std::sync::Arc<crate::storage::cache::Cached>,
) -> Result<std::sync::Arc<crate::storage::cache::Cached>, ApiError> {
    if ctx.strategy.derived_from().is_none() {
        return Ok(obj);
    }
    let value = ctx.strategy.derive(&ctx.state, &obj).await?;
    crate::storage::cache::Cached::unstored(&obj.key, value, obj.rv)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// An opaque continue token: the list revision and the last key returned.
fn encode_continue(rv: u64, key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"v": "meta.k8s.io/v1", "rv": rv, "start": key}).to_string())
}

fn decode_continue(token: &str) -> Result<(u64, String), ApiError> {
    let bad = || ApiError::BadRequest(format!("continue key is not valid: {token:?}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad())?;
    let v: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = v
        .get("rv")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(bad)?;
    let start = v
        .get("start")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(bad)?;
    Ok((rv, start.to_string()))
}

/// Candidates from a watch-cache index when the filter pins an indexed field
/// in a namespaced list, in key order and after `start_after`.
fn indexed_candidates(
    ctx: &Ctx,
    filter: &Filter,
    prefix: &str,
    start_after: Option<&str>,
) -> Option<(Vec<std::sync::Arc<crate::storage::cache::Cached>>, u64)> {
    let ns = ctx.info.namespace.as_deref()?;
    let cache = ctx.state.objects.cache();
    let source = ctx.source();
    let (field, value) = source
        .indexed_fields()
        .iter()
        .find_map(|f| filter.exact(f).map(|v| (*f, v)))?;
    let rv = cache.revision();
    let mut items = cache.indexed(
        &source.def().prefix(),
        &crate::registry::field_index_key(ns, field, value),
    );
    items.retain(|o| o.key.starts_with(prefix) && start_after.is_none_or(|s| o.key.as_str() > s));
    items.sort_by(|a, b| a.key.cmp(&b.key));
    Some((items, rv))
}

/// LIST with selectors, `limit` and `continue`.
pub async fn list(ctx: &Ctx) -> Result<Response, ApiError> {
    let out = output::negotiate(ctx.accept())?;
    let include = IncludeObject::parse(ctx.query.get("includeObject"))?;
    let filter = Filter::from_query(
        &ctx.query,
        ctx.strategy.clone(),
        ctx.info.namespace.as_deref(),
    )?;
    let limit = ctx.query.uint("limit")?.unwrap_or(0) as usize;
    let cache = ctx.state.objects.cache();
    match (
        ctx.query.get("resourceVersionMatch"),
        ctx.query.get("resourceVersion"),
    ) {
        (Some(m), _) if !m.is_empty() && m != "NotOlderThan" && m != "Exact" => {
            return Err(ApiError::BadRequest(format!(
                "resourceVersionMatch: Unsupported value: {m:?}"
            )));
        }
        (Some(m), None | Some("")) if !m.is_empty() => {
            return Err(ApiError::BadRequest(
                "resourceVersionMatch is forbidden unless resourceVersion is provided".into(),
            ));
        }
        _ => {}
    }
    let prefix = ctx
        .source()
        .def()
        .namespace_prefix(ctx.info.namespace.as_deref());
    let start_after = match ctx.query.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            let (rv, start) = decode_continue(token)?;
            if rv < cache.oldest() {
                return Err(ApiError::Expired(CONTINUE_EXPIRED.into()));
            }
            if !start.starts_with(&prefix) {
                return Err(ApiError::BadRequest(format!(
                    "continue key is not valid: {token:?}"
                )));
            }
            Some(start)
        }
        None => None,
    };
    // resourceVersion=0 means "any": serve what the cache has; otherwise be at least as new as the Store.
    let min_rv = match ctx.query.get("resourceVersion") {
        Some("0") => 0,
        Some(v) if !v.is_empty() => v
            .parse::<u64>()
            .map_err(|_| ApiError::BadRequest(format!("invalid resource version: {v:?}")))?,
        _ => 0,
    };
    if ctx.query.get("resourceVersion") != Some("0") {
        ctx.sync().await?;
    }
    if min_rv > 0 {
        cache.wait_for(min_rv).await?;
    }
    let (candidates, rv) = match indexed_candidates(ctx, &filter, &prefix, start_after.as_deref()) {
        Some(found) => found,
        None => cache.range(&prefix, start_after.as_deref()),
    };
    let mut items = Vec::new();
    let mut remaining = 0u64;
    let mut last_key = None;
    for obj in candidates {
        if !filter.matches(&obj.value) {
            continue;
        }
        if limit > 0 && items.len() >= limit {
            remaining += 1;
            continue;
        }
        last_key = Some(obj.key.clone());
        items.push(obj);
    }
    let mut derived = Vec::with_capacity(items.len());
    for item in items {
        derived.push(derive(ctx, item).await?);
    }
    let items = derived;
    let continue_token = match (remaining > 0, &last_key) {
        (true, Some(k)) => Some(encode_continue(rv, k)),
        _ => None,
    };
    let meta = ListMeta {
        resource_version: rv,
        continue_token,
        remaining: if filter.is_everything() {
            Some(remaining)
        } else {
            None
        },
    };
    let body = output::list_body(ctx.strategy.as_ref(), &items, &meta, out, include);
    Ok(output::json_response(StatusCode::OK, body, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let t = encode_continue(42, "/registry/x/y/ns/a");
        assert_eq!(
            decode_continue(&t).unwrap(),
            (42, "/registry/x/y/ns/a".to_string())
        );
        assert!(decode_continue("not-a-token!").is_err());
        assert!(
            decode_continue(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("{}"))
                .is_err()
        );
    }
}
