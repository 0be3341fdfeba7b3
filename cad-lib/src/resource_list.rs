//! The KRM function wire format: `config.kubernetes.io/v1 ResourceList`.
//!
//! Items stay lossless objects on both sides of a call: encoding embeds each
//! object's own text (comments included, as kyaml does), decoding cuts each
//! item back out of the returned text, so a function that preserves comments
//! and layout gets them preserved end to end. JSON is accepted and produced
//! for callers that speak it.

use std::str::FromStr;

use serde_json::{Map, Value, json};
use yaml_edit::{YamlFile, YamlNode};

use crate::object::{KubeObject, ObjectError, parse_error};

mod layout;
use crate::results::{ResultItem, results_from_value};
use crate::value::{self, ValueError};

/// Why a ResourceList could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceListError {
    /// The text is not YAML/JSON.
    #[error("invalid ResourceList: {0}")]
    Syntax(String),
    /// The top level is not a ResourceList mapping.
    #[error("invalid ResourceList: {0}")]
    Shape(String),
    /// Item `index` could not be read.
    #[error("invalid ResourceList: items[{index}]: {source}")]
    Item {
        /// Position in `items`.
        index: usize,
        /// Why.
        source: ObjectError,
    },
    /// `functionConfig` could not be read.
    #[error("invalid ResourceList: functionConfig: {0}")]
    FunctionConfig(ObjectError),
    /// `results` has an unexpected shape.
    #[error("invalid ResourceList: results: {0}")]
    Results(String),
    /// A value could not be converted.
    #[error(transparent)]
    Value(#[from] ValueError),
}

/// Input and output of one function call.
#[derive(Debug, Clone, Default)]
pub struct ResourceList {
    /// The resources.
    pub items: Vec<KubeObject>,
    /// The function's configuration, if any.
    pub function_config: Option<KubeObject>,
    /// Results reported by the function (output only).
    pub results: Vec<ResultItem>,
}

impl ResourceList {
    /// A list of items without config or results.
    pub fn new(items: Vec<KubeObject>) -> Self {
        Self {
            items,
            ..Self::default()
        }
    }

    /// Encodes as YAML, embedding every object's own text.
    pub fn to_yaml(&self) -> Result<String, ResourceListError> {
        let mut out = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n");
        if self.items.is_empty() {
            out.push_str("items: []\n");
        } else {
            out.push_str("items:\n");
            for item in &self.items {
                push_indented(&mut out, &item.body_text(), "- ", "  ");
            }
        }
        if let Some(fc) = &self.function_config {
            out.push_str("functionConfig:\n");
            push_indented(&mut out, &fc.body_text(), "  ", "  ");
        }
        if !self.results.is_empty() {
            let v = serde_json::to_value(&self.results)
                .map_err(|e| ResourceListError::Results(e.to_string()))?;
            out.push_str("results:\n");
            out.push_str(&value::to_yaml_string(&v)?);
        }
        Ok(out)
    }

    /// Encodes as JSON.
    pub fn to_json(&self) -> Result<String, ResourceListError> {
        let items = self
            .items
            .iter()
            .map(|i| i.to_value())
            .collect::<Result<Vec<_>, _>>()?;
        let mut top = Map::new();
        top.insert("apiVersion".into(), json!("config.kubernetes.io/v1"));
        top.insert("kind".into(), json!("ResourceList"));
        top.insert("items".into(), Value::Array(items));
        if let Some(fc) = &self.function_config {
            top.insert("functionConfig".into(), fc.to_value()?);
        }
        if !self.results.is_empty() {
            let v = serde_json::to_value(&self.results)
                .map_err(|e| ResourceListError::Results(e.to_string()))?;
            top.insert("results".into(), v);
        }
        Ok(Value::Object(top).to_string())
    }

    /// Decodes YAML or JSON (JSON is detected by a leading `{`).
    pub fn parse(text: &str) -> Result<Self, ResourceListError> {
        if text.trim_start().starts_with('{') {
            Self::from_json(text)
        } else {
            Self::from_yaml(text)
        }
    }

    /// Decodes JSON; items are rendered to YAML objects.
    pub fn from_json(text: &str) -> Result<Self, ResourceListError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| ResourceListError::Syntax(e.to_string()))?;
        let Value::Object(mut top) = v else {
            return Err(ResourceListError::Shape(
                "top level is not an object".into(),
            ));
        };
        check_kind(top.get("kind").and_then(|k| k.as_str()))?;
        let items = match top.remove("items") {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => Vec::new(),
            Some(_) => return Err(ResourceListError::Shape("`items` is not a list".into())),
        };
        let items = items
            .iter()
            .enumerate()
            .map(|(index, v)| {
                KubeObject::from_value(v)
                    .map_err(|source| ResourceListError::Item { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let function_config = match top.remove("functionConfig") {
            None | Some(Value::Null) => None,
            Some(v) => Some(KubeObject::from_value(&v).map_err(ResourceListError::FunctionConfig)?),
        };
        let results = results_from_value(top.remove("results").unwrap_or(Value::Null))
            .map_err(|e| ResourceListError::Results(e.to_string()))?;
        Ok(Self {
            items,
            function_config,
            results,
        })
    }

    /// Decodes YAML, cutting each item's text out of the document (without a
    /// whole-document parse when the text has the usual block layout).
    pub fn from_yaml(text: &str) -> Result<Self, ResourceListError> {
        match layout::split(text) {
            Some(sections) => Self::from_sections(sections),
            None => Self::from_yaml_tree(text),
        }
    }

    fn from_sections(sections: layout::Sections) -> Result<Self, ResourceListError> {
        check_kind(sections.kind.as_deref())?;
        let items = sections
            .items
            .iter()
            .enumerate()
            .map(|(index, t)| {
                KubeObject::parse(t).map_err(|source| ResourceListError::Item { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let function_config = match &sections.function_config {
            None => None,
            Some(t) => Some(KubeObject::parse(t).map_err(ResourceListError::FunctionConfig)?),
        };
        let results = match &sections.results {
            None => Vec::new(),
            Some(t) => Self::from_yaml_tree(t)?.results,
        };
        Ok(Self {
            items,
            function_config,
            results,
        })
    }

    /// The general reader: yaml-edit's tree of the whole document.
    fn from_yaml_tree(text: &str) -> Result<Self, ResourceListError> {
        let file = YamlFile::from_str(text)
            .map_err(|e| ResourceListError::Syntax(parse_error(e).to_string()))?;
        let doc = file
            .document()
            .ok_or_else(|| ResourceListError::Shape("empty input".into()))?;
        let Some(top) = doc.as_mapping() else {
            return Err(ResourceListError::Shape(
                "top level is not a mapping".into(),
            ));
        };
        check_kind(
            top.get("kind")
                .and_then(|k| k.as_scalar().map(|s| s.as_string()))
                .as_deref(),
        )?;
        let mut items = Vec::new();
        match top.get("items") {
            None => {}
            Some(YamlNode::Sequence(seq)) => {
                for (index, node) in seq.values().enumerate() {
                    let obj = KubeObject::parse(&cut_node(text, &node))
                        .map_err(|source| ResourceListError::Item { index, source })?;
                    items.push(obj);
                }
            }
            Some(YamlNode::Scalar(s)) if s.is_null() => {}
            Some(_) => return Err(ResourceListError::Shape("`items` is not a list".into())),
        }
        let function_config = match top.get("functionConfig") {
            None => None,
            Some(YamlNode::Scalar(s)) if s.is_null() => None,
            Some(node) => Some(
                KubeObject::parse(&cut_node(text, &node))
                    .map_err(ResourceListError::FunctionConfig)?,
            ),
        };
        let results = match top.get("results") {
            None => Vec::new(),
            Some(node) => results_from_value(value::node_to_value(&node)?)
                .map_err(|e| ResourceListError::Results(e.to_string()))?,
        };
        Ok(Self {
            items,
            function_config,
            results,
        })
    }
}

fn check_kind(kind: Option<&str>) -> Result<(), ResourceListError> {
    match kind {
        Some("ResourceList") | Some("List") | None => Ok(()),
        Some(other) => Err(ResourceListError::Shape(format!(
            "kind is {other:?}, expected ResourceList"
        ))),
    }
}

/// Appends `body` with `first` before its first line and `rest` before the
/// other non-empty lines.
fn push_indented(out: &mut String, body: &str, first: &str, rest: &str) {
    let mut lines = body.lines();
    match lines.next() {
        Some(l) => {
            out.push_str(first);
            out.push_str(l);
            out.push('\n');
        }
        None => {
            out.push_str(first.trim_end());
            out.push_str(" {}\n");
            return;
        }
    }
    for l in lines {
        if !l.is_empty() {
            out.push_str(rest);
            out.push_str(l);
        }
        out.push('\n');
    }
}

/// The text of a nested node as a standalone document: its lines shifted
/// left by the node's column.
fn cut_node(text: &str, node: &YamlNode) -> String {
    let range = node.byte_range();
    let start = (range.start as usize).min(text.len());
    let end = (range.end as usize).clamp(start, text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..start].chars().count();
    let slice = text.get(start..end).unwrap_or_default().trim_end();
    let mut out = String::with_capacity(slice.len() + 1);
    for (i, line) in slice.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            let spaces = line.len() - line.trim_start_matches(' ').len();
            out.push_str(&line[spaces.min(column)..]);
        } else {
            out.push_str(line);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a # keep me\n  data:\n    script: |\n      line1\n\n      line3\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data: {k: v}\nresults:\n- message: done\n  severity: info\n";

    /// The fast layout reader cuts exactly what the general reader cuts.
    #[test]
    fn layout_reader_matches_the_general_reader() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");
        let mut lists = vec![LIST.to_string()];
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "yaml") {
                    let Ok(text) = std::fs::read_to_string(&p) else {
                        continue;
                    };
                    let Ok(file) =
                        crate::resource_file::ResourceFile::parse(&p.to_string_lossy(), &text)
                    else {
                        continue;
                    };
                    let objects: Vec<KubeObject> = file.objects().map(|(_, o)| o.clone()).collect();
                    if objects.is_empty() {
                        continue;
                    }
                    let mut rl = ResourceList {
                        items: objects.clone(),
                        ..Default::default()
                    };
                    rl.function_config = objects.first().cloned();
                    if let Ok(y) = rl.to_yaml() {
                        lists.push(y);
                    }
                }
            }
        }
        assert!(lists.len() > 100, "{}", lists.len());
        let mut fast = 0;
        for text in &lists {
            let general = ResourceList::from_yaml_tree(text).map(|r| {
                (
                    r.items.iter().map(|i| i.text()).collect::<Vec<_>>(),
                    r.function_config.map(|f| f.text()),
                )
            });
            if let Some(sections) = layout::split(text) {
                fast += 1;
                let quick = ResourceList::from_sections(sections).map(|r| {
                    (
                        r.items.iter().map(|i| i.text()).collect::<Vec<_>>(),
                        r.function_config.map(|f| f.text()),
                    )
                });
                match (&general, &quick) {
                    (Ok(g), Ok(q)) => assert_eq!(g, q, "{text}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!(
                        "readers disagree on {text}: {:?} vs {:?}",
                        general.is_ok(),
                        quick.is_ok()
                    ),
                }
            }
        }
        assert!(
            fast * 2 > lists.len(),
            "the layout reader took only {fast} of {}",
            lists.len()
        );
    }

    #[test]
    fn yaml_items_keep_their_text() {
        let rl = ResourceList::from_yaml(LIST).unwrap();
        assert_eq!(rl.items.len(), 2);
        assert_eq!(
            rl.items[0].text(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # keep me\ndata:\n  script: |\n    line1\n\n    line3\n"
        );
        assert_eq!(
            rl.function_config.as_ref().unwrap().get(&["data", "k"]),
            Some(json!("v"))
        );
        assert_eq!(rl.results[0].message, "done");
    }

    #[test]
    fn yaml_round_trip_is_stable() {
        let rl = ResourceList::from_yaml(LIST).unwrap();
        let again = ResourceList::from_yaml(&rl.to_yaml().unwrap()).unwrap();
        for (a, b) in rl.items.iter().zip(&again.items) {
            assert_eq!(a.text(), b.text());
        }
    }

    #[test]
    fn json_round_trip() {
        let rl = ResourceList::from_yaml(LIST).unwrap();
        let back = ResourceList::parse(&rl.to_json().unwrap()).unwrap();
        assert_eq!(
            back.items[1].to_value().unwrap(),
            rl.items[1].to_value().unwrap()
        );
        assert_eq!(back.results, rl.results);
    }

    #[test]
    fn wrong_kind_is_rejected() {
        let e = ResourceList::from_yaml("kind: Pod\n").unwrap_err();
        assert!(e.to_string().contains("expected ResourceList"));
    }
}
