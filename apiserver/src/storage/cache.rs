//! The watch cache: every object of the Store decoded once, kept current by a
//! single Store watch, with a bounded event history.
//!
//! Lists, gets and watches are served from here (like kube-apiserver's
//! cacher), so a list of 10,000 objects concatenates pre-encoded JSON instead
//! of decoding the Store. Correctness does not rest on it: writes go to the
//! Store as compare-and-swap transactions, and reads first wait until the cache
//! has caught up with the Store's revision, so every replica sharing a Store
//! reads its own and everybody else's acknowledged writes.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use porch_engine::store::{Event, EventKind, KeyValue, Store, StoreError};
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use super::index::{IndexFn, Indexes};
use crate::error::ApiError;

/// Key written to find out when the cache has seen everything before it.
const MARKER_KEY: &str = "/meta/cache-sync";

/// Prefix of every object key served by the generic REST path.
pub const REGISTRY_PREFIX: &str = "/registry/";

/// One object as served: the decoded value and its JSON encoding, both with
/// `metadata.resourceVersion` set.
#[derive(Debug)]
pub struct Cached {
    pub key: String,
    pub value: Value,
    pub json: Bytes,
    pub rv: u64,
    /// `metadata` alone, encoded on first use (Table rows and metadata lists).
    meta_json: std::sync::OnceLock<Bytes>,
    /// Table cells, computed on first use (date cells as epoch seconds).
    cells: std::sync::OnceLock<Vec<Value>>,
}

impl Cached {
    /// Decode a stored value and stamp its resourceVersion.
    pub fn from_stored(key: &str, bytes: &[u8], rv: u64) -> Result<Cached, serde_json::Error> {
        Self::new(key, serde_json::from_slice(bytes)?, rv)
    }

    /// An object with its resourceVersion stamped (`rv` 0 leaves it as it is).
    pub fn new(key: &str, mut value: Value, rv: u64) -> Result<Cached, serde_json::Error> {
        if rv > 0 {
            Self::stamp(&mut value, rv);
        }
        let json = Bytes::from(serde_json::to_vec(&value)?);
        Ok(Cached {
            key: key.to_string(),
            value,
            json,
            rv,
            meta_json: Default::default(),
            cells: Default::default(),
        })
    }

    /// An object that is not (or not yet) stored, e.g. a dry-run result.
    pub fn unstored(key: &str, value: Value, rv: u64) -> Result<Arc<Cached>, serde_json::Error> {
        Self::new(key, value, rv).map(Arc::new)
    }

    /// The encoded `metadata` object.
    pub fn metadata_json(&self) -> &Bytes {
        self.meta_json.get_or_init(|| {
            let meta = self
                .value
                .get("metadata")
                .cloned()
                .unwrap_or(Value::Object(Default::default()));
            Bytes::from(serde_json::to_vec(&meta).unwrap_or_else(|_| b"{}".to_vec()))
        })
    }

    /// The Table cells of this object, computed once by `compute`.
    pub fn cells(&self, compute: impl FnOnce(&Value) -> Vec<Value>) -> &[Value] {
        self.cells.get_or_init(|| compute(&self.value))
    }

    /// Set `metadata.resourceVersion` (stored values carry none: the Store's revision is the truth).
    pub fn stamp(value: &mut Value, rv: u64) {
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
    }
}

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as watchers receive it.
#[derive(Debug)]
pub struct CacheEvent {
    /// Position in the cache's event sequence (dedupes events of one transaction, which share `rv`).
    pub seq: u64,
    /// The cache generation the event belongs to; a reload starts a new one.
    pub epoch: u64,
    pub rv: u64,
    pub kind: EventType,
    /// The object after the change (for Deleted: its last state, stamped with the deleting revision).
    pub object: Arc<Cached>,
    /// The object before the change, so selector watchers can see matches start and stop.
    pub prev: Option<Arc<Cached>>,
}

struct Inner {
    rv: u64,
    seq: u64,
    objects: BTreeMap<String, Arc<Cached>>,
    indexes: Indexes,
    history: VecDeque<Arc<CacheEvent>>,
    /// A watch may start from any `after >= oldest`.
    oldest: u64,
    /// Bumped when the cache was rebuilt; watchers of an older epoch must relist.
    epoch: u64,
}

/// See the module documentation.
pub struct Cache {
    store: Arc<dyn Store>,
    inner: RwLock<Inner>,
    rv_tx: watch::Sender<u64>,
    events: broadcast::Sender<Arc<CacheEvent>>,
    history_limit: usize,
    wait_timeout: Duration,
}

/// A watcher's starting point: the history to replay and the live feed.
pub struct Subscription {
    pub backlog: Vec<Arc<CacheEvent>>,
    pub live: broadcast::Receiver<Arc<CacheEvent>>,
    pub epoch: u64,
}

impl Cache {
    /// Load the Store, replay its retained history and follow it.
    pub async fn start(
        store: Arc<dyn Store>,
        history_limit: usize,
        indexes: Vec<(String, IndexFn)>,
    ) -> Result<Arc<Cache>, StoreError> {
        let (rv_tx, _) = watch::channel(0);
        let (events, _) = broadcast::channel(4096);
        let cache = Arc::new(Cache {
            store,
            inner: RwLock::new(Inner {
                rv: 0,
                seq: 0,
                objects: BTreeMap::new(),
                indexes: Indexes::new(indexes),
                history: VecDeque::new(),
                oldest: 0,
                epoch: 0,
            }),
            rv_tx,
            events,
            history_limit: history_limit.max(1),
            wait_timeout: Duration::from_secs(10),
        });
        let stream = cache.load().await?;
        let feeder = Arc::clone(&cache);
        tokio::spawn(async move { feeder.follow(stream).await });
        Ok(cache)
    }

    /// Fill objects at the Store's current revision and open the Store watch.
    async fn load(&self) -> Result<porch_engine::store::EventStream, StoreError> {
        loop {
            let page = self.store.range(REGISTRY_PREFIX, None, 0).await?;
            let oldest = self.store.oldest_revision().await?.min(page.revision);
            let mut objects = BTreeMap::new();
            let mut indexes = self.read().indexes.emptied();
            for kv in &page.kvs {
                match Cached::from_stored(&kv.key, &kv.value, kv.mod_revision) {
                    Ok(c) => {
                        indexes.insert(&c);
                        objects.insert(kv.key.clone(), Arc::new(c));
                    }
                    Err(e) => {
                        tracing::error!(key = %kv.key, error = %e, "undecodable object in store skipped")
                    }
                }
            }
            // Replay the retained history (for watches resuming across restarts), then follow live.
            let mut stream = match self.store.watch("", oldest).await {
                Ok(s) => s,
                Err(StoreError::Compacted { .. }) => continue,
                Err(e) => return Err(e),
            };
            let mut history = VecDeque::new();
            let (mut seq, epoch) = {
                let inner = self.read();
                (inner.seq, inner.epoch + 1)
            };
            let mut history_oldest = oldest;
            let mut pending = Vec::new();
            // A marker write bounds the replay: once its event arrives, every
            // earlier event has been seen.
            let marker = self.write_marker().await?;
            // Versions decoded so far, so history events share objects with
            // each other and with the current state instead of holding copies.
            let mut known: HashMap<(String, u64), Arc<Cached>> = objects
                .values()
                .map(|c| ((c.key.clone(), c.rv), Arc::clone(c)))
                .collect();
            loop {
                let Some(item) = stream.next().await else {
                    return Err(StoreError::Unavailable("store watch ended".into()));
                };
                let ev = item?;
                let rev = event_revision(&ev);
                if rev > page.revision {
                    pending.push(ev);
                } else if let Some(ce) = to_cache_event(&ev, seq + 1, epoch, &mut known) {
                    seq += 1;
                    history.push_back(Arc::new(ce));
                    while history.len() > self.history_limit {
                        if let Some(dropped) = history.pop_front() {
                            history_oldest = dropped.rv;
                        }
                    }
                }
                if rev >= marker {
                    break;
                }
            }
            {
                let mut inner = self.write();
                inner.rv = page.revision;
                inner.seq = seq;
                inner.objects = objects;
                inner.indexes = indexes;
                inner.history = history;
                inner.oldest = history_oldest;
                inner.epoch = epoch;
            }
            self.rv_tx.send_replace(page.revision);
            for ev in pending {
                self.apply(ev);
            }
            return Ok(stream);
        }
    }

    /// Write the sync marker (outside the registry); returns its revision.
    async fn write_marker(&self) -> Result<u64, StoreError> {
        let token = uuid::Uuid::new_v4().to_string();
        let txn = porch_engine::store::Txn {
            compares: Vec::new(),
            ops: vec![porch_engine::store::Op::Put {
                key: MARKER_KEY.into(),
                value: Bytes::from(token),
            }],
        };
        match self.store.txn(txn).await? {
            porch_engine::store::TxnOutcome::Committed { revision } => Ok(revision),
            porch_engine::store::TxnOutcome::Failed { .. } => {
                Err(StoreError::Backend("marker write failed".into()))
            }
        }
    }

    async fn follow(self: Arc<Self>, mut stream: porch_engine::store::EventStream) {
        loop {
            match stream.next().await {
                Some(Ok(ev)) => self.apply(ev),
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "store watch failed; reloading the cache");
                    stream = self.reload().await;
                }
                None => {
                    tracing::warn!("store watch ended; reloading the cache");
                    stream = self.reload().await;
                }
            }
        }
    }

    async fn reload(&self) -> porch_engine::store::EventStream {
        let mut delay = Duration::from_millis(50);
        loop {
            match self.load().await {
                Ok(s) => return s,
                Err(e) => {
                    tracing::warn!(error = %e, "cache reload failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    fn apply(&self, ev: Event) {
        let rev = event_revision(&ev);
        let published = {
            let mut inner = self.write();
            if rev < inner.rv {
                return;
            }
            inner.rv = rev;
            let seq = inner.seq + 1;
            // The previous version is usually the cached one: reuse it.
            let mut known: HashMap<(String, u64), Arc<Cached>> = inner
                .objects
                .get(&ev.kv.key)
                .map(|c| ((c.key.clone(), c.rv), Arc::clone(c)))
                .into_iter()
                .collect();
            match to_cache_event(&ev, seq, inner.epoch, &mut known) {
                Some(ce) => {
                    inner.seq = seq;
                    let ce = Arc::new(ce);
                    let inner = &mut *inner;
                    if let Some(old) = inner.objects.remove(&ce.object.key) {
                        inner.indexes.remove(&old);
                    }
                    if ce.kind != EventType::Deleted {
                        inner.indexes.insert(&ce.object);
                        inner
                            .objects
                            .insert(ce.object.key.clone(), Arc::clone(&ce.object));
                    }
                    inner.history.push_back(Arc::clone(&ce));
                    while inner.history.len() > self.history_limit {
                        if let Some(dropped) = inner.history.pop_front() {
                            inner.oldest = dropped.rv;
                        }
                    }
                    Some(ce)
                }
                None => None,
            }
        };
        if let Some(ce) = published {
            let _ = self.events.send(ce);
        }
        self.rv_tx.send_replace(rev);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait until the cache reflects revision `rv` (a write just acknowledged, or the Store's current revision).
    pub async fn wait_for(&self, rv: u64) -> Result<(), ApiError> {
        let mut rx = self.rv_tx.subscribe();
        let wait = rx.wait_for(|seen| *seen >= rv);
        match tokio::time::timeout(self.wait_timeout, wait).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(ApiError::ServiceUnavailable(format!(
                "storage is not caught up to revision {rv}; try again"
            ))),
        }
    }

    /// Wait until the cache has seen every write the Store acknowledged so far.
    /// The Store's revision may belong to keys outside what the cache watches
    /// (a shared etcd); if it is not reached promptly, a marker write is
    /// waited for instead, which orders after every earlier write.
    pub async fn sync(&self) -> Result<u64, ApiError> {
        let rv = self.store.revision().await?;
        if self.revision() >= rv {
            return Ok(rv);
        }
        let mut rx = self.rv_tx.subscribe();
        if tokio::time::timeout(Duration::from_millis(200), rx.wait_for(|seen| *seen >= rv))
            .await
            .is_ok()
        {
            return Ok(rv);
        }
        let marker = self.write_marker().await?;
        self.wait_for(marker).await?;
        Ok(marker)
    }

    /// The cache's revision.
    pub fn revision(&self) -> u64 {
        self.read().rv
    }

    /// One object.
    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        self.read().objects.get(key).cloned()
    }

    /// Objects under `prefix` strictly after `start_after`, with the revision read at.
    pub fn range(&self, prefix: &str, start_after: Option<&str>) -> (Vec<Arc<Cached>>, u64) {
        use std::ops::Bound;
        let inner = self.read();
        let lower = match start_after {
            Some(k) if k >= prefix => Bound::Excluded(k.to_string()),
            _ => Bound::Included(prefix.to_string()),
        };
        let items = inner
            .objects
            .range((lower, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| Arc::clone(v))
            .collect();
        (items, inner.rv)
    }

    /// Objects under `prefix` whose index (registered at start) holds `value`.
    pub fn indexed(&self, prefix: &str, value: &str) -> Vec<Arc<Cached>> {
        let inner = self.read();
        inner
            .indexes
            .lookup(prefix, value)
            .iter()
            .filter_map(|k| inner.objects.get(k).cloned())
            .collect()
    }

    /// The oldest revision a watch or continue token may still refer to.
    pub fn oldest(&self) -> u64 {
        self.read().oldest
    }

    /// Start a watch after revision `after`: the retained events since then, and the live feed.
    pub fn subscribe(&self, after: u64) -> Result<Subscription, ApiError> {
        let inner = self.read();
        if after < inner.oldest {
            return Err(ApiError::Expired(format!(
                "too old resource version: {after} ({})",
                inner.oldest
            )));
        }
        let live = self.events.subscribe();
        let backlog = inner
            .history
            .iter()
            .filter(|e| e.rv > after)
            .cloned()
            .collect();
        Ok(Subscription {
            backlog,
            live,
            epoch: inner.epoch,
        })
    }

    /// Events after sequence number `seq`, for a watcher that lagged behind the live feed.
    pub fn since_seq(&self, seq: u64, epoch: u64) -> Option<Vec<Arc<CacheEvent>>> {
        let inner = self.read();
        if inner.epoch != epoch {
            return None;
        }
        match inner.history.front() {
            Some(first) if first.seq <= seq + 1 => Some(
                inner
                    .history
                    .iter()
                    .filter(|e| e.seq > seq)
                    .cloned()
                    .collect(),
            ),
            None if inner.seq == seq => Some(Vec::new()),
            _ => None,
        }
    }

    /// The Store behind the cache, for writes.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

fn event_revision(ev: &Event) -> u64 {
    ev.kv.mod_revision
}

/// Decode `kv` at `rv`, or reuse the copy already decoded.
fn decode_known(
    kv: &KeyValue,
    rv: u64,
    known: &mut HashMap<(String, u64), Arc<Cached>>,
) -> Option<Arc<Cached>> {
    let k = (kv.key.clone(), rv);
    if let Some(c) = known.get(&k) {
        return Some(Arc::clone(c));
    }
    let c = decode(kv, rv)?;
    known.insert(k, Arc::clone(&c));
    Some(c)
}

fn to_cache_event(
    ev: &Event,
    seq: u64,
    epoch: u64,
    known: &mut HashMap<(String, u64), Arc<Cached>>,
) -> Option<CacheEvent> {
    if !ev.kv.key.starts_with(REGISTRY_PREFIX) {
        return None;
    }
    let rev = event_revision(ev);
    let prev = ev
        .prev
        .as_ref()
        .and_then(|p| decode_known(p, p.mod_revision, known));
    let (kind, object) = match ev.kind {
        EventKind::Put => {
            let kind = if prev.is_some() {
                EventType::Modified
            } else {
                EventType::Added
            };
            (kind, decode_known(&ev.kv, rev, known)?)
        }
        EventKind::Delete => {
            let last = ev.prev.as_ref()?;
            (EventType::Deleted, decode(last, rev)?)
        }
    };
    Some(CacheEvent {
        seq,
        epoch,
        rv: rev,
        kind,
        object,
        prev,
    })
}

fn decode(kv: &KeyValue, rv: u64) -> Option<Arc<Cached>> {
    match Cached::from_stored(&kv.key, &kv.value, rv) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            tracing::error!(key = %kv.key, error = %e, "undecodable object in store skipped");
            None
        }
    }
}
