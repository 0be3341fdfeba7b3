//! Minimal edits of a lossless YAML tree toward a target value.
//!
//! Functions, merges and users hand back *values*; writing those values over
//! the original tree with the fewest edits keeps every comment, key order,
//! quoting and indentation that the change did not touch. Only entries whose
//! value differs are rewritten; list items are aligned by their merge key
//! (`name`, `containerPort`, ...) or by equality so that an added or removed
//! item does not rewrite its neighbours. New subtrees are copied from a
//! *donor* tree when one holds the same value (so an upstream's comments and
//! layout come along), and rendered in kyaml's style otherwise.

use std::collections::HashSet;
use std::str::FromStr;

use serde_json::{Map, Value};
use yaml_edit::{AsYaml, Mapping, Sequence, YamlFile, YamlNode};

use crate::tree;
use crate::value::{ValueError, key_string, node_to_value, to_yaml_string};

/// Keys that identify the items of an associative list, in kyaml's order of
/// preference.
pub const ASSOCIATIVE_KEYS: &[&str] = &[
    "name",
    "containerPort",
    "port",
    "mountPath",
    "devicePath",
    "ip",
    "type",
    "topologyKey",
];

/// Why a tree could not be edited toward a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// A node of the tree has no plain value.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// The rendered replacement did not parse back (a bug, reported not hidden).
    #[error("cannot build YAML node: {0}")]
    Build(String),
}

/// A replacement node ready to be spliced into a tree.
enum Built {
    Str(String),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Null,
    /// A collection node and the temporary tree that owns it.
    Node {
        node: YamlNode,
        _tree: Option<YamlFile>,
    },
}

impl Built {
    fn new(target: &Value, donor: Option<&YamlNode>) -> Result<Self, PatchError> {
        if let Some(d) = donor
            && node_to_value(d).ok().as_ref() == Some(target)
        {
            return Ok(Built::Node {
                node: d.clone(),
                _tree: None,
            });
        }
        Ok(match target {
            Value::Null => Built::Null,
            Value::Bool(b) => Built::Bool(*b),
            Value::String(s) => Built::Str(s.clone()),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Built::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Built::UInt(u)
                } else {
                    Built::Float(n.as_f64().unwrap_or_default())
                }
            }
            Value::Array(_) | Value::Object(_) => {
                let text = to_yaml_string(target)?;
                let file =
                    YamlFile::from_str(&text).map_err(|e| PatchError::Build(e.to_string()))?;
                let node = file
                    .document()
                    .and_then(|d| root_node(&d))
                    .ok_or_else(|| PatchError::Build(text.clone()))?;
                Built::Node {
                    node,
                    _tree: Some(file),
                }
            }
        })
    }
}

/// Where a built node goes.
enum Sink<'a> {
    MapSet(&'a Mapping, &'a str),
    SeqSet(&'a Sequence, usize),
    SeqInsert(&'a Sequence, usize),
    MapInsertAfter(&'a Mapping, &'a str, &'a str),
}

impl Sink<'_> {
    fn put(self, value: impl AsYaml) {
        match self {
            Sink::MapSet(m, k) => m.set(k, value),
            Sink::SeqSet(s, i) => {
                s.set(i, value);
            }
            Sink::SeqInsert(s, i) => s.insert(i, value),
            Sink::MapInsertAfter(m, after, k) => {
                if !m.insert_after(after, k, &value) {
                    m.set(k, value);
                }
            }
        }
    }
}

fn put(built: &Built, sink: Sink<'_>) {
    match built {
        Built::Str(s) => sink.put(s.as_str()),
        Built::Int(i) => sink.put(*i),
        Built::UInt(u) => sink.put(*u),
        Built::Float(x) => sink.put(*x),
        Built::Bool(b) => sink.put(*b),
        Built::Null => sink.put(Option::<&str>::None),
        Built::Node { node, .. } => sink.put(node),
    }
}

/// The content node of a document (mapping, sequence, scalar, ...).
pub(crate) fn root_node(doc: &yaml_edit::Document) -> Option<YamlNode> {
    use rowan::ast::AstNode;
    doc.syntax().children().find_map(YamlNode::from_syntax)
}

/// Sets `key` of `map` to `target`, editing the existing value in place when
/// only parts of it differ.
pub fn set_entry(
    map: &Mapping,
    key: &str,
    target: &Value,
    donor: Option<&YamlNode>,
) -> Result<(), PatchError> {
    if let Some(node) = tree::get(map, key) {
        if node_to_value(&node).ok().as_ref() == Some(target) {
            return Ok(());
        }
        if patch_in_place(&node, target, donor)? {
            return Ok(());
        }
    } else if let (Value::String(s), None) = (target, donor)
        && tree::append_plain(map, key, s)
    {
        return Ok(());
    }
    put(&Built::new(target, donor)?, Sink::MapSet(map, key));
    Ok(())
}

/// Sets `key` like [`set_entry`], placing a new entry right after `after`
/// (kept for fields with a conventional order, such as a Kptfile's).
pub fn insert_entry_after(
    map: &Mapping,
    after: &str,
    key: &str,
    target: &Value,
) -> Result<(), PatchError> {
    if tree::contains_key(map, key) || !tree::contains_key(map, after) {
        return set_entry(map, key, target, None);
    }
    put(
        &Built::new(target, None)?,
        Sink::MapInsertAfter(map, after, key),
    );
    Ok(())
}

/// Edits `node` toward `target` without replacing it; `false` when the node
/// must be replaced as a whole (a type change or an unalignable list).
pub fn patch_in_place(
    node: &YamlNode,
    target: &Value,
    donor: Option<&YamlNode>,
) -> Result<bool, PatchError> {
    match (node, target) {
        (YamlNode::Mapping(m), Value::Object(o)) => {
            patch_mapping(m, o, donor.and_then(|d| d.as_mapping()))?;
            Ok(true)
        }
        (YamlNode::Sequence(s), Value::Array(a)) => {
            patch_sequence(s, a, donor.and_then(|d| d.as_sequence()))
        }
        (YamlNode::TaggedNode(t), _) => {
            if let Some(m) = t.as_mapping() {
                return patch_in_place(&YamlNode::Mapping(m), target, donor);
            }
            if let Some(s) = t.as_sequence() {
                return patch_in_place(&YamlNode::Sequence(s), target, donor);
            }
            Ok(false)
        }
        _ => Ok(false),
    }
}

/// Edits a mapping so that its value equals `target`: removes missing keys,
/// updates changed ones, appends new ones in `target`'s order.
pub fn patch_mapping(
    map: &Mapping,
    target: &Map<String, Value>,
    donor: Option<&Mapping>,
) -> Result<(), PatchError> {
    let mut existing = Vec::new();
    for k in map.keys() {
        existing.push(key_string(&k)?);
    }
    for k in existing.iter().filter(|k| !target.contains_key(k.as_str())) {
        map.remove(k.as_str());
    }
    for (k, v) in target {
        let donor_child = donor.and_then(|d| tree::get(d, k));
        set_entry(map, k, v, donor_child.as_ref())?;
    }
    Ok(())
}

/// The identity of a list item used to align two versions of a list.
fn item_key(v: &Value) -> String {
    match v {
        Value::Object(o) => ASSOCIATIVE_KEYS
            .iter()
            .find_map(|k| o.get(*k).map(|x| format!("{k}={x}")))
            .unwrap_or_else(|| v.to_string()),
        other => other.to_string(),
    }
}

/// Edits a sequence toward `target`; `false` when the items cannot be
/// aligned in order (the caller then replaces the whole list).
fn patch_sequence(
    seq: &Sequence,
    target: &[Value],
    donor: Option<&Sequence>,
) -> Result<bool, PatchError> {
    let mut current = Vec::new();
    for item in seq.values() {
        current.push(node_to_value(&item)?);
    }
    // The donor's item for a wanted value: an equal one, else one with the
    // same identity, else the one at the same position.
    let donor_values: Vec<(YamlNode, Option<Value>)> = donor
        .map(|d| {
            d.values()
                .map(|n| {
                    let v = node_to_value(&n).ok();
                    (n, v)
                })
                .collect()
        })
        .unwrap_or_default();
    let donor_for = |j: usize, want: &Value| -> Option<YamlNode> {
        donor_values
            .iter()
            .find(|(_, v)| v.as_ref() == Some(want))
            .or_else(|| {
                let k = item_key(want);
                donor_values
                    .iter()
                    .find(|(_, v)| v.as_ref().is_some_and(|v| item_key(v) == k))
            })
            .map(|(n, _)| n.clone())
            .or_else(|| donor.and_then(|d| d.get(j)))
    };
    if current.len() == target.len() {
        for (i, want) in target.iter().enumerate() {
            if current[i] != *want {
                set_item(seq, i, want, donor_for(i, want).as_ref())?;
            }
        }
        return Ok(true);
    }
    // Align by item identity; matched items must keep their relative order.
    let mut used = HashSet::new();
    let mut matches: Vec<Option<usize>> = Vec::with_capacity(target.len());
    let mut last = None;
    for want in target {
        let key = item_key(want);
        let found = (0..current.len()).find(|i| !used.contains(i) && item_key(&current[*i]) == key);
        if let Some(i) = found {
            if last.is_some_and(|l| i < l) {
                return Ok(false);
            }
            last = Some(i);
            used.insert(i);
        }
        matches.push(found);
    }
    for i in (0..current.len()).rev() {
        if !used.contains(&i) {
            seq.remove(i);
        }
    }
    for (pos, (want, found)) in target.iter().zip(&matches).enumerate() {
        match found {
            Some(i) if current[*i] == *want => {}
            Some(_) => set_item(seq, pos, want, donor_for(pos, want).as_ref())?,
            None => put(
                &Built::new(want, donor_for(pos, want).as_ref())?,
                Sink::SeqInsert(seq, pos),
            ),
        }
    }
    Ok(true)
}

fn set_item(
    seq: &Sequence,
    i: usize,
    want: &Value,
    donor: Option<&YamlNode>,
) -> Result<(), PatchError> {
    if let Some(node) = seq.get(i)
        && patch_in_place(&node, want, donor)?
    {
        return Ok(());
    }
    put(&Built::new(want, donor)?, Sink::SeqSet(seq, i));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(src: &str, target: Value) -> String {
        let doc = yaml_edit::Document::from_str(src).unwrap();
        let m = doc.as_mapping().unwrap();
        patch_mapping(&m, target.as_object().unwrap(), None).unwrap();
        doc.to_string()
    }

    #[test]
    fn changing_one_scalar_keeps_everything_else() {
        let src = "# head\na: 1 # one\nb:\n  - x\n  - y # why\nc: 'q'\n";
        let out = patched(src, json!({"a": 2, "b": ["x", "y"], "c": "q"}));
        assert_eq!(out, "# head\na: 2 # one\nb:\n  - x\n  - y # why\nc: 'q'\n");
    }

    #[test]
    fn list_items_are_aligned_by_merge_key() {
        let src = "ports:\n- name: a # keep\n  port: 1\n- name: b\n  port: 2\n";
        let out = patched(
            src,
            json!({"ports": [{"name": "a", "port": 1}, {"name": "c", "port": 3}, {"name": "b", "port": 2}]}),
        );
        assert_eq!(
            out,
            "ports:\n- name: a # keep\n  port: 1\n- name: c\n  port: 3\n- name: b\n  port: 2\n"
        );
    }

    #[test]
    fn removed_keys_and_new_nested_values() {
        let src = "a: 1\nb: 2\n";
        let out = patched(src, json!({"a": 1, "c": {"d": ["e"]}}));
        assert_eq!(out, "a: 1\nc:\n  d:\n  - e\n");
    }
}
