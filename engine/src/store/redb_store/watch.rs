//! Watch streams of the redb store: history from snapshots, then the live
//! feed, falling back to the history whenever the feed skipped something.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use redb::{Database, ReadableDatabase};
use tokio::sync::broadcast;
use tracing::debug;

use super::{Batch, EVENTS, META, META_COMPACTED, META_REVISION, OrBackend, Shared, read_meta};
use crate::store::codec::decode_events;
use crate::store::{Event, EventStream, StoreError};

/// Revisions a catching-up watcher reads per snapshot, so that a long history
/// neither pins one read transaction nor lands in memory at once.
const HISTORY_CHUNK: usize = 512;

/// Starts a watch: `Err(Compacted)` right away when `after` is too old.
pub(super) async fn open(
    shared: &Arc<Shared>,
    prefix: &str,
    after: u64,
) -> Result<EventStream, StoreError> {
    // Subscribe before reading history: whatever commits after the snapshot
    // is then certainly in the live feed.
    let rx = shared.live.subscribe();
    let reader = shared.clone();
    let prefix_owned = prefix.to_owned();
    let first = tokio::task::spawn_blocking(move || {
        read_history(&reader.db, &prefix_owned, after, HISTORY_CHUNK)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("store read task failed: {e}")))??;
    let state = Watcher {
        shared: Arc::downgrade(shared),
        rx,
        prefix: prefix.to_owned(),
        cursor: first.cursor,
        live: first.done,
        buf: first.events.into(),
        done: false,
    };
    Ok(Box::pin(futures::stream::unfold(state, Watcher::next)))
}

/// A slice of the stored history read from one snapshot.
struct HistoryChunk {
    events: Vec<Event>,
    /// Every revision up to here has been read.
    cursor: u64,
    /// The chunk reached the snapshot's current revision.
    done: bool,
}

fn read_history(
    db: &Database,
    prefix: &str,
    after: u64,
    max_revisions: usize,
) -> Result<HistoryChunk, StoreError> {
    let rtx = db.begin_read().or_backend()?;
    let meta = rtx.open_table(META).or_backend()?;
    let current = read_meta(&meta, META_REVISION)?;
    let compacted = read_meta(&meta, META_COMPACTED)?;
    if after < compacted {
        return Err(StoreError::Compacted {
            requested: after,
            oldest: compacted,
        });
    }
    let mut events = Vec::new();
    if after >= current {
        return Ok(HistoryChunk {
            events,
            cursor: after,
            done: true,
        });
    }
    let table = rtx.open_table(EVENTS).or_backend()?;
    let mut cursor = after;
    let mut read = 0;
    for item in table.range((after + 1)..=current).or_backend()? {
        let (rev, raw) = item.or_backend()?;
        let rev = rev.value();
        events.extend(decode_events(rev, raw.value(), |k| k.starts_with(prefix))?);
        cursor = rev;
        read += 1;
        if read >= max_revisions {
            break;
        }
    }
    let done = read < max_revisions || cursor == current;
    Ok(HistoryChunk {
        events,
        cursor: if done { current } else { cursor },
        done,
    })
}

/// State of one watch stream: catching up from history, then following the
/// live feed; a gap in the feed (lag) sends it back to the history.
struct Watcher {
    shared: Weak<Shared>,
    rx: broadcast::Receiver<Batch>,
    prefix: String,
    /// Every revision up to here has been delivered (or filtered out).
    cursor: u64,
    live: bool,
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
        if !self.live {
            let shared = self.shared.upgrade().ok_or_else(store_closed)?;
            let (prefix, after) = (self.prefix.clone(), self.cursor);
            let chunk = tokio::task::spawn_blocking(move || {
                read_history(&shared.db, &prefix, after, HISTORY_CHUNK)
            })
            .await
            .map_err(|e| StoreError::Backend(format!("store read task failed: {e}")))??;
            self.buf.extend(chunk.events);
            self.cursor = chunk.cursor;
            self.live = chunk.done;
            return Ok(());
        }
        match self.rx.recv().await {
            Ok(batch) => {
                if batch.first().is_some_and(|(rev, _)| *rev > self.cursor + 1) {
                    // Revisions between cursor and this batch went by unseen.
                    self.live = false;
                    return Ok(());
                }
                for (rev, events) in batch.iter() {
                    if *rev <= self.cursor {
                        continue;
                    }
                    let matching = events.iter().filter(|e| e.kv.key.starts_with(&self.prefix));
                    self.buf.extend(matching.cloned());
                    self.cursor = *rev;
                }
                Ok(())
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                debug!(
                    skipped = n,
                    "watcher lagged behind the live feed; re-reading history"
                );
                self.live = false;
                Ok(())
            }
            Err(broadcast::error::RecvError::Closed) => Err(store_closed()),
        }
    }
}

fn store_closed() -> StoreError {
    StoreError::Unavailable("redb store closed".into())
}
