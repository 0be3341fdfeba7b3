//! A fast path for parsing the plain block YAML that KRM files mostly are.
//!
//! yaml-edit's parser costs about 50 ns per byte (a string per token, error
//! recovery bookkeeping), which dominated both parse-heavy workloads: reading
//! a package and rendering it (every function call parses each item twice).
//! For the common subset — block mappings and sequences of one-line scalars,
//! with trailing comments and comment lines at the top of a document — this
//! module builds the *same* green tree that yaml-edit builds, from
//! yaml-edit's own tokens, in a fraction of the time. Anything outside the
//! subset (blank lines, comment lines between entries, flow collections,
//! block or multi-line scalars, anchors, tags, quoted keys, tabs, CRLF, ...)
//! returns `None` and the caller uses yaml-edit's parser, so behaviour does
//! not depend on this module beyond speed. The tests check the trees equal
//! yaml-edit's for every file of the shared test data and generated ones.

use std::collections::HashMap;
use std::str::FromStr;

use rowan::{GreenNode, GreenToken, NodeOrToken};
use yaml_edit::{CoreScalarType, Lang, SyntaxKind, YamlError, YamlFile};

type Green = NodeOrToken<GreenNode, GreenToken>;

/// Parses a YAML stream: the fast path when the text is in the subset,
/// yaml-edit's parser otherwise.
pub(crate) fn parse_yaml(text: &str) -> Result<YamlFile, YamlError> {
    if let Some(green) = parse_green(text) {
        let node = rowan::SyntaxNode::<Lang>::new_root_mut(green);
        if let Some(file) = <YamlFile as rowan::ast::AstNode>::cast(node) {
            return Ok(file);
        }
    }
    YamlFile::from_str(text)
}

/// The green tree of `text` (a ROOT node), or `None` when the text is not
/// in the subset this module handles.
pub(crate) fn parse_green(text: &str) -> Option<GreenNode> {
    if text.is_empty() || !text.ends_with('\n') || text.contains(['\t', '\r']) {
        return None;
    }
    let lines = text
        .split_inclusive('\n')
        .map(|l| lex_line(l.strip_suffix('\n')?))
        .collect::<Option<Vec<_>>>()?;
    Builder::new(lines).stream()
}

/// One source line, classified.
#[derive(Clone, Copy)]
enum Line<'a> {
    /// `---`
    DocStart,
    /// A comment at column 0.
    Comment(&'a str),
    /// An entry or item line.
    Content(Content<'a>),
}

#[derive(Clone, Copy)]
struct Content<'a> {
    /// Leading spaces ("" at column 0).
    indent: &'a str,
    /// The spaces after a `- ` dash, if the line is a sequence item.
    dash: Option<&'a str>,
    /// A plain key, with the spaces between its colon and a same-line value.
    key: Option<(&'a str, Option<&'a str>)>,
    /// A one-line scalar value.
    value: Option<(SyntaxKind, &'a str)>,
    /// A trailing comment and the spaces before it.
    comment: Option<(&'a str, &'a str)>,
}

impl Content<'_> {
    fn col(&self) -> usize {
        self.indent.len()
    }

    /// Column of what follows the dash (the first key of an inline mapping).
    fn inner_col(&self) -> usize {
        self.col() + self.dash.map_or(0, |ws| 1 + ws.len())
    }
}

fn is_space(b: u8) -> bool {
    b == b' '
}

/// Characters of a plain key, and of plain values besides spaces and a few
/// inner punctuation marks. Anything else (flow indicators, quotes inside,
/// `&`, `*`, `!`, `|`, `>`, `%`, `@`, ...) leaves the fast path.
fn plain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/')
}

fn value_char(b: u8) -> bool {
    plain_char(b)
        || matches!(
            b,
            b' ' | b':' | b'$' | b'=' | b'+' | b'~' | b'#' | b'(' | b')' | b'@'
        )
}

/// Kind of a plain scalar token, as yaml-edit's lexer classifies it.
fn plain_kind(text: &str) -> SyntaxKind {
    match yaml_edit::ScalarValue::classify_plain(text) {
        CoreScalarType::Null => SyntaxKind::NULL,
        CoreScalarType::Boolean => SyntaxKind::BOOL,
        CoreScalarType::Integer => SyntaxKind::INT,
        CoreScalarType::Float => SyntaxKind::FLOAT,
        CoreScalarType::String => SyntaxKind::STRING,
    }
}

/// Splits `rest` (after a key's colon and spaces, or after a dash) into a
/// one-line scalar token and an optional trailing comment.
fn value_and_comment(rest: &str) -> Option<((SyntaxKind, &str), Option<(&str, &str)>)> {
    let bytes = rest.as_bytes();
    let end = match bytes.first()? {
        q @ (b'\'' | b'"') => {
            // Quoted without escapes or inner quotes of the same kind.
            let close = rest[1..].find(*q as char)? + 2;
            if rest[1..close - 1].contains(['\\', '\'', '"']) {
                return None;
            }
            close
        }
        b'-' | b'.' if rest.len() < 2 || rest.starts_with(['-', '.']) && !plain_char(bytes[1]) => {
            return None;
        }
        _ if rest.starts_with("---") || rest.starts_with("...") => return None,
        b if plain_char(*b) || *b == b'$' || *b == b'~' => {
            // A plain scalar ends at ` #` (a comment) or at the line's end.
            let end = rest.find(" #").unwrap_or(rest.len());
            let text = rest[..end].trim_end_matches(' ');
            if !text.bytes().all(value_char) || text.contains(": ") || text.ends_with(':') {
                return None;
            }
            text.len()
        }
        _ => return None,
    };
    let (value, tail) = rest.split_at(end);
    let kind = if value.starts_with(['\'', '"']) {
        SyntaxKind::STRING
    } else {
        plain_kind(value)
    };
    if tail.is_empty() {
        return Some(((kind, value), None));
    }
    let hash = tail.find('#')?;
    let (ws, comment) = tail.split_at(hash);
    if ws.is_empty() || !ws.bytes().all(is_space) || comment.ends_with(' ') {
        return None;
    }
    Some(((kind, value), Some((ws, comment))))
}

/// Classifies one line (without its line break).
fn lex_line(line: &str) -> Option<Line<'_>> {
    if line == "---" {
        return Some(Line::DocStart);
    }
    if line.starts_with('#') {
        return (!line.ends_with(' ')).then_some(Line::Comment(line));
    }
    let mut c = Content {
        indent: "",
        dash: None,
        key: None,
        value: None,
        comment: None,
    };
    let n = line.bytes().take_while(|b| is_space(*b)).count();
    c.indent = &line[..n];
    let mut rest = &line[n..];
    if let Some(after) = rest.strip_prefix('-') {
        let ws = after.bytes().take_while(|b| is_space(*b)).count();
        if ws > 0 {
            c.dash = Some(&after[..ws]);
            rest = &after[ws..];
        }
    }
    let k = rest.bytes().take_while(|b| plain_char(*b)).count();
    let after_key = &rest[k..];
    if k > 0 && rest.as_bytes()[0].is_ascii_alphanumeric() && after_key.starts_with(':') {
        let key = &rest[..k];
        if plain_kind(key) != SyntaxKind::STRING {
            return None;
        }
        let after = &after_key[1..];
        if after.is_empty() {
            c.key = Some((key, None));
            return Some(Line::Content(c));
        }
        let ws = after.bytes().take_while(|b| is_space(*b)).count();
        if ws == 0 || ws == after.len() {
            return None;
        }
        let (value, comment) = value_and_comment(&after[ws..])?;
        c.key = Some((key, Some(&after[..ws])));
        c.value = Some(value);
        c.comment = comment;
        return Some(Line::Content(c));
    }
    if c.dash.is_none() {
        return None;
    }
    let (value, comment) = value_and_comment(rest)?;
    c.value = Some(value);
    c.comment = comment;
    Some(Line::Content(c))
}

fn raw(kind: SyntaxKind) -> rowan::SyntaxKind {
    <Lang as rowan::Language>::kind_to_raw(kind)
}

/// Punctuation and indentation tokens, shared by every tree the thread
/// builds: most tokens of a KRM file are these, and not allocating them is
/// much of the speed-up.
struct Common {
    colon: GreenToken,
    newline: GreenToken,
    dash: GreenToken,
    space: GreenToken,
    doc_start: GreenToken,
    indents: Vec<GreenToken>,
}

thread_local! {
    static COMMON: Common = Common {
        colon: GreenToken::new(raw(SyntaxKind::COLON), ":"),
        newline: GreenToken::new(raw(SyntaxKind::NEWLINE), "\n"),
        dash: GreenToken::new(raw(SyntaxKind::DASH), "-"),
        space: GreenToken::new(raw(SyntaxKind::WHITESPACE), " "),
        doc_start: GreenToken::new(raw(SyntaxKind::DOC_START), "---"),
        indents: (0..=32)
            .map(|n| GreenToken::new(raw(SyntaxKind::INDENT), &" ".repeat(n)))
            .collect(),
    };
}

/// A token, shared when it is a common one.
fn token(kind: SyntaxKind, text: &str) -> Green {
    let shared = COMMON.with(|c| match (kind, text) {
        (SyntaxKind::COLON, ":") => Some(c.colon.clone()),
        (SyntaxKind::NEWLINE, "\n") => Some(c.newline.clone()),
        (SyntaxKind::DASH, "-") => Some(c.dash.clone()),
        (SyntaxKind::WHITESPACE, " ") => Some(c.space.clone()),
        (SyntaxKind::DOC_START, "---") => Some(c.doc_start.clone()),
        (SyntaxKind::INDENT, s) => c.indents.get(s.len()).cloned(),
        _ => None,
    });
    NodeOrToken::Token(shared.unwrap_or_else(|| GreenToken::new(raw(kind), text)))
}

/// Recursive descent over the classified lines, mirroring the node layout
/// of yaml-edit's parser for this subset. Children are collected on one
/// stack and each node takes its own off the top, so building a node costs
/// one allocation; repeated keys and scalars share their nodes.
struct Builder<'a> {
    lines: Vec<Line<'a>>,
    i: usize,
    stack: Vec<Green>,
    keys: HashMap<&'a str, Green>,
    scalars: HashMap<(SyntaxKind, &'a str), Green>,
}

impl<'a> Builder<'a> {
    fn new(lines: Vec<Line<'a>>) -> Self {
        Self {
            lines,
            i: 0,
            stack: Vec::with_capacity(64),
            keys: HashMap::new(),
            scalars: HashMap::new(),
        }
    }

    fn content(&self, i: usize) -> Option<Content<'a>> {
        match self.lines.get(i)? {
            Line::Content(c) => Some(*c),
            _ => None,
        }
    }

    fn push(&mut self, kind: SyntaxKind, text: &str) {
        self.stack.push(token(kind, text));
    }

    /// Replaces the children pushed since `start` by a node holding them.
    fn finish(&mut self, kind: SyntaxKind, start: usize) {
        let n = GreenNode::new(raw(kind), self.stack.drain(start..));
        self.stack.push(NodeOrToken::Node(n));
    }

    /// `KEY > SCALAR > STRING` for a plain key.
    fn key(&mut self, key: &'a str) {
        if let Some(k) = self.keys.get(key) {
            self.stack.push(k.clone());
            return;
        }
        let start = self.stack.len();
        self.push(SyntaxKind::STRING, key);
        self.finish(SyntaxKind::SCALAR, start);
        self.finish(SyntaxKind::KEY, start);
        if let Some(k) = self.stack.last() {
            self.keys.insert(key, k.clone());
        }
    }

    /// `SCALAR > token` for a one-line scalar.
    fn scalar(&mut self, kind: SyntaxKind, text: &'a str) {
        if let Some(s) = self.scalars.get(&(kind, text)) {
            self.stack.push(s.clone());
            return;
        }
        let start = self.stack.len();
        self.push(kind, text);
        self.finish(SyntaxKind::SCALAR, start);
        if let Some(s) = self.stack.last() {
            self.scalars.insert((kind, text), s.clone());
        }
    }

    fn comment(&mut self, comment: Option<(&str, &str)>) {
        if let Some((ws, text)) = comment {
            self.push(SyntaxKind::WHITESPACE, ws);
            self.push(SyntaxKind::COMMENT, text);
        }
    }

    fn stream(mut self) -> Option<GreenNode> {
        let mut first = true;
        while self.i < self.lines.len() {
            self.document(first)?;
            first = false;
        }
        let root = GreenNode::new(raw(SyntaxKind::ROOT), self.stack.drain(..));
        Some(root)
    }

    /// `---`, comment lines, then a root mapping at column 0. Only the first
    /// document may omit the marker.
    fn document(&mut self, first: bool) -> Option<()> {
        let start = self.stack.len();
        match self.lines.get(self.i)? {
            Line::DocStart => {
                self.push(SyntaxKind::DOC_START, "---");
                self.push(SyntaxKind::NEWLINE, "\n");
                self.i += 1;
            }
            _ if first => {}
            _ => return None,
        }
        while let Some(Line::Comment(c)) = self.lines.get(self.i).copied() {
            self.push(SyntaxKind::COMMENT, c);
            self.push(SyntaxKind::NEWLINE, "\n");
            self.i += 1;
        }
        let c = self.content(self.i)?;
        if c.col() != 0 || c.dash.is_some() {
            return None;
        }
        self.mapping(0, false)?;
        match self.lines.get(self.i) {
            None | Some(Line::DocStart) => {
                self.finish(SyntaxKind::DOCUMENT, start);
                Some(())
            }
            _ => None,
        }
    }

    /// A block mapping whose keys sit at `col`; with `inline`, its first
    /// key follows a sequence dash on the current line.
    fn mapping(&mut self, col: usize, inline: bool) -> Option<()> {
        let start = self.stack.len();
        let mut first = true;
        loop {
            let c = self.content(self.i)?;
            if !(first && inline) {
                if c.dash.is_some() || c.col() != col {
                    return None;
                }
                if !first && !c.indent.is_empty() {
                    self.push(SyntaxKind::INDENT, c.indent);
                }
            }
            self.entry(c, col)?;
            first = false;
            match self.content(self.i) {
                Some(n) if n.dash.is_none() && n.col() == col => {}
                _ => break,
            }
        }
        self.finish(SyntaxKind::MAPPING, start);
        Some(())
    }

    /// One `key: value` entry at `col`, and the block under it.
    fn entry(&mut self, c: Content<'a>, col: usize) -> Option<()> {
        let (key, gap) = c.key?;
        let start = self.stack.len();
        self.key(key);
        self.push(SyntaxKind::COLON, ":");
        self.i += 1;
        match (gap, c.value) {
            (Some(ws), Some((kind, v))) => {
                self.push(SyntaxKind::WHITESPACE, ws);
                let value = self.stack.len();
                self.scalar(kind, v);
                self.comment(c.comment);
                self.finish(SyntaxKind::VALUE, value);
                self.push(SyntaxKind::NEWLINE, "\n");
                self.no_continuation(col)?;
            }
            (None, None) => {
                let next = self.content(self.i)?;
                let value = self.stack.len();
                self.push(SyntaxKind::NEWLINE, "\n");
                if !next.indent.is_empty() {
                    self.push(SyntaxKind::INDENT, next.indent);
                }
                if next.dash.is_some() && next.col() >= col {
                    self.sequence(next.col())?;
                } else if next.dash.is_none() && next.col() > col {
                    self.mapping(next.col(), false)?;
                } else {
                    return None;
                }
                self.finish(SyntaxKind::VALUE, value);
            }
            _ => return None,
        }
        self.finish(SyntaxKind::MAPPING_ENTRY, start);
        Some(())
    }

    /// A block sequence whose dashes sit at `col`.
    fn sequence(&mut self, col: usize) -> Option<()> {
        let start = self.stack.len();
        let mut first = true;
        loop {
            let c = self.content(self.i)?;
            let ws = c.dash?;
            if c.col() != col {
                return None;
            }
            if !first && !c.indent.is_empty() {
                self.push(SyntaxKind::INDENT, c.indent);
            }
            first = false;
            let item = self.stack.len();
            self.push(SyntaxKind::DASH, "-");
            self.push(SyntaxKind::WHITESPACE, ws);
            if c.key.is_some() {
                self.mapping(c.inner_col(), true)?;
            } else {
                let (kind, v) = c.value?;
                self.scalar(kind, v);
                self.comment(c.comment);
                self.push(SyntaxKind::NEWLINE, "\n");
                self.i += 1;
                self.no_continuation(col)?;
            }
            self.finish(SyntaxKind::SEQUENCE_ENTRY, item);
            match self.content(self.i) {
                Some(n) if n.dash.is_some() && n.col() == col => {}
                _ => break,
            }
        }
        self.finish(SyntaxKind::SEQUENCE, start);
        Some(())
    }

    /// A line indented past a finished scalar would continue it (or be an
    /// error): not in the subset.
    fn no_continuation(&self, col: usize) -> Option<()> {
        match self.content(self.i) {
            Some(n) if n.col() > col => None,
            _ => Some(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The fast path either declines or builds exactly yaml-edit's tree for
    /// a text yaml-edit parses without errors.
    fn check(text: &str) -> bool {
        let Some(fast) = parse_green(text) else {
            return false;
        };
        let slow = YamlFile::parse(text);
        assert!(slow.positioned_errors().is_empty(), "{text}");
        let slow = rowan::ast::AstNode::syntax(&slow.tree())
            .green()
            .into_owned();
        assert_eq!(fast, slow, "tree differs for:\n{text}");
        true
    }

    #[test]
    fn simple_documents_match_yaml_edit() {
        let cases = [
            "a: 1\n",
            "# head\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x # c\n  labels:\n    a: 'b'\ndata:\n  k: \"v\"\n",
            "---\nitems:\n- a # c\n- b\nx:\n  - k: v # d\n    l: 2\n  - m\n",
            "a:\n  b:\n    c: 1\n  d: 2\ne: true\n---\n# two\nf: null\n",
            "l:\n- - x\n",
            "a: 1\n  b: 2\n",
            "a:\nb: 1\n",
            "a: 1\n\nb: 2\n",
            "- a\n",
        ];
        let taken: Vec<bool> = cases.iter().map(|c| check(c)).collect();
        assert_eq!(
            taken,
            [true, true, true, true, false, false, false, false, false]
        );
    }

    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    #[test]
    fn testdata_trees_match_yaml_edit() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata");
        let mut files = Vec::new();
        walk(&root, &mut files);
        let mut taken = 0;
        let mut docs = 0;
        for p in files {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            taken += usize::from(check(&text));
            // Every document on its own, as render and ResourceLists see them.
            for doc in text.split("\n---\n") {
                let mut doc = doc.to_string();
                if !doc.ends_with('\n') {
                    doc.push('\n');
                }
                docs += usize::from(check(&doc));
            }
        }
        eprintln!("fast path: {taken} files, {docs} docs");
        assert!(
            taken > 100 && docs > 300,
            "fast path too rare: {taken} files, {docs} docs"
        );
    }
}
