//! Writing rendered resources back to files.
//!
//! Resources are grouped by file and ordered by index; a file whose
//! resources are exactly the ones read from it, unchanged and in order,
//! keeps its text (less the blank line kpt drops after a license header
//! on success, see [`drop_header_gap`]); files whose resources all
//! disappeared are pruned (not after a failure); non-resource files pass
//! through untouched.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{RenderError, Res};
use crate::PackageFiles;
use crate::kptfile::{Condition, KPTFILE, edit};
use crate::object::KubeObject;
use crate::package::{PackageTree, join};
use crate::resource_file::{ResourceFile, join_documents};

/// Builds the output files from the input files and the final resources.
pub(super) fn write(
    input: &PackageFiles,
    tree: &PackageTree,
    parsed: &HashMap<String, ResourceFile>,
    mut resources: Vec<Res>,
    failure: Option<&RenderError>,
) -> PackageFiles {
    mark_rendered(input, &mut resources, failure);
    let mut groups: BTreeMap<String, Vec<Res>> = BTreeMap::new();
    for r in resources {
        groups
            .entry(join(&tree.nodes[r.pkg].dir, &r.path))
            .or_default()
            .push(r);
    }
    let mut out = input.clone();
    let mut written = HashSet::new();
    for (file, mut docs) in groups {
        docs.sort_by_key(|r| r.index.unwrap_or(usize::MAX));
        let text = match parsed.get(&file) {
            Some(orig) if unchanged(&file, orig, &docs) => {
                let text = input.get(&file).cloned().unwrap_or_default();
                // kpt rewrites every resource file after a successful render.
                if failure.is_none() {
                    drop_header_gap(&text)
                } else {
                    text
                }
            }
            Some(orig) => drop_header_gap(&compose(&orig.prefix, &docs, &orig.suffix)),
            None => compose("", &docs, ""),
        };
        out.insert(file.clone(), text);
        written.insert(file);
    }
    if failure.is_none() {
        for (file, orig) in parsed {
            if !written.contains(file) && orig.objects().next().is_some() {
                out.remove(file);
            }
        }
    }
    out
}

fn unchanged(file: &str, orig: &ResourceFile, docs: &[Res]) -> bool {
    let originals: Vec<(usize, &KubeObject)> = orig.objects().collect();
    originals.len() == docs.len()
        && docs.iter().zip(&originals).all(|(r, (i, o))| {
            r.origin.as_ref().is_some_and(|(f, k)| f == file && k == i)
                && (r.obj.same_tree(o) || r.obj.text() == o.text())
        })
}

fn compose(prefix: &str, docs: &[Res], suffix: &str) -> String {
    let mut texts: Vec<String> = docs.iter().map(|r| r.obj.text()).collect();
    // A document moved from the middle of another file brings its `---`;
    // a file does not start with one.
    if prefix.is_empty()
        && let Some(first) = texts.first_mut()
        && let Some(rest) = first.strip_prefix("---\n")
    {
        *first = rest.to_string();
    }
    join_documents(prefix, &texts, suffix)
}

/// Removes the blank lines between a file's leading comment block (a
/// license header) and what follows it, as kpt's writer does when it
/// rewrites a file: Go's YAML library keeps that block as the document's
/// head comment and emits it directly above the first node. kpt rewrites
/// every resource file after a successful render (its corpus cases
/// `krm-check-exclude-kustomize` and `modify-path-annotation` show the gap
/// gone from a changed and from an untouched file); after a failure only
/// the files whose resources changed are rewritten here.
fn drop_header_gap(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let header = lines
        .iter()
        .take_while(|l| l.trim_start().starts_with('#'))
        .count();
    let gap = lines[header..]
        .iter()
        .take_while(|l| l.trim().is_empty())
        .count();
    let next = lines.get(header + gap).map(|l| l.trim_end());
    let marker = matches!(next, Some(l) if l.starts_with("---") || l.starts_with("..."));
    if header == 0 || gap == 0 || next.is_none() || marker {
        return text.to_string();
    }
    let mut out: String = lines[..header].concat();
    out.extend(lines[header + gap..].iter().copied());
    out
}

/// Records the `Rendered` condition on the root Kptfile.
fn mark_rendered(input: &PackageFiles, resources: &mut Vec<Res>, failure: Option<&RenderError>) {
    let condition = match failure {
        None => Condition {
            kind: "Rendered".into(),
            status: "True".into(),
            reason: "RenderSuccess".into(),
            message: String::new(),
        },
        Some(e) => Condition {
            kind: "Rendered".into(),
            status: "False".into(),
            reason: "RenderFailed".into(),
            message: e.to_string(),
        },
    };
    if let Some(r) = resources
        .iter_mut()
        .find(|r| r.pkg == 0 && r.path == KPTFILE)
    {
        let _ = edit::set_condition(&mut r.obj, &condition);
        return;
    }
    let Some(text) = input.get(KPTFILE) else {
        return;
    };
    let Ok(mut obj) = KubeObject::parse(text) else {
        return;
    };
    if edit::set_condition(&mut obj, &condition).is_ok() {
        resources.push(Res {
            obj,
            pkg: 0,
            path: KPTFILE.to_string(),
            index: Some(0),
            seq_indent: Default::default(),
            origin: Some((KPTFILE.to_string(), 0)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::drop_header_gap;

    #[test]
    fn rewritten_files_lose_the_gap_after_their_header() {
        assert_eq!(
            drop_header_gap("# license\n# text\n\n# note\nkey: v\n"),
            "# license\n# text\n# note\nkey: v\n"
        );
        for same in [
            "key: v\n",
            "# only\n\n",
            "# h\n\n---\nkey: v\n",
            "# h\nkey: v\n",
        ] {
            assert_eq!(drop_header_gap(same), same);
        }
    }
}
