//! `--demo`: a first look for newcomers. On first start it makes a local bare
//! git repository with a few example blueprint packages (written for
//! porch-rs) and registers it as the Repository `demo-blueprints`, so that
//! `kubectl get packagerevisions` shows something at once.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::json;

use crate::storage::cache::REGISTRY_PREFIX;
use crate::storage::objects::{Objects, WriteError};

/// (path, content) of the first revision of every package.
const V1: &[(&str, &str)] = &[
    (
        "team-namespace/Kptfile",
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: team-namespace\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\ninfo:\n  description: A namespace for one team, with its quota\n",
    ),
    (
        "team-namespace/namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a # the team's name\n",
    ),
    (
        "team-namespace/quota.yaml",
        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: compute\n  namespace: team-a\nspec:\n  hard:\n    requests.cpu: \"4\"\n    requests.memory: 8Gi\n",
    ),
    (
        "web-app/Kptfile",
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: web-app\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\ninfo:\n  description: A small web server behind a Service\n",
    ),
    (
        "web-app/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - containerPort: 80\n",
    ),
    (
        "web-app/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 80\n",
    ),
    (
        "settings/Kptfile",
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: settings\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\ninfo:\n  description: Application settings as a ConfigMap\n",
    ),
    (
        "settings/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  log-level: info # debug, info or warn\n",
    ),
];

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=porch-rs demo",
            "-c",
            "user.email=demo@porch-rs.dev",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .context("running git (install it to use --demo)")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Build the demo repository at `bare` (a bare clone of a scratch work tree).
fn build(bare: &Path) -> anyhow::Result<()> {
    let work = bare.with_extension("work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let write = |path: &str, content: &str| -> anyhow::Result<()> {
        let p = work.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, content).context("writing demo package")
    };
    for (path, content) in V1 {
        write(path, content)?;
    }
    git(&work, &["init", "-q", "-b", "main"])?;
    git(&work, &["add", "-A"])?;
    git(
        &work,
        &["commit", "-q", "-m", "Demo blueprints, first revisions"],
    )?;
    for tag in ["team-namespace/v1", "web-app/v1", "settings/v1"] {
        git(&work, &["tag", tag])?;
    }
    let deployment = V1
        .iter()
        .find(|(p, _)| *p == "web-app/deployment.yaml")
        .map(|(_, c)| *c)
        .unwrap_or_default();
    write(
        "web-app/deployment.yaml",
        &deployment.replace("replicas: 1", "replicas: 3"),
    )?;
    git(&work, &["commit", "-q", "-am", "web-app: three replicas"])?;
    git(&work, &["tag", "web-app/v2"])?;
    git(
        &work,
        &[
            "clone",
            "-q",
            "--bare",
            &work.to_string_lossy(),
            &bare.to_string_lossy(),
        ],
    )?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// Make the demo repository (first start only) and register it.
pub async fn ensure(data_dir: &Path, objects: &Objects) -> anyhow::Result<()> {
    let bare = data_dir.join("demo").join("blueprints.git");
    if !bare.exists() {
        let target = bare.clone();
        tokio::task::spawn_blocking(move || build(&target))
            .await
            .context("building the demo repository")??;
    }
    let key = format!("{REGISTRY_PREFIX}config.porch.kpt.dev/repositories/default/demo-blueprints");
    let repo = json!({
        "apiVersion": "config.porch.kpt.dev/v1alpha1", "kind": "Repository",
        "metadata": {"name": "demo-blueprints", "namespace": "default", "uid": uuid::Uuid::new_v4().to_string(),
            "creationTimestamp": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(), "generation": 1},
        "spec": {"type": "git", "content": "Package", "description": "Example blueprints made by porch-server --demo",
            "git": {"repo": bare.to_string_lossy(), "branch": "main"}},
    });
    match objects.create(&key, &repo).await {
        Ok(_) | Err(WriteError::Exists) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("registering the demo repository: {e:?}")),
    }
}
