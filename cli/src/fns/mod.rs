//! `porchctl fn ...`: local function commands.

mod files;
mod progress;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `fn` subcommands.
#[derive(Debug, Subcommand)]
pub enum FnCommand {
    /// Render a package in place: run the Kptfile pipelines of the package
    /// and its subpackages, like `kpt fn render`, without containers.
    Render(RenderArgs),
}

/// Flags of `fn render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Package directory (default: the current directory).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Write the FunctionResultList to `<DIR>/results.yaml`.
    #[arg(long = "results-dir")]
    pub results_dir: Option<PathBuf>,
    /// Allow `exec` functions (local binaries named in the Kptfile).
    #[arg(long = "allow-exec")]
    pub allow_exec: bool,
    /// Image → executable mappings for images without a builtin (YAML,
    /// `functions: [{image, tags, command, args}]`).
    #[arg(long = "exec-config", env = "PORCHCTL_EXEC_CONFIG")]
    pub exec_config: Option<PathBuf>,
    /// Prefix for image names without a registry path.
    #[arg(long = "image-prefix", env = "KPT_IMAGE_PREFIX", default_value = cad_lib::evaluator::DEFAULT_IMAGE_PREFIX)]
    pub image_prefix: String,
    /// Accepted for kpt compatibility; output is never truncated.
    #[arg(long = "truncate-output", default_value_t = true, action = clap::ArgAction::Set)]
    pub truncate_output: bool,
}

/// Runs an `fn` subcommand.
pub fn run(cmd: FnCommand) -> ExitCode {
    match cmd {
        FnCommand::Render(args) => render::run(&args),
    }
}
