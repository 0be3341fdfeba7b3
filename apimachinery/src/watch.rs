//! Watch stream events (`metav1.WatchEvent`), one JSON object per line (kube-api.md §7.3).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::status::Status;

/// The event types of a watch stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventType {
    /// Object created (or initial state).
    Added,
    /// Object changed.
    Modified,
    /// Object removed.
    Deleted,
    /// Progress marker carrying only a resourceVersion.
    Bookmark,
    /// The stream failed; the object is a `Status`.
    Error,
}

/// One watch event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchEvent {
    /// Event type.
    #[serde(rename = "type")]
    pub type_: EventType,
    /// The object (or a one-row Table, or a Status for `ERROR`).
    pub object: Value,
}

/// Annotation marking the end of the initial events of a watch-list.
pub const INITIAL_EVENTS_END_ANNOTATION: &str = "k8s.io/initial-events-end";

impl WatchEvent {
    /// An event of the given type.
    pub fn new(type_: EventType, object: Value) -> Self {
        Self { type_, object }
    }

    /// A `BOOKMARK` for `kind`/`apiVersion` at `resource_version`; with
    /// `initial_events_end` it carries the watch-list end annotation.
    pub fn bookmark(
        api_version: &str,
        kind: &str,
        resource_version: &str,
        initial_events_end: bool,
    ) -> Self {
        let mut metadata = json!({ "resourceVersion": resource_version });
        if initial_events_end {
            metadata["annotations"] = json!({ INITIAL_EVENTS_END_ANNOTATION: "true" });
        }
        Self::new(
            EventType::Bookmark,
            json!({ "kind": kind, "apiVersion": api_version, "metadata": metadata }),
        )
    }

    /// An `ERROR` event carrying a Status (e.g. 410 Expired).
    pub fn error(status: &Status) -> Self {
        Self::new(
            EventType::Error,
            serde_json::to_value(status).unwrap_or(Value::Null),
        )
    }

    /// The event as one newline-terminated JSON line, ready to write and flush.
    pub fn to_json_line(&self) -> Vec<u8> {
        // Serialising a Value-backed struct cannot fail: keys are strings and there is no I/O.
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_line() {
        let e = WatchEvent::new(EventType::Added, json!({"kind":"X"}));
        assert_eq!(
            e.to_json_line(),
            b"{\"type\":\"ADDED\",\"object\":{\"kind\":\"X\"}}\n".to_vec()
        );
    }

    #[test]
    fn bookmark_shapes() {
        let b = WatchEvent::bookmark("porch.kpt.dev/v1alpha1", "PackageRevision", "130", false);
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            json!({"type":"BOOKMARK","object":{"kind":"PackageRevision","apiVersion":"porch.kpt.dev/v1alpha1","metadata":{"resourceVersion":"130"}}})
        );
        let b = WatchEvent::bookmark("v1", "Secret", "7", true);
        assert_eq!(
            b.object["metadata"]["annotations"]["k8s.io/initial-events-end"],
            "true"
        );
    }

    #[test]
    fn error_event() {
        let e = WatchEvent::error(&Status::expired("too old resource version: 5 (120)"));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"Expired","code":410,"message":"too old resource version: 5 (120)"}})
        );
    }

    #[test]
    fn parse_event() {
        let e: WatchEvent = serde_json::from_str(r#"{"type":"DELETED","object":{}}"#).unwrap();
        assert_eq!(e.type_, EventType::Deleted);
        assert!(serde_json::from_str::<WatchEvent>(r#"{"type":"deleted","object":{}}"#).is_err());
    }
}
