//! `porchctl`: the porch-rs command-line client.
//!
//! `fn render` renders a package on disk with the builtin and exec function
//! runtimes (no container engine); `repo` and `rpkg` talk to a
//! Porch-compatible API server through the user's kubeconfig, with Porch's
//! flags, aliases, outputs and messages so existing scripts keep working.
//!
//! Dependencies: `clap` (flags), `cad-lib` (render), `porch-function-runner`
//! (runtimes), `serde_norway`/`serde_json` (YAML/JSON), `tokio` + `hyper` +
//! `hyper-util` + `hyper-rustls`/`rustls` (HTTPS to the kube API),
//! `base64` (kubeconfig data, Secrets), `jiff` (timestamps), `tracing`.

mod error;
mod fns;
mod kube;
mod output;
mod repo;
mod rpkg;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use error::CliError;

/// porchctl: manage kpt packages with porch-rs.
#[derive(Debug, Parser)]
#[command(name = "porchctl", version, about)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Kubeconfig flags shared by every command that talks to the server.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace of the request (default: the context's namespace, else `default`).
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// Kubeconfig context to use.
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Give up on a single request after this long (`30s`, `1m`; `0` = never), as kubectl's flag.
    #[arg(long = "request-timeout", global = true, default_value = "0")]
    pub request_timeout: String,
    /// Accepted for Porch compatibility; output is never truncated.
    #[arg(long = "truncate-output", global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", hide = true)]
    pub truncate_output: Option<bool>,
    /// Accepted for Porch compatibility (errors carry no Go stack traces).
    #[arg(long = "stack-trace", global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", hide = true)]
    pub stack_trace: Option<bool>,
    /// PackageRevision API version; only v1alpha1 is served by porch-rs.
    #[arg(
        long = "api-version",
        global = true,
        env = "PORCHCTL_API_VERSION",
        hide = true
    )]
    pub api_version: Option<String>,
}

impl Global {
    /// A client for the configured server and namespace.
    pub fn client(&self) -> Result<kube::Client, CliError> {
        if self.namespace.as_deref() == Some("") {
            return Err(CliError::Usage(
                "namespace flag specified without a value; please provide a value for --namespace/-n or omit the flag".into(),
            ));
        }
        if let Some(v) = self
            .api_version
            .as_deref()
            .filter(|v| !v.is_empty() && *v != "v1alpha1")
        {
            return Err(CliError::Usage(format!(
                "unsupported --api-version {v:?}: porch-rs serves v1alpha1"
            )));
        }
        let timeout = match self.request_timeout.as_str() {
            "" | "0" => None,
            t => {
                let secs = t
                    .parse::<u64>()
                    .ok()
                    .map(std::time::Duration::from_secs)
                    .or_else(|| {
                        repo::sync::parse_go_duration(t)
                            .and_then(|d| std::time::Duration::try_from(d).ok())
                    });
                Some(secs.ok_or_else(|| {
                    CliError::Usage(format!(
                        "invalid --request-timeout {t:?}: use a duration such as 30s or 1m"
                    ))
                })?)
            }
        };
        let path = kube::kubeconfig_path(self.kubeconfig.as_deref());
        let conn = kube::load(&path, self.context.as_deref())?;
        Ok(kube::Client::new(conn, self.namespace.clone(), timeout))
    }
}

/// Command groups.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run KRM functions on local packages.
    #[command(name = "fn", subcommand)]
    Fn(fns::FnCommand),
    /// Manage package repositories.
    #[command(subcommand)]
    Repo(repo::RepoCommand),
    /// Manage package revisions.
    #[command(subcommand, visible_alias = "rpackage")]
    Rpkg(rpkg::RpkgCommand),
    /// Print the porchctl version.
    Version,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("PORCHCTL_LOG"))
        .with_writer(std::io::stderr)
        .init();
    // Bad arguments exit with 1 as Porch's porchctl does (clap's default is 2).
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Fn(cmd) => return fns::run(cmd),
        Command::Version => {
            println!("porchctl version {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Repo(cmd) => block_on(repo::run(cmd, &cli.global)),
        Command::Rpkg(cmd) => block_on(rpkg::run(cmd, &cli.global)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Porch's porchctl prints errors with a trailing space before the newline.
            eprintln!("Error: {e} ");
            ExitCode::FAILURE
        }
    }
}

/// Run a command on a single-threaded runtime (one request at a time is all porchctl needs).
fn block_on(fut: impl std::future::Future<Output = Result<(), CliError>>) -> Result<(), CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Msg(format!("starting the runtime: {e}")))?;
    rt.block_on(fut)
}
