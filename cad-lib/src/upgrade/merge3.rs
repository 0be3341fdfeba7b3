//! kpt's 3-way merge of two edits of one value: the upstream's
//! (original → updated) and the downstream's (original → local).
//!
//! A side that did not change a field yields to the one that did; when
//! both changed it, mappings merge field by field, associative lists
//! (per the schema) item by item, and anything else takes the upstream
//! value. A field deleted upstream is deleted.

use serde_json::{Map, Value};

use super::schema::MergeSchema;

/// Merges values of one object (its group and kind pick the list schema).
pub struct Merge3<'a> {
    /// List merge keys.
    pub schema: &'a MergeSchema,
    /// API group of the object.
    pub group: String,
    /// Kind of the object.
    pub kind: String,
}

impl Merge3<'_> {
    /// The merged value; `None` means the field is absent.
    pub fn merge(&self, o: Option<&Value>, u: Option<&Value>, l: Option<&Value>) -> Option<Value> {
        self.at(o, u, l, &mut Vec::new())
    }

    fn at(
        &self,
        o: Option<&Value>,
        u: Option<&Value>,
        l: Option<&Value>,
        path: &mut Vec<String>,
    ) -> Option<Value> {
        if u == l || u == o {
            return l.cloned();
        }
        if l == o {
            return u.cloned();
        }
        match (o, u, l) {
            (_, None, Some(_)) => None,
            (_, Some(u), None) => Some(u.clone()),
            (o, Some(Value::Object(u)), Some(Value::Object(l))) => {
                let o = o.and_then(Value::as_object);
                Some(Value::Object(self.map(o, u, l, path)))
            }
            (o, Some(Value::Array(u)), Some(Value::Array(l))) => {
                match self.schema.list_keys(&self.group, &self.kind, path) {
                    Some(keys) => {
                        let o = o
                            .and_then(Value::as_array)
                            .map(Vec::as_slice)
                            .unwrap_or_default();
                        Some(Value::Array(self.list(o, u, l, &keys, path)))
                    }
                    None => Some(Value::Array(u.clone())),
                }
            }
            (_, u, _) => u.cloned(),
        }
    }

    fn map(
        &self,
        o: Option<&Map<String, Value>>,
        u: &Map<String, Value>,
        l: &Map<String, Value>,
        path: &mut Vec<String>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        let keys = l.keys().chain(u.keys().filter(|k| !l.contains_key(*k)));
        for k in keys {
            path.push(k.clone());
            if let Some(v) = self.at(o.and_then(|o| o.get(k)), u.get(k), l.get(k), path) {
                out.insert(k.clone(), v);
            }
            path.pop();
        }
        out
    }

    fn list(
        &self,
        o: &[Value],
        u: &[Value],
        l: &[Value],
        keys: &[String],
        path: &mut Vec<String>,
    ) -> Vec<Value> {
        let key = |v: &Value| -> String {
            let parts: Vec<String> = keys
                .iter()
                .map(|k| v.get(k).map(Value::to_string).unwrap_or_default())
                .collect();
            if parts.iter().all(String::is_empty) {
                v.to_string()
            } else {
                parts.join("\u{0}")
            }
        };
        let find = |list: &[Value], k: &str| list.iter().find(|v| key(v) == k).cloned();
        let mut out = Vec::new();
        for item in l {
            let k = key(item);
            if let Some(v) = self.at(find(o, &k).as_ref(), find(u, &k).as_ref(), Some(item), path) {
                out.push(v);
            }
        }
        for item in u {
            let k = key(item);
            if l.iter().any(|x| key(x) == k) {
                continue;
            }
            if let Some(v) = self.at(find(o, &k).as_ref(), Some(item), None, path) {
                out.push(v);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(schema: &MergeSchema, o: Value, u: Value, l: Value) -> Value {
        Merge3 {
            schema,
            group: "apps".into(),
            kind: "Deployment".into(),
        }
        .merge(Some(&o), Some(&u), Some(&l))
        .unwrap()
    }

    #[test]
    fn each_side_keeps_its_own_changes_and_upstream_wins_conflicts() {
        let s = MergeSchema::default();
        let got = m(
            &s,
            json!({"a": 1, "b": 1, "c": 1, "gone": 1}),
            json!({"a": 2, "b": 1, "c": 3, "new": 1}),
            json!({"a": 1, "b": 5, "c": 4, "gone": 1, "mine": 1}),
        );
        assert_eq!(got, json!({"a": 2, "b": 5, "c": 3, "mine": 1, "new": 1}));
    }

    #[test]
    fn associative_lists_merge_by_key() {
        let s = MergeSchema::default();
        let c = |port: i64| json!({"containerPort": port});
        let got = m(
            &s,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [c(8080)]}]}}}}),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [c(80)]}]}}}}),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [c(8081)]}]}}}}),
        );
        assert_eq!(
            got["spec"]["template"]["spec"]["containers"][0]["ports"],
            json!([c(8081), c(80)])
        );
    }
}
