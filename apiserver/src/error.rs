//! Every failure a request can meet, and the one place it becomes a
//! Kubernetes `Status` with the right HTTP code and reason.

use std::fmt;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
pub use porch_apimachinery::field_error::FieldError;
use porch_apimachinery::status::{Status, StatusReason};
use serde_json::Value;

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
        Subject {
            group: group.into(),
            resource: resource.into(),
            name: name.into(),
        }
    }

    /// `resource.group` or just `resource` for the core group.
    pub fn qualified(&self) -> String {
        porch_apimachinery::status::qualified_resource(&self.group, &self.resource)
    }
}

/// Why a request failed; rendered as a `Status` by [`ApiError::to_status`].
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized,
    Forbidden {
        message: String,
        subject: Option<Subject>,
    },
    NotFound(Subject),
    NotFoundPath,
    MethodNotAllowed(String),
    AlreadyExists(Subject),
    Conflict {
        subject: Subject,
        message: String,
    },
    Expired(String),
    Invalid {
        group: String,
        kind: String,
        name: String,
        causes: Vec<FieldError>,
    },
    /// A request that is well-formed but cannot be carried out as asked
    /// (422 Invalid with the message as is: Porch's texts for task and
    /// render failures).
    Unprocessable {
        subject: Subject,
        message: String,
    },
    /// A patch that cannot be applied (422, as kube-apiserver answers).
    UnprocessablePatch(String),
    UnsupportedMediaType(String),
    NotAcceptable(String),
    TooLarge(usize),
    ServiceUnavailable(String),
    Internal(String),
}

impl ApiError {
    /// The standard optimistic-concurrency conflict.
    pub fn stale(subject: Subject) -> Self {
        let message =
            Status::object_modified(&subject.group, &subject.resource, &subject.name).message;
        ApiError::Conflict { subject, message }
    }

    pub fn invalid_patch(detail: &str) -> Self {
        ApiError::UnprocessablePatch(detail.to_string())
    }

    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<FieldError>) -> Self {
        ApiError::Invalid {
            group: group.into(),
            kind: kind.into(),
            name: name.into(),
            causes,
        }
    }

    /// The `Status` this error is answered with.
    pub fn to_status(&self) -> Status {
        match self {
            ApiError::BadRequest(m) => Status::bad_request(m.clone()),
            ApiError::Unauthorized => Status::unauthorized("Unauthorized"),
            ApiError::Forbidden { message, subject } => {
                let s = Status::failure(StatusReason::Forbidden, message.clone());
                match subject {
                    Some(sub) => s.with_details(&sub.group, &sub.resource, &sub.name),
                    None => s,
                }
            }
            ApiError::NotFound(s) => Status::not_found(&s.group, &s.resource, &s.name),
            ApiError::NotFoundPath => Status::failure(
                StatusReason::NotFound,
                "the server could not find the requested resource",
            ),
            ApiError::MethodNotAllowed(m) => {
                Status::failure(StatusReason::MethodNotAllowed, m.clone())
            }
            ApiError::AlreadyExists(s) => Status::already_exists(&s.group, &s.resource, &s.name),
            ApiError::Conflict {
                subject: s,
                message,
            } => Status::failure(StatusReason::Conflict, message.clone()).with_details(
                &s.group,
                &s.resource,
                &s.name,
            ),
            ApiError::Expired(m) => Status::expired(m.clone()),
            ApiError::Invalid {
                group,
                kind,
                name,
                causes,
            } => Status::invalid(group, kind, name, causes),
            ApiError::Unprocessable { subject, message } => Status::failure(
                StatusReason::Invalid,
                message.clone(),
            )
            .with_details(&subject.group, &subject.resource, &subject.name),
            ApiError::UnprocessablePatch(m) => Status::failure(
                StatusReason::Invalid,
                format!("the server rejected our request due to an error in our request: {m}"),
            ),
            ApiError::UnsupportedMediaType(m) => {
                Status::failure(StatusReason::UnsupportedMediaType, m.clone())
            }
            ApiError::NotAcceptable(m) => Status::failure(StatusReason::NotAcceptable, m.clone()),
            ApiError::TooLarge(limit) => Status::request_entity_too_large(format!(
                "the request body is too large (limit {limit} bytes)"
            )),
            ApiError::ServiceUnavailable(m) => Status::service_unavailable(m.clone()),
            ApiError::Internal(m) => Status::internal_error(m),
        }
    }

    /// HTTP status code of this error.
    pub fn code(&self) -> StatusCode {
        StatusCode::from_u16(self.to_status().http_code())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The `Status` object, as JSON.
    pub fn status(&self) -> Value {
        serde_json::to_value(self.to_status()).unwrap_or(Value::Null)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_status().message)
    }
}

impl std::error::Error for ApiError {}

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

impl ApiError {
    /// A git adapter failure while working on `subject`: unreachable,
    /// slow or refusing repositories are 503, a lost compare-and-swap is a
    /// 409 (someone else's write won), a bad request of the caller 422.
    pub fn from_git(e: porch_engine::git::GitError, subject: Subject) -> Self {
        use porch_engine::git::GitError as G;
        match e {
            G::Unreachable(m)
            | G::AuthenticationFailed(m)
            | G::BranchMissing(m)
            | G::Timeout(m)
            | G::Corrupt(m) => ApiError::ServiceUnavailable(m),
            G::AlreadyExists(_) => ApiError::AlreadyExists(subject),
            G::Conflict(_) => ApiError::stale(subject),
            G::Invalid(m) => ApiError::Unprocessable {
                subject,
                message: m,
            },
            G::Other(m) => ApiError::Internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.to_status();
        if matches!(self, ApiError::Internal(_)) {
            tracing::error!(error = %status.message, "internal error");
        }
        let code =
            StatusCode::from_u16(status.http_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&status).unwrap_or_default();
        let mut resp = (code, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    }
}
