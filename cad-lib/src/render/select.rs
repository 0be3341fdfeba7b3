//! Pipeline selectors: which resources a step runs on.

use serde_json::Value;

use crate::kptfile::Selector;
use crate::object::KubeObject;

/// Whether `obj` matches every field set in `sel` (labels and annotations
/// as subsets).
pub fn matches(sel: &Selector, obj: &KubeObject) -> bool {
    let eq = |want: &str, got: Option<String>| want.is_empty() || got.as_deref() == Some(want);
    eq(&sel.api_version, obj.api_version())
        && eq(&sel.kind, obj.kind())
        && eq(&sel.name, obj.name())
        && eq(&sel.namespace, obj.namespace())
        && subset(&sel.labels, &obj.labels())
        && subset(&sel.annotations, &obj.annotations())
}

fn subset(
    want: &std::collections::BTreeMap<String, String>,
    got: &serde_json::Map<String, Value>,
) -> bool {
    want.iter()
        .all(|(k, v)| got.get(k).and_then(Value::as_str) == Some(v.as_str()))
}

/// Indices of the objects a step runs on: those matching any selector (all
/// when there are none), minus those matching any non-empty exclusion.
pub fn select<'a>(
    objects: impl Iterator<Item = &'a KubeObject>,
    selectors: &[Selector],
    exclude: &[Selector],
) -> Vec<usize> {
    objects
        .enumerate()
        .filter(|(_, o)| selectors.is_empty() || selectors.iter().any(|s| matches(s, o)))
        .filter(|(_, o)| !exclude.iter().any(|s| !s.is_empty() && matches(s, o)))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: &str, name: &str, labels: &str) -> KubeObject {
        KubeObject::parse(&format!(
            "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  labels: {labels}\n"
        ))
        .unwrap()
    }

    #[test]
    fn any_selector_then_no_exclusion() {
        let objs = [
            obj("ConfigMap", "a", "{tier: db}"),
            obj("Secret", "b", "{}"),
            obj("ConfigMap", "c", "{skip: y}"),
        ];
        let kind_cm = Selector {
            kind: "ConfigMap".into(),
            ..Default::default()
        };
        let skip = Selector {
            labels: [("skip".to_string(), "y".to_string())].into(),
            ..Default::default()
        };
        assert_eq!(
            select(objs.iter(), std::slice::from_ref(&kind_cm), &[]),
            vec![0, 2]
        );
        assert_eq!(
            select(objs.iter(), &[kind_cm], std::slice::from_ref(&skip)),
            vec![0]
        );
        assert_eq!(select(objs.iter(), &[], &[skip]), vec![0, 1]);
    }
}
