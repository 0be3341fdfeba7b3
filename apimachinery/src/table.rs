//! `meta.k8s.io` `Table` and `PartialObjectMetadata[List]` wire types.
//!
//! `kubectl get` asks for a Table (kube-api.md §7.1) and prints its cells
//! verbatim; `includeObject=Metadata` rows carry a `PartialObjectMetadata`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::meta::{ListMeta, ObjectMeta};

/// The two `meta.k8s.io` versions clients ask for in Accept headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaVersion {
    /// `meta.k8s.io/v1`.
    V1,
    /// `meta.k8s.io/v1beta1` (identical JSON, older clients).
    V1Beta1,
}

impl MetaVersion {
    /// The `apiVersion` string.
    pub fn api_version(self) -> &'static str {
        match self {
            Self::V1 => "meta.k8s.io/v1",
            Self::V1Beta1 => "meta.k8s.io/v1beta1",
        }
    }

    /// The version alone (`v1`, `v1beta1`), as in media type parameters.
    pub fn version(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V1Beta1 => "v1beta1",
        }
    }
}

/// What `includeObject` asks to embed in each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No object.
    None,
    /// A `PartialObjectMetadata` (the default; kubectl needs it for `-A` and `--show-labels`).
    #[default]
    Metadata,
    /// The full object.
    Object,
}

impl IncludeObject {
    /// Parses the query value; an empty string is the default (`Metadata`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "Metadata" => Some(Self::Metadata),
            "None" => Some(Self::None),
            "Object" => Some(Self::Object),
            _ => None,
        }
    }
}

/// A tabular rendering of one object or a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    /// Always `Table`.
    pub kind: String,
    /// `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`.
    pub api_version: String,
    /// resourceVersion and continue token of the underlying list.
    #[serde(default)]
    pub metadata: ListMeta,
    /// Column headers; may be empty in watch events after the first.
    #[serde(default)]
    pub column_definitions: Vec<TableColumnDefinition>,
    /// One row per object.
    #[serde(default)]
    pub rows: Vec<TableRow>,
}

impl Table {
    /// An empty table of the given version.
    pub fn new(version: MetaVersion) -> Self {
        Self {
            kind: "Table".into(),
            api_version: version.api_version().into(),
            metadata: ListMeta::default(),
            column_definitions: Vec::new(),
            rows: Vec::new(),
        }
    }
}

/// One column header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableColumnDefinition {
    /// Header text (kubectl upper-cases it).
    pub name: String,
    /// OpenAPI type (`string`, `integer`, `boolean`, `number`).
    #[serde(rename = "type")]
    pub type_: String,
    /// OpenAPI format; `name` marks the name column.
    #[serde(default)]
    pub format: String,
    /// Column description.
    #[serde(default)]
    pub description: String,
    /// 0 = always shown, >0 = only with `-o wide`.
    #[serde(default)]
    pub priority: i32,
}

impl TableColumnDefinition {
    /// A column with the given name, type, format, description and priority.
    pub fn new(name: &str, type_: &str, format: &str, description: &str, priority: i32) -> Self {
        Self {
            name: name.into(),
            type_: type_.into(),
            format: format.into(),
            description: description.into(),
            priority,
        }
    }
}

/// One row: cells in column order plus the (partial) object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableRow {
    /// Cell values; kubectl prints strings, numbers and booleans as JSON scalars.
    pub cells: Vec<Value>,
    /// Optional row conditions (e.g. `Completed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<TableRowCondition>,
    /// The embedded object per `includeObject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
}

/// A row condition (`TableRowCondition`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableRowCondition {
    /// Condition type, e.g. `Completed`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// An object reduced to its metadata (`PartialObjectMetadata`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialObjectMetadata {
    /// Always `PartialObjectMetadata`.
    pub kind: String,
    /// `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`.
    pub api_version: String,
    /// The full object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
}

impl PartialObjectMetadata {
    /// Wraps metadata.
    pub fn new(version: MetaVersion, metadata: ObjectMeta) -> Self {
        Self {
            kind: "PartialObjectMetadata".into(),
            api_version: version.api_version().into(),
            metadata,
        }
    }

    /// Takes `metadata` from a JSON object; malformed or missing metadata becomes empty.
    pub fn from_object(version: MetaVersion, object: &Value) -> Self {
        let metadata = object
            .get("metadata")
            .and_then(|m| ObjectMeta::deserialize(m).ok())
            .unwrap_or_default();
        Self::new(version, metadata)
    }
}

/// A list of `PartialObjectMetadata` (metadata-only list responses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialObjectMetadataList {
    /// Always `PartialObjectMetadataList`.
    pub kind: String,
    /// `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`.
    pub api_version: String,
    /// resourceVersion and continue token.
    #[serde(default)]
    pub metadata: ListMeta,
    /// The items; `[]` when empty, never `null`.
    #[serde(default)]
    pub items: Vec<PartialObjectMetadata>,
}

impl PartialObjectMetadataList {
    /// An empty list of the given version.
    pub fn new(version: MetaVersion) -> Self {
        Self {
            kind: "PartialObjectMetadataList".into(),
            api_version: version.api_version().into(),
            metadata: ListMeta::default(),
            items: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_wire_format() {
        let mut t = Table::new(MetaVersion::V1);
        t.metadata.resource_version = Some("101".into());
        t.column_definitions
            .push(TableColumnDefinition::new("Name", "string", "name", "d", 0));
        t.rows.push(TableRow {
            cells: vec![json!("repo1.pkg1.v1"), json!(1)],
            conditions: vec![],
            object: Some(
                serde_json::to_value(PartialObjectMetadata::from_object(
                    MetaVersion::V1,
                    &json!({"metadata":{"name":"a","namespace":"ns"}}),
                ))
                .unwrap(),
            ),
        });
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"101"},
                "columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"d","priority":0}],
                "rows":[{"cells":["repo1.pkg1.v1",1],
                  "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                            "metadata":{"name":"a","namespace":"ns"}}}]})
        );
    }

    #[test]
    fn empty_table_has_empty_arrays() {
        let v = serde_json::to_value(Table::new(MetaVersion::V1Beta1)).unwrap();
        assert_eq!(
            v,
            json!({"kind":"Table","apiVersion":"meta.k8s.io/v1beta1","metadata":{},"columnDefinitions":[],"rows":[]})
        );
    }

    #[test]
    fn partial_metadata_list() {
        let mut l = PartialObjectMetadataList::new(MetaVersion::V1);
        assert_eq!(
            serde_json::to_value(&l).unwrap(),
            json!({"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},"items":[]})
        );
        l.items.push(PartialObjectMetadata::from_object(
            MetaVersion::V1,
            &json!({"metadata":5}),
        ));
        assert_eq!(l.items[0].metadata, ObjectMeta::default());
    }

    #[test]
    fn include_object_parse() {
        assert_eq!(IncludeObject::parse(""), Some(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse("None"), Some(IncludeObject::None));
        assert_eq!(IncludeObject::parse("Object"), Some(IncludeObject::Object));
        assert_eq!(IncludeObject::parse("object"), None);
    }

    #[test]
    fn row_condition_round_trip() {
        let r: TableRow = serde_json::from_value(
            json!({"cells":[],"conditions":[{"type":"Completed","status":"True"}]}),
        )
        .unwrap();
        assert_eq!(r.conditions[0].type_, "Completed");
        assert_eq!(
            serde_json::to_value(&r).unwrap()["conditions"][0],
            json!({"type":"Completed","status":"True"})
        );
    }
}
