//! `rpkg pull` and `rpkg push`: a revision's files to a directory or a
//! ResourceList on stdout, and back. The resourceVersion travels in the
//! `.KptRevisionMetadata` file so that a push of stale content is refused by
//! the server's optimistic concurrency check.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use cad_lib::annotations as ann;
use cad_lib::resource_file::{is_resource_file, join_documents};
use cad_lib::{KubeObject, ResourceFile, ResourceList};
use clap::Args;
use serde_json::{Map, Value, json};

use crate::error::CliError;
use crate::kube::{self, Client};

/// Name of the file that carries the revision's metadata through pull/push.
const METADATA_FILE: &str = ".KptRevisionMetadata";

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Package revision name.
    pub name: String,
    /// Directory to write to (must not exist); stdout (a ResourceList) when omitted.
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Package revision name.
    pub name: String,
    /// Directory to read from, or `-` (or nothing) for a ResourceList on stdin.
    pub dir: Option<String>,
}

fn prr_path(client: &Client, name: &str) -> String {
    kube::path(
        kube::PORCH,
        Some(&client.namespace),
        kube::PACKAGE_REVISION_RESOURCES,
        Some(name),
    )
}

/// The `.KptRevisionMetadata` document for a PRR's metadata.
fn revision_metadata(prr: &Value) -> Result<String, CliError> {
    let m = &prr["metadata"];
    let mut meta = Map::new();
    for key in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "labels",
        "annotations",
        "finalizers",
        "ownerReferences",
    ] {
        if let Some(v) = m.get(key).filter(|v| !v.is_null()) {
            meta.insert(key.into(), v.clone());
        }
    }
    let doc = json!({"apiVersion": "", "kind": "KptRevisionMetadata", "metadata": meta});
    cad_lib::value::to_yaml_string(&doc)
        .map_err(|e| CliError::Msg(format!("encoding {METADATA_FILE}: {e}")))
}

pub async fn pull(client: &Client, a: PullArgs) -> Result<(), CliError> {
    let prr = client.get(&prr_path(client, &a.name)).await?;
    let mut files: BTreeMap<String, String> = prr["spec"]["resources"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    files.insert(METADATA_FILE.into(), revision_metadata(&prr)?);
    match a.dir {
        Some(dir) => write_dir(&dir, &files),
        None => {
            let mut text = to_resource_list(&files)?;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            crate::output::emit(&text);
            Ok(())
        }
    }
}

fn write_dir(dir: &Path, files: &BTreeMap<String, String>) -> Result<(), CliError> {
    if dir.exists() {
        return Err(CliError::Msg(format!(
            "destination directory {:?} already exists",
            dir.display().to_string()
        )));
    }
    let io = |p: &Path, e: std::io::Error| CliError::Msg(format!("writing {}: {e}", p.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    for (rel, text) in files {
        if rel.split('/').any(|s| s == "..") || rel.starts_with('/') {
            return Err(CliError::Msg(format!(
                "refusing to write file outside the package: {rel}"
            )));
        }
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&p, text).map_err(|e| io(&p, e))?;
    }
    Ok(())
}

/// Every object of the package's resource files (plus the metadata) as a ResourceList, with path/index annotations.
fn to_resource_list(files: &BTreeMap<String, String>) -> Result<String, CliError> {
    let mut items = Vec::new();
    for (path, text) in files {
        if path != METADATA_FILE && !is_resource_file(path) {
            continue;
        }
        let file = ResourceFile::parse(path, text).map_err(|e| CliError::Msg(e.to_string()))?;
        for (index, obj) in file.objects() {
            let mut o: KubeObject = obj.deep_copy();
            let idx = index.to_string();
            for (k, v) in [
                (ann::INDEX, idx.as_str()),
                (ann::PATH, path.as_str()),
                (ann::INTERNAL_INDEX, idx.as_str()),
                (ann::INTERNAL_PATH, path.as_str()),
            ] {
                o.set_annotation(k, v)
                    .map_err(|e| CliError::Msg(e.to_string()))?;
            }
            items.push(o);
        }
    }
    ResourceList::new(items)
        .to_yaml()
        .map_err(|e| CliError::Msg(e.to_string()))
}

/// Files back from a ResourceList: items grouped by their path annotation, ordered by index.
fn from_resource_list(text: &str) -> Result<BTreeMap<String, String>, CliError> {
    let list = ResourceList::parse(text)
        .map_err(|e| CliError::Msg(format!("reading the ResourceList: {e}")))?;
    let mut grouped: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for mut item in list.items {
        // Without a path annotation kio files an object as `<namespace>/<name>.yaml`.
        let path = item
            .annotation(ann::INTERNAL_PATH)
            .or_else(|| item.annotation(ann::PATH))
            .or_else(|| item.annotation(ann::LEGACY_K8S_PATH))
            .unwrap_or_else(|| {
                let ns = item.namespace().filter(|n| !n.is_empty());
                let name = item.name().filter(|n| !n.is_empty());
                format!(
                    "{}/{}.yaml",
                    ns.as_deref().unwrap_or("non-namespaced"),
                    name.as_deref().unwrap_or("unnamed")
                )
            });
        let index = item
            .annotation(ann::INTERNAL_INDEX)
            .or_else(|| item.annotation(ann::INDEX))
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        for k in [
            ann::INDEX,
            ann::PATH,
            ann::INTERNAL_INDEX,
            ann::INTERNAL_PATH,
            ann::LEGACY_K8S_PATH,
            ann::LEGACY_K8S_INDEX,
            ann::SEQ_INDENT,
            ann::INTERNAL_ID,
            ann::LEGACY_ID,
        ] {
            item.remove_annotation(k);
        }
        grouped.entry(path).or_default().push((index, item.text()));
    }
    Ok(grouped
        .into_iter()
        .map(|(path, mut docs)| {
            docs.sort_by_key(|(i, _)| *i);
            let texts: Vec<String> = docs.into_iter().map(|(_, t)| t).collect();
            (path, join_documents("", &texts, ""))
        })
        .collect())
}

/// Every regular file below `dir`, keyed by its slash-separated relative path.
fn read_dir(dir: &Path) -> Result<BTreeMap<String, String>, CliError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    let io = |p: &Path, e: std::io::Error| CliError::Msg(format!("reading {}: {e}", p.display()));
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
            let entry = entry.map_err(|e| io(&d, e))?;
            let p = entry.path();
            let ft = entry.file_type().map_err(|e| io(&p, e))?;
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap_or(&p)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes = std::fs::read(&p).map_err(|e| io(&p, e))?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    CliError::Msg(format!(
                        "file {} is not a valid UTF-8 text file: current porch API doesn't support binary files",
                        p.display()
                    ))
                })?;
                out.insert(rel, text);
            }
        }
    }
    Ok(out)
}

pub async fn push(client: &Client, a: PushArgs) -> Result<(), CliError> {
    let mut files = match a.dir.as_deref() {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::Msg(format!("reading stdin: {e}")))?;
            from_resource_list(&text)?
        }
        Some(d) => read_dir(Path::new(d))?,
    };
    let mut metadata = json!({"name": a.name, "namespace": client.namespace});
    let rv = resource_version(&files, &client.namespace, &a.name).map_err(|e| {
        CliError::Msg(format!(
            "{e}\nuse \"porchctl rpkg pull\" to download the remote package metadata before pushing"
        ))
    })?;
    files.remove(METADATA_FILE);
    if !rv.is_empty() {
        metadata["resourceVersion"] = json!(rv);
    }
    let body = json!({
        "apiVersion": kube::PORCH,
        "kind": "PackageRevisionResources",
        "metadata": metadata,
        "spec": {"resources": files},
    });
    let updated = client.put(&prr_path(client, &a.name), &body).await?;
    print_render_status(&updated["status"]["renderStatus"]);
    crate::output::emit(&format!("{} pushed\n", a.name));
    Ok(())
}

/// The resourceVersion recorded in `.KptRevisionMetadata` (Porch's `GetResourceVersion`).
fn resource_version(
    files: &BTreeMap<String, String>,
    ns: &str,
    name: &str,
) -> Result<String, String> {
    let text = files.get(METADATA_FILE).ok_or_else(|| {
        format!("{METADATA_FILE:?} not found in PackageRevisionResources '{ns}/{name}'")
    })?;
    let obj = KubeObject::parse(text).map_err(|e| {
        format!("failed to parse {METADATA_FILE:?} of PackageRevisionResources {ns}/{name}: {e}")
    })?;
    if obj.kind().as_deref() != Some("KptRevisionMetadata") {
        return Err(format!(
            "{METADATA_FILE:?} does not contain kind \"KptRevisionMetadata\" in PackageRevisionResources '{ns}/{name}'"
        ));
    }
    Ok(match obj.get(&["metadata", "resourceVersion"]) {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    })
}

/// Print the server's render results on stderr as Porch's porchctl does.
fn print_render_status(rs: &Value) {
    let err = rs["error"].as_str().unwrap_or_default();
    if !err.is_empty() {
        eprintln!("Package is updated, but failed to render the package.");
        eprintln!("Error: {err}");
    }
    let empty = Vec::new();
    for item in rs["result"]["items"].as_array().unwrap_or(&empty) {
        let image = item["image"]
            .as_str()
            .filter(|s| !s.is_empty())
            .or_else(|| item["exec"].as_str())
            .unwrap_or_default();
        eprintln!("[RUNNING] {image:?} ");
        if item["exitCode"].as_i64().unwrap_or(0) != 0 {
            eprintln!("[FAIL] {image:?}");
        } else {
            eprintln!("[PASS] {image:?}");
        }
        let lines: Vec<String> = item["results"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(result_line)
            .collect();
        if let Some((first, rest)) = lines.split_first() {
            eprintln!("[Results]: {first}");
            for l in rest {
                eprintln!("           {l}");
            }
        }
    }
}

/// kpt's one-line form of a function result item.
fn result_line(r: &Value) -> String {
    let sev = r["severity"]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or("info");
    let mut s = format!("[{sev}]");
    let rr = &r["resourceRef"];
    let id: Vec<&str> = ["apiVersion", "kind", "namespace", "name"]
        .into_iter()
        .filter_map(|k| rr[k].as_str())
        .filter(|x| !x.is_empty())
        .collect();
    if !id.is_empty() {
        s.push(' ');
        s.push_str(&id.join("/"));
    }
    if r["field"].is_object() {
        s.push(' ');
        s.push_str(r["field"]["path"].as_str().unwrap_or_default());
    }
    format!("{s}: {}", r["message"].as_str().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_list_round_trip() {
        let mut files = BTreeMap::new();
        files.insert(
            "Kptfile".to_string(),
            "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: p # keep\n".to_string(),
        );
        files.insert("a/b.yaml".to_string(), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n".to_string());
        files.insert("README.md".to_string(), "# hi\n".to_string());
        let text = to_resource_list(&files).unwrap();
        assert!(
            text.contains("config.kubernetes.io/path: a/b.yaml"),
            "{text}"
        );
        assert!(!text.contains("# hi"));
        let back = from_resource_list(&text).unwrap();
        assert_eq!(back["Kptfile"], files["Kptfile"]);
        assert_eq!(back["a/b.yaml"], files["a/b.yaml"]);
        assert!(!back.contains_key("README.md"));
    }
}
