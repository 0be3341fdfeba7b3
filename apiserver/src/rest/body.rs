//! Request bodies: size limit, content type (JSON, YAML, Kubernetes protobuf)
//! and strict decoding for `fieldValidation`.

use axum::body::Body;
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde_json::Value;

use super::query::FieldValidation;
use crate::error::ApiError;

/// Read the whole body, 413 beyond `limit` bytes.
pub async fn read(body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if too_large { ApiError::TooLarge(limit) } else { ApiError::BadRequest(format!("reading request body: {e}")) }
    })
}

/// A decoded object body and what strict decoding found.
pub struct Decoded {
    pub value: Value,
    /// `duplicate field "x"` texts.
    pub duplicates: Vec<String>,
}

/// Decode a create/update body by its Content-Type.
pub fn decode_object(headers: &HeaderMap, bytes: &[u8]) -> Result<Decoded, ApiError> {
    use porch_apimachinery::media::{BodyFormat, body_format};
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match body_format(ct) {
        Ok(BodyFormat::Json) => {
            let d = porch_apimachinery::decode::parse_json(bytes, FieldValidation::Warn)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            Ok(Decoded { value: d.value, duplicates: d.warnings })
        }
        Ok(BodyFormat::Yaml) => {
            let value = porch_apimachinery::decode::yaml_to_json(bytes).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            Ok(Decoded { value, duplicates: Vec::new() })
        }
        Ok(BodyFormat::Protobuf) => {
            let value = porch_apimachinery::protobuf::decode_object(bytes)
                .map_err(|e| ApiError::BadRequest(format!("decoding protobuf body: {e}")))?;
            Ok(Decoded { value, duplicates: Vec::new() })
        }
        Err(e) => Err(ApiError::UnsupportedMediaType(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf ({e})"
        ))),
    }
}

/// Apply `fieldValidation` to unknown and duplicate fields: Strict → 400, Warn → warnings.
pub fn check_fields(mode: FieldValidation, unknown: &[String], duplicates: &[String]) -> Result<Vec<String>, ApiError> {
    let mut problems: Vec<String> = unknown.iter().map(|p| format!("unknown field {}", go_quote(p))).collect();
    problems.extend(duplicates.iter().cloned());
    match mode {
        FieldValidation::Ignore => Ok(Vec::new()),
        FieldValidation::Warn => Ok(problems),
        FieldValidation::Strict if problems.is_empty() => Ok(Vec::new()),
        FieldValidation::Strict => Err(ApiError::BadRequest(format!("strict decoding error: {}", problems.join(", ")))),
    }
}

fn go_quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
