//! The parts of a Kptfile a PackageRevision mirrors. A broken Kptfile never
//! fails discovery: what cannot be read is left empty and described in
//! [`KptfileSummary::error`].

use std::collections::BTreeMap;

use porch_api::packagerevision::{GitLock, Locator, PackageCondition, ReadinessGate};
use serde_norway::Value;

/// Kptfile `metadata.labels/annotations`, `info.readinessGates`, `status.conditions`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KptfileSummary {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub readiness_gates: Vec<ReadinessGate>,
    pub conditions: Vec<PackageCondition>,
    /// What could not be read (invalid YAML, a field of the wrong shape), if anything.
    pub error: Option<String>,
}

/// A parsed Kptfile: the summary and the upstream lock.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KptfileInfo {
    pub summary: KptfileSummary,
    /// Only when the Kptfile has `upstream.git` and `upstreamLock.git` (Porch's rule).
    pub upstream_lock: Option<Locator>,
}

/// Parse Kptfile bytes; never fails.
pub(crate) fn parse(bytes: &[u8]) -> KptfileInfo {
    let mut problems = Vec::new();
    let doc: Value = match serde_norway::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return KptfileInfo {
                summary: KptfileSummary {
                    error: Some(format!("Kptfile is not valid YAML: {e}")),
                    ..Default::default()
                },
                upstream_lock: None,
            };
        }
    };
    let labels = string_map(&doc, &["metadata", "labels"], &mut problems);
    let annotations = string_map(&doc, &["metadata", "annotations"], &mut problems);
    let readiness_gates = list(&doc, &["info", "readinessGates"], &mut problems)
        .iter()
        .filter_map(|g| match text(g, "conditionType") {
            Some(t) => Some(ReadinessGate { condition_type: t }),
            None => {
                problems.push("info.readinessGates: entry without conditionType".into());
                None
            }
        })
        .collect();
    let conditions = list(&doc, &["status", "conditions"], &mut problems)
        .iter()
        .filter_map(|c| match (text(c, "type"), text(c, "status")) {
            (Some(type_), status) => Some(PackageCondition {
                type_,
                status: status.unwrap_or_default(),
                reason: text(c, "reason").unwrap_or_default(),
                message: text(c, "message").unwrap_or_default(),
            }),
            (None, _) => {
                problems.push("status.conditions: entry without type".into());
                None
            }
        })
        .collect();
    let upstream_lock = upstream_lock(&doc);
    KptfileInfo {
        summary: KptfileSummary {
            labels,
            annotations,
            readiness_gates,
            conditions,
            error: (!problems.is_empty()).then(|| problems.join("; ")),
        },
        upstream_lock,
    }
}

fn at<'a>(doc: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut v = doc;
    for k in path {
        v = v.get(*k)?;
    }
    (!v.is_null()).then_some(v)
}

/// A scalar as a string (YAML `1` or `true` where a string is meant is common).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(scalar)
}

fn string_map(doc: &Value, path: &[&str], problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(v) = at(doc, path) else {
        return out;
    };
    let Some(m) = v.as_mapping() else {
        problems.push(format!("{} is not a map", path.join(".")));
        return out;
    };
    for (k, v) in m {
        match (scalar(k), scalar(v)) {
            (Some(k), Some(v)) => {
                out.insert(k, v);
            }
            _ => problems.push(format!("{}: skipped a non-string entry", path.join("."))),
        }
    }
    out
}

fn list<'a>(doc: &'a Value, path: &[&str], problems: &mut Vec<String>) -> &'a [Value] {
    match at(doc, path) {
        None => &[],
        Some(Value::Sequence(s)) => s,
        Some(_) => {
            problems.push(format!("{} is not a list", path.join(".")));
            &[]
        }
    }
}

fn upstream_lock(doc: &Value) -> Option<Locator> {
    at(doc, &["upstream", "git"])?;
    let lock = at(doc, &["upstreamLock"])?;
    let git = at(lock, &["git"])?;
    Some(Locator {
        type_: text(lock, "type").unwrap_or_default(),
        git: Some(GitLock {
            repo: text(git, "repo").unwrap_or_default(),
            directory: text(git, "directory").unwrap_or_default(),
            ref_: text(git, "ref").unwrap_or_default(),
            commit: text(git, "commit").unwrap_or_default(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_kptfile() {
        let k = parse(
            br#"apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: basens
  labels: {app: x, version: 2}
  annotations:
    a: b
upstream:
  type: git
  git: {repo: "https://example.com/r.git", directory: /basens, ref: basens/v1}
upstreamLock:
  type: git
  git: {repo: "https://example.com/r.git", directory: /basens, ref: basens/v1, commit: abc}
info:
  readinessGates:
  - conditionType: Ready
status:
  conditions:
  - {type: Ready, status: "True", reason: Done}
"#,
        );
        let s = &k.summary;
        assert_eq!(s.error, None);
        assert_eq!(s.labels.get("version").map(String::as_str), Some("2"));
        assert_eq!(s.annotations.len(), 1);
        assert_eq!(s.readiness_gates[0].condition_type, "Ready");
        assert_eq!(s.conditions[0].status, "True");
        let lock = k.upstream_lock.unwrap();
        assert_eq!(lock.type_, "git");
        assert_eq!(lock.git.unwrap().commit, "abc");
    }

    #[test]
    fn broken_kptfiles_do_not_fail() {
        assert!(parse(b"metadata: [unclosed").summary.error.is_some());
        let k = parse(b"metadata:\n  labels: [a]\nstatus:\n  conditions: 3\n");
        assert!(k.summary.error.is_some());
        assert!(k.summary.labels.is_empty() && k.summary.conditions.is_empty());
        // upstreamLock without upstream.git: no lock (Porch).
        assert!(
            parse(b"upstreamLock:\n  git: {commit: a}\n")
                .upstream_lock
                .is_none()
        );
    }
}
