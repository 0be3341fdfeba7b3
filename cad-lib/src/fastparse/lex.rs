//! The fast path's lexer: one line at a time, no allocation, classifying
//! scalars with yaml-edit's own rules (`ScalarValue::classify_plain`) so
//! that token kinds match its lexer. Lines it does not recognise make the
//! whole text leave the fast path.

use yaml_edit::{CoreScalarType, SyntaxKind};

/// One source line, classified.
#[derive(Clone, Copy)]
pub(super) enum Line<'a> {
    /// `---`
    DocStart,
    /// A comment at column 0.
    Comment(&'a str),
    /// An entry or item line.
    Content(Content<'a>),
}

#[derive(Clone, Copy)]
pub(super) struct Content<'a> {
    /// Leading spaces ("" at column 0).
    pub(super) indent: &'a str,
    /// The spaces after a `- ` dash, if the line is a sequence item.
    pub(super) dash: Option<&'a str>,
    /// A plain key, with the spaces between its colon and a same-line value.
    pub(super) key: Option<(&'a str, Option<&'a str>)>,
    /// A one-line scalar value (its token kind is found when it is built).
    pub(super) value: Option<&'a str>,
    /// The line from its key to its end: identical tails make identical
    /// entries.
    pub(super) tail: &'a str,
    /// A trailing comment and the spaces before it.
    pub(super) comment: Option<(&'a str, &'a str)>,
}

impl Content<'_> {
    pub(super) fn col(&self) -> usize {
        self.indent.len()
    }

    /// Column of what follows the dash (the first key of an inline mapping).
    pub(super) fn inner_col(&self) -> usize {
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
pub(super) fn plain_kind(text: &str) -> SyntaxKind {
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
fn value_and_comment(rest: &str) -> Option<(&str, Option<(&str, &str)>)> {
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
    if tail.is_empty() {
        return Some((value, None));
    }
    let hash = tail.find('#')?;
    let (ws, comment) = tail.split_at(hash);
    if ws.is_empty() || !ws.bytes().all(is_space) || comment.ends_with(' ') {
        return None;
    }
    Some((value, Some((ws, comment))))
}

/// Classifies one line (without its line break).
pub(super) fn lex_line(line: &str) -> Option<Line<'_>> {
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
        tail: "",
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
        c.tail = rest;
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
