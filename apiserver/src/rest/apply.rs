//! Server-side apply (`application/apply-patch+yaml`): create when absent,
//! otherwise merge with per-manager field ownership and conflicts.

use axum::response::Response;
use http::StatusCode;
use porch_apimachinery::ssa::ApplyError;
use serde_json::json;

use super::Ctx;
use super::write::{
    PATCH_ATTEMPTS, insert_new, managed_of, meta_mut, meta_str, now, respond, set_managed,
    update_object,
};
use crate::error::ApiError;

/// PATCH with an apply body.
pub async fn apply(ctx: &Ctx, name: &str, bytes: &[u8]) -> Result<Response, ApiError> {
    let mut applied = porch_apimachinery::decode::yaml_to_json(bytes)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    ctx.check_type(&mut applied)?;
    if let Some(body_name) = meta_str(&applied, "name").filter(|n| *n != name) {
        return Err(ApiError::BadRequest(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    meta_mut(&mut applied)?.insert("name".into(), json!(name));
    ctx.check_namespace(&mut applied)?;
    let Some(manager) = ctx
        .query
        .get("fieldManager")
        .filter(|m| !m.is_empty())
        .map(str::to_string)
    else {
        return Err(ApiError::BadRequest(
            "PATCH, application/apply-patch+yaml requires fieldManager to be set".into(),
        ));
    };
    let force = ctx.query.flag("force");
    // Unknown fields in the applied configuration follow fieldValidation.
    let (_, warnings) = ctx.normalize(applied.clone(), &[])?;
    let gv = ctx.strategy.def().group_version();
    ctx.sync().await?;
    for _ in 0..PATCH_ATTEMPTS {
        let old = ctx.state.objects.cache().get(&ctx.key(name));
        let live = old.as_ref().map(|o| &o.value);
        let result = porch_apimachinery::ssa::apply(
            live,
            &applied,
            &manager,
            force,
            &managed_of(live),
            &gv,
            &now(),
        )
        .map_err(|e| match e {
            ApplyError::Conflicts(c) => ApiError::Conflict {
                subject: ctx.subject(name),
                message: c.to_string(),
            },
            other => ApiError::BadRequest(other.to_string()),
        })?;
        let mut merged = result.object;
        set_managed(&mut merged, result.managed_fields)?;
        let (merged, _) = ctx.normalize(merged, &[])?;
        let outcome = match &old {
            None => insert_new(ctx, &merged, false)
                .await
                .map(|c| (StatusCode::CREATED, c)),
            Some(old) => update_object(ctx, name, old, merged, "Apply").await,
        };
        match outcome {
            // Someone else created or changed it meanwhile: apply again on the new state.
            Err(ApiError::AlreadyExists(_)) | Err(ApiError::Conflict { .. }) => {
                ctx.sync().await?;
                continue;
            }
            Err(e) => return Err(e),
            Ok((code, written)) => return respond(ctx, code, &written, &warnings),
        }
    }
    Err(ApiError::stale(ctx.subject(name)))
}
