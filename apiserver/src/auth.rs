//! Authentication (bearer tokens of the standalone kubeconfig) and the local
//! authorisation policy, applied to the parsed RequestInfo.

use http::HeaderMap;

use crate::error::ApiError;
use crate::rest::info::RequestInfo;

/// Who is calling.
#[derive(Debug, Clone, Default)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

/// Standalone authenticator: a fixed set of bearer tokens.
pub struct Authenticator {
    tokens: Vec<(String, UserInfo)>,
}

impl Authenticator {
    /// The admin token of the generated kubeconfig, mapped to `admin` in `system:masters`.
    pub fn standalone(admin_token: &str) -> Self {
        let admin = UserInfo {
            name: "admin".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
        };
        Authenticator {
            tokens: vec![(admin_token.to_string(), admin)],
        }
    }

    /// Identify the caller; 401 without valid credentials.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<UserInfo, ApiError> {
        let token = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        self.tokens
            .iter()
            .find(|(t, _)| constant_time_eq(t.as_bytes(), token.as_bytes()))
            .map(|(_, u)| u.clone())
            .ok_or(ApiError::Unauthorized)
    }

    /// Local policy: `system:masters` may do everything; nobody else anything.
    pub fn authorize(&self, user: &UserInfo, info: &RequestInfo) -> Result<(), ApiError> {
        if user.groups.iter().any(|g| g == "system:masters") {
            return Ok(());
        }
        let res = if info.group.is_empty() {
            info.resource.clone()
        } else {
            format!("{}.{}", info.resource, info.group)
        };
        Err(ApiError::Forbidden {
            message: format!(
                "{} is forbidden: User \"{}\" cannot {} resource \"{}\"",
                res, user.name, info.verb, info.resource
            ),
            subject: None,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
