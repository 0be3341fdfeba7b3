//! Every failure a request can meet, and the one place it becomes a
//! Kubernetes `Status` with the right HTTP code and reason.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

/// Identifies the object an error is about, for `Status.details`.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub group: String,
    /// The plural resource name, as kube-apiserver puts it in `details.kind`.
    pub resource: String,
    pub name: String,
}

impl Subject {
    pub fn new(group: &str, resource: &str, name: &str) -> Self {
        Subject { group: group.into(), resource: resource.into(), name: name.into() }
    }

    /// `resource.group` or just `resource` for the core group.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }
}

/// One field problem of a 422 Invalid answer.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueForbidden`, ...
    pub reason: &'static str,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn invalid(field: &str, value: &str, detail: &str) -> Self {
        FieldError {
            reason: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: {}: {detail}", json!(value)),
        }
    }
    pub fn required(field: &str, detail: &str) -> Self {
        let message = if detail.is_empty() { "Required value".to_string() } else { format!("Required value: {detail}") };
        FieldError { reason: "FieldValueRequired", field: field.into(), message }
    }
    pub fn forbidden(field: &str, detail: &str) -> Self {
        FieldError { reason: "FieldValueForbidden", field: field.into(), message: format!("Forbidden: {detail}") }
    }
    pub fn not_supported(field: &str, value: &str, supported: &[&str]) -> Self {
        let list: Vec<String> = supported.iter().map(|s| json!(s).to_string()).collect();
        FieldError {
            reason: "FieldValueNotSupported",
            field: field.into(),
            message: format!("Unsupported value: {}: supported values: {}", json!(value), list.join(", ")),
        }
    }
    pub fn too_long(field: &str, max: usize) -> Self {
        FieldError {
            reason: "FieldValueTooLong",
            field: field.into(),
            message: format!("Too long: may not be more than {max} bytes"),
        }
    }
}

/// Why a request failed; rendered as a `Status` by [`IntoResponse`].
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { message: String, subject: Option<Subject> },
    #[error("{} \"{}\" not found", .0.qualified(), .0.name)]
    NotFound(Subject),
    #[error("the server could not find the requested resource")]
    NotFoundPath,
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{} \"{}\" already exists", .0.qualified(), .0.name)]
    AlreadyExists(Subject),
    #[error("{message}")]
    Conflict { subject: Subject, message: String },
    #[error("{0}")]
    Expired(String),
    #[error("{} \"{name}\" is invalid: {}", qualified_kind(.kind, .group), causes_text(.causes))]
    Invalid { group: String, kind: String, name: String, causes: Vec<FieldError> },
    #[error("the server rejected our request due to an error in our request: {0}")]
    UnprocessablePatch(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("the request body is too large (limit {0} bytes)")]
    TooLarge(usize),
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error("Internal error occurred: {0}")]
    Internal(String),
}

fn qualified_kind(kind: &str, group: &str) -> String {
    if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") }
}

fn causes_text(causes: &[FieldError]) -> String {
    let parts: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
    if parts.len() == 1 { parts[0].clone() } else { format!("[{}]", parts.join(", ")) }
}

impl ApiError {
    /// The standard optimistic-concurrency conflict.
    pub fn stale(subject: Subject) -> Self {
        let message = format!(
            "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
            subject.qualified(),
            subject.name
        );
        ApiError::Conflict { subject, message }
    }

    /// A patch that cannot be applied (422, as kube-apiserver answers).
    pub fn invalid_patch(detail: &str) -> Self {
        ApiError::UnprocessablePatch(detail.to_string())
    }

    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<FieldError>) -> Self {
        ApiError::Invalid { group: group.into(), kind: kind.into(), name: name.into(), causes }
    }

    fn code_reason(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "BadRequest"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "Unauthorized"),
            ApiError::Forbidden { .. } => (StatusCode::FORBIDDEN, "Forbidden"),
            ApiError::NotFound(_) | ApiError::NotFoundPath => (StatusCode::NOT_FOUND, "NotFound"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
            ApiError::AlreadyExists(_) => (StatusCode::CONFLICT, "AlreadyExists"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "Conflict"),
            ApiError::Expired(_) => (StatusCode::GONE, "Expired"),
            ApiError::Invalid { .. } | ApiError::UnprocessablePatch(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid"),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType"),
            ApiError::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "NotAcceptable"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge"),
            ApiError::ServiceUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
        }
    }

    /// HTTP status code of this error.
    pub fn code(&self) -> StatusCode {
        self.code_reason().0
    }

    /// The `Status` object, as JSON.
    pub fn status(&self) -> Value {
        let (code, reason) = self.code_reason();
        let mut status = json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.to_string(), "reason": reason, "code": code.as_u16(),
        });
        let details = match self {
            ApiError::NotFound(s) | ApiError::AlreadyExists(s) | ApiError::Conflict { subject: s, .. } => {
                Some(subject_details(s))
            }
            ApiError::Forbidden { subject: Some(s), .. } => Some(subject_details(s)),
            ApiError::Invalid { group, kind, name, causes } => Some(json!({
                "name": name, "group": group, "kind": kind,
                "causes": causes.iter().map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field})).collect::<Vec<_>>(),
            })),
            _ => None,
        };
        if let Some(d) = details {
            status["details"] = d;
        }
        status
    }
}

fn subject_details(s: &Subject) -> Value {
    let mut d = json!({"name": s.name, "kind": s.resource});
    if !s.group.is_empty() {
        d["group"] = json!(s.group);
    }
    d
}

impl From<porch_engine::store::StoreError> for ApiError {
    fn from(e: porch_engine::store::StoreError) -> Self {
        use porch_engine::store::StoreError;
        match e {
            StoreError::Compacted { requested, oldest } => {
                ApiError::Expired(format!("too old resource version: {requested} ({oldest})"))
            }
            StoreError::Unavailable(m) => ApiError::ServiceUnavailable(m),
            StoreError::Backend(m) => ApiError::Internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self, ApiError::Internal(_)) {
            tracing::error!(error = %self, "internal error");
        }
        let code = self.code();
        let body = self.status().to_string();
        let mut resp = (code, body).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        resp
    }
}
