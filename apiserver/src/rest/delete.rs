//! delete and deletecollection: preconditions, dryRun, finalizers (202 and
//! `deletionTimestamp` while they remain), strategy vetoes and cascades.

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use super::Ctx;
use super::filter::Filter;
use super::output;
use super::write::{PATCH_ATTEMPTS, finalizers, meta_mut, meta_str, now, respond, unstored};
use crate::error::{ApiError, FieldError};
use crate::storage::cache::Cached;
use crate::storage::objects::WriteError;

/// DeleteOptions from the body (kind/apiVersion optional) and the query.
struct DeleteOptions {
    uid: Option<String>,
    resource_version: Option<String>,
    dry_run: bool,
}

async fn delete_options(ctx: &Ctx, bytes: &[u8]) -> Result<DeleteOptions, ApiError> {
    let opts: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::BadRequest(format!("error decoding DeleteOptions: {e}")))?
    };
    if let Some(p) = opts
        .get("propagationPolicy")
        .and_then(Value::as_str)
        .or(ctx.query.get("propagationPolicy"))
        && !["Orphan", "Background", "Foreground"].contains(&p)
    {
        return Err(ApiError::invalid(
            "",
            "DeleteOptions",
            "",
            vec![FieldError::not_supported(
                "propagationPolicy",
                p,
                &["Foreground", "Background", "Orphan"],
            )],
        ));
    }
    let body_dry = opts
        .get("dryRun")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v == "All"));
    Ok(DeleteOptions {
        uid: opts
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string),
        resource_version: opts
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string),
        dry_run: body_dry || ctx.query.dry_run()?,
    })
}

/// Delete one object: 202 while finalizers keep it, 200 once gone.
async fn delete_one(
    ctx: &Ctx,
    name: &str,
    opts: &DeleteOptions,
) -> Result<(StatusCode, Arc<Cached>), ApiError> {
    for _ in 0..PATCH_ATTEMPTS {
        let old = ctx.current(name)?;
        let uid = meta_str(&old.value, "uid").unwrap_or_default();
        if let Some(want) = &opts.uid
            && want != uid
        {
            return Err(ApiError::Conflict {
                subject: ctx.subject(name),
                message: format!(
                    "Precondition failed: UID in precondition: {want}, UID in object meta: {uid}"
                ),
            });
        }
        if let Some(want) = &opts.resource_version
            && *want != old.rv.to_string()
        {
            return Err(ApiError::Conflict {
                subject: ctx.subject(name),
                message: format!(
                    "Precondition failed: ResourceVersion in precondition: {want}, ResourceVersion in object meta: {}",
                    old.rv
                ),
            });
        }
        ctx.strategy.before_delete(&ctx.state, &old.value).await?;
        let key = ctx.key(name);
        if !finalizers(&old.value).is_empty() {
            if old.value.pointer("/metadata/deletionTimestamp").is_some() {
                return Ok((StatusCode::ACCEPTED, old));
            }
            let mut marked = old.value.clone();
            let m = meta_mut(&mut marked)?;
            m.insert("deletionTimestamp".into(), json!(now()));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
            if opts.dry_run {
                return Ok((StatusCode::ACCEPTED, unstored(&key, &marked, old.rv)?));
            }
            match ctx.state.objects.update(&key, &marked, old.rv).await {
                Ok(c) => return Ok((StatusCode::ACCEPTED, c)),
                Err(WriteError::Stale) => continue,
                Err(e) => return Err(ctx.write_error(name, e)),
            }
        }
        if opts.dry_run {
            return Ok((StatusCode::OK, old));
        }
        ctx.strategy.before_remove(&ctx.state, &old.value).await?;
        if let Some(backend) = ctx.strategy.backend() {
            return backend.delete(ctx, &old).await.map(|c| (StatusCode::OK, c));
        }
        match ctx.state.objects.delete(&key, &old.value, old.rv).await {
            Ok(c) => return Ok((StatusCode::OK, c)),
            Err(WriteError::Stale) => continue,
            Err(e) => return Err(ctx.write_error(name, e)),
        }
    }
    Err(ApiError::stale(ctx.subject(name)))
}

/// DELETE of one object.
pub async fn delete(ctx: &Ctx, name: &str, bytes: &[u8]) -> Result<Response, ApiError> {
    let opts = delete_options(ctx, bytes).await?;
    ctx.sync().await?;
    let (code, obj) = delete_one(ctx, name, &opts).await?;
    respond(ctx, code, &obj, &[])
}

/// DELETE of a collection, with selectors.
pub async fn delete_collection(ctx: &Ctx, bytes: &[u8]) -> Result<Response, ApiError> {
    let opts = delete_options(ctx, bytes).await?;
    let filter = Filter::from_query(
        &ctx.query,
        ctx.strategy.clone(),
        ctx.info.namespace.as_deref(),
    )?;
    ctx.sync().await?;
    let prefix = ctx
        .strategy
        .def()
        .namespace_prefix(ctx.info.namespace.as_deref());
    let (items, _) = ctx.state.objects.cache().range(&prefix, None);
    let mut deleted = Vec::new();
    for obj in items.iter().filter(|o| filter.matches(&o.value)) {
        let name = meta_str(&obj.value, "name").unwrap_or_default().to_string();
        match delete_one(ctx, &name, &opts).await {
            Ok((_, c)) => deleted.push(c),
            Err(ApiError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let meta = output::ListMeta {
        resource_version: ctx.state.objects.cache().revision(),
        continue_token: None,
        remaining: None,
    };
    let body = output::list_body(
        ctx.strategy.as_ref(),
        &deleted,
        &meta,
        output::Output::Json,
        output::IncludeObject::Metadata,
    );
    Ok(output::json_response(StatusCode::OK, body, &[]))
}
