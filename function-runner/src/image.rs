//! Function image names: which builtin an image reference stands for.
//!
//! Packages name catalog functions in many spellings
//! (`set-namespace:v0.4.1`, `gcr.io/kpt-fn/set-namespace:unstable`,
//! `ghcr.io/kptdev/krm-functions-catalog/set-namespace@sha256:…`). The
//! catalog prefixes are stripped, the remainder is the function name, and
//! the tag must be one of the versions the builtin stands for (the version
//! table in [`crate::builtin::catalog`]), so that an image of a newer,
//! possibly incompatible release falls through to the exec runtime.

use semver::{Version, VersionReq};

/// Registry prefixes of the kpt function catalog, old and new.
pub const CATALOG_PREFIXES: &[&str] = &["ghcr.io/kptdev/krm-functions-catalog/", "gcr.io/kpt-fn/"];

/// An image reference split into the parts matching needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Repository path with any catalog prefix removed (`set-namespace`).
    pub name: String,
    /// Tag, if any (`v0.4.1`, `latest`).
    pub tag: Option<String>,
    /// Digest, if any (`sha256:…`).
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `image`, stripping the catalog prefixes and `extra_prefix`
    /// (the configured default prefix, e.g. Porch's `--default-image-prefix`).
    pub fn parse(image: &str, extra_prefix: Option<&str>) -> Self {
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (image, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        let mut name = path;
        let extra = extra_prefix.map(|p| {
            if p.ends_with('/') {
                p.to_string()
            } else {
                format!("{p}/")
            }
        });
        for prefix in CATALOG_PREFIXES
            .iter()
            .copied()
            .chain(extra.as_deref().filter(|p| p.len() > 1))
        {
            if let Some(stripped) = name.strip_prefix(prefix) {
                name = stripped;
                break;
            }
        }
        Self {
            name: name.to_string(),
            tag,
            digest,
        }
    }
}

/// Which releases of a catalog function a builtin reproduces.
#[derive(Debug, Clone, Copy)]
pub struct VersionTable {
    /// Released tags the builtin is known to match (from Porch's tests and
    /// the catalog); the highest one is what `latest` stands for.
    pub known: &'static [&'static str],
    /// Every `vX.Y.Z` in this semver range is accepted.
    pub range: &'static str,
}

impl VersionTable {
    /// Whether `tag` names a release this builtin stands for. Floating tags
    /// (`latest`, `unstable`) and partial versions (`v0.2`) are accepted
    /// when they fall in the range.
    pub fn accepts(&self, tag: &str) -> bool {
        if matches!(tag, "latest" | "unstable") || self.known.contains(&tag) {
            return true;
        }
        let Some(v) = parse_loose(tag) else {
            return false;
        };
        VersionReq::parse(self.range).is_ok_and(|r| r.matches(&v))
    }

    /// The highest known release satisfying a Kptfile `tag` constraint
    /// (`"~0.2"`, `"0.4.1 - 0.4.3"`).
    pub fn resolve(&self, constraint: &str) -> Option<&'static str> {
        let req = parse_constraint(constraint)?;
        self.known
            .iter()
            .filter_map(|t| Some((*t, parse_loose(t)?)))
            .filter(|(_, v)| req.iter().any(|r| r.matches(v)))
            .max_by(|a, b| a.1.cmp(&b.1))
            .map(|(t, _)| t)
    }
}

/// `v0.2` → 0.2.0, `v1` → 1.0.0, `0.4.1` → 0.4.1.
fn parse_loose(tag: &str) -> Option<Version> {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    let mut parts: Vec<&str> = t.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.parse::<u64>().is_err()) {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    Version::parse(&parts.join(".")).ok()
}

/// Parses kpt's tag constraints (Masterminds semver syntax): `a - b`
/// ranges, `||` alternatives, and the operators the semver crate knows.
fn parse_constraint(constraint: &str) -> Option<Vec<VersionReq>> {
    constraint
        .split("||")
        .map(|alt| {
            let alt = alt.trim();
            if let Some((lo, hi)) = alt.split_once(" - ") {
                let lo = parse_loose(lo.trim())?;
                let hi = parse_loose(hi.trim())?;
                return VersionReq::parse(&format!(">={lo}, <={hi}")).ok();
            }
            let alt = alt.replace(' ', ", ").replace(",,", ",");
            VersionReq::parse(alt.trim_start_matches('v')).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_tags_are_split() {
        let r = ImageRef::parse("gcr.io/kpt-fn/set-namespace:unstable", None);
        assert_eq!(r.name, "set-namespace");
        assert_eq!(r.tag.as_deref(), Some("unstable"));
        let r = ImageRef::parse(
            "ghcr.io/kptdev/krm-functions-catalog/starlark@sha256:abc",
            None,
        );
        assert_eq!(
            (r.name.as_str(), r.tag, r.digest.as_deref()),
            ("starlark", None, Some("sha256:abc"))
        );
        let r = ImageRef::parse("localhost:5000/fns/set-labels", Some("localhost:5000/fns"));
        assert_eq!(r.name, "set-labels");
        let r = ImageRef::parse("quay.io/invalid/nonexistent-fn:v0.0.1", None);
        assert_eq!(r.name, "quay.io/invalid/nonexistent-fn");
    }

    #[test]
    fn version_table_accepts_its_releases() {
        let t = VersionTable {
            known: &["v0.2.0", "v0.4.1"],
            range: ">=0.1.0, <0.5.0",
        };
        for tag in ["latest", "unstable", "v0.4.1", "v0.4", "v0.3.4", "v0.2"] {
            assert!(t.accepts(tag), "{tag}");
        }
        for tag in ["v0.5.0", "v1", "main", "v0.4.x"] {
            assert!(!t.accepts(tag), "{tag}");
        }
        assert_eq!(t.resolve("~0.2"), Some("v0.2.0"));
        assert_eq!(t.resolve("0.4.0 - 0.4.3"), Some("v0.4.1"));
        assert_eq!(t.resolve(">=0.9"), None);
    }
}
