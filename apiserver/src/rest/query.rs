//! Query parameters of resource requests (server-side ListOptions,
//! CreateOptions, ... reduced to the accessors the handlers need).

pub use porch_apimachinery::decode::FieldValidation;

use crate::error::ApiError;

/// Decoded query string.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        Query { pairs }
    }

    /// The last value of `key` (Kubernetes takes the last), if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean flag: `true`/`1` (and a bare key) are true.
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "True" | ""))
    }

    /// A non-negative integer, 400 when malformed.
    pub fn uint(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::BadRequest(format!("invalid value for {key}: {v:?}"))),
        }
    }

    /// `dryRun=All` (any other value is rejected as kube-apiserver does).
    pub fn dry_run(&self) -> Result<bool, ApiError> {
        let values: Vec<&str> = self
            .pairs
            .iter()
            .filter(|(k, _)| k == "dryRun")
            .map(|(_, v)| v.as_str())
            .collect();
        for v in &values {
            if *v != "All" {
                return Err(ApiError::BadRequest(format!(
                    "Invalid dry run value: {v:?}; supported values: \"All\""
                )));
            }
        }
        Ok(!values.is_empty())
    }

    /// `fieldValidation`: Strict, Warn (default for direct API calls) or Ignore.
    pub fn field_validation(&self) -> Result<FieldValidation, ApiError> {
        match self.get("fieldValidation") {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(v) => Err(ApiError::BadRequest(format!(
                "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got {v:?}"
            ))),
        }
    }

    /// The field manager, defaulted from the user agent as kube-apiserver does.
    pub fn field_manager(&self, user_agent: Option<&str>) -> Result<Option<String>, ApiError> {
        match self.get("fieldManager") {
            Some(m) if m.chars().count() > 128 => Err(ApiError::BadRequest(
                "fieldManager: Too long: may not be more than 128 bytes".into(),
            )),
            Some(m) if !m.is_empty() => Ok(Some(m.to_string())),
            _ => Ok(user_agent.map(|ua| ua.split('/').next().unwrap_or(ua).to_string())),
        }
    }
}
