//! `rpkg get`: the server's PackageRevision table (or objects), filtered by
//! package, revision and workspace as Porch's porchctl filters them: one
//! field selector to the server, then all three re-checked client-side.

use clap::Args;
use serde_json::Value;

use crate::error::CliError;
use crate::kube::{self, Client, KubeError};
use crate::output::{self, Format, PrintFlags};

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Package revision names (default: all).
    pub names: Vec<String>,
    /// Only package revisions of this package.
    #[arg(long = "name", default_value = "")]
    pub package: String,
    /// Only this revision number (-2: any).
    #[arg(long, visible_alias = "rev", default_value_t = -2, allow_negative_numbers = true)]
    pub revision: i64,
    /// Only this workspace.
    #[arg(short = 'w', long, visible_alias = "ws", default_value = "")]
    pub workspace: String,
    /// Only package revisions of this repository.
    #[arg(short = 'r', long, visible_alias = "repo", default_value = "")]
    pub repository: String,
    /// Print the root Kptfile of one package revision.
    #[arg(long = "show-kptfile", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub show_kptfile: bool,
    #[command(flatten)]
    pub print: PrintFlags,
}

impl GetArgs {
    /// The client-side re-check of package, revision and workspace.
    fn matches(&self, package: &str, revision: i64, workspace: &str, repository: &str) -> bool {
        (self.repository.is_empty() || self.repository == repository)
            && (self.package.is_empty() || self.package == package)
            && (self.revision == -2 || self.revision == revision)
            && (self.workspace.is_empty() || self.workspace == workspace)
    }

    /// The single field selector sent to the server (package > workspace > revision).
    fn field_selector(&self) -> Option<String> {
        if !self.package.is_empty() {
            Some(format!("spec.packageName={}", self.package))
        } else if !self.workspace.is_empty() {
            Some(format!("spec.workspaceName={}", self.workspace))
        } else if self.revision != -2 {
            Some(format!("spec.revision={}", self.revision))
        } else if !self.repository.is_empty() {
            Some(format!("spec.repository={}", self.repository))
        } else {
            None
        }
    }
}

pub async fn run(client: &Client, a: GetArgs) -> Result<(), CliError> {
    if a.show_kptfile {
        return show_kptfile(client, &a).await;
    }
    let format = Format::parse(a.print.output.as_deref())?;
    let ns = (!a.print.all_namespaces).then_some(client.namespace.as_str());
    let text = if let Format::Table { wide } = format {
        let table = if a.names.is_empty() {
            let mut path = kube::path(kube::PORCH, ns, kube::PACKAGE_REVISIONS, None);
            path.push_str(&a.print.list_query(a.field_selector().as_deref()));
            let mut t = client.get_table(&path).await?;
            filter_rows(&mut t, &a);
            t
        } else {
            let mut merged: Option<Value> = None;
            for n in &a.names {
                let path = kube::path(
                    kube::PORCH,
                    Some(&client.namespace),
                    kube::PACKAGE_REVISIONS,
                    Some(n),
                );
                let t = client.get_table(&path).await.map_err(|e| not_found(e, n))?;
                match merged.as_mut() {
                    None => merged = Some(t),
                    Some(m) => {
                        let rows = t["rows"].as_array().cloned().unwrap_or_default();
                        if let Some(all) = m["rows"].as_array_mut() {
                            all.extend(rows);
                        }
                    }
                }
            }
            let mut t = merged.unwrap_or(Value::Null);
            filter_rows(&mut t, &a);
            t
        };
        output::print_table(&table, wide, &a.print)
    } else {
        let objs: Vec<Value> = if a.names.is_empty() {
            let mut path = kube::path(kube::PORCH, ns, kube::PACKAGE_REVISIONS, None);
            path.push_str(&a.print.list_query(a.field_selector().as_deref()));
            let v = client.get(&path).await?;
            v["items"].as_array().cloned().unwrap_or_default()
        } else {
            let mut out = Vec::new();
            for n in &a.names {
                let path = kube::path(
                    kube::PORCH,
                    Some(&client.namespace),
                    kube::PACKAGE_REVISIONS,
                    Some(n),
                );
                out.push(client.get(&path).await.map_err(|e| not_found(e, n))?);
            }
            out
        };
        let objs: Vec<Value> = objs
            .into_iter()
            .filter(|o| {
                a.matches(
                    o["spec"]["packageName"].as_str().unwrap_or_default(),
                    o["spec"]["revision"].as_i64().unwrap_or(0),
                    o["spec"]["workspaceName"].as_str().unwrap_or_default(),
                    o["spec"]["repository"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        output::print_objects(
            &format,
            &objs,
            a.names.len() == 1,
            true,
            a.print.no_headers,
            "packagerevision.porch.kpt.dev",
        )?
    };
    crate::output::emit(&text);
    Ok(())
}

/// kubectl's wording for a missing named object in `get`.
fn not_found(e: KubeError, name: &str) -> KubeError {
    if e.is_not_found() {
        KubeError::Status {
            code: 404,
            reason: "NotFound".into(),
            message: format!(
                "the server could not find the requested resource (get packagerevisions.porch.kpt.dev {name})"
            ),
        }
    } else {
        e
    }
}

/// Drop Table rows whose Package/Revision/WorkspaceName cells do not match the flags.
fn filter_rows(table: &mut Value, a: &GetArgs) {
    let col = |name: &str| {
        table["columnDefinitions"]
            .as_array()
            .and_then(|d| d.iter().position(|c| c["name"] == name))
    };
    let (pkg, rev, ws, repo) = (
        col("Package"),
        col("Revision"),
        col("WorkspaceName"),
        col("Repository"),
    );
    if let Some(rows) = table["rows"].as_array_mut() {
        rows.retain(|r| {
            let cell = |i: Option<usize>| i.map(|i| r["cells"][i].clone()).unwrap_or(Value::Null);
            let package = cell(pkg);
            let workspace = cell(ws);
            let revision = cell(rev);
            let repository = cell(repo);
            // A missing cell does not filter (as in Porch).
            a.matches(
                package.as_str().unwrap_or(&a.package),
                revision.as_i64().unwrap_or(a.revision),
                workspace.as_str().unwrap_or(&a.workspace),
                repository.as_str().unwrap_or(&a.repository),
            )
        });
    }
}

/// `--show-kptfile`: the root Kptfile of exactly one package revision.
async fn show_kptfile(client: &Client, a: &GetArgs) -> Result<(), CliError> {
    if a.names.len() != 1 {
        return Err(CliError::Usage(
            "--show-kptfile requires exactly one package revision name as an argument".into(),
        ));
    }
    if !a.package.is_empty() || a.revision != -2 || !a.workspace.is_empty() {
        return Err(CliError::Usage(
            "--show-kptfile cannot be combined with --name, --revision, or --workspace".into(),
        ));
    }
    if a.print.all_namespaces {
        return Err(CliError::Usage(
            "--show-kptfile cannot be combined with --all-namespaces".into(),
        ));
    }
    let name = &a.names[0];
    let path = kube::path(
        kube::PORCH,
        Some(&client.namespace),
        kube::PACKAGE_REVISION_RESOURCES,
        Some(name),
    );
    let prr = client.get(&path).await.map_err(|e| not_found(e, name))?;
    match prr["spec"]["resources"]["Kptfile"].as_str() {
        Some(k) => {
            crate::output::emit(k);
            Ok(())
        }
        None => Err(CliError::Msg(format!(
            "package revision {name:?} does not contain a root Kptfile"
        ))),
    }
}
