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

/// Strings that yaml-edit writes as plain scalars for sure: ordinary
/// characters, not starting like a number and not read as anything but a
/// string (not even as a YAML 1.1 boolean).
fn plain_string(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        )
        // `inf`, `NaN`, `infinity`: Rust reads them as floats, and so
        // yaml-edit quotes them.
        && s.parse::<f64>().is_err()
        && yaml_edit::ScalarValue::classify_plain(s) == yaml_edit::CoreScalarType::String
}

/// Whether the last line of `node` is an ordinary one-line entry or item
/// ending in a line break (no blank line, block scalar or other multi-line
/// token at the end, which yaml-edit's insertion treats specially).
fn ends_with_plain_line(node: &GreenNodeData) -> bool {
    // (has content, only ordinary tokens) for the line being read.
    let mut line = (false, true);
    let mut last_line_ok = false;
    let mut at_line_end = false;
    visit_tokens(node, &mut |k, text| {
        if k == SyntaxKind::NEWLINE {
            last_line_ok = line.0 && line.1 && text == "\n";
            at_line_end = true;
            line = (false, true);
            return;
        }
        at_line_end = false;
        line.1 &= !text.contains('\n')
            && match k {
                SyntaxKind::INDENT
                | SyntaxKind::WHITESPACE
                | SyntaxKind::DASH
                | SyntaxKind::COLON
                | SyntaxKind::INT
                | SyntaxKind::FLOAT
                | SyntaxKind::BOOL
                | SyntaxKind::NULL
                | SyntaxKind::COMMENT => true,
                SyntaxKind::STRING => !text.starts_with(['|', '>']),
                _ => false,
            };
        line.0 |= !matches!(k, SyntaxKind::INDENT | SyntaxKind::WHITESPACE);
    });
    at_line_end && last_line_ok
}

fn visit_tokens(node: &GreenNodeData, f: &mut impl FnMut(SyntaxKind, &str)) {
    for child in node.children() {
        match child {
            NodeOrToken::Node(n) => visit_tokens(n, f),
            NodeOrToken::Token(t) => f(kind(t.kind()), t.text()),
        }
    }
}

/// The column of a block mapping's keys when it has the plain layout
/// render and the fast parser produce: entries separated by indentation
/// only, under a key (`VALUE` = line break, indent, mapping) or at the top
/// of a document.
fn block_column(node: &SyntaxNode) -> Option<usize> {
    let parent = node.parent()?;
    let col = match parent.kind() {
        SyntaxKind::DOCUMENT => {
            if node.next_sibling_or_token().is_some() {
                return None;
            }
            0
        }
        SyntaxKind::VALUE => {
            let green = parent.green();
            let mut kids = green.children();
            match (kids.next(), kids.next(), kids.next(), kids.next()) {
                (
                    Some(NodeOrToken::Token(nl)),
                    Some(NodeOrToken::Token(indent)),
                    Some(NodeOrToken::Node(_)),
                    None,
                ) if kind(nl.kind()) == SyntaxKind::NEWLINE
                    && nl.text() == "\n"
                    && kind(indent.kind()) == SyntaxKind::INDENT
                    && !indent.text().is_empty()
                    && indent.text().bytes().all(|b| b == b' ') =>
                {
                    indent.text().len()
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    let green = node.green();
    let mut expect_entry = true;
    for child in green.children() {
        let ok = match child {
            NodeOrToken::Node(n) => expect_entry && kind(n.kind()) == SyntaxKind::MAPPING_ENTRY,
            NodeOrToken::Token(t) => {
                !expect_entry
                    && col > 0
                    && kind(t.kind()) == SyntaxKind::INDENT
                    && t.text().len() == col
                    && t.text().bytes().all(|b| b == b' ')
            }
        };
        if !ok {
            return None;
        }
        expect_entry = col == 0 || !expect_entry;
    }
    (!expect_entry || col == 0).then_some(col)
}

/// Appends the new entry `key: value` to a block mapping, in place, when
/// the mapping has the plain layout and `value` is a plain string: the
/// same nodes yaml-edit's `Mapping::set` builds there (the tests compare
/// both), at a fraction of its cost. `false` when it does not apply; the
/// caller then uses `Mapping::set`. The key must not be present.
pub(crate) fn append_plain(map: &Mapping, key: &str, value: &str) -> bool {
    let node = map.syntax();
    if !plain_string(key) || !plain_string(value) || !node.is_mutable() {
        return false;
    }
    let Some(col) = block_column(node) else {
        return false;
    };
    if !ends_with_plain_line(&node.green()) {
        return false;
    }
    let Some(line) = crate::fastparse::parse_green(&format!("{key}: {value}\n")) else {
        return false;
    };
    // ROOT > DOCUMENT > MAPPING > MAPPING_ENTRY
    let entry = (|| {
        let doc = line.children().next()?.into_node()?;
        let mapping = doc.children().next()?.into_node()?;
        mapping.children().next()?.into_node().map(|e| e.to_owned())
    })();
    let Some(entry) = entry else {
        return false;
    };
    let mut insert: Vec<rowan::SyntaxElement<Lang>> = Vec::with_capacity(2);
    if col > 0 {
        let indent = rowan::GreenToken::new(
            <Lang as rowan::Language>::kind_to_raw(SyntaxKind::INDENT),
            &" ".repeat(col),
        );
        let holder = rowan::GreenNode::new(
            <Lang as rowan::Language>::kind_to_raw(SyntaxKind::ROOT),
            [NodeOrToken::Token(indent)],
        );
        let Some(token) = SyntaxNode::new_root_mut(holder).first_token() else {
            return false;
        };
        insert.push(NodeOrToken::Token(token));
    }
    insert.push(NodeOrToken::Node(SyntaxNode::new_root_mut(entry)));
    let end = node.children_with_tokens().count();
    node.splice_children(end..end, insert);
    true
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

    const VALUES: &[&str] = &[
        "backend", "team-a", "x", "a.b/c", "yes", "No", "on", "y", "true", "null", "v1", "a_b",
        "1", "1.5", "x1e3", "e5", "inf", "nan", "NaN", "Infinity", "a-", "z.", "0x1",
    ];

    /// For every mapping of `text`, appending through [`append_plain`] and
    /// through yaml-edit's `set` gives the same tree; returns how often the
    /// fast path applied.
    fn compare_appends(text: &str) -> usize {
        let Ok(file) = yaml_edit::YamlFile::from_str(text) else {
            return 0;
        };
        let count = file
            .syntax()
            .descendants()
            .filter(|n| n.kind() == SyntaxKind::MAPPING)
            .count();
        let mut applied = 0;
        for i in 0..count {
            for j in 0..4 {
                let v = &VALUES[(i * 5 + j) % VALUES.len()];
                let key = ["zz", "name", "k-8.s"][(i + j) % 3];
                let nth = |f: &yaml_edit::YamlFile| {
                    f.syntax()
                        .descendants()
                        .filter(|n| n.kind() == SyntaxKind::MAPPING)
                        .nth(i)
                        .and_then(Mapping::cast)
                };
                let (a, b) = (file.snapshot(), file.snapshot());
                let (Some(ma), Some(mb)) = (nth(&a), nth(&b)) else {
                    continue;
                };
                if contains_key(&ma, key) || !append_plain(&ma, key, v) {
                    continue;
                }
                mb.set(key, *v);
                assert_eq!(a.to_string(), b.to_string(), "mapping {i} of:\n{text}");
                assert!(a.tree_eq(&b), "tree differs, mapping {i} of:\n{text}");
                applied += 1;
            }
        }
        applied
    }

    #[test]
    fn appends_agree_with_yaml_edit() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata");
        let mut dirs = vec![root];
        let mut applied = 0;
        let mut files = 0;
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if files < 120
                    && let Ok(t) = std::fs::read_to_string(&p)
                    && crate::resource_file::is_resource_file(&p.to_string_lossy())
                {
                    files += 1;
                    applied += compare_appends(&t);
                }
            }
        }
        applied += compare_appends(
            "# c\na: 1\nb:\n  c: x # y\n  d:\n  - e\n  - f: g\n    h: i\nj:\n  k: |\n    l\nm:\n  n: 1\n\n",
        );
        for seed in 1..300 {
            applied += compare_appends(&crate::fastparse::tests::Gen(seed).stream());
        }
        assert!(applied > 500, "fast path too rare: {applied}");
    }
}
