//! Field-level validation errors (`field.Error` in k8s.io/apimachinery).
//!
//! Kubernetes renders validation failures as `<path>: <Type>: <value>: <detail>`
//! and carries them as `Status` causes; kubectl prints them verbatim, so the
//! exact wording matters for parity (`The PackageRevision "x" is invalid: …`).

use std::fmt;

use serde_json::Value;

/// Machine-readable kind of a field error; the wire `reason` of a `StatusCause`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorType {
    /// A looked-up value was not found (`FieldValueNotFound`).
    NotFound,
    /// A required value is missing (`FieldValueRequired`).
    Required,
    /// A value that must be unique is repeated (`FieldValueDuplicate`).
    Duplicate,
    /// A malformed value (`FieldValueInvalid`).
    Invalid,
    /// A value outside an enumeration (`FieldValueNotSupported`).
    NotSupported,
    /// A value not permitted in the current conditions (`FieldValueForbidden`).
    Forbidden,
    /// A value longer than allowed (`FieldValueTooLong`).
    TooLong,
    /// A list with too many items (`FieldValueTooMany`).
    TooMany,
    /// A server-side fault while validating (`InternalError`).
    Internal,
}

impl FieldErrorType {
    /// The cause type string sent on the wire.
    pub fn cause_type(self) -> &'static str {
        match self {
            Self::NotFound => "FieldValueNotFound",
            Self::Required => "FieldValueRequired",
            Self::Duplicate => "FieldValueDuplicate",
            Self::Invalid => "FieldValueInvalid",
            Self::NotSupported => "FieldValueNotSupported",
            Self::Forbidden => "FieldValueForbidden",
            Self::TooLong => "FieldValueTooLong",
            Self::TooMany => "FieldValueTooMany",
            Self::Internal => "InternalError",
        }
    }

    /// The human-readable prefix Kubernetes uses in messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Required => "Required value",
            Self::Duplicate => "Duplicate value",
            Self::Invalid => "Invalid value",
            Self::NotSupported => "Unsupported value",
            Self::Forbidden => "Forbidden",
            Self::TooLong => "Too long",
            Self::TooMany => "Too many",
            Self::Internal => "Internal error",
        }
    }

    /// Whether the offending value is printed (Kubernetes omits it for these).
    fn shows_value(self) -> bool {
        !matches!(
            self,
            Self::Required | Self::Forbidden | Self::TooLong | Self::Internal
        )
    }
}

/// One validation failure on one field path (e.g. `spec.lifecycle`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Kind of failure.
    pub kind: FieldErrorType,
    /// Dotted field path, e.g. `metadata.name` or `spec.tasks[0].type`.
    pub field: String,
    /// The offending value, when Kubernetes would print it.
    pub value: Option<Value>,
    /// Free-form explanation appended after the value.
    pub detail: String,
}

impl FieldError {
    /// `Invalid value: <value>: <detail>`.
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(FieldErrorType::Invalid, field, Some(value.into()), detail)
    }

    /// `Required value[: <detail>]`.
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(FieldErrorType::Required, field, None, detail)
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(FieldErrorType::Forbidden, field, None, detail)
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(FieldErrorType::Duplicate, field, Some(value.into()), "")
    }

    /// `Not found: <value>`.
    pub fn not_found(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(FieldErrorType::NotFound, field, Some(value.into()), "")
    }

    /// `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported<S: AsRef<str>>(
        field: impl Into<String>,
        value: impl Into<Value>,
        supported: &[S],
    ) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_quote(s.as_ref())).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(
            FieldErrorType::NotSupported,
            field,
            Some(value.into()),
            detail,
        )
    }

    /// `Too long: may not be more than <max> bytes`.
    pub fn too_long(field: impl Into<String>, max_bytes: usize) -> Self {
        let unit = if max_bytes == 1 { "byte" } else { "bytes" };
        Self::new(
            FieldErrorType::TooLong,
            field,
            None,
            format!("may not be more than {max_bytes} {unit}"),
        )
    }

    /// `Internal error: <detail>`.
    pub fn internal(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(FieldErrorType::Internal, field, None, detail)
    }

    fn new(
        kind: FieldErrorType,
        field: impl Into<String>,
        value: Option<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            field: field.into(),
            value,
            detail: detail.into(),
        }
    }

    /// The message without the field path (`ErrorBody()`), used as a cause message.
    pub fn body(&self) -> String {
        let mut s = self.kind.label().to_string();
        if let (true, Some(v)) = (self.kind.shows_value(), &self.value) {
            s.push_str(": ");
            s.push_str(&format_value(v));
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

impl std::error::Error for FieldError {}

/// Joins errors as Kubernetes' `utilerrors.Aggregate` does: one error alone,
/// several (deduplicated) as `[a, b]`.
pub fn aggregate<T: fmt::Display>(errors: &[T]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in errors {
        let m = e.to_string();
        if !seen.contains(&m) {
            seen.push(m);
        }
    }
    match seen.len() {
        0 => String::new(),
        1 => seen.remove(0),
        _ => format!("[{}]", seen.join(", ")),
    }
}

/// Formats a value like Go's field errors: strings quoted, scalars bare, the rest as JSON.
fn format_value(v: &Value) -> String {
    match v {
        Value::String(s) => go_quote(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// Quotes a string like Go's `%q` for the printable ASCII / UTF-8 cases that occur in practice.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn invalid_renders_like_kubernetes() {
        let e = FieldError::invalid("spec.lifecycle", "Final", "must be Draft");
        assert_eq!(
            e.to_string(),
            r#"spec.lifecycle: Invalid value: "Final": must be Draft"#
        );
        assert_eq!(e.body(), r#"Invalid value: "Final": must be Draft"#);
        assert_eq!(e.kind.cause_type(), "FieldValueInvalid");
    }

    #[test]
    fn scalar_and_complex_values() {
        assert_eq!(
            FieldError::invalid("a", 3, "x").body(),
            "Invalid value: 3: x"
        );
        assert_eq!(
            FieldError::invalid("a", true, "").body(),
            "Invalid value: true"
        );
        assert_eq!(
            FieldError::invalid("a", json!(["x"]), "y").body(),
            r#"Invalid value: ["x"]: y"#
        );
    }

    #[test]
    fn required_forbidden_too_long_hide_value() {
        assert_eq!(
            FieldError::required("spec.x", "").to_string(),
            "spec.x: Required value"
        );
        assert_eq!(
            FieldError::required("spec.x", "must be set").to_string(),
            "spec.x: Required value: must be set"
        );
        assert_eq!(
            FieldError::forbidden("spec", "nope").body(),
            "Forbidden: nope"
        );
        assert_eq!(
            FieldError::too_long("metadata.name", 63).body(),
            "Too long: may not be more than 63 bytes"
        );
    }

    #[test]
    fn not_supported_lists_quoted_values() {
        let e = FieldError::not_supported("spec.lifecycle", "Final", &["Draft", "Proposed"]);
        assert_eq!(
            e.to_string(),
            r#"spec.lifecycle: Unsupported value: "Final": supported values: "Draft", "Proposed""#
        );
        assert_eq!(
            FieldError::duplicate("a", "x").body(),
            r#"Duplicate value: "x""#
        );
    }

    #[test]
    fn aggregate_joins_and_dedups() {
        let a = FieldError::required("a", "");
        let b = FieldError::required("b", "");
        assert_eq!(aggregate(std::slice::from_ref(&a)), "a: Required value");
        assert_eq!(
            aggregate(&[a.clone(), b, a]),
            "[a: Required value, b: Required value]"
        );
        assert_eq!(aggregate::<FieldError>(&[]), "");
    }

    #[test]
    fn go_quote_escapes() {
        assert_eq!(go_quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(go_quote("\u{1}"), r#""\x01""#);
    }
}
