//! Errors of the `repo` and `rpkg` commands; `main` prints them as
//! `Error: <text>` and exits with status 1.

use crate::kube::KubeError;
use crate::output::PrintError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Kube(#[from] KubeError),
    #[error(transparent)]
    Print(#[from] PrintError),
    /// Wrong or conflicting arguments.
    #[error("{0}")]
    Usage(String),
    /// Anything else, already worded for the user.
    #[error("{0}")]
    Msg(String),
    /// Several per-item failures of a multi-name command (Porch's aggregate).
    #[error("errors:\n  {}", .0.join("\n  "))]
    Many(Vec<String>),
}
