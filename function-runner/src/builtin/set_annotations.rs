//! `set-annotations`: adds annotations to every resource (local-config
//! ones included) at kustomize's `commonAnnotations` field specs plus any
//! additional fields the config names.

use std::collections::BTreeMap;

use cad_lib::ResourceList;
use serde_json::Value;

use super::config::{self, Config};
use super::fields::{self, edit};
use super::{Failure, results};

/// Where annotations go: kustomize's field spec.
#[derive(Debug, Clone, Default)]
struct FieldSpec {
    group: String,
    version: String,
    kind: String,
    path: Vec<String>,
    create: bool,
}

impl FieldSpec {
    fn new(group: &str, kind: &str, path: &str) -> Self {
        Self {
            group: group.into(),
            kind: kind.into(),
            path: path.split('/').map(str::to_string).collect(),
            create: true,
            ..Default::default()
        }
    }

    fn from_value(v: &Value) -> Self {
        let s = |k: &str| fields::get_str(v, &[k]).unwrap_or_default().to_string();
        Self {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
            path: s("path")
                .split('/')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            create: fields::get(v, &["create"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    fn matches(&self, api_version: &str, kind: &str) -> bool {
        let (g, ver) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        (self.group.is_empty() || self.group == g)
            && (self.version.is_empty() || self.version == ver)
            && (self.kind.is_empty() || self.kind == kind)
    }
}

fn default_specs() -> Vec<FieldSpec> {
    let mut v = vec![FieldSpec::new("", "", "metadata/annotations")];
    let tpl = "spec/template/metadata/annotations";
    let mut rc = FieldSpec::new("", "ReplicationController", tpl);
    rc.version = "v1".into();
    v.push(rc);
    for k in ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"] {
        v.push(FieldSpec::new("", k, tpl));
    }
    v.push(FieldSpec::new("batch", "Job", tpl));
    v.push(FieldSpec::new(
        "batch",
        "CronJob",
        "spec/jobTemplate/metadata/annotations",
    ));
    v.push(FieldSpec::new(
        "batch",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/annotations",
    ));
    v
}

fn params(rl: &ResourceList) -> Result<(BTreeMap<String, String>, Vec<FieldSpec>), String> {
    let (annotations, extra) = match config::read(rl.function_config.as_ref()) {
        Config::Missing => {
            return Err("`functionConfig` must be a `ConfigMap` or `SetAnnotations`".into());
        }
        Config::ConfigMap { data, .. } => (
            data.iter()
                .map(|(k, v)| (k.clone(), config::scalar_string(v)))
                .collect(),
            Vec::new(),
        ),
        Config::Typed {
            api_version,
            kind,
            value,
        } => {
            if fields::group(&api_version) != "fn.kpt.dev"
                || !matches!(kind.as_str(), "SetAnnotations" | "SetAnnotationConfig")
            {
                return Err(format!(
                    "`functionConfig` must be a `ConfigMap` or `SetAnnotations`, got `{kind}`"
                ));
            }
            let ann = match fields::get(&value, &["annotations"]) {
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| (k.clone(), config::scalar_string(v)))
                    .collect(),
                _ => BTreeMap::new(),
            };
            let specs = ["additionalAnnotationFields", "fieldSpecs"]
                .iter()
                .filter_map(|k| fields::get(&value, &[k]).and_then(Value::as_array))
                .flatten()
                .map(FieldSpec::from_value)
                .collect();
            (ann, specs)
        }
    };
    if annotations.is_empty() {
        return Err("input annotation list cannot be empty".into());
    }
    let mut specs = default_specs();
    specs.extend(extra);
    Ok((annotations, specs))
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let (annotations, specs) = match params(rl) {
        Ok(p) => p,
        Err(m) => {
            let m = format!("failed to configure function: {m}");
            return Err(Failure::error(m.clone()).with_stderr(format!("[error]: {m}")));
        }
    };
    let json = serde_json::to_string(&annotations).unwrap_or_default();
    let message = format!("set annotations: {json}");
    let mut found: Vec<(String, i64, String)> = Vec::new();
    for o in rl.items.iter_mut() {
        let av = o.api_version().unwrap_or_default();
        let kind = o.kind().unwrap_or_default();
        let file = results::file_ref(o, true);
        let outcome = edit(o, |v| {
            let mut paths = Vec::new();
            for spec in specs.iter().filter(|s| s.matches(&av, &kind)) {
                let path: Vec<&str> = spec.path.iter().map(String::as_str).collect();
                let present = fields::get(v, &path).is_some_and(Value::is_object);
                if !present && !spec.create {
                    continue;
                }
                if let Ok(map) = fields::ensure_map(v, &path) {
                    for (k, val) in &annotations {
                        map.insert(k.clone(), Value::String(val.clone()));
                    }
                    let p = path.join(".");
                    if !paths.contains(&p) {
                        paths.push(p);
                    }
                }
            }
            paths
        });
        if let Ok(paths) = outcome {
            let (fp, idx) = file.as_ref().map_or((String::new(), 0), |f| {
                (f.path.clone(), f.index.unwrap_or(0))
            });
            found.extend(paths.into_iter().map(|p| (fp.clone(), idx, p)));
        }
    }
    found.sort();
    if found.is_empty() {
        rl.results.push(results::info("no annotations applied"));
    }
    for (path, index, field) in found {
        rl.results.push(cad_lib::ResultItem {
            field: Some(results::field(field)),
            file: Some(cad_lib::results::FileRef {
                path,
                index: (index != 0).then_some(index),
            }),
            ..results::info(message.clone())
        });
    }
    Ok(())
}
