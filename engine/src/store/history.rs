//! How much event history a Store keeps, shared by both backends so that a
//! watch resumes (or answers 410 Expired) the same way on redb and on etcd.

use std::time::Duration;

/// The retained event history. Events beyond *either* configured bound are
/// compacted: the window bounds storage, so a burst of writes cannot grow it
/// past `max_revisions` and a quiet period cannot keep events past `max_age`.
/// A bound set to `None` is not applied; both `None` keeps everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryWindow {
    /// Keep only the events of the newest `max_revisions` revisions.
    pub max_revisions: Option<u64>,
    /// Keep only events younger than this.
    pub max_age: Option<Duration>,
}

impl Default for HistoryWindow {
    /// 100 000 revisions or one hour, whichever is shorter.
    fn default() -> Self {
        Self {
            max_revisions: Some(100_000),
            max_age: Some(Duration::from_secs(3600)),
        }
    }
}

impl HistoryWindow {
    /// Keeps the newest `n` revisions, regardless of age.
    pub fn revisions(n: u64) -> Self {
        Self {
            max_revisions: Some(n),
            max_age: None,
        }
    }

    /// Keeps events younger than `age`, regardless of count.
    pub fn age(age: Duration) -> Self {
        Self {
            max_revisions: None,
            max_age: Some(age),
        }
    }

    /// Keeps everything (compaction never runs).
    pub fn unbounded() -> Self {
        Self {
            max_revisions: None,
            max_age: None,
        }
    }

    /// The highest revision the revision bound allows to drop at `current`
    /// (0 when nothing may go).
    pub(crate) fn revision_floor(&self, current: u64) -> u64 {
        self.max_revisions
            .map(|n| current.saturating_sub(n))
            .unwrap_or(0)
    }
}
