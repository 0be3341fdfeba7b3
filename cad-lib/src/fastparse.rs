//! A fast path for parsing the plain block YAML that KRM files mostly are.
//!
//! yaml-edit's parser costs about 50 ns per byte (a string per token, error
//! recovery bookkeeping), which dominated both parse-heavy workloads: reading
//! a package and rendering it (every function call parses each item twice).
//! For the common subset — block mappings and sequences of one-line scalars,
//! with trailing comments and comment lines at the top of a document — this
//! module builds the *same* green tree that yaml-edit builds (its own
//! lexer, yaml-edit's scalar classification), in a fraction of the time,
//! sharing repeated keys, scalars and entries. Anything outside the
//! subset (blank lines, comment lines between entries, flow collections,
//! block or multi-line scalars, anchors, tags, quoted keys, tabs, CRLF, ...)
//! returns `None` and the caller uses yaml-edit's parser, so behaviour does
//! not depend on this module beyond speed. The tests check the trees equal
//! yaml-edit's for every file of the shared test data and generated ones.

use std::str::FromStr;

use rowan::{GreenNode, GreenToken, NodeOrToken};
use yaml_edit::{Lang, SyntaxKind, YamlError, YamlFile};

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
    SHARED.with(|shared| {
        let mut shared = shared.try_borrow_mut().ok();
        let shared = shared.as_mut().and_then(|s| s.as_mut());
        STACK.with(|cell| {
            let stack = cell.take();
            let mut b = Builder::new(text, stack, shared);
            let root = b.stream();
            b.stack.clear();
            cell.set(b.stack);
            root
        })
    })
}

mod cache;
mod lex;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use cache::CacheScope;
use cache::{Cache, SHARED, SHARED_LIMIT, Shared, Which};
use lex::{Content, Line, lex_line, plain_kind};

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
struct Builder<'a, 's> {
    /// The text after the current line.
    rest: &'a str,
    /// The current line (`None` at the end or after a line the fast path
    /// does not take, which sets `bad`).
    cur: Option<Line<'a>>,
    bad: bool,
    stack: Vec<Green>,
    keys: Cache<'a>,
    scalars: Cache<'a>,
    entries: Cache<'a>,
    /// Whether the caches are used.
    cache: bool,
    /// The caches of the enclosing [`CacheScope`], used instead.
    shared: Option<&'s mut Shared>,
}

thread_local! {
    /// The builder's child stack, kept between parses.
    static STACK: std::cell::Cell<Vec<Green>> = const { std::cell::Cell::new(Vec::new()) };
}

impl<'a, 's> Builder<'a, 's> {
    fn new(text: &'a str, stack: Vec<Green>, shared: Option<&'s mut Shared>) -> Self {
        // Single documents rarely repeat a line: caching would cost more
        // than it saves.
        let cache = text.len() > 4096;
        let mut b = Self {
            rest: text,
            cur: None,
            bad: false,
            stack,
            keys: Cache::default(),
            scalars: Cache::default(),
            entries: Cache::default(),
            cache,
            shared,
        };
        b.advance();
        b
    }

    /// Moves to the next line.
    fn advance(&mut self) {
        let Some(end) = self.rest.find('\n') else {
            self.cur = None;
            self.bad |= !self.rest.is_empty();
            return;
        };
        let (line, rest) = (&self.rest[..end], &self.rest[end + 1..]);
        self.rest = rest;
        self.cur = lex_line(line);
        self.bad |= self.cur.is_none();
    }

    fn content(&self) -> Option<Content<'a>> {
        match self.cur? {
            Line::Content(c) => Some(c),
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

    /// `KEY > SCALAR > STRING` for a plain key; `None` for a key that is
    /// not a string (`true:`, `1:`).
    fn key(&mut self, key: &'a str) -> Option<()> {
        if let Some(k) = self.cached(Which::Key, key) {
            self.stack.push(k);
            return Some(());
        }
        if plain_kind(key) != SyntaxKind::STRING {
            return None;
        }
        let start = self.stack.len();
        self.push(SyntaxKind::STRING, key);
        self.finish(SyntaxKind::SCALAR, start);
        self.finish(SyntaxKind::KEY, start);
        self.remember(Which::Key, key);
        Some(())
    }

    /// `SCALAR > token` for a one-line scalar.
    fn scalar(&mut self, text: &'a str) {
        if let Some(s) = self.cached(Which::Scalar, text) {
            self.stack.push(s);
            return;
        }
        let kind = if text.starts_with(['\'', '"']) {
            SyntaxKind::STRING
        } else {
            plain_kind(text)
        };
        let start = self.stack.len();
        self.push(kind, text);
        self.finish(SyntaxKind::SCALAR, start);
        self.remember(Which::Scalar, text);
    }

    /// Caches the node on top of the stack.
    fn cached(&mut self, which: Which, text: &str) -> Option<Green> {
        if let Some(shared) = self.shared.as_mut() {
            return shared.map(which).get(text).cloned();
        }
        let cache = match which {
            Which::Key => &self.keys,
            Which::Scalar => &self.scalars,
            Which::Entry => &self.entries,
        };
        cache.get(text).cloned()
    }

    fn remember(&mut self, which: Which, text: &'a str) {
        if let Some(shared) = self.shared.as_mut() {
            let map = shared.map(which);
            if let Some(n) = self.stack.last()
                && map.len() < SHARED_LIMIT
            {
                map.insert(text.into(), n.clone());
            }
            return;
        }
        if !self.cache {
            return;
        }
        let cache = match which {
            Which::Key => &mut self.keys,
            Which::Scalar => &mut self.scalars,
            Which::Entry => &mut self.entries,
        };
        if let Some(n) = self.stack.last() {
            cache.insert(text, n.clone());
        }
    }

    fn comment(&mut self, comment: Option<(&str, &str)>) {
        if let Some((ws, text)) = comment {
            self.push(SyntaxKind::WHITESPACE, ws);
            self.push(SyntaxKind::COMMENT, text);
        }
    }

    fn stream(&mut self) -> Option<GreenNode> {
        let mut first = true;
        while self.cur.is_some() {
            self.document(first)?;
            first = false;
        }
        if self.bad {
            return None;
        }
        Some(GreenNode::new(raw(SyntaxKind::ROOT), self.stack.drain(..)))
    }

    /// `---`, comment lines, then a root mapping at column 0. Only the first
    /// document may omit the marker.
    fn document(&mut self, first: bool) -> Option<()> {
        let start = self.stack.len();
        match self.cur? {
            Line::DocStart => {
                self.push(SyntaxKind::DOC_START, "---");
                self.push(SyntaxKind::NEWLINE, "\n");
                self.advance();
            }
            _ if first => {}
            _ => return None,
        }
        while let Some(Line::Comment(c)) = self.cur {
            self.push(SyntaxKind::COMMENT, c);
            self.push(SyntaxKind::NEWLINE, "\n");
            self.advance();
        }
        let c = self.content()?;
        if c.col() != 0 || c.dash.is_some() {
            return None;
        }
        self.mapping(0, false)?;
        match self.cur {
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
            let c = self.content()?;
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
            match self.content() {
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
        if c.value.is_some()
            && let Some(e) = self.cached(Which::Entry, c.tail)
        {
            self.stack.push(e);
            self.advance();
            return self.no_continuation(col);
        }
        let start = self.stack.len();
        self.key(key)?;
        self.push(SyntaxKind::COLON, ":");
        self.advance();
        match (gap, c.value) {
            (Some(ws), Some(v)) => {
                self.push(SyntaxKind::WHITESPACE, ws);
                let value = self.stack.len();
                self.scalar(v);
                self.comment(c.comment);
                self.finish(SyntaxKind::VALUE, value);
                self.push(SyntaxKind::NEWLINE, "\n");
                self.finish(SyntaxKind::MAPPING_ENTRY, start);
                self.remember(Which::Entry, c.tail);
                return self.no_continuation(col);
            }
            (None, None) => {
                let next = self.content()?;
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
            let c = self.content()?;
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
                let v = c.value?;
                self.scalar(v);
                self.comment(c.comment);
                self.push(SyntaxKind::NEWLINE, "\n");
                self.advance();
                self.no_continuation(col)?;
            }
            self.finish(SyntaxKind::SEQUENCE_ENTRY, item);
            match self.content() {
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
        match self.content() {
            Some(n) if n.col() > col => None,
            _ => Some(()),
        }
    }
}
