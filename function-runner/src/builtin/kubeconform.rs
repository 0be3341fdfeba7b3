//! `kubeconform` (and the legacy `kubeval`): validates resources against the
//! built-in Kubernetes schemas; every violation is an error result with the
//! resource, field and file, and any violation fails the function.

use cad_lib::ResourceList;
use serde_json::Value;

use super::config::{self, Config};
use super::fields;
use super::{Failure, results, schemas, validate};

struct Params {
    ignore_missing: bool,
    skip_kinds: Vec<String>,
    strict: bool,
}

fn truthy(s: &str) -> bool {
    matches!(s.trim(), "true" | "1" | "True" | "TRUE")
}

fn params(rl: &ResourceList) -> Result<Params, String> {
    let get = |k: &str| -> String {
        match config::read(rl.function_config.as_ref()) {
            Config::ConfigMap { data, .. } => config::data_str(&data, k).to_string(),
            Config::Typed { value, .. } => {
                value.get(k).map(config::scalar_string).unwrap_or_default()
            }
            Config::Missing => String::new(),
        }
    };
    for k in ["schema_location", "additional_schema_locations"] {
        let v = get(k);
        if !v.is_empty() && v != "default" {
            return Err(format!(
                "`{k}` is not supported: schemas are built in (Kubernetes 1.33) and never fetched"
            ));
        }
    }
    Ok(Params {
        ignore_missing: truthy(&get("ignore_missing_schemas")),
        skip_kinds: get("skip_kinds")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        strict: truthy(&get("strict")),
    })
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let p = params(rl).map_err(Failure::error)?;
    let mut out = Vec::new();
    for o in &rl.items {
        if o.is_local_config() {
            continue;
        }
        let h = fields::head(o);
        if p.skip_kinds.contains(&h.kind) {
            continue;
        }
        let reference = results::resource_ref(o);
        let file = results::file_ref(o, true).map(|mut f| {
            if f.index == Some(0) {
                f.index = None;
            }
            f
        });
        let Some(schema) = schemas::schema(&h.api_version, &h.kind) else {
            if !p.ignore_missing {
                out.push(cad_lib::ResultItem {
                    resource_ref: Some(reference),
                    file,
                    ..results::error(format!(
                        "could not find schema for {} ({}); set `ignore_missing_schemas` or add the kind to `skip_kinds`",
                        h.kind, h.api_version
                    ))
                });
            }
            continue;
        };
        let mut value = o.to_value().unwrap_or(Value::Null);
        strip_render_annotations(&mut value);
        for (path, message) in validate::validate(&value, &schema, &schema, p.strict) {
            out.push(cad_lib::ResultItem {
                resource_ref: Some(reference.clone()),
                field: Some(results::field(path)),
                file: file.clone(),
                ..results::error(message)
            });
        }
    }
    let failed = !out.is_empty();
    rl.results.extend(out);
    if failed {
        Err(Failure::silent())
    } else {
        Ok(())
    }
}

/// The renderer's annotations are not part of the resource.
fn strip_render_annotations(v: &mut Value) {
    if let Some(Value::Object(a)) = fields::get_mut(v, &["metadata", "annotations"]) {
        a.retain(|k, _| {
            !cad_lib::annotations::RENDER_ANNOTATIONS.contains(&k.as_str())
                && k != cad_lib::annotations::SEQ_INDENT
        });
        if a.is_empty()
            && let Some(Value::Object(m)) = fields::get_mut(v, &["metadata"])
        {
            m.remove("annotations");
        }
    }
}
