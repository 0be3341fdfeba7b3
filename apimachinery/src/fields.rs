//! Field selectors (`fieldSelector=` query), parsed like
//! k8s.io/apimachinery/pkg/fields: `field(=|==|!=)value` terms separated by
//! commas, values escaped with `\` (`\\`, `\,`, `\=`) as `fields.EscapeValue` does.
//!
//! Which fields a resource supports is the caller's business; it reports
//! unsupported ones with [`FieldSelectorError::UnsupportedField`].

use std::fmt;

use thiserror::Error;

/// Why a field selector was rejected (all map to 400 BadRequest).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldSelectorError {
    /// A term without a recognised operator.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    Syntax {
        /// The whole selector.
        selector: String,
        /// The term that could not be split.
        term: String,
    },
    /// A backslash not followed by `\`, `,` or `=`.
    #[error("invalid field selector: invalid escape sequence: {0}")]
    InvalidEscape(String),
    /// An unescaped `,` or `=` inside a value (Go prints the rune as a number).
    #[error("invalid field selector: unescaped character in value: {}", u32::from(*.0))]
    UnescapedRune(char),
    /// The resource does not support selecting on this field.
    #[error("field label not supported: {0}")]
    UnsupportedField(String),
}

/// The two field selector comparisons (`=` and `==` are the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `field=value` or `field==value`.
    Equals,
    /// `field!=value`.
    NotEquals,
}

/// One `field op value` term, value unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// Field path, e.g. `metadata.name`, `spec.repository`.
    pub field: String,
    /// Comparison.
    pub operator: FieldOperator,
    /// Literal value.
    pub value: String,
}

/// A parsed field selector: the AND of its requirements (sorted by term text, as Kubernetes does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parses the `fieldSelector` query value; the empty string selects everything.
    pub fn parse(selector: &str) -> Result<Self, FieldSelectorError> {
        let mut terms = split_terms(selector);
        terms.sort_unstable();
        let mut requirements = Vec::with_capacity(terms.len());
        for term in terms.into_iter().filter(|t| !t.is_empty()) {
            let (field, op, raw) = split_term(term).ok_or_else(|| FieldSelectorError::Syntax {
                selector: selector.to_string(),
                term: term.to_string(),
            })?;
            requirements.push(FieldRequirement {
                field: field.to_string(),
                operator: op,
                value: unescape_value(raw)?,
            });
        }
        Ok(Self { requirements })
    }

    /// A selector matching every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// Whether the selector places no restriction.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// All requirements.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// Whether an object satisfies every requirement; `get` returns a field's
    /// value (`None` = field absent, treated as the empty string like Kubernetes' field sets).
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| {
            let actual = get(&r.field).unwrap_or_default();
            match r.operator {
                FieldOperator::Equals => actual == r.value,
                FieldOperator::NotEquals => actual != r.value,
            }
        })
    }

    /// The value `field` must equal, if an `=`/`==` term pins it (for index lookups).
    pub fn exact(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && r.operator == FieldOperator::Equals)
            .map(|r| r.value.as_str())
    }

    /// Fails with `field label not supported: <f>` for the first field not in `supported`.
    pub fn check_supported(&self, supported: &[&str]) -> Result<(), FieldSelectorError> {
        match self
            .requirements
            .iter()
            .find(|r| !supported.contains(&r.field.as_str()))
        {
            Some(r) => Err(FieldSelectorError::UnsupportedField(r.field.clone())),
            None => Ok(()),
        }
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match r.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            write!(f, "{}{op}{}", r.field, escape_value(&r.value))?;
        }
        Ok(())
    }
}

/// Splits on commas not preceded by a backslash (escapes are kept for `unescape_value`).
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let (mut start, mut in_slash) = (0, false);
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits at the first operator (`!=`, then `==`, then `=` at each position).
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, kind) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], kind, value));
            }
        }
    }
    None
}

/// Escapes a literal for use as a field selector value (`fields.EscapeValue`).
pub fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Reverses [`escape_value`], rejecting bad escapes and bare `,`/`=` (`fields.UnescapeValue`).
pub fn unescape_value(s: &str) -> Result<String, FieldSelectorError> {
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(FieldSelectorError::InvalidEscape(format!("\\{c}")));
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => return Err(FieldSelectorError::UnescapedRune(c)),
            c => out.push(c),
        }
    }
    if in_slash {
        return Err(FieldSelectorError::InvalidEscape("\\".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn getter<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |f| {
            pairs
                .iter()
                .find(|(k, _)| *k == f)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn basic_terms() {
        let s = FieldSelector::parse("metadata.name=X").unwrap();
        assert_eq!(
            s.requirements(),
            [FieldRequirement {
                field: "metadata.name".into(),
                operator: FieldOperator::Equals,
                value: "X".into()
            }]
        );
        assert!(s.matches(getter(&[("metadata.name", "X")])));
        assert!(!s.matches(getter(&[("metadata.name", "Y")])));
        assert_eq!(s.exact("metadata.name"), Some("X"));
        assert_eq!(s.exact("metadata.namespace"), None);
    }

    #[test]
    fn operators_and_multiple_terms() {
        let s =
            FieldSelector::parse("spec.lifecycle!=Published,metadata.namespace==default").unwrap();
        assert_eq!(s.requirements().len(), 2);
        // Terms are sorted by their text.
        assert_eq!(s.requirements()[0].field, "metadata.namespace");
        assert_eq!(s.exact("metadata.namespace"), Some("default"));
        assert_eq!(s.exact("spec.lifecycle"), None);
        let obj = [
            ("spec.lifecycle", "Draft"),
            ("metadata.namespace", "default"),
        ];
        assert!(s.matches(getter(&obj)));
        let obj = [
            ("spec.lifecycle", "Published"),
            ("metadata.namespace", "default"),
        ];
        assert!(!s.matches(getter(&obj)));
        assert_eq!(
            s.to_string(),
            "metadata.namespace=default,spec.lifecycle!=Published"
        );
    }

    #[test]
    fn empty_and_absent() {
        assert!(FieldSelector::parse("").unwrap().is_empty());
        assert!(FieldSelector::parse(",,").unwrap().is_empty());
        assert!(FieldSelector::everything().matches(|_| None));
        // Absent fields compare as "".
        let s = FieldSelector::parse("spec.x=").unwrap();
        assert!(s.matches(|_| None));
        assert!(FieldSelector::parse("spec.x!=a").unwrap().matches(|_| None));
    }

    #[test]
    fn escapes() {
        let s = FieldSelector::parse(r"metadata.name=a\,b\=c\\d,spec.x=y").unwrap();
        assert_eq!(s.exact("metadata.name"), Some(r"a,b=c\d"));
        assert_eq!(s.exact("spec.x"), Some("y"));
        assert_eq!(escape_value(r"a,b=c\d"), r"a\,b\=c\\d");
        assert_eq!(unescape_value(&escape_value("x=,\\y")).unwrap(), "x=,\\y");
        assert_eq!(s.to_string(), r"metadata.name=a\,b\=c\\d,spec.x=y");
    }

    #[test]
    fn errors() {
        assert_eq!(
            FieldSelector::parse("metadata.name")
                .unwrap_err()
                .to_string(),
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
        );
        assert_eq!(
            FieldSelector::parse("a=b,c").unwrap_err().to_string(),
            "invalid selector: 'a=b,c'; can't understand 'c'"
        );
        assert_eq!(
            FieldSelector::parse(r"a=b\x").unwrap_err().to_string(),
            r"invalid field selector: invalid escape sequence: \x"
        );
        assert_eq!(
            FieldSelector::parse(r"a=b\").unwrap_err().to_string(),
            r"invalid field selector: invalid escape sequence: \"
        );
        assert_eq!(
            FieldSelector::parse("a=b=c").unwrap_err().to_string(),
            "invalid field selector: unescaped character in value: 61"
        );
    }

    #[test]
    fn operator_split_rules() {
        // `!=` wins over `=` at the same position; `==` leaves no leading `=` in the value.
        let s = FieldSelector::parse("a!=b").unwrap();
        assert_eq!(s.requirements()[0].operator, FieldOperator::NotEquals);
        let s = FieldSelector::parse("a==b").unwrap();
        assert_eq!(s.requirements()[0].value, "b");
        // The first operator position splits; no whitespace trimming (as in Kubernetes).
        let s = FieldSelector::parse("a =b").unwrap();
        assert_eq!(s.requirements()[0].field, "a ");
        // Empty field names parse (and are then unsupported).
        let s = FieldSelector::parse("=x").unwrap();
        assert_eq!(s.requirements()[0].field, "");
    }

    #[test]
    fn unsupported_field() {
        let s = FieldSelector::parse("metadata.name=a,spec.foo=b").unwrap();
        assert_eq!(s.check_supported(&["metadata.name", "spec.foo"]), Ok(()));
        assert_eq!(
            s.check_supported(&["metadata.name"])
                .unwrap_err()
                .to_string(),
            "field label not supported: spec.foo"
        );
        assert_eq!(
            FieldSelectorError::UnsupportedField("x".into()).to_string(),
            "field label not supported: x"
        );
    }
}
