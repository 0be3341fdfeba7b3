//! The non-apply PATCH flavours on `serde_json::Value` (kube-api.md §6.4):
//! JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge
//! patch, which this server treats as a merge patch because none of its types
//! declare `patchMergeKey` (every list is atomic). SMP bodies that use a
//! `$`-directive are refused rather than silently misapplied.
//!
//! Status-code mapping for callers: [`PatchError::Malformed`] → 400,
//! [`PatchError::TooManyOperations`] → 413, everything else → 422.

use serde_json::Value;
use thiserror::Error;

/// Kubernetes' cap on operations in one JSON patch.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// Why a patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatchError {
    /// The patch body is not what the patch type requires.
    #[error("{0}")]
    Malformed(String),
    /// A JSON patch with more than [`MAX_JSON_PATCH_OPERATIONS`] operations.
    #[error("The allowed maximum operations in a JSON patch is {max}, got {got}")]
    TooManyOperations {
        /// The limit.
        max: usize,
        /// How many were sent.
        got: usize,
    },
    /// A JSON patch operation failed (bad path, failed `test`, ...).
    #[error("{0}")]
    Failed(String),
    /// A strategic-merge-patch directive, which this server does not implement.
    #[error(
        "strategic merge patch directive {directive:?} at {path:?} is not supported: lists are atomic here, send a JSON merge patch instead"
    )]
    UnsupportedDirective {
        /// The directive key, e.g. `$patch` or `$setElementOrder/items`.
        directive: String,
        /// Where it was found, e.g. `.spec.items[0]` (`.` for the top level).
        path: String,
    },
}

/// Applies an RFC 7386 merge patch; the patch must be a JSON object.
pub fn merge_patch(target: &mut Value, patch: &Value) -> Result<(), PatchError> {
    if !patch.is_object() {
        return Err(PatchError::Malformed(format!(
            "merge patch must be a JSON object, got {}",
            kind_of(patch)
        )));
    }
    json_patch::merge(target, patch);
    Ok(())
}

/// Applies an RFC 6902 JSON patch atomically (on failure `target` is unchanged).
pub fn json_patch(target: &mut Value, patch: &Value) -> Result<(), PatchError> {
    let Some(ops) = patch.as_array() else {
        return Err(PatchError::Malformed(format!(
            "json patch must be a JSON array of operations, got {}",
            kind_of(patch)
        )));
    };
    if ops.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations {
            max: MAX_JSON_PATCH_OPERATIONS,
            got: ops.len(),
        });
    }
    let parsed: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| PatchError::Malformed(format!("invalid json patch: {e}")))?;
    json_patch::patch(target, &parsed).map_err(|e| PatchError::Failed(e.to_string()))
}

/// Applies a strategic merge patch as a merge patch, refusing `$` directives anywhere.
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) -> Result<(), PatchError> {
    if let Some((directive, path)) = find_directive(patch, &mut String::new()) {
        return Err(PatchError::UnsupportedDirective { directive, path });
    }
    merge_patch(target, patch)
}

/// The first object key starting with `$` and the path of the object holding it.
fn find_directive(v: &Value, path: &mut String) -> Option<(String, String)> {
    match v {
        Value::Object(map) => {
            if let Some(k) = map.keys().find(|k| k.starts_with('$')) {
                let at = if path.is_empty() {
                    ".".to_string()
                } else {
                    path.clone()
                };
                return Some((k.clone(), at));
            }
            for (k, child) in map {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                let hit = find_directive(child, path);
                path.truncate(len);
                if hit.is_some() {
                    return hit;
                }
            }
            None
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, child)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let hit = find_directive(child, path);
            path.truncate(len);
            hit
        }),
        _ => None,
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386() {
        let mut doc = json!({"metadata":{"name":"a","labels":{"x":"1","y":"2"}},"spec":{"list":[1,2],"keep":true}});
        merge_patch(
            &mut doc,
            &json!({"metadata":{"labels":{"x":null,"z":"3"}},"spec":{"list":[3]}}),
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({"metadata":{"name":"a","labels":{"y":"2","z":"3"}},"spec":{"list":[3],"keep":true}})
        );
        // Nulls inside new objects are dropped; scalars replace objects.
        let mut doc = json!({"a":{"b":1}});
        merge_patch(&mut doc, &json!({"a":"s","c":{"d":null,"e":1}})).unwrap();
        assert_eq!(doc, json!({"a":"s","c":{"e":1}}));
        assert_eq!(
            merge_patch(&mut doc, &json!([1])).unwrap_err().to_string(),
            "merge patch must be a JSON object, got an array"
        );
    }

    #[test]
    fn json_patch_rfc6902() {
        let mut doc = json!({"spec":{"items":["a","b"],"x":1}});
        json_patch(
            &mut doc,
            &json!([
                {"op":"add","path":"/spec/items/-","value":"c"},
                {"op":"replace","path":"/spec/x","value":2},
                {"op":"remove","path":"/spec/items/0"},
                {"op":"test","path":"/spec/x","value":2},
                {"op":"copy","from":"/spec/x","path":"/spec/y"},
                {"op":"move","from":"/spec/y","path":"/spec/z"}
            ]),
        )
        .unwrap();
        assert_eq!(doc, json!({"spec":{"items":["b","c"],"x":2,"z":2}}));
    }

    #[test]
    fn json_patch_is_atomic_and_reports_failures() {
        let original = json!({"a":1});
        let mut doc = original.clone();
        let e = json_patch(
            &mut doc,
            &json!([{"op":"replace","path":"/a","value":2},{"op":"test","path":"/a","value":3}]),
        )
        .unwrap_err();
        assert!(matches!(e, PatchError::Failed(_)));
        assert!(e.to_string().contains("value did not match"), "{e}");
        assert_eq!(doc, original);
        let e = json_patch(&mut doc, &json!([{"op":"remove","path":"/nope"}])).unwrap_err();
        assert!(e.to_string().contains("/nope"), "{e}");
    }

    #[test]
    fn json_patch_malformed() {
        let mut doc = json!({});
        assert!(matches!(
            json_patch(&mut doc, &json!({"op":"add"})),
            Err(PatchError::Malformed(_))
        ));
        let e = json_patch(&mut doc, &json!([{"op":"frobnicate","path":"/a"}])).unwrap_err();
        assert!(matches!(e, PatchError::Malformed(_)));
        assert!(e.to_string().starts_with("invalid json patch: "), "{e}");
        let many = Value::Array(vec![json!({"op":"test","path":"","value":{}}); 10_001]);
        assert_eq!(
            json_patch(&mut doc, &many).unwrap_err().to_string(),
            "The allowed maximum operations in a JSON patch is 10000, got 10001"
        );
    }

    #[test]
    fn strategic_as_merge() {
        let mut doc = json!({"metadata":{"labels":{"a":"1"}},"spec":{"l":[1]}});
        strategic_merge_patch(
            &mut doc,
            &json!({"metadata":{"labels":{"b":"2"}},"spec":{"l":[2]}}),
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"l":[2]}})
        );
    }

    #[test]
    fn strategic_directives_refused() {
        let mut doc = json!({});
        let cases = [
            (json!({"$patch":"replace"}), "$patch", "."),
            (
                json!({"spec":{"$retainKeys":["a"]}}),
                "$retainKeys",
                ".spec",
            ),
            (
                json!({"spec":{"$setElementOrder/items":[{"name":"a"}]}}),
                "$setElementOrder/items",
                ".spec",
            ),
            (
                json!({"spec":{"items":[{"name":"a"},{"$patch":"delete","name":"b"}]}}),
                "$patch",
                ".spec.items[1]",
            ),
            (
                json!({"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}}),
                "$deleteFromPrimitiveList/finalizers",
                ".metadata",
            ),
        ];
        for (patch, directive, path) in cases {
            let e = strategic_merge_patch(&mut doc, &patch).unwrap_err();
            assert_eq!(
                e,
                PatchError::UnsupportedDirective {
                    directive: directive.into(),
                    path: path.into()
                }
            );
            assert!(e.to_string().contains(directive));
        }
        assert_eq!(doc, json!({}), "nothing applied on refusal");
        // `$` inside values (not keys) is fine.
        strategic_merge_patch(&mut doc, &json!({"data":{"k":"$patch"}})).unwrap();
        assert_eq!(doc, json!({"data":{"k":"$patch"}}));
    }
}
