//! `porch.kpt.dev/v1alpha1` PackageRevisions and PorchPackages: objects the
//! repository sync materialises from git into the Store, served through the
//! generic REST path with Porch's columns and field selectors.

use porch_api::packagerevision::{PORCH_GROUP, PORCH_VERSION, PackageRevision, PorchPackage};
use serde_json::{Value, json};

use crate::error::FieldError;
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
                verbs: &[
                    "create",
                    "delete",
                    "deletecollection",
                    "get",
                    "list",
                    "patch",
                    "update",
                    "watch",
                ],
                subresources: &[("approval", &["get", "patch", "update"])],
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

    fn backend(&self) -> Option<&dyn crate::registry::Backend> {
        Some(&crate::authoring::PackageRevisionBackend)
    }

    fn derive_name(&self, obj: &Value) -> Result<Option<String>, crate::error::ApiError> {
        let repository = str_at(obj, &["spec", "repository"]).unwrap_or("");
        if repository.is_empty() {
            return Err(crate::error::ApiError::BadRequest(
                "spec.repositoryName is required".into(),
            ));
        }
        let package = str_at(obj, &["spec", "packageName"]).unwrap_or("");
        let workspace = str_at(obj, &["spec", "workspaceName"]).unwrap_or("");
        Ok(Some(porch_api::names::package_revision_name(
            repository, package, workspace,
        )))
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        let ns = str_at(obj, &["metadata", "namespace"])
            .unwrap_or("")
            .to_string();
        let name = str_at(obj, &["metadata", "name"]).unwrap_or("").to_string();
        let gv = format!("{PORCH_GROUP}/{PORCH_VERSION}");
        obj["metadata"]["uid"] = json!(porch_api::names::generate_uid(
            "packagerevision:",
            &gv,
            &ns,
            &name
        ));
        if str_at(obj, &["spec", "lifecycle"]).unwrap_or("").is_empty() {
            obj["spec"]["lifecycle"] = json!("Draft");
        }
        if let Some(status) = obj.get_mut("status") {
            *status = json!({});
        }
    }

    fn validate_create(&self, obj: &Value) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if latest_label(obj).is_some() {
            errs.push(FieldError::forbidden(
                format!("metadata.labels[{LATEST_LABEL}]"),
                "label is managed by porch and cannot be set by users",
            ));
        }
        let spec = obj.get("spec").cloned().unwrap_or(json!({}));
        for (field, value) in [
            (
                "spec.packageName",
                str_at(&spec, &["packageName"]).unwrap_or(""),
            ),
            (
                "spec.workspaceName",
                str_at(&spec, &["workspaceName"]).unwrap_or(""),
            ),
        ] {
            errs.extend(name_errors(field, value));
        }
        if let Err(e) =
            porch_api::lifecycle::check_create(str_at(&spec, &["lifecycle"]).unwrap_or(""))
        {
            errs.push(FieldError::invalid(
                e.field,
                str_at(&spec, &["lifecycle"]).unwrap_or(""),
                &e.message,
            ));
        }
        let tasks = spec
            .get("tasks")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if tasks.len() > 1 {
            errs.push(FieldError::invalid(
                "spec.tasks",
                "",
                "task list must not contain more than one task",
            ));
        }
        for t in &tasks {
            let ty = str_at(t, &["type"]).unwrap_or("");
            if !["init", "clone", "edit", "upgrade"].contains(&ty) {
                errs.push(FieldError::not_supported(
                    "spec.tasks[0].type",
                    ty,
                    &["init", "clone", "edit", "upgrade"],
                ));
            }
        }
        errs
    }

    fn validates_updates_as_creates(&self) -> bool {
        false
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        if latest_label(new) != latest_label(old) {
            return vec![FieldError::forbidden(
                format!("metadata.labels[{LATEST_LABEL}]"),
                "label is managed by porch and cannot be modified by users",
            )];
        }
        Vec::new()
    }

    async fn before_delete(
        &self,
        state: &crate::state::AppState,
        obj: &Value,
    ) -> Result<(), crate::error::ApiError> {
        crate::authoring::check_delete(state, obj)
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

fn latest_label(obj: &Value) -> Option<&Value> {
    obj.pointer("/metadata/labels")
        .and_then(|l| l.get(LATEST_LABEL))
}

/// Package paths are `/`-separated DNS labels; workspaces one DNS label.
fn name_errors(field: &str, value: &str) -> Vec<FieldError> {
    if value.is_empty() {
        return vec![FieldError::required(field, "is required")];
    }
    let parts: Vec<&str> = if field == "spec.packageName" {
        value.split('/').collect()
    } else {
        vec![value]
    };
    parts
        .into_iter()
        .flat_map(porch_apimachinery::names::is_dns1123_label)
        .map(|e| FieldError::invalid(field, value, &e))
        .collect()
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
        &["spec.repository", "spec.packageName"]
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
                verbs: &["get", "list", "patch", "update"],
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

    fn backend(&self) -> Option<&dyn crate::registry::Backend> {
        Some(&crate::authoring::ResourcesBackend)
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
        let mut out = json!({
            "apiVersion": format!("{PORCH_GROUP}/{PORCH_VERSION}"), "kind": "PackageRevisionResources",
            "metadata": meta,
            "spec": {
                "packageName": str_at(pr, &["spec", "packageName"]).unwrap_or(""),
                "workspaceName": str_at(pr, &["spec", "workspaceName"]).unwrap_or(""),
                "repository": str_at(pr, &["spec", "repository"]).unwrap_or(""),
                "resources": files,
            },
            "status": {},
        });
        if let Some(rev) = pr
            .pointer("/spec/revision")
            .and_then(Value::as_i64)
            .filter(|r| *r != 0)
        {
            out["spec"]["revision"] = json!(rev);
        }
        Ok(out)
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
