//! The Store: bytes under string keys, one global revision, an event history.
//!
//! Everything porch-rs persists outside git goes through this trait so that the
//! embedded default (redb) and a shared etcd behave the same for the layers
//! above, and several replicas can share one Store (ARCHITECTURE.md, "Store
//! contract").

use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

/// One stored value with the revisions that order it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// Revision of the transaction that created the key (unchanged by later puts).
    pub create_revision: u64,
    /// Revision of the last transaction that wrote the key.
    pub mod_revision: u64,
}

/// A condition a transaction checks before it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compare {
    /// The key's `mod_revision` equals this value; `0` means "the key does not exist".
    ModRevision { key: String, revision: u64 },
}

/// A write inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Put { key: String, value: Bytes },
    Delete { key: String },
}

/// All compares hold → all ops apply atomically under one new revision.
///
/// When several ops write one key, only the last one counts (etcd forbids
/// duplicates, so both backends normalise the same way). A txn that changes
/// nothing (no ops, or only deletes of absent keys) commits at the current
/// revision without creating a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Txn {
    pub compares: Vec<Compare>,
    pub ops: Vec<Op>,
}

/// Outcome of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnOutcome {
    /// Applied; every op was written at this revision.
    Committed { revision: u64 },
    /// A compare failed; nothing was written. `current` holds the present
    /// value of every compared key that exists (absent keys are omitted).
    Failed { current: Vec<KeyValue> },
}

/// One page of a range read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangePage {
    /// Keys in ascending byte order.
    pub kvs: Vec<KeyValue>,
    /// The Store revision the page was read at.
    pub revision: u64,
    /// How many more keys under the prefix follow the last returned one.
    pub remaining: u64,
}

/// What happened to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
}

/// One entry of the event history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// For Put: the new value (mod_revision = the event's revision).
    /// For Delete: key with empty value and mod_revision = the deleting revision.
    pub kv: KeyValue,
    /// The value before this event, if the key existed.
    pub prev: Option<KeyValue>,
}

/// A live feed of events, in revision order.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<Event, StoreError>> + Send>>;

/// Why a Store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The requested revision is older than the retained history.
    #[error("required revision {requested} has been compacted (oldest retained: {oldest})")]
    Compacted { requested: u64, oldest: u64 },
    /// The backend cannot be reached (etcd down, ...).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else the backend reported.
    #[error("store error: {0}")]
    Backend(String),
}

/// The Store contract. Implementations: [`redb_store::RedbStore`], [`etcd_store::EtcdStore`].
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// The current global revision (0 for an empty store).
    async fn revision(&self) -> Result<u64, StoreError>;

    /// Read one key at the current revision.
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError>;

    /// Keys starting with `prefix`, strictly after `start_after` when given,
    /// at most `limit` of them (`0` = no limit), at the current revision.
    async fn range(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<RangePage, StoreError>;

    /// Apply a transaction atomically. Returns once durable (survives kill -9).
    async fn txn(&self, txn: Txn) -> Result<TxnOutcome, StoreError>;

    /// Events for keys under `prefix` with revision > `after`, first from the
    /// history, then live, in revision order, without gaps or duplicates.
    /// `Err(Compacted)` (immediately, or as a stream item) when `after` is
    /// older than the retained history.
    async fn watch(&self, prefix: &str, after: u64) -> Result<EventStream, StoreError>;

    /// The oldest revision a watch may still resume from (`after` ≥ this).
    async fn oldest_revision(&self) -> Result<u64, StoreError>;
}

mod codec;
pub mod etcd_store;
mod history;
pub mod redb_store;
mod util;

pub use etcd_store::{EtcdOptions, EtcdStore};
pub use history::HistoryWindow;
pub use redb_store::{RedbOptions, RedbStats, RedbStore};
