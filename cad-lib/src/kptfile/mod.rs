//! The Kptfile (`kpt.dev/v1`): typed model, strict parsing and validation.
//!
//! Reading is strict like kpt's (unknown fields are errors that name the
//! field, the file and the line); writing never goes through this model but
//! through lossless edits of the file ([`edit`]), so comments and layout of a
//! user's Kptfile survive clone, upgrade and render.

pub mod edit;
mod go_yaml;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

pub use validate::Invalid;

/// File name of a package's Kptfile.
pub const KPTFILE: &str = "Kptfile";
/// `apiVersion` of current Kptfiles.
pub const API_VERSION: &str = "kpt.dev/v1";
/// `kind` of a Kptfile.
pub const KIND: &str = "Kptfile";

/// Why a Kptfile could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KptfileError {
    /// The file is not valid YAML or does not fit the schema.
    /// Worded as kpt's error resolver words it, details in Go's terms.
    #[error("Kptfile at {path:?} can't be read.\n\nDetails:\n{message}")]
    Parse {
        /// Package-relative path of the Kptfile.
        path: String,
        /// Parser message (names the field and the line).
        message: String,
    },
    /// An older schema version.
    #[error("Kptfile at {path:?} has an old version ({version:?}) of the Kptfile schema")]
    OldVersion {
        /// Package-relative path of the Kptfile.
        path: String,
        /// The version found.
        version: String,
    },
    /// A field breaks one of kpt's rules.
    #[error("{0}")]
    Invalid(#[from] Invalid),
}

/// A parsed Kptfile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kptfile {
    /// `kpt.dev/v1`.
    #[serde(default)]
    pub api_version: String,
    /// `Kptfile`.
    #[serde(default)]
    pub kind: String,
    /// Name, labels, annotations.
    #[serde(default)]
    pub metadata: Metadata,
    /// Where the package came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Upstream>,
    /// The exact upstream revision last fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_lock: Option<UpstreamLock>,
    /// Package description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<PackageInfo>,
    /// Functions run by render.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<Pipeline>,
    /// Inventory object for kpt live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Inventory>,
    /// Conditions (e.g. `Rendered`, readiness gates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

/// Kptfile metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Package name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Namespace (rarely set).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Labels (mirrored to `packageMetadata`).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "string_map"
    )]
    pub labels: BTreeMap<String, String>,
    /// Annotations (render options live here).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "string_map"
    )]
    pub annotations: BTreeMap<String, String>,
}

/// Upstream repository of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Upstream {
    /// `git` (or `oci`).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Git location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<Git>,
    /// OCI location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<Oci>,
    /// kpt CLI update strategy.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub update_strategy: String,
}

/// A package directory at a git ref.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Git {
    /// Repository URL.
    #[serde(default)]
    pub repo: String,
    /// Package directory in the repository.
    #[serde(default)]
    pub directory: String,
    /// Branch, tag or commit.
    #[serde(rename = "ref", default)]
    pub git_ref: String,
}

/// A package in an OCI image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Oci {
    /// Image reference.
    #[serde(default)]
    pub image: String,
}

/// The resolved upstream revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpstreamLock {
    /// `git` (or `oci`).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Git location with the commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitLock>,
    /// OCI location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<Oci>,
}

/// A git location pinned to a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitLock {
    /// Repository URL.
    #[serde(default)]
    pub repo: String,
    /// Package directory in the repository.
    #[serde(default)]
    pub directory: String,
    /// Branch or tag that was resolved.
    #[serde(rename = "ref", default)]
    pub git_ref: String,
    /// Commit SHA.
    #[serde(default)]
    pub commit: String,
}

/// Package description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PackageInfo {
    /// Home page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub site: String,
    /// Maintainer e-mails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// License name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub license: String,
    /// License file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub license_file: String,
    /// One-line description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Search keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Manual page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub man: String,
    /// Conditions that must be true before approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readiness_gates: Vec<ReadinessGate>,
}

/// A readiness gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadinessGate {
    /// Condition type that must be `True`.
    #[serde(default)]
    pub condition_type: String,
}

/// Functions run by render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pipeline {
    /// Run first, in order; may change resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mutators: Vec<Function>,
    /// Run after mutators; only their verdict counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<Function>,
}

/// One pipeline step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Function {
    /// Container image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// Local command line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub exec: String,
    /// Semver constraint for the image tag.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tag: String,
    /// Package file holding the function config.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub config_path: String,
    /// Inline config, passed as a ConfigMap (kept in file order).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string_map"
    )]
    pub config_map: Option<Map<String, Value>>,
    /// Step name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Resources the step runs on (any matching selector).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<Selector>,
    /// Resources the step skips.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<Selector>,
}

/// Matches resources by identity, labels and annotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Selector {
    /// Exact `apiVersion`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// Exact `kind`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Exact name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Exact namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Labels that must all be present.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "string_map"
    )]
    pub labels: BTreeMap<String, String>,
    /// Annotations that must all be present.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "string_map"
    )]
    pub annotations: BTreeMap<String, String>,
}

impl Selector {
    /// Whether no field is set (an empty selector matches nothing in exclude).
    pub fn is_empty(&self) -> bool {
        *self == Selector::default()
    }
}

/// Inventory for kpt live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Inventory {
    /// Namespace of the inventory object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Name of the inventory object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Inventory id.
    #[serde(
        rename = "inventoryID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub inventory_id: String,
    /// Labels.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "string_map"
    )]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "string_map"
    )]
    pub annotations: BTreeMap<String, String>,
}

/// Kptfile status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Status {
    /// Conditions, e.g. `Rendered` and readiness conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// kpt's detailed render status (read, never written by porch-rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_status: Option<Value>,
}

/// A status condition (a plain struct, not `metav1.Condition`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    /// Condition type.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default)]
    pub status: String,
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// Reads a map whose values may be any scalar, as strings (like yaml.v3 does
/// for `map[string]string`).
fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let m: Option<Map<String, Value>> = Option::deserialize(d)?;
    Ok(m.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, scalar_string(v)))
        .collect())
}

fn opt_string_map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
    let m: Option<Map<String, Value>> = Option::deserialize(d)?;
    Ok(m.map(|m| {
        m.into_iter()
            .map(|(k, v)| (k, Value::String(scalar_string(v))))
            .collect()
    }))
}

fn scalar_string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Kptfile {
    /// Parses and validates a Kptfile; errors name `path`, the field and the line.
    pub fn parse(path: &str, text: &str) -> Result<Self, KptfileError> {
        let head: Value = serde_norway::from_str(text).map_err(|e| KptfileError::Parse {
            path: path.to_string(),
            message: go_yaml::syntax_error(&e.to_string()),
        })?;
        let api_version = head
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(version) = api_version.strip_prefix("kpt.dev/")
            && version != "v1"
        {
            return Err(KptfileError::OldVersion {
                path: path.to_string(),
                version: version.to_string(),
            });
        }
        let kf: Kptfile = serde_norway::from_str(text).map_err(|e| KptfileError::Parse {
            path: path.to_string(),
            message: go_yaml::schema_error(&e.to_string()),
        })?;
        kf.validate()?;
        Ok(kf)
    }

    /// The pipeline, or an empty one.
    pub fn pipeline(&self) -> Pipeline {
        self.pipeline.clone().unwrap_or_default()
    }

    /// Whether an annotation of the Kptfile is `"true"`.
    pub fn annotation_is_true(&self, key: &str) -> bool {
        self.metadata.annotations.get(key).map(String::as_str) == Some("true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_name_field_and_line() {
        let text = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: x\npipeline:\n  mutators:\n  - image: set-labels\n    targetResources: []\n";
        let e = Kptfile::parse("Kptfile", text).unwrap_err().to_string();
        assert!(e.contains("targetResources") && e.contains("line 8"), "{e}");
    }

    #[test]
    fn old_versions_are_refused() {
        let e =
            Kptfile::parse("Kptfile", "apiVersion: kpt.dev/v1alpha1\nkind: Kptfile\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Kptfile at \"Kptfile\" has an old version (\"v1alpha1\") of the Kptfile schema"
        );
    }

    #[test]
    fn config_map_values_become_strings_in_order() {
        let text = "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: x\npipeline:\n  mutators:\n  - image: f\n    configMap:\n      z: 1\n      a: true\n";
        let kf = Kptfile::parse("Kptfile", text).unwrap();
        let cm = kf.pipeline().mutators[0].config_map.clone().unwrap();
        assert_eq!(cm.keys().collect::<Vec<_>>(), ["z", "a"]);
        assert_eq!(cm["z"], Value::String("1".into()));
    }
}
