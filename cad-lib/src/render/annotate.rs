//! Fast, exactly reversible insertion of the per-call render annotations.
//!
//! Every function call needs path/index/id annotations on every item and
//! their removal afterwards. Doing that through syntax-tree edits costs
//! tens of microseconds per key; for the common block-style `metadata`
//! the annotations are spliced in as text, and removed by cutting out the
//! very same text, which restores the item byte for byte. Anything unusual
//! (flow style, keys already present, a function that rewrote them) makes
//! the caller fall back to tree edits.

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
pub(super) fn insert(body: &str, pairs: &[(&str, &str)]) -> Option<(String, Splice)> {
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
            let at = lines.get(m + 1).map_or(body.len(), |(o, _)| *o);
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
            let (text, s) = insert(body, PAIRS).unwrap();
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
        let (text, s) = insert(body, PAIRS).unwrap();
        let edited = text.replace(
            "    config.kubernetes.io/index: '0'\n",
            "    config.kubernetes.io/index: '0'\n    new: x\n",
        );
        assert_eq!(
            remove(&edited, &s).unwrap(),
            "kind: A\nmetadata:\n  annotations:\n    new: x\n  name: a\n"
        );
    }

    #[test]
    fn unusual_layouts_fall_back() {
        assert!(insert("metadata: {name: a}\n", PAIRS).is_none());
        assert!(insert("metadata:\n  annotations: {}\n  name: a\n", PAIRS).is_none());
    }
}
