//! From what git holds to the objects porch-rs serves: PackageRevisions and
//! PorchPackages of one Repository, with Porch's names, deterministic UIDs
//! and the latest-revision label. Pure: no I/O.

use std::collections::BTreeMap;

use porch_api::names::{generate_uid, package_name, package_revision_name};
use porch_api::packagerevision::{PORCH_GROUP, PORCH_VERSION};
use porch_engine::git::{DiscoveredRevision, Discovery};
use serde_json::{Map, Value, json};

use crate::resources::packagerevision::LATEST_LABEL;

/// The Repository a discovery belongs to.
pub struct RepoContext<'a> {
    pub namespace: &'a str,
    pub repository: &'a str,
    pub deployment: bool,
}

/// A desired object, by name.
pub type Desired = BTreeMap<String, Value>;

fn gv() -> String {
    format!("{PORCH_GROUP}/{PORCH_VERSION}")
}

/// Published or DeletionProposed with a real revision number.
fn is_published(r: &DiscoveredRevision) -> bool {
    matches!(r.lifecycle.as_str(), "Published" | "DeletionProposed") && r.revision > 0
}

/// The highest published revision per package path.
fn latest_revisions(discovery: &Discovery) -> BTreeMap<&str, i64> {
    let mut latest: BTreeMap<&str, i64> = BTreeMap::new();
    for r in discovery.revisions.iter().filter(|r| is_published(r)) {
        let e = latest.entry(r.package_path.as_str()).or_insert(0);
        *e = (*e).max(r.revision);
    }
    latest
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// One PackageRevision object (without user metadata, resourceVersion or timestamps the Store keeps).
pub fn package_revision(
    ctx: &RepoContext,
    r: &DiscoveredRevision,
    latest: bool,
) -> (String, Value) {
    let name = package_revision_name(ctx.repository, &r.package_path, &r.workspace);
    let mut labels = Map::new();
    if latest {
        labels.insert(LATEST_LABEL.into(), json!("true"));
    }
    let mut spec = json!({
        "packageName": r.package_path, "repository": ctx.repository, "workspaceName": r.workspace,
        "lifecycle": r.lifecycle.as_str(),
    });
    if r.revision != 0 {
        spec["revision"] = json!(r.revision);
    }
    if !r.tasks.is_empty() {
        spec["tasks"] = serde_json::to_value(&r.tasks).unwrap_or(Value::Null);
    }
    let k = &r.kptfile;
    if !k.readiness_gates.is_empty() {
        spec["readinessGates"] = serde_json::to_value(&k.readiness_gates).unwrap_or(Value::Null);
    }
    if !k.labels.is_empty() || !k.annotations.is_empty() {
        let mut pm = Map::new();
        if !k.labels.is_empty() {
            pm.insert("labels".into(), string_map(&k.labels));
        }
        if !k.annotations.is_empty() {
            pm.insert("annotations".into(), string_map(&k.annotations));
        }
        spec["packageMetadata"] = Value::Object(pm);
    }
    let mut status = json!({"selfLock": r.self_lock, "deployment": ctx.deployment});
    if let Some(u) = &r.upstream_lock {
        status["upstreamLock"] = serde_json::to_value(u).unwrap_or(Value::Null);
    }
    if let Some(by) = &r.published_by {
        status["publishedBy"] = json!(by);
    }
    if let Some(ts) = &r.publish_timestamp {
        status["publishTimestamp"] = json!(ts);
    }
    if !k.conditions.is_empty() {
        status["conditions"] = serde_json::to_value(&k.conditions).unwrap_or(Value::Null);
    }
    let obj = json!({
        "apiVersion": gv(), "kind": "PackageRevision",
        "metadata": {"name": name, "namespace": ctx.namespace,
            "uid": generate_uid("packagerevision:", &gv(), ctx.namespace, &name),
            "labels": labels},
        "spec": spec, "status": status,
    });
    (name, obj)
}

/// Every PackageRevision of the repository.
pub fn package_revisions(ctx: &RepoContext, discovery: &Discovery) -> Desired {
    let latest = latest_revisions(discovery);
    discovery
        .revisions
        .iter()
        .map(|r| {
            let is_latest =
                is_published(r) && latest.get(r.package_path.as_str()) == Some(&r.revision);
            package_revision(ctx, r, is_latest)
        })
        .collect()
}

/// One PorchPackage per package path, with its latest published revision (0 when none).
pub fn packages(ctx: &RepoContext, discovery: &Discovery) -> Desired {
    let latest = latest_revisions(discovery);
    let mut out = Desired::new();
    for r in &discovery.revisions {
        let name = package_name(ctx.repository, &r.package_path);
        out.entry(name.clone()).or_insert_with(|| {
            json!({
                "apiVersion": gv(), "kind": "PorchPackage",
                "metadata": {"name": name, "namespace": ctx.namespace,
                    "uid": generate_uid("dbPackage:", &gv(), ctx.namespace, &name)},
                "spec": {"packageName": r.package_path, "repository": ctx.repository},
                "status": {"latestRevision": latest.get(r.package_path.as_str()).copied().unwrap_or(0)},
            })
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use porch_engine::git::{KptfileSummary, Lifecycle};

    fn rev(path: &str, ws: &str, revision: i64, lifecycle: Lifecycle) -> DiscoveredRevision {
        DiscoveredRevision {
            package_path: path.into(),
            workspace: ws.into(),
            revision,
            lifecycle,
            git_ref: format!("{path}/{ws}"),
            commit: "c".repeat(40),
            tree: "t".repeat(40),
            tasks: Vec::new(),
            published_by: None,
            publish_timestamp: None,
            upstream_lock: None,
            self_lock: Default::default(),
            kptfile: KptfileSummary::default(),
        }
    }

    #[test]
    fn latest_label_goes_to_the_highest_published_revision_per_package() {
        let d = Discovery {
            branch_commit: None,
            revisions: vec![
                rev("a/b", "main", -1, Lifecycle::Published),
                rev("a/b", "v1", 1, Lifecycle::Published),
                rev("a/b", "v2", 2, Lifecycle::DeletionProposed),
                rev("a/b", "ws", 0, Lifecycle::Draft),
                rev("c", "v7", 7, Lifecycle::Published),
                rev("d", "ws", 0, Lifecycle::Proposed),
            ],
        };
        let ctx = RepoContext {
            namespace: "ns",
            repository: "r",
            deployment: true,
        };
        let prs = package_revisions(&ctx, &d);
        let latest: Vec<&str> = prs
            .iter()
            .filter(|(_, v)| {
                v.pointer("/metadata/labels/kpt.dev~1latest-revision") == Some(&json!("true"))
            })
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(latest, ["r.a.b.v2", "r.c.v7"]);
        assert_eq!(prs["r.a.b.ws"]["spec"]["lifecycle"], "Draft");
        assert_eq!(prs["r.a.b.ws"]["status"]["deployment"], true);
        let pkgs = packages(&ctx, &d);
        let latest: Vec<(String, i64)> = pkgs
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v["status"]["latestRevision"].as_i64().unwrap_or(-9),
                )
            })
            .collect();
        assert_eq!(
            latest,
            [
                ("r.a.b".to_string(), 2),
                ("r.c".to_string(), 7),
                ("r.d".to_string(), 0)
            ]
        );
    }
}
