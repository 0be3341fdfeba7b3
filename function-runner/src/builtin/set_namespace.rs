//! `set-namespace`: moves every namespaced resource (and the namespace
//! references of Namespaces, CRD webhooks, APIServices, ClusterRoleBinding
//! subjects and `depends-on` annotations) to one namespace.
//!
//! Follows the catalog function: resources cloned from an upstream are
//! matched by their origin namespace (`internal.kpt.dev/upstream-identifier`)
//! so that a second run still finds them; `namespaceMatcher` limits the
//! change to one namespace.

use std::collections::{BTreeSet, HashSet};

use cad_lib::{KubeObject, ResourceList};
use serde_json::Value;

use super::config::{self, Config};
use super::fields::{self, edit};
use super::scope::{self, Scope};
use super::{Failure, results};

const DEPENDS_ON: &str = "config.kubernetes.io/depends-on";
const UPSTREAM: &str = "internal.kpt.dev/upstream-identifier";
/// The SDK's marker for "cluster-scoped or unknown" origins.
const UNKNOWN_NS: &str = "~C";

struct Params {
    namespace: String,
    matcher: String,
}

fn params(fc: Option<&KubeObject>) -> Result<Params, String> {
    match config::read(fc) {
        Config::Missing => Err(
            "FunctionConfig is missing. Expect `ConfigMap.v1` or `SetNamespace.v1alpha1.fn.kpt.dev`".into(),
        ),
        Config::ConfigMap { name, data } => {
            let matcher = config::data_str(&data, "namespaceMatcher").to_string();
            let ns = config::data_str(&data, "namespace");
            if !ns.is_empty() {
                return Ok(Params { namespace: ns.into(), matcher });
            }
            let n = config::data_str(&data, "name");
            if name == "kptfile.kpt.dev" {
                if !n.is_empty() {
                    return Ok(Params { namespace: n.into(), matcher });
                }
                return Err("`data.name` should not be empty".into());
            }
            Err("`data.namespace` should not be empty".into())
        }
        Config::Typed { api_version, kind, value } => {
            if !config::is_kind(&api_version, &kind, "fn.kpt.dev", "SetNamespace") {
                return Err(format!(
                    "unknown functionConfig Kind={kind} ApiVersion={api_version}, expect `ConfigMap.v1` or `SetNamespace.v1alpha1.fn.kpt.dev`"
                ));
            }
            let ns = fields::get_str(&value, &["namespace"]).unwrap_or_default();
            if ns.is_empty() {
                return Err("`namespace` should not be empty".into());
            }
            Ok(Params {
                namespace: ns.into(),
                matcher: fields::get_str(&value, &["namespaceMatcher"]).unwrap_or_default().into(),
            })
        }
    }
}

/// (namespace, name) of the object in its upstream, if it was cloned.
fn origin(o: &fields::Head) -> Option<(String, String)> {
    let id = o.annotation(UPSTREAM)?;
    let parts: Vec<&str> = id.split('|').collect();
    match parts.as_slice() {
        [_, _, ns, name] => Some((ns.to_string(), name.to_string())),
        _ => None,
    }
}

fn depends_on_key(o: &fields::Head) -> String {
    format!(
        "{}/namespaces/{}/{}/{}",
        fields::group(&o.api_version),
        o.namespace(),
        o.kind,
        o.name()
    )
}

fn scope_of(h: &fields::Head) -> Scope {
    scope::known(fields::group(&h.api_version), &h.kind).unwrap_or(if h.namespace().is_empty() {
        Scope::Cluster
    } else {
        Scope::Namespaced
    })
}

/// Counts and remembers the namespaces a run changed.
struct Walk<'a> {
    new_ns: &'a str,
    matcher: &'a str,
    count: usize,
    old: BTreeSet<String>,
    notes: Vec<cad_lib::ResultItem>,
}

impl Walk<'_> {
    /// Decides one namespace value; returns the value to write, if changed.
    fn visit(&mut self, origin: &str, current: &str, id: &str) -> Option<String> {
        if origin == UNKNOWN_NS {
            return None;
        }
        let current = if current.is_empty() {
            "default"
        } else {
            current
        };
        if current == self.new_ns {
            return None;
        }
        let change = if self.matcher.is_empty() {
            true
        } else {
            if self.matcher == origin {
                self.notes.push(results::info(format!(
                    "[{id}] has matching origin {origin}"
                )));
            }
            self.matcher == current || self.matcher == origin
        };
        if !change {
            return None;
        }
        self.old.insert(current.to_string());
        self.count += 1;
        Some(self.new_ns.to_string())
    }
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let p = match params(rl.function_config.as_ref()) {
        Ok(p) => p,
        Err(m) => {
            rl.results.push(results::config_error(m));
            return Ok(());
        }
    };
    let heads: Vec<fields::Head> = rl.items.iter().map(fields::head).collect();
    let targets: Vec<usize> = (0..rl.items.len())
        .filter(|i| !heads[*i].is_local_config())
        .collect();
    let before: HashSet<String> = targets.iter().map(|i| depends_on_key(&heads[*i])).collect();
    let mut origins = BTreeSet::new();
    for &i in &targets {
        let h = &heads[i];
        let Some((ns, _)) = origin(h) else { continue };
        if scope_of(h) == Scope::Cluster {
            continue;
        }
        if ns == UNKNOWN_NS {
            rl.results.push(results::error(format!(
                "{}/{} is namespace-scoped, but has cluster-scoped or unknown scoepd origin {}",
                h.kind,
                h.name(),
                h.annotation(UPSTREAM).unwrap_or_default()
            )));
            return Ok(());
        }
        origins.insert(ns);
    }
    if p.matcher.is_empty() && origins.len() > 1 {
        let list: Vec<String> = origins.into_iter().collect();
        rl.results.push(results::error(format!(
            "unable to use origin `namespace` to match. expect a single upstream namespace, found [{}]. please switch to use `namespaceMatcher`to specify the namespace value you want to change",
            list.join(" ")
        )));
        return Ok(());
    }
    let mut walk = Walk {
        new_ns: &p.namespace,
        matcher: &p.matcher,
        count: 0,
        old: BTreeSet::new(),
        notes: Vec::new(),
    };
    let (cluster, namespaced): (Vec<usize>, Vec<usize>) = targets
        .iter()
        .partition(|i| scope_of(&heads[**i]) == Scope::Cluster);
    let mut failures = Vec::new();
    for i in cluster {
        if let Err(e) = visit_cluster(&mut rl.items[i], &heads[i], &mut walk) {
            failures.push(e.to_string());
        }
    }
    for i in namespaced {
        let h = &heads[i];
        let origin_ns = origin(h).map_or_else(|| h.namespace().to_string(), |(ns, _)| ns);
        let id = format!("{}/{}", h.kind, h.name());
        if let Some(new) = walk.visit(&origin_ns, h.namespace(), &id)
            && let Err(e) = fields::set_string(&mut rl.items[i], &["metadata", "namespace"], &new)
        {
            failures.push(e.to_string());
        }
    }
    let mut out = std::mem::take(&mut walk.notes);
    out.push(if walk.count == 0 {
        results::info(format!(
            "all matching namespaces are already {:?}. no value changed",
            p.namespace
        ))
    } else {
        results::info(format!(
            "namespace [{}] updated to {:?}, {} value(s) changed",
            walk.old.iter().cloned().collect::<Vec<_>>().join(" "),
            p.namespace,
            walk.count
        ))
    });
    out.push(update_depends_on(rl, &heads, &targets, &before, &p));
    out.extend(failures.into_iter().map(results::error));
    rl.results.extend(out);
    Ok(())
}

fn visit_cluster(
    o: &mut KubeObject,
    h: &fields::Head,
    walk: &mut Walk<'_>,
) -> Result<(), fields::EditError> {
    let id = format!("{}/{}", h.kind, h.name());
    match (fields::group(&h.api_version), h.kind.as_str()) {
        ("", "Namespace") => {
            let name = h.name().to_string();
            let origin_name = origin(h).map(|(_, n)| n).unwrap_or_else(|| name.clone());
            if let Some(new) = walk.visit(&origin_name, &name, &id) {
                edit(o, |v| {
                    fields::set(v, &["metadata", "name"], Value::String(new))
                })?
                .ok();
            }
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            nested(
                o,
                walk,
                &[
                    "spec",
                    "conversion",
                    "webhook",
                    "clientConfig",
                    "service",
                    "namespace",
                ],
                &id,
            )?;
        }
        ("apiregistration.k8s.io", "APIService") => {
            nested(o, walk, &["spec", "service", "namespace"], &id)?;
        }
        (_, "ClusterRoleBinding" | "RoleBinding") => {
            edit(o, |v| {
                if let Some(Value::Array(subjects)) = fields::get_mut(v, &["subjects"]) {
                    for s in subjects.iter_mut() {
                        if let Some(Value::String(ns)) = fields::get_mut(s, &["namespace"])
                            && let Some(new) = walk.visit("", ns, &id)
                        {
                            *ns = new;
                        }
                    }
                }
            })?;
        }
        _ => {}
    }
    Ok(())
}

fn nested(
    o: &mut KubeObject,
    walk: &mut Walk<'_>,
    path: &[&str],
    id: &str,
) -> Result<(), fields::EditError> {
    edit(o, |v| {
        if let Some(Value::String(ns)) = fields::get_mut(v, path)
            && let Some(new) = walk.visit("", ns, id)
        {
            *ns = new;
        }
    })
}

fn update_depends_on(
    rl: &mut ResourceList,
    heads: &[fields::Head],
    targets: &[usize],
    before: &HashSet<String>,
    p: &Params,
) -> cad_lib::ResultItem {
    let mut count = 0;
    let mut old = BTreeSet::new();
    for &i in targets {
        let Some(dep) = heads[i].annotation(DEPENDS_ON).map(str::to_string) else {
            continue;
        };
        let o = &mut rl.items[i];
        let mut seg: Vec<String> = dep.split('/').map(str::to_string).collect();
        if seg.len() != 5
            || seg[1] != "namespaces"
            || !before.contains(&dep)
            || seg[2] == p.namespace
        {
            continue;
        }
        if !p.matcher.is_empty() && p.matcher != seg[2] {
            continue;
        }
        old.insert(seg[2].clone());
        seg[2] = p.namespace.clone();
        count += 1;
        // An object whose annotations cannot be written was already
        // refused by the KRM check.
        let _ = o.set_annotation(DEPENDS_ON, &seg.join("/"));
    }
    if count == 0 {
        results::info("all `depends-on` annotations are up-to-date. no `namespace` changed")
    } else {
        results::info(format!(
            "`depends-on` annotation namespace [{}] updated to {:?}, {} value(s) changed",
            old.into_iter().collect::<Vec<_>>().join(" "),
            p.namespace,
            count
        ))
    }
}
