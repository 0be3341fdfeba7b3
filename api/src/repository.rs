//! `config.porch.kpt.dev/v1alpha1` Repository: where packages live and how to reach them.

use porch_apimachinery::meta::{Condition, ObjectMeta};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Group of the Repository resource.
pub const CONFIG_GROUP: &str = "config.porch.kpt.dev";
/// Version of the Repository resource.
pub const CONFIG_VERSION: &str = "v1alpha1";

/// Repository registers a Git or OCI repository whose packages porch-rs serves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// APIVersion defines the versioned schema of this representation of an object.
    #[serde(default)]
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// RepositorySpec defines the desired state of Repository.
    #[serde(default)]
    pub spec: RepositorySpec,
    /// RepositoryStatus defines the observed state of Repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RepositoryStatus>,
}

/// Desired state of a Repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositorySpec {
    /// User-friendly description of the repository
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The repository is a deployment repository; final packages in this repository are deployment ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<bool>,
    /// Type of the repository (i.e. git, OCI). Immutable.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// The Content field is deprecated, please do not specify it in new manifests. For partial backward compatibility it is still recognized, but its only valid value is "Package", and if not specified its default value is also "Package".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Synchronisation settings: a cron schedule for full syncs and a one-shot sync time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<RepositorySync>,
    /// Git repository details. Required if `type` is `git`. Ignored if `type` is not `git`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitRepository>,
    /// OCI repository details. Required if `type` is `oci`. Ignored if `type` is not `oci`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<OciRepository>,
}

/// When to fully resynchronise a repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositorySync {
    /// Value in cron format indicating the frequency of full syncs (5 fields: minute hour day-of-month month day-of-week).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Value in metav1.Time format to indicate when the repository should be synced once (RFC 3339); cleared after it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_once_at: Option<String>,
}

/// Where a git repository is and how to access it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRepository {
    /// Address of the Git repository, for example: `https://github.com/GoogleCloudPlatform/blueprints.git`. Immutable.
    #[serde(default)]
    pub repo: String,
    /// Name of the branch containing the packages. Finalized packages will be committed to this branch (if the repository allows write access). If unspecified, defaults to "main". Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// CreateBranch specifies if Porch should create the package branch if it doesn't exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_branch: Option<bool>,
    /// Directory within the Git repository where the packages are stored. A subdirectory of this directory containing a Kptfile is considered a package. If unspecified, defaults to root directory. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// Reference to secret containing authentication credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// Author to use for commits
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Email to use for commits
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Where an OCI repository is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OciRepository {
    /// Registry is the address of the OCI registry. Immutable.
    #[serde(default)]
    pub registry: String,
    /// Reference to secret containing authentication credentials (unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
}

/// Reference to a Secret in the Repository's namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    /// Name of the secret. The secret is expected to be located in the same namespace as the resource containing the reference.
    #[serde(default)]
    pub name: String,
}

/// Observed state of a Repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryStatus {
    /// Conditions describes the reconciliation state of the object (a single `Ready` condition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    /// LastFullSyncTime is the last time a full sync was performed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_full_sync_time: Option<String>,
    /// NextFullSyncTime is the next time a full sync is scheduled (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_full_sync_time: Option<String>,
    /// ObservedGeneration is the generation of the spec the status was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// ObservedRunOnceAt is the last `spec.sync.runOnceAt` that was acted upon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_run_once_at: Option<String>,
    /// PackageCount is the number of packages discovered in the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_count: Option<i64>,
    /// GitCommitHash is the commit at the head of the repository branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit_hash: Option<String>,
}
