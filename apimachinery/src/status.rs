//! `meta.k8s.io/v1` `Status`: the body of every error response.
//!
//! kubectl prints `Error from server (<reason>): <message>` from it, so the
//! constructors below reproduce k8s.io/apimachinery's `errors.New*` messages
//! and details exactly (kube-api.md §8).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::field_error::{FieldError, aggregate, go_quote};
use crate::meta::ListMeta;

/// `Status` as sent on the wire (also inside watch `ERROR` events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Always `Status`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Always `v1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// Always serialised, as `{}` (Go never omits embedded structs).
    #[serde(default)]
    pub metadata: ListMeta,
    /// `Success` or `Failure`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// Human-readable description, printed by kubectl.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Machine-readable reason (`NotFound`, `Conflict`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Which object the status is about, and field causes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    /// The HTTP status code.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code: i32,
}

/// `StatusDetails`: the object a status refers to and its causes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// Object name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// API group of the object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Kind or resource (Kubernetes puts the resource here for most errors).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Object UID (on successful deletes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Field-level causes (422 Invalid, SSA conflicts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Seconds a client should wait before retrying (429/504).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retry_after_seconds: i32,
}

/// `StatusCause`: one field-level reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusCause {
    /// Cause type, e.g. `FieldValueInvalid` (the wire key is `reason`).
    #[serde(default, rename = "reason", skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Message without the field path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Dotted field path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
}

fn is_zero(v: &i32) -> bool {
    *v == 0
}

/// `StatusReason` values with their HTTP codes (kube-api.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusReason {
    /// 400: malformed request.
    BadRequest,
    /// 401: missing or invalid credentials.
    Unauthorized,
    /// 403: authorisation denied or operation refused.
    Forbidden,
    /// 404: object or resource unknown.
    NotFound,
    /// 405: verb not supported by the resource.
    MethodNotAllowed,
    /// 406: no acceptable response media type.
    NotAcceptable,
    /// 409: create of an existing name.
    AlreadyExists,
    /// 409: stale resourceVersion, precondition failure, SSA conflict.
    Conflict,
    /// 410: resource gone.
    Gone,
    /// 410: resourceVersion or continue token too old.
    Expired,
    /// 413: request too large (e.g. too many JSON patch operations).
    RequestEntityTooLarge,
    /// 415: unsupported Content-Type.
    UnsupportedMediaType,
    /// 422: field validation failed.
    Invalid,
    /// 429: overload.
    TooManyRequests,
    /// 500: genuine server fault.
    InternalError,
    /// 503: a backend is unreachable.
    ServiceUnavailable,
    /// 504: deadline exceeded.
    Timeout,
}

impl StatusReason {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "BadRequest",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "NotFound",
            Self::MethodNotAllowed => "MethodNotAllowed",
            Self::NotAcceptable => "NotAcceptable",
            Self::AlreadyExists => "AlreadyExists",
            Self::Conflict => "Conflict",
            Self::Gone => "Gone",
            Self::Expired => "Expired",
            Self::RequestEntityTooLarge => "RequestEntityTooLarge",
            Self::UnsupportedMediaType => "UnsupportedMediaType",
            Self::Invalid => "Invalid",
            Self::TooManyRequests => "TooManyRequests",
            Self::InternalError => "InternalError",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::Timeout => "Timeout",
        }
    }

    /// The HTTP status code that goes with the reason.
    pub fn code(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::NotAcceptable => 406,
            Self::AlreadyExists | Self::Conflict => 409,
            Self::Gone | Self::Expired => 410,
            Self::RequestEntityTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Invalid => 422,
            Self::TooManyRequests => 429,
            Self::InternalError => 500,
            Self::ServiceUnavailable => 503,
            Self::Timeout => 504,
        }
    }
}

/// `resource.group` (or just `resource` for the core group), as in `GroupResource.String()`.
pub fn qualified_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

impl Default for Status {
    fn default() -> Self {
        Self {
            kind: "Status".into(),
            api_version: "v1".into(),
            metadata: ListMeta::default(),
            status: String::new(),
            message: String::new(),
            reason: String::new(),
            details: None,
            code: 0,
        }
    }
}

impl Status {
    /// A `Failure` status with the given reason (code taken from it) and message.
    pub fn failure(reason: StatusReason, message: impl Into<String>) -> Self {
        Self {
            status: "Failure".into(),
            message: message.into(),
            reason: reason.as_str().into(),
            code: i32::from(reason.code()),
            ..Self::default()
        }
    }

    /// A `Success` status (e.g. a DELETE that completed without returning the object).
    pub fn success() -> Self {
        Self {
            status: "Success".into(),
            ..Self::default()
        }
    }

    /// The `Success` body of a completed delete, naming the object.
    pub fn deleted(group: &str, resource: &str, name: &str, uid: &str) -> Self {
        Self::success()
            .with_details(group, resource, name)
            .with_uid(uid)
    }

    /// Sets `details.{group,kind,name}` (kind = the resource, as Kubernetes does).
    pub fn with_details(mut self, group: &str, kind: &str, name: &str) -> Self {
        let d = self.details.get_or_insert_with(StatusDetails::default);
        d.group = group.into();
        d.kind = kind.into();
        d.name = name.into();
        self
    }

    fn with_uid(mut self, uid: &str) -> Self {
        self.details.get_or_insert_with(StatusDetails::default).uid = uid.into();
        self
    }

    /// 404: `<resource>.<group> "<name>" not found`.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        let msg = format!(
            "{} {} not found",
            qualified_resource(group, resource),
            go_quote(name)
        );
        Self::failure(StatusReason::NotFound, msg).with_details(group, resource, name)
    }

    /// 409: `<resource>.<group> "<name>" already exists`.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        let msg = format!(
            "{} {} already exists",
            qualified_resource(group, resource),
            go_quote(name)
        );
        Self::failure(StatusReason::AlreadyExists, msg).with_details(group, resource, name)
    }

    /// 409: `Operation cannot be fulfilled on <qr> "<name>": <err>`.
    pub fn conflict(group: &str, resource: &str, name: &str, err: &str) -> Self {
        let qr = qualified_resource(group, resource);
        let msg = format!(
            "Operation cannot be fulfilled on {qr} {}: {err}",
            go_quote(name)
        );
        Self::failure(StatusReason::Conflict, msg).with_details(group, resource, name)
    }

    /// 409 for a stale `resourceVersion` (optimistic concurrency).
    pub fn object_modified(group: &str, resource: &str, name: &str) -> Self {
        Self::conflict(
            group,
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 409 for server-side apply conflicts (message and causes built by `ssa`).
    pub fn apply_conflict(message: impl Into<String>, causes: Vec<StatusCause>) -> Self {
        let mut s = Self::failure(StatusReason::Conflict, message);
        s.details = Some(StatusDetails {
            causes,
            ..StatusDetails::default()
        });
        s
    }

    /// 422: `<Kind>.<group> "<name>" is invalid: <errors>` with one cause per error.
    pub fn invalid(group: &str, kind: &str, name: &str, errors: &[FieldError]) -> Self {
        let qk = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let msg = format!("{qk} {} is invalid: {}", go_quote(name), aggregate(errors));
        let causes = errors
            .iter()
            .map(|e| StatusCause {
                reason: e.kind.cause_type().into(),
                message: e.body(),
                field: e.field.clone(),
            })
            .collect();
        let mut s = Self::failure(StatusReason::Invalid, msg).with_details(group, kind, name);
        if let Some(d) = s.details.as_mut() {
            d.causes = causes;
        }
        s
    }

    /// 400 with the given message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::failure(StatusReason::BadRequest, message)
    }

    /// 401; Kubernetes says `Unauthorized` when no reason is given.
    pub fn unauthorized(message: &str) -> Self {
        let m = if message.is_empty() {
            "Unauthorized"
        } else {
            message
        };
        Self::failure(StatusReason::Unauthorized, m)
    }

    /// 403: `<qr> ["<name>" ]is forbidden: <reason>` (or `forbidden: <reason>` without a resource).
    pub fn forbidden(group: &str, resource: &str, name: &str, reason: &str) -> Self {
        let msg = if resource.is_empty() && group.is_empty() {
            format!("forbidden: {reason}")
        } else if name.is_empty() {
            format!(
                "{} is forbidden: {reason}",
                qualified_resource(group, resource)
            )
        } else {
            format!(
                "{} {} is forbidden: {reason}",
                qualified_resource(group, resource),
                go_quote(name)
            )
        };
        Self::failure(StatusReason::Forbidden, msg).with_details(group, resource, name)
    }

    /// 405: `<action> is not supported on resources of kind "<qr>"`.
    pub fn method_not_supported(group: &str, resource: &str, action: &str) -> Self {
        let msg = format!(
            "{action} is not supported on resources of kind {}",
            go_quote(&qualified_resource(group, resource))
        );
        Self::failure(StatusReason::MethodNotAllowed, msg).with_details(group, resource, "")
    }

    /// 410 `Expired`, e.g. `too old resource version: 5 (120)`.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::failure(StatusReason::Expired, message)
    }

    /// 410 `Gone`.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::failure(StatusReason::Gone, message)
    }

    /// 413 with the given message.
    pub fn request_entity_too_large(message: impl Into<String>) -> Self {
        Self::failure(StatusReason::RequestEntityTooLarge, message)
    }

    /// 415: `the body of the request was in an unknown format - accepted media types include: …`.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        let msg = format!(
            "the body of the request was in an unknown format - accepted media types include: {}",
            accepted.join(", ")
        );
        Self::failure(StatusReason::UnsupportedMediaType, msg)
    }

    /// 406: `only the following media types are accepted: …`.
    pub fn not_acceptable(accepted: &[&str]) -> Self {
        let msg = format!(
            "only the following media types are accepted: {}",
            accepted.join(", ")
        );
        Self::failure(StatusReason::NotAcceptable, msg)
    }

    /// 429 with a `retryAfterSeconds` hint.
    pub fn too_many_requests(message: impl Into<String>, retry_after_seconds: i32) -> Self {
        let mut s = Self::failure(StatusReason::TooManyRequests, message);
        s.details = Some(StatusDetails {
            retry_after_seconds,
            ..StatusDetails::default()
        });
        s
    }

    /// 500: `Internal error occurred: <err>` with the error as the single cause.
    pub fn internal_error(err: &str) -> Self {
        let mut s = Self::failure(
            StatusReason::InternalError,
            format!("Internal error occurred: {err}"),
        );
        s.details = Some(StatusDetails {
            causes: vec![StatusCause {
                message: err.into(),
                ..StatusCause::default()
            }],
            ..StatusDetails::default()
        });
        s
    }

    /// 503 with the given message.
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::failure(StatusReason::ServiceUnavailable, message)
    }

    /// 504: `Timeout: <message>`.
    pub fn timeout(message: &str, retry_after_seconds: i32) -> Self {
        let mut s = Self::failure(StatusReason::Timeout, format!("Timeout: {message}"));
        s.details = Some(StatusDetails {
            retry_after_seconds,
            ..StatusDetails::default()
        });
        s
    }

    /// The HTTP code to answer with (500 when unset or out of range).
    pub fn http_code(&self) -> u16 {
        u16::try_from(self.code)
            .ok()
            .filter(|c| (100..600).contains(c))
            .unwrap_or(500)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Status {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn not_found_wire_format() {
        let s = Status::not_found("porch.kpt.dev", "packagerevisions", "x");
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                   "message":"packagerevisions.porch.kpt.dev \"x\" not found","reason":"NotFound",
                   "details":{"name":"x","group":"porch.kpt.dev","kind":"packagerevisions"},"code":404})
        );
        assert_eq!(s.http_code(), 404);
    }

    #[test]
    fn core_group_has_no_suffix() {
        let s = Status::not_found("", "namespaces", "ns1");
        assert_eq!(s.message, "namespaces \"ns1\" not found");
        assert_eq!(
            serde_json::to_value(&s).unwrap()["details"],
            json!({"name":"ns1","kind":"namespaces"})
        );
    }

    #[test]
    fn invalid_with_causes() {
        let errs = [FieldError::invalid("spec.lifecycle", "Final", "bad")];
        let s = Status::invalid("porch.kpt.dev", "PackageRevision", "x", &errs);
        assert_eq!(
            s.message,
            "PackageRevision.porch.kpt.dev \"x\" is invalid: spec.lifecycle: Invalid value: \"Final\": bad"
        );
        assert_eq!(s.code, 422);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v["details"],
            json!({"name":"x","group":"porch.kpt.dev","kind":"PackageRevision",
                   "causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Final\": bad","field":"spec.lifecycle"}]})
        );
        let two = [FieldError::required("a", ""), FieldError::required("b", "")];
        let s = Status::invalid("", "Secret", "s", &two);
        assert_eq!(
            s.message,
            "Secret \"s\" is invalid: [a: Required value, b: Required value]"
        );
    }

    #[test]
    fn conflict_messages() {
        let s = Status::object_modified("porch.kpt.dev", "packagerevisions", "x");
        assert_eq!(
            s.message,
            "Operation cannot be fulfilled on packagerevisions.porch.kpt.dev \"x\": the object has been modified; please apply your changes to the latest version and try again"
        );
        assert_eq!(s.reason, "Conflict");
        let a = Status::already_exists("config.porch.kpt.dev", "repositories", "r");
        assert_eq!(
            a.message,
            "repositories.config.porch.kpt.dev \"r\" already exists"
        );
        assert_eq!(a.code, 409);
    }

    #[test]
    fn forbidden_variants() {
        assert_eq!(Status::forbidden("", "", "", "no").message, "forbidden: no");
        assert_eq!(
            Status::forbidden("porch.kpt.dev", "packagerevisions", "", "no").message,
            "packagerevisions.porch.kpt.dev is forbidden: no"
        );
        assert_eq!(
            Status::forbidden("porch.kpt.dev", "packagerevisions", "p", "no").message,
            "packagerevisions.porch.kpt.dev \"p\" is forbidden: no"
        );
    }

    #[test]
    fn other_constructors() {
        assert_eq!(Status::bad_request("x").code, 400);
        assert_eq!(Status::unauthorized("").message, "Unauthorized");
        assert_eq!(
            Status::method_not_supported("porch.kpt.dev", "packages", "create").message,
            "create is not supported on resources of kind \"packages.porch.kpt.dev\""
        );
        assert_eq!(
            Status::expired("too old resource version: 5 (120)").code,
            410
        );
        assert_eq!(
            Status::unsupported_media_type(&["application/json", "application/yaml"]).message,
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
        );
        assert_eq!(
            Status::not_acceptable(&["application/json"]).message,
            "only the following media types are accepted: application/json"
        );
        let i = Status::internal_error("boom");
        assert_eq!(i.message, "Internal error occurred: boom");
        assert_eq!(i.details.unwrap().causes[0].message, "boom");
        let t = Status::timeout("x", 2);
        assert_eq!((t.message.as_str(), t.code), ("Timeout: x", 504));
        assert_eq!(
            Status::too_many_requests("slow", 1)
                .details
                .unwrap()
                .retry_after_seconds,
            1
        );
        assert_eq!(Status::service_unavailable("git down").code, 503);
        assert_eq!(Status::request_entity_too_large("big").code, 413);
        assert_eq!(Status::gone("g").reason, "Gone");
    }

    #[test]
    fn success_and_deleted() {
        let v = serde_json::to_value(Status::deleted(
            "porch.kpt.dev",
            "packagerevisions",
            "x",
            "u1",
        ))
        .unwrap();
        assert_eq!(
            v,
            json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",
                   "details":{"name":"x","group":"porch.kpt.dev","kind":"packagerevisions","uid":"u1"}})
        );
    }

    #[test]
    fn round_trip_and_http_code_fallback() {
        let s: Status = serde_json::from_value(json!({"kind":"Status","code":0})).unwrap();
        assert_eq!(s.http_code(), 500);
        let r = Status::not_found("g", "r", "n");
        let back: Status = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
