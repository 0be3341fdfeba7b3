//! `RequestInfo`: what a resource request asks for, parsed from method and
//! path as Kubernetes' RequestInfoFactory does, so authorisation and dispatch
//! share one reading of the request.

use http::Method;

/// The attributes of a resource request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    /// get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: &'static str,
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Parse a path under `/apis/{g}/{v}/` or `/api/v1/`; `None` when it is not a resource path.
pub fn parse(method: &Method, path: &str, watch: bool) -> Option<RequestInfo> {
    let trimmed = path.trim_matches('/');
    let parts: Vec<&str> = trimmed.split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["apis", g, v, rest @ ..] if !rest.is_empty() => (g.to_string(), v.to_string(), rest),
        ["api", v, rest @ ..] if !rest.is_empty() => (String::new(), v.to_string(), rest),
        _ => return None,
    };
    if rest.iter().any(|p| p.is_empty()) {
        return None;
    }
    let (namespace, rest) = match rest {
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => {
            // `/api/v1/namespaces/{name}/status` style: a namespace subresource.
            if group.is_empty() && tail.len() == 1 && (tail[0] == "status" || tail[0] == "finalize")
            {
                (None, rest)
            } else {
                (Some(ns.to_string()), tail)
            }
        }
        _ => (None, rest),
    };
    let (resource, name, subresource) = match rest {
        [r] => (r.to_string(), None, None),
        [r, n] => (r.to_string(), Some(n.to_string()), None),
        [r, n, s] => (r.to_string(), Some(n.to_string()), Some(s.to_string())),
        _ => return None,
    };
    let verb = match (method.as_str(), name.is_some()) {
        ("GET" | "HEAD", true) => "get",
        ("GET" | "HEAD", false) if watch => "watch",
        ("GET" | "HEAD", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    };
    Some(RequestInfo {
        verb,
        group,
        version,
        namespace,
        resource,
        name,
        subresource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(m: Method, path: &str, watch: bool) -> RequestInfo {
        parse(&m, path, watch).unwrap()
    }

    #[test]
    fn namespaced_paths() {
        let i = p(
            Method::GET,
            "/apis/porch.kpt.dev/v1alpha1/namespaces/default/packagerevisions",
            false,
        );
        assert_eq!(
            (i.verb, i.namespace.as_deref(), i.resource.as_str()),
            ("list", Some("default"), "packagerevisions")
        );
        let i = p(
            Method::PUT,
            "/apis/porch.kpt.dev/v1alpha1/namespaces/ns/packagerevisions/x/approval",
            false,
        );
        assert_eq!(
            (i.verb, i.name.as_deref(), i.subresource.as_deref()),
            ("update", Some("x"), Some("approval"))
        );
        let i = p(
            Method::GET,
            "/apis/config.porch.kpt.dev/v1alpha1/repositories",
            true,
        );
        assert_eq!((i.verb, i.namespace), ("watch", None));
        let i = p(
            Method::DELETE,
            "/apis/config.porch.kpt.dev/v1alpha1/namespaces/a/repositories",
            false,
        );
        assert_eq!(i.verb, "deletecollection");
    }

    #[test]
    fn core_namespaces() {
        let i = p(Method::GET, "/api/v1/namespaces", false);
        assert_eq!(
            (i.resource.as_str(), i.name, i.namespace),
            ("namespaces", None, None)
        );
        let i = p(Method::GET, "/api/v1/namespaces/foo", false);
        assert_eq!(
            (i.resource.as_str(), i.name.as_deref()),
            ("namespaces", Some("foo"))
        );
        let i = p(Method::POST, "/api/v1/namespaces/foo/secrets", false);
        assert_eq!(
            (i.resource.as_str(), i.namespace.as_deref(), i.verb),
            ("secrets", Some("foo"), "create")
        );
        let i = p(Method::PUT, "/api/v1/namespaces/foo/status", false);
        assert_eq!(
            (
                i.resource.as_str(),
                i.name.as_deref(),
                i.subresource.as_deref()
            ),
            ("namespaces", Some("foo"), Some("status"))
        );
    }

    #[test]
    fn not_resource_paths() {
        assert!(parse(&Method::GET, "/apis/porch.kpt.dev/v1alpha1", false).is_none());
        assert!(parse(&Method::GET, "/apis/g/v/a/b/c/d", false).is_none());
        assert!(parse(&Method::GET, "/version", false).is_none());
    }
}
