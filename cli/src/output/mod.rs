//! kubectl-style printing of `get` results: the server's Table, or the
//! objects as yaml/json/jsonpath/custom-columns/name.

pub mod jsonpath;
pub mod table;

use clap::Args;
use serde_json::{Map, Value, json};

use jsonpath::Template;

/// Print flags shared by `repo get` and `rpkg get` (a subset of kubectl's).
#[derive(Debug, Clone, Args)]
pub struct PrintFlags {
    /// Output format: yaml, json, name, wide, jsonpath=TEMPLATE, custom-columns=SPEC.
    #[arg(short = 'o', long = "output")]
    pub output: Option<String>,
    /// Do not print headers (table and custom-columns output).
    #[arg(long = "no-headers")]
    pub no_headers: bool,
    /// List across all namespaces.
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// Label selector (`key=value`, `key!=value`, `key in (a,b)`, …).
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// Show all labels as the last column (table output).
    #[arg(long = "show-labels")]
    pub show_labels: bool,
}

impl PrintFlags {
    /// The query string of a list request (`?fieldSelector=…&labelSelector=…`, or empty).
    pub fn list_query(&self, field_selector: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(f) = field_selector.filter(|f| !f.is_empty()) {
            parts.push(format!("fieldSelector={}", crate::kube::query_escape(f)));
        }
        if let Some(l) = self.selector.as_deref().filter(|l| !l.is_empty()) {
            parts.push(format!("labelSelector={}", crate::kube::query_escape(l)));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Errors of the print flags.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(
        "unable to match a printer suitable for the output format \"{0}\", allowed formats are: custom-columns,json,jsonpath,name,wide,yaml"
    )]
    UnknownFormat(String),
    #[error("custom-columns format specified but no custom columns given")]
    NoColumns,
    #[error("unexpected custom-columns spec: {0}, expected <header>:<json-path-expr>")]
    BadColumn(String),
    #[error("error executing jsonpath {0:?}: {1}")]
    JsonPath(String, jsonpath::JsonPathError),
    #[error("{0}")]
    Encode(String),
}

/// A parsed `-o` value.
pub enum Format {
    /// The server's Table (default); `wide` includes low-priority columns.
    Table {
        wide: bool,
    },
    Name,
    Json,
    Yaml,
    JsonPath(String, Template),
    CustomColumns(Vec<(String, Template)>),
}

impl Format {
    pub fn parse(output: Option<&str>) -> Result<Format, PrintError> {
        let Some(o) = output.filter(|o| !o.is_empty()) else {
            return Ok(Format::Table { wide: false });
        };
        let bad = |e| PrintError::JsonPath(o.to_string(), e);
        match o {
            "wide" => return Ok(Format::Table { wide: true }),
            "name" => return Ok(Format::Name),
            "json" => return Ok(Format::Json),
            "yaml" => return Ok(Format::Yaml),
            _ => {}
        }
        if let Some(t) = o
            .strip_prefix("jsonpath=")
            .or_else(|| o.strip_prefix("jsonpath-as-json="))
        {
            return Ok(Format::JsonPath(
                t.to_string(),
                Template::parse(t).map_err(bad)?,
            ));
        }
        if let Some(spec) = o.strip_prefix("custom-columns=") {
            if spec.is_empty() {
                return Err(PrintError::NoColumns);
            }
            let mut cols = Vec::new();
            for part in spec.split(',') {
                let (h, p) = part
                    .split_once(':')
                    .ok_or_else(|| PrintError::BadColumn(part.to_string()))?;
                cols.push((h.to_string(), Template::parse(p).map_err(bad)?));
            }
            return Ok(Format::CustomColumns(cols));
        }
        Err(PrintError::UnknownFormat(o.to_string()))
    }
}

/// Write command output to stdout; a closed pipe (`| head`) ends output quietly
/// instead of panicking like `print!`.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Print a server Table as kubectl does; `NAMESPACE` first with `-A`, `LABELS` last with `--show-labels`.
pub fn print_table(table: &Value, wide: bool, flags: &PrintFlags) -> String {
    let (no_headers, all_namespaces) = (flags.no_headers, flags.all_namespaces);
    let empty = Vec::new();
    let defs = table["columnDefinitions"].as_array().unwrap_or(&empty);
    let shown: Vec<usize> = defs
        .iter()
        .enumerate()
        .filter(|(_, d)| wide || d["priority"].as_i64().unwrap_or(0) == 0)
        .map(|(i, _)| i)
        .collect();
    let mut rows = Vec::new();
    if !no_headers {
        let mut h: Vec<String> = Vec::new();
        if all_namespaces {
            h.push("NAMESPACE".into());
        }
        h.extend(
            shown
                .iter()
                .map(|&i| defs[i]["name"].as_str().unwrap_or_default().to_uppercase()),
        );
        if flags.show_labels {
            h.push("LABELS".into());
        }
        rows.push(h);
    }
    for r in table["rows"].as_array().unwrap_or(&empty) {
        let mut line: Vec<String> = Vec::new();
        if all_namespaces {
            line.push(
                r["object"]["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        for &i in &shown {
            let ty = defs[i]["type"].as_str().unwrap_or_default();
            line.push(table::cell_text(&r["cells"][i], ty));
        }
        if flags.show_labels {
            line.push(labels_text(&r["object"]["metadata"]["labels"]));
        }
        rows.push(line);
    }
    if rows.len() == usize::from(!no_headers) {
        // kubectl prints nothing on stdout for an empty list.
        return String::new();
    }
    table::align(&rows)
}

/// Print objects in a non-table format. `single`: one named object was asked for
/// (printed as itself rather than inside a `List`). `kind_prefix`: `resource.group` for `-o name`.
/// `per_object`: print each object on its own (Porch's `rpkg get`) rather than
/// one `List` (kubectl's `get`).
pub fn print_objects(
    format: &Format,
    objs: &[Value],
    single: bool,
    per_object: bool,
    no_headers: bool,
    kind_prefix: &str,
) -> Result<String, PrintError> {
    let doc = if single && objs.len() == 1 {
        objs[0].clone()
    } else {
        json!({"apiVersion": "v1", "items": objs, "kind": "List", "metadata": {"resourceVersion": ""}})
    };
    match format {
        Format::Table { .. } => Ok(String::new()),
        Format::Name => Ok(objs
            .iter()
            .map(|o| {
                format!(
                    "{kind_prefix}/{}\n",
                    o["metadata"]["name"].as_str().unwrap_or_default()
                )
            })
            .collect()),
        Format::Json if per_object && !single => objs.iter().map(to_json).collect(),
        Format::Json => to_json(&doc),
        // kubectl's YAML printer separates objects printed one by one with `---`.
        Format::Yaml if per_object && !single => Ok(objs
            .iter()
            .map(to_yaml)
            .collect::<Result<Vec<_>, _>>()?
            .join("---\n")),
        Format::Yaml => to_yaml(&doc),
        Format::JsonPath(src, t) => {
            let mut out = String::new();
            if (single || per_object) && !objs.is_empty() {
                for o in objs {
                    out.push_str(
                        &t.render(o)
                            .map_err(|e| PrintError::JsonPath(src.clone(), e))?,
                    );
                }
            } else if !objs.is_empty() {
                out = t
                    .render(&doc)
                    .map_err(|e| PrintError::JsonPath(src.clone(), e))?;
            }
            Ok(out)
        }
        Format::CustomColumns(cols) => {
            let mut rows = Vec::new();
            if !no_headers {
                rows.push(cols.iter().map(|(h, _)| h.clone()).collect());
            }
            for o in objs {
                rows.push(
                    cols.iter()
                        .map(|(_, t)| {
                            let vals = t.values(o);
                            if vals.is_empty() {
                                "<none>".to_string()
                            } else {
                                vals.iter()
                                    .map(jsonpath::scalar)
                                    .collect::<Vec<_>>()
                                    .join(",")
                            }
                        })
                        .collect(),
                );
            }
            if objs.is_empty() {
                return Ok(String::new());
            }
            Ok(table::align(&rows))
        }
    }
}

/// kubectl's JSON printer: 4-space indentation.
fn to_json(v: &Value) -> Result<String, PrintError> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser).map_err(|e| PrintError::Encode(e.to_string()))?;
    buf.push(b'\n');
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Keys sorted as kubectl prints them; cad-lib's writer (kyaml's block style,
/// and numbers survive serde_json's `arbitrary_precision`, which starlark
/// switches on in this build).
fn to_yaml(v: &Value) -> Result<String, PrintError> {
    cad_lib::value::to_yaml_string(&sorted(v)).map_err(|e| PrintError::Encode(e.to_string()))
}

/// kubectl's `--show-labels` cell: `k=v,…` sorted, or `<none>`.
fn labels_text(labels: &Value) -> String {
    let mut pairs: Vec<String> = labels
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    if pairs.is_empty() {
        return "<none>".into();
    }
    pairs.sort();
    pairs.join(",")
}

/// Keys in alphabetical order, as kubectl's YAML output has them.
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(output: Option<&str>) -> PrintFlags {
        PrintFlags {
            output: output.map(str::to_string),
            no_headers: false,
            all_namespaces: false,
            selector: None,
            show_labels: false,
        }
    }

    #[test]
    fn tables_and_columns() {
        let table = json!({
            "columnDefinitions": [
                {"name": "Name", "type": "string", "priority": 0},
                {"name": "Hidden", "type": "string", "priority": 1},
                {"name": "Revision", "type": "integer", "priority": 0}],
            "rows": [{"cells": ["a.b.v1", "x", 1],
                "object": {"metadata": {"namespace": "ns", "labels": {"l": "1"}}}}]});
        let mut f = flags(None);
        assert_eq!(
            print_table(&table, false, &f),
            "NAME     REVISION\na.b.v1   1\n"
        );
        f.all_namespaces = true;
        f.show_labels = true;
        assert_eq!(
            print_table(&table, true, &f),
            "NAMESPACE   NAME     HIDDEN   REVISION   LABELS\nns          a.b.v1   x        1          l=1\n"
        );
        let objs = vec![json!({"metadata": {"name": "a"}, "spec": {}})];
        let cc = Format::parse(Some("custom-columns=N:.metadata.name,R:.spec.revision")).unwrap();
        assert_eq!(
            print_objects(&cc, &objs, false, true, false, "x").unwrap(),
            "N     R\na     <none>\n"
        );
        let name = Format::parse(Some("name")).unwrap();
        assert_eq!(
            print_objects(&name, &objs, false, true, false, "r.g").unwrap(),
            "r.g/a\n"
        );
        assert!(Format::parse(Some("bogus")).is_err());
        assert_eq!(
            flags(None).list_query(Some("spec.packageName=a b")),
            "?fieldSelector=spec.packageName%3Da%20b"
        );
    }
}
