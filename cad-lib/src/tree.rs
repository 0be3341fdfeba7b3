//! Cheap reads of yaml-edit trees through their green (immutable) nodes.
//!
//! yaml-edit keeps trees mutable, and in a mutable rowan tree every text
//! offset is recomputed by walking siblings up to the root; its key lookup
//! also builds a semantic identity for every key it compares. Render reads
//! and writes a handful of keys per object per function call and rewrites
//! whole texts, so those costs dominated it. The helpers here read the
//! green nodes instead and fall back to yaml-edit whenever a key is not a
//! plain scalar, so results are the same as yaml-edit's.

use rowan::ast::AstNode;
use rowan::{GreenNodeData, NodeOrToken};
use yaml_edit::{Lang, Mapping, SyntaxKind, YamlNode};

type SyntaxNode = rowan::SyntaxNode<Lang>;

fn kind(raw: rowan::SyntaxKind) -> SyntaxKind {
    <Lang as rowan::Language>::kind_from_raw(raw)
}

/// The text of a node, written by walking its green tree.
pub(crate) fn text(node: &SyntaxNode) -> String {
    let green = node.green();
    let mut out = String::with_capacity(usize::from(green.text_len()));
    push_text(&green, &mut out);
    out
}

fn push_text(node: &GreenNodeData, out: &mut String) {
    for child in node.children() {
        match child {
            NodeOrToken::Node(n) => push_text(n, out),
            NodeOrToken::Token(t) => out.push_str(t.text()),
        }
    }
}

/// Calls `f` with every token of `node` of the given kind, in order.
pub(crate) fn for_each_token(node: &GreenNodeData, want: SyntaxKind, f: &mut impl FnMut(&str)) {
    for child in node.children() {
        match child {
            NodeOrToken::Node(n) => for_each_token(n, want, f),
            NodeOrToken::Token(t) if kind(t.kind()) == want => f(t.text()),
            NodeOrToken::Token(_) => {}
        }
    }
}

/// The text of a KEY node that is one unquoted plain scalar; `None` for
/// anything else (quoted, tagged, anchored, complex, malformed).
fn plain_key(key: &GreenNodeData) -> Option<&str> {
    let mut kids = key.children();
    let (Some(NodeOrToken::Node(scalar)), None) = (kids.next(), kids.next()) else {
        return None;
    };
    if kind(scalar.kind()) != SyntaxKind::SCALAR {
        return None;
    }
    let mut toks = scalar.children();
    let (Some(NodeOrToken::Token(t)), None) = (toks.next(), toks.next()) else {
        return None;
    };
    let text = t.text();
    let quoted = text.starts_with(['"', '\'']);
    (kind(t.kind()) == SyntaxKind::STRING && !quoted && !text.contains(char::is_whitespace))
        .then_some(text)
}

/// Which entry of a mapping has the key `key`: `Some(Some(i))` for the
/// child index of the first match, `Some(None)` for none, and `None` when
/// some key is not plain, so only yaml-edit can tell.
fn find_plain(map: &GreenNodeData, key: &str) -> Option<Option<usize>> {
    for (i, child) in map.children().enumerate() {
        let NodeOrToken::Node(entry) = child else {
            continue;
        };
        if kind(entry.kind()) != SyntaxKind::MAPPING_ENTRY {
            continue;
        }
        let k = entry.children().find_map(|c| match c {
            NodeOrToken::Node(n) if kind(n.kind()) == SyntaxKind::KEY => Some(n),
            _ => None,
        })?;
        if plain_key(k)? == key {
            return Some(Some(i));
        }
    }
    Some(None)
}

/// `map.get(key)`, without yaml-edit's per-key identity building when the
/// mapping's keys are plain scalars.
pub(crate) fn get(map: &Mapping, key: &str) -> Option<YamlNode> {
    let node = map.syntax();
    let found = find_plain(&node.green(), key);
    match found {
        Some(Some(i)) => {
            let entry = node.children_with_tokens().nth(i)?.into_node()?;
            let value = entry.children().find(|c| c.kind() == SyntaxKind::VALUE)?;
            value.children().next().and_then(YamlNode::from_syntax)
        }
        Some(None) => None,
        None => map.get(key),
    }
}

/// Whether `map` has `key` (see [`get`]).
pub(crate) fn contains_key(map: &Mapping, key: &str) -> bool {
    match find_plain(&map.syntax().green(), key) {
        Some(found) => found.is_some(),
        None => map.contains_key(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn lookups_agree_with_yaml_edit() {
        let doc = yaml_edit::Document::from_str("a: 1\nb:\n  c: x # y\n'q': 2\n\"r\": 3\nx y: 4\n")
            .unwrap();
        let m = doc.as_mapping().unwrap();
        for k in ["a", "b", "q", "r", "x y", "z", ""] {
            assert_eq!(
                get(&m, k).map(|n| n.to_string()),
                m.get(k).map(|n| n.to_string()),
                "{k}"
            );
            assert_eq!(contains_key(&m, k), m.contains_key(k), "{k}");
        }
        assert_eq!(text(doc.syntax()), doc.to_string());
    }
}
