//! `porch-fn-runner`: serves Porch's `evaluator.FunctionEvaluator` gRPC
//! service over the builtin runtime, then the exec runtime, plus the gRPC
//! health service. Prints `listening on <addr>` once it accepts calls.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use porch_function_runner::server::{self, EvaluatorService, ServiceLimits};
use porch_function_runner::{BuiltinRuntime, ExecConfig, ExecLimits, ExecRuntime};

/// Serve KRM functions over gRPC.
#[derive(Debug, Parser)]
#[command(name = "porch-fn-runner", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9445)]
    port: u16,
    /// Exec runtime config: `functions: [{image, tags, prefix, command, args}]`.
    #[arg(long = "exec-config")]
    exec_config: Option<PathBuf>,
    /// Largest request/response message in bytes (room for 64 MiB of
    /// package content).
    #[arg(long = "max-message-size", default_value_t = 96 << 20)]
    max_message_size: usize,
    /// Calls evaluated at once.
    #[arg(long = "max-concurrent", default_value_t = 16)]
    max_concurrent: usize,
    /// Exec processes running at once.
    #[arg(long = "max-processes", default_value_t = 8)]
    max_processes: usize,
    /// Per-call timeout of exec functions, in seconds.
    #[arg(long = "exec-timeout", default_value_t = 300)]
    exec_timeout: u64,
    /// Largest stdout of an exec function, in bytes.
    #[arg(long = "max-output", default_value_t = 96 << 20)]
    max_output: usize,
    /// Per-request timeout, in seconds.
    #[arg(long = "request-timeout", default_value_t = 600)]
    request_timeout: u64,
    /// Extra image prefix stripped before matching builtins (Porch's
    /// `--default-image-prefix`).
    #[arg(long = "default-image-prefix")]
    default_image_prefix: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("porch-fn-runner: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let exec = match &args.exec_config {
        Some(p) => Some(ExecConfig::load(p).map_err(|e| e.to_string())?),
        None => None,
    }
    .map(|cfg| {
        ExecRuntime::new(
            cfg,
            ExecLimits {
                timeout: Duration::from_secs(args.exec_timeout),
                max_output: args.max_output,
                max_concurrent: args.max_processes,
            },
        )
    });
    let builtin = match &args.default_image_prefix {
        Some(p) => BuiltinRuntime::with_default_prefix(p.clone()),
        None => BuiltinRuntime::new(),
    };
    let limits = ServiceLimits {
        max_message_size: args.max_message_size,
        max_concurrent: args.max_concurrent,
    };
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on {addr}");
    tracing::info!(%addr, "porch-fn-runner serving");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    server::serve(
        listener,
        EvaluatorService::new(builtin, exec, limits),
        limits,
        Duration::from_secs(args.request_timeout),
        shutdown,
    )
    .await
    .map_err(|e| e.to_string())
}
