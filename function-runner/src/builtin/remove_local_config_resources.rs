//! `remove-local-config-resources`: drops every resource marked
//! `config.kubernetes.io/local-config: "true"` (Kptfiles, setters, function
//! configs) so that the output can be applied to a cluster.

use cad_lib::ResourceList;

use super::{Failure, results};

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let (local, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut rl.items)
        .into_iter()
        .partition(|o| o.is_local_config());
    rl.items = keep;
    if local.is_empty() {
        rl.results.push(results::info(
            "Found no resources to prune with the local config annotation",
        ));
        return Ok(());
    }
    rl.results.push(results::info(format!(
        "Number of resources pruned: {}",
        local.len()
    )));
    for o in &local {
        rl.results.push(cad_lib::ResultItem {
            file: results::file_ref(o, false),
            ..results::info(format!("Resource name: [{}]", o.name().unwrap_or_default()))
        });
    }
    Ok(())
}
