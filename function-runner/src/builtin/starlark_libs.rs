//! The modules kpt starlark scripts `load()`: `encoding/json.star`,
//! `encoding/yaml.star`, `encoding/base64.star` and `krmfn.star` work;
//! the other names of the catalog's library (`re.star`, `time.star`,
//! `math.star`, ...) load as empty namespaces so that scripts which only
//! import them still run, and a call into them fails with a clear error.

use base64::Engine;
use starlark::environment::{FrozenModule, Globals, GlobalsBuilder, LibraryExtension};
use starlark::starlark_module;
use starlark::values::{Heap, Value};

#[starlark_module]
fn yaml_members(builder: &mut GlobalsBuilder) {
    /// Parses YAML text.
    fn loads<'v>(#[starlark(require = pos)] s: &str, heap: Heap<'v>) -> anyhow::Result<Value<'v>> {
        let v: serde_json::Value = serde_norway::from_str(s)?;
        Ok(heap.alloc(&v))
    }

    /// Renders a value as YAML text.
    fn dumps(#[starlark(require = pos)] x: Value) -> anyhow::Result<String> {
        Ok(serde_norway::to_string(&x.to_json_value()?)?)
    }
}

#[starlark_module]
fn base64_members(builder: &mut GlobalsBuilder) {
    /// Base64-encodes a string.
    fn encode(#[starlark(require = pos)] s: &str) -> anyhow::Result<String> {
        Ok(base64::engine::general_purpose::STANDARD.encode(s))
    }

    /// Decodes a base64 string.
    fn decode(#[starlark(require = pos)] s: &str) -> anyhow::Result<String> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(s)?;
        Ok(String::from_utf8(bytes)?)
    }
}

fn field(r: Value, path: &[&str]) -> anyhow::Result<String> {
    let v = r.to_json_value()?;
    Ok(path
        .iter()
        .try_fold(&v, |cur, k| cur.get(*k))
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_string())
}

#[starlark_module]
fn krmfn_members(builder: &mut GlobalsBuilder) {
    /// Whether a resource has this apiVersion and kind.
    fn match_gvk(
        #[starlark(require = pos)] r: Value,
        #[starlark(require = pos)] api_version: &str,
        #[starlark(require = pos)] kind: &str,
    ) -> anyhow::Result<bool> {
        Ok(field(r, &["apiVersion"])? == api_version && field(r, &["kind"])? == kind)
    }

    /// Whether a resource has this name.
    fn match_name(
        #[starlark(require = pos)] r: Value,
        #[starlark(require = pos)] name: &str,
    ) -> anyhow::Result<bool> {
        Ok(field(r, &["metadata", "name"])? == name)
    }

    /// Whether a resource is in this namespace.
    fn match_namespace(
        #[starlark(require = pos)] r: Value,
        #[starlark(require = pos)] namespace: &str,
    ) -> anyhow::Result<bool> {
        Ok(field(r, &["metadata", "namespace"])? == namespace)
    }
}

/// Library names with no implementation yet (loaded as empty namespaces).
const STUBS: &[(&str, &str)] = &[
    ("bsoup.star", "bsoup"),
    ("encoding/csv.star", "csv"),
    ("geo.star", "geo"),
    ("hash.star", "hash"),
    ("html.star", "html"),
    ("http.star", "http"),
    ("math.star", "math"),
    ("re.star", "re"),
    ("time.star", "time"),
    ("xlsx.star", "xlsx"),
    ("zipfile.star", "ZipFile"),
];

fn globals(path: &str) -> Option<Globals> {
    let g = match path {
        "encoding/json.star" => GlobalsBuilder::extended_by(&[LibraryExtension::Json]),
        "encoding/yaml.star" => GlobalsBuilder::new().with_namespace("yaml", yaml_members),
        "encoding/base64.star" => GlobalsBuilder::new().with_namespace("base64", base64_members),
        "krmfn.star" => GlobalsBuilder::new().with_namespace("krmfn", krmfn_members),
        other => {
            let (_, name) = STUBS.iter().find(|(p, _)| *p == other)?;
            GlobalsBuilder::new().with_namespace(name, |_| {})
        }
    };
    Some(g.build())
}

/// The module for a `load()` path.
pub fn module(path: &str) -> starlark::Result<FrozenModule> {
    let Some(g) = globals(path) else {
        return Err(starlark::Error::new_other(anyhow::anyhow!(
            "cannot load {path:?}: not a library of the starlark function"
        )));
    };
    FrozenModule::from_globals(&g).map_err(|e| starlark::Error::new_other(anyhow::anyhow!("{e:?}")))
}
