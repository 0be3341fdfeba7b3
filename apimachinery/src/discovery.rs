//! Discovery documents: legacy (`APIVersions`, `APIGroupList`, `APIResourceList`)
//! and aggregated (`apidiscovery.k8s.io` v2 / v2beta1), kube-api.md §4.
//!
//! Serde types only; the apiserver builds them from its resource registry.

use serde::{Deserialize, Serialize};

use crate::meta::{ListMeta, ObjectMeta};

/// `/api`: the core group's versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIVersions {
    /// Always `APIVersions`.
    #[serde(default)]
    pub kind: String,
    /// Core versions served (`["v1"]`).
    #[serde(default)]
    pub versions: Vec<String>,
    /// Where clients reach the server from each network.
    #[serde(default, rename = "serverAddressByClientCIDRs")]
    pub server_address_by_client_cidrs: Vec<ServerAddressByClientCIDR>,
}

/// A server address for a client network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerAddressByClientCIDR {
    /// Client network, e.g. `0.0.0.0/0`.
    #[serde(rename = "clientCIDR")]
    pub client_cidr: String,
    /// `host:port` for that network.
    pub server_address: String,
}

/// `/apis`: every group (legacy discovery).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIGroupList {
    /// Always `APIGroupList`.
    #[serde(default)]
    pub kind: String,
    /// Always `v1`.
    #[serde(default)]
    pub api_version: String,
    /// The groups.
    #[serde(default)]
    pub groups: Vec<APIGroup>,
}

impl APIGroupList {
    /// A list with kind and apiVersion set.
    pub fn new(groups: Vec<APIGroup>) -> Self {
        Self {
            kind: "APIGroupList".into(),
            api_version: "v1".into(),
            groups,
        }
    }
}

/// `/apis/<g>`: one group and its versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIGroup {
    /// `APIGroup` when served alone, empty inside `APIGroupList`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `v1` when served alone, empty inside `APIGroupList`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// Group name.
    pub name: String,
    /// Served versions.
    #[serde(default)]
    pub versions: Vec<GroupVersionForDiscovery>,
    /// The version clients should use.
    #[serde(default)]
    pub preferred_version: GroupVersionForDiscovery,
    /// Optional per-network addresses.
    #[serde(
        default,
        rename = "serverAddressByClientCIDRs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub server_address_by_client_cidrs: Vec<ServerAddressByClientCIDR>,
}

/// A group-version pair in legacy discovery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupVersionForDiscovery {
    /// `group/version` (just `version` for core).
    pub group_version: String,
    /// The version.
    pub version: String,
}

impl GroupVersionForDiscovery {
    /// Builds `group/version` (or `version` for the core group).
    pub fn new(group: &str, version: &str) -> Self {
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        Self {
            group_version: gv,
            version: version.into(),
        }
    }
}

/// `/apis/<g>/<v>` (and `/api/v1`): the resources of one group-version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIResourceList {
    /// Always `APIResourceList`.
    #[serde(default)]
    pub kind: String,
    /// Always `v1`.
    #[serde(default)]
    pub api_version: String,
    /// `group/version`.
    pub group_version: String,
    /// Resources and subresources (`name/sub`).
    #[serde(default)]
    pub resources: Vec<APIResource>,
}

/// One resource in legacy discovery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIResource {
    /// Plural name, or `plural/subresource`.
    pub name: String,
    /// Singular name (empty for subresources).
    #[serde(default)]
    pub singular_name: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Group, when different from the list's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Version, when different from the list's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Kind of the objects.
    pub kind: String,
    /// Supported verbs.
    #[serde(default)]
    pub verbs: Vec<String>,
    /// Short names (`repo`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    /// Categories (`all`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Hash of the storage version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub storage_version_hash: String,
}

/// Which aggregated discovery version a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregatedVersion {
    /// `apidiscovery.k8s.io/v2` (kubectl ≥ 1.30).
    V2,
    /// `apidiscovery.k8s.io/v2beta1` (kubectl 1.27–1.29).
    V2Beta1,
}

impl AggregatedVersion {
    /// The `apiVersion` string.
    pub fn api_version(self) -> &'static str {
        match self {
            Self::V2 => "apidiscovery.k8s.io/v2",
            Self::V2Beta1 => "apidiscovery.k8s.io/v2beta1",
        }
    }

    /// The version alone (`v2`, `v2beta1`).
    pub fn version(self) -> &'static str {
        match self {
            Self::V2 => "v2",
            Self::V2Beta1 => "v2beta1",
        }
    }

    /// The response `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::V2 => "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            Self::V2Beta1 => {
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
            }
        }
    }
}

/// Aggregated discovery: every group, version and resource in one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIGroupDiscoveryList {
    /// Always `APIGroupDiscoveryList`.
    #[serde(default)]
    pub kind: String,
    /// `apidiscovery.k8s.io/v2` or `/v2beta1`.
    #[serde(default)]
    pub api_version: String,
    /// Always `{}`.
    #[serde(default)]
    pub metadata: ListMeta,
    /// The groups.
    #[serde(default)]
    pub items: Vec<APIGroupDiscovery>,
}

impl APIGroupDiscoveryList {
    /// A list with kind and apiVersion set for the negotiated version.
    pub fn new(version: AggregatedVersion, items: Vec<APIGroupDiscovery>) -> Self {
        Self {
            kind: "APIGroupDiscoveryList".into(),
            api_version: version.api_version().into(),
            metadata: ListMeta::default(),
            items,
        }
    }
}

/// One group in aggregated discovery (`metadata.name` = group; empty for core).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIGroupDiscovery {
    /// Empty inside the list.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Empty inside the list.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `{"name": <group>}`, `{}` for the core group.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Versions, preferred first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<APIVersionDiscovery>,
}

/// One version of a group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIVersionDiscovery {
    /// The version (`v1alpha1`).
    pub version: String,
    /// Resources of this version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<APIResourceDiscovery>,
    /// `Current` or `Stale`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub freshness: String,
}

/// A group/version/kind triple (`responseKind`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupVersionKind {
    /// API group (empty for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Kind.
    pub kind: String,
}

/// One resource in aggregated discovery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APIResourceDiscovery {
    /// Plural name.
    pub resource: String,
    /// Kind returned by the resource.
    pub response_kind: Option<GroupVersionKind>,
    /// `Namespaced` or `Cluster`.
    pub scope: String,
    /// Singular name.
    pub singular_resource: String,
    /// Supported verbs.
    #[serde(default)]
    pub verbs: Vec<String>,
    /// Short names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    /// Categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Subresources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subresources: Vec<APISubresourceDiscovery>,
}

/// One subresource in aggregated discovery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct APISubresourceDiscovery {
    /// Subresource name (`approval`, `status`).
    pub subresource: String,
    /// Kind returned by the subresource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_kind: Option<GroupVersionKind>,
    /// Kinds accepted in request bodies, when they differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_types: Vec<GroupVersionKind>,
    /// Supported verbs.
    #[serde(default)]
    pub verbs: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gvk(kind: &str) -> Option<GroupVersionKind> {
        Some(GroupVersionKind {
            group: "porch.kpt.dev".into(),
            version: "v1alpha1".into(),
            kind: kind.into(),
        })
    }

    #[test]
    fn aggregated_matches_spec_example() {
        let list = APIGroupDiscoveryList::new(
            AggregatedVersion::V2,
            vec![APIGroupDiscovery {
                metadata: ObjectMeta {
                    name: Some("porch.kpt.dev".into()),
                    ..Default::default()
                },
                versions: vec![APIVersionDiscovery {
                    version: "v1alpha1".into(),
                    freshness: "Current".into(),
                    resources: vec![APIResourceDiscovery {
                        resource: "packagerevisions".into(),
                        response_kind: gvk("PackageRevision"),
                        scope: "Namespaced".into(),
                        singular_resource: "packagerevision".into(),
                        verbs: [
                            "create", "delete", "get", "list", "patch", "update", "watch",
                        ]
                        .map(String::from)
                        .to_vec(),
                        subresources: vec![APISubresourceDiscovery {
                            subresource: "approval".into(),
                            response_kind: gvk("PackageRevision"),
                            accepted_types: vec![],
                            verbs: ["get", "patch", "update"].map(String::from).to_vec(),
                        }],
                        ..Default::default()
                    }],
                }],
                ..Default::default()
            }],
        );
        let expected = json!({"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},
         "items":[{"metadata":{"name":"porch.kpt.dev"},
           "versions":[{"version":"v1alpha1","freshness":"Current","resources":[
             {"resource":"packagerevisions",
              "responseKind":{"group":"porch.kpt.dev","version":"v1alpha1","kind":"PackageRevision"},
              "scope":"Namespaced","singularResource":"packagerevision",
              "verbs":["create","delete","get","list","patch","update","watch"],
              "subresources":[{"subresource":"approval",
                "responseKind":{"group":"porch.kpt.dev","version":"v1alpha1","kind":"PackageRevision"},
                "verbs":["get","patch","update"]}]}]}]}]});
        assert_eq!(serde_json::to_value(&list).unwrap(), expected);
        let back: APIGroupDiscoveryList = serde_json::from_value(expected).unwrap();
        assert_eq!(back, list);
    }

    #[test]
    fn core_group_metadata_is_empty_object() {
        let list = APIGroupDiscoveryList::new(
            AggregatedVersion::V2Beta1,
            vec![APIGroupDiscovery {
                versions: vec![APIVersionDiscovery {
                    version: "v1".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        );
        let v = serde_json::to_value(&list).unwrap();
        assert_eq!(v["apiVersion"], "apidiscovery.k8s.io/v2beta1");
        assert_eq!(
            v["items"][0],
            json!({"metadata":{},"versions":[{"version":"v1"}]})
        );
    }

    #[test]
    fn legacy_shapes() {
        let gv = GroupVersionForDiscovery::new("porch.kpt.dev", "v1alpha1");
        let list = APIGroupList::new(vec![APIGroup {
            name: "porch.kpt.dev".into(),
            versions: vec![gv.clone()],
            preferred_version: gv,
            ..Default::default()
        }]);
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            json!({"kind":"APIGroupList","apiVersion":"v1","groups":[
              {"name":"porch.kpt.dev",
               "versions":[{"groupVersion":"porch.kpt.dev/v1alpha1","version":"v1alpha1"}],
               "preferredVersion":{"groupVersion":"porch.kpt.dev/v1alpha1","version":"v1alpha1"}}]})
        );
        assert_eq!(GroupVersionForDiscovery::new("", "v1").group_version, "v1");

        let rl = APIResourceList {
            kind: "APIResourceList".into(),
            api_version: "v1".into(),
            group_version: "config.porch.kpt.dev/v1alpha1".into(),
            resources: vec![APIResource {
                name: "repositories".into(),
                singular_name: "repository".into(),
                namespaced: true,
                kind: "Repository".into(),
                verbs: vec!["get".into()],
                short_names: vec!["repo".into()],
                ..Default::default()
            }],
        };
        assert_eq!(
            serde_json::to_value(&rl).unwrap(),
            json!({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"config.porch.kpt.dev/v1alpha1",
              "resources":[{"name":"repositories","singularName":"repository","namespaced":true,
                "kind":"Repository","verbs":["get"],"shortNames":["repo"]}]})
        );

        let av = APIVersions {
            kind: "APIVersions".into(),
            versions: vec!["v1".into()],
            server_address_by_client_cidrs: vec![ServerAddressByClientCIDR {
                client_cidr: "0.0.0.0/0".into(),
                server_address: "127.0.0.1:1".into(),
            }],
        };
        assert_eq!(
            serde_json::to_value(&av).unwrap(),
            json!({"kind":"APIVersions","versions":["v1"],
              "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:1"}]})
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(
            AggregatedVersion::V2Beta1.content_type(),
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
        );
        assert_eq!(AggregatedVersion::V2.version(), "v2");
    }
}
