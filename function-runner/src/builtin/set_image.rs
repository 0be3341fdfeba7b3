//! `set-image`: changes container images by name (kustomize's `images`
//! transformer): new name, new tag or digest, keeping what is not given.

use cad_lib::ResourceList;
use serde_json::Value;

use super::config::{self, Config};
use super::fields::{self, edit};
use super::{Failure, results};

#[derive(Default)]
struct Image {
    name: String,
    new_name: String,
    new_tag: String,
    digest: String,
}

fn terminated(m: &str) -> Failure {
    let t = format!("function is terminated: {m}");
    Failure {
        message: Some(t.clone()),
        stderr: Some(format!("failed to evaluate function: {t}")),
    }
}

/// An additional image field: (group, kind, path segments).
type Extra = (String, String, Vec<String>);

fn params(rl: &ResourceList) -> Result<(Image, Vec<Extra>), String> {
    let mut img = Image::default();
    let mut extra = Vec::new();
    match config::read(rl.function_config.as_ref()) {
        Config::Missing => return Err("missing functionConfig".into()),
        Config::ConfigMap { data, .. } => {
            for (k, v) in &data {
                let v = config::scalar_string(v);
                match k.as_str() {
                    "name" => img.name = v,
                    "newName" => img.new_name = v,
                    "newTag" => img.new_tag = v,
                    "digest" => img.digest = v,
                    other => return Err(format!("ConfigMap has wrong field name {other}")),
                }
            }
        }
        Config::Typed { value, .. } => {
            let s = |k: &str| {
                fields::get_str(&value, &["image", k])
                    .unwrap_or_default()
                    .to_string()
            };
            img = Image {
                name: s("name"),
                new_name: s("newName"),
                new_tag: s("newTag"),
                digest: s("digest"),
            };
            if let Some(Value::Array(fs)) = fields::get(&value, &["additionalImageFields"]) {
                for f in fs {
                    if let Some(p) = fields::get_str(f, &["path"]) {
                        let s = |k: &str| fields::get_str(f, &[k]).unwrap_or_default().to_string();
                        extra.push((
                            s("group"),
                            s("kind"),
                            p.split('/').map(str::to_string).collect(),
                        ));
                    }
                }
            }
        }
    }
    if img.name.is_empty() {
        return Err("must specify `name`".into());
    }
    if img.new_name.is_empty() && img.new_tag.is_empty() && img.digest.is_empty() {
        return Err("must specify one of `newName`, `newTag`, or `digest`".into());
    }
    Ok((img, extra))
}

/// Splits `name[:tag][@digest]` (a registry port is part of the name).
fn split(image: &str) -> (&str, &str) {
    if let Some(i) = image.find('@') {
        return (&image[..i], &image[i..]);
    }
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], &image[slash + i..]),
        None => (image, ""),
    }
}

fn update(image: &mut String, want: &Image) -> bool {
    let (name, suffix) = split(image);
    if name != want.name {
        return false;
    }
    let name = if want.new_name.is_empty() {
        name
    } else {
        want.new_name.as_str()
    };
    let suffix = if !want.digest.is_empty() {
        format!("@{}", want.digest)
    } else if !want.new_tag.is_empty() {
        format!(":{}", want.new_tag)
    } else {
        suffix.to_string()
    };
    let next = format!("{name}{suffix}");
    if next == *image {
        return false;
    }
    *image = next;
    true
}

fn containers(v: &mut Value, path: &[&str], want: &Image) -> usize {
    let mut n = 0;
    if let Some(Value::Array(cs)) = fields::get_mut(v, path) {
        for c in cs.iter_mut() {
            if let Some(Value::String(img)) = fields::get_mut(c, &["image"])
                && update(img, want)
            {
                n += 1;
            }
        }
    }
    n
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let (want, extra) = match params(rl) {
        Ok(p) => p,
        Err(m) => {
            rl.results.push(results::error(m.clone()));
            return Err(terminated(&m));
        }
    };
    let mut total = 0;
    for o in rl.items.iter_mut() {
        let kind = o.kind().unwrap_or_default();
        let av = o.api_version().unwrap_or_default();
        let group = fields::group(&av).to_string();
        let n = edit(o, |v| {
            let mut n = match kind.as_str() {
                "Pod" => containers(v, &["spec", "containers"], &want),
                "Deployment"
                | "StatefulSet"
                | "ReplicaSet"
                | "DaemonSet"
                | "Job"
                | "ReplicationController" => {
                    containers(v, &["spec", "template", "spec", "containers"], &want)
                }
                "CronJob" => containers(
                    v,
                    &[
                        "spec",
                        "jobTemplate",
                        "spec",
                        "template",
                        "spec",
                        "containers",
                    ],
                    &want,
                ),
                "PodTemplate" => containers(v, &["template", "spec", "containers"], &want),
                _ => 0,
            };
            for (g, k, path) in &extra {
                if (!g.is_empty() && *g != group) || (!k.is_empty() && *k != kind) {
                    continue;
                }
                fields::for_each_at(v, path, &mut |x| {
                    if let Value::String(img) = x
                        && update(img, &want)
                    {
                        n += 1;
                    }
                });
            }
            n
        })
        .map_err(|e| Failure::error(e.to_string()))?;
        total += n;
    }
    rl.results.push(results::info(format!(
        "summary: updated a total of {total} image(s)"
    )));
    Ok(())
}
