//! Label selectors (`labelSelector=` query), parsed exactly like
//! k8s.io/apimachinery/pkg/labels: same grammar, same validation, same error
//! texts, so `kubectl get -l` behaves and fails as against kube-apiserver.
//!
//! Grammar: `[!]key [(= | == | !=) value | (in | notin) (v1,v2) | (> | <) int]`,
//! requirements separated by commas; whitespace is ignored between tokens.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use thiserror::Error;

use crate::field_error::{FieldError, aggregate};
use crate::names::{is_qualified_name, is_valid_label_value};

/// A selector that could not be parsed, with Kubernetes' message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

/// The relation between a label key and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key=value`.
    Equals,
    /// `key==value`.
    DoubleEquals,
    /// `key!=value` (also matches objects without the key).
    NotEquals,
    /// `key in (a,b)`.
    In,
    /// `key notin (a,b)` (also matches objects without the key).
    NotIn,
    /// `key`.
    Exists,
    /// `!key`.
    DoesNotExist,
    /// `key>n` (integer comparison).
    GreaterThan,
    /// `key<n` (integer comparison).
    LessThan,
}

/// One requirement; values are sorted and deduplicated as in Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Validates and builds a requirement (Kubernetes' `NewRequirement`).
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, SelectorError> {
        let mut errs: Vec<FieldError> = Vec::new();
        if let Some(e) = validate_key(key, "key") {
            errs.push(e);
        }
        let vals_json = || serde_json::to_value(&values).unwrap_or_default();
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => errs.push(FieldError::invalid(
                "values",
                vals_json(),
                "for 'in', 'notin' operators, values set can't be empty",
            )),
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals
                if values.len() != 1 =>
            {
                errs.push(FieldError::invalid(
                    "values",
                    vals_json(),
                    "exact-match compatibility requires one single value",
                ))
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                errs.push(FieldError::invalid(
                    "values",
                    vals_json(),
                    "values set must be empty for exists and does not exist",
                ))
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(FieldError::invalid(
                        "values",
                        vals_json(),
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(FieldError::invalid(
                            format!("values[{i}]"),
                            v.as_str(),
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, v) in values.iter().enumerate() {
            let problems = is_valid_label_value(v);
            if !problems.is_empty() {
                errs.push(FieldError::invalid(
                    format!("values[{i}][{key}]"),
                    v.as_str(),
                    problems.join("; "),
                ));
            }
        }
        if !errs.is_empty() {
            return Err(SelectorError(aggregate(&errs)));
        }
        let mut values = values;
        values.sort();
        values.dedup();
        Ok(Self {
            key: key.to_string(),
            operator,
            values,
        })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values (sorted, unique; empty for Exists/DoesNotExist).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether a label set satisfies this requirement; `get` looks a key up.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        let has = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                get(&self.key).is_some_and(has)
            }
            Operator::NotIn | Operator::NotEquals => get(&self.key).is_none_or(|v| !has(v)),
            Operator::Exists => get(&self.key).is_some(),
            Operator::DoesNotExist => get(&self.key).is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(actual), [limit]) = (get(&self.key), self.values.as_slice()) else {
                    return false;
                };
                match (actual.parse::<i64>(), limit.parse::<i64>()) {
                    (Ok(a), Ok(l)) if self.operator == Operator::GreaterThan => a > l,
                    (Ok(a), Ok(l)) => a < l,
                    _ => false,
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in (",
            Operator::NotIn => " notin (",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        f.write_str(op)?;
        f.write_str(&self.values.join(","))?;
        if matches!(self.operator, Operator::In | Operator::NotIn) {
            f.write_str(")")?;
        }
        Ok(())
    }
}

fn validate_key(key: &str, path: &str) -> Option<FieldError> {
    let problems = is_qualified_name(key);
    (!problems.is_empty()).then(|| FieldError::invalid(path, key, problems.join("; ")))
}

/// A parsed label selector: the AND of its requirements (sorted by key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses the `labelSelector` query value; the empty string selects everything.
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let mut p = Parser {
            items: lex(selector),
            pos: 0,
        };
        let mut requirements = p.parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
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

    /// All requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether `labels` satisfies every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|k| labels.get(k).map(String::as_str))
    }

    /// [`Self::matches`] over any label lookup (e.g. straight from a JSON object).
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str> + Copy) -> bool {
        self.requirements.iter().all(|r| r.matches_with(get))
    }

    /// [`Self::matches`] on `metadata.labels` of a JSON object (no labels = empty set).
    pub fn matches_object(&self, object: &serde_json::Value) -> bool {
        let labels = object.get("metadata").and_then(|m| m.get("labels"));
        self.matches_with(|k| {
            labels
                .and_then(|l| l.get(k))
                .and_then(serde_json::Value::as_str)
        })
    }

    /// `(key, value)` pairs every match must carry exactly (`=`, `==`, single-value `in`),
    /// for index lookups.
    pub fn exact_matches(&self) -> Vec<(&str, &str)> {
        self.requirements
            .iter()
            .filter_map(|r| match (r.operator, r.values.as_slice()) {
                (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => {
                    Some((r.key(), v.as_str()))
                }
                _ => None,
            })
            .collect()
    }

    /// The value `key` is required to equal, if the selector pins it (Kubernetes' `RequiresExactMatch`).
    pub fn requires_exact_match(&self, key: &str) -> Option<&str> {
        self.exact_matches()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    End,
    ClosedPar,
    Comma,
    Not,
    DoubleEquals,
    Equals,
    Greater,
    Ident,
    In,
    Less,
    NotEquals,
    NotIn,
    OpenPar,
}

fn symbol(s: &str) -> Option<Tok> {
    Some(match s {
        ")" => Tok::ClosedPar,
        "," => Tok::Comma,
        "!" => Tok::Not,
        "==" => Tok::DoubleEquals,
        "=" => Tok::Equals,
        ">" => Tok::Greater,
        "<" => Tok::Less,
        "!=" => Tok::NotEquals,
        "(" => Tok::OpenPar,
        _ => return None,
    })
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Tokenises like Kubernetes' `Lexer`: greedy operator symbols, identifiers up to
/// whitespace or a symbol, `in`/`notin` as keywords.
fn lex(s: &str) -> Vec<(Tok, String)> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            out.push((Tok::End, String::new()));
            return out;
        }
        let start = i;
        if is_special(b[i]) {
            let mut last: Option<(Tok, usize)> = None;
            while i < b.len() && is_special(b[i]) {
                match symbol(&s[start..=i]) {
                    Some(t) => last = Some((t, i + 1)),
                    None if last.is_some() => break,
                    None => {}
                }
                i += 1;
            }
            // Every single special byte is itself a symbol, so `last` is always set.
            let (tok, end) = last.unwrap_or((Tok::Ident, i));
            out.push((tok, s[start..end].to_string()));
            i = end;
        } else {
            while i < b.len() && !is_special(b[i]) && !is_ws(b[i]) {
                i += 1;
            }
            let lit = &s[start..i];
            let tok = match lit {
                "in" => Tok::In,
                "notin" => Tok::NotIn,
                _ => Tok::Ident,
            };
            out.push((tok, lit.to_string()));
        }
    }
}

struct Parser {
    items: Vec<(Tok, String)>,
    pos: usize,
}

impl Parser {
    /// Current token; with `values` set, `in`/`notin` read as identifiers.
    fn lookahead(&self, values: bool) -> (Tok, String) {
        let (t, l) = self
            .items
            .get(self.pos)
            .cloned()
            .unwrap_or((Tok::End, String::new()));
        (
            if values && matches!(t, Tok::In | Tok::NotIn) {
                Tok::Ident
            } else {
                t
            },
            l,
        )
    }

    fn consume(&mut self, values: bool) -> (Tok, String) {
        let r = self.lookahead(values);
        if self.pos < self.items.len() {
            self.pos += 1;
        }
        r
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut reqs = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(true);
            match tok {
                Tok::Ident | Tok::Not => {
                    let r = self
                        .requirement()
                        .map_err(|e| SelectorError(format!("unable to parse requirement: {e}")))?;
                    reqs.push(r);
                    let (t, l) = self.consume(true);
                    match t {
                        Tok::End => return Ok(reqs),
                        Tok::Comma => {
                            let (t2, l2) = self.lookahead(true);
                            if t2 != Tok::Ident && t2 != Tok::Not {
                                return Err(err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(err(format!(
                                "found '{l}', expected: ',' or 'end of string'"
                            )));
                        }
                    }
                }
                Tok::End => return Ok(reqs),
                _ => {
                    return Err(err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    )));
                }
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        let (key, unary) = self.key_and_infer_operator()?;
        if let Some(op) = unary {
            return Requirement::new(&key, op, Vec::new());
        }
        let op = self.operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.set_values()?,
            _ => self.exact_value()?,
        };
        Requirement::new(&key, op, values.into_iter().collect())
    }

    fn key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), SelectorError> {
        let (mut tok, mut lit) = self.consume(true);
        let negated = tok == Tok::Not;
        if negated {
            (tok, lit) = self.consume(true);
        }
        if tok != Tok::Ident {
            return Err(err(format!("found '{lit}', expected: identifier")));
        }
        if let Some(e) = validate_key(&lit, "<nil>") {
            return Err(SelectorError(e.to_string()));
        }
        let (next, _) = self.lookahead(true);
        let unary = if negated {
            Some(Operator::DoesNotExist)
        } else if matches!(next, Tok::End | Tok::Comma) {
            Some(Operator::Exists)
        } else {
            None
        };
        Ok((lit, unary))
    }

    fn operator(&mut self) -> Result<Operator, SelectorError> {
        let (tok, lit) = self.consume(false);
        Ok(match tok {
            Tok::In => Operator::In,
            Tok::Equals => Operator::Equals,
            Tok::DoubleEquals => Operator::DoubleEquals,
            Tok::Greater => Operator::GreaterThan,
            Tok::Less => Operator::LessThan,
            Tok::NotIn => Operator::NotIn,
            Tok::NotEquals => Operator::NotEquals,
            _ => {
                return Err(err(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                )));
            }
        })
    }

    fn set_values(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (tok, lit) = self.consume(true);
        if tok != Tok::OpenPar {
            return Err(err(format!("found '{lit}' expected: '('")));
        }
        let (tok, lit) = self.lookahead(true);
        match tok {
            Tok::Ident | Tok::Comma => {
                let s = self.identifiers_list()?;
                if self.consume(true).0 != Tok::ClosedPar {
                    return Err(err(format!("found '{lit}', expected: ')'")));
                }
                Ok(s)
            }
            Tok::ClosedPar => {
                self.consume(true);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(err(format!(
                "found '{lit}', expected: ',', ')' or identifier"
            ))),
        }
    }

    fn identifiers_list(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let mut s = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(true);
            match tok {
                Tok::Ident => {
                    s.insert(lit);
                    let (t2, l2) = self.lookahead(true);
                    match t2 {
                        Tok::Comma => continue,
                        Tok::ClosedPar => return Ok(s),
                        _ => return Err(err(format!("found '{l2}', expected: ',' or ')'"))),
                    }
                }
                Tok::Comma => {
                    if s.is_empty() {
                        s.insert(String::new());
                    }
                    match self.lookahead(true).0 {
                        Tok::ClosedPar => {
                            s.insert(String::new());
                            return Ok(s);
                        }
                        Tok::Comma => {
                            self.consume(true);
                            s.insert(String::new());
                        }
                        _ => {}
                    }
                }
                _ => return Err(err(format!("found '{lit}', expected: ',', or identifier"))),
            }
        }
    }

    fn exact_value(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (tok, _) = self.lookahead(true);
        if matches!(tok, Tok::End | Tok::Comma) {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume(true);
        if tok == Tok::Ident {
            return Ok(BTreeSet::from([lit]));
        }
        Err(err(format!("found '{lit}', expected: identifier")))
    }
}

fn err(msg: String) -> SelectorError {
    SelectorError(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sel(s: &str) -> LabelSelector {
        LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn parse_err(s: &str) -> String {
        LabelSelector::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn empty_selects_everything() {
        for s in ["", "   ", "\t\n"] {
            let l = sel(s);
            assert!(l.is_empty());
            assert!(l.matches(&labels(&[])));
        }
        assert!(LabelSelector::everything().matches(&labels(&[("a", "b")])));
    }

    #[test]
    fn equality_operators() {
        let l = labels(&[("app", "demo"), ("tier", "web")]);
        assert!(sel("app=demo").matches(&l));
        assert!(sel("app==demo").matches(&l));
        assert!(!sel("app=other").matches(&l));
        assert!(sel("app!=other").matches(&l));
        assert!(!sel("app!=demo").matches(&l));
        assert!(sel("missing!=x").matches(&l), "!= matches absent keys");
        assert!(!sel("missing=x").matches(&l));
        assert!(sel("app=demo,tier=web").matches(&l));
        assert!(!sel("app=demo,tier=db").matches(&l));
        assert!(sel(" app = demo , tier == web ").matches(&l));
    }

    #[test]
    fn set_operators() {
        let l = labels(&[("env", "prod")]);
        assert!(sel("env in (prod,dev)").matches(&l));
        assert!(sel("env in ( dev , prod )").matches(&l));
        assert!(!sel("env in (dev)").matches(&l));
        assert!(sel("env notin (dev)").matches(&l));
        assert!(!sel("env notin (prod, dev)").matches(&l));
        assert!(sel("other notin (x)").matches(&l));
        assert!(!sel("other in (x)").matches(&l));
        // Values may be the keywords themselves.
        assert!(sel("x in (in,notin)").matches(&labels(&[("x", "in")])));
        // Empty values.
        assert!(sel("x in ()").matches(&labels(&[("x", "")])));
        assert_eq!(
            sel("x in (a,,b)").requirements()[0].values(),
            ["", "a", "b"]
        );
        assert_eq!(sel("x in (,a)").requirements()[0].values(), ["", "a"]);
        assert_eq!(sel("x in (a,)").requirements()[0].values(), ["", "a"]);
        assert!(sel("x=").matches(&labels(&[("x", "")])));
        assert!(sel("x=,y").matches(&labels(&[("x", ""), ("y", "1")])));
    }

    #[test]
    fn existence() {
        let l = labels(&[("a", "1")]);
        assert!(sel("a").matches(&l));
        assert!(!sel("b").matches(&l));
        assert!(sel("!b").matches(&l));
        assert!(!sel("!a").matches(&l));
        assert!(sel("a,!b").matches(&l));
        assert!(sel(" ! b ").matches(&l));
        assert!(sel("example.com/app").matches(&labels(&[("example.com/app", "")])));
    }

    #[test]
    fn greater_less() {
        let l = labels(&[("n", "5"), ("s", "x")]);
        assert!(sel("n>3").matches(&l));
        assert!(!sel("n>5").matches(&l));
        assert!(sel("n<6").matches(&l));
        assert!(!sel("s>1").matches(&l));
        assert!(!sel("m<1").matches(&l));
        assert_eq!(
            parse_err("n>a"),
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(
            sel("b=1, a in (y,x), !c, d").to_string(),
            "a in (x,y),b=1,!c,d"
        );
        assert_eq!(
            sel("a==1,b!=2,c notin (z),n>1,m<2").to_string(),
            "a==1,b!=2,c notin (z),m<2,n>1"
        );
    }

    #[test]
    fn exact_matches_for_indexes() {
        let s = sel("app=demo,tier==web,env in (prod),x in (a,b),y!=z,k");
        assert_eq!(
            s.exact_matches(),
            vec![("app", "demo"), ("env", "prod"), ("tier", "web")]
        );
        assert_eq!(s.requires_exact_match("app"), Some("demo"));
        assert_eq!(s.requires_exact_match("x"), None);
        assert_eq!(s.requires_exact_match("nope"), None);
    }

    #[test]
    fn matches_json_objects() {
        let obj = serde_json::json!({"metadata":{"labels":{"app":"demo"}}});
        assert!(sel("app=demo").matches_object(&obj));
        assert!(!sel("app=other").matches_object(&obj));
        assert!(sel("!app").matches_object(&serde_json::json!({"metadata":{}})));
        assert!(!sel("app").matches_object(&serde_json::json!({})));
    }

    #[test]
    fn matches_with_closure() {
        let s = sel("app=demo");
        assert!(s.matches_with(|k| (k == "app").then_some("demo")));
        assert!(!s.matches_with(|_| None));
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            parse_err("x=a b"),
            "found 'b', expected: ',' or 'end of string'"
        );
        assert_eq!(parse_err("a,"), "found '', expected: identifier after ','");
        assert_eq!(
            parse_err(",a"),
            "found ',', expected: !, identifier, or 'end of string'"
        );
        assert_eq!(
            parse_err("=a"),
            "found '=', expected: !, identifier, or 'end of string'"
        );
        assert_eq!(
            parse_err("a b"),
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(
            parse_err("x in a"),
            "unable to parse requirement: found 'a' expected: '('"
        );
        assert_eq!(
            parse_err("x in (a"),
            "unable to parse requirement: found '', expected: ',' or ')'"
        );
        assert_eq!(
            parse_err("x in (a b)"),
            "unable to parse requirement: found 'b', expected: ',' or ')'"
        );
        assert_eq!(
            parse_err("x in (="),
            "unable to parse requirement: found '=', expected: ',', ')' or identifier"
        );
        assert_eq!(
            parse_err("x in (,="),
            "unable to parse requirement: found '=', expected: ',', or identifier"
        );
        assert_eq!(
            parse_err("x===a"),
            "unable to parse requirement: found '=', expected: identifier"
        );
        assert_eq!(
            parse_err("!"),
            "unable to parse requirement: found '', expected: identifier"
        );
        assert_eq!(
            parse_err("!a=b"),
            "found '=', expected: ',' or 'end of string'"
        );
    }

    #[test]
    fn validation_errors() {
        assert_eq!(
            parse_err("app=-bad-"),
            "unable to parse requirement: values[0][app]: Invalid value: \"-bad-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
        assert_eq!(
            parse_err("-key=a"),
            "unable to parse requirement: <nil>: Invalid value: \"-key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
        let long = "a".repeat(64);
        assert_eq!(
            parse_err(&format!("k={long}")),
            format!(
                "unable to parse requirement: values[0][k]: Invalid value: \"{long}\": must be no more than 63 characters"
            )
        );
        let e = parse_err("x in (-a,-b)");
        assert!(
            e.starts_with("unable to parse requirement: [values[0][x]: Invalid value: \"-a\""),
            "{e}"
        );
        assert!(e.contains(", values[1][x]: Invalid value: \"-b\""), "{e}");
        assert!(LabelSelector::parse("a/b/c").is_err());
        assert!(LabelSelector::parse("é=1").is_err());
    }

    #[test]
    fn requirement_constructor() {
        assert!(Requirement::new("a", Operator::In, vec![]).is_err());
        assert!(Requirement::new("a", Operator::Equals, vec!["1".into(), "2".into()]).is_err());
        assert!(Requirement::new("a", Operator::Exists, vec!["1".into()]).is_err());
        let r =
            Requirement::new("a", Operator::In, vec!["b".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!(r.values(), ["a", "b"]);
        assert_eq!(r.key(), "a");
        assert_eq!(r.operator(), Operator::In);
        assert_eq!(
            Requirement::new("-", Operator::Exists, vec![])
                .unwrap_err()
                .to_string(),
            "key: Invalid value: \"-\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
    }
}
