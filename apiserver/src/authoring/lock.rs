//! Per-revision operation locks in the Store (porch-api.md §12d): one write
//! at a time per package revision across every replica sharing the Store.
//! A lock is a key outside the served prefix with an expiry, so a replica
//! that dies holding one delays others only until it expires.

use std::time::Duration;

use bytes::Bytes;
use porch_engine::store::{Compare, Op, Txn, TxnOutcome};
use serde_json::{Value, json};

use crate::error::{ApiError, Subject};
use crate::state::AppState;

const PREFIX: &str = "/locks/packagerevisions/";

/// A held lock; release it with [`Lock::release`] (it also expires).
pub struct Lock {
    key: String,
    revision: u64,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Take the lock `what` (Porch's key: `<ns>/<name>`, or
/// `<ns>-<repo>-<pkg>-<ws>` for creates); 409 while another request holds it.
pub async fn acquire(
    state: &AppState,
    what: &str,
    subject: &Subject,
    ttl: Duration,
) -> Result<Lock, ApiError> {
    let store = state.objects.cache().store();
    let key = format!("{PREFIX}{what}");
    let expires = now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    let value = Bytes::from(json!({"expires": expires}).to_string());
    for _ in 0..3 {
        let current = store.get(&key).await?;
        let expect = match &current {
            None => 0,
            Some(kv) => {
                let until = serde_json::from_slice::<Value>(&kv.value)
                    .ok()
                    .and_then(|v| v.get("expires").and_then(Value::as_i64))
                    .unwrap_or(0);
                if until > now_ms() {
                    return Err(ApiError::Conflict {
                        subject: subject.clone(),
                        message: format!(
                            "another request is already in progress on package revision {what:?}"
                        ),
                    });
                }
                kv.mod_revision
            }
        };
        let txn = Txn {
            compares: vec![Compare::ModRevision {
                key: key.clone(),
                revision: expect,
            }],
            ops: vec![Op::Put {
                key: key.clone(),
                value: value.clone(),
            }],
        };
        if let TxnOutcome::Committed { revision } = store.txn(txn).await? {
            return Ok(Lock { key, revision });
        }
    }
    Err(ApiError::Conflict {
        subject: subject.clone(),
        message: format!("another request is already in progress on package revision {what:?}"),
    })
}

impl Lock {
    /// Give the lock up (only if it is still ours).
    pub async fn release(self, state: &AppState) {
        let txn = Txn {
            compares: vec![Compare::ModRevision {
                key: self.key.clone(),
                revision: self.revision,
            }],
            ops: vec![Op::Delete {
                key: self.key.clone(),
            }],
        };
        if let Err(e) = state.objects.cache().store().txn(txn).await {
            tracing::warn!(key = %self.key, error = %e, "releasing an operation lock failed; it expires by itself");
        }
    }
}

/// Run `f` holding the lock `what`.
pub async fn with_lock<T>(
    state: &AppState,
    what: &str,
    subject: &Subject,
    f: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let lock = acquire(state, what, subject, state.options.operation_lock_ttl).await?;
    let result = f.await;
    lock.release(state).await;
    result
}
