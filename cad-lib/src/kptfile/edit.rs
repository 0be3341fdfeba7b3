//! Lossless edits of a Kptfile: only the touched fields change, new
//! top-level fields go where kpt puts them.

use serde::Serialize;
use serde_json::Value;

use super::{Condition, PackageInfo, Upstream, UpstreamLock};
use crate::object::{KubeObject, ObjectError};
use crate::value::ValueError;

/// kpt's order of top-level Kptfile fields.
pub const FIELD_ORDER: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "upstream",
    "upstreamLock",
    "info",
    "pipeline",
    "inventory",
    "status",
];

fn to_value<T: Serialize>(v: &T) -> Result<Value, ObjectError> {
    serde_json::to_value(v).map_err(|e| ObjectError::Value(ValueError::Render(e.to_string())))
}

/// Sets `metadata.name`.
pub fn set_name(kptfile: &mut KubeObject, name: &str) -> Result<(), ObjectError> {
    kptfile.set_str(&["metadata", "name"], name)
}

/// Sets `upstream` and `upstreamLock`.
pub fn set_upstream(
    kptfile: &mut KubeObject,
    upstream: &Upstream,
    lock: &UpstreamLock,
) -> Result<(), ObjectError> {
    kptfile.set_ordered("upstream", &to_value(upstream)?, FIELD_ORDER)?;
    kptfile.set_ordered("upstreamLock", &to_value(lock)?, FIELD_ORDER)
}

/// Replaces `info` with exactly the given fields.
pub fn set_info(kptfile: &mut KubeObject, info: &PackageInfo) -> Result<(), ObjectError> {
    kptfile.set_ordered("info", &to_value(info)?, FIELD_ORDER)
}

/// Adds or updates the condition of the same type in `status.conditions`.
pub fn set_condition(kptfile: &mut KubeObject, condition: &Condition) -> Result<(), ObjectError> {
    let mut conditions = match kptfile.get(&["status", "conditions"]) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    let new = to_value(condition)?;
    match conditions
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(condition.kind.as_str()))
    {
        Some(slot) => *slot = new,
        None => conditions.push(new),
    }
    if kptfile.get(&["status"]).is_none() {
        kptfile.set_ordered(
            "status",
            &serde_json::json!({ "conditions": conditions }),
            FIELD_ORDER,
        )
    } else {
        kptfile.set(&["status", "conditions"], &Value::Array(conditions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kptfile::{Git, GitLock};

    const KF: &str = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: basens # keep\ninfo:\n  description: d\n";

    #[test]
    fn upstream_goes_after_metadata() {
        let mut o = KubeObject::parse(KF).unwrap();
        let up = Upstream {
            kind: "git".into(),
            git: Some(Git {
                repo: "r".into(),
                directory: "d".into(),
                git_ref: "v1".into(),
            }),
            ..Default::default()
        };
        let lock = UpstreamLock {
            kind: "git".into(),
            git: Some(GitLock {
                repo: "r".into(),
                directory: "d".into(),
                git_ref: "v1".into(),
                commit: "c".into(),
            }),
            ..Default::default()
        };
        set_name(&mut o, "istions").unwrap();
        set_upstream(&mut o, &up, &lock).unwrap();
        assert_eq!(
            o.text(),
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: istions # keep\nupstream:\n  type: git\n  git:\n    repo: r\n    directory: d\n    ref: v1\nupstreamLock:\n  type: git\n  git:\n    repo: r\n    directory: d\n    ref: v1\n    commit: c\ninfo:\n  description: d\n"
        );
    }

    #[test]
    fn conditions_are_upserted_by_type() {
        let mut o = KubeObject::parse(KF).unwrap();
        let c = Condition {
            kind: "Rendered".into(),
            status: "True".into(),
            reason: "RenderSuccess".into(),
            message: String::new(),
        };
        set_condition(&mut o, &c).unwrap();
        set_condition(&mut o, &c).unwrap();
        assert!(o.text().ends_with("status:\n  conditions:\n  - type: Rendered\n    status: 'True'\n    reason: RenderSuccess\n"), "{}", o.text());
    }
}
