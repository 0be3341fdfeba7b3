//! The subset of kubectl's JSONPath templates porchctl users rely on:
//! `{.a.b}`, `[n]`, `[*]`, `..`-free field chains, filters
//! `[?(@.x=='y')]`, unions `['a','b']`, `{range …}{end}` and string
//! literals such as `{"\n"}`.

use serde_json::Value;

/// Errors in a template.
#[derive(Debug, thiserror::Error)]
pub enum JsonPathError {
    #[error("unclosed action in template {0:?}")]
    Unclosed(String),
    #[error("unrecognized identifier or syntax in {0:?}")]
    Syntax(String),
    #[error("{0} is not found")]
    NotFound(String),
}

/// One parsed piece of a template.
#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Expr(Vec<Step>, String),
    Range(Vec<Step>, Vec<Node>),
}

#[derive(Debug, Clone)]
enum Step {
    Field(String),
    Fields(Vec<String>),
    Index(i64),
    All,
    Filter(Vec<Step>, String),
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template(Vec<Node>);

impl Template {
    /// Parse `text`; a bare expression without braces is wrapped as kubectl does.
    pub fn parse(text: &str) -> Result<Template, JsonPathError> {
        let text = if text.contains('{') {
            text.to_string()
        } else {
            format!("{{{text}}}")
        };
        let tokens = tokenize(&text)?;
        let mut pos = 0;
        let nodes = build(&tokens, &mut pos, false)?;
        Ok(Template(nodes))
    }

    /// Render against `root`; a missing field is an error (kubectl's default for `-o jsonpath`).
    pub fn render(&self, root: &Value) -> Result<String, JsonPathError> {
        let mut out = String::new();
        render_nodes(&self.0, root, &mut out)?;
        Ok(out)
    }

    /// The values of the template's first expression (for custom columns).
    pub fn values(&self, root: &Value) -> Vec<Value> {
        for n in &self.0 {
            if let Node::Expr(steps, _) = n {
                return eval(steps, root);
            }
        }
        Vec::new()
    }
}

enum Token {
    Text(String),
    Action(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, JsonPathError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        if i > 0 {
            out.push(Token::Text(rest[..i].to_string()));
        }
        let after = &rest[i + 1..];
        // A closing brace inside a quoted literal does not end the action.
        let mut end = None;
        let mut quote: Option<char> = None;
        for (j, c) in after.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (None, '"') | (None, '\'') => quote = Some(c),
                (None, '}') => {
                    end = Some(j);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or_else(|| JsonPathError::Unclosed(text.to_string()))?;
        out.push(Token::Action(after[..end].trim().to_string()));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Token::Text(rest.to_string()));
    }
    Ok(out)
}

fn build(tokens: &[Token], pos: &mut usize, in_range: bool) -> Result<Vec<Node>, JsonPathError> {
    let mut nodes = Vec::new();
    while *pos < tokens.len() {
        let t = &tokens[*pos];
        *pos += 1;
        match t {
            Token::Text(s) => nodes.push(Node::Text(s.clone())),
            Token::Action(a) if a == "end" => {
                if in_range {
                    return Ok(nodes);
                }
                return Err(JsonPathError::Syntax(a.clone()));
            }
            Token::Action(a) => {
                if let Some(expr) = a.strip_prefix("range ") {
                    let steps = parse_steps(expr.trim())?;
                    let body = build(tokens, pos, true)?;
                    nodes.push(Node::Range(steps, body));
                } else if let Some(lit) = string_literal(a) {
                    nodes.push(Node::Text(lit));
                } else {
                    nodes.push(Node::Expr(parse_steps(a)?, a.clone()));
                }
            }
        }
    }
    if in_range {
        return Err(JsonPathError::Syntax("range without end".into()));
    }
    Ok(nodes)
}

/// `"…"` with Go escapes (`\n`, `\t`).
fn string_literal(a: &str) -> Option<String> {
    let inner = a.strip_prefix('"')?.strip_suffix('"')?;
    Some(
        inner
            .replace("\\n", "\n")
            .replace("\\t", "\t")
            .replace("\\\"", "\""),
    )
}

fn parse_steps(expr: &str) -> Result<Vec<Step>, JsonPathError> {
    let err = || JsonPathError::Syntax(expr.to_string());
    let mut steps = Vec::new();
    let s = expr.strip_prefix('$').unwrap_or(expr);
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => {
                i += 1;
                let start = i;
                while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                    i += 1;
                }
                if i > start {
                    steps.push(Step::Field(s[start..i].to_string()));
                }
            }
            b'[' => {
                let close = matching_bracket(s, i).ok_or_else(err)?;
                let inner = s[i + 1..close].trim();
                steps.push(bracket(inner).ok_or_else(err)?);
                i = close + 1;
            }
            b'@' if i == 0 => i += 1,
            _ => {
                // A leading field without a dot (`metadata.name`).
                let start = i;
                while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                    i += 1;
                }
                steps.push(Step::Field(s[start..i].to_string()));
            }
        }
    }
    Ok(steps)
}

fn matching_bracket(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (j, c) in s[open..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'') | (None, '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + j);
                }
            }
            _ => {}
        }
    }
    None
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    t.strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .or_else(|| t.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
        .unwrap_or(t)
        .to_string()
}

fn bracket(inner: &str) -> Option<Step> {
    if inner == "*" {
        return Some(Step::All);
    }
    if let Some(f) = inner.strip_prefix("?(").and_then(|x| x.strip_suffix(')')) {
        let (lhs, rhs) = f.split_once("==")?;
        let lhs = lhs.trim();
        let path = parse_steps(lhs.strip_prefix('@').unwrap_or(lhs)).ok()?;
        return Some(Step::Filter(path, unquote(rhs)));
    }
    if let Ok(n) = inner.parse::<i64>() {
        return Some(Step::Index(n));
    }
    let names: Vec<String> = inner.split(',').map(unquote).collect();
    if names.len() == 1 {
        return names.into_iter().next().map(Step::Field);
    }
    Some(Step::Fields(names))
}

fn eval(steps: &[Step], root: &Value) -> Vec<Value> {
    let mut cur = vec![root.clone()];
    for step in steps {
        let mut next = Vec::new();
        for v in &cur {
            match step {
                Step::Field(f) => {
                    if let Some(x) = v.get(f) {
                        next.push(x.clone());
                    }
                }
                Step::Fields(fs) => {
                    for f in fs {
                        if let Some(x) = v.get(f) {
                            next.push(x.clone());
                        }
                    }
                }
                Step::Index(n) => {
                    if let Some(a) = v.as_array() {
                        let idx = if *n < 0 { a.len() as i64 + n } else { *n };
                        if let Some(x) = usize::try_from(idx).ok().and_then(|i| a.get(i)) {
                            next.push(x.clone());
                        }
                    }
                }
                Step::All => match v {
                    Value::Array(a) => next.extend(a.iter().cloned()),
                    Value::Object(m) => next.extend(m.values().cloned()),
                    _ => {}
                },
                Step::Filter(path, want) => {
                    if let Some(a) = v.as_array() {
                        for item in a {
                            if eval(path, item).iter().any(|x| scalar(x) == *want) {
                                next.push(item.clone());
                            }
                        }
                    }
                }
            }
        }
        cur = next;
    }
    cur
}

/// How kubectl prints one value: strings raw, everything else as JSON.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn render_nodes(nodes: &[Node], root: &Value, out: &mut String) -> Result<(), JsonPathError> {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Expr(steps, src) => {
                let vals = eval(steps, root);
                if vals.is_empty() && !steps.is_empty() {
                    return Err(JsonPathError::NotFound(
                        src.trim_start_matches('.')
                            .split('.')
                            .next_back()
                            .unwrap_or(src)
                            .to_string(),
                    ));
                }
                let parts: Vec<String> = vals.iter().map(scalar).collect();
                out.push_str(&parts.join(" "));
            }
            Node::Range(steps, body) => {
                for v in eval(steps, root) {
                    render_nodes(body, &v, out)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_filters_and_ranges() {
        let v = json!({"metadata": {"name": "a"}, "status": {"conditions": [
            {"type": "X", "status": "False"}, {"type": "Ready", "status": "True"}]},
            "items": [{"n": 1}, {"n": 2}]});
        let t = |s: &str| {
            Template::parse(s)
                .and_then(|t| t.render(&v))
                .unwrap_or_else(|e| e.to_string())
        };
        assert_eq!(t("{.metadata.name}"), "a");
        assert_eq!(t(".status.conditions[?(@.type=='Ready')].status"), "True");
        assert_eq!(t("{range .items[*]}{.n}{\"\\n\"}{end}"), "1\n2\n");
        assert_eq!(t("{.items[-1].n}"), "2");
        assert_eq!(t("{.spec.x}"), "x is not found");
    }
}
