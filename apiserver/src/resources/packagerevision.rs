//! `porch.kpt.dev/v1alpha1` PackageRevisions and PorchPackages: objects the
//! repository sync materialises from git into the Store, served through the
//! generic REST path with Porch's columns and field selectors.

use porch_api::packagerevision::{PORCH_GROUP, PORCH_VERSION, PackageRevision, PorchPackage};
use serde_json::{Value, json};

use crate::registry::{Column, Normalized, ResourceDef, Strategy, normalize_typed, str_at};

/// The label Porch puts on the latest published revision of each package.
pub const LATEST_LABEL: &str = "kpt.dev/latest-revision";

const LIFECYCLES: &[&str] = &["Draft", "Proposed", "Published", "DeletionProposed"];
const LABEL_FIELD_PREFIX: &str = "spec.packageMetadata.labels[";

/// Porch's selectable fields of packagerevisions and packagerevisionresources.
pub const PR_FIELDS: &[&str] = &[
    "spec.packageName",
    "spec.repository",
    "spec.workspaceName",
    "spec.revision",
    "spec.lifecycle",
];

/// Field value of a PackageRevision-shaped object (PR or PRR).
pub fn pr_field_value(obj: &Value, field: &str) -> Option<String> {
    match field {
        "spec.revision" => Some(
            obj.pointer("/spec/revision")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .to_string(),
        ),
        "spec.packageName" | "spec.repository" | "spec.workspaceName" | "spec.lifecycle" => {
            let key = field.trim_start_matches("spec.");
            Some(
                obj.get("spec")
                    .and_then(|s| s.get(key))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            )
        }
        other => {
            let key = other.strip_prefix(LABEL_FIELD_PREFIX)?.strip_suffix(']')?;
            obj.pointer("/spec/packageMetadata/labels")
                .and_then(|l| l.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        }
    }
}

/// Porch's rules for field selector values (porch-api.md §2.2).
pub fn pr_field_requirement(
    field: &str,
    equals: bool,
    value: &str,
) -> Result<Option<String>, String> {
    if !equals {
        return Err(format!(
            "unsupported operator for field {field}: only = and == are supported"
        ));
    }
    if value.is_empty() {
        return Err(format!("empty value for field selector {field}"));
    }
    match field {
        "spec.revision" => {
            let n = value
                .strip_prefix('v')
                .unwrap_or(value)
                .parse::<i64>()
                .unwrap_or(-1);
            Ok((n != 0).then(|| n.to_string()))
        }
        "spec.lifecycle" if !LIFECYCLES.contains(&value) => Err(format!(
            "unsupported lifecycle value {value:?} in field selector; must be one of {}",
            LIFECYCLES.join(", ")
        )),
        _ => Ok(Some(value.to_string())),
    }
}

fn supports_pr_field(field: &str) -> bool {
    PR_FIELDS.contains(&field) || (field.starts_with(LABEL_FIELD_PREFIX) && field.ends_with(']'))
}

/// The PackageRevision strategy (read path; writes come with the lifecycle issue).
pub struct PackageRevisionStrategy {
    def: ResourceDef,
}

impl PackageRevisionStrategy {
    pub fn new() -> Self {
        PackageRevisionStrategy {
            def: ResourceDef {
                group: PORCH_GROUP,
                version: PORCH_VERSION,
                kind: "PackageRevision",
                plural: "packagerevisions",
                singular: "packagerevision",
                namespaced: true,
                short_names: &[],
                verbs: &["get", "list", "watch"],
                subresources: &[],
                columns: vec![
                    Column::new("Package", "string", "Package name"),
                    Column::new(
                        "WorkspaceName",
                        "string",
                        "Workspace name of the package revision",
                    ),
                    Column::new("Revision", "integer", "Revision of the package revision"),
                    Column::new(
                        "Latest",
                        "boolean",
                        "Whether this is the latest published revision of the package",
                    ),
                    Column::new("Lifecycle", "string", "Lifecycle of the package revision"),
                    Column::new("Repository", "string", "Repository of the package revision"),
                ],
                schema: |g| g.subschema_for::<PackageRevision>(),
                fields: PR_FIELDS,
                uses_generation: false,
                name_is_label: false,
                requires_resource_version: true,
            },
        }
    }
}

impl Default for PackageRevisionStrategy {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl Strategy for PackageRevisionStrategy {
    fn def(&self) -> &ResourceDef {
        &self.def
    }

    fn normalize(&self, value: Value) -> Result<Normalized, String> {
        normalize_typed::<PackageRevision>(value)
    }

    fn supports_field(&self, field: &str) -> bool {
        supports_pr_field(field)
    }

    fn field_requirement(
        &self,
        field: &str,
        equals: bool,
        value: &str,
    ) -> Result<Option<String>, String> {
        pr_field_requirement(field, equals, value)
    }

    fn field_value(&self, obj: &Value, field: &str) -> Option<String> {
        pr_field_value(obj, field)
    }

    fn indexed_fields(&self) -> &'static [&'static str] {
        &["spec.repository", "spec.packageName"]
    }

    fn cells(&self, obj: &Value) -> Vec<Value> {
        let latest = obj
            .pointer("/metadata/labels")
            .and_then(|l| l.get(LATEST_LABEL))
            .and_then(Value::as_str)
            == Some("true");
        vec![
            json!(str_at(obj, &["spec", "packageName"]).unwrap_or("")),
            json!(str_at(obj, &["spec", "workspaceName"]).unwrap_or("")),
            json!(
                obj.pointer("/spec/revision")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            ),
            json!(latest),
            json!(str_at(obj, &["spec", "lifecycle"]).unwrap_or("")),
            json!(str_at(obj, &["spec", "repository"]).unwrap_or("")),
        ]
    }
}

/// The PorchPackage strategy: one object per package, read-only (writes are 405).
pub struct PorchPackageStrategy {
    def: ResourceDef,
}

impl PorchPackageStrategy {
    pub fn new() -> Self {
        PorchPackageStrategy {
            def: ResourceDef {
                group: PORCH_GROUP,
                version: PORCH_VERSION,
                kind: "PorchPackage",
                plural: "packages",
                singular: "package",
                namespaced: true,
                short_names: &[],
                verbs: &["get", "list"],
                subresources: &[],
                columns: vec![
                    Column::new("Package", "string", "Package name"),
                    Column::new("Repository", "string", "Repository of the package"),
                    Column::new(
                        "Latest Revision",
                        "integer",
                        "Latest published revision of the package",
                    ),
                ],
                schema: |g| g.subschema_for::<PorchPackage>(),
                fields: &["spec.packageName", "spec.repository"],
                uses_generation: false,
                name_is_label: false,
                requires_resource_version: true,
            },
        }
    }
}

impl Default for PorchPackageStrategy {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl Strategy for PorchPackageStrategy {
    fn def(&self) -> &ResourceDef {
        &self.def
    }

    fn normalize(&self, value: Value) -> Result<Normalized, String> {
        normalize_typed::<PorchPackage>(value)
    }

    fn field_requirement(
        &self,
        field: &str,
        equals: bool,
        value: &str,
    ) -> Result<Option<String>, String> {
        pr_field_requirement(field, equals, value)
    }

    fn field_value(&self, obj: &Value, field: &str) -> Option<String> {
        pr_field_value(obj, field)
    }

    fn indexed_fields(&self) -> &'static [&'static str] {
        &["spec.repository"]
    }

    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            json!(str_at(obj, &["spec", "packageName"]).unwrap_or("")),
            json!(str_at(obj, &["spec", "repository"]).unwrap_or("")),
            json!(
                obj.pointer("/status/latestRevision")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selector_values_follow_porch() {
        assert_eq!(
            pr_field_requirement("spec.revision", true, "v3").unwrap(),
            Some("3".into())
        );
        assert_eq!(
            pr_field_requirement("spec.revision", true, "0").unwrap(),
            None
        );
        assert_eq!(
            pr_field_requirement("spec.revision", true, "v2.0.0").unwrap(),
            Some("-1".into())
        );
        assert!(pr_field_requirement("spec.lifecycle", true, "Final").is_err());
        assert!(pr_field_requirement("spec.repository", false, "x").is_err());
        assert!(pr_field_requirement("spec.repository", true, "").is_err());
        let pr = json!({"spec": {"revision": 2, "packageName": "a/b", "packageMetadata": {"labels": {"env": "prod"}}}});
        assert_eq!(pr_field_value(&pr, "spec.revision").as_deref(), Some("2"));
        assert_eq!(
            pr_field_value(&pr, "spec.packageName").as_deref(),
            Some("a/b")
        );
        assert_eq!(
            pr_field_value(&pr, "spec.packageMetadata.labels[env]").as_deref(),
            Some("prod")
        );
        assert!(supports_pr_field("spec.packageMetadata.labels[env]"));
        assert!(!supports_pr_field("spec.tasks"));
    }
}

/// PackageRevisionResources: the files of a PackageRevision, read from git on
/// demand (not kept in the Store), same name, UID and resourceVersion as the PR.
pub struct PackageRevisionResourcesStrategy {
    def: ResourceDef,
}

impl PackageRevisionResourcesStrategy {
    pub fn new() -> Self {
        PackageRevisionResourcesStrategy {
            def: ResourceDef {
                group: PORCH_GROUP,
                version: PORCH_VERSION,
                kind: "PackageRevisionResources",
                plural: "packagerevisionresources",
                singular: "packagerevisionresources",
                namespaced: true,
                short_names: &[],
                verbs: &["get", "list"],
                subresources: &[],
                columns: vec![
                    Column::new("Package", "string", "Package name"),
                    Column::new(
                        "WorkspaceName",
                        "string",
                        "Workspace name of the package revision",
                    ),
                    Column::new("Revision", "integer", "Revision of the package revision"),
                    Column::new("Repository", "string", "Repository of the package revision"),
                    Column::new(
                        "Files",
                        "integer",
                        "Number of files in the package revision",
                    ),
                ],
                schema: |g| {
                    g.subschema_for::<porch_api::packagerevision::PackageRevisionResources>()
                },
                fields: PR_FIELDS,
                uses_generation: false,
                name_is_label: false,
                requires_resource_version: true,
            },
        }
    }
}

impl Default for PackageRevisionResourcesStrategy {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl Strategy for PackageRevisionResourcesStrategy {
    fn def(&self) -> &ResourceDef {
        &self.def
    }

    fn normalize(&self, value: Value) -> Result<Normalized, String> {
        normalize_typed::<porch_api::packagerevision::PackageRevisionResources>(value)
    }

    fn supports_field(&self, field: &str) -> bool {
        supports_pr_field(field)
    }

    fn field_requirement(
        &self,
        field: &str,
        equals: bool,
        value: &str,
    ) -> Result<Option<String>, String> {
        pr_field_requirement(field, equals, value)
    }

    fn field_value(&self, obj: &Value, field: &str) -> Option<String> {
        pr_field_value(obj, field)
    }

    fn derived_from(&self) -> Option<&'static str> {
        Some("packagerevisions")
    }

    async fn derive(
        &self,
        state: &crate::state::AppState,
        source: &crate::storage::cache::Cached,
    ) -> Result<Value, crate::error::ApiError> {
        let files = crate::sync::package_files(state, &source.value).await?;
        let pr = &source.value;
        let mut meta = pr.get("metadata").cloned().unwrap_or(json!({}));
        if let Some(m) = meta.as_object_mut() {
            m.remove("managedFields");
        }
        Ok(json!({
            "apiVersion": format!("{PORCH_GROUP}/{PORCH_VERSION}"), "kind": "PackageRevisionResources",
            "metadata": meta,
            "spec": {
                "packageName": str_at(pr, &["spec", "packageName"]).unwrap_or(""),
                "workspaceName": str_at(pr, &["spec", "workspaceName"]).unwrap_or(""),
                "revision": pr.pointer("/spec/revision").and_then(Value::as_i64).unwrap_or(0),
                "repository": str_at(pr, &["spec", "repository"]).unwrap_or(""),
                "resources": files,
            },
            "status": {},
        }))
    }

    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            json!(str_at(obj, &["spec", "packageName"]).unwrap_or("")),
            json!(str_at(obj, &["spec", "workspaceName"]).unwrap_or("")),
            json!(
                obj.pointer("/spec/revision")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            ),
            json!(str_at(obj, &["spec", "repository"]).unwrap_or("")),
            json!(
                obj.pointer("/spec/resources")
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.len())
            ),
        ]
    }
}
