//! `repo get`: the server's Repository table, or the objects in another
//! format, printed one by one as Porch's porchctl does.

use clap::Args;
use serde_json::Value;

use crate::error::CliError;
use crate::kube::{self, Client};
use crate::output::{self, Format, PrintFlags};

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Repository names (default: all repositories).
    pub names: Vec<String>,
    #[command(flatten)]
    pub print: PrintFlags,
}

pub async fn run(client: &Client, a: GetArgs) -> Result<(), CliError> {
    let format = Format::parse(a.print.output.as_deref())?;
    let ns = (!a.print.all_namespaces).then_some(client.namespace.as_str());
    // Named objects always live in the current namespace.
    let named = |n: &str| {
        kube::path(
            kube::CONFIG,
            Some(&client.namespace),
            kube::REPOSITORIES,
            Some(n),
        )
    };
    let list = || {
        let mut p = kube::path(kube::CONFIG, ns, kube::REPOSITORIES, None);
        p.push_str(&a.print.list_query(None));
        p
    };
    let text = if let Format::Table { wide } = format {
        let table = if a.names.is_empty() {
            client.get_table(&list()).await?
        } else {
            let mut merged: Option<Value> = None;
            for n in &a.names {
                let t = client.get_table(&named(n)).await?;
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
            merged.unwrap_or(Value::Null)
        };
        output::print_table(&table, wide, &a.print)
    } else {
        let objs = if a.names.is_empty() {
            let v = client.get(&list()).await?;
            v["items"].as_array().cloned().unwrap_or_default()
        } else {
            let mut out = Vec::new();
            for n in &a.names {
                out.push(client.get(&named(n)).await?);
            }
            out
        };
        output::print_objects(
            &format,
            &objs,
            a.names.len() == 1,
            true,
            a.print.no_headers,
            "repository.config.porch.kpt.dev",
        )?
    };
    output::emit(&text);
    Ok(())
}
