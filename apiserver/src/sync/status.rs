//! Repository status as Porch's controller writes it: one `Ready` condition
//! (Ready / Reconciling / Error with a message saying what is wrong) and the
//! sync bookkeeping fields.

use serde_json::{Value, json};

/// The outcome of one sync, as the status should show it.
pub struct SyncReport {
    pub ready: bool,
    pub reason: &'static str,
    pub message: String,
    pub full_sync_at: Option<String>,
    pub next_full_sync: Option<String>,
    pub package_count: Option<usize>,
    pub commit: Option<String>,
    pub observed_run_once_at: Option<String>,
}

/// The new status, keeping `lastTransitionTime` when the condition did not change.
pub fn status(old: &Value, generation: i64, report: &SyncReport, now: &str) -> Value {
    let old_status = old.get("status").cloned().unwrap_or(json!({}));
    let old_ready = old_status
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .cloned();
    let status_value = if report.ready { "True" } else { "False" };
    let transition = match &old_ready {
        Some(c)
            if c.get("status").and_then(Value::as_str) == Some(status_value)
                && c.get("reason").and_then(Value::as_str) == Some(report.reason) =>
        {
            c.get("lastTransitionTime").cloned().unwrap_or(json!(now))
        }
        _ => json!(now),
    };
    let mut s = old_status.clone();
    s["conditions"] = json!([{
        "type": "Ready", "status": status_value, "reason": report.reason, "message": report.message,
        "lastTransitionTime": transition, "observedGeneration": generation,
    }]);
    s["observedGeneration"] = json!(generation);
    if let Some(t) = &report.full_sync_at {
        s["lastFullSyncTime"] = json!(t);
    }
    match &report.next_full_sync {
        Some(t) => s["nextFullSyncTime"] = json!(t),
        None => {
            if let Some(o) = s.as_object_mut() {
                o.remove("nextFullSyncTime");
            }
        }
    }
    if let Some(n) = report.package_count {
        s["packageCount"] = json!(n);
    }
    if let Some(c) = &report.commit {
        s["gitCommitHash"] = json!(c);
    }
    if let Some(t) = &report.observed_run_once_at {
        s["observedRunOnceAt"] = json!(t);
    }
    s
}
