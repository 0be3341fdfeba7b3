//! `repo unreg`: delete the Repository and, unless kept, its auth Secret.

use clap::Args;

use crate::error::CliError;
use crate::kube::{self, Client};

#[derive(Debug, Args)]
pub struct UnregArgs {
    /// Repository name.
    pub name: String,
    /// Keep the Secret named by the repository's secretRef.
    #[arg(long = "keep-auth-secret", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub keep_auth_secret: bool,
}

pub async fn run(client: &Client, a: UnregArgs) -> Result<(), CliError> {
    let ns = client.namespace.clone();
    let path = kube::path(kube::CONFIG, Some(&ns), kube::REPOSITORIES, Some(&a.name));
    let repo = client.get(&path).await?;
    client.delete(&path).await?;
    if a.keep_auth_secret {
        return Ok(());
    }
    let spec = &repo["spec"];
    let secret = spec["git"]["secretRef"]["name"]
        .as_str()
        .or_else(|| spec["oci"]["secretRef"]["name"].as_str())
        .unwrap_or_default();
    if !secret.is_empty() {
        client
            .delete(&kube::path("v1", Some(&ns), "secrets", Some(secret)))
            .await
            .map_err(|e| CliError::Msg(format!("failed to delete Secret {secret}: {e}")))?;
    }
    Ok(())
}
