//! Folding a function's output back into the resources: matching items
//! to the inputs they came from, undoing the render annotations, and
//! deciding between the function's text and the (healed) input.

use std::collections::HashSet;

use serde_json::Value;

use super::annotate::{self, Splice};
use super::{Ctx, Res};
use crate::annotations as ann;
use crate::object::KubeObject;
use crate::package::clean_path;
use crate::resource_list::ResourceList;

impl Ctx<'_> {
    /// Matches output items to the inputs they came from and builds the
    /// resulting resources, paired with their input position.
    pub(super) fn fold_output(
        &self,
        pkg: usize,
        sent: &Sent<'_>,
        output: ResourceList,
    ) -> Result<Vec<(Option<usize>, Res)>, String> {
        let inputs = sent.inputs;
        let mut out = Vec::with_capacity(output.items.len());
        let mut claimed = HashSet::new();
        for (j, mut o) in output.items.into_iter().enumerate() {
            if let Some((pos, r)) = fast_fold(sent, j, &o, &claimed) {
                claimed.insert(pos);
                out.push((Some(pos), r));
                continue;
            }
            let a = o.annotations();
            let get = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
            let id = get(ann::INTERNAL_ID)
                .or_else(|| get(ann::LEGACY_ID))
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|i| *i < inputs.len() && !claimed.contains(i));
            let (legacy_path, new_path) = (get(ann::PATH), get(ann::INTERNAL_PATH));
            let (legacy_index, new_index) = (get(ann::INDEX), get(ann::INTERNAL_INDEX));
            let pkg_dir = get(ann::PACKAGE_PATH);
            for k in ann::RENDER_ANNOTATIONS {
                o.remove_annotation(k);
            }
            let pick = |old: Option<String>, legacy: Option<String>, new: Option<String>| {
                if legacy.is_some() && legacy != old {
                    legacy
                } else if new.is_some() && new != old {
                    new
                } else {
                    old.or(legacy).or(new)
                }
            };
            match id {
                Some(pos) => {
                    claimed.insert(pos);
                    let x = inputs[pos];
                    let path = pick(Some(x.path.clone()), legacy_path, new_path)
                        .map(|p| clean_path(&p))
                        .unwrap_or_default();
                    let old_index = x.index.map(|i| i.to_string());
                    let index =
                        pick(old_index, legacy_index, new_index).and_then(|s| s.parse().ok());
                    let obj = choose(&x.obj, o).map_err(|e| e.to_string())?;
                    out.push((
                        Some(pos),
                        Res {
                            obj,
                            path,
                            index,
                            ..(*x).clone()
                        },
                    ));
                }
                None => {
                    let owner = pkg_dir
                        .and_then(|d| self.tree.by_dir(if d == "." { "" } else { &d }))
                        .unwrap_or(pkg);
                    let path = legacy_path
                        .or(new_path)
                        .map(|p| clean_path(&p))
                        .unwrap_or_else(|| default_path(&o));
                    let index = legacy_index.or(new_index).and_then(|s| s.parse().ok());
                    out.push((
                        None,
                        Res {
                            obj: o,
                            pkg: owner,
                            path,
                            index,
                            seq_indent: Default::default(),
                            origin: None,
                        },
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// What was sent to a function: the inputs, their text and the splices
/// that annotated them.
pub(super) struct Sent<'a> {
    pub inputs: &'a [&'a Res],
    pub bodies: &'a [String],
    pub splices: &'a [Option<Splice>],
}

/// Folds an output item whose annotations are exactly the ones spliced in:
/// cut them out again and compare text (no tree edits).
fn fast_fold(
    sent: &Sent<'_>,
    j: usize,
    o: &KubeObject,
    claimed: &HashSet<usize>,
) -> Option<(usize, Res)> {
    let text = o.body_text();
    let holds = |k: usize| {
        !claimed.contains(&k)
            && sent
                .splices
                .get(k)
                .and_then(Option::as_ref)
                .is_some_and(|s| annotate::holds(&text, s))
    };
    let pos = if holds(j) {
        j
    } else {
        (0..sent.splices.len()).find(|k| holds(*k))?
    };
    let splice = sent.splices.get(pos)?.as_ref()?;
    let stripped = annotate::remove(&text, splice)?;
    let x = sent.inputs[pos];
    let obj = if stripped == sent.bodies[pos] {
        x.obj.clone()
    } else {
        let o = match annotate::remove_from_tree(o, splice, &stripped) {
            Some(o) => o,
            None => KubeObject::parse(&stripped).ok()?,
        };
        // The function edited the very text it was given: no reformatting to
        // undo, only dropped comments to heal.
        if !sent.bodies[pos].contains('#') || comments_kept(&x.obj, &o) {
            o
        } else {
            choose(&x.obj, o).ok()?
        }
    };
    Some((pos, Res { obj, ..x.clone() }))
}

/// Where kpt puts a generated resource without a path annotation:
/// `<namespace>/<kind>_<name>.yaml`.
fn default_path(o: &KubeObject) -> String {
    let file = format!(
        "{}_{}.yaml",
        o.kind().unwrap_or_default().to_lowercase(),
        o.name().unwrap_or_default()
    );
    match o.namespace() {
        Some(ns) if !ns.is_empty() => format!("{ns}/{file}"),
        _ => file,
    }
}

/// Whether every comment of `x` is still in `o`.
fn comments_kept(x: &KubeObject, o: &KubeObject) -> bool {
    subset(&comments(x), &comments(o))
}

/// Multiset inclusion of sorted comment lists.
fn subset(small: &[String], big: &[String]) -> bool {
    let mut pool: Vec<&String> = big.iter().collect();
    small
        .iter()
        .all(|c| match pool.iter().position(|p| *p == c) {
            Some(i) => {
                pool.swap_remove(i);
                true
            }
            None => false,
        })
}

fn comments(o: &KubeObject) -> Vec<String> {
    let mut c = o.comment_texts();
    c.sort();
    c
}

/// Picks what a function's output item becomes: the input itself when
/// nothing but formatting changed, the output when it kept the input's
/// comments, and the input edited toward the output's values when the
/// function dropped comments (comment healing).
fn choose(x: &KubeObject, o: KubeObject) -> Result<KubeObject, crate::ObjectError> {
    if o.body_text() == x.body_text() {
        return Ok(x.clone());
    }
    let (vx, vo) = (x.to_value()?, o.to_value()?);
    let (cx, co) = (comments(x), comments(&o));
    if vx == vo && cx == co {
        return Ok(x.clone());
    }
    if subset(&cx, &co) {
        return Ok(o);
    }
    let mut healed = x.deep_copy();
    healed.replace_root(&vo, Some(&o))?;
    Ok(healed)
}
