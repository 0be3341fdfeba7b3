//! `upsert-resource`: the function config *is* a resource (or a `List` of
//! them) to insert into the package or to replace an existing resource
//! with the same identity (group, kind, namespace, name and, when the
//! config names one with `config.kubernetes.io/target-path`, the file).

use cad_lib::annotations as ann;
use cad_lib::{KubeObject, ResourceList};
use serde_json::Value;

use super::fields;
use super::{Failure, results};

const FUNCTION_ANNOTATIONS: &[&str] = &[
    "config.kubernetes.io/function",
    "config.k8s.io/function",
    ann::TARGET_PATH,
];

fn identity(v: &Value) -> (String, String, String, String) {
    let s = |p: &[&str]| fields::get_str(v, p).unwrap_or_default().to_string();
    (
        fields::group(&s(&["apiVersion"])).to_string(),
        s(&["kind"]),
        s(&["metadata", "namespace"]),
        s(&["metadata", "name"]),
    )
}

fn strip(v: &mut Value) {
    if let Some(Value::Object(a)) = fields::get_mut(v, &["metadata", "annotations"]) {
        for k in FUNCTION_ANNOTATIONS {
            a.remove(*k);
        }
        if a.is_empty()
            && let Some(Value::Object(m)) = fields::get_mut(v, &["metadata"])
        {
            m.remove("annotations");
        }
    }
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let Some(fc) = rl.function_config.as_ref() else {
        return Err(Failure::error(
            "FunctionConfig is missing. Expect the resource to upsert",
        ));
    };
    let fc = fc.to_value().map_err(|e| Failure::error(e.to_string()))?;
    let configs: Vec<Value> = if fields::get_str(&fc, &["kind"]) == Some("List") {
        fields::get(&fc, &["items"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    } else {
        vec![fc]
    };
    for cfg in configs {
        let target = fields::get_str(&cfg, &["metadata", "annotations", ann::TARGET_PATH])
            .map(str::to_string);
        let id = identity(&cfg);
        let mut clean = cfg.clone();
        strip(&mut clean);
        let found: Vec<usize> = (0..rl.items.len())
            .filter(|i| {
                let o = &rl.items[*i];
                let Ok(v) = o.to_value() else { return false };
                let is_fn_config = fields::get(
                    &v,
                    &["metadata", "annotations", "config.kubernetes.io/function"],
                )
                .is_some();
                let path = o
                    .annotation(ann::INTERNAL_PATH)
                    .or_else(|| o.annotation(ann::PATH));
                !is_fn_config
                    && identity(&v) == id
                    && target
                        .as_ref()
                        .is_none_or(|t| path.as_deref() == Some(t.as_str()))
            })
            .collect();
        if found.is_empty() {
            let mut next = clean;
            if let Some(t) = &target {
                for k in [ann::PATH, ann::INTERNAL_PATH] {
                    let _ = fields::set(
                        &mut next,
                        &["metadata", "annotations", k],
                        Value::String(t.clone()),
                    );
                }
            }
            let o = KubeObject::from_value(&next).map_err(|e| Failure::error(e.to_string()))?;
            rl.results
                .push(results::info(format!("added {}", fields::describe(&o))));
            rl.items.push(o);
            continue;
        }
        for i in found {
            let o = &mut rl.items[i];
            let mut next = clean.clone();
            for (k, val) in o.annotations() {
                if ann::RENDER_ANNOTATIONS.contains(&k.as_str()) || k == ann::SEQ_INDENT {
                    let _ = fields::set(&mut next, &["metadata", "annotations", &k], val);
                }
            }
            o.replace_root(&next, None)
                .map_err(|e| Failure::error(e.to_string()))?;
            rl.results
                .push(results::info(format!("replaced {}", fields::describe(o))));
        }
    }
    Ok(())
}
