//! `apply-setters`: writes setter values into the fields marked with
//! `# kpt-set: <pattern>` comments (scalars, and whole lists for a
//! single-marker comment on a list's key).

use std::collections::BTreeMap;

use cad_lib::{KubeObject, ResourceList};

use super::config::{self, Config};
use super::sites::{self, Edits, ValueKind};
use super::{Failure, results, setters};

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let values: BTreeMap<String, String> = match config::read(rl.function_config.as_ref()) {
        Config::ConfigMap { data, .. } => data
            .iter()
            .map(|(k, v)| (k.clone(), config::scalar_string(v)))
            .collect(),
        Config::Missing => BTreeMap::new(),
        Config::Typed { kind, .. } => {
            return Err(Failure::error(format!(
                "failed to apply setters: `functionConfig` must be a `ConfigMap`, got {kind}"
            )));
        }
    };
    let mut out = Vec::new();
    for o in rl.items.iter_mut() {
        apply(o, &values, &mut out)
            .map_err(|m| Failure::error(format!("failed to apply setters: {m}")))?;
    }
    if out.is_empty() {
        rl.results
            .push(results::info("no matches for input setter(s)"));
    }
    rl.results.extend(out);
    Ok(())
}

fn apply(
    o: &mut KubeObject,
    values: &BTreeMap<String, String>,
    out: &mut Vec<cad_lib::ResultItem>,
) -> Result<(), String> {
    let (text, found) = sites::of(o);
    let file = results::file_ref(o, false);
    let mut edits = Edits::default();
    for s in &found {
        let Some(pattern) = s.comment.as_deref().and_then(setters::pattern) else {
            continue;
        };
        let names = setters::markers(pattern);
        if !names.iter().any(|n| values.contains_key(n)) {
            continue;
        }
        let segs = s.segments();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let new_text = match s.kind {
            ValueKind::Scalar | ValueKind::Empty
                if !(names.len() == 1
                    && pattern == format!("${{{}}}", names[0])
                    && values
                        .get(&names[0])
                        .and_then(|v| setters::as_list(v))
                        .is_some()
                    && s.kind == ValueKind::Empty) =>
            {
                let current = o.get_str(&segs).unwrap_or_default();
                let mut all = values.clone();
                let missing: Vec<&String> =
                    names.iter().filter(|n| !values.contains_key(*n)).collect();
                if !missing.is_empty() {
                    let recovered = setters::recover(pattern, &current).ok_or_else(|| {
                        format!(
                            "values for setters [{}] must be provided",
                            missing
                                .iter()
                                .map(|n| format!("${{{n}}}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    })?;
                    for n in missing {
                        all.insert(n.clone(), recovered.get(n).cloned().unwrap_or_default());
                    }
                }
                let value = setters::substitute(pattern, &all);
                let rendered = sites::plain_scalar(&value);
                if s.kind == ValueKind::Empty {
                    edits.replace(s.comment_at..s.comment_at, format!(" {rendered}"));
                } else {
                    edits.replace(s.range.clone(), rendered);
                }
                value
            }
            _ => {
                if names.len() != 1 {
                    return Err(format!(
                        "setter pattern {pattern:?} on a list must reference exactly one setter"
                    ));
                }
                let raw = values.get(&names[0]).cloned().unwrap_or_default();
                let items = if raw.trim().is_empty() {
                    Vec::new()
                } else {
                    setters::as_list(&raw).ok_or_else(|| {
                        format!("input to array setter must be an array of values, but found {raw}")
                    })?
                };
                let comment = s.comment.clone().unwrap_or_default();
                let ends_nl = text[s.range.clone()].ends_with('\n');
                let nl = if ends_nl { "\n" } else { "" };
                if items.is_empty() {
                    let end = if s.kind == ValueKind::BlockSeq {
                        s.range.end
                    } else {
                        s.comment_range.clone().map_or(s.range.end, |r| r.end)
                    };
                    edits.replace(s.comment_at..end, format!(" [] # {comment}{nl}"));
                } else if s.kind == ValueKind::BlockSeq {
                    let col = text[..s.range.start]
                        .rsplit('\n')
                        .next()
                        .map_or(0, str::len);
                    let pad = " ".repeat(col);
                    let body: Vec<String> = items
                        .iter()
                        .map(|i| format!("- {}", sites::plain_scalar(i)))
                        .collect();
                    edits.replace(
                        s.range.clone(),
                        format!("{}{nl}", body.join(&format!("\n{pad}"))),
                    );
                } else {
                    let pad = " ".repeat(s.indent + 2);
                    let body: Vec<String> = items
                        .iter()
                        .map(|i| format!("{pad}- {}", sites::plain_scalar(i)))
                        .collect();
                    let end = s.comment_range.clone().map_or(s.range.end, |r| r.end);
                    edits.replace(
                        s.comment_at..end,
                        format!(" # {comment}\n{}", body.join("\n")),
                    );
                }
                format!("[{}]", items.join(" "))
            }
        };
        out.push(cad_lib::ResultItem {
            field: Some(results::field(s.dotted())),
            file: file.clone(),
            ..results::info(format!("set field value to {new_text:?}"))
        });
    }
    if !edits.is_empty() {
        *o = edits.apply(&text).map_err(|e| e.to_string())?;
    }
    Ok(())
}
