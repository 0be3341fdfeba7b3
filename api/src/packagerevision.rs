//! `porch.kpt.dev/v1alpha1` PackageRevision, PackageRevisionResources and
//! PorchPackage: the package API Porch clients speak (porch-api.md §1.2–1.5).

use std::collections::BTreeMap;

use porch_apimachinery::meta::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Group of the package resources.
pub const PORCH_GROUP: &str = "porch.kpt.dev";
/// Version of the package resources.
pub const PORCH_VERSION: &str = "v1alpha1";

/// One revision of a package: a draft, a proposal, or a published version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageRevision {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default)]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// PackageRevisionSpec defines the desired state of PackageRevision.
    #[serde(default)]
    pub spec: PackageRevisionSpec,
    /// PackageRevisionStatus defines the observed state of PackageRevision.
    #[serde(default)]
    pub status: PackageRevisionStatus,
}

/// Desired state of a PackageRevision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageRevisionSpec {
    /// PackageName identifies the package in the repository (a path relative to the repository directory).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub package_name: String,
    /// RepositoryName is the name of the Repository object containing this package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
    /// WorkspaceName is a short, unique description of the changes contained in this package revision.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workspace_name: String,
    /// Revision identifies the version of the package: 0 for drafts, -1 for placeholders, 1.. when published.
    /// Omitted when 0, as Porch (Go's `omitempty`): clients print `<none>` for drafts.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revision: i64,
    /// Parent references a package that provides resources to us (deprecated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentReference>,
    /// Lifecycle: Draft, Proposed, Published or DeletionProposed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub lifecycle: String,
    /// The task that created this package revision (at most one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Conditions that must be True before the revision may be published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readiness_gates: Vec<ReadinessGate>,
    /// Labels and annotations of the package, mirrored in the Kptfile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_metadata: Option<PackageMetadata>,
}

/// Deprecated reference to a parent package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ParentReference {
    /// Name is the name of the parent PackageRevision.
    #[serde(default)]
    pub name: String,
}

/// A condition type that gates publishing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessGate {
    /// ConditionType refers to the condition type whose status is used to determine readiness.
    #[serde(default)]
    pub condition_type: String,
}

/// Labels and annotations of a package (Kptfile metadata).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PackageMetadata {
    /// Labels of the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations of the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// How a package revision was created.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Type of the task: init, clone, edit or upgrade.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Parameters of an init task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<PackageInitTaskSpec>,
    /// Parameters of a clone task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clone: Option<PackageCloneTaskSpec>,
    /// Parameters of an edit (copy) task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<PackageEditTaskSpec>,
    /// Parameters of an upgrade task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<PackageUpgradeTaskSpec>,
}

/// Initialise a new package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PackageInitTaskSpec {
    /// Subpackage is a directory path to a subpackage to initialize; empty initialises the root package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subpackage: String,
    /// Description is a short description of the package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Keywords is a list of keywords describing the package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Site is a link to page with information about the package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub site: String,
}

/// Clone a package from an upstream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageCloneTaskSpec {
    /// Upstream is the reference to the upstream package to clone.
    #[serde(default)]
    pub upstream_ref: UpstreamPackage,
}

/// Where an upstream package comes from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamPackage {
    /// Type of the repository (i.e. git, OCI). If empty, `upstreamRef` will be used.
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub type_: String,
    /// Git upstream package specification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitPackage>,
    /// OCI upstream package specification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<OciPackage>,
    /// UpstreamRef is the reference to a package revision registered in Porch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_ref: Option<PackageRevisionRef>,
}

/// A package in an unregistered git repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitPackage {
    /// Address of the Git repository, for example: `https://github.com/GoogleCloudPlatform/blueprints.git`
    #[serde(default)]
    pub repo: String,
    /// `Ref` is the git ref containing the package. Ref can be a branch, tag, or commit SHA.
    #[serde(rename = "ref", default)]
    pub ref_: String,
    /// Directory within the Git repository where the packages are stored.
    #[serde(default)]
    pub directory: String,
    /// Reference to secret containing authentication credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<crate::repository::SecretRef>,
}

/// A package stored as an OCI image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OciPackage {
    /// Image is the address of an OCI image.
    #[serde(default)]
    pub image: String,
}

/// Reference to another PackageRevision by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PackageRevisionRef {
    /// Name is the name of the referenced PackageRevision resource.
    #[serde(default)]
    pub name: String,
}

/// Copy a published revision of the same package into a new draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageEditTaskSpec {
    /// The published revision to copy.
    #[serde(default)]
    pub source_ref: PackageRevisionRef,
}

/// Upgrade a package to a new upstream revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageUpgradeTaskSpec {
    /// The upstream revision the local package was based on.
    #[serde(default)]
    pub old_upstream_ref: PackageRevisionRef,
    /// The upstream revision to upgrade to.
    #[serde(default)]
    pub new_upstream_ref: PackageRevisionRef,
    /// The local revision to upgrade.
    #[serde(default)]
    pub local_package_revision_ref: PackageRevisionRef,
    /// Strategy: resource-merge (default), fast-forward, force-delete-replace or copy-merge.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub strategy: String,
}

/// Observed state of a PackageRevision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageRevisionStatus {
    /// UpstreamLock identifies the upstream data for this package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_lock: Option<Locator>,
    /// SelfLock identifies the location of the current package's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_lock: Option<Locator>,
    /// PublishedBy is the identity of the user who approved the packagerevision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_by: Option<String>,
    /// PublishedAt is the time when the packagerevision were approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_timestamp: Option<String>,
    /// Deployment is true if this is deployment package (in a deployment repository).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<bool>,
    /// Conditions of the package (mirrors the Kptfile status conditions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<PackageCondition>,
}

/// Where package content is locked to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Locator {
    /// Type is the type of origin.
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub type_: String,
    /// Git is the resolved locator for a package on Git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitLock>,
}

/// A package locked to a git commit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GitLock {
    /// Repo is the git repository that was fetched.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repo: String,
    /// Directory is the sub directory of the git repository that was fetched.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub directory: String,
    /// Ref can be a DRY reference to a tag or branch.
    #[serde(rename = "ref", default, skip_serializing_if = "String::is_empty")]
    pub ref_: String,
    /// Commit is the SHA-1 for the last fetch of the package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit: String,
}

/// A package condition (Kptfile `status.conditions`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PackageCondition {
    /// Type of the condition.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Status: True, False or Unknown.
    #[serde(default)]
    pub status: String,
    /// Reason of the last transition.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Human readable message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// The files of one package revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageRevisionResources {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default)]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The package revision's identity and content.
    #[serde(default)]
    pub spec: PackageRevisionResourcesSpec,
    /// Result of the last render.
    #[serde(default)]
    pub status: PackageRevisionResourcesStatus,
}

/// Identity and content of a package revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageRevisionResourcesSpec {
    /// PackageName identifies the package in the repository.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub package_name: String,
    /// WorkspaceName identifies the revision of the package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workspace_name: String,
    /// Revision of the package (omitted when 0, as Porch).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revision: i64,
    /// RepositoryName is the name of the Repository object containing this package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
    /// Resources are the content of the package: path relative to the package root → file content.
    #[serde(default)]
    pub resources: BTreeMap<String, String>,
}

/// Result of the last render of a package revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageRevisionResourcesStatus {
    /// RenderStatus contains the result of rendering the package resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_status: Option<RenderStatus>,
}

/// Results of a render.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RenderStatus {
    /// kpt's FunctionResultList.
    #[serde(default)]
    pub result: serde_json::Value,
    /// The render error, if any.
    #[serde(default)]
    pub error: String,
}

/// A package (all its revisions) in a repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PorchPackage {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default)]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Identity of the package.
    #[serde(default)]
    pub spec: PackageSpec,
    /// Latest published revision.
    #[serde(default)]
    pub status: PackageStatus,
}

/// Identity of a package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageSpec {
    /// PackageName identifies the package in the repository.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub package_name: String,
    /// RepositoryName is the name of the Repository object containing this package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
}

/// Observed state of a package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageStatus {
    /// LatestRevision identifies the package revision that is the latest published package revision belonging to this package.
    #[serde(default)]
    pub latest_revision: i64,
}

/// Go's `omitempty` for integers.
fn is_zero(n: &i64) -> bool {
    *n == 0
}
