//! Writes of served objects: compare-and-swap transactions on the Store keyed
//! by each object's own revision, so two writers of one object never both win,
//! whichever replica they reach.

use std::sync::Arc;

use bytes::Bytes;
use porch_engine::store::{Compare, Op, Txn, TxnOutcome};
use serde_json::Value;

use super::cache::{Cache, Cached};
use crate::error::ApiError;

/// Why a conditional write did not happen.
#[derive(Debug)]
pub enum WriteError {
    /// Create of a key that exists.
    Exists,
    /// The object changed since `expected_rv`.
    Stale,
    /// The object does not exist (any more).
    Missing,
    Api(ApiError),
}

impl From<porch_engine::store::StoreError> for WriteError {
    fn from(e: porch_engine::store::StoreError) -> Self {
        WriteError::Api(e.into())
    }
}

/// Stored form: the object without `metadata.resourceVersion` (the revision is the Store's).
fn encode(value: &Value) -> Result<Bytes, WriteError> {
    let mut v = value.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    serde_json::to_vec(&v)
        .map(Bytes::from)
        .map_err(|e| WriteError::Api(ApiError::Internal(format!("encoding object: {e}"))))
}

/// Object writes through the Store, answered from what was written.
#[derive(Clone)]
pub struct Objects {
    cache: Arc<Cache>,
}

impl Objects {
    pub fn new(cache: Arc<Cache>) -> Self {
        Objects { cache }
    }

    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    async fn commit(&self, txn: Txn, expected: u64) -> Result<u64, WriteError> {
        match self.cache.store().txn(txn).await? {
            TxnOutcome::Committed { revision } => {
                // Read-your-writes: later reads on this replica see the write.
                self.cache
                    .wait_for(revision)
                    .await
                    .map_err(WriteError::Api)?;
                Ok(revision)
            }
            TxnOutcome::Failed { current } => {
                if expected == 0 {
                    Err(WriteError::Exists)
                } else if current.is_empty() {
                    Err(WriteError::Missing)
                } else {
                    Err(WriteError::Stale)
                }
            }
        }
    }

    /// Create `key`; fails with `Exists` if it is there.
    pub async fn create(&self, key: &str, value: &Value) -> Result<Arc<Cached>, WriteError> {
        let bytes = encode(value)?;
        let txn = Txn {
            compares: vec![Compare::ModRevision {
                key: key.to_string(),
                revision: 0,
            }],
            ops: vec![Op::Put {
                key: key.to_string(),
                value: bytes.clone(),
            }],
        };
        let rev = self.commit(txn, 0).await?;
        Cached::unstored(key, value.clone(), rev)
            .map_err(|e| WriteError::Api(ApiError::Internal(e.to_string())))
    }

    /// Replace `key` if it is still at `expected_rv`.
    pub async fn update(
        &self,
        key: &str,
        value: &Value,
        expected_rv: u64,
    ) -> Result<Arc<Cached>, WriteError> {
        let bytes = encode(value)?;
        let txn = Txn {
            compares: vec![Compare::ModRevision {
                key: key.to_string(),
                revision: expected_rv,
            }],
            ops: vec![Op::Put {
                key: key.to_string(),
                value: bytes.clone(),
            }],
        };
        let rev = self.commit(txn, expected_rv.max(1)).await?;
        Cached::unstored(key, value.clone(), rev)
            .map_err(|e| WriteError::Api(ApiError::Internal(e.to_string())))
    }

    /// Delete `key` if it is still at `expected_rv`; returns the last state stamped with the deleting revision.
    pub async fn delete(
        &self,
        key: &str,
        last: &Value,
        expected_rv: u64,
    ) -> Result<Arc<Cached>, WriteError> {
        let txn = Txn {
            compares: vec![Compare::ModRevision {
                key: key.to_string(),
                revision: expected_rv,
            }],
            ops: vec![Op::Delete {
                key: key.to_string(),
            }],
        };
        let rev = self.commit(txn, expected_rv.max(1)).await?;
        Cached::unstored(key, last.clone(), rev)
            .map_err(|e| WriteError::Api(ApiError::Internal(e.to_string())))
    }
}
