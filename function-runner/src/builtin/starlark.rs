//! `starlark`: runs a kpt starlark script (the `starlark` crate) over the
//! ResourceList, with the catalog function's conventions: the script sees
//! `ctx.resource_list` (`items`, `functionConfig`), `ctx.environment` and
//! `ctx.open_api`; whatever `ctx.resource_list["items"]` holds afterwards is
//! the output; `fail()` and runtime errors fail the function; `print()`
//! goes to stderr. Output items are written over the input objects they
//! came from, so comments and layout survive.

use std::cell::RefCell;

use cad_lib::annotations as ann;
use cad_lib::{KubeObject, ResourceList};
use serde_json::Value;
use starlark::environment::{FrozenModule, GlobalsBuilder, LibraryExtension, Module};
use starlark::eval::{Evaluator, FileLoader};
use starlark::syntax::{AstModule, Dialect};
use starlark::values::dict::AllocDict;
use starlark::values::structs::AllocStruct;

use super::Failure;
use super::config::{self, Config};
use super::fields;
use super::starlark_libs;

fn params(rl: &ResourceList) -> Result<String, String> {
    let source = match config::read(rl.function_config.as_ref()) {
        Config::ConfigMap { data, .. } => config::data_str(&data, "source").to_string(),
        Config::Typed { kind, value, .. } if kind == "StarlarkRun" => {
            fields::get_str(&value, &["source"])
                .unwrap_or_default()
                .to_string()
        }
        Config::Typed {
            kind, api_version, ..
        } => {
            return Err(format!(
                "functionConfig must be a `ConfigMap` or `StarlarkRun`, got `{kind}` ({api_version})"
            ));
        }
        Config::Missing => String::new(),
    };
    if source.trim().is_empty() {
        return Err("`source` must not be empty".into());
    }
    Ok(source)
}

/// Collects `print()` output.
struct Printer(RefCell<String>);

impl starlark::PrintHandler for Printer {
    fn println(&self, text: &str) -> starlark::Result<()> {
        let mut s = self.0.borrow_mut();
        s.push_str(text);
        s.push('\n');
        Ok(())
    }
}

/// Serves `load()` of the catalog's standard library names.
struct Loader;

impl FileLoader for Loader {
    fn load(&self, path: &str) -> starlark::Result<FrozenModule> {
        starlark_libs::module(path)
    }
}

fn dialect() -> Dialect {
    Dialect {
        enable_top_level_stmt: true,
        enable_load: true,
        enable_def: true,
        enable_lambda: true,
        enable_keyword_only_arguments: true,
        enable_f_strings: true,
        ..Dialect::Standard
    }
}

/// Go starlark's wording for the parse errors scripts commonly hit.
const GO_WORDING: &[(&str, &str)] = &[
    (
        "unexpected new line, expected expression",
        "got newline, want primary expression",
    ),
    (
        "unexpected end of file",
        "got end of file, want primary expression",
    ),
];

/// Kpt's error text for a failed script: `fail(msg)` as `fail: msg`,
/// other errors as `<config name>:<line>:<col>: <message>`.
fn error_text(e: &starlark::Error, name: &str) -> String {
    let message = match e.kind() {
        starlark::ErrorKind::Fail(m) => return format!("fail: {}", m.to_string().trim_start()),
        starlark::ErrorKind::Parser(m) => m.to_string(),
        other => other.to_string(),
    };
    let mut message = message.trim_start_matches("Parse error: ").to_string();
    for (rust, go) in GO_WORDING {
        if message == *rust {
            message = go.to_string();
        }
    }
    match e.span() {
        Some(span) => {
            let pos = span.resolve_span();
            format!(
                "{name}:{}:{}: {message}",
                pos.begin.line + 1,
                pos.begin.column + 1
            )
        }
        None => message,
    }
}

/// Evaluates the script; returns the output items and what it printed.
fn eval(source: &str, items: &[Value], fc: &Value) -> Result<(Vec<Value>, String), String> {
    let name = fields::get_str(fc, &["metadata", "name"])
        .unwrap_or("source")
        .to_string();
    let ast = AstModule::parse(&name, source.to_string(), &dialect())
        .map_err(|e| error_text(&e, &name))?;
    let globals = GlobalsBuilder::extended_by(&[
        LibraryExtension::StructType,
        LibraryExtension::Json,
        LibraryExtension::SetType,
        LibraryExtension::Print,
        LibraryExtension::Map,
        LibraryExtension::Filter,
    ])
    .build();
    let printer = Printer(RefCell::new(String::new()));
    let items_value = Value::Array(items.to_vec());
    let open_api = open_api();
    let out = Module::with_temp_heap(|module| -> Result<Value, String> {
        let heap = module.heap();
        let rl = heap.alloc(AllocDict([
            ("items", heap.alloc(&items_value)),
            ("functionConfig", heap.alloc(fc)),
        ]));
        let env = heap.alloc(AllocDict([("network", false)]));
        let ctx = heap.alloc(AllocStruct([
            ("resource_list", rl),
            ("environment", env),
            ("open_api", heap.alloc(&open_api)),
        ]));
        module.set("ctx", ctx);
        let mut evaluator = Evaluator::new(&module);
        evaluator.set_loader(&Loader);
        evaluator.set_print_handler(&printer);
        evaluator
            .eval_module(ast, &globals)
            .map_err(|e| error_text(&e, &name))?;
        rl.to_json_value()
            .map_err(|e| format!("output is not a ResourceList: {e}"))
    })?;
    let items = match out.get("items") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err("ctx.resource_list[\"items\"] must be a list".into()),
    };
    Ok((items, printer.0.into_inner()))
}

/// Runs the function.
pub fn run(rl: &mut ResourceList, stderr: &mut String) -> Result<(), Failure> {
    let source = params(rl).map_err(Failure::error)?;
    let inputs = std::mem::take(&mut rl.items);
    let values: Vec<Value> = inputs
        .iter()
        .map(|o| o.to_value().unwrap_or(Value::Null))
        .collect();
    let fc = rl
        .function_config
        .as_ref()
        .and_then(|f| f.to_value().ok())
        .unwrap_or(Value::Null);
    let (out, printed) = match eval(&source, &values, &fc) {
        Ok(x) => x,
        Err(m) => {
            rl.items = inputs;
            return Err(Failure::error(m));
        }
    };
    stderr.push_str(&printed);
    let mut claimed = vec![false; inputs.len()];
    for v in out {
        let pos = find_input(&v, &values, &claimed);
        let obj = match pos {
            Some(i) => {
                claimed[i] = true;
                if values[i] == v {
                    inputs[i].clone()
                } else {
                    let mut o = inputs[i].deep_copy();
                    o.replace_root(&v, None)
                        .map_err(|e| Failure::error(e.to_string()))?;
                    o
                }
            }
            // A new object: Go's starlark-to-YAML conversion sorts keys.
            None => {
                KubeObject::from_value(&sorted(&v)).map_err(|e| Failure::error(e.to_string()))?
            }
        };
        rl.items.push(obj);
    }
    Ok(())
}

/// The input an output item came from: same per-call id annotation, else
/// same identity.
fn find_input(v: &Value, inputs: &[Value], claimed: &[bool]) -> Option<usize> {
    let ann_of = |x: &Value, k: &str| {
        fields::get_str(x, &["metadata", "annotations", k]).map(str::to_string)
    };
    let id = ann_of(v, ann::INTERNAL_ID).or_else(|| ann_of(v, ann::LEGACY_ID));
    if let Some(id) = id {
        return (0..inputs.len()).find(|i| {
            !claimed[*i]
                && ann_of(&inputs[*i], ann::INTERNAL_ID)
                    .or_else(|| ann_of(&inputs[*i], ann::LEGACY_ID))
                    .as_deref()
                    == Some(id.as_str())
        });
    }
    let key = |x: &Value| {
        (
            fields::get_str(x, &["apiVersion"]).map(str::to_string),
            fields::get_str(x, &["kind"]).map(str::to_string),
            fields::get_str(x, &["metadata", "namespace"]).map(str::to_string),
            fields::get_str(x, &["metadata", "name"]).map(str::to_string),
        )
    };
    let k = key(v);
    (0..inputs.len())
        .find(|i| !claimed[*i] && key(&inputs[*i]) == k)
        .or_else(|| {
            // Renamed or moved to another namespace: same kind and name.
            (0..inputs.len()).find(|i| {
                let ki = key(&inputs[*i]);
                !claimed[*i] && ki.0 == k.0 && ki.1 == k.1 && (ki.3 == k.3 || ki.2 == k.2)
            })
        })
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A minimal `ctx.open_api`: a definition with its group-version-kind for
/// each well-known kind.
fn open_api() -> Value {
    let defs: serde_json::Map<String, Value> = super::scope::well_known()
        .map(|(group, kind)| {
            let api = if group.is_empty() { "core" } else { group.split('.').next().unwrap_or(group) };
            (
                format!("io.k8s.api.{api}.v1.{kind}"),
                serde_json::json!({"x-kubernetes-group-version-kind": [{"group": group, "kind": kind, "version": "v1"}]}),
            )
        })
        .collect();
    serde_json::json!({ "definitions": defs })
}
