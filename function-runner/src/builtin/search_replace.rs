//! `search-replace`: finds fields by path, value, value regex and file,
//! and replaces their values or line comments.

use std::collections::BTreeMap;

use cad_lib::{KubeObject, ResourceList};
use regex::Regex;
use serde_json::Value;

use super::config::{self, Config};
use super::sites::{self, Edits, Seg, ValueKind};
use super::{Failure, results};

const MATCHERS: &[&str] = &[
    "by-value",
    "by-value-regex",
    "by-path",
    "by-file-path",
    "put-value",
    "put-comment",
];

struct Params {
    by_value: Option<String>,
    by_regex: Option<Regex>,
    by_path: Option<Vec<String>>,
    by_file: Option<Regex>,
    put_value: Option<String>,
    put_comment: Option<String>,
}

fn fail(m: impl std::fmt::Display) -> Failure {
    Failure::error(format!(
        "failed to perform search-replace operation: {:?}",
        m.to_string()
    ))
}

fn params(rl: &ResourceList) -> Result<Params, Failure> {
    let data: BTreeMap<String, String> = match config::read(rl.function_config.as_ref()) {
        Config::ConfigMap { data, .. } => data
            .iter()
            .map(|(k, v)| (k.clone(), config::scalar_string(v)))
            .collect(),
        _ => return Err(fail("function config must be a ConfigMap")),
    };
    for k in data.keys() {
        if !MATCHERS.contains(&k.as_str()) {
            return Err(fail(format!(
                "invalid matcher {k:?}, must be one of [{}]",
                MATCHERS
                    .iter()
                    .map(|m| format!("{m:?}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
    }
    let get = |k: &str| data.get(k).cloned();
    if get("by-value").is_some() && get("by-value-regex").is_some() {
        return Err(fail(
            "only one of [\"by-value\", \"by-value-regex\"] can be provided",
        ));
    }
    let by_regex = match get("by-value-regex") {
        Some(r) => Some(Regex::new(&r).map_err(fail)?),
        None => None,
    };
    let by_file = match get("by-file-path") {
        Some(g) => Some(glob(&g).map_err(fail)?),
        None => None,
    };
    Ok(Params {
        by_value: get("by-value"),
        by_regex,
        by_path: get("by-path").map(|p| split_path(&p)),
        by_file,
        put_value: get("put-value"),
        put_comment: get("put-comment"),
    })
}

/// `${1}` / `$1` references in a `put-value`.
fn capture_refs() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\$\{?(\d+)\}?").unwrap_or_else(|_| unreachable!("constant pattern"))
    })
}

/// `a.b[0].c` → `["a", "b", "[0]", "c"]`.
fn split_path(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in p.split('.') {
        let mut rest = part;
        while let Some(i) = rest.find('[') {
            if i > 0 {
                out.push(rest[..i].to_string());
            }
            let end = rest[i..].find(']').map_or(rest.len(), |j| i + j + 1);
            out.push(rest[i..end].to_string());
            rest = &rest[end..];
        }
        if !rest.is_empty() {
            out.push(rest.to_string());
        }
    }
    out
}

/// A doublestar glob as a regex.
fn glob(g: &str) -> Result<Regex, regex::Error> {
    let mut re = String::from("^");
    let chars: Vec<char> = g.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                if chars.get(i + 2) == Some(&'/') {
                    re.push_str("(?:.*/)?");
                    i += 1;
                } else {
                    re.push_str(".*");
                }
                i += 1;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    Regex::new(&re)
}

fn path_matches(pattern: &[String], path: &[String]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(p), _) if p == "**" => {
            path_matches(&pattern[1..], path)
                || (!path.is_empty() && path_matches(pattern, &path[1..]))
        }
        (Some(p), Some(s)) => {
            let ok =
                p == s || (p == "*" && !s.starts_with('[')) || (p == "[*]" && s.starts_with('['));
            ok && path_matches(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

fn seg_strings(path: &[Seg]) -> Vec<String> {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => format!("[{i}]"),
        })
        .collect()
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let p = params(rl)?;
    let mut out = Vec::new();
    for o in rl.items.iter_mut() {
        visit(o, &p, &mut out)?;
    }
    if out.is_empty() {
        rl.results.push(results::info("no matches"));
    }
    rl.results.extend(out);
    Ok(())
}

fn visit(
    o: &mut KubeObject,
    p: &Params,
    out: &mut Vec<cad_lib::ResultItem>,
) -> Result<(), Failure> {
    let file = results::file_ref(o, false);
    if let Some(g) = &p.by_file
        && !file.as_ref().is_some_and(|f| g.is_match(&f.path))
    {
        return Ok(());
    }
    let (text, found) = sites::of(o);
    let mut edits = Edits::default();
    let mut matched_any = false;
    for s in &found {
        let segs = seg_strings(&s.path);
        if let Some(pat) = &p.by_path
            && !path_matches(pat, &segs)
        {
            continue;
        }
        let value_matcher = p.by_value.is_some() || p.by_regex.is_some();
        if value_matcher && s.kind != ValueKind::Scalar {
            continue;
        }
        if !value_matcher && p.by_path.is_none() {
            continue;
        }
        let keys = s.segments();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let current = match s.kind {
            ValueKind::Scalar => o.get_str(&keys).unwrap_or_default(),
            _ => text[s.range.clone()].trim_end().to_string(),
        };
        let mut captures = None;
        if let Some(v) = &p.by_value
            && *v != current
        {
            continue;
        }
        if let Some(re) = &p.by_regex {
            match re.captures(&current) {
                Some(c) => captures = Some(c),
                None => continue,
            }
        }
        matched_any = true;
        let mut message = format!("Matched field value {current:?}");
        if let Some(pv) = &p.put_value {
            let new = match &captures {
                Some(c) => {
                    if capture_refs()
                        .captures_iter(pv)
                        .any(|g| g[1].parse::<usize>().map_or(true, |n| c.get(n).is_none()))
                    {
                        return Err(fail("unable to resolve capture groups"));
                    }
                    let mut dst = String::new();
                    c.expand(pv, &mut dst);
                    dst
                }
                None => pv.clone(),
            };
            edits.replace(s.range.clone(), sites::plain_scalar(&new));
            message = format!("Mutated field value to {new:?}");
        }
        if let Some(pc) = &p.put_comment {
            let c = pc.trim_start_matches('#').trim();
            match &s.comment_range {
                Some(r) => edits.replace(r.clone(), format!("# {c}")),
                None => edits.replace(s.comment_at..s.comment_at, format!(" # {c}")),
            }
            if p.put_value.is_none() {
                message = format!("Mutated field comment to {pc:?}");
            }
        }
        out.push(cad_lib::ResultItem {
            message,
            severity: cad_lib::Severity::Info,
            field: Some(results::field(s.dotted())),
            file: file.clone(),
            ..Default::default()
        });
    }
    if !edits.is_empty() {
        *o = edits.apply(&text).map_err(fail)?;
    } else if !matched_any
        && let (Some(path), Some(pv), None, None) =
            (&p.by_path, &p.put_value, &p.by_value, &p.by_regex)
        && path
            .iter()
            .all(|s| s != "*" && s != "**" && !s.starts_with('['))
    {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let v = cad_lib::value::resolve_plain(pv).unwrap_or(Value::String(pv.clone()));
        o.set(&keys, &v).map_err(fail)?;
        out.push(cad_lib::ResultItem {
            field: Some(results::field(path.join("."))),
            file,
            ..results::info(format!("Mutated field value to {pv:?}"))
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_globs() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(path_matches(
            &split_path("spec.**.image"),
            &s(&["spec", "template", "spec", "containers", "[0]", "image"])
        ));
        assert!(path_matches(&split_path("a.b[*]"), &s(&["a", "b", "[3]"])));
        assert!(!path_matches(&split_path("a.*"), &s(&["a", "b", "c"])));
        assert!(glob("**/setters.yaml").unwrap().is_match("setters.yaml"));
        assert!(
            glob("**/setters.yaml")
                .unwrap()
                .is_match("subpkg/setters.yaml")
        );
    }
}
