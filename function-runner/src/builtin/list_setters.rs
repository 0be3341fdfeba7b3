//! `list-setters`: reports the setters found in `# kpt-set:` comments,
//! with their current values and how many fields use them.

use std::collections::BTreeMap;

use cad_lib::ResourceList;

use super::sites::{self, ValueKind};
use super::{Failure, results, setters};

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let mut found: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for o in &rl.items {
        let (_, all) = sites::of(o);
        for s in &all {
            let Some(pattern) = s.comment.as_deref().and_then(setters::pattern) else {
                continue;
            };
            let segs = s.segments();
            let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
            let current = match s.kind {
                ValueKind::BlockSeq | ValueKind::FlowSeq => match o.get(&segs) {
                    Some(serde_json::Value::Array(a)) => format!(
                        "[{}]",
                        a.iter()
                            .map(super::config::scalar_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    _ => String::new(),
                },
                _ => o.get_str(&segs).unwrap_or_default(),
            };
            let recovered = setters::recover(pattern, &current).unwrap_or_default();
            for name in setters::markers(pattern) {
                let value = if matches!(s.kind, ValueKind::BlockSeq | ValueKind::FlowSeq) {
                    current.clone()
                } else {
                    recovered.get(&name).cloned().unwrap_or_default()
                };
                let e = found.entry(name).or_insert((value, 0));
                e.1 += 1;
            }
        }
    }
    if found.is_empty() {
        rl.results.push(results::warning("no setters found"));
        return Ok(());
    }
    for (name, (value, count)) in found {
        rl.results.push(results::info(format!(
            "Name: {name}, Value: {value}, Type: str, Count: {count}"
        )));
    }
    Ok(())
}
