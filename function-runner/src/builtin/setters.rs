//! The `# kpt-set: <pattern>` convention shared by apply-setters,
//! create-setters and list-setters: markers, setter values, and the text
//! form of a list value.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// Prefix of a setter comment.
pub const PREFIX: &str = "kpt-set:";

fn marker_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\$\{([^}]*)\}").unwrap_or_else(|_| unreachable!()))
}

/// The pattern of a setter comment (`kpt-set: ${a}-x` → `${a}-x`).
pub fn pattern(comment: &str) -> Option<&str> {
    comment.strip_prefix(PREFIX).map(str::trim)
}

/// Setter names referenced by a pattern, in order.
pub fn markers(pattern: &str) -> Vec<String> {
    marker_re()
        .captures_iter(pattern)
        .map(|c| c[1].to_string())
        .collect()
}

/// Substitutes `values` into the pattern.
pub fn substitute(pattern: &str, values: &BTreeMap<String, String>) -> String {
    marker_re()
        .replace_all(pattern, |c: &regex::Captures<'_>| {
            values
                .get(&c[1])
                .cloned()
                .unwrap_or_else(|| c[0].to_string())
        })
        .into_owned()
}

/// Recovers the values of the markers from a current value that was
/// produced by the pattern (`${p}-${n}` against `proj-bucket`).
pub fn recover(pattern: &str, current: &str) -> Option<BTreeMap<String, String>> {
    let mut re = String::from("^");
    let mut last = 0;
    let mut names = Vec::new();
    for c in marker_re().captures_iter(pattern) {
        let m = c.get(0)?;
        re.push_str(&regex::escape(&pattern[last..m.start()]));
        re.push_str("(.*)");
        names.push(c[1].to_string());
        last = m.end();
    }
    re.push_str(&regex::escape(&pattern[last..]));
    re.push('$');
    let caps = Regex::new(&re).ok()?.captures(current)?;
    Some(
        names
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n, caps.get(i + 1).map_or("", |m| m.as_str()).to_string()))
            .collect(),
    )
}

/// A setter value read as a list (`[a, b]` or `- a\n- b`), if it is one.
pub fn as_list(value: &str) -> Option<Vec<String>> {
    let t = value.trim();
    if !(t.starts_with('[') || t.starts_with("- ") || t == "-") {
        return None;
    }
    match serde_norway::from_str::<Value>(t).ok()? {
        Value::Array(a) => Some(a.iter().map(super::config::scalar_string).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_markers_from_current_values() {
        let got = recover("${project-id}-${name}", "blueprints-project-bucket").unwrap();
        assert_eq!(got["project-id"], "blueprints-project");
        assert_eq!(got["name"], "bucket");
        assert!(recover("a-${x}", "b-1").is_none());
        assert_eq!(
            as_list("- prod\n- stage"),
            Some(vec!["prod".into(), "stage".into()])
        );
        assert_eq!(as_list("[a, b]"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(as_list("plain"), None);
    }
}
