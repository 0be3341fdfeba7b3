//! Which lists merge item by item, and on which key.
//!
//! kpt's 3-way merge treats a list as associative only when the schema says
//! so (inference from the data is disabled): the Kubernetes schema's patch
//! merge keys for built-in kinds, and `x-kubernetes-list-map-keys` /
//! `x-kubernetes-patch-merge-key` from the CRDs it is given.

use std::collections::HashMap;

use serde_json::Value;

use crate::object::KubeObject;

/// Built-in API groups whose pod-spec lists have patch merge keys.
const BUILTIN_GROUPS: &[&str] = &["", "apps", "batch", "extensions"];

/// Merge keys of built-in kinds, by the last field names of the list's path.
fn builtin_key(kind: &str, path: &[String]) -> Option<Vec<String>> {
    let last = path.last()?.as_str();
    let parent = path.len().checked_sub(2).map(|i| path[i].as_str());
    let key = match (parent, last) {
        (_, "containers" | "initContainers" | "ephemeralContainers") => "name",
        (Some("containers" | "initContainers" | "ephemeralContainers"), "ports") => "containerPort",
        (Some("spec"), "ports") if kind == "Service" => "port",
        (_, "env") => "name",
        (_, "volumeMounts") => "mountPath",
        (_, "volumeDevices") => "devicePath",
        (Some("spec"), "volumes") => "name",
        (_, "imagePullSecrets") => "name",
        (_, "hostAliases") => "ip",
        (_, "topologySpreadConstraints") => "topologyKey",
        (_, "resourceClaims") => "name",
        (Some("status"), "conditions") => "type",
        _ => return None,
    };
    Some(vec![key.to_string()])
}

/// Merge keys known for the lists of each (group, kind).
#[derive(Debug, Clone, Default)]
pub struct MergeSchema {
    /// (group, kind) → dotted list path → keys, from CRDs.
    crds: HashMap<(String, String), HashMap<String, Vec<String>>>,
}

impl MergeSchema {
    /// A schema with the built-in kinds and the given CRDs.
    pub fn with_crds<'a>(crds: impl IntoIterator<Item = &'a KubeObject>) -> Self {
        let mut s = Self::default();
        for crd in crds {
            s.add_crd(crd);
        }
        s
    }

    /// Learns the list keys of a `CustomResourceDefinition` (ignored otherwise).
    pub fn add_crd(&mut self, crd: &KubeObject) {
        if crd.kind().as_deref() != Some("CustomResourceDefinition") {
            return;
        }
        let Ok(v) = crd.to_value() else { return };
        let group = v["spec"]["group"].as_str().unwrap_or_default().to_string();
        let kind = v["spec"]["names"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let entry = self.crds.entry((group, kind)).or_default();
        let versions = v["spec"]["versions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for ver in versions {
            collect(&ver["schema"]["openAPIV3Schema"], &mut Vec::new(), entry);
        }
        collect(
            &v["spec"]["validation"]["openAPIV3Schema"],
            &mut Vec::new(),
            entry,
        );
    }

    /// The merge keys of the list at `path` in an object of `group`/`kind`,
    /// or `None` if the list is atomic.
    pub fn list_keys(&self, group: &str, kind: &str, path: &[String]) -> Option<Vec<String>> {
        if let Some(m) = self.crds.get(&(group.to_string(), kind.to_string())) {
            return m.get(&path.join(".")).cloned();
        }
        if BUILTIN_GROUPS.contains(&group) {
            return builtin_key(kind, path);
        }
        None
    }
}

fn collect(schema: &Value, path: &mut Vec<String>, out: &mut HashMap<String, Vec<String>>) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    if obj.get("type").and_then(Value::as_str) == Some("array") {
        let keys: Vec<String> = match obj.get("x-kubernetes-list-map-keys") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect(),
            _ => obj
                .get("x-kubernetes-patch-merge-key")
                .and_then(Value::as_str)
                .map(|k| vec![k.to_string()])
                .unwrap_or_default(),
        };
        if !keys.is_empty() {
            out.insert(path.join("."), keys);
        }
        if let Some(items) = obj.get("items") {
            collect(items, path, out);
        }
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        for (name, sub) in props {
            path.push(name.clone());
            collect(sub, path, out);
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn builtin_pod_lists() {
        let s = MergeSchema::default();
        assert_eq!(
            s.list_keys("apps", "Deployment", &p("spec.template.spec.containers")),
            Some(vec!["name".into()])
        );
        assert_eq!(
            s.list_keys(
                "apps",
                "Deployment",
                &p("spec.template.spec.containers.ports")
            ),
            Some(vec!["containerPort".into()])
        );
        assert_eq!(
            s.list_keys("", "Service", &p("spec.ports")),
            Some(vec!["port".into()])
        );
        assert_eq!(
            s.list_keys("rbac.authorization.k8s.io", "RoleBinding", &p("subjects")),
            None
        );
        assert_eq!(
            s.list_keys("test.group", "FruitStore", &p("spec.fruits")),
            None
        );
    }

    #[test]
    fn crd_list_map_keys() {
        let crd = KubeObject::parse("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: fruitstores.test.group\nspec:\n  group: test.group\n  names:\n    kind: FruitStore\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        properties:\n          spec:\n            type: object\n            properties:\n              fruits:\n                type: array\n                x-kubernetes-list-map-keys: [ name ]\n").unwrap();
        let s = MergeSchema::with_crds([&crd]);
        assert_eq!(
            s.list_keys("test.group", "FruitStore", &p("spec.fruits")),
            Some(vec!["name".into()])
        );
    }
}
