//! `.krmignore`: per-package gitignore-style patterns for files that are
//! not resources (test expectations, scratch files).

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// File name of the ignore list in a package directory.
pub const KRMIGNORE: &str = ".krmignore";

/// The compiled patterns of one package's `.krmignore`.
#[derive(Debug, Clone)]
pub struct KrmIgnore {
    matcher: Option<Gitignore>,
}

impl KrmIgnore {
    /// Compiles a `.krmignore` text; unparsable lines are skipped (as git does).
    pub fn parse(text: &str) -> Self {
        let mut b = GitignoreBuilder::new("/");
        for line in text.lines() {
            let _ = b.add_line(None, line);
        }
        Self {
            matcher: b.build().ok(),
        }
    }

    /// No patterns.
    pub fn empty() -> Self {
        Self { matcher: None }
    }

    /// Whether a package-relative file path (or one of its directories) is ignored.
    pub fn is_ignored(&self, rel_path: &str) -> bool {
        let Some(m) = &self.matcher else {
            return false;
        };
        let path = format!("/{}", rel_path.trim_start_matches('/'));
        m.matched_path_or_any_parents(&path, false).is_ignore()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_and_globs() {
        let k = KrmIgnore::parse(".expected\n*.tmp\n!keep.tmp\n# comment\n");
        assert!(k.is_ignored(".expected/config.yaml"));
        assert!(k.is_ignored("a/b.tmp"));
        assert!(!k.is_ignored("keep.tmp"));
        assert!(!k.is_ignored("resources.yaml"));
    }
}
