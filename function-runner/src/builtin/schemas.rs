//! Built-in JSON schemas of the well-known Kubernetes kinds, generated from
//! `k8s-openapi`'s types (Kubernetes 1.33) the first time a kind is
//! validated; nothing is ever fetched from the network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use k8s_openapi::api::{
    admissionregistration::v1 as admission, apps::v1 as apps, autoscaling::v2 as autoscaling,
    batch::v1 as batch, coordination::v1 as coordination, core::v1 as core,
    networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
    scheduling::v1 as scheduling, storage::v1 as storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use serde_json::Value;

type Generate = fn() -> Value;

fn generate<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::SchemaGenerator::default().into_root_schema_for::<T>())
        .unwrap_or(Value::Null)
}

/// (apiVersion, kind) → schema generator.
const KINDS: &[(&str, &str, Generate)] = &[
    ("v1", "ConfigMap", generate::<core::ConfigMap>),
    ("v1", "Secret", generate::<core::Secret>),
    ("v1", "Service", generate::<core::Service>),
    ("v1", "ServiceAccount", generate::<core::ServiceAccount>),
    ("v1", "Pod", generate::<core::Pod>),
    ("v1", "PodTemplate", generate::<core::PodTemplate>),
    ("v1", "Namespace", generate::<core::Namespace>),
    ("v1", "PersistentVolume", generate::<core::PersistentVolume>),
    (
        "v1",
        "PersistentVolumeClaim",
        generate::<core::PersistentVolumeClaim>,
    ),
    (
        "v1",
        "ReplicationController",
        generate::<core::ReplicationController>,
    ),
    ("v1", "ResourceQuota", generate::<core::ResourceQuota>),
    ("v1", "LimitRange", generate::<core::LimitRange>),
    ("v1", "Endpoints", generate::<core::Endpoints>),
    ("apps/v1", "Deployment", generate::<apps::Deployment>),
    ("apps/v1", "StatefulSet", generate::<apps::StatefulSet>),
    ("apps/v1", "DaemonSet", generate::<apps::DaemonSet>),
    ("apps/v1", "ReplicaSet", generate::<apps::ReplicaSet>),
    ("batch/v1", "Job", generate::<batch::Job>),
    ("batch/v1", "CronJob", generate::<batch::CronJob>),
    (
        "rbac.authorization.k8s.io/v1",
        "Role",
        generate::<rbac::Role>,
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        generate::<rbac::RoleBinding>,
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        generate::<rbac::ClusterRole>,
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        generate::<rbac::ClusterRoleBinding>,
    ),
    (
        "networking.k8s.io/v1",
        "Ingress",
        generate::<networking::Ingress>,
    ),
    (
        "networking.k8s.io/v1",
        "IngressClass",
        generate::<networking::IngressClass>,
    ),
    (
        "networking.k8s.io/v1",
        "NetworkPolicy",
        generate::<networking::NetworkPolicy>,
    ),
    (
        "policy/v1",
        "PodDisruptionBudget",
        generate::<policy::PodDisruptionBudget>,
    ),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        generate::<autoscaling::HorizontalPodAutoscaler>,
    ),
    (
        "storage.k8s.io/v1",
        "StorageClass",
        generate::<storage::StorageClass>,
    ),
    (
        "scheduling.k8s.io/v1",
        "PriorityClass",
        generate::<scheduling::PriorityClass>,
    ),
    (
        "coordination.k8s.io/v1",
        "Lease",
        generate::<coordination::Lease>,
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        generate::<admission::ValidatingWebhookConfiguration>,
    ),
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        generate::<admission::MutatingWebhookConfiguration>,
    ),
    (
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        generate::<CustomResourceDefinition>,
    ),
    (
        "apiregistration.k8s.io/v1",
        "APIService",
        generate::<APIService>,
    ),
];

type Cache = Mutex<HashMap<(String, String), Arc<Value>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The schema of a kind, if it is built in.
pub fn schema(api_version: &str, kind: &str) -> Option<Arc<Value>> {
    let key = (api_version.to_string(), kind.to_string());
    if let Ok(c) = cache().lock()
        && let Some(s) = c.get(&key)
    {
        return Some(s.clone());
    }
    let (_, _, make) = KINDS
        .iter()
        .find(|(a, k, _)| *a == api_version && *k == kind)?;
    let s = Arc::new(make());
    if let Ok(mut c) = cache().lock() {
        c.insert(key, s.clone());
    }
    Some(s)
}
