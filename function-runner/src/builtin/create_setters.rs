//! `create-setters`: marks fields whose values contain a setter's value
//! with `# kpt-set: <pattern>` comments, so that apply-setters can change
//! them later.

use std::collections::BTreeMap;

use cad_lib::{KubeObject, ResourceList};

use super::config::{self, Config};
use super::sites::{self, Edits, ValueKind};
use super::{Failure, results, setters};

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let data: BTreeMap<String, String> = match config::read(rl.function_config.as_ref()) {
        Config::ConfigMap { data, .. } => data
            .iter()
            .map(|(k, v)| (k.clone(), config::scalar_string(v)))
            .collect(),
        _ => {
            return Err(Failure::error(
                "`functionConfig` must be a `ConfigMap` with setters",
            ));
        }
    };
    let mut scalars: Vec<(String, String)> = Vec::new();
    let mut lists: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in data {
        match setters::as_list(&v) {
            Some(l) => lists.push((k, l)),
            None if !v.is_empty() => scalars.push((k, v)),
            None => {}
        }
    }
    scalars.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let mut out = Vec::new();
    for o in rl.items.iter_mut() {
        mark(o, &scalars, &lists, &mut out).map_err(Failure::error)?;
    }
    if out.is_empty() {
        return Err(Failure::error("no matches for the input list of setters"));
    }
    rl.results.extend(out);
    Ok(())
}

fn mark(
    o: &mut KubeObject,
    scalars: &[(String, String)],
    lists: &[(String, Vec<String>)],
    out: &mut Vec<cad_lib::ResultItem>,
) -> Result<(), String> {
    let (text, found) = sites::of(o);
    let file = results::file_ref(o, false);
    let mut edits = Edits::default();
    for s in &found {
        if s.comment.is_some()
            || s.path.first() == Some(&sites::Seg::Key("apiVersion".into()))
            || s.path.first() == Some(&sites::Seg::Key("kind".into()))
        {
            continue;
        }
        let segs = s.segments();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let (comment, shown) = match s.kind {
            ValueKind::Scalar => {
                let Some(value) = o.get_str(&segs) else {
                    continue;
                };
                if value.contains('\n') || value.is_empty() {
                    continue;
                }
                let mut pattern = value.clone();
                for (name, v) in scalars {
                    if pattern.contains(v.as_str()) && setters::markers(v).is_empty() {
                        pattern = pattern.replace(v.as_str(), &format!("${{{name}}}"));
                    }
                }
                if pattern == value {
                    continue;
                }
                (format!("kpt-set: {pattern}"), value)
            }
            ValueKind::BlockSeq | ValueKind::FlowSeq => {
                let Some(serde_json::Value::Array(items)) = o.get(&segs) else {
                    continue;
                };
                let mut have: Vec<String> = items.iter().map(config::scalar_string).collect();
                have.sort();
                let Some((name, _)) = lists.iter().find(|(_, l)| {
                    let mut l = l.clone();
                    l.sort();
                    l == have
                }) else {
                    continue;
                };
                (
                    format!("kpt-set: ${{{name}}}"),
                    format!("[{}]", have.join(" ")),
                )
            }
            _ => continue,
        };
        edits.replace(s.comment_at..s.comment_at, format!(" # {comment}"));
        out.push(cad_lib::ResultItem {
            field: Some(results::field(s.dotted())),
            file: file.clone(),
            ..results::info(format!(
                "Added line comment {:?} for field with value {shown:?}",
                comment
            ))
        });
    }
    if !edits.is_empty() {
        *o = edits.apply(&text).map_err(|e| e.to_string())?;
    }
    Ok(())
}
