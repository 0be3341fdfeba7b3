//! create, update, patch, delete and deletecollection: one write path for
//! every resource, with metadata defaulting, optimistic concurrency, dryRun,
//! fieldValidation, managedFields and finalizers.

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use super::Ctx;
use super::body::{self, check_fields};
use super::output;
use crate::error::{ApiError, FieldError};
use crate::storage::cache::Cached;
use crate::storage::objects::WriteError;

pub(super) const PATCH_ATTEMPTS: usize = 8;

pub(super) fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub(super) fn meta_mut(obj: &mut Value) -> Result<&mut serde_json::Map<String, Value>, ApiError> {
    let root = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::BadRequest("the request body must be a JSON object".into()))?;
    root.entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| ApiError::BadRequest("metadata must be an object".into()))
}

pub(super) fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

pub(super) fn finalizers(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn rv_of(obj: &Value) -> Result<Option<u64>, ApiError> {
    match meta_str(obj, "resourceVersion") {
        None => Ok(None),
        Some(v) => v
            .parse::<u64>()
            .map(Some)
            .map_err(|_| ApiError::BadRequest(format!("invalid resourceVersion {v:?}"))),
    }
}

impl Ctx {
    pub(super) fn write_error(&self, name: &str, e: WriteError) -> ApiError {
        match e {
            WriteError::Exists => ApiError::AlreadyExists(self.subject(name)),
            WriteError::Stale => ApiError::stale(self.subject(name)),
            WriteError::Missing => ApiError::NotFound(self.subject(name)),
            WriteError::Api(e) => e,
        }
    }

    pub(super) fn invalid(&self, name: &str, causes: Vec<FieldError>) -> ApiError {
        let def = self.strategy.def();
        ApiError::invalid(def.group, def.kind, name, causes)
    }

    /// apiVersion/kind of a body must be this resource's (filled in when absent).
    pub(super) fn check_type(&self, obj: &mut Value) -> Result<(), ApiError> {
        let def = self.strategy.def();
        let gv = def.group_version();
        if !obj.is_object() {
            return Err(ApiError::BadRequest(
                "the request body must be a JSON object".into(),
            ));
        }
        match obj.get("apiVersion").and_then(Value::as_str) {
            Some(v) if !v.is_empty() && v != gv => {
                return Err(ApiError::BadRequest(format!(
                    "the API version in the data ({v}) does not match the expected API version ({gv})"
                )));
            }
            _ => obj["apiVersion"] = json!(gv),
        }
        match obj.get("kind").and_then(Value::as_str) {
            Some(k) if !k.is_empty() && k != def.kind => {
                return Err(ApiError::BadRequest(format!(
                    "the kind in the data ({k}) does not match the expected kind ({})",
                    def.kind
                )));
            }
            _ => obj["kind"] = json!(def.kind),
        }
        Ok(())
    }

    /// Namespace from the URL; a different one in the body is a 400.
    pub(super) fn check_namespace(&self, obj: &mut Value) -> Result<(), ApiError> {
        let url_ns = self.info.namespace.clone();
        let body_ns = meta_str(obj, "namespace").map(str::to_string);
        if self.strategy.def().namespaced {
            let ns = url_ns.ok_or_else(|| {
                ApiError::BadRequest("the namespace of the object is required".into())
            })?;
            if body_ns.is_some_and(|b| b != ns) {
                return Err(ApiError::BadRequest(
                    "the namespace of the provided object does not match the namespace sent on the request".into(),
                ));
            }
            meta_mut(obj)?.insert("namespace".into(), json!(ns));
        } else {
            meta_mut(obj)?.remove("namespace");
        }
        Ok(())
    }

    /// Typed round trip plus fieldValidation; returns warnings.
    pub(super) fn normalize(
        &self,
        obj: Value,
        duplicates: &[String],
    ) -> Result<(Value, Vec<String>), ApiError> {
        let n = self
            .strategy
            .normalize(obj)
            .map_err(|e| ApiError::BadRequest(format!("decoding the object: {e}")))?;
        let warnings = check_fields(self.query.field_validation()?, &n.unknown, duplicates)?;
        Ok((n.value, warnings))
    }

    pub(super) async fn namespace_exists(&self) -> Result<(), ApiError> {
        let def = self.strategy.def();
        if !def.namespaced || !self.state.registry.has_core() {
            return Ok(());
        }
        let ns = self.info.namespace.as_deref().unwrap_or_default();
        let key = format!(
            "{}core/namespaces/{ns}",
            crate::storage::cache::REGISTRY_PREFIX
        );
        if self.state.objects.cache().get(&key).is_none() {
            return Err(ApiError::NotFound(crate::error::Subject::new(
                "",
                "namespaces",
                ns,
            )));
        }
        Ok(())
    }

    pub(super) fn manager(&self) -> Result<Option<String>, ApiError> {
        self.query.field_manager(self.header("user-agent"))
    }

    pub(super) fn track_fields(
        &self,
        old: Option<&Value>,
        new: &mut Value,
        operation: &str,
    ) -> Result<(), ApiError> {
        let Some(manager) = self.manager()? else {
            return Ok(());
        };
        let managed = managed_of(old.or(Some(new)));
        let entries = porch_apimachinery::ssa::update_managed_fields(
            old,
            new,
            &manager,
            operation,
            self.info.subresource.as_deref(),
            &managed,
            &self.strategy.def().group_version(),
            &now(),
        );
        set_managed(new, entries)
    }
}

/// The managedFields entries of an object (none when absent or malformed).
pub(super) fn managed_of(obj: Option<&Value>) -> Vec<porch_apimachinery::meta::ManagedFieldsEntry> {
    obj.and_then(|o| o.pointer("/metadata/managedFields"))
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default()
}

pub(super) fn set_managed(
    obj: &mut Value,
    entries: Vec<porch_apimachinery::meta::ManagedFieldsEntry>,
) -> Result<(), ApiError> {
    let m = meta_mut(obj)?;
    if entries.is_empty() {
        m.remove("managedFields");
    } else {
        m.insert(
            "managedFields".into(),
            serde_json::to_value(entries).unwrap_or(Value::Null),
        );
    }
    Ok(())
}

/// Generic metadata of a new object.
fn default_create_meta(ctx: &Ctx, obj: &mut Value) -> Result<String, ApiError> {
    let def = ctx.strategy.def();
    let name = match meta_str(obj, "name") {
        Some(n) => n.to_string(),
        None => match meta_str(obj, "generateName") {
            Some(prefix) => porch_apimachinery::names::generate_name_random(prefix),
            None => {
                return Err(ctx.invalid(
                    "",
                    vec![FieldError::required(
                        "metadata.name",
                        "name or generateName is required",
                    )],
                ));
            }
        },
    };
    if meta_str(obj, "resourceVersion").is_some() {
        return Err(ApiError::BadRequest(
            "resourceVersion should not be set on objects to be created".into(),
        ));
    }
    let m = meta_mut(obj)?;
    m.insert("name".into(), json!(name));
    m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
    m.insert("creationTimestamp".into(), json!(now()));
    m.remove("deletionTimestamp");
    m.remove("deletionGracePeriodSeconds");
    m.remove("selfLink");
    if def.uses_generation {
        m.insert("generation".into(), json!(1));
    } else {
        m.remove("generation");
    }
    Ok(name)
}

pub(super) fn unstored(key: &str, value: &Value, rv: u64) -> Result<Arc<Cached>, ApiError> {
    Cached::unstored(key, value.clone(), rv).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Default, validate and write a new object (POST, and server-side apply of an absent one).
pub(super) async fn insert_new(
    ctx: &Ctx,
    obj: &Value,
    track: bool,
) -> Result<Arc<Cached>, ApiError> {
    let dry_run = ctx.query.dry_run()?;
    ctx.namespace_exists().await?;
    let generated = meta_str(obj, "name").is_none();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut candidate = obj.clone();
        if let Some(derived) = ctx.strategy.derive_name(&candidate)? {
            let m = meta_mut(&mut candidate)?;
            m.insert("name".into(), json!(derived));
            m.remove("generateName");
        }
        let name = default_create_meta(ctx, &mut candidate)?;
        ctx.strategy.prepare_for_create(&mut candidate);
        validate_name(ctx, &name)?;
        let errs = ctx.strategy.validate_create(&candidate);
        if !errs.is_empty() {
            return Err(ctx.invalid(&name, errs));
        }
        ctx.strategy.before_create(&ctx.state, &candidate).await?;
        if track {
            ctx.track_fields(None, &mut candidate, "Update")?;
        }
        if dry_run {
            return unstored(&ctx.key(&name), &candidate, 0);
        }
        if let Some(backend) = ctx.strategy.backend() {
            return backend.create(ctx, candidate).await;
        }
        match ctx.state.objects.create(&ctx.key(&name), &candidate).await {
            Ok(created) => return Ok(created),
            Err(WriteError::Exists) if generated && attempt < 8 => continue,
            Err(e) => return Err(ctx.write_error(&name, e)),
        }
    }
}

/// POST.
pub async fn create(ctx: &Ctx, bytes: &[u8]) -> Result<Response, ApiError> {
    let decoded = body::decode_object(&ctx.headers, bytes)?;
    let mut obj = decoded.value;
    ctx.check_type(&mut obj)?;
    ctx.check_namespace(&mut obj)?;
    let (obj, warnings) = ctx.normalize(obj, &decoded.duplicates)?;
    ctx.sync().await?;
    let created = insert_new(ctx, &obj, true).await?;
    respond(ctx, StatusCode::CREATED, &created, &warnings)
}

fn validate_name(ctx: &Ctx, name: &str) -> Result<(), ApiError> {
    let errs: Vec<String> = if ctx.strategy.def().name_is_label {
        porch_apimachinery::names::is_dns1123_label(name)
    } else {
        porch_apimachinery::names::is_dns1123_subdomain(name)
    };
    if errs.is_empty() {
        return Ok(());
    }
    let causes = errs
        .into_iter()
        .map(|e| FieldError::invalid("metadata.name", name, &e))
        .collect();
    Err(ctx.invalid(name, causes))
}

pub(super) fn respond(
    ctx: &Ctx,
    code: StatusCode,
    obj: &Cached,
    warnings: &[String],
) -> Result<Response, ApiError> {
    let out = output::negotiate(ctx.accept())?;
    let include = output::IncludeObject::parse(ctx.query.get("includeObject"))?;
    let body = output::object_body(ctx.strategy.as_ref(), obj, out, include);
    Ok(output::json_response(code, body, warnings))
}

/// Carry system metadata from the stored object into an update.
fn carry_update_meta(ctx: &Ctx, new: &mut Value, old: &Value) -> Result<(), ApiError> {
    let uses_generation = ctx.strategy.def().uses_generation;
    let spec_changed = new.get("spec") != old.get("spec");
    let old_meta = old.get("metadata").cloned().unwrap_or(json!({}));
    let m = meta_mut(new)?;
    for f in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "name",
        "namespace",
    ] {
        match old_meta.get(f) {
            Some(v) => m.insert(f.into(), v.clone()),
            None => m.remove(f),
        };
    }
    m.remove("selfLink");
    if uses_generation {
        let generation = old_meta
            .get("generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let generation = if spec_changed && ctx.info.subresource.is_none() {
            generation + 1
        } else {
            generation
        };
        m.insert("generation".into(), json!(generation));
    }
    if !m.contains_key("managedFields")
        && let Some(mf) = old_meta.get("managedFields")
    {
        m.insert("managedFields".into(), mf.clone());
    }
    Ok(())
}

/// Everything that should be compared to decide whether an update is a no-op.
fn without_volatile(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("managedFields");
    }
    v
}

/// The shared tail of PUT and PATCH: validate, then write `new` over `old` if `old` is still current.
pub(super) async fn update_object(
    ctx: &Ctx,
    name: &str,
    old: &Arc<Cached>,
    mut new: Value,
    operation: &str,
) -> Result<(StatusCode, Arc<Cached>), ApiError> {
    carry_update_meta(ctx, &mut new, &old.value)?;
    let sub = ctx.info.subresource.as_deref();
    ctx.strategy.prepare_for_update(&mut new, &old.value, sub);
    if old.value.pointer("/metadata/deletionTimestamp").is_some() {
        let before = finalizers(&old.value);
        if finalizers(&new).iter().any(|f| !before.contains(f)) {
            return Err(ctx.invalid(
                name,
                vec![FieldError::forbidden(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted",
                )],
            ));
        }
    }
    let mut errs = if ctx.strategy.validates_updates_as_creates() {
        ctx.strategy.validate_create(&new)
    } else {
        Vec::new()
    };
    errs.extend(ctx.strategy.validate_update(&new, &old.value));
    if !errs.is_empty() {
        return Err(ctx.invalid(name, errs));
    }
    ctx.strategy
        .before_update(&ctx.state, &new, &old.value)
        .await?;
    if operation != "Apply" && ctx.strategy.derived_from().is_none() {
        ctx.track_fields(Some(&old.value), &mut new, operation)?;
    }
    if without_volatile(&new) == without_volatile(&old.value)
        && new.pointer("/metadata/managedFields") == old.value.pointer("/metadata/managedFields")
    {
        return Ok((StatusCode::OK, Arc::clone(old)));
    }
    let key = ctx.key(name);
    let terminating_done =
        new.pointer("/metadata/deletionTimestamp").is_some() && finalizers(&new).is_empty();
    if ctx.query.dry_run()? {
        return Ok((StatusCode::OK, unstored(&key, &new, old.rv)?));
    }
    if let Some(backend) = ctx.strategy.backend() {
        return backend
            .update(ctx, old, new)
            .await
            .map(|c| (StatusCode::OK, c));
    }
    let written = if terminating_done {
        ctx.state.objects.delete(&key, &new, old.rv).await
    } else {
        ctx.state.objects.update(&key, &new, old.rv).await
    };
    written
        .map(|c| (StatusCode::OK, c))
        .map_err(|e| ctx.write_error(name, e))
}

/// PUT (also of subresources).
pub async fn update(ctx: &Ctx, name: &str, bytes: &[u8]) -> Result<Response, ApiError> {
    let decoded = body::decode_object(&ctx.headers, bytes)?;
    let mut obj = decoded.value;
    ctx.check_type(&mut obj)?;
    if let Some(body_name) = meta_str(&obj, "name")
        && body_name != name
    {
        return Err(ApiError::BadRequest(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    ctx.check_namespace(&mut obj)?;
    let expected = rv_of(&obj)?;
    let (obj, warnings) = ctx.normalize(obj, &decoded.duplicates)?;
    ctx.sync().await?;
    let old = ctx.current_object(name).await?;
    match expected {
        Some(rv) if rv != old.rv => return Err(ApiError::stale(ctx.subject(name))),
        None if ctx.strategy.def().requires_resource_version => {
            return Err(ctx.invalid(
                name,
                vec![FieldError::required(
                    "metadata.resourceVersion",
                    "resourceVersion must be specified for an update",
                )],
            ));
        }
        _ => {}
    }
    let (code, written) = update_object(ctx, name, &old, obj, "Update").await?;
    respond(ctx, code, &written, &warnings)
}

/// PATCH: merge, JSON, strategic (as merge) and server-side apply.
pub async fn patch(ctx: &Ctx, name: &str, bytes: &[u8]) -> Result<Response, ApiError> {
    use porch_apimachinery::media::{PatchType, patch_type};
    let kind = patch_type(ctx.header("content-type")).map_err(|e| {
        ApiError::UnsupportedMediaType(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json ({e})"
        ))
    })?;
    if kind == PatchType::Apply {
        return super::apply::apply(ctx, name, bytes).await;
    }
    let patch: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("error decoding patch: {e}")))?;
    let patch_rv = patch
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_string);
    ctx.sync().await?;
    for _ in 0..PATCH_ATTEMPTS {
        let old = ctx.current_object(name).await?;
        let mut target = old.value.clone();
        use porch_apimachinery::patch::{
            PatchError, json_patch, merge_patch, strategic_merge_patch,
        };
        let applied = match kind {
            PatchType::Json => json_patch(&mut target, &patch),
            PatchType::StrategicMerge => strategic_merge_patch(&mut target, &patch),
            _ => merge_patch(&mut target, &patch),
        };
        applied.map_err(|e| match e {
            PatchError::Malformed(m) => ApiError::BadRequest(m),
            other => ApiError::invalid_patch(&other.to_string()),
        })?;
        if let Some(rv) = &patch_rv
            && rv != &old.rv.to_string()
        {
            return Err(ApiError::stale(ctx.subject(name)));
        }
        let mut target = target;
        ctx.check_type(&mut target)?;
        if meta_str(&target, "name") != Some(name) {
            return Err(ApiError::BadRequest(
                "metadata.name: Invalid value: the name of the object cannot be changed by a patch"
                    .into(),
            ));
        }
        ctx.check_namespace(&mut target)?;
        let (target, warnings) = ctx.normalize(target, &[])?;
        match update_object(ctx, name, &old, target, "Update").await {
            Err(ApiError::Conflict { .. }) if patch_rv.is_none() => {
                ctx.sync().await?;
                continue;
            }
            Err(e) => return Err(e),
            Ok((code, written)) => return respond(ctx, code, &written, &warnings),
        }
    }
    Err(ApiError::Conflict {
        subject: ctx.subject(name),
        message: format!(
            "Operation cannot be fulfilled on {} \"{name}\": too many concurrent updates; please try again",
            ctx.subject(name).qualified()
        ),
    })
}
