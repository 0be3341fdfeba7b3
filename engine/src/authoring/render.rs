//! Render as Porch does after every change of a draft: the Kptfile pipeline
//! through the builtin functions in process and everything else through the
//! configured evaluator, with the results shaped as `status.renderStatus`.

use std::sync::Arc;

use cad_lib::{FunctionEvaluator, PackageFiles, RenderError, RenderOptions};
use serde_json::{Value, json};

/// gRPC message limit towards the function runner (porch-api.md §12g: at least 64 MiB).
const RUNNER_MESSAGE_BYTES: usize = 96 * 1024 * 1024;

/// Renders packages; cheap to clone and shared by every request.
#[derive(Clone)]
pub struct Renderer {
    evaluator: Arc<dyn FunctionEvaluator + Send + Sync>,
    opts: RenderOptions,
}

/// What a render produced.
#[derive(Debug, Clone)]
pub struct RenderReport {
    /// The files to save: rendered on success; on failure the partial
    /// output when the Kptfile asks for it (`kpt.dev/save-on-render-failure`).
    pub files: Option<PackageFiles>,
    /// `status.renderStatus` (`{result, error}`); `None` when there is
    /// nothing to report (no error and no result items), as Porch.
    pub status: Option<Value>,
    /// The failure, as kpt prints it.
    pub error: Option<String>,
}

impl Renderer {
    /// A renderer over `evaluator` (builtins first, then the runner's).
    pub fn new(
        evaluator: Arc<dyn FunctionEvaluator + Send + Sync>,
        image_prefix: Option<String>,
    ) -> Self {
        let mut opts = RenderOptions::default();
        if let Some(p) = image_prefix.filter(|p| !p.is_empty()) {
            opts.image_prefix = p;
        }
        Renderer { evaluator, opts }
    }

    /// Builtins in process, then the `porch-fn-runner` at `runner` (host:port) if given.
    pub fn with_runner(runner: Option<&str>, image_prefix: &str) -> Result<Self, String> {
        let builtin = porch_function_runner::BuiltinRuntime::with_default_prefix(image_prefix);
        let fallback: Option<Box<dyn FunctionEvaluator + Send + Sync>> = match runner {
            Some(addr) if !addr.is_empty() => {
                // Porch's flag takes host:port.
                let url = if addr.contains("://") {
                    addr.to_string()
                } else {
                    format!("http://{addr}")
                };
                Some(Box::new(
                    porch_function_runner::GrpcEvaluator::new(&url, RUNNER_MESSAGE_BYTES)
                        .map_err(|e| e.to_string())?,
                ))
            }
            _ => None,
        };
        let chain = porch_function_runner::Chain {
            builtin,
            exec: None,
            fallback,
        };
        Ok(Renderer::new(
            Arc::new(chain),
            Some(image_prefix.to_string()),
        ))
    }

    /// Render `files`; a package without a root Kptfile is left as it is.
    pub fn render(&self, files: &PackageFiles) -> RenderReport {
        let _span = tracing::info_span!("render", files = files.len()).entered();
        let outcome = cad_lib::render(files, self.evaluator.as_ref(), &self.opts);
        if let Some(RenderError::NoKptfile) = outcome.error {
            tracing::warn!("no Kptfile at the package root: render skipped");
            return RenderReport {
                files: Some(files.clone()),
                status: None,
                error: None,
            };
        }
        let error = outcome.error.as_ref().map(ToString::to_string);
        let result = serde_json::to_value(&outcome.results).unwrap_or(Value::Null);
        let has_items = result
            .get("items")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let status = (error.is_some() || has_items)
            .then(|| json!({"result": result, "error": error.clone().unwrap_or_default()}));
        let files = match &error {
            None => outcome.files.or_else(|| Some(files.clone())),
            Some(_) => outcome.files,
        };
        RenderReport {
            files,
            status,
            error,
        }
    }
}
