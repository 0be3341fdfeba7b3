//! One package's pipeline: function configs, calls, and folding each
//! function's output back into the resources.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::annotate::{self, Splice};
use super::fold::Sent;
use super::{Ctx, Failure, RenderError, Res, select};
use crate::annotations as ann;
use crate::evaluator::{EvalError, EvalErrorKind, FunctionSpec, resolve_image};
use crate::kptfile::{Function, Invalid, KptfileError};
use crate::object::KubeObject;
use crate::package::clean_path;
use crate::resource_list::ResourceList;
use crate::results::FunctionResult;

/// Mutator or validator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mutator,
    Validator,
}

impl Kind {
    fn field(self) -> &'static str {
        match self {
            Kind::Mutator => "mutators",
            Kind::Validator => "validators",
        }
    }
}

fn is_kustomization_path(path: &str) -> bool {
    matches!(
        path.rsplit('/').next(),
        Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
    )
}

impl Ctx<'_> {
    fn fail(&self, pkg: usize, resources: Vec<Res>, message: impl Into<String>) -> Failure {
        Failure {
            resources,
            error: RenderError::Pipeline {
                package: self.display_dir(pkg),
                message: message.into(),
            },
        }
    }

    /// Checks that every resource is a KRM object.
    fn check_krm(&self, res: &[Res], what: &str) -> Result<(), String> {
        for r in res {
            if is_kustomization_path(&r.path) {
                continue;
            }
            if let Err(reason) = r.obj.check_krm_unless_kustomization() {
                return Err(format!(
                    "{what} resource list must contain only KRM resources: {}: {reason}",
                    r.path
                ));
            }
        }
        Ok(())
    }

    /// Runs package `pkg`'s pipeline on `res`.
    pub(super) fn run_pipeline(
        &mut self,
        pkg: usize,
        mut res: Vec<Res>,
    ) -> Result<Vec<Res>, Failure> {
        if let Err(m) = self.check_krm(&res, "input") {
            return Err(self.fail(pkg, res, m));
        }
        let pipeline = self.kptfiles[pkg].pipeline();
        for (kind, fns) in [
            (Kind::Mutator, &pipeline.mutators),
            (Kind::Validator, &pipeline.validators),
        ] {
            for (i, f) in fns.iter().enumerate() {
                if let Err(e) = self.config_object(pkg, &res, f, kind, i) {
                    return Err(Failure {
                        resources: res,
                        error: e,
                    });
                }
            }
        }
        for (i, f) in pipeline.mutators.iter().enumerate() {
            res = self.run_step(pkg, res, f, Kind::Mutator, i)?;
        }
        for (i, f) in pipeline.validators.iter().enumerate() {
            res = self.run_step(pkg, res, f, Kind::Validator, i)?;
        }
        Ok(res)
    }

    /// The function config of a step: the ConfigMap built from `configMap`,
    /// or the current object at `configPath` in this package.
    fn config_object(
        &self,
        pkg: usize,
        res: &[Res],
        f: &Function,
        kind: Kind,
        i: usize,
    ) -> Result<Option<KubeObject>, RenderError> {
        if let Some(cm) = &f.config_map {
            let v = json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "function-input"}, "data": Value::Object(cm.clone())});
            return KubeObject::from_value(&v)
                .map(Some)
                .map_err(|e| RenderError::Pipeline {
                    package: self.display_dir(pkg),
                    message: e.to_string(),
                });
        }
        if f.config_path.is_empty() {
            return Ok(None);
        }
        let path = clean_path(&f.config_path);
        let found: Vec<&Res> = res
            .iter()
            .filter(|r| r.pkg == pkg && r.path == path)
            .collect();
        let invalid = |reason: String| {
            RenderError::Kptfile(KptfileError::Invalid(Invalid::new(
                format!("pipeline.{}[{i}].configPath", kind.field()),
                Some(&f.config_path),
                reason,
            )))
        };
        match found.as_slice() {
            [] => Err(invalid(format!(
                "failed to open functionConfig from path {path:?}: no such file among the package's resources"
            ))),
            [one] => match one.obj.check_krm() {
                Ok(()) => Ok(Some(one.obj.deep_copy())),
                Err(reason) => Err(RenderError::Pipeline {
                    package: self.display_dir(pkg),
                    message: format!("functionConfig {path:?}: {reason}"),
                }),
            },
            many => Err(RenderError::Pipeline {
                package: self.display_dir(pkg),
                message: format!(
                    "functionConfig {path:?} must not contain more than one config, got {}",
                    many.len()
                ),
            }),
        }
    }

    fn spec(&self, f: &Function) -> FunctionSpec {
        FunctionSpec {
            image: (!f.image.is_empty())
                .then(|| resolve_image(&f.image, &self.opts.image_prefix, !f.tag.is_empty())),
            exec: (!f.exec.is_empty()).then(|| f.exec.clone()),
            tag: (!f.tag.is_empty()).then(|| f.tag.clone()),
            name: (!f.name.is_empty()).then(|| f.name.clone()),
            package: None,
            selected: None,
        }
    }

    /// Runs one step and folds its output into `res`.
    fn run_step(
        &mut self,
        pkg: usize,
        mut res: Vec<Res>,
        f: &Function,
        kind: Kind,
        i: usize,
    ) -> Result<Vec<Res>, Failure> {
        let spec = self.spec(f);
        let config = match self.config_object(pkg, &res, f, kind, i) {
            Ok(c) => c,
            Err(error) => {
                return Err(Failure {
                    resources: res,
                    error,
                });
            }
        };
        let selected = select(res.iter().map(|r| &r.obj), &f.selectors, &f.exclude);
        let spec = FunctionSpec {
            package: Some(self.display_dir(pkg)),
            selected: (!f.selectors.is_empty() || f.exclude.iter().any(|s| !s.is_empty()))
                .then_some(selected.len()),
            ..spec
        };
        let bodies: Vec<String> = selected.iter().map(|&i| res[i].obj.body_text()).collect();
        let (items, splices): (Vec<KubeObject>, Vec<Option<Splice>>) = selected
            .iter()
            .enumerate()
            .map(|(pos, &idx)| self.annotated(&res[idx], pos, &bodies[pos]))
            .unzip();
        let input = ResourceList {
            items,
            function_config: config,
            results: Vec::new(),
        };
        let outcome = if spec.exec.is_some() && !self.opts.allow_exec {
            Err(EvalError::new(
                EvalErrorKind::NotAllowed,
                "must run with `--allow-exec` option to allow running function binaries",
            ))
        } else {
            self.evaluator.evaluate(&spec, input)
        };
        let name = spec.display_name().to_string();
        let output = match outcome {
            Ok(out) => {
                self.results.push(FunctionResult {
                    image: spec.image.clone(),
                    exec: spec.exec.clone(),
                    stderr: out.stderr,
                    exit_code: 0,
                    results: out.resource_list.results.clone(),
                });
                out.resource_list
            }
            Err(e) => {
                let message = format!("function {name:?}: {}", e.message);
                self.results.push(FunctionResult {
                    image: spec.image.clone(),
                    exec: spec.exec.clone(),
                    stderr: if e.stderr.is_empty() {
                        e.message.clone()
                    } else {
                        e.stderr
                    },
                    exit_code: if e.exit_code == 0 { 1 } else { e.exit_code },
                    results: e.results,
                });
                return Err(self.fail(pkg, res, message));
            }
        };
        if kind == Kind::Validator {
            return Ok(res);
        }
        let inputs: Vec<&Res> = selected.iter().map(|&i| &res[i]).collect();
        let sent = Sent {
            inputs: &inputs,
            bodies: &bodies,
            splices: &splices,
        };
        let outputs = match self.fold_output(pkg, &sent, output) {
            Ok(o) => o,
            Err(m) => return Err(self.fail(pkg, res, format!("function {name:?}: {m}"))),
        };
        if selected.len() == res.len() {
            res = outputs.into_iter().map(|(_, r)| r).collect();
        } else {
            let mut by_input: HashMap<usize, Res> = HashMap::new();
            let mut added = Vec::new();
            for (pos, r) in outputs {
                match pos {
                    Some(p) if !by_input.contains_key(&selected[p]) => {
                        by_input.insert(selected[p], r);
                    }
                    _ => added.push(r),
                }
            }
            let chosen: HashSet<usize> = selected.iter().copied().collect();
            let mut next = Vec::with_capacity(res.len() + added.len());
            for (idx, r) in res.into_iter().enumerate() {
                if !chosen.contains(&idx) {
                    next.push(r);
                } else if let Some(out) = by_input.remove(&idx) {
                    next.push(out);
                }
            }
            next.extend(added);
            res = next;
        }
        if let Err(m) = self.check_output(&res) {
            return Err(self.fail(pkg, res, m));
        }
        Ok(res)
    }

    /// A copy of the resource carrying the annotations functions expect,
    /// and the splice that added them when the fast path applied.
    fn annotated(&self, r: &Res, pos: usize, body: &str) -> (KubeObject, Option<Splice>) {
        let index = r.index.unwrap_or(0).to_string();
        let id = pos.to_string();
        let pkg_path = self.display_dir(r.pkg);
        let pairs = [
            (ann::PATH, r.path.as_str()),
            (ann::INDEX, index.as_str()),
            (ann::INTERNAL_PATH, r.path.as_str()),
            (ann::INTERNAL_INDEX, index.as_str()),
            (ann::SEQ_INDENT, r.seq_indent.as_str()),
            (ann::INTERNAL_ID, id.as_str()),
            (ann::PACKAGE_PATH, pkg_path.as_str()),
        ];
        let loaded = self.loaded_metadata_keys(r);
        if let Some((text, splice)) = annotate::insert(body, &pairs, loaded.as_deref())
            && let Ok(o) = KubeObject::parse(&text)
        {
            return (o, Some(splice));
        }
        let mut o = r.obj.deep_copy();
        for (k, v) in pairs {
            // Objects that are not mappings cannot carry annotations; the
            // KRM check has already refused them.
            let _ = o.set_annotation(k, v);
        }
        (o, None)
    }

    /// The `metadata` keys of the resource as read from its file (`None`
    /// for resources a function generated, and when it already has
    /// annotations: only a new `annotations:` entry needs the position).
    fn loaded_metadata_keys(&self, r: &Res) -> Option<Vec<String>> {
        if r.obj.node_at(&["metadata", "annotations"]).is_some() {
            return None;
        }
        let (file, index) = r.origin.as_ref()?;
        let (_, obj) = self.parsed.get(file)?.objects().find(|(i, _)| i == index)?;
        match obj.get(&["metadata"])? {
            Value::Object(m) => Some(m.keys().cloned().collect()),
            _ => Some(Vec::new()),
        }
    }

    /// Invariants after a mutator: paths inside the package, unique
    /// path/index per package, KRM output.
    fn check_output(&self, res: &[Res]) -> Result<(), String> {
        let mut seen: HashSet<(usize, &str, usize)> = HashSet::with_capacity(res.len());
        for r in res {
            if r.path == ".." || r.path.starts_with("../") {
                return Err(format!(
                    "function must not modify resources outside of package: resource has path {}",
                    r.path
                ));
            }
            if let Some(i) = r.index
                && !seen.insert((r.pkg, r.path.as_str(), i))
            {
                return Err(format!(
                    "resource at path {:?} and index \"{i}\" already exists",
                    r.path
                ));
            }
        }
        self.check_krm(res, "output")
    }
}
