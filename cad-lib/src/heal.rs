//! Comment healing for package updates: a client that round-trips files
//! through a comment-dropping serialiser loses the comments (setters live
//! in them); the old objects' comments and layout are restored onto the
//! new values, as Porch does before it renders a PackageRevisionResources
//! update.

use std::collections::HashMap;

use crate::PackageFiles;
use crate::identity::ResourceId;
use crate::object::KubeObject;
use crate::resource_file::{ResourceFile, is_resource_file};

fn has_comments(o: &KubeObject) -> bool {
    o.document().comments().next().is_some()
}

/// Files templated by ytt (`#@` / `#!` lines) are never touched.
fn is_ytt(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start().starts_with("#@") || l.trim_start().starts_with("#!"))
}

/// Returns `new` with comment-less objects rebuilt from the old object of
/// the same apiVersion, kind, namespace and name (old comments and layout,
/// new values). Files that do not parse are left as they are.
pub fn heal_comments(old: &PackageFiles, new: &PackageFiles) -> PackageFiles {
    let mut by_id: HashMap<ResourceId, KubeObject> = HashMap::new();
    for (path, text) in old {
        if !is_resource_file(path) || is_ytt(text) {
            continue;
        }
        let Ok(f) = ResourceFile::parse(path, text) else {
            continue;
        };
        for (_, o) in f.objects() {
            if has_comments(o) {
                by_id.entry(o.id()).or_insert_with(|| o.deep_copy());
            }
        }
    }
    let mut out = new.clone();
    for (path, text) in new {
        if !is_resource_file(path) || is_ytt(text) {
            continue;
        }
        let Ok(mut f) = ResourceFile::parse(path, text) else {
            continue;
        };
        let mut changed = false;
        for doc in f.documents.iter_mut().filter(|d| !d.is_empty_document()) {
            let Some(old_obj) = by_id.get(&doc.id()) else {
                continue;
            };
            if has_comments(doc) {
                continue;
            }
            let Ok(value) = doc.to_value() else { continue };
            let mut healed = old_obj.deep_copy();
            if healed.replace_root(&value, Some(doc)).is_ok() {
                *doc = healed;
                changed = true;
            }
        }
        if changed {
            out.insert(path.clone(), f.text());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> PackageFiles {
        list.iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn comments_come_back_on_changed_objects() {
        let old = files(&[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  foo: bar # kpt-set: ${foo}\n",
        )]);
        let new = files(&[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  foo: baz\n  extra: x\n",
        )]);
        let healed = heal_comments(&old, &new);
        assert_eq!(
            healed["cm.yaml"],
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  foo: baz # kpt-set: ${foo}\n  extra: x\n"
        );
    }

    #[test]
    fn objects_with_their_own_comments_and_ytt_files_are_kept() {
        let old = files(&[(
            "a.yaml",
            "apiVersion: v1\nkind: A\nmetadata:\n  name: a # old\n",
        )]);
        let new = files(&[(
            "a.yaml",
            "apiVersion: v1\nkind: A\nmetadata:\n  name: a # new\n",
        )]);
        assert_eq!(heal_comments(&old, &new), new);
        let ytt = files(&[(
            "a.yaml",
            "#@ load('x')\napiVersion: v1\nkind: A\nmetadata:\n  name: a\n",
        )]);
        assert_eq!(heal_comments(&old, &ytt), ytt);
    }
}
