//! The builtin runtime: catalog functions reimplemented in Rust and run in
//! process, with no container, process or network hop.
//!
//! Each function lives in its own module and has the signature
//! `fn(&mut ResourceList) -> Result<(), Failure>`: it edits the items in
//! place and appends results. A [`Failure`] makes the call exit non-zero
//! with the SDK's stderr, as the catalog images do; a function may also
//! report error results and still succeed (set-namespace does).

pub mod catalog;
mod config;
mod fields;
mod results;
mod scope;

mod schemas;
mod setters;
mod sites;
#[cfg(feature = "starlark")]
mod starlark;
#[cfg(feature = "starlark")]
mod starlark_libs;
mod validate;

mod apply_replacements;
mod apply_setters;
mod create_setters;
mod ensure_name_substring;
mod kubeconform;
mod list_setters;
mod remove_local_config_resources;
mod search_replace;
mod set_annotations;
mod set_enforcement_action;
mod set_image;
mod set_labels;
mod set_namespace;
mod sleep;
mod upsert_resource;

use std::time::Instant;

use cad_lib::{
    EvalError, EvalErrorKind, EvalOutput, FunctionEvaluator, FunctionSpec, ResourceList, Severity,
};

use crate::image::ImageRef;
pub use catalog::Builtin;

/// What SDK-based functions print when they fail.
pub const FAILURE_STDERR: &str = "failed to evaluate function: error: function failure";

/// A function call that must exit non-zero.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    /// An error result to append, if any.
    pub message: Option<String>,
    /// The function's stderr (defaults to [`FAILURE_STDERR`]).
    pub stderr: Option<String>,
}

impl Failure {
    /// Fails with an error result.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            message: Some(message.into()),
            stderr: None,
        }
    }

    /// Fails with the results already reported.
    pub fn silent() -> Self {
        Self::default()
    }

    /// Replaces the stderr text.
    pub fn with_stderr(mut self, stderr: impl Into<String>) -> Self {
        self.stderr = Some(stderr.into());
        self
    }
}

/// Signature of a builtin function.
pub type RunFn = fn(&mut ResourceList) -> Result<(), Failure>;

/// Signature of a builtin that also writes to stderr (starlark's `print`).
pub type RunWithStderrFn = fn(&mut ResourceList, &mut String) -> Result<(), Failure>;

/// How a builtin is called.
#[derive(Debug, Clone, Copy)]
pub enum Runner {
    /// Results only.
    Plain(RunFn),
    /// Results and stderr.
    WithStderr(RunWithStderrFn),
}

/// Runs catalog functions in process.
#[derive(Debug, Clone, Default)]
pub struct BuiltinRuntime {
    default_prefix: Option<String>,
}

impl BuiltinRuntime {
    /// A runtime that knows the catalog prefixes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also strips `prefix` (Porch's `--default-image-prefix`) from images.
    pub fn with_default_prefix(prefix: impl Into<String>) -> Self {
        Self {
            default_prefix: Some(prefix.into()),
        }
    }

    /// The builtin an image (with an optional Kptfile `tag` constraint)
    /// stands for, if any.
    pub fn find(&self, image: &str, tag_constraint: Option<&str>) -> Option<&'static Builtin> {
        let r = ImageRef::parse(image, self.default_prefix.as_deref());
        let b = catalog::by_name(&r.name)?;
        match (&r.tag, tag_constraint) {
            (Some(tag), _) => b.versions.accepts(tag).then_some(b),
            (None, Some(c)) if r.digest.is_none() => b.versions.resolve(c).map(|_| b),
            (None, _) => Some(b),
        }
    }

    /// Whether an image is served by a builtin.
    pub fn supports(&self, image: &str) -> bool {
        self.find(image, None).is_some()
    }

    /// Runs the builtin for `image` on `input`.
    pub fn run(
        &self,
        image: &str,
        tag: Option<&str>,
        input: ResourceList,
    ) -> Result<EvalOutput, EvalError> {
        let Some(b) = self.find(image, tag) else {
            return Err(EvalError::new(
                EvalErrorKind::NotFound,
                format!("no builtin function for image {image:?}"),
            ));
        };
        run_builtin(b, image, input)
    }
}

/// Runs one builtin, turning a [`Failure`] into an [`EvalError`].
pub fn run_builtin(
    b: &Builtin,
    image: &str,
    mut input: ResourceList,
) -> Result<EvalOutput, EvalError> {
    let span = tracing::debug_span!("builtin", function = b.name, image);
    let _enter = span.enter();
    let started = Instant::now();
    input.results.clear();
    let mut stderr = String::new();
    let outcome = match b.run {
        Runner::Plain(f) => f(&mut input),
        Runner::WithStderr(f) => f(&mut input, &mut stderr),
    };
    tracing::debug!(
        elapsed_us = started.elapsed().as_micros() as u64,
        ok = outcome.is_ok(),
        "builtin done"
    );
    match outcome {
        Ok(()) => Ok(EvalOutput {
            resource_list: input,
            stderr,
        }),
        Err(f) => {
            if let Some(m) = f.message {
                input.results.push(results::error(m));
            }
            let message = input
                .results
                .iter()
                .find(|r| r.severity == Severity::Error)
                .map_or_else(|| "function failure".to_string(), |r| r.message.clone());
            Err(EvalError {
                kind: EvalErrorKind::Failed,
                message,
                exit_code: 1,
                stderr: f
                    .stderr
                    .unwrap_or_else(|| format!("{stderr}{FAILURE_STDERR}")),
                results: input.results,
            })
        }
    }
}

impl FunctionEvaluator for BuiltinRuntime {
    fn evaluate(
        &self,
        function: &FunctionSpec,
        input: ResourceList,
    ) -> Result<EvalOutput, EvalError> {
        match &function.image {
            Some(image) => self.run(image, function.tag.as_deref(), input),
            None => Err(EvalError::new(
                EvalErrorKind::NotFound,
                format!("no builtin function for {:?}", function.display_name()),
            )),
        }
    }
}
