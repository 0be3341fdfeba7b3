//! The embedded Store: one redb file, written by a single group-committing
//! writer thread, read through redb snapshots that never wait for it.
//!
//! Layout: `kv` (key → create/mod revision + value), `events` (revision →
//! commit time + that revision's events, prev values included) and `meta`
//! (current and compacted revision). Every acknowledged txn is durable
//! (`Durability::Immediate`); the writer drains all queued txns into one redb
//! write transaction, so one fsync covers many callers.

use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use redb::{
    Database, DatabaseError, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
};
use tokio::sync::{broadcast, oneshot};
use tracing::error;

use super::codec::decode_kv;
use super::{
    Event, EventStream, HistoryWindow, KeyValue, RangePage, Store, StoreError, Txn, TxnOutcome,
};

mod watch;
mod writer;

use writer::Writer;

const KV: TableDefinition<&str, &[u8]> = TableDefinition::new("kv");
const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const META_REVISION: &str = "revision";
const META_COMPACTED: &str = "compacted";

/// Tuning of a [`RedbStore`].
#[derive(Debug, Clone)]
pub struct RedbOptions {
    /// Event history kept for resuming watches.
    pub history: HistoryWindow,
    /// Most txns applied in one redb write transaction (one fsync).
    pub max_batch: usize,
    /// Committed batches buffered for live watchers; one that falls further
    /// behind re-reads the history instead of missing events.
    pub broadcast_capacity: usize,
    /// How often an idle writer applies the age bound of `history`.
    pub compaction_interval: Duration,
    /// redb page cache size in bytes (`None`: redb's default).
    pub cache_size: Option<usize>,
}

impl Default for RedbOptions {
    fn default() -> Self {
        Self {
            history: HistoryWindow::default(),
            max_batch: 1024,
            broadcast_capacity: 1024,
            compaction_interval: Duration::from_secs(1),
            cache_size: None,
        }
    }
}

/// Counters of the group-commit writer (for metrics and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedbStats {
    /// Transactions applied (committed or failed on a compare).
    pub txns: u64,
    /// redb write transactions committed.
    pub commits: u64,
}

/// Events of consecutive revisions committed by one write transaction.
type Batch = Arc<Vec<(u64, Vec<Event>)>>;

struct Shared {
    db: Database,
    live: broadcast::Sender<Batch>,
    txns: AtomicU64,
    commits: AtomicU64,
}

enum Request {
    Txn {
        txn: Txn,
        reply: oneshot::Sender<Result<TxnOutcome, StoreError>>,
    },
    Compact {
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
}

/// [`Store`] on a local redb file; the default for standalone porch-server.
pub struct RedbStore {
    shared: Arc<Shared>,
    requests: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
}

/// redb's many error types, reported as [`StoreError::Backend`].
trait OrBackend<T> {
    fn or_backend(self) -> Result<T, StoreError>;
}

impl<T, E: Into<redb::Error>> OrBackend<T> for Result<T, E> {
    fn or_backend(self) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Backend(format!("redb: {}", e.into())))
    }
}

impl RedbStore {
    /// Opens (creating if needed) the store file at `path` and starts its
    /// writer thread. Fails if another process (or another `RedbStore`) has
    /// the file open: redb holds an exclusive file lock.
    pub fn open(path: &Path, opts: RedbOptions) -> Result<Self, StoreError> {
        let mut builder = Database::builder();
        if let Some(bytes) = opts.cache_size {
            builder.set_cache_size(bytes);
        }
        let db = builder.create(path).map_err(|e| match e {
            DatabaseError::DatabaseAlreadyOpen => StoreError::Backend(format!(
                "store file {} is already in use by another process (or store instance)",
                path.display()
            )),
            other => StoreError::Backend(format!("opening store file {}: {other}", path.display())),
        })?;
        let wtx = db.begin_write().or_backend()?;
        {
            wtx.open_table(KV).or_backend()?;
            wtx.open_table(EVENTS).or_backend()?;
            wtx.open_table(META).or_backend()?;
        }
        wtx.commit().or_backend()?;

        let (live, _) = broadcast::channel(opts.broadcast_capacity.max(1));
        let shared = Arc::new(Shared {
            db,
            live,
            txns: AtomicU64::new(0),
            commits: AtomicU64::new(0),
        });
        let (tx, rx) = mpsc::channel();
        let writer = Writer::new(shared.clone(), rx, opts);
        let handle = std::thread::Builder::new()
            .name("porch-redb-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| StoreError::Backend(format!("starting store writer: {e}")))?;
        Ok(Self {
            shared,
            requests: Some(tx),
            writer: Some(handle),
        })
    }

    /// Applies the history window now and returns the oldest revision a
    /// watch may resume from (the writer also does this after every batch and
    /// periodically when idle).
    pub async fn compact(&self) -> Result<u64, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Compact { reply })?;
        rx.await.map_err(|_| writer_gone())?
    }

    /// Writer counters since open.
    pub fn stats(&self) -> RedbStats {
        RedbStats {
            txns: self.shared.txns.load(Ordering::Relaxed),
            commits: self.shared.commits.load(Ordering::Relaxed),
        }
    }

    fn send(&self, req: Request) -> Result<(), StoreError> {
        self.requests
            .as_ref()
            .ok_or_else(writer_gone)?
            .send(req)
            .map_err(|_| writer_gone())
    }

    /// Runs `f` on a fresh snapshot on a blocking thread.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || f(&shared.db.begin_read().or_backend()?))
            .await
            .map_err(|e| StoreError::Backend(format!("store read task failed: {e}")))?
    }
}

impl Drop for RedbStore {
    /// Lets the writer finish what was queued, then releases the file lock.
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(handle) = self.writer.take()
            && handle.join().is_err()
        {
            error!("redb store writer panicked");
        }
    }
}

fn writer_gone() -> StoreError {
    StoreError::Backend("redb store writer has stopped".into())
}

fn read_meta<T: ReadableTable<&'static str, u64>>(t: &T, key: &str) -> Result<u64, StoreError> {
    Ok(t.get(key).or_backend()?.map(|g| g.value()).unwrap_or(0))
}

fn read_kv<T: ReadableTable<&'static str, &'static [u8]>>(
    t: &T,
    key: &str,
) -> Result<Option<KeyValue>, StoreError> {
    match t.get(key).or_backend()? {
        Some(raw) => Ok(Some(decode_kv(raw.value())?.into_kv(key))),
        None => Ok(None),
    }
}

#[async_trait::async_trait]
impl Store for RedbStore {
    async fn revision(&self) -> Result<u64, StoreError> {
        self.read(|rtx| read_meta(&rtx.open_table(META).or_backend()?, META_REVISION))
            .await
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError> {
        let key = key.to_owned();
        self.read(move |rtx| read_kv(&rtx.open_table(KV).or_backend()?, &key))
            .await
    }

    async fn range(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<RangePage, StoreError> {
        let prefix = prefix.to_owned();
        let start_after = start_after.map(str::to_owned);
        self.read(move |rtx| {
            let revision = read_meta(&rtx.open_table(META).or_backend()?, META_REVISION)?;
            let kv = rtx.open_table(KV).or_backend()?;
            let lower = match start_after.as_deref() {
                Some(after) if after >= prefix.as_str() => Bound::Excluded(after),
                _ => Bound::Included(prefix.as_str()),
            };
            let mut kvs = Vec::new();
            let mut remaining = 0u64;
            for item in kv.range::<&str>((lower, Bound::Unbounded)).or_backend()? {
                let (key, raw) = item.or_backend()?;
                let key = key.value();
                if !key.starts_with(prefix.as_str()) {
                    break;
                }
                if limit == 0 || kvs.len() < limit {
                    kvs.push(decode_kv(raw.value())?.into_kv(key));
                } else {
                    remaining += 1;
                }
            }
            Ok(RangePage {
                kvs,
                revision,
                remaining,
            })
        })
        .await
    }

    async fn txn(&self, txn: Txn) -> Result<TxnOutcome, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Txn { txn, reply })?;
        rx.await.map_err(|_| writer_gone())?
    }

    async fn watch(&self, prefix: &str, after: u64) -> Result<EventStream, StoreError> {
        watch::open(&self.shared, prefix, after).await
    }

    async fn oldest_revision(&self) -> Result<u64, StoreError> {
        self.read(|rtx| read_meta(&rtx.open_table(META).or_backend()?, META_COMPACTED))
            .await
    }
}
