//! Request bodies: size limit, content type (JSON, YAML, Kubernetes protobuf)
//! and strict decoding for `fieldValidation`.

use axum::body::Body;
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde_json::Value;

use super::query::FieldValidation;
use crate::error::ApiError;

/// Read the whole body, 413 beyond `limit` bytes. A declared Content-Length
/// over the limit is refused before the body is read (so a client waiting
/// for `100 Continue` sees the answer); an undeclared oversized body is
/// drained first, so the client is not cut off mid-send.
pub async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    use http_body_util::BodyExt;
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = body;
    if declared.is_some_and(|n| n > limit as u64) {
        // Answer now; drain in the background (bounded) so the client, still
        // sending, gets the answer instead of a reset stream.
        let cap = declared.unwrap_or(0).min(4 * limit as u64);
        tokio::spawn(async move {
            let mut seen = 0u64;
            let drain = async {
                while let Some(Ok(frame)) = body.frame().await {
                    if let Ok(d) = frame.into_data() {
                        seen += d.len() as u64;
                        if seen >= cap {
                            break;
                        }
                    }
                }
            };
            let _ = tokio::time::timeout(std::time::Duration::from_secs(30), drain).await;
        });
        return Err(ApiError::TooLarge(limit));
    }
    let mut buf = bytes::BytesMut::new();
    let mut over = false;
    let mut drained: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::BadRequest(format!("reading request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if over {
            drained += data.len() as u64;
            if drained > 4 * limit as u64 {
                break;
            }
            continue;
        }
        if buf.len() + data.len() > limit {
            over = true;
            buf.clear();
            continue;
        }
        buf.extend_from_slice(&data);
    }
    if over {
        return Err(ApiError::TooLarge(limit));
    }
    Ok(buf.freeze())
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
            Ok(Decoded {
                value: d.value,
                duplicates: d.warnings,
            })
        }
        Ok(BodyFormat::Yaml) => {
            let value = porch_apimachinery::decode::yaml_to_json(bytes)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            Ok(Decoded {
                value,
                duplicates: Vec::new(),
            })
        }
        Ok(BodyFormat::Protobuf) => {
            let value = porch_apimachinery::protobuf::decode_object(bytes)
                .map_err(|e| ApiError::BadRequest(format!("decoding protobuf body: {e}")))?;
            Ok(Decoded {
                value,
                duplicates: Vec::new(),
            })
        }
        Err(e) => Err(ApiError::UnsupportedMediaType(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf ({e})"
        ))),
    }
}

/// Apply `fieldValidation` to unknown and duplicate fields: Strict → 400, Warn → warnings.
pub fn check_fields(
    mode: FieldValidation,
    unknown: &[String],
    duplicates: &[String],
) -> Result<Vec<String>, ApiError> {
    let mut problems: Vec<String> = unknown
        .iter()
        .map(|p| format!("unknown field {}", go_quote(p)))
        .collect();
    problems.extend(duplicates.iter().cloned());
    match mode {
        FieldValidation::Ignore => Ok(Vec::new()),
        FieldValidation::Warn => Ok(problems),
        FieldValidation::Strict if problems.is_empty() => Ok(Vec::new()),
        FieldValidation::Strict => Err(ApiError::BadRequest(format!(
            "strict decoding error: {}",
            problems.join(", ")
        ))),
    }
}

fn go_quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
