//! `ensure-name-substring`: makes every resource name contain a substring
//! (prefix or suffix), and rewrites references to renamed ConfigMaps,
//! Secrets and ServiceAccounts and `depends-on` annotations.

use std::collections::HashMap;

use cad_lib::ResourceList;
use serde_json::Value;

use super::config::{self, Config};
use super::fields::{self, edit};
use super::{Failure, results};

fn params(rl: &ResourceList) -> Result<(String, bool), String> {
    match config::read(rl.function_config.as_ref()) {
        Config::ConfigMap { data, .. } => {
            let pre = config::data_str(&data, "prepend");
            let app = config::data_str(&data, "append");
            match (pre.is_empty(), app.is_empty()) {
                (false, true) => Ok((pre.into(), true)),
                (true, false) => Ok((app.into(), false)),
                _ => Err("exactly one of `prepend` and `append` must be given".into()),
            }
        }
        Config::Typed { value, .. } => {
            let sub = fields::get_str(&value, &["substring"])
                .unwrap_or_default()
                .to_string();
            let mode = fields::get_str(&value, &["editMode"]).unwrap_or("prepend");
            if sub.is_empty() {
                return Err("`substring` must not be empty".into());
            }
            Ok((sub, mode != "append"))
        }
        Config::Missing => {
            Err("FunctionConfig is missing. Expect `ConfigMap` or `EnsureNameSubstring`".into())
        }
    }
}

/// Reference fields rewritten when the referenced kind is renamed:
/// (referenced kind, path segments with `[]` for lists).
const REFS: &[(&str, &str)] = &[
    ("ConfigMap", "volumes[]/configMap/name"),
    (
        "ConfigMap",
        "containers[]/env[]/valueFrom/configMapKeyRef/name",
    ),
    ("ConfigMap", "containers[]/envFrom[]/configMapRef/name"),
    (
        "ConfigMap",
        "initContainers[]/env[]/valueFrom/configMapKeyRef/name",
    ),
    ("Secret", "volumes[]/secret/secretName"),
    ("Secret", "containers[]/env[]/valueFrom/secretKeyRef/name"),
    ("Secret", "containers[]/envFrom[]/secretRef/name"),
    ("Secret", "imagePullSecrets[]/name"),
    ("ServiceAccount", "serviceAccountName"),
    (
        "PersistentVolumeClaim",
        "volumes[]/persistentVolumeClaim/claimName",
    ),
];

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let (sub, prepend) = params(rl).map_err(Failure::error)?;
    let mut renamed: HashMap<(String, String), String> = HashMap::new();
    for o in rl.items.iter_mut() {
        let kind = o.kind().unwrap_or_default();
        if matches!(
            kind.as_str(),
            "CustomResourceDefinition" | "Namespace" | "APIService" | "Kptfile"
        ) {
            continue;
        }
        let name = o.name().unwrap_or_default();
        if name.is_empty() || name.contains(&sub) {
            continue;
        }
        let new = if prepend {
            format!("{sub}{name}")
        } else {
            format!("{name}{sub}")
        };
        o.set_str(&["metadata", "name"], &new)
            .map_err(|e| Failure::error(e.to_string()))?;
        renamed.insert((kind, name), new);
    }
    for o in rl.items.iter_mut() {
        edit(o, |v| {
            for spec in [
                &["spec"][..],
                &["spec", "template", "spec"],
                &["spec", "jobTemplate", "spec", "template", "spec"],
            ] {
                let Some(pod) = fields::get_mut(v, spec) else {
                    continue;
                };
                for (kind, path) in REFS {
                    let segs: Vec<String> = path.split('/').map(str::to_string).collect();
                    fields::for_each_at(pod, &segs, &mut |x| {
                        if let Value::String(s) = x
                            && let Some(n) = renamed.get(&(kind.to_string(), s.clone()))
                        {
                            *s = n.clone();
                        }
                    });
                }
            }
        })
        .map_err(|e| Failure::error(e.to_string()))?;
    }
    rl.results.push(results::info(format!(
        "ensured name substring {sub:?} on {} resource(s)",
        renamed.len()
    )));
    Ok(())
}
