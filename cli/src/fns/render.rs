//! `porchctl fn render`: render a package directory in place.

use std::path::Path;
use std::process::ExitCode;

use cad_lib::kptfile::{Condition, KPTFILE, edit};
use cad_lib::{KubeObject, RenderError, RenderOptions};
use porch_function_runner::{Chain, ExecConfig, ExecLimits, ExecRuntime};

use super::RenderArgs;
use super::files;
use super::progress::Progress;

/// Runs the command; exit status 1 on any failure.
pub fn run(args: &RenderArgs) -> ExitCode {
    match render(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::from(1)
        }
    }
}

/// The message kpt shows for a render error (without the `pkg` and
/// `function "<image>"` framing, which the progress lines already give).
fn message(e: &RenderError) -> String {
    match e {
        RenderError::Pipeline { message, .. } => match message.strip_prefix("function \"") {
            Some(rest) => rest
                .split_once("\": ")
                .map_or(message.clone(), |(_, m)| m.to_string()),
            None => message.clone(),
        },
        other => other.to_string(),
    }
}

fn render(args: &RenderArgs) -> Result<bool, String> {
    let span = tracing::info_span!("fn_render", dir = %args.dir.display());
    let _enter = span.enter();
    let dir = args
        .dir
        .canonicalize()
        .map_err(|e| format!("cannot open package {}: {e}", args.dir.display()))?;
    let root_name = dir
        .file_name()
        .map_or_else(|| ".".to_string(), |n| n.to_string_lossy().into_owned());
    let input =
        files::read(&dir).map_err(|e| format!("cannot read package {}: {e}", dir.display()))?;
    let exec_config = match &args.exec_config {
        Some(p) => ExecConfig::load(p).map_err(|e| e.to_string())?,
        None => ExecConfig::default(),
    };
    let chain = Chain {
        builtin: porch_function_runner::BuiltinRuntime::with_default_prefix(
            args.image_prefix.clone(),
        ),
        exec: Some(ExecRuntime::new(exec_config, ExecLimits::default())),
        fallback: None,
    };
    let progress = Progress::new(&chain, &root_name);
    let opts = RenderOptions {
        image_prefix: args.image_prefix.clone(),
        allow_exec: args.allow_exec,
        root_dir: Some(dir.display().to_string()),
    };
    let outcome = cad_lib::render(&input, &progress, &opts);
    if let Some(results_dir) = &args.results_dir {
        write_results(results_dir, &outcome.results)?;
    }
    let (functions, packages) = progress.counts();
    match &outcome.error {
        None => {
            if let Some(out) = &outcome.files {
                files::write(&dir, &input, out)
                    .map_err(|e| format!("cannot write package: {e}"))?;
            }
            eprintln!("\nSuccessfully executed {functions} function(s) in {packages} package(s).");
            if let Some(d) = &args.results_dir {
                eprintln!(
                    "For complete results, see {}",
                    d.join("results.yaml").display()
                );
            }
            Ok(true)
        }
        Some(e) => {
            let out = match &outcome.files {
                Some(saved) => saved.clone(),
                None => with_failed_condition(&input, e),
            };
            files::write(&dir, &input, &out).map_err(|e| format!("cannot write package: {e}"))?;
            if let Some(d) = &args.results_dir {
                eprintln!(
                    "For complete results, see {}",
                    d.join("results.yaml").display()
                );
            }
            eprintln!("Error: {}", message(e));
            Ok(false)
        }
    }
}

/// kpt records a failed render on the root Kptfile and writes nothing else.
fn with_failed_condition(input: &cad_lib::PackageFiles, e: &RenderError) -> cad_lib::PackageFiles {
    let mut out = input.clone();
    let Some(text) = input.get(KPTFILE) else {
        return out;
    };
    let Ok(mut k) = KubeObject::parse(text) else {
        return out;
    };
    let c = Condition {
        kind: "Rendered".into(),
        status: "False".into(),
        reason: "RenderFailed".into(),
        message: e.to_string(),
    };
    if edit::set_condition(&mut k, &c).is_ok() {
        out.insert(KPTFILE.to_string(), k.text());
    }
    out
}

fn write_results(dir: &Path, results: &cad_lib::FunctionResultList) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let text =
        serde_norway::to_string(results).map_err(|e| format!("cannot encode results: {e}"))?;
    std::fs::write(dir.join("results.yaml"), text).map_err(|e| format!("cannot write results: {e}"))
}
