//! The fast path against yaml-edit: equal trees or no tree.

use super::*;
use proptest::prelude::*;
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

const KEYS: &[&str] = &[
    "a", "b.c/d-e", "x_y", "name", "spec", "k8s", "true", "1", "'q'", "a b", "-k", "n",
];
const VALUES: &[&str] = &[
    "x",
    "'q'",
    "\"d\"",
    "1",
    "1.5",
    "~",
    "null",
    "true",
    "x:y",
    "a#b",
    "${x}",
    "-1",
    ".5",
    "yes",
    "0x1F",
    "1e3",
    "a b",
    "http://x/y",
    "-x",
    "a: b",
    "- x",
    "",
    "'a'b",
    "'it''s'",
    "\"a\\\"b\"",
    "x ",
    "|",
    "&a x",
    "*a",
    "!t x",
    "b:",
    "'a # b'",
    "@x",
    "a,b",
    "{}",
    "[]",
    "...",
    "-",
    "#c",
    "= y",
    "~x",
];

/// A small deterministic generator of structured block YAML, mostly in
/// the fast path's subset, with tricky pieces mixed in.
pub(crate) struct Gen(pub(crate) u64);

impl Gen {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick(&mut self, xs: &[&'static str], common: usize) -> &'static str {
        // The first `common` entries are the ordinary ones: favour them.
        if self.next(4) > 0 {
            xs[self.next(common)]
        } else {
            xs[self.next(xs.len())]
        }
    }

    fn comment(&mut self) -> &'static str {
        ["", "", "", " # c", "  # kpt-set: ${x}", " #", "# c"][self.next(7)]
    }

    fn mapping(&mut self, out: &mut String, col: usize, depth: usize, inline: bool) {
        for i in 0..1 + self.next(3) {
            if !(inline && i == 0) {
                out.push_str(&" ".repeat(col));
            }
            let key = self.pick(KEYS, 6);
            let nested = depth < 3 && self.next(3) == 0;
            if nested {
                out.push_str(&format!("{key}:\n"));
                let (seq, wide, step) = (self.next(3) == 0, self.next(2), 1 + self.next(4));
                if seq {
                    self.sequence(out, col + 2 * wide, depth + 1);
                } else {
                    self.mapping(out, col + step, depth + 1, false);
                }
            } else {
                let v = self.pick(VALUES, 17);
                let c = self.comment();
                out.push_str(&format!("{key}: {v}{c}\n"));
            }
        }
    }

    fn sequence(&mut self, out: &mut String, col: usize, depth: usize) {
        for _ in 0..1 + self.next(3) {
            out.push_str(&" ".repeat(col));
            out.push_str(["- ", "- ", "-  "][self.next(3)]);
            if self.next(2) == 0 {
                let ws = out.len() - out.rfind('-').unwrap_or(0) - 1;
                self.mapping(out, col + 1 + ws, depth + 1, true);
            } else {
                let v = self.pick(VALUES, 17);
                let c = self.comment();
                out.push_str(&format!("{v}{c}\n"));
            }
        }
    }

    pub(crate) fn stream(&mut self) -> String {
        let mut out = String::new();
        for d in 0..1 + self.next(3) {
            if d > 0 || self.next(2) == 0 {
                out.push_str("---\n");
            }
            for _ in 0..self.next(3) {
                out.push_str("# head\n");
            }
            self.mapping(&mut out, 0, 0, false);
        }
        out
    }
}

#[test]
fn generated_documents_match_yaml_edit() {
    let taken = (1..=3000u64)
        .filter(|seed| check(&Gen(*seed).stream()))
        .count();
    assert!(taken > 300, "fast path too rare: {taken}");
}

proptest! {
    /// More generated documents, from random seeds.
    #[test]
    fn random_documents_match_yaml_edit(seed in 1u64..) {
        check(&Gen(seed).stream());
    }
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
    assert!(
        taken > 100 && docs > 300,
        "fast path too rare: {taken} files, {docs} docs"
    );
}
