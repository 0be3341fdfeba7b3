//! Approval (Proposed → Published, porch-api.md §3.5, §12c): readiness gates
//! and validators must pass on the exact content, then the engine publishes
//! with one atomic push (merge commit, tag `FULL/vN`, draft deleted).

use serde_json::Value;

use super::{RepoHandle, author, blocking, text};
use crate::error::{ApiError, FieldError, Subject};
use crate::rest::Ctx;

/// Readiness gates whose condition is not `"True"`.
fn unmet_gates(pr: &Value) -> Vec<String> {
    let conditions = pr
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    pr.pointer("/spec/readinessGates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("conditionType").and_then(Value::as_str))
        .filter(|gate| {
            !conditions.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(gate)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
        .map(str::to_string)
        .collect()
}

/// Check and publish `pr`.
pub async fn approve(ctx: &Ctx, repo: &RepoHandle, pr: &Value, name: &str) -> Result<(), ApiError> {
    let subject = Subject::new("porch.kpt.dev", "packagerevisions", name);
    let unmet = unmet_gates(pr);
    if !unmet.is_empty() {
        return Err(ApiError::invalid(
            "porch.kpt.dev",
            "PackageRevision",
            name,
            unmet
                .iter()
                .map(|g| {
                    FieldError::invalid(
                        "spec.readinessGates",
                        g.as_str(),
                        "readiness gates not satisfied",
                    )
                })
                .collect(),
        ));
    }
    let files = crate::sync::package_files(&ctx.state, pr).await?;
    let renderer = ctx.state.renderer.clone();
    let report = blocking("running validators", move || {
        renderer.render(&porch_engine::authoring::validators_only(&files))
    })
    .await?;
    if let Some(err) = report.error {
        return Err(ApiError::Unprocessable {
            subject,
            message: format!("validation of the package failed; nothing was published: {err}"),
        });
    }
    let git = repo.git.clone();
    let pkg = text(pr, "/spec/packageName").to_string();
    let draft_ref = text(pr, "/status/selfLock/git/ref").to_string();
    let commit = text(pr, "/status/selfLock/git/commit").to_string();
    let user = author(ctx);
    blocking("approving", move || {
        git.approve(
            &pkg,
            &draft_ref,
            &commit,
            None,
            user.as_deref(),
            jiff::Timestamp::now(),
        )
    })
    .await?
    .map_err(|e| ApiError::from_git(e, subject))?;
    Ok(())
}
