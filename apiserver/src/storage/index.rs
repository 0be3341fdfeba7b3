//! Secondary indexes over the watch cache, so lookups by a derived value
//! (e.g. a Repository's normalised git URL, later field-selector values) are
//! answered from index keys instead of scanning every object.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::cache::Cached;

/// Computes the index values of one object.
pub type IndexFn = Arc<dyn Fn(&Value) -> Vec<String> + Send + Sync>;

/// One index per key prefix (a resource), value → object keys.
#[derive(Clone, Default)]
pub struct Indexes {
    defs: Vec<(String, IndexFn)>,
    entries: HashMap<(usize, String), BTreeSet<String>>,
}

impl Indexes {
    /// Indexes for the given (key prefix, function) pairs, empty.
    pub fn new(defs: Vec<(String, IndexFn)>) -> Self {
        Indexes {
            defs,
            entries: HashMap::new(),
        }
    }

    /// The same definitions, no entries (for a reload).
    pub fn emptied(&self) -> Self {
        Indexes::new(self.defs.clone())
    }

    fn matching<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (usize, &'a IndexFn)> + 'a {
        self.defs
            .iter()
            .enumerate()
            .filter(move |(_, (p, _))| key.starts_with(p.as_str()))
            .map(|(i, (_, f))| (i, f))
    }

    pub fn insert(&mut self, obj: &Cached) {
        let adds: Vec<(usize, String)> = self
            .matching(&obj.key)
            .flat_map(|(i, f)| f(&obj.value).into_iter().map(move |v| (i, v)))
            .collect();
        for k in adds {
            self.entries.entry(k).or_default().insert(obj.key.clone());
        }
    }

    pub fn remove(&mut self, obj: &Cached) {
        let dels: Vec<(usize, String)> = self
            .matching(&obj.key)
            .flat_map(|(i, f)| f(&obj.value).into_iter().map(move |v| (i, v)))
            .collect();
        for k in dels {
            if let Some(set) = self.entries.get_mut(&k) {
                set.remove(&obj.key);
                if set.is_empty() {
                    self.entries.remove(&k);
                }
            }
        }
    }

    /// Keys of the objects under `prefix` whose index holds `value`.
    pub fn lookup(&self, prefix: &str, value: &str) -> Vec<String> {
        let Some(i) = self.defs.iter().position(|(p, _)| p == prefix) else {
            return Vec::new();
        };
        self.entries
            .get(&(i, value.to_string()))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}
