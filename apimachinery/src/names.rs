//! Name validation with Kubernetes' exact messages, and `generateName` suffixes.
//!
//! Mirrors k8s.io/apimachinery/pkg/util/validation: each validator returns the
//! list of problems (empty = valid) so callers can wrap them in field errors.

use rand::Rng;

/// Regex (documentation only) for an RFC 1123 label.
pub const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
/// Maximum length of an RFC 1123 label.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// Regex (documentation only) for an RFC 1123 subdomain.
pub const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
/// Maximum length of an RFC 1123 subdomain.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// Maximum length of the name part of a qualified name and of a label value.
pub const QUALIFIED_NAME_MAX_LENGTH: usize = 63;
/// Regex (documentation only) for the name part of a qualified name.
pub const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
/// Regex (documentation only) for a label value.
pub const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// The alphabet of generated name suffixes (k8s `utilrand`: no vowels, no confusable digits).
pub const GENERATE_NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Length of the random suffix appended to `generateName`.
pub const GENERATE_NAME_SUFFIX_LENGTH: usize = 5;
/// Longest `generateName` prefix kept before the suffix (63 - 5).
pub const MAX_GENERATED_NAME_PREFIX: usize = 58;

/// `must be no more than N characters`.
pub fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

/// Kubernetes' `RegexError`: message, examples and the regex.
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut s = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push_str(&format!("'{e}', "));
    }
    s.push_str(&format!("regex used for validation is '{fmt}')"));
    s
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            is_lower_alnum(f)
                && is_lower_alnum(l)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

fn matches_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// Validates an RFC 1123 label (namespace names, most short names).
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// Validates an RFC 1123 subdomain (most object names, Secret names).
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// Validates a qualified name (`[prefix/]name`): label and annotation keys.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > QUALIFIED_NAME_MAX_LENGTH {
        errs.push(format!(
            "name part {}",
            max_len_error(QUALIFIED_NAME_MAX_LENGTH)
        ));
    }
    if !matches_qualified_name_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Validates a label value (empty or a qualified-name-like token of ≤ 63 characters).
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > QUALIFIED_NAME_MAX_LENGTH {
        errs.push(max_len_error(QUALIFIED_NAME_MAX_LENGTH));
    }
    if !value.is_empty() && !matches_qualified_name_part(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// A `generateName` result: the prefix (cut to 58 bytes) plus 5 random characters.
pub fn generate_name<R: Rng + ?Sized>(prefix: &str, rng: &mut R) -> String {
    let mut base = prefix;
    if base.len() > MAX_GENERATED_NAME_PREFIX {
        let mut cut = MAX_GENERATED_NAME_PREFIX;
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        base = &base[..cut];
    }
    let mut out = String::with_capacity(base.len() + GENERATE_NAME_SUFFIX_LENGTH);
    out.push_str(base);
    for _ in 0..GENERATE_NAME_SUFFIX_LENGTH {
        let i = rng.random_range(0..GENERATE_NAME_ALPHABET.len());
        out.push(char::from(GENERATE_NAME_ALPHABET[i]));
    }
    out
}

/// [`generate_name`] with the thread-local generator.
pub fn generate_name_random(prefix: &str) -> String {
    generate_name(prefix, &mut rand::rng())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    #[test]
    fn dns1123_label() {
        assert!(is_dns1123_label("abc").is_empty());
        assert!(is_dns1123_label("a-1").is_empty());
        assert!(is_dns1123_label("0").is_empty());
        assert_eq!(is_dns1123_label("Abc"), vec![LABEL_MSG.to_string()]);
        assert_eq!(is_dns1123_label("-a"), vec![LABEL_MSG.to_string()]);
        assert_eq!(is_dns1123_label(""), vec![LABEL_MSG.to_string()]);
        assert_eq!(
            is_dns1123_label("a.b"),
            vec!["must not contain dots".to_string()]
        );
        let long = "a".repeat(64);
        assert_eq!(
            is_dns1123_label(&long),
            vec!["must be no more than 63 characters".to_string()]
        );
    }

    #[test]
    fn dns1123_subdomain() {
        assert!(is_dns1123_subdomain("repo.pkg.ws").is_empty());
        assert_eq!(
            is_dns1123_subdomain("a..b"),
            vec!["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string()]
        );
        assert_eq!(is_dns1123_subdomain(&"a".repeat(254)).len(), 1);
        assert_eq!(is_dns1123_subdomain("A").len(), 1);
    }

    #[test]
    fn qualified_names() {
        for ok in [
            "app",
            "example.com/App_1",
            "a.b-c",
            "k8s.io/initial-events-end",
        ] {
            assert!(is_qualified_name(ok).is_empty(), "{ok}");
        }
        assert_eq!(
            is_qualified_name("-x"),
            vec!["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".to_string()]
        );
        assert_eq!(
            is_qualified_name("/x"),
            vec!["prefix part must be non-empty".to_string()]
        );
        let e = is_qualified_name("a/");
        assert_eq!(e[0], "name part must be non-empty");
        assert_eq!(e.len(), 2);
        assert!(is_qualified_name("a/b/c")[0].starts_with("a qualified name must consist"));
        assert!(is_qualified_name("a/b/c")[0].ends_with(
            "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ));
        assert!(
            is_qualified_name("Bad_/x")[0]
                .starts_with("prefix part a lowercase RFC 1123 subdomain")
        );
        assert_eq!(
            is_qualified_name(&"a".repeat(64)),
            vec!["name part must be no more than 63 characters".to_string()]
        );
    }

    #[test]
    fn label_values() {
        assert!(is_valid_label_value("").is_empty());
        assert!(is_valid_label_value("v1.2_3-x").is_empty());
        assert_eq!(
            is_valid_label_value("-bad-"),
            vec!["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_string()]
        );
        assert_eq!(
            is_valid_label_value(&"a".repeat(64)),
            vec!["must be no more than 63 characters".to_string()]
        );
    }

    #[test]
    fn generated_names() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = generate_name("repo-", &mut rng);
        assert_eq!(n.len(), 10);
        assert!(n.starts_with("repo-"));
        assert!(n[5..].bytes().all(|b| GENERATE_NAME_ALPHABET.contains(&b)));
        let long = "x".repeat(70);
        let n = generate_name(&long, &mut rng);
        assert_eq!(n.len(), 63);
        let multibyte = "é".repeat(40);
        let n = generate_name(&multibyte, &mut rng);
        assert!(n.len() <= 63);
        let r = generate_name_random("a-");
        assert_eq!(r.len(), 7);
        assert!(r.starts_with("a-"));
    }
}
