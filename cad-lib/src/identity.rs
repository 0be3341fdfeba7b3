//! Resource identity: how kpt decides that two objects are "the same".
//!
//! Merges match resources by group, kind, namespace and name (the version may
//! change between revisions); cloned resources remember their upstream name
//! in a `# kpt-merge: <namespace>/<name>` comment on `metadata` and in the
//! `internal.kpt.dev/upstream-identifier` annotation, so a downstream rename
//! still matches its upstream.

use std::fmt;

/// Group, version, kind, namespace and name of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId {
    /// API group (empty for the core group).
    pub group: String,
    /// API version without the group.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Namespace (empty when unset).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ResourceId {
    /// Builds an identity from an `apiVersion` and the other fields.
    pub fn new(api_version: &str, kind: &str, namespace: &str, name: &str) -> Self {
        let (group, version) = split_api_version(api_version);
        Self {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The `apiVersion` string.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The version-independent key used by merges: group, kind, namespace, name.
    pub fn merge_key(&self) -> (String, String, String, String) {
        (
            self.group.clone(),
            self.kind.clone(),
            self.namespace.clone(),
            self.name.clone(),
        )
    }

    /// Porch's upstream identifier: `<group>|<Kind>|<namespace or default>|<name>`.
    pub fn upstream_identifier(&self) -> String {
        let ns = if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        };
        format!("{}|{}|{}|{}", self.group, self.kind, ns, self.name)
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.api_version(), self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, " {}/{}", self.namespace, self.name)
        } else {
            write!(f, " {}", self.name)
        }
    }
}

/// Splits `group/version` (core `v1` has no group).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// The text of a kpt merge-key comment: `kpt-merge: <namespace>/<name>`.
pub fn merge_comment(namespace: &str, name: &str) -> String {
    format!("kpt-merge: {namespace}/{name}")
}

/// Parses a `kpt-merge:` comment into (namespace, name); a value without a
/// slash is a cluster-scoped name.
pub fn parse_merge_comment(comment: &str) -> Option<(String, String)> {
    let text = comment.trim().trim_start_matches('#').trim();
    let rest = text.strip_prefix("kpt-merge:")?.trim();
    if rest.is_empty() {
        return None;
    }
    Some(match rest.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => (String::new(), rest.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_identifier_defaults_the_namespace() {
        let id = ResourceId::new("v1", "Namespace", "", "example");
        assert_eq!(id.upstream_identifier(), "|Namespace|default|example");
        let id = ResourceId::new("apps/v1", "Deployment", "ns", "app");
        assert_eq!(id.upstream_identifier(), "apps|Deployment|ns|app");
    }

    #[test]
    fn merge_comments_parse_both_forms() {
        assert_eq!(
            parse_merge_comment("# kpt-merge: example/default"),
            Some(("example".into(), "default".into()))
        );
        assert_eq!(
            parse_merge_comment("# kpt-merge: example"),
            Some((String::new(), "example".into()))
        );
        assert_eq!(parse_merge_comment("# something else"), None);
    }
}
