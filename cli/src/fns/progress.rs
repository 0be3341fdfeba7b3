//! kpt's progress output on stderr (`Package "x":`, `[RUNNING]`, `[PASS]`,
//! `[FAIL]`, results, stderr, exit code), produced by wrapping the
//! evaluator so that each call is reported as it happens.

use std::cell::RefCell;
use std::io::Write;
use std::time::Instant;

use cad_lib::{
    EvalError, EvalOutput, FunctionEvaluator, FunctionSpec, ResourceList, ResultItem, Severity,
};

/// Prints kpt-style progress around every call of `inner`.
pub struct Progress<'a> {
    inner: &'a dyn FunctionEvaluator,
    root_name: String,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    package: Option<String>,
    packages: usize,
    functions: usize,
}

impl<'a> Progress<'a> {
    /// Reports calls of `inner`; `root_name` names the root package.
    pub fn new(inner: &'a dyn FunctionEvaluator, root_name: &str) -> Self {
        Self {
            inner,
            root_name: root_name.to_string(),
            state: RefCell::new(State::default()),
        }
    }

    /// Functions and packages that ran.
    pub fn counts(&self) -> (usize, usize) {
        let s = self.state.borrow();
        (s.functions, s.packages)
    }

    fn display(&self, pkg: &str) -> String {
        if pkg == "." || pkg.is_empty() {
            self.root_name.clone()
        } else {
            format!("{}/{pkg}", self.root_name)
        }
    }
}

/// kpt's one-line form of a result.
pub fn result_line(r: &ResultItem) -> String {
    let sev = match r.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    };
    let mut s = format!("[{sev}]");
    if let Some(rr) = &r.resource_ref {
        let id: Vec<&str> = [&rr.api_version, &rr.kind, &rr.namespace, &rr.name]
            .into_iter()
            .filter(|x| !x.is_empty())
            .map(String::as_str)
            .collect();
        if !id.is_empty() {
            s.push(' ');
            s.push_str(&id.join("/"));
        }
    }
    if let Some(f) = r.field.as_ref().filter(|f| !f.path.is_empty()) {
        s.push(' ');
        s.push_str(&f.path);
    }
    format!("{s}: {}", r.message)
}

fn block(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    out.push_str(&format!("  {title}:\n"));
    for l in lines {
        out.push_str(&format!("    {l}\n"));
    }
}

impl FunctionEvaluator for Progress<'_> {
    fn evaluate(
        &self,
        function: &FunctionSpec,
        input: ResourceList,
    ) -> Result<EvalOutput, EvalError> {
        let name = function.display_name().to_string();
        let pkg = self.display(function.package.as_deref().unwrap_or("."));
        let mut head = String::new();
        {
            let mut st = self.state.borrow_mut();
            if st.package.as_deref() != Some(pkg.as_str()) {
                if st.package.is_some() {
                    head.push('\n');
                }
                head.push_str(&format!("Package {pkg:?}:\n"));
                st.package = Some(pkg.clone());
                st.packages += 1;
            }
            st.functions += 1;
        }
        let on = function
            .selected
            .map_or(String::new(), |n| format!(" on {n} resource(s)"));
        head.push_str(&format!("[RUNNING] {name:?}{on} on package {pkg:?}\n"));
        eprint!("{head}");
        let started = Instant::now();
        let outcome = self.inner.evaluate(function, input);
        let secs = started.elapsed().as_secs_f64();
        let took = if secs < 0.05 {
            "0s".to_string()
        } else {
            format!("{secs:.1}s")
        };
        let mut out = String::new();
        match &outcome {
            Ok(o) => {
                out.push_str(&format!("[PASS] {name:?} in {took}\n"));
                let lines: Vec<String> = o.resource_list.results.iter().map(result_line).collect();
                block(&mut out, "[Results]", &lines);
                let err: Vec<String> = o.stderr.lines().map(str::to_string).collect();
                block(&mut out, "Stderr", &err);
            }
            Err(e) => {
                out.push_str(&format!("[FAIL] {name:?} in {took}\n"));
                let lines: Vec<String> = e.results.iter().map(result_line).collect();
                block(&mut out, "[Results]", &lines);
                let err: Vec<String> = e.stderr.lines().map(str::to_string).collect();
                block(&mut out, "Stderr", &err);
                out.push_str(&format!(
                    "  Exit code: {}\n",
                    if e.exit_code == 0 { 1 } else { e.exit_code }
                ));
            }
        }
        eprint!("{out}");
        let _ = std::io::stderr().flush();
        outcome
    }
}
