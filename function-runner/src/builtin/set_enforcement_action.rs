//! `set-enforcement-action`: sets `spec.enforcementAction` of every
//! Gatekeeper constraint (`constraints.gatekeeper.sh/v1beta1`).

use cad_lib::ResourceList;
use serde_json::Value;

use super::config::{self, Config};
use super::fields::{self, edit};
use super::{Failure, results};

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let action = match config::read(rl.function_config.as_ref()) {
        Config::ConfigMap { data, .. }
            if data.len() == 1 && data.contains_key("enforcementAction") =>
        {
            config::data_str(&data, "enforcementAction").to_string()
        }
        _ => {
            return Err(Failure::error(
                "the functionConfig must be a ConfigMap with exactly one key `enforcementAction`",
            ));
        }
    };
    if !matches!(action.as_str(), "deny" | "warn" | "dryrun") {
        return Err(Failure::error(format!(
            "invalid enforcementAction {action:?}: must be one of deny, warn, dryrun"
        )));
    }
    let mut n = 0;
    for o in rl.items.iter_mut() {
        let is_constraint = o.api_version().as_deref() == Some("constraints.gatekeeper.sh/v1beta1")
            && o.name().is_some_and(|s| !s.is_empty())
            && o.kind().is_some_and(|s| !s.is_empty());
        if !is_constraint {
            continue;
        }
        let name = o.name().unwrap_or_default();
        edit(o, |v| {
            fields::set(
                v,
                &["spec", "enforcementAction"],
                Value::String(action.clone()),
            )
        })
        .map_err(|e| Failure::error(e.to_string()))?
        .map_err(|p| {
            Failure::error(format!(
                "cannot set enforcementAction: {p} is not a mapping"
            ))
        })?;
        rl.results
            .push(results::info(format!("Policy name: [{name}]")));
        n += 1;
    }
    rl.results.push(if n == 0 {
        results::info(format!("Found no policy to set to [{action}]"))
    } else {
        results::info(format!("Number of policies set to [{action}]: {n}"))
    });
    Ok(())
}
