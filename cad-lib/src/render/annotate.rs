//! Fast, exactly reversible insertion of the per-call render annotations.
//!
//! Every function call needs path/index/id annotations on every item and
//! their removal afterwards. Doing that through syntax-tree edits costs
//! tens of microseconds per key; for the common block-style `metadata`
//! the annotations are spliced in as text, and removed by cutting out the
//! very same text, which restores the item byte for byte. Anything unusual
//! (flow style, keys already present, a function that rewrote them) makes
//! the caller fall back to tree edits.

use rowan::NodeOrToken;
use rowan::ast::AstNode;
use yaml_edit::{SyntaxKind, YamlNode};

use crate::object::KubeObject;
use crate::tree;

type SyntaxElement = rowan::SyntaxElement<yaml_edit::Lang>;

/// The text spliced into one item.
#[derive(Debug, Clone)]
pub(super) struct Splice {
    /// The inserted `key: 'value'` lines.
    entries: String,
    /// The `annotations:` line, when the item had none.
    header: Option<String>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// Whether the part of a `key:` line after the colon is empty or a comment.
fn opens_block(rest: &str) -> bool {
    let r = rest.trim();
    r.is_empty() || r.starts_with('#')
}

/// Inserts `pairs` as annotations into a document body, or `None` when the
/// layout is not one this fast path handles.
///
/// A new `annotations:` entry goes where kpt's would be: kpt annotates
/// every resource when it reads the package and keeps the annotations for
/// the whole render, so the entry sits after the `metadata` keys the
/// resource had when read (`loaded`; `None` for all current keys) and
/// before any a function added since, e.g. set-namespace's `namespace`.
pub(super) fn insert(
    body: &str,
    pairs: &[(&str, &str)],
    loaded: Option<&[String]>,
) -> Option<(String, Splice)> {
    if !body.ends_with('\n') || body.contains('\t') || pairs.iter().any(|(k, _)| body.contains(k)) {
        return None;
    }
    let lines: Vec<(usize, &str)> = body
        .split_inclusive('\n')
        .scan(0usize, |off, l| {
            let start = *off;
            *off += l.len();
            Some((start, l))
        })
        .collect();
    let m = lines
        .iter()
        .position(|(_, l)| l.starts_with("metadata:") && opens_block(&l["metadata:".len()..]))?;
    let block_end = lines[m + 1..]
        .iter()
        .position(|(_, l)| is_content(l) && indent(l) == 0)
        .map_or(lines.len(), |p| m + 1 + p);
    let first_child = lines[m + 1..block_end]
        .iter()
        .find(|(_, l)| is_content(l))?;
    let ci = indent(first_child.1);
    if ci == 0 {
        return None;
    }
    let quote = |v: &str| format!("'{}'", v.replace('\'', "''"));
    let ann = lines[m + 1..block_end]
        .iter()
        .position(|(_, l)| indent(l) == ci && l.trim_start().starts_with("annotations:"))
        .map(|p| m + 1 + p);
    let (at, entry_indent, header) = match ann {
        Some(a) => {
            let rest = &lines[a].1.trim_start()["annotations:".len()..];
            if !opens_block(rest) {
                return None;
            }
            let first = lines[a + 1..block_end]
                .iter()
                .find(|(_, l)| is_content(l))?;
            let ai = indent(first.1);
            if ai <= ci {
                return None;
            }
            let end = lines[a + 1..block_end]
                .iter()
                .position(|(_, l)| is_content(l) && indent(l) <= ci)
                .map_or(block_end, |p| a + 1 + p);
            (lines.get(end).map_or(body.len(), |(o, _)| *o), ai, None)
        }
        None => {
            let children = &lines[m + 1..block_end];
            let added = children.iter().find(|(_, l)| {
                indent(l) == ci
                    && is_content(l)
                    && loaded.is_some_and(|keys| !keys.iter().any(|k| key_is(l, k)))
            });
            let last = children.iter().rev().find(|(_, l)| is_content(l))?;
            let at = added.map_or(last.0 + last.1.len(), |(o, _)| *o);
            (
                at,
                ci + 2,
                Some(format!("{}annotations:\n", " ".repeat(ci))),
            )
        }
    };
    let pad = " ".repeat(entry_indent);
    let entries: String = pairs
        .iter()
        .map(|(k, v)| format!("{pad}{k}: {}\n", quote(v)))
        .collect();
    let mut out = String::with_capacity(body.len() + entries.len() + 32);
    out.push_str(&body[..at]);
    if let Some(h) = &header {
        out.push_str(h);
    }
    out.push_str(&entries);
    out.push_str(&body[at..]);
    Some((out, Splice { entries, header }))
}

/// Whether a mapping line starts with the plain key `key`.
fn key_is(line: &str, key: &str) -> bool {
    line.trim_start()
        .strip_prefix(key)
        .is_some_and(|rest| rest.starts_with(':'))
}

/// Whether `text` still holds the splice exactly once.
pub(super) fn holds(text: &str, s: &Splice) -> bool {
    let mut found = text.match_indices(s.entries.as_str());
    found.next().is_some() && found.next().is_none()
}

/// Cuts the splice back out; `None` if the function disturbed it.
pub(super) fn remove(text: &str, s: &Splice) -> Option<String> {
    if !holds(text, s) {
        return None;
    }
    let at = text.find(s.entries.as_str())?;
    let mut out = String::with_capacity(text.len());
    let before = &text[..at];
    let after = &text[at + s.entries.len()..];
    match &s.header {
        Some(h) if before.ends_with(h.as_str()) => {
            let ci = indent(h);
            let kept_entries = after
                .lines()
                .find(|l| is_content(l))
                .is_some_and(|l| indent(l) > ci);
            if kept_entries {
                out.push_str(before);
            } else {
                out.push_str(&before[..before.len() - h.len()]);
            }
        }
        Some(_) => return None,
        None => out.push_str(before),
    }
    out.push_str(after);
    Some(out)
}

/// Removes the splice from a function's output *tree* (on a copy), so that
/// a changed item needs no re-parse: the spliced entries must still be
/// consecutive entries of `metadata.annotations` (and the `annotations:`
/// entry itself goes when the splice added it and nothing else is left).
/// `None` unless the result's text is exactly `expected`, the text cut.
pub(super) fn remove_from_tree(o: &KubeObject, s: &Splice, expected: &str) -> Option<KubeObject> {
    let copy = o.deep_copy();
    let meta = match tree::get(&copy.root_mapping()?, "metadata")? {
        YamlNode::Mapping(m) => m,
        _ => return None,
    };
    let ann = match tree::get(&meta, "annotations")? {
        YamlNode::Mapping(m) => m,
        _ => return None,
    };
    let wanted: Vec<&str> = s
        .entries
        .split_inclusive('\n')
        .map(|l| l.trim_start_matches(' '))
        .collect();
    let kids: Vec<SyntaxElement> = ann.syntax().children_with_tokens().collect();
    let text_of = |e: &SyntaxElement| match e {
        NodeOrToken::Node(n) => tree::text(n),
        NodeOrToken::Token(t) => t.text().to_string(),
    };
    let is_indent = |e: &SyntaxElement| e.kind() == SyntaxKind::INDENT;
    let first = kids.iter().position(|e| {
        e.kind() == SyntaxKind::MAPPING_ENTRY && Some(&text_of(e).as_str()) == wanted.first()
    })?;
    // The wanted entries, one after another with only indentation between.
    let mut last = first;
    for w in wanted.iter().skip(1) {
        let next = last + 1 + usize::from(kids.get(last + 1).is_some_and(is_indent));
        let e = kids.get(next)?;
        if e.kind() != SyntaxKind::MAPPING_ENTRY || text_of(e) != *w {
            return None;
        }
        last = next;
    }
    let range = with_indent(&kids, first, last, is_indent);
    if range == (0..kids.len()) {
        // Nothing else is annotated: drop `annotations:` if the splice added it.
        s.header.as_ref()?;
        let entry = ann.syntax().parent()?.parent()?;
        let siblings: Vec<SyntaxElement> = meta.syntax().children_with_tokens().collect();
        let at = siblings.iter().position(|e| e.as_node() == Some(&entry))?;
        cut(meta.syntax(), with_indent(&siblings, at, at, is_indent))?;
    } else {
        cut(ann.syntax(), range)?;
    }
    (copy.body_text() == expected).then_some(copy)
}

/// Removes a range of `node`'s children by swapping in a new green node:
/// one tree update instead of one per child (rowan's `splice_children`
/// also stops deleting after a range's first element).
fn cut(node: &rowan::SyntaxNode<yaml_edit::Lang>, range: std::ops::Range<usize>) -> Option<()> {
    let parent = node.parent()?;
    let at = node.index();
    let green = node.green().splice_children(range, std::iter::empty());
    let replacement = rowan::SyntaxNode::new_root_mut(green);
    parent.splice_children(at..at + 1, [NodeOrToken::Node(replacement)]);
    Some(())
}

/// The children `first..=last` plus the indentation of their line: the
/// one before them, or the one after when they start the mapping (whose
/// first indentation sits in the enclosing value).
fn with_indent(
    kids: &[SyntaxElement],
    first: usize,
    last: usize,
    is_indent: impl Fn(&SyntaxElement) -> bool,
) -> std::ops::Range<usize> {
    if first > 0 && is_indent(&kids[first - 1]) {
        first - 1..last + 1
    } else if kids.get(last + 1).is_some_and(is_indent) {
        first..last + 2
    } else {
        first..last + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAIRS: &[(&str, &str)] = &[
        ("config.kubernetes.io/path", "a.yaml"),
        ("config.kubernetes.io/index", "0"),
    ];

    #[test]
    fn round_trip_without_and_with_annotations() {
        for body in [
            "apiVersion: v1\nkind: ConfigMap\nmetadata: # c\n  name: a\ndata:\n  k: v\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: a\n    annotations:\n        x: |\n          multi\n    labels: {}\n",
        ] {
            let (text, s) = insert(body, PAIRS, None).unwrap();
            let obj = crate::KubeObject::parse(&text).unwrap();
            assert_eq!(
                obj.annotation("config.kubernetes.io/index").as_deref(),
                Some("0")
            );
            assert_eq!(remove(&text, &s).unwrap(), body);
        }
    }

    #[test]
    fn added_annotations_keep_the_header() {
        let body = "kind: A\nmetadata:\n  name: a\n";
        let (text, s) = insert(body, PAIRS, None).unwrap();
        let edited = text.replace(
            "    config.kubernetes.io/index: '0'\n",
            "    config.kubernetes.io/index: '0'\n    new: x\n",
        );
        assert_eq!(
            remove(&edited, &s).unwrap(),
            "kind: A\nmetadata:\n  name: a\n  annotations:\n    new: x\n"
        );
    }

    #[test]
    fn new_annotations_go_after_the_keys_read_from_the_file() {
        let body = "kind: A\nmetadata:\n  name: a\n  namespace: ns\nspec: {}\n";
        let loaded = ["name".to_string()];
        let (text, s) = insert(body, PAIRS, Some(&loaded)).unwrap();
        assert!(text.starts_with("kind: A\nmetadata:\n  name: a\n  annotations:\n"));
        assert!(text.ends_with("  namespace: ns\nspec: {}\n"));
        assert_eq!(remove(&text, &s).unwrap(), body);
    }

    #[test]
    fn removal_from_the_tree_matches_the_text() {
        for (body, edit) in [
            ("kind: A\nmetadata:\n  name: a\n", None),
            ("kind: A\nmetadata:\n  name: a\n", Some("new")),
            (
                "kind: A\nmetadata:\n  annotations:\n    x: y\n  name: a\n",
                None,
            ),
            (
                "kind: A\nmetadata:\n  annotations:\n    x: y\n  name: a\n",
                Some("new"),
            ),
        ] {
            let (text, s) = insert(body, PAIRS, None).unwrap();
            let mut o = crate::KubeObject::parse(&text).unwrap();
            o.set_str(&["metadata", "namespace"], "ns").unwrap();
            if let Some(k) = edit {
                o.set_annotation(k, "v").unwrap();
            }
            let cut = remove(&o.body_text(), &s).unwrap();
            let t = remove_from_tree(&o, &s, &cut).expect("tree removal applies");
            assert_eq!(t.text(), cut);
        }
    }

    #[test]
    fn unusual_layouts_fall_back() {
        assert!(insert("metadata: {name: a}\n", PAIRS, None).is_none());
        assert!(insert("metadata:\n  annotations: {}\n  name: a\n", PAIRS, None).is_none());
    }
}
