//! `porchctl repo …`: register, list, sync and unregister Repositories.

mod get;
mod reg;
pub mod sync;
mod unreg;

use clap::Subcommand;

use crate::Global;
use crate::error::CliError;

/// `repo` subcommands (Porch's names and aliases).
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Register a package repository (git URL or oci://registry).
    #[command(name = "reg", visible_alias = "register")]
    Reg(reg::RegArgs),
    /// List registered repositories.
    #[command(name = "get", visible_aliases = ["ls", "list"])]
    Get(get::GetArgs),
    /// Schedule a one-time sync of repositories.
    #[command(name = "sync", visible_alias = "reconcile")]
    Sync(sync::SyncArgs),
    /// Unregister a repository.
    #[command(name = "unreg", visible_alias = "unregister")]
    Unreg(unreg::UnregArgs),
}

pub async fn run(cmd: RepoCommand, global: &Global) -> Result<(), CliError> {
    let client = global.client()?;
    match cmd {
        RepoCommand::Reg(a) => reg::run(&client, a).await,
        RepoCommand::Get(a) => get::run(&client, a).await,
        RepoCommand::Sync(a) => sync::run(&client, a).await,
        RepoCommand::Unreg(a) => unreg::run(&client, a).await,
    }
}
