//! Field sites of a lossless object: every mapping value and sequence item
//! with its path, its byte range in the text and its line comment.
//!
//! Setters live in line comments (`# kpt-set: ${name}`), which plain values
//! cannot see; the setter functions and search-replace find them here and
//! edit the text at the reported ranges, so the rest of the file keeps its
//! bytes.

use std::ops::Range;
use std::str::FromStr;

use cad_lib::KubeObject;
use rowan::ast::AstNode;
use yaml_edit::{Lang, SyntaxKind, YamlFile};

type Node = rowan::SyntaxNode<Lang>;
type Token = rowan::SyntaxToken<Lang>;

/// One path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// What kind of value sits at a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A scalar (plain, quoted or block).
    Scalar,
    /// A block sequence.
    BlockSeq,
    /// A flow sequence (`[a, b]`).
    FlowSeq,
    /// A mapping (block or flow).
    Map,
    /// No value (`key:` with nothing after it).
    Empty,
}

/// A field of the object.
#[derive(Debug, Clone)]
pub struct Site {
    /// Path from the root.
    pub path: Vec<Seg>,
    /// Kind of the value.
    pub kind: ValueKind,
    /// Byte range of the value node (for `Empty`: where a value would go).
    pub range: Range<usize>,
    /// Text of the line comment without `#`, trimmed.
    pub comment: Option<String>,
    /// Byte range of the comment token, if any.
    pub comment_range: Option<Range<usize>>,
    /// Where to insert a new line comment (end of the key line or scalar).
    pub comment_at: usize,
    /// Column of the line the field starts on (its key or dash).
    pub indent: usize,
}

impl Site {
    /// Dotted path as kyaml prints it (`spec.containers[0].image`).
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for s in &self.path {
            match s {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// Path as plain strings (indices as numbers).
    pub fn segments(&self) -> Vec<String> {
        self.path
            .iter()
            .map(|s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(i) => i.to_string(),
            })
            .collect()
    }
}

/// Every site of an object's text, in document order.
pub fn sites(text: &str) -> Vec<Site> {
    let Ok(file) = YamlFile::from_str(text) else {
        return Vec::new();
    };
    let root = Node::new_root(file.syntax().green().into_owned());
    let mut out = Vec::new();
    if let Some(doc) = root.children().find(|n| n.kind() == SyntaxKind::DOCUMENT)
        && let Some(content) = doc.children().find(|n| is_content(n.kind()))
    {
        walk(text, &content, &mut Vec::new(), &mut out);
    }
    out
}

/// Sites of an object.
pub fn of(o: &KubeObject) -> (String, Vec<Site>) {
    let text = o.text();
    let s = sites(&text);
    (text, s)
}

fn is_content(k: SyntaxKind) -> bool {
    matches!(
        k,
        SyntaxKind::MAPPING
            | SyntaxKind::SEQUENCE
            | SyntaxKind::SCALAR
            | SyntaxKind::TAGGED_NODE
            | SyntaxKind::ALIAS
    )
}

fn range(n: &Node) -> Range<usize> {
    usize::from(n.text_range().start())..usize::from(n.text_range().end())
}

fn column(text: &str, at: usize) -> usize {
    let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..at.min(text.len())].chars().count()
}

fn first_token_kind(n: &Node) -> Option<SyntaxKind> {
    n.first_token().map(|t| t.kind())
}

fn value_kind(n: &Node) -> ValueKind {
    match n.kind() {
        SyntaxKind::SEQUENCE => {
            if first_token_kind(n) == Some(SyntaxKind::LEFT_BRACKET) {
                ValueKind::FlowSeq
            } else {
                ValueKind::BlockSeq
            }
        }
        SyntaxKind::MAPPING => ValueKind::Map,
        SyntaxKind::TAGGED_NODE => {
            if n.children().any(|c| c.kind() == SyntaxKind::MAPPING) {
                ValueKind::Map
            } else if n.children().any(|c| c.kind() == SyntaxKind::SEQUENCE) {
                ValueKind::BlockSeq
            } else {
                ValueKind::Scalar
            }
        }
        _ => ValueKind::Scalar,
    }
}

/// The line comment right after `after` (only whitespace between).
fn comment_after(after: Option<Token>) -> Option<Token> {
    let mut t = after?.next_token();
    while let Some(tok) = t {
        match tok.kind() {
            SyntaxKind::WHITESPACE => t = tok.next_token(),
            SyntaxKind::COMMENT => return Some(tok),
            _ => return None,
        }
    }
    None
}

fn site(
    text: &str,
    path: &[Seg],
    value: Option<&Node>,
    anchor: Option<Token>,
    line_start: usize,
) -> Site {
    let kind = value.map_or(ValueKind::Empty, value_kind);
    let block = matches!(kind, ValueKind::BlockSeq | ValueKind::Map)
        && value.is_some_and(|v| first_token_kind(v) != Some(SyntaxKind::LEFT_BRACE));
    // Block collections carry their comment on the key line; scalars and
    // flow collections right after their last token.
    let after = if block || value.is_none() {
        anchor
    } else {
        value.and_then(|v| v.last_token())
    };
    let comment = comment_after(after.clone());
    let comment_at = after
        .as_ref()
        .map_or(line_start, |t| usize::from(t.text_range().end()));
    let range = value.map_or(comment_at..comment_at, range);
    Site {
        path: path.to_vec(),
        kind,
        range,
        comment: comment
            .as_ref()
            .map(|c| c.text().trim_start_matches('#').trim().to_string()),
        comment_range: comment
            .as_ref()
            .map(|c| usize::from(c.text_range().start())..usize::from(c.text_range().end())),
        comment_at,
        indent: column(text, line_start),
    }
}

fn walk(text: &str, node: &Node, path: &mut Vec<Seg>, out: &mut Vec<Site>) {
    let node = if node.kind() == SyntaxKind::TAGGED_NODE {
        match node
            .children()
            .find(|c| matches!(c.kind(), SyntaxKind::MAPPING | SyntaxKind::SEQUENCE))
        {
            Some(n) => n,
            None => return,
        }
    } else {
        node.clone()
    };
    match node.kind() {
        SyntaxKind::MAPPING => {
            for entry in node
                .children()
                .filter(|c| c.kind() == SyntaxKind::MAPPING_ENTRY)
            {
                let Some(key) = entry.children().find(|c| c.kind() == SyntaxKind::KEY) else {
                    continue;
                };
                let key_text = unquote(key.text().to_string().trim());
                let value = entry
                    .children()
                    .find(|c| c.kind() == SyntaxKind::VALUE)
                    .and_then(|v| v.children().find(|c| is_content(c.kind())));
                let colon = entry
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| t.kind() == SyntaxKind::COLON);
                path.push(Seg::Key(key_text));
                out.push(site(text, path, value.as_ref(), colon, range(&entry).start));
                if let Some(v) = &value {
                    walk(text, v, path, out);
                }
                path.pop();
            }
        }
        SyntaxKind::SEQUENCE => {
            for (i, entry) in node
                .children()
                .filter(|c| c.kind() == SyntaxKind::SEQUENCE_ENTRY)
                .enumerate()
            {
                let value = entry.children().find(|c| is_content(c.kind()));
                let dash = entry
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| t.kind() == SyntaxKind::DASH);
                path.push(Seg::Index(i));
                out.push(site(text, path, value.as_ref(), dash, range(&entry).start));
                if let Some(v) = &value {
                    walk(text, v, path, out);
                }
                path.pop();
            }
        }
        _ => {}
    }
}

fn unquote(s: &str) -> String {
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// Text edits applied back to front.
#[derive(Debug, Default)]
pub struct Edits(Vec<(Range<usize>, String)>);

impl Edits {
    /// Replaces `range` with `text`.
    pub fn replace(&mut self, range: Range<usize>, text: impl Into<String>) {
        self.0.push((range, text.into()));
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Applies the edits to `text` and reparses the object.
    pub fn apply(mut self, text: &str) -> Result<KubeObject, cad_lib::ObjectError> {
        self.0.sort_by_key(|e| std::cmp::Reverse(e.0.start));
        let mut out = text.to_string();
        for (r, t) in self.0 {
            if r.start <= r.end && r.end <= out.len() {
                out.replace_range(r, &t);
            }
        }
        KubeObject::parse(&out)
    }
}

/// Renders a string as a scalar the way kyaml does after resetting a node's
/// style: plain when that reads back as the same text, `""` when empty,
/// double-quoted otherwise.
pub fn plain_scalar(s: &str) -> String {
    if s.is_empty() {
        return "\"\"".to_string();
    }
    let special_start =
        s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace());
    let bad = s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.ends_with(' ')
        || s.contains('\n')
        || s.contains('\t');
    if (special_start && !is_number_like(s)) || bad {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    } else {
        s.to_string()
    }
}

fn is_number_like(s: &str) -> bool {
    s.starts_with('-') && s[1..].chars().next().is_some_and(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_have_paths_and_comments() {
        let text = "apiVersion: v1\nkind: X\nmetadata:\n  name: a # kpt-set: ${n}\ndata:\n  list: # kpt-set: ${l}\n  - a\n  - \"b\" # c\n  flow: [a, b] # kpt-set: ${f}\n";
        let s = sites(text);
        let by = |p: &str| s.iter().find(|x| x.dotted() == p).unwrap();
        assert_eq!(
            by("metadata.name").comment.as_deref(),
            Some("kpt-set: ${n}")
        );
        assert_eq!(by("data.list").comment.as_deref(), Some("kpt-set: ${l}"));
        assert_eq!(by("data.list").kind, ValueKind::BlockSeq);
        assert_eq!(by("data.list[1]").comment.as_deref(), Some("c"));
        assert_eq!(by("data.flow").kind, ValueKind::FlowSeq);
        assert_eq!(by("data.flow").comment.as_deref(), Some("kpt-set: ${f}"));
        assert_eq!(&text[by("metadata.name").range.clone()], "a");
        assert_eq!(by("kind").comment, None);
    }

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(plain_scalar("abc"), "abc");
        assert_eq!(plain_scalar(""), "\"\"");
        assert_eq!(plain_scalar("a: b"), "\"a: b\"");
        assert_eq!(plain_scalar("5"), "5");
    }
}
