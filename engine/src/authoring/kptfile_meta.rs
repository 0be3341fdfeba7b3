//! The PackageRevision fields that live in the Kptfile: `spec.packageMetadata`
//! (metadata labels and annotations), `spec.readinessGates`
//! (`info.readinessGates`) and `status.conditions` — written on updates of a
//! draft, read back after edits of the resources (porch-api.md §3.2).

use std::collections::BTreeMap;

use cad_lib::kptfile::KPTFILE;
use cad_lib::{KubeObject, PackageFiles};
use porch_api::packagerevision::{PackageCondition, ReadinessGate};
use serde_json::{Value, json};

use super::tasks::TaskError;

/// What the Kptfile mirrors of a PackageRevision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KptfileMeta {
    /// `Some` replaces `metadata.labels` (an empty map removes them).
    pub labels: Option<BTreeMap<String, String>>,
    /// `Some` replaces `metadata.annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
    /// `Some` replaces `info.readinessGates`.
    pub readiness_gates: Option<Vec<ReadinessGate>>,
    /// Conditions upserted by type into `status.conditions`.
    pub conditions: Vec<PackageCondition>,
}

fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn invalid(e: impl std::fmt::Display) -> TaskError {
    TaskError::Invalid(format!("editing the Kptfile: {e}"))
}

/// Write `meta` into the root Kptfile (other fields keep their text).
pub fn apply_meta(files: &mut PackageFiles, meta: &KptfileMeta) -> Result<(), TaskError> {
    if meta == &KptfileMeta::default() {
        return Ok(());
    }
    let text = files
        .get(KPTFILE)
        .ok_or_else(|| TaskError::Invalid("the package has no Kptfile".into()))?;
    let mut kf = KubeObject::parse(text).map_err(invalid)?;
    for (field, value) in [("labels", &meta.labels), ("annotations", &meta.annotations)] {
        match value {
            Some(m) if m.is_empty() => {
                kf.remove(&["metadata", field]);
            }
            Some(m) => kf
                .set(&["metadata", field], &map_value(m))
                .map_err(invalid)?,
            None => {}
        }
    }
    if let Some(gates) = &meta.readiness_gates {
        if gates.is_empty() {
            kf.remove(&["info", "readinessGates"]);
        } else {
            let v = serde_json::to_value(gates).map_err(invalid)?;
            if kf.get(&["info"]).is_none() {
                kf.set_ordered(
                    "info",
                    &json!({"readinessGates": v}),
                    cad_lib::kptfile::edit::FIELD_ORDER,
                )
                .map_err(invalid)?;
            } else {
                kf.set(&["info", "readinessGates"], &v).map_err(invalid)?;
            }
        }
    }
    for c in &meta.conditions {
        let condition = cad_lib::kptfile::Condition {
            kind: c.type_.clone(),
            status: c.status.clone(),
            reason: c.reason.clone(),
            message: c.message.clone(),
        };
        cad_lib::kptfile::edit::set_condition(&mut kf, &condition).map_err(invalid)?;
    }
    files.insert(KPTFILE.to_string(), kf.text());
    Ok(())
}

/// The mirrored fields as the root Kptfile holds them now.
pub fn read_meta(files: &PackageFiles) -> KptfileMeta {
    let Some(kf) = files.get(KPTFILE).and_then(|t| KubeObject::parse(t).ok()) else {
        return KptfileMeta::default();
    };
    let strings = |path: &[&str]| -> Option<BTreeMap<String, String>> {
        let Some(Value::Object(m)) = kf.get(path) else {
            return None;
        };
        Some(
            m.into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect(),
        )
    };
    KptfileMeta {
        labels: strings(&["metadata", "labels"]),
        annotations: strings(&["metadata", "annotations"]),
        readiness_gates: kf
            .get(&["info", "readinessGates"])
            .and_then(|v| serde_json::from_value(v).ok()),
        conditions: kf
            .get(&["status", "conditions"])
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_replaced_and_conditions_upserted() {
        let mut files = PackageFiles::from([(
            "Kptfile".to_string(),
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p # keep\n  labels:\n    old: x\ninfo:\n  description: d\n".to_string(),
        )]);
        let meta = KptfileMeta {
            labels: Some(BTreeMap::from([("new".to_string(), "y".to_string())])),
            readiness_gates: Some(vec![ReadinessGate {
                condition_type: "g".into(),
            }]),
            conditions: vec![PackageCondition {
                type_: "g".into(),
                status: "True".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        apply_meta(&mut files, &meta).unwrap();
        let text = &files["Kptfile"];
        assert!(text.contains("name: p # keep"), "{text}");
        assert!(!text.contains("old: x"), "{text}");
        let back = read_meta(&files);
        assert_eq!(back.labels, meta.labels);
        assert_eq!(back.readiness_gates, meta.readiness_gates);
        assert_eq!(back.conditions.len(), 1);
        assert_eq!(back.conditions[0].status, "True");
    }
}
