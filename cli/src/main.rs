//! `porchctl`: the porch-rs command-line client.
//!
//! For now it has `porchctl fn render`, which renders a package on disk
//! with the builtin and exec function runtimes (no container engine). The
//! `repo` and `rpkg` command groups plug into [`Command`] later.
//!
//! Dependencies: `clap` (flags), `cad-lib` (render), `porch-function-runner`
//! (runtimes), `serde_norway` (the results file), `tracing`.

mod fns;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// porchctl: manage kpt packages with porch-rs.
#[derive(Debug, Parser)]
#[command(name = "porchctl", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Command groups.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run KRM functions on local packages.
    #[command(name = "fn", subcommand)]
    Fn(fns::FnCommand),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("PORCHCTL_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Fn(cmd) => fns::run(cmd),
    }
}
