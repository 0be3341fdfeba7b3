//! Multi-document YAML files, split into objects and joined back.
//!
//! A package file may hold several documents, comments between them and
//! empty documents. Splitting keeps the text around the documents so that a
//! file whose objects are unchanged is written back byte for byte; a file
//! whose objects changed is rebuilt from the objects' own (lossless) text.

use rowan::ast::AstNode;
use yaml_edit::{Lang, SyntaxKind};

use crate::object::{KubeObject, ObjectError, parse_error};

/// A YAML file could not be read; names the file and the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {source}")]
pub struct FileError {
    /// Package-relative path of the file.
    pub path: String,
    /// What went wrong (with the line number for syntax errors).
    pub source: ObjectError,
}

/// Sequence indentation style of a file, kept when functions rewrite it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeqIndent {
    /// `- item` at the same column as the parent key.
    #[default]
    Compact,
    /// `- item` indented below the parent key.
    Wide,
}

impl SeqIndent {
    /// The annotation value (`compact` / `wide`).
    pub fn as_str(self) -> &'static str {
        match self {
            SeqIndent::Compact => "compact",
            SeqIndent::Wide => "wide",
        }
    }

    /// Derives the style from the first block sequence under a key.
    pub fn detect(text: &str) -> Self {
        let mut prev: Option<&str> = None;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if (trimmed.starts_with("- ") || trimmed == "-")
                && let Some(p) = prev
                && p.trim_end().ends_with(':')
            {
                let indent = |s: &str| s.len() - s.trim_start().len();
                let parent = indent(p)
                    + if p.trim_start().starts_with("- ") {
                        2
                    } else {
                        0
                    };
                return if indent(line) > parent {
                    SeqIndent::Wide
                } else {
                    SeqIndent::Compact
                };
            }
            prev = Some(line);
        }
        SeqIndent::Compact
    }
}

/// What a file looked like when read.
#[derive(Debug, Clone, Default)]
struct Original {
    text: String,
    documents: Vec<KubeObject>,
    prefix: String,
    suffix: String,
    gaps: Vec<String>,
}

/// A parsed multi-document file.
#[derive(Debug, Clone)]
pub struct ResourceFile {
    /// Text before the first document (stream-level comments).
    pub prefix: String,
    /// Every document, empty ones included, in file order.
    pub documents: Vec<KubeObject>,
    /// Text found between document `i - 1` and document `i` (such as a
    /// stray `...`); cleared when documents are added or removed.
    pub gaps: Vec<String>,
    /// Text after the last document.
    pub suffix: String,
    /// Sequence indentation of the file.
    pub seq_indent: SeqIndent,
    /// The text as read and untouched copies of its documents, to write an
    /// unchanged file without re-serialising it.
    original: Original,
}

impl ResourceFile {
    /// Parses a file; errors name `path` and the line.
    pub fn parse(path: &str, text: &str) -> Result<Self, FileError> {
        let file = crate::fastparse::parse_yaml(text).map_err(|e| FileError {
            path: path.to_string(),
            source: parse_error(e),
        })?;
        let mut documents = Vec::new();
        let mut gaps = Vec::new();
        let mut first = None;
        let mut last = 0usize;
        // An immutable view computes offsets in one pass (the mutable tree
        // recomputes them per node).
        let view = rowan::SyntaxNode::<Lang>::new_root(file.syntax().green().into_owned());
        for doc in view.children().filter(|n| n.kind() == SyntaxKind::DOCUMENT) {
            let range = doc.text_range();
            let start = usize::from(range.start());
            gaps.push(
                text.get(last.min(start)..start)
                    .unwrap_or_default()
                    .to_string(),
            );
            first.get_or_insert(start);
            last = usize::from(range.end());
            documents.push(KubeObject::from_green(doc.green().into_owned()));
        }
        if let Some(g) = gaps.first_mut() {
            g.clear();
        }
        let start = first.unwrap_or(text.len()).min(text.len());
        let end = last.clamp(start, text.len());
        let prefix = text.get(..start).unwrap_or_default().to_string();
        let suffix = text.get(end..).unwrap_or_default().to_string();
        let original = Original {
            text: text.to_string(),
            documents: documents.iter().map(KubeObject::deep_copy).collect(),
            prefix: prefix.clone(),
            suffix: suffix.clone(),
            gaps: gaps.clone(),
        };
        Ok(Self {
            prefix,
            documents,
            gaps,
            suffix,
            seq_indent: SeqIndent::detect(text),
            original,
        })
    }

    /// The documents that hold content (kpt skips empty ones and does not
    /// count them when numbering), with their index.
    pub fn objects(&self) -> impl Iterator<Item = (usize, &KubeObject)> {
        self.documents
            .iter()
            .filter(|d| !d.is_empty_document())
            .enumerate()
    }

    /// The file text: byte-identical to the input when nothing changed.
    pub fn text(&self) -> String {
        let o = &self.original;
        if o.documents.len() == self.documents.len()
            && o.gaps == self.gaps
            && o.prefix == self.prefix
            && o.suffix == self.suffix
            && o.documents
                .iter()
                .zip(&self.documents)
                .all(|(a, b)| a.same_tree(b))
        {
            return o.text.clone();
        }
        let docs: Vec<String> = self
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| {
                format!(
                    "{}{}",
                    self.gaps.get(i).map_or("", String::as_str),
                    d.text()
                )
            })
            .collect();
        join_documents(&self.prefix, &docs, &self.suffix)
    }
}

/// Joins document texts into a file, adding `---` separators and line
/// breaks only where a document lacks them.
pub fn join_documents(prefix: &str, docs: &[String], suffix: &str) -> String {
    let mut out = String::from(prefix);
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            let ended = out.ends_with("\n...\n") || out == "...\n";
            let marked = doc.trim_start_matches(['\n', ' ', '.']).starts_with("---")
                || doc.starts_with("---")
                || doc.starts_with("...");
            if !marked && !ended {
                out.push_str("---\n");
            }
        }
        out.push_str(doc);
    }
    out.push_str(suffix);
    out
}

/// Whether a package file name is read as resources (`Kptfile`, `*.yaml`, `*.yml`).
pub fn is_resource_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Kptfile" || name.ends_with(".yaml") || name.ends_with(".yml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_files_round_trip() {
        let text = "# lead\n---\na: 1\n---\n# between\n\n---\nb: 2 # c\n...\n";
        let f = ResourceFile::parse("x.yaml", text).unwrap();
        assert_eq!(f.text(), text);
        assert_eq!(f.objects().count(), 2);
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = ResourceFile::parse("bad.yaml", "a: 1\nb: [\n").unwrap_err();
        assert!(e.to_string().starts_with("bad.yaml: line "), "{e}");
    }

    #[test]
    fn seq_indent_is_detected() {
        assert_eq!(SeqIndent::detect("a:\n- x\n"), SeqIndent::Compact);
        assert_eq!(SeqIndent::detect("a:\n  - x\n"), SeqIndent::Wide);
    }

    #[test]
    fn joining_adds_separators() {
        assert_eq!(
            join_documents("", &["a: 1\n".into(), "b: 2\n".into()], ""),
            "a: 1\n---\nb: 2\n"
        );
    }
}
