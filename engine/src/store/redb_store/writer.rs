//! The single writer thread of the redb store: group commit, per-txn
//! revisions, inline history compaction.

use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use redb::{Durability, ReadableTable, Table};
use tracing::{debug, error, warn};

use super::{
    EVENTS, KV, META, META_COMPACTED, META_REVISION, OrBackend, RedbOptions, Request, Shared,
    read_kv, read_meta,
};
use crate::store::codec::{encode_events, encode_kv, events_timestamp};
use crate::store::util::{compared_keys, effective_ops};
use crate::store::{
    Compare, Event, EventKind, HistoryWindow, KeyValue, Op, StoreError, Txn, TxnOutcome,
};

/// The single writer: drains queued requests into one durable commit.
pub(super) struct Writer {
    shared: Arc<Shared>,
    rx: mpsc::Receiver<Request>,
    opts: RedbOptions,
}

/// What one write transaction did.
struct Applied {
    /// Per request: the txn's outcome (`None` for compaction requests).
    outcomes: Vec<Option<TxnOutcome>>,
    revisions: Vec<(u64, Vec<Event>)>,
    compacted: u64,
}

impl Writer {
    pub(super) fn new(shared: Arc<Shared>, rx: mpsc::Receiver<Request>, opts: RedbOptions) -> Self {
        Self { shared, rx, opts }
    }

    pub(super) fn run(self) {
        let max_batch = self.opts.max_batch.max(1);
        loop {
            let first = match self.rx.recv_timeout(self.opts.compaction_interval) {
                Ok(req) => req,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if self.opts.history.max_age.is_some() {
                        self.commit(Vec::new());
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match self.rx.try_recv() {
                    Ok(req) => batch.push(req),
                    Err(_) => break,
                }
            }
            self.commit(batch);
        }
        debug!("redb store writer stopped");
    }

    /// Applies `batch` in one write transaction, publishes its events, then
    /// answers every caller (only after the commit is durable).
    fn commit(&self, batch: Vec<Request>) {
        match self.apply(&batch) {
            Ok(applied) => {
                let txns = applied.outcomes.iter().filter(|o| o.is_some()).count();
                self.shared.txns.fetch_add(txns as u64, Ordering::Relaxed);
                if !applied.revisions.is_empty() {
                    // No receivers is fine: nobody is watching.
                    let _ = self.shared.live.send(Arc::new(applied.revisions));
                }
                for (req, outcome) in batch.into_iter().zip(applied.outcomes) {
                    match (req, outcome) {
                        (Request::Txn { reply, .. }, Some(outcome)) => {
                            let _ = reply.send(Ok(outcome));
                        }
                        (Request::Txn { reply, .. }, None) => {
                            let _ = reply.send(Err(StoreError::Backend("txn not applied".into())));
                        }
                        (Request::Compact { reply }, _) => {
                            let _ = reply.send(Ok(applied.compacted));
                        }
                    }
                }
            }
            Err(e) => {
                error!(error = %e, requests = batch.len(), "store write failed");
                let msg = e.to_string();
                for req in batch {
                    let err = StoreError::Backend(msg.clone());
                    match req {
                        Request::Txn { reply, .. } => {
                            let _ = reply.send(Err(err));
                        }
                        Request::Compact { reply } => {
                            let _ = reply.send(Err(err));
                        }
                    }
                }
            }
        }
    }

    fn apply(&self, batch: &[Request]) -> Result<Applied, StoreError> {
        let now = now_ms();
        let mut wtx = self.shared.db.begin_write().or_backend()?;
        wtx.set_durability(Durability::Immediate).or_backend()?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut revisions = Vec::new();
        let (dirty, compacted) = {
            let mut kv = wtx.open_table(KV).or_backend()?;
            let mut events = wtx.open_table(EVENTS).or_backend()?;
            let mut meta = wtx.open_table(META).or_backend()?;
            let start = read_meta(&meta, META_REVISION)?;
            let mut rev = start;
            for req in batch {
                let Request::Txn { txn, .. } = req else {
                    outcomes.push(None);
                    continue;
                };
                let (outcome, evs) = apply_txn(&mut kv, txn, rev)?;
                if !evs.is_empty() {
                    rev += 1;
                    events
                        .insert(rev, encode_events(now, &evs).as_slice())
                        .or_backend()?;
                    revisions.push((rev, evs));
                }
                outcomes.push(Some(outcome));
            }
            if rev != start {
                meta.insert(META_REVISION, rev).or_backend()?;
            }
            let (compacted, changed) =
                compact(&mut events, &mut meta, rev, now, &self.opts.history)?;
            (rev != start || changed, compacted)
        };
        if dirty {
            wtx.commit().or_backend()?;
            self.shared.commits.fetch_add(1, Ordering::Relaxed);
        } else if let Err(e) = wtx.abort() {
            warn!(error = %e, "aborting a read-only store batch failed");
        }
        Ok(Applied {
            outcomes,
            revisions,
            compacted,
        })
    }
}

/// Evaluates one txn on top of everything earlier in the batch. Returns its
/// outcome and its events (empty when nothing changed: no new revision).
fn apply_txn(
    kv: &mut Table<&str, &[u8]>,
    txn: &Txn,
    current: u64,
) -> Result<(TxnOutcome, Vec<Event>), StoreError> {
    for Compare::ModRevision { key, revision } in &txn.compares {
        let actual = read_kv(kv, key)?.map(|kv| kv.mod_revision).unwrap_or(0);
        if actual != *revision {
            let mut present = Vec::new();
            for key in compared_keys(&txn.compares) {
                present.extend(read_kv(kv, key)?);
            }
            return Ok((TxnOutcome::Failed { current: present }, Vec::new()));
        }
    }
    let rev = current + 1;
    let mut events = Vec::new();
    for op in effective_ops(&txn.ops) {
        match op {
            Op::Put { key, value } => {
                let prev = read_kv(kv, key)?;
                let create_revision = prev.as_ref().map_or(rev, |p| p.create_revision);
                kv.insert(
                    key.as_str(),
                    encode_kv(create_revision, rev, value).as_slice(),
                )
                .or_backend()?;
                events.push(Event {
                    kind: EventKind::Put,
                    kv: KeyValue {
                        key: key.clone(),
                        value: value.clone(),
                        create_revision,
                        mod_revision: rev,
                    },
                    prev,
                });
            }
            Op::Delete { key } => {
                if let Some(prev) = read_kv(kv, key)? {
                    kv.remove(key.as_str()).or_backend()?;
                    events.push(Event {
                        kind: EventKind::Delete,
                        kv: KeyValue {
                            key: key.clone(),
                            value: Bytes::new(),
                            create_revision: 0,
                            mod_revision: rev,
                        },
                        prev: Some(prev),
                    });
                }
            }
        }
    }
    let revision = if events.is_empty() { current } else { rev };
    Ok((TxnOutcome::Committed { revision }, events))
}

/// Drops history beyond the window at revision `current`. Returns the
/// compacted revision (events up to it are gone) and whether it moved.
fn compact(
    events: &mut Table<u64, &[u8]>,
    meta: &mut Table<&str, u64>,
    current: u64,
    now: u64,
    window: &HistoryWindow,
) -> Result<(u64, bool), StoreError> {
    let before = read_meta(meta, META_COMPACTED)?;
    let floor = window.revision_floor(current);
    let cutoff = window
        .max_age
        .map(|age| now.saturating_sub(u64::try_from(age.as_millis()).unwrap_or(u64::MAX)));
    let mut compacted = before.max(floor);
    loop {
        let (rev, timestamp) = match events.first().or_backend()? {
            Some((rev, raw)) => (rev.value(), events_timestamp(raw.value())?),
            None => break,
        };
        if rev > floor && cutoff.is_none_or(|c| timestamp >= c) {
            break;
        }
        events.remove(rev).or_backend()?;
        compacted = compacted.max(rev);
    }
    let changed = compacted != before;
    if changed {
        meta.insert(META_COMPACTED, compacted).or_backend()?;
    }
    Ok((compacted, changed))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
