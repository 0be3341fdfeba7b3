//! kpt's Kptfile validation rules, with kpt's error texts.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

use super::{Function, Kptfile};

/// A Kptfile field that breaks a rule, reported as kpt does:
/// ``Kptfile is invalid:\nField: `<field>`\nValue: "<value>"\nReason: <reason>``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    /// Dotted path of the field, e.g. `pipeline.mutators[1].configPath`.
    pub field: String,
    /// The offending value, when there is one.
    pub value: Option<String>,
    /// Why it is invalid.
    pub reason: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kptfile is invalid:\nField: `{}`\n", self.field)?;
        if let Some(v) = &self.value {
            writeln!(f, "Value: {v:?}")?;
        }
        write!(f, "Reason: {}", self.reason)
    }
}

impl Invalid {
    /// An error about `field`, with or without a value.
    pub fn new(field: impl Into<String>, value: Option<&str>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            value: value.map(str::to_string),
            reason: reason.into(),
        }
    }
}

fn image_reference() -> &'static Option<Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        let component = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
        let domain = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)";
        let pattern = format!(
            r"^{domain}?{component}(?:/{component})*(?::[\w][\w.-]{{0,127}})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{{32,}})?$"
        );
        Regex::new(&pattern).ok()
    })
}

/// Checks a function image reference.
pub fn check_image(image: &str) -> Result<(), String> {
    if image_reference()
        .as_ref()
        .is_none_or(|re| re.is_match(image))
    {
        Ok(())
    } else {
        Err(format!(
            "function image reference {image:?} is invalid: invalid reference format"
        ))
    }
}

/// Checks a `configPath`: relative and inside the package.
pub fn check_config_path(path: &str) -> Result<(), &'static str> {
    if path.trim().is_empty() {
        return Err("path must not be empty");
    }
    if path.starts_with('/') {
        return Err("path must be relative");
    }
    if path.split('/').any(|s| s == "..") {
        return Err("path must not be outside the package");
    }
    Ok(())
}

fn check_function(f: &Function, field: &str) -> Result<(), Invalid> {
    match (f.image.is_empty(), f.exec.is_empty()) {
        (true, true) => {
            return Err(Invalid::new(
                field,
                None,
                "must specify a functon (`image` or `exec`) to execute",
            ));
        }
        (false, false) => {
            return Err(Invalid::new(
                field,
                None,
                "must not specify both `image` and `exec` at the same time",
            ));
        }
        _ => {}
    }
    if !f.image.is_empty() {
        check_image(&f.image)
            .map_err(|r| Invalid::new(format!("{field}.image"), Some(&f.image), r))?;
    }
    if f.config_map.is_some() && !f.config_path.is_empty() {
        return Err(Invalid::new(
            field,
            None,
            "functionConfig must not specify both `configMap` and `configPath` at the same time",
        ));
    }
    if !f.config_path.is_empty() {
        check_config_path(&f.config_path)
            .map_err(|r| Invalid::new(format!("{field}.configPath"), Some(&f.config_path), r))?;
    }
    Ok(())
}

impl Kptfile {
    /// Applies kpt's validation rules; the first broken rule is reported.
    pub fn validate(&self) -> Result<(), Invalid> {
        let Some(p) = &self.pipeline else {
            return Ok(());
        };
        for (list, fns) in [("mutators", &p.mutators), ("validators", &p.validators)] {
            for (i, f) in fns.iter().enumerate() {
                check_function(f, &format!("pipeline.{list}[{i}]"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_path_rules() {
        assert_eq!(
            check_config_path("some/../../home/.kube/config"),
            Err("path must not be outside the package")
        );
        assert_eq!(check_config_path("/etc/x"), Err("path must be relative"));
        assert_eq!(check_config_path("a/b.yaml"), Ok(()));
    }

    #[test]
    fn image_rules() {
        assert!(check_image("ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.1.5").is_ok());
        assert!(check_image("set-namespace").is_ok());
        assert!(check_image("localhost:5000/fn@sha256:0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_image("Bad Image").is_err());
    }

    #[test]
    fn error_text_matches_kpt() {
        let e = Invalid::new(
            "pipeline.mutators[1].configPath",
            Some("some/../../home/.kube/config"),
            "path must not be outside the package",
        );
        assert_eq!(
            e.to_string(),
            "Kptfile is invalid:\nField: `pipeline.mutators[1].configPath`\nValue: \"some/../../home/.kube/config\"\nReason: path must not be outside the package"
        );
    }
}
