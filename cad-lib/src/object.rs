//! One KRM object held as a lossless YAML document.
//!
//! Every resource of a package, every ResourceList item and every function
//! config is a [`KubeObject`]: reads go through plain values, writes are
//! minimal edits of the syntax tree, so whatever an edit does not touch keeps
//! its bytes (comments, key order, quoting, indentation). Objects are cheap
//! to copy ([`KubeObject::deep_copy`] shares the immutable tree).
//!
//! The tree is single-threaded (rowan); move package *files* between threads,
//! not objects.

use std::fmt;

use rowan::ast::AstNode;
use serde_json::{Map, Value};
use yaml_edit::{Document, Lang, Mapping, YamlFile, YamlNode};

use crate::annotations;
use crate::identity::ResourceId;
use crate::patch::{self, PatchError};
use crate::tree;
use crate::value::{self, ValueError};

/// Why text could not become an object, or an edit could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// The text is not valid YAML.
    #[error("line {line}: {message}")]
    Parse {
        /// 1-based line of the first error.
        line: usize,
        /// What the parser reported.
        message: String,
    },
    /// The text holds no document, or more than one.
    #[error("expected exactly one YAML document, found {0}")]
    DocumentCount(usize),
    /// An edit needs a mapping where the object has something else.
    #[error("field `{0}` is not a mapping")]
    NotMapping(String),
    /// A value could not be read or written.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// An edit could not be applied.
    #[error(transparent)]
    Patch(#[from] PatchError),
}

/// Turns a yaml-edit error into a line-numbered parse error.
pub(crate) fn parse_error(e: yaml_edit::YamlError) -> ObjectError {
    match e {
        yaml_edit::YamlError::Parse { message, line, .. } => ObjectError::Parse {
            line: line.unwrap_or(1),
            message,
        },
        other => ObjectError::Parse {
            line: 1,
            message: other.to_string(),
        },
    }
}

/// A KRM object (or any YAML document) with lossless text.
#[derive(Clone)]
pub struct KubeObject {
    root: YamlFile,
}

impl fmt::Debug for KubeObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KubeObject").field(&self.text()).finish()
    }
}

impl KubeObject {
    /// Parses exactly one YAML document.
    pub fn parse(text: &str) -> Result<Self, ObjectError> {
        let file = crate::fastparse::parse_yaml(text).map_err(parse_error)?;
        let docs: Vec<Document> = file.documents().collect();
        if docs.len() != 1 {
            return Err(ObjectError::DocumentCount(docs.len()));
        }
        Ok(Self { root: file })
    }

    /// Builds an object from a plain value, rendered in kyaml's style.
    pub fn from_value(value: &Value) -> Result<Self, ObjectError> {
        Self::parse(&value::to_yaml_string(value)?)
    }

    /// Wraps a detached DOCUMENT green node into its own tree.
    pub(crate) fn from_green(green: rowan::GreenNode) -> Self {
        let kind = <Lang as rowan::Language>::kind_to_raw(yaml_edit::SyntaxKind::ROOT);
        let root = rowan::GreenNode::new(kind, [rowan::NodeOrToken::Node(green)]);
        let node = rowan::SyntaxNode::<Lang>::new_root_mut(root);
        match YamlFile::cast(node) {
            Some(root) => Self { root },
            // ROOT always casts to YamlFile; keep a faithful copy regardless.
            None => Self {
                root: YamlFile::default(),
            },
        }
    }

    /// An independent copy; edits to one never show in the other.
    pub fn deep_copy(&self) -> Self {
        Self {
            root: self.root.snapshot(),
        }
    }

    /// Whether both objects still hold the very same tree (O(1) when one is
    /// an unedited [`KubeObject::deep_copy`] of the other).
    pub fn same_tree(&self, other: &KubeObject) -> bool {
        self.root.tree_eq(&other.root)
    }

    /// The document (for comment-aware edits through yaml-edit).
    pub fn document(&self) -> Document {
        self.root.ensure_document()
    }

    /// The full text, including a `---` marker if the document had one.
    pub fn text(&self) -> String {
        tree::text(self.root.syntax())
    }

    /// The trimmed text of every comment of the document, in order (read
    /// from the green tree: render compares comments of every item).
    pub(crate) fn comment_texts(&self) -> Vec<String> {
        let doc = self
            .root
            .syntax()
            .children()
            .find(|n| n.kind() == yaml_edit::SyntaxKind::DOCUMENT);
        let Some(doc) = doc else {
            return self
                .document()
                .comments()
                .map(|c| c.text().trim().to_string())
                .collect();
        };
        let mut out = Vec::new();
        tree::for_each_token(&doc.green(), yaml_edit::SyntaxKind::COMMENT, &mut |t| {
            out.push(t.trim().to_string())
        });
        out
    }

    /// The document body without `---` / `...` markers, ending in a newline.
    pub fn body_text(&self) -> String {
        let text = self.text();
        let mut body = text.as_str();
        if let Some(rest) = body.strip_prefix("---") {
            if let Some(after) = rest.strip_prefix('\n') {
                body = after;
            } else if let Some(after) = rest.strip_prefix("\r\n") {
                body = after;
            } else if let Some(after) = rest.strip_prefix(' ') {
                body = after;
            }
        }
        let mut body = body.to_string();
        for end in ["\n...\n", "\n..."] {
            if body.ends_with(end) {
                body.truncate(body.len() - end.len() + 1);
                break;
            }
        }
        if !body.is_empty() && !body.ends_with('\n') {
            body.push('\n');
        }
        body
    }

    /// The top-level node, if the document has content.
    pub fn root_node(&self) -> Option<YamlNode> {
        patch::root_node(&self.document())
    }

    /// The top-level mapping, if the document is one.
    pub fn root_mapping(&self) -> Option<Mapping> {
        match self.root_node()? {
            YamlNode::Mapping(m) => Some(m),
            YamlNode::TaggedNode(t) => t.as_mapping(),
            _ => None,
        }
    }

    /// Whether the document has no content (only comments or nothing).
    pub fn is_empty_document(&self) -> bool {
        match self.root_node() {
            None => true,
            Some(YamlNode::Scalar(s)) => s.is_null() && s.value().trim().is_empty(),
            Some(_) => false,
        }
    }

    /// The whole document as a plain value.
    pub fn to_value(&self) -> Result<Value, ValueError> {
        match self.root_node() {
            Some(n) => value::node_to_value(&n),
            None => Ok(Value::Null),
        }
    }

    /// The node at a path of mapping keys (numeric segments index lists).
    pub fn node_at(&self, path: &[&str]) -> Option<YamlNode> {
        let mut node = self.root_node()?;
        for seg in path {
            node = child(&node, seg)?;
        }
        Some(node)
    }

    /// The value at a path, if present and readable.
    pub fn get(&self, path: &[&str]) -> Option<Value> {
        value::node_to_value(&self.node_at(path)?).ok()
    }

    /// The string content of a scalar at a path (numbers and bools as text).
    pub fn get_str(&self, path: &[&str]) -> Option<String> {
        match self.node_at(path)? {
            YamlNode::Scalar(s) if !s.is_null() => Some(value::scalar_text(&s)),
            YamlNode::TaggedNode(t) => t.as_string(),
            _ => None,
        }
    }

    /// Sets the value at a path, creating intermediate mappings; only the
    /// parts of the old value that differ are rewritten.
    pub fn set(&mut self, path: &[&str], target: &Value) -> Result<(), ObjectError> {
        let Some((last, parents)) = path.split_last() else {
            return self.replace_root(target, None);
        };
        let map = self.ensure_mapping(parents)?;
        patch::set_entry(&map, last, target, None)?;
        Ok(())
    }

    /// Sets a top-level field; a new one goes after the closest field that
    /// precedes it in `order` (so generated files follow kpt's field order).
    pub fn set_ordered(
        &mut self,
        key: &str,
        target: &Value,
        order: &[&str],
    ) -> Result<(), ObjectError> {
        let map = self.ensure_mapping(&[])?;
        let pos = order.iter().position(|k| *k == key).unwrap_or(order.len());
        let after = order[..pos]
            .iter()
            .rev()
            .find(|k| tree::contains_key(&map, k));
        match after {
            Some(after) => patch::insert_entry_after(&map, after, key, target)?,
            None => patch::set_entry(&map, key, target, None)?,
        }
        Ok(())
    }

    /// Sets a string field (shorthand for [`KubeObject::set`]).
    pub fn set_str(&mut self, path: &[&str], s: &str) -> Result<(), ObjectError> {
        self.set(path, &Value::String(s.to_string()))
    }

    /// Removes the entry at a path; `true` if something was removed.
    pub fn remove(&mut self, path: &[&str]) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        match self.node_at(parents) {
            Some(YamlNode::Mapping(m)) => m.remove(*last).is_some(),
            _ => false,
        }
    }

    /// Edits the whole document toward `target`, copying new subtrees from
    /// `donor` where it holds the same value.
    pub fn replace_root(
        &mut self,
        target: &Value,
        donor: Option<&KubeObject>,
    ) -> Result<(), ObjectError> {
        let donor_node = donor.and_then(|d| d.root_node());
        if let (Some(m), Value::Object(o)) = (self.root_mapping(), target) {
            patch::patch_mapping(&m, o, donor_node.as_ref().and_then(|d| d.as_mapping()))?;
            return Ok(());
        }
        *self = match donor {
            Some(d) if d.to_value().ok().as_ref() == Some(target) => d.deep_copy(),
            _ => Self::from_value(target)?,
        };
        Ok(())
    }

    fn ensure_mapping(&mut self, path: &[&str]) -> Result<Mapping, ObjectError> {
        let mut map = match self.root_mapping() {
            Some(m) => m,
            None if self.is_empty_document() => {
                *self = Self::parse("{}\n")?;
                self.root_mapping()
                    .ok_or_else(|| ObjectError::NotMapping(String::new()))?
            }
            None => return Err(ObjectError::NotMapping(String::new())),
        };
        for (i, seg) in path.iter().enumerate() {
            let next = match tree::get(&map, seg) {
                Some(YamlNode::Mapping(m)) => m,
                Some(YamlNode::Scalar(s)) if s.is_null() => {
                    map.set(*seg, Mapping::new());
                    map.get_mapping(*seg)
                        .ok_or_else(|| ObjectError::NotMapping(path[..=i].join(".")))?
                }
                Some(_) => return Err(ObjectError::NotMapping(path[..=i].join("."))),
                None => map.entry(*seg).or_insert_mapping(),
            };
            map = next;
        }
        Ok(map)
    }

    /// `apiVersion`, if set.
    pub fn api_version(&self) -> Option<String> {
        self.get_str(&["apiVersion"])
    }

    /// `kind`, if set.
    pub fn kind(&self) -> Option<String> {
        self.get_str(&["kind"])
    }

    /// `metadata.name`, if set.
    pub fn name(&self) -> Option<String> {
        self.get_str(&["metadata", "name"])
    }

    /// `metadata.namespace`, if set.
    pub fn namespace(&self) -> Option<String> {
        self.get_str(&["metadata", "namespace"])
    }

    /// The object's identity (group, kind, namespace, name).
    pub fn id(&self) -> ResourceId {
        ResourceId::new(
            &self.api_version().unwrap_or_default(),
            &self.kind().unwrap_or_default(),
            &self.namespace().unwrap_or_default(),
            &self.name().unwrap_or_default(),
        )
    }

    /// One annotation's value.
    pub fn annotation(&self, key: &str) -> Option<String> {
        self.get_str(&["metadata", "annotations", key])
    }

    /// All annotations as strings, in file order.
    pub fn annotations(&self) -> Map<String, Value> {
        self.string_map(&["metadata", "annotations"])
    }

    /// All labels as strings, in file order.
    pub fn labels(&self) -> Map<String, Value> {
        self.string_map(&["metadata", "labels"])
    }

    fn string_map(&self, path: &[&str]) -> Map<String, Value> {
        match self.get(path) {
            Some(Value::Object(m)) => m
                .into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k, Value::String(s))
                })
                .collect(),
            _ => Map::new(),
        }
    }

    /// Sets one annotation (creating `metadata.annotations` if needed).
    pub fn set_annotation(&mut self, key: &str, val: &str) -> Result<(), ObjectError> {
        self.set_str(&["metadata", "annotations", key], val)
    }

    /// Removes one annotation, and the annotations mapping if it empties.
    pub fn remove_annotation(&mut self, key: &str) -> bool {
        let removed = self.remove(&["metadata", "annotations", key]);
        if removed
            && let Some(YamlNode::Mapping(m)) = self.node_at(&["metadata", "annotations"])
            && m.is_empty()
        {
            self.remove(&["metadata", "annotations"]);
        }
        removed
    }

    /// Whether the object is marked `config.kubernetes.io/local-config: "true"`.
    pub fn is_local_config(&self) -> bool {
        self.annotation(annotations::LOCAL_CONFIG).as_deref() == Some("true")
    }

    /// Checks the fields every KRM object needs; the reason names the field.
    pub fn check_krm(&self) -> Result<(), String> {
        if self.root_mapping().is_none() {
            return Err("resource must be a mapping".to_string());
        }
        if self.api_version().unwrap_or_default().is_empty() {
            return Err("resource must have `apiVersion`".to_string());
        }
        if self.kind().unwrap_or_default().is_empty() {
            return Err("resource must have `kind`".to_string());
        }
        if self.name().unwrap_or_default().is_empty() {
            return Err("resource must have `metadata.name`".to_string());
        }
        Ok(())
    }

    /// [`KubeObject::check_krm`] for objects that are not Kustomizations
    /// (`Ok` for those), reading each field once: render checks every
    /// resource after every function.
    pub(crate) fn check_krm_unless_kustomization(&self) -> Result<(), String> {
        let api_version = self.api_version();
        let kind = self.kind();
        let kustomization = kind.as_deref() == Some("Kustomization")
            || api_version
                .as_deref()
                .is_some_and(|a| a.starts_with("kustomize.config.k8s.io/"));
        if kustomization {
            return Ok(());
        }
        if self.root_mapping().is_none() {
            return Err("resource must be a mapping".to_string());
        }
        if api_version.unwrap_or_default().is_empty() {
            return Err("resource must have `apiVersion`".to_string());
        }
        if kind.unwrap_or_default().is_empty() {
            return Err("resource must have `kind`".to_string());
        }
        if self.name().unwrap_or_default().is_empty() {
            return Err("resource must have `metadata.name`".to_string());
        }
        Ok(())
    }

    /// Kustomization files are exempt from the KRM checks.
    pub fn is_kustomization(&self) -> bool {
        self.kind().as_deref() == Some("Kustomization")
            || self
                .api_version()
                .is_some_and(|a| a.starts_with("kustomize.config.k8s.io/"))
    }
}

fn child(node: &YamlNode, seg: &str) -> Option<YamlNode> {
    match node {
        YamlNode::Mapping(m) => tree::get(m, seg),
        YamlNode::Sequence(s) => s.get(seg.parse().ok()?),
        YamlNode::TaggedNode(t) => {
            if let Some(m) = t.as_mapping() {
                return tree::get(&m, seg);
            }
            t.as_sequence()?.get(seg.parse().ok()?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEPLOY: &str = "# head\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app # the name\nspec:\n  replicas: 3 # kpt-set: ${replicas}\n";

    #[test]
    fn identity_and_fields() {
        let o = KubeObject::parse(DEPLOY).unwrap();
        assert_eq!(o.kind().as_deref(), Some("Deployment"));
        assert_eq!(o.id().group, "apps");
        assert_eq!(o.get(&["spec", "replicas"]), Some(json!(3)));
        assert!(o.check_krm().is_ok());
    }

    #[test]
    fn edits_keep_comments() {
        let mut o = KubeObject::parse(DEPLOY).unwrap();
        o.set(&["spec", "replicas"], &json!(5)).unwrap();
        o.set_str(&["metadata", "namespace"], "prod").unwrap();
        assert_eq!(
            o.text(),
            "# head\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app # the name\n  namespace: prod\nspec:\n  replicas: 5 # kpt-set: ${replicas}\n"
        );
    }

    #[test]
    fn adding_and_removing_an_annotation_restores_the_text() {
        let mut o = KubeObject::parse(DEPLOY).unwrap();
        o.set_annotation(annotations::PATH, "a.yaml").unwrap();
        assert_eq!(o.annotation(annotations::PATH).as_deref(), Some("a.yaml"));
        o.remove_annotation(annotations::PATH);
        assert_eq!(o.text(), DEPLOY);
    }

    #[test]
    fn body_text_strips_markers() {
        let o = KubeObject::parse("---\na: 1\n...\n").unwrap();
        assert_eq!(o.body_text(), "a: 1\n");
    }

    #[test]
    fn deep_copies_are_independent() {
        let o = KubeObject::parse(DEPLOY).unwrap();
        let mut c = o.deep_copy();
        c.set_str(&["kind"], "StatefulSet").unwrap();
        assert_eq!(o.text(), DEPLOY);
    }
}
