//! kpt's wording for Kptfiles it cannot decode.
//!
//! kpt decodes Kptfiles with Go's YAML library, and users (and kpt's test
//! corpus) see its messages: `yaml: line 10: mapping values are not allowed
//! in this context` for syntax errors and `yaml: unmarshal errors:\n  line
//! 13: field targetResources not found in type v1.Function` for unknown
//! fields. The serde messages carry the same facts (problem, field, line),
//! so they are rewritten into Go's form; shapes with no exact Go
//! counterpart keep serde's wording rather than guessing.

use std::sync::OnceLock;

use regex::Regex;

/// Go's message for a YAML syntax error, given serde's message.
pub(super) fn syntax_error(serde: &str) -> String {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^([^,]+) at line (\d+) column \d+$").ok());
    // A `, while parsing … at line …` context changes which line Go names.
    match re.as_ref().and_then(|re| re.captures(serde)) {
        Some(c) => format!("yaml: line {}: {}", &c[2], &c[1]),
        None => serde.to_string(),
    }
}

/// Go's message for a Kptfile that does not fit the schema, given serde's
/// message; only unknown fields of a known kpt type are rewritten.
pub(super) fn schema_error(serde: &str) -> String {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^(?:([\w.\[\]]+): )?unknown field `([^`]+)`.* at line (\d+) column \d+$").ok()
    });
    let Some(c) = re.as_ref().and_then(|re| re.captures(serde)) else {
        return serde.to_string();
    };
    let path = c.get(1).map_or("", |m| m.as_str());
    match go_type(path) {
        Some(ty) => format!(
            "yaml: unmarshal errors:\n  line {}: field {} not found in type v1.{ty}",
            &c[3], &c[2]
        ),
        None => serde.to_string(),
    }
}

/// The Go type (package `v1` of kpt) decoded at a serde field path such as
/// `pipeline.mutators[1]`.
fn go_type(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| s.split('[').next().unwrap_or(s))
        .collect();
    let ty = match segments.as_slice() {
        [] => "KptFile",
        [.., "upstreamLock", "git"] => "GitLock",
        [.., "upstream", "git"] => "Git",
        [.., last] => match *last {
            "upstream" => "Upstream",
            "upstreamLock" => "UpstreamLock",
            "info" => "PackageInfo",
            "readinessGates" => "ReadinessGate",
            "pipeline" => "Pipeline",
            "mutators" | "validators" => "Function",
            "selectors" | "exclude" => "Selector",
            "inventory" => "Inventory",
            "status" => "Status",
            "conditions" => "Condition",
            _ => return None,
        },
    };
    Some(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_read_like_go() {
        assert_eq!(
            syntax_error("mapping values are not allowed in this context at line 10 column 12"),
            "yaml: line 10: mapping values are not allowed in this context"
        );
        let ctx = "did not find expected key at line 3 column 1, while parsing a block mapping at line 1 column 1";
        assert_eq!(syntax_error(ctx), ctx);
    }

    #[test]
    fn unknown_fields_read_like_go() {
        assert_eq!(
            schema_error(
                "pipeline.mutators[1]: unknown field `targetResources`, expected one of `image`, `exec` at line 13 column 7"
            ),
            "yaml: unmarshal errors:\n  line 13: field targetResources not found in type v1.Function"
        );
        assert_eq!(
            schema_error("unknown field `foo`, expected one of `apiVersion` at line 3 column 1"),
            "yaml: unmarshal errors:\n  line 3: field foo not found in type v1.KptFile"
        );
        let other = "metadata.labels: invalid type: sequence, expected a map at line 4 column 3";
        assert_eq!(schema_error(other), other);
    }
}
