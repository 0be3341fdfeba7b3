//! `set-labels`: adds labels to metadata and to the selectors and
//! templates that must carry them (Service and workload selectors, pod
//! templates, CronJob job templates, volume claim templates, network
//! policy peers), following the catalog function's field table.

use std::collections::BTreeMap;

use cad_lib::ResourceList;
use serde_json::Value;

use super::config::{self, Config};
use super::fields::{self, edit};
use super::{Failure, results};

type Labels = BTreeMap<String, String>;

enum Params {
    Labels(Labels),
    Missing,
}

fn params(rl: &ResourceList) -> Result<Params, String> {
    match config::read(rl.function_config.as_ref()) {
        Config::Missing => Ok(Params::Missing),
        Config::ConfigMap { data, .. } => Ok(Params::Labels(
            data.iter()
                .map(|(k, v)| (k.clone(), config::scalar_string(v)))
                .collect(),
        )),
        Config::Typed {
            api_version,
            kind,
            value,
        } => {
            if !config::is_kind(&api_version, &kind, "fn.kpt.dev", "SetLabels") {
                return Err(format!(
                    "unknown FunctionConfig `{kind}.{}`, expect `SetLabels.fn.kpt.dev` or `ConfigMap.v1`",
                    fields::group(&api_version)
                ));
            }
            match fields::get(&value, &["labels"]) {
                None | Some(Value::Null) => Ok(Params::Labels(Labels::new())),
                Some(Value::Object(m)) => Ok(Params::Labels(
                    m.iter()
                        .map(|(k, v)| (k.clone(), config::scalar_string(v)))
                        .collect(),
                )),
                Some(other) => Err(format!(
                    "unable to convert object to *setlabels.SetLabels with error: json: cannot unmarshal {} into Go struct field SetLabels.labels of type map[string]string",
                    go_type(other)
                )),
            }
        }
    }
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        _ => "object",
    }
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let params = match params(rl) {
        Ok(p) => p,
        Err(m) => return Err(Failure::error(m)),
    };
    let targets: Vec<usize> = (0..rl.items.len())
        .filter(|i| !rl.items[*i].is_local_config())
        .collect();
    if matches!(params, Params::Missing) {
        rl.results
            .push(results::info("`FunctionConfig` is not given"));
    }
    if targets.is_empty() {
        rl.results.push(results::info("no input resources"));
        return Ok(());
    }
    let labels = match params {
        Params::Missing => return Err(Failure::silent()),
        Params::Labels(l) => l,
    };
    if labels.is_empty() {
        rl.results.push(results::warning(
            "no `labels` arguments are given in FunctionConfig",
        ));
        return Ok(());
    }
    let mut count = 0;
    let mut failed = false;
    for i in targets {
        let o = &mut rl.items[i];
        let kind = o.kind().unwrap_or_default();
        let av = o.api_version().unwrap_or_default();
        let group = fields::group(&av).to_string();
        let outcome = edit(o, |v| set_all(v, &group, &av, &kind, &labels, &mut count));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(m)) => {
                failed = true;
                rl.results.push(results::error(m));
            }
            Err(e) => {
                failed = true;
                rl.results.push(results::error(e.to_string()));
            }
        }
    }
    rl.results
        .push(results::info(format!("set {count} labels in total")));
    if failed {
        Err(Failure::silent())
    } else {
        Ok(())
    }
}

fn version(av: &str) -> &str {
    av.rsplit('/').next().unwrap_or(av)
}

fn set_all(
    v: &mut Value,
    group: &str,
    av: &str,
    kind: &str,
    labels: &Labels,
    count: &mut usize,
) -> Result<(), String> {
    // The SDK's GVK checks treat a missing kind or apiVersion as matching
    // anything (a Kustomization file without them gets every selector).
    let any = kind.is_empty();
    let kind_is = |k: &str| any || kind == k;
    let group_is = |g: &str| av.is_empty() || group == g;
    let version_is = |v: &str| av.is_empty() || version(av) == v;
    let mut up =
        |v: &mut Value, path: &[&str], create: bool| update(v, path, labels, create, count);
    up(v, &["metadata", "labels"], true)?;
    let service_like = version_is("v1") && (kind_is("Service") || kind_is("ReplicationController"));
    if service_like {
        up(v, &["spec", "selector"], true)?;
    }
    let workload = kind_is("Deployment")
        || kind_is("ReplicaSet")
        || kind_is("DaemonSet")
        || (group_is("apps") && kind_is("StatefulSet"));
    if workload {
        up(v, &["spec", "selector", "matchLabels"], true)?;
    }
    if (group_is("batch") && kind_is("Job"))
        || (group_is("policy") && kind_is("PodDisruptionBudget"))
    {
        up(v, &["spec", "selector", "matchLabels"], false)?;
    }
    let netpol = group_is("networking.k8s.io") && kind_is("NetworkPolicy");
    if netpol {
        up(v, &["spec", "podSelector", "matchLabels"], false)?;
    }
    let Some(spec) = fields::get_mut(v, &["spec"]).filter(|s| s.is_object()) else {
        return Ok(());
    };
    let pod_spec = (version_is("v1") && kind_is("ReplicationController"))
        || workload
        || (group_is("batch") && kind_is("Job"));
    if pod_spec && let Some(t) = fields::get_mut(spec, &["template"]).filter(|t| t.is_object()) {
        pod(t, labels, count)?;
    }
    if group_is("batch")
        && kind_is("CronJob")
        && let Some(job) = fields::get_mut(spec, &["jobTemplate"]).filter(|t| t.is_object())
    {
        update(job, &["metadata", "labels"], labels, true, count)?;
        if let Some(js) = fields::get_mut(job, &["spec"]).filter(|s| s.is_object()) {
            update(js, &["selector", "matchLabels"], labels, false, count)?;
            if let Some(t) = fields::get_mut(js, &["template"]).filter(|t| t.is_object()) {
                pod(t, labels, count)?;
            }
        }
    }
    if group_is("apps")
        && kind_is("StatefulSet")
        && let Some(Value::Array(vcts)) = fields::get_mut(spec, &["volumeClaimTemplates"])
    {
        for vct in vcts.iter_mut().filter(|x| x.is_object()) {
            update(vct, &["metadata", "labels"], labels, true, count)?;
            update(vct, &["selector", "matchLabels"], labels, false, count)?;
        }
    }
    if netpol {
        for (rules, peers) in [("ingress", "from"), ("egress", "to")] {
            if let Some(Value::Array(rs)) = fields::get_mut(spec, &[rules]) {
                for r in rs.iter_mut() {
                    if let Some(Value::Array(ps)) = fields::get_mut(r, &[peers]) {
                        for p in ps.iter_mut().filter(|x| x.is_object()) {
                            update(p, &["podSelector", "matchLabels"], labels, false, count)?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// A pod template: its labels and the label selectors inside its spec.
/// (Affinity terms are left alone, as the catalog function does.)
fn pod(t: &mut Value, labels: &Labels, count: &mut usize) -> Result<(), String> {
    update(t, &["metadata", "labels"], labels, true, count)?;
    if let Some(Value::Array(tsc)) = fields::get_mut(t, &["spec", "topologySpreadConstraints"]) {
        for c in tsc.iter_mut().filter(|x| x.is_object()) {
            update(c, &["labelSelector", "matchLabels"], labels, false, count)?;
        }
    }
    Ok(())
}

/// Sets every label under `path` (created when `create`); counts each
/// label visited, changed or not, as the catalog function does.
fn update(
    v: &mut Value,
    path: &[&str],
    labels: &Labels,
    create: bool,
    count: &mut usize,
) -> Result<(), String> {
    let mut exists = true;
    let mut cur: &Value = v;
    for (i, seg) in path.iter().enumerate() {
        match cur {
            Value::Object(m) => match m.get(*seg) {
                Some(Value::Null) | None => {
                    exists = false;
                    break;
                }
                Some(next) => cur = next,
            },
            _ => {
                return Err(format!(
                    ".{} accessor error: {} is of the type {}, expected map[string]interface{{}}",
                    path[..i].join("."),
                    cur,
                    go_kind(cur)
                ));
            }
        }
    }
    if exists && !cur.is_object() {
        return Err(format!(
            ".{} accessor error: {} is of the type {}, expected map[string]interface{{}}",
            path.join("."),
            cur,
            go_kind(cur)
        ));
    }
    if !exists && !create {
        *count += labels.len();
        return Ok(());
    }
    let map = fields::ensure_map(v, path).map_err(|p| format!("cannot set labels at {p}"))?;
    for (k, val) in labels {
        if map.get(k).and_then(Value::as_str) != Some(val.as_str()) {
            map.insert(k.clone(), Value::String(val.clone()));
        }
        *count += 1;
    }
    Ok(())
}

fn go_kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "[]interface {}",
        Value::String(_) => "string",
        Value::Number(_) => "int64",
        Value::Bool(_) => "bool",
        _ => "map",
    }
}
