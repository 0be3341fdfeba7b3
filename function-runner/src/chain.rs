//! One [`FunctionEvaluator`] over several runtimes, tried in order: the
//! first that knows an image runs it (builtins, then local executables,
//! then a remote function runner).

use cad_lib::{
    EvalError, EvalErrorKind, EvalOutput, FunctionEvaluator, FunctionSpec, ResourceList,
};

use crate::builtin::BuiltinRuntime;
use crate::exec::ExecRuntime;

/// Builtins first, then exec, then an optional fallback (e.g. the gRPC
/// client of a remote `porch-fn-runner`).
pub struct Chain {
    /// In-process catalog functions.
    pub builtin: BuiltinRuntime,
    /// Local executables (and `exec` functions).
    pub exec: Option<ExecRuntime>,
    /// Anything else.
    pub fallback: Option<Box<dyn FunctionEvaluator + Send + Sync>>,
}

impl Chain {
    /// Builtins only.
    pub fn builtin_only() -> Self {
        Self {
            builtin: BuiltinRuntime::new(),
            exec: None,
            fallback: None,
        }
    }
}

impl FunctionEvaluator for Chain {
    fn evaluate(
        &self,
        function: &FunctionSpec,
        input: ResourceList,
    ) -> Result<EvalOutput, EvalError> {
        if let Some(image) = &function.image {
            if self.builtin.find(image, function.tag.as_deref()).is_some() {
                return self.builtin.evaluate(function, input);
            }
            if let Some(exec) = &self.exec
                && exec.supports(image)
            {
                return exec.evaluate(function, input);
            }
        } else if function.exec.is_some()
            && let Some(exec) = &self.exec
        {
            return exec.evaluate(function, input);
        }
        match &self.fallback {
            Some(f) => f.evaluate(function, input),
            None => Err(EvalError::new(
                EvalErrorKind::NotFound,
                format!(
                    "function {:?} not found: no builtin or local executable serves it",
                    function.display_name()
                ),
            )),
        }
    }
}
