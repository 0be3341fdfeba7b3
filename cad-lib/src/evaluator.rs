//! How render calls KRM functions: a synchronous evaluator trait.
//!
//! cad-lib never runs processes or touches the network. The function runner
//! implements [`FunctionEvaluator`] (builtins in process, other images over
//! gRPC); tests implement it with tiny purpose-built evaluators. The engine
//! runs renders on blocking threads, so a slow function never blocks others.

use crate::resource_list::ResourceList;
use crate::results::ResultItem;

/// Default prefix kpt adds to image names without a registry path.
pub const DEFAULT_IMAGE_PREFIX: &str = "ghcr.io/kptdev/krm-functions-catalog/";

/// Which function to run (the configuration travels in the ResourceList).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FunctionSpec {
    /// Fully resolved image reference (prefix and tag added).
    pub image: Option<String>,
    /// Local command line for exec functions.
    pub exec: Option<String>,
    /// Semver constraint from the Kptfile `tag` field, for the evaluator to
    /// resolve against the image's available tags.
    pub tag: Option<String>,
    /// Step name from the Kptfile, for reporting.
    pub name: Option<String>,
    /// Package whose pipeline runs the step (`.` for the root), so that
    /// callers can report progress per package as kpt does.
    pub package: Option<String>,
    /// Number of resources the step runs on when `selectors`/`exclude`
    /// narrowed the input (`None` when it sees every resource).
    pub selected: Option<usize>,
}

impl FunctionSpec {
    /// `image` or `exec`, whichever identifies the function.
    pub fn display_name(&self) -> &str {
        self.image
            .as_deref()
            .or(self.exec.as_deref())
            .unwrap_or_default()
    }
}

/// What a successful call returned.
#[derive(Debug, Clone, Default)]
pub struct EvalOutput {
    /// The function's output (items, results).
    pub resource_list: ResourceList,
    /// What the function wrote to stderr (reported even on success).
    pub stderr: String,
}

impl From<ResourceList> for EvalOutput {
    fn from(resource_list: ResourceList) -> Self {
        Self {
            resource_list,
            stderr: String::new(),
        }
    }
}

/// Why a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalErrorKind {
    /// No such function (unknown image, missing binary).
    NotFound,
    /// The function ran and exited non-zero or reported failure.
    Failed,
    /// The function is not allowed here (exec in a server render).
    NotAllowed,
    /// The function's config was rejected before it ran.
    InvalidConfig,
    /// The function's output could not be read.
    InvalidOutput,
}

/// A failed call, with everything the function reported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// Category of failure.
    pub kind: EvalErrorKind,
    /// Human-readable error.
    pub message: String,
    /// Exit code to report (1 when the function could not start).
    pub exit_code: i32,
    /// What the function wrote to stderr.
    pub stderr: String,
    /// Results the function emitted before failing.
    pub results: Vec<ResultItem>,
}

impl EvalError {
    /// A failure of `kind` with a message and exit code 1.
    pub fn new(kind: EvalErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            exit_code: 1,
            stderr: String::new(),
            results: Vec::new(),
        }
    }
}

/// Runs one KRM function on a ResourceList, synchronously.
pub trait FunctionEvaluator {
    /// Evaluates `function` on `input` (items plus `functionConfig`).
    fn evaluate(
        &self,
        function: &FunctionSpec,
        input: ResourceList,
    ) -> Result<EvalOutput, EvalError>;
}

impl<F> FunctionEvaluator for F
where
    F: Fn(&FunctionSpec, ResourceList) -> Result<EvalOutput, EvalError>,
{
    fn evaluate(
        &self,
        function: &FunctionSpec,
        input: ResourceList,
    ) -> Result<EvalOutput, EvalError> {
        self(function, input)
    }
}

/// Resolves an image name as kpt does: names without `/` get `prefix`, and a
/// name without tag or digest gets `:latest` unless a tag constraint will
/// pick the tag.
pub fn resolve_image(image: &str, prefix: &str, has_tag_constraint: bool) -> String {
    let mut out = if image.contains('/') {
        image.to_string()
    } else {
        let mut p = prefix.to_string();
        if !p.is_empty() && !p.ends_with('/') {
            p.push('/');
        }
        format!("{p}{image}")
    };
    let last = out.rsplit('/').next().unwrap_or_default();
    if !has_tag_constraint && !last.contains(':') && !last.contains('@') {
        out.push_str(":latest");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_get_prefix_and_latest() {
        assert_eq!(
            resolve_image("set-labels", DEFAULT_IMAGE_PREFIX, false),
            "ghcr.io/kptdev/krm-functions-catalog/set-labels:latest"
        );
        assert_eq!(
            resolve_image("apply-setters:v0.2", DEFAULT_IMAGE_PREFIX, false),
            "ghcr.io/kptdev/krm-functions-catalog/apply-setters:v0.2"
        );
        assert_eq!(
            resolve_image("localhost:5000/fn", DEFAULT_IMAGE_PREFIX, false),
            "localhost:5000/fn:latest"
        );
        assert_eq!(
            resolve_image("gcr.io/kpt-fn/x", "p", true),
            "gcr.io/kpt-fn/x"
        );
    }
}
