//! `rpkg propose`, `approve`, `reject`, `propose-delete` and `del`: one
//! lifecycle step per named revision. Each name is handled on its own;
//! failures are reported as `<name> failed (<why>)` and summed up in a final
//! error, as Porch's porchctl does. Updates re-read and retry on 409.

use clap::Args;
use serde_json::{Value, json};

use super::{get_pr, is_ready, lifecycle, pr_path};
use crate::error::CliError;
use crate::kube::{Client, KubeError};

#[derive(Debug, Args)]
pub struct NamesArgs {
    /// Package revision names.
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// How many times an update is retried after a 409 Conflict (client-go's `DefaultRetry` has 5 steps).
const CONFLICT_RETRIES: u32 = 5;

/// A short pause before retry `attempt`, so that a request still in flight can finish.
async fn backoff(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Propose,
    Approve,
    Reject,
    ProposeDelete,
}

/// What happened to one name.
enum Outcome {
    /// Success, printed on stdout.
    Done(String),
    /// Nothing to do, explained on stderr (not an error).
    Note(String),
    /// A client-side refusal (counts as a failure).
    Refused(String),
}

/// Which update to send.
enum Write {
    Main,
    Approval,
}

/// Decide the step for `pr`: the new lifecycle and where to write it, or an outcome without a write.
fn plan(op: Op, name: &str, pr: &Value) -> Result<(String, Write, String), Outcome> {
    let lc = lifecycle(pr);
    match op {
        Op::Propose => {
            if !is_ready(pr) {
                return Err(Outcome::Refused("readiness conditions not met".into()));
            }
            match lc {
                "Draft" => Ok(("Proposed".into(), Write::Main, format!("{name} proposed"))),
                "Proposed" => Err(Outcome::Note(format!("{name} is already proposed"))),
                other => Err(Outcome::Refused(format!("cannot propose {other} package"))),
            }
        }
        Op::Approve => {
            if !is_ready(pr) {
                return Err(Outcome::Refused("readiness conditions not met".into()));
            }
            match lc {
                // Porch's UpdatePackageRevisionApproval also takes DeletionProposed back to Published.
                "Proposed" | "DeletionProposed" => Ok((
                    "Published".into(),
                    Write::Approval,
                    format!("{name} approved"),
                )),
                "Published" => Err(Outcome::Done(format!("{name} approved"))),
                other => Err(Outcome::Refused(format!(
                    "cannot change approval from {other} to Published"
                ))),
            }
        }
        Op::Reject => match lc {
            "Proposed" => Ok((
                "Draft".into(),
                Write::Approval,
                format!("{name} no longer proposed for approval"),
            )),
            "DeletionProposed" => Ok((
                "Published".into(),
                Write::Main,
                format!("{name} no longer proposed for deletion"),
            )),
            other => Err(Outcome::Refused(format!(
                "cannot reject {name} with lifecycle '{other}'"
            ))),
        },
        Op::ProposeDelete => match lc {
            "Published" => Ok((
                "DeletionProposed".into(),
                Write::Main,
                format!("{name} proposed for deletion"),
            )),
            "DeletionProposed" => Err(Outcome::Note(format!(
                "{name} is already proposed for deletion"
            ))),
            _ => Err(Outcome::Refused(format!(
                "can only propose published packages for deletion; package {name} is not published"
            ))),
        },
    }
}

/// Get, plan, update; re-read and retry on 409.
async fn step(client: &Client, op: Op, name: &str) -> Result<Outcome, KubeError> {
    let mut attempt = 0;
    loop {
        let mut pr = get_pr(client, name).await?;
        let (new, write, done) = match plan(op, name, &pr) {
            Ok(p) => p,
            Err(outcome) => return Ok(outcome),
        };
        pr["spec"]["lifecycle"] = json!(new);
        let mut path = pr_path(client, Some(name));
        if let Write::Approval = write {
            path.push_str("/approval");
        }
        match client.put(&path, &pr).await {
            Ok(_) => return Ok(Outcome::Done(done)),
            Err(e) if e.is_conflict() && attempt < CONFLICT_RETRIES => {
                attempt += 1;
                backoff(attempt).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn run_all(client: &Client, op: Op, names: &[String]) -> Result<(), CliError> {
    let mut failures = Vec::new();
    for name in names {
        match step(client, op, name).await {
            Ok(Outcome::Done(msg)) => crate::output::emit(&format!("{msg}\n")),
            Ok(Outcome::Note(msg)) => eprintln!("{msg}"),
            Ok(Outcome::Refused(msg)) => {
                eprintln!("{name} failed ({msg})");
                failures.push(msg);
            }
            Err(e) => {
                eprintln!("{name} failed ({e})");
                failures.push(e.to_string());
            }
        }
    }
    finish(failures)
}

fn finish(failures: Vec<String>) -> Result<(), CliError> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::Many(failures))
    }
}

pub async fn propose(client: &Client, a: NamesArgs) -> Result<(), CliError> {
    run_all(client, Op::Propose, &a.names).await
}

pub async fn approve(client: &Client, a: NamesArgs) -> Result<(), CliError> {
    run_all(client, Op::Approve, &a.names).await
}

pub async fn reject(client: &Client, a: NamesArgs) -> Result<(), CliError> {
    run_all(client, Op::Reject, &a.names).await
}

pub async fn propose_delete(client: &Client, a: NamesArgs) -> Result<(), CliError> {
    run_all(client, Op::ProposeDelete, &a.names).await
}

pub async fn delete(client: &Client, a: NamesArgs) -> Result<(), CliError> {
    let mut failures = Vec::new();
    for name in &a.names {
        let path = pr_path(client, Some(name));
        let mut attempt = 0;
        let result = loop {
            match client.delete(&path).await {
                Err(e) if e.is_conflict() && attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    backoff(attempt).await;
                }
                other => break other,
            }
        };
        match result {
            Ok(()) => crate::output::emit(&format!("{name} deleted\n")),
            Err(e) => {
                eprintln!("{name} failed ({e})");
                failures.push(e.to_string());
            }
        }
    }
    finish(failures)
}
