//! kpt merge keys on cloned resources: the `# kpt-merge: <ns>/<name>`
//! line comment on `metadata` and the upstream-identifier annotation.
//!
//! They record a resource's identity in its upstream so that a later
//! upgrade still matches it after the downstream renamed or re-namespaced it.

use crate::annotations;
use crate::identity::{ResourceId, merge_comment, parse_merge_comment};
use crate::object::{KubeObject, ObjectError};

/// The byte range of the top-level `metadata:` line of a document text.
fn metadata_line(text: &str) -> Option<(usize, usize)> {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.trim_end_matches(['\n', '\r']).len();
        if line.starts_with("metadata:") {
            return Some((start, end));
        }
        start += line.len();
    }
    None
}

/// The (namespace, name) recorded in the object's `kpt-merge` comment.
pub fn read(obj: &KubeObject) -> Option<(String, String)> {
    let text = obj.text();
    let (s, e) = metadata_line(&text)?;
    let line = &text[s..e];
    let hash = line.find('#')?;
    parse_merge_comment(&line[hash..])
}

/// The identity used to match the object against its upstream: the
/// `kpt-merge` comment's namespace and name when present.
pub fn upstream_id(obj: &KubeObject) -> ResourceId {
    let mut id = obj.id();
    if let Some((ns, name)) = read(obj) {
        id.namespace = ns;
        id.name = name;
    }
    id
}

/// Adds the `kpt-merge` comment (when `metadata` is a block mapping without
/// a comment) and, if asked, the upstream-identifier annotation.
pub fn add(obj: &mut KubeObject, with_annotation: bool) -> Result<(), ObjectError> {
    if obj.check_krm().is_err() || obj.kind().as_deref() == Some("Kptfile") {
        return Ok(());
    }
    let id = obj.id();
    let text = obj.text();
    if let Some((s, e)) = metadata_line(&text) {
        let line = &text[s..e];
        if line.trim_end() == "metadata:" {
            let comment = merge_comment(&id.namespace, &id.name);
            let new = format!(
                "{}{} # {comment}{}",
                &text[..s],
                line.trim_end(),
                &text[e..]
            );
            *obj = KubeObject::parse(&new)?;
        }
    }
    if with_annotation && obj.annotation(annotations::UPSTREAM_IDENTIFIER).is_none() {
        obj.set_annotation(annotations::UPSTREAM_IDENTIFIER, &id.upstream_identifier())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_is_added_once_and_read_back() {
        let mut o =
            KubeObject::parse("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: example\n")
                .unwrap();
        add(&mut o, false).unwrap();
        add(&mut o, false).unwrap();
        assert_eq!(
            o.text(),
            "apiVersion: v1\nkind: Namespace\nmetadata: # kpt-merge: /example\n  name: example\n"
        );
        assert_eq!(read(&o), Some((String::new(), "example".into())));
    }

    #[test]
    fn renamed_objects_keep_their_upstream_identity() {
        let o = KubeObject::parse("apiVersion: v1\nkind: ResourceQuota\nmetadata: # kpt-merge: example/default\n  name: default\n  namespace: backend\n").unwrap();
        let id = upstream_id(&o);
        assert_eq!(
            (id.namespace.as_str(), id.name.as_str()),
            ("example", "default")
        );
    }

    #[test]
    fn annotation_uses_porchs_format() {
        let mut o =
            KubeObject::parse("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: example\n")
                .unwrap();
        add(&mut o, true).unwrap();
        assert_eq!(
            o.annotation(annotations::UPSTREAM_IDENTIFIER).as_deref(),
            Some("|Namespace|default|example")
        );
    }
}
