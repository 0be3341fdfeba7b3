//! Result items as the catalog's SDK reports them.

use cad_lib::annotations as ann;
use cad_lib::results::{FieldRef, FileRef, ResourceRef};
use cad_lib::{KubeObject, ResultItem, Severity};

/// A result with a message and a severity.
pub fn item(severity: Severity, message: impl Into<String>) -> ResultItem {
    ResultItem {
        message: message.into(),
        severity,
        ..Default::default()
    }
}

/// An `info` result.
pub fn info(message: impl Into<String>) -> ResultItem {
    item(Severity::Info, message)
}

/// A `warning` result.
pub fn warning(message: impl Into<String>) -> ResultItem {
    item(Severity::Warning, message)
}

/// An `error` result.
pub fn error(message: impl Into<String>) -> ResultItem {
    item(Severity::Error, message)
}

/// The SDK's config error: empty resourceRef and file index -1, as the
/// catalog's goldens show.
pub fn config_error(message: impl Into<String>) -> ResultItem {
    ResultItem {
        resource_ref: Some(ResourceRef::default()),
        file: Some(FileRef {
            path: String::new(),
            index: Some(-1),
        }),
        ..error(message)
    }
}

/// The object's identity as a result reference.
pub fn resource_ref(o: &KubeObject) -> ResourceRef {
    ResourceRef {
        api_version: o.api_version().unwrap_or_default(),
        kind: o.kind().unwrap_or_default(),
        name: o.name().unwrap_or_default(),
        namespace: o.namespace().unwrap_or_default(),
    }
}

/// The file the object came from (path annotation), if known.
pub fn file_ref(o: &KubeObject, with_index: bool) -> Option<FileRef> {
    let path = o
        .annotation(ann::INTERNAL_PATH)
        .or_else(|| o.annotation(ann::PATH))?;
    let index = if with_index {
        o.annotation(ann::INTERNAL_INDEX)
            .or_else(|| o.annotation(ann::INDEX))
            .and_then(|i| i.parse().ok())
    } else {
        None
    };
    Some(FileRef { path, index })
}

/// A field reference with only a path.
pub fn field(path: impl Into<String>) -> FieldRef {
    FieldRef {
        path: path.into(),
        ..Default::default()
    }
}
