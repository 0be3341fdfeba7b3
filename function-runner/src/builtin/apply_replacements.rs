//! `apply-replacements`: copies a value (or subtree) from one resource
//! into fields of others, with kustomize's replacement syntax
//! (`source`, `targets[].select/reject/fieldPaths/options`).

use cad_lib::ResourceList;
use serde_json::Value;

use super::config::{self, Config};
use super::fields;
use super::{Failure, results};

fn selects(sel: &Value, v: &Value) -> bool {
    let s = |k: &str| fields::get_str(sel, &[k]).unwrap_or_default();
    let av = fields::get_str(v, &["apiVersion"]).unwrap_or_default();
    let (g, ver) = av.rsplit_once('/').unwrap_or(("", av));
    let eq = |want: &str, got: &str| want.is_empty() || want == got;
    eq(s("group"), g)
        && eq(s("version"), ver)
        && eq(s("kind"), fields::get_str(v, &["kind"]).unwrap_or_default())
        && eq(
            s("name"),
            fields::get_str(v, &["metadata", "name"]).unwrap_or_default(),
        )
        && eq(
            s("namespace"),
            fields::get_str(v, &["metadata", "namespace"]).unwrap_or_default(),
        )
}

/// Splits a kustomize field path on dots outside `[...]`.
fn split(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.push(c);
            }
            ']' => {
                depth -= 1;
                cur.push(c);
            }
            '.' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// The values at a path (`[k=v]` selects list items, `*` every item).
fn lookup<'a>(v: &'a mut Value, path: &[String], create: bool, out: &mut Vec<&'a mut Value>) {
    let Some((first, rest)) = path.split_first() else {
        out.push(v);
        return;
    };
    if let Some(sel) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        if !sel.contains('=') && sel.parse::<usize>().is_err() {
            // `[a.b/c]`: a key that contains dots.
            return lookup(v, &[&[sel.to_string()][..], rest].concat(), create, out);
        }
        let Value::Array(items) = v else { return };
        match sel.split_once('=') {
            Some((k, want)) => {
                for item in items.iter_mut() {
                    if item.get(k).map(config::scalar_string).as_deref() == Some(want) {
                        lookup(item, rest, create, out);
                    }
                }
            }
            None => {
                if let Ok(i) = sel.parse::<usize>()
                    && let Some(item) = items.get_mut(i)
                {
                    lookup(item, rest, create, out);
                }
            }
        }
        return;
    }
    if first == "*" {
        if let Value::Array(items) = v {
            for item in items.iter_mut() {
                lookup(item, rest, create, out);
            }
        }
        return;
    }
    if v.is_null() && create {
        *v = Value::Object(Default::default());
    }
    let Value::Object(m) = v else { return };
    if !m.contains_key(first.as_str()) {
        if !create {
            return;
        }
        m.insert(first.clone(), Value::Null);
    }
    if let Some(next) = m.get_mut(first.as_str()) {
        lookup(next, rest, create, out);
    }
}

fn delimited(value: &str, delimiter: &str, index: i64) -> Result<String, String> {
    let parts: Vec<&str> = value.split(delimiter).collect();
    usize::try_from(index)
        .ok()
        .and_then(|i| parts.get(i))
        .map(|s| s.to_string())
        .ok_or_else(|| format!("options.index {index} is out of bounds for value {value:?}"))
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let value = match config::read(rl.function_config.as_ref()) {
        Config::Missing => {
            return Err(Failure::error(
                "FunctionConfig is missing. Expect `ApplyReplacements`",
            ));
        }
        Config::Typed {
            api_version,
            kind,
            value,
        } if config::is_kind(&api_version, &kind, "fn.kpt.dev", "ApplyReplacements") => value,
        Config::Typed {
            api_version, kind, ..
        } => {
            return Err(Failure::error(format!(
                "function config must be `ApplyReplacements.fn.kpt.dev`, got `{kind}.{api_version}`"
            )));
        }
        Config::ConfigMap { .. } => {
            return Err(Failure::error(
                "function config must be `ApplyReplacements.fn.kpt.dev`, got `ConfigMap.v1`",
            ));
        }
    };
    let mut values: Vec<Value> = rl
        .items
        .iter()
        .map(|o| o.to_value().unwrap_or(Value::Null))
        .collect();
    let before = values.clone();
    let replacements = fields::get(&value, &["replacements"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for r in &replacements {
        apply(r, &mut values).map_err(Failure::error)?;
    }
    for (i, v) in values.iter().enumerate() {
        if *v != before[i] {
            rl.items[i]
                .replace_root(v, None)
                .map_err(|e| Failure::error(e.to_string()))?;
        }
    }
    rl.results.push(results::info(format!(
        "applied {} replacement(s)",
        replacements.len()
    )));
    Ok(())
}

fn apply(r: &Value, values: &mut [Value]) -> Result<(), String> {
    let empty = Value::Null;
    let source = fields::get(r, &["source"]).unwrap_or(&empty);
    let found: Vec<usize> = (0..values.len())
        .filter(|i| selects(source, &values[*i]))
        .collect();
    let src = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(format!(
                "nothing selected by {}",
                serde_json::to_string(source).unwrap_or_default()
            ));
        }
        _ => {
            return Err(format!(
                "more than one source selected by {}",
                serde_json::to_string(source).unwrap_or_default()
            ));
        }
    };
    let path = fields::get_str(source, &["fieldPath"]).unwrap_or("metadata.name");
    let mut src_value = values[src].clone();
    let mut hits = Vec::new();
    lookup(&mut src_value, &split(path), false, &mut hits);
    let Some(mut new) = hits.into_iter().next().map(|v| v.clone()) else {
        return Err(format!(
            "fieldPath `{path}` is missing for replacement source"
        ));
    };
    if let Some(d) = fields::get_str(source, &["options", "delimiter"]) {
        let idx = fields::get(source, &["options", "index"])
            .and_then(Value::as_i64)
            .unwrap_or(0);
        new = Value::String(delimited(&config::scalar_string(&new), d, idx)?);
    }
    for t in fields::get(r, &["targets"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let sel = fields::get(t, &["select"]).unwrap_or(&empty);
        let rejects = fields::get(t, &["reject"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let create = fields::get(t, &["options", "create"])
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let delimiter = fields::get_str(t, &["options", "delimiter"]).map(str::to_string);
        let index = fields::get(t, &["options", "index"])
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let paths: Vec<String> = fields::get(t, &["fieldPaths"])
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_else(|| vec!["metadata.name".into()]);
        for v in values.iter_mut() {
            if !selects(sel, v) || rejects.iter().any(|rj| selects(rj, v)) {
                continue;
            }
            for p in &paths {
                let mut hits = Vec::new();
                lookup(v, &split(p), create, &mut hits);
                for h in hits {
                    *h = match &delimiter {
                        Some(d) => {
                            let cur = config::scalar_string(h);
                            let mut parts: Vec<String> =
                                cur.split(d.as_str()).map(str::to_string).collect();
                            let i = usize::try_from(index)
                                .map_err(|_| format!("invalid options.index {index}"))?;
                            if i >= parts.len() {
                                parts.resize(i + 1, String::new());
                            }
                            parts[i] = config::scalar_string(&new);
                            Value::String(parts.join(d))
                        }
                        None => new.clone(),
                    };
                }
            }
        }
    }
    Ok(())
}
