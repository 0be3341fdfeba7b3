//! The Store on etcd, for clusters where several porch-server replicas share
//! one Store. etcd's own revision is the Store revision, txns are etcd txns
//! comparing `mod_revision`, watches are etcd watches, and the history window
//! is kept by compacting etcd.
//!
//! All keys live under a key prefix so that several Stores (or tests) can
//! share one etcd; end it with a separator (`/porch/`) so that one prefix is
//! never the beginning of another.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use etcd_client::{
    Client, Compare as EtcdCompare, CompareOp, ConnectOptions, EventType, GetOptions, TxnOp,
    TxnOpResponse, WatchOptions, WatchStream,
};
use tracing::{debug, info, warn};

use super::util::{compared_keys, effective_ops, prefix_end};
use super::{
    Compare, Event, EventKind, EventStream, HistoryWindow, KeyValue, Op, RangePage, Store,
    StoreError, Txn, TxnOutcome,
};

/// Tuning of an [`EtcdStore`].
#[derive(Debug, Clone)]
pub struct EtcdOptions {
    /// Event history kept for resuming watches (enforced by compacting etcd,
    /// which affects every user of that etcd).
    pub history: HistoryWindow,
    /// Bound on every unary etcd call; beyond it the call fails as
    /// [`StoreError::Unavailable`].
    pub request_timeout: Duration,
    /// Bound on establishing a connection to an endpoint.
    pub connect_timeout: Duration,
    /// How often a background task applies `history` (`None`: only when
    /// [`EtcdStore::compact`] is called). The age bound is as precise as this.
    pub compaction_interval: Option<Duration>,
}

impl Default for EtcdOptions {
    fn default() -> Self {
        Self {
            history: HistoryWindow::default(),
            request_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
            compaction_interval: Some(Duration::from_secs(30)),
        }
    }
}

/// [`Store`] on an etcd cluster (`--etcd-servers`).
pub struct EtcdStore {
    inner: Arc<Inner>,
    compactor: Option<tokio::task::JoinHandle<()>>,
}

struct Inner {
    client: Client,
    prefix: String,
    opts: EtcdOptions,
    /// A revision etcd is known to be compacted at or beyond (it only grows).
    compact_floor: AtomicU64,
    /// `(t, r)`: every revision up to `r` existed at `t` (for the age bound).
    samples: Mutex<VecDeque<(Instant, u64)>>,
}

impl EtcdStore {
    /// Connects to etcd and checks that it answers (an unreachable etcd is
    /// [`StoreError::Unavailable`]); starts the compaction task if configured.
    pub async fn connect(
        endpoints: &[String],
        key_prefix: &str,
        opts: EtcdOptions,
    ) -> Result<Self, StoreError> {
        let connect = ConnectOptions::new()
            .with_connect_timeout(opts.connect_timeout)
            .with_keep_alive(Duration::from_secs(10), opts.request_timeout);
        let client = tokio::time::timeout(
            opts.connect_timeout + opts.request_timeout,
            Client::connect(endpoints, Some(connect)),
        )
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!("connecting to etcd {endpoints:?} timed out"))
        })?
        .map_err(map_err)?;
        let inner = Arc::new(Inner {
            client,
            prefix: key_prefix.to_owned(),
            opts,
            compact_floor: AtomicU64::new(0),
            samples: Mutex::new(VecDeque::new()),
        });
        let revision = inner.revision().await?;
        debug!(?endpoints, key_prefix, revision, "connected to etcd");
        let bounded = inner.opts.history != HistoryWindow::unbounded();
        let compactor = match inner.opts.compaction_interval {
            Some(period) if bounded => {
                let inner = inner.clone();
                Some(tokio::spawn(async move {
                    let mut tick = tokio::time::interval(period);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                        if let Err(e) = inner.compact().await {
                            warn!(error = %e, "compacting etcd history failed");
                        }
                    }
                }))
            }
            _ => None,
        };
        Ok(Self { inner, compactor })
    }

    /// Applies the history window now (compacting etcd) and returns the
    /// oldest revision a watch may resume from.
    pub async fn compact(&self) -> Result<u64, StoreError> {
        self.inner.compact().await
    }
}

impl Drop for EtcdStore {
    fn drop(&mut self) {
        if let Some(task) = self.compactor.take() {
            task.abort();
        }
    }
}

#[async_trait::async_trait]
impl Store for EtcdStore {
    async fn revision(&self) -> Result<u64, StoreError> {
        self.inner.revision().await
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError> {
        let inner = &self.inner;
        let resp = inner
            .call(inner.client.kv_client().get(inner.full(key), None))
            .await?;
        resp.kvs().first().map(|kv| inner.to_kv(kv)).transpose()
    }

    async fn range(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<RangePage, StoreError> {
        let inner = &self.inner;
        let full_prefix = inner.full(prefix);
        let mut start = match start_after {
            Some(after) if after >= prefix => {
                let mut k = inner.full(after).into_bytes();
                k.push(0);
                k
            }
            _ => full_prefix.clone().into_bytes(),
        };
        if start.is_empty() {
            start.push(0);
        }
        // "\0" as the end means "every key from start on".
        let end = prefix_end(full_prefix.as_bytes()).unwrap_or_else(|| vec![0]);
        let opts = GetOptions::new()
            .with_range(end)
            .with_limit(i64::try_from(limit).unwrap_or(i64::MAX));
        let resp = inner
            .call(inner.client.kv_client().get(start, Some(opts)))
            .await?;
        let kvs = resp
            .kvs()
            .iter()
            .map(|kv| inner.to_kv(kv))
            .collect::<Result<Vec<_>, _>>()?;
        let remaining = to_u64(resp.count()).saturating_sub(kvs.len() as u64);
        Ok(RangePage {
            kvs,
            revision: header_revision(resp.header())?,
            remaining,
        })
    }

    async fn txn(&self, txn: Txn) -> Result<TxnOutcome, StoreError> {
        let inner = &self.inner;
        let mut compares = Vec::with_capacity(txn.compares.len());
        for Compare::ModRevision { key, revision } in &txn.compares {
            compares.push(EtcdCompare::mod_revision(
                inner.full(key),
                CompareOp::Equal,
                to_i64(*revision)?,
            ));
        }
        let ops: Vec<TxnOp> = effective_ops(&txn.ops)
            .into_iter()
            .map(|op| match op {
                Op::Put { key, value } => TxnOp::put(inner.full(key), value.to_vec(), None),
                Op::Delete { key } => TxnOp::delete(inner.full(key), None),
            })
            .collect();
        let reads: Vec<TxnOp> = compared_keys(&txn.compares)
            .into_iter()
            .map(|key| TxnOp::get(inner.full(key), None))
            .collect();
        let request = etcd_client::Txn::new()
            .when(compares)
            .and_then(ops)
            .or_else(reads);
        let resp = inner.call(inner.client.kv_client().txn(request)).await?;
        if resp.succeeded() {
            return Ok(TxnOutcome::Committed {
                revision: header_revision(resp.header())?,
            });
        }
        let mut current = Vec::new();
        for op in resp.op_responses() {
            if let TxnOpResponse::Get(get) = op {
                for kv in get.kvs() {
                    current.push(inner.to_kv(kv)?);
                }
            }
        }
        Ok(TxnOutcome::Failed { current })
    }

    async fn watch(&self, prefix: &str, after: u64) -> Result<EventStream, StoreError> {
        let inner = &self.inner;
        let oldest = inner.oldest_revision().await?;
        if after < oldest {
            return Err(StoreError::Compacted {
                requested: after,
                oldest,
            });
        }
        let opts = WatchOptions::new()
            .with_prefix()
            .with_start_revision(to_i64(after.saturating_add(1))?)
            .with_prev_key();
        let stream = inner
            .call(
                inner
                    .client
                    .watch_client()
                    .watch(inner.full(prefix), Some(opts)),
            )
            .await?;
        let watcher = Watcher {
            stream,
            key_prefix: inner.prefix.clone(),
            last: after,
            buf: VecDeque::new(),
            done: false,
        };
        Ok(Box::pin(futures::stream::unfold(watcher, Watcher::next)))
    }

    async fn oldest_revision(&self) -> Result<u64, StoreError> {
        self.inner.oldest_revision().await
    }
}

impl Inner {
    fn full(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn to_kv(&self, kv: &etcd_client::KeyValue) -> Result<KeyValue, StoreError> {
        convert_kv(&self.prefix, kv)
    }

    /// Runs one unary etcd call within the request timeout.
    async fn call<T>(
        &self,
        fut: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.opts.request_timeout, fut).await {
            Ok(result) => result.map_err(map_err),
            Err(_) => Err(StoreError::Unavailable(format!(
                "etcd did not answer within {:?}",
                self.opts.request_timeout
            ))),
        }
    }

    /// A key that exists only to carry a header revision back (etcd rejects
    /// empty keys).
    fn probe_key(&self) -> String {
        format!("{}\0", self.prefix)
    }

    async fn revision(&self) -> Result<u64, StoreError> {
        let opts = GetOptions::new().with_count_only();
        let resp = self
            .call(self.client.kv_client().get(self.probe_key(), Some(opts)))
            .await?;
        header_revision(resp.header())
    }

    /// Whether etcd still serves reads at `revision` (not compacted away).
    async fn readable_at(&self, revision: u64) -> Result<bool, StoreError> {
        let opts = GetOptions::new()
            .with_count_only()
            .with_revision(to_i64(revision)?);
        let mut kv = self.client.kv_client();
        let fut = kv.get(self.probe_key(), Some(opts));
        match tokio::time::timeout(self.opts.request_timeout, fut).await {
            Ok(Ok(_)) => Ok(true),
            Ok(Err(e)) if is_compacted(&e) => Ok(false),
            Ok(Err(e)) => Err(map_err(e)),
            Err(_) => Err(StoreError::Unavailable(
                "etcd did not answer in time".into(),
            )),
        }
    }

    /// etcd's compaction revision: the lowest revision still readable. Costs
    /// one read when nobody compacted since we last looked, a binary search
    /// otherwise (etcd does not report it directly).
    async fn compaction_revision(&self) -> Result<u64, StoreError> {
        let floor = self.compact_floor.load(Ordering::Acquire).max(1);
        if self.readable_at(floor).await? {
            return Ok(floor);
        }
        let (mut lo, mut hi) = (floor + 1, self.revision().await?.max(floor + 1));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.readable_at(mid).await? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        self.compact_floor.fetch_max(lo, Ordering::AcqRel);
        Ok(lo)
    }

    /// etcd keeps the events of the compaction revision `c` itself, but not
    /// the values before it, so events are complete (with `prev`) only after
    /// `c`: a watch may resume from `after >= c`.
    async fn oldest_revision(&self) -> Result<u64, StoreError> {
        let c = self.compaction_revision().await?;
        Ok(if c <= 1 { 0 } else { c })
    }

    async fn compact(&self) -> Result<u64, StoreError> {
        let current = self.revision().await?;
        let window = self.opts.history;
        let mut target = window.revision_floor(current);
        if let Some(age) = window.max_age {
            let now = Instant::now();
            let mut samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
            samples.push_back((now, current));
            if let Some(cutoff) = now.checked_sub(age) {
                while samples.len() >= 2 && samples[1].0 <= cutoff {
                    samples.pop_front();
                }
                if let Some((t, rev)) = samples.front()
                    && *t <= cutoff
                {
                    target = target.max(*rev);
                }
            }
        }
        let known = self.compaction_revision().await?;
        if target > known && target > 1 {
            let mut kv = self.client.kv_client();
            let fut = kv.compact(to_i64(target)?, None);
            match tokio::time::timeout(self.opts.request_timeout, fut).await {
                Ok(Ok(_)) => {
                    self.compact_floor.fetch_max(target, Ordering::AcqRel);
                    info!(revision = target, "compacted etcd history");
                }
                // Someone (another replica) compacted further already.
                Ok(Err(e)) if is_compacted(&e) => {}
                Ok(Err(e)) => return Err(map_err(e)),
                Err(_) => return Err(StoreError::Unavailable("etcd compaction timed out".into())),
            }
        }
        self.oldest_revision().await
    }
}

/// One etcd watch turned into Store events.
struct Watcher {
    stream: WatchStream,
    key_prefix: String,
    /// Revision of the last delivered event (or the watch's `after`).
    last: u64,
    buf: VecDeque<Event>,
    done: bool,
}

impl Watcher {
    async fn next(mut self) -> Option<(Result<Event, StoreError>, Self)> {
        loop {
            if let Some(ev) = self.buf.pop_front() {
                return Some((Ok(ev), self));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.fill().await {
                self.done = true;
                return Some((Err(e), self));
            }
        }
    }

    async fn fill(&mut self) -> Result<(), StoreError> {
        let resp = match self.stream.message().await {
            Ok(Some(resp)) => resp,
            Ok(None) => return Err(StoreError::Unavailable("etcd closed the watch".into())),
            Err(e) => return Err(map_err(e)),
        };
        if resp.canceled() {
            return Err(if resp.compact_revision() > 0 {
                StoreError::Compacted {
                    requested: self.last,
                    oldest: to_u64(resp.compact_revision()),
                }
            } else {
                StoreError::Backend(format!(
                    "etcd cancelled the watch: {}",
                    resp.cancel_reason()
                ))
            });
        }
        for ev in resp.events() {
            let Some(kv) = ev.kv() else {
                return Err(StoreError::Backend("etcd watch event without a key".into()));
            };
            let kind = match ev.event_type() {
                EventType::Put => EventKind::Put,
                EventType::Delete => EventKind::Delete,
            };
            let mut kv = convert_kv(&self.key_prefix, kv)?;
            if kind == EventKind::Delete {
                kv.value = Bytes::new();
                kv.create_revision = 0;
            }
            let prev = ev
                .prev_kv()
                .map(|p| convert_kv(&self.key_prefix, p))
                .transpose()?;
            self.last = kv.mod_revision;
            self.buf.push_back(Event { kind, kv, prev });
        }
        Ok(())
    }
}

fn convert_kv(prefix: &str, kv: &etcd_client::KeyValue) -> Result<KeyValue, StoreError> {
    let key = std::str::from_utf8(kv.key())
        .ok()
        .and_then(|k| k.strip_prefix(prefix))
        .ok_or_else(|| {
            StoreError::Backend(format!(
                "etcd key {:?} is not a UTF-8 key under {prefix:?}",
                String::from_utf8_lossy(kv.key())
            ))
        })?;
    Ok(KeyValue {
        key: key.to_owned(),
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: to_u64(kv.create_revision()),
        mod_revision: to_u64(kv.mod_revision()),
    })
}

fn header_revision(header: Option<&etcd_client::ResponseHeader>) -> Result<u64, StoreError> {
    header
        .map(|h| to_u64(h.revision()))
        .ok_or_else(|| StoreError::Backend("etcd response without a header".into()))
}

/// etcd revisions are non-negative i64s.
fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Backend(format!("revision {v} out of etcd's range")))
}

fn is_compacted(e: &etcd_client::Error) -> bool {
    matches!(e, etcd_client::Error::GRpcStatus(s) if s.message().contains("compacted"))
}

/// Transport trouble, timeouts and "no leader" are [`StoreError::Unavailable`]
/// (retry later); everything else is a backend error.
fn map_err(e: etcd_client::Error) -> StoreError {
    match &e {
        etcd_client::Error::GRpcStatus(status) => {
            // gRPC codes: 1 cancelled, 4 deadline exceeded, 14 unavailable.
            match status.code() as i32 {
                1 | 4 | 14 => StoreError::Unavailable(format!("etcd: {}", status.message())),
                _ => StoreError::Backend(format!("etcd: {}", status.message())),
            }
        }
        etcd_client::Error::TransportError(_) | etcd_client::Error::IoError(_) => {
            StoreError::Unavailable(format!("etcd: {e}"))
        }
        _ => StoreError::Backend(format!("etcd: {e}")),
    }
}
