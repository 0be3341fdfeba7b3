//! One Store contract suite, run against both backends: the embedded redb
//! store and a real etcd server started for each test.

mod support;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use porch_engine::store::{
    Compare, EtcdOptions, EtcdStore, Event, EventKind, EventStream, HistoryWindow, Op, RedbOptions,
    RedbStore, Store, StoreError, Txn, TxnOutcome,
};
use support::EtcdServer;

/// How a test drives one backend beyond the trait: start, restart, compact.
#[async_trait::async_trait]
trait Backend: Send + Sync + Sized + 'static {
    /// Revisions are exactly previous + 1 (redb) rather than just increasing.
    const DENSE: bool;
    /// A fresh, empty store keeping `window` of history.
    async fn start(window: HistoryWindow) -> Self;
    fn store(&self) -> Arc<dyn Store>;
    /// Drops the store (callers must have dropped their clones) and opens it
    /// again on the same data.
    async fn restart(&mut self);
    /// Applies the history window now; returns the oldest resumable revision.
    async fn compact(&self) -> u64;
}

struct Redb {
    dir: tempfile::TempDir,
    window: HistoryWindow,
    store: Option<Arc<RedbStore>>,
}

impl Redb {
    fn open(dir: &tempfile::TempDir, window: HistoryWindow) -> Arc<RedbStore> {
        let opts = RedbOptions {
            history: window,
            // Small, so that watchers exercise the lag → history path.
            broadcast_capacity: 8,
            compaction_interval: Duration::from_millis(100),
            ..RedbOptions::default()
        };
        Arc::new(RedbStore::open(&dir.path().join("store.redb"), opts).expect("open redb store"))
    }
}

#[async_trait::async_trait]
impl Backend for Redb {
    const DENSE: bool = true;

    async fn start(window: HistoryWindow) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Some(Self::open(&dir, window));
        Self { dir, window, store }
    }

    fn store(&self) -> Arc<dyn Store> {
        self.store.clone().expect("store open")
    }

    async fn restart(&mut self) {
        let old = self.store.take().expect("store open");
        assert_eq!(Arc::strong_count(&old), 1, "test still holds the store");
        drop(old);
        self.store = Some(Self::open(&self.dir, self.window));
    }

    async fn compact(&self) -> u64 {
        self.store
            .as_ref()
            .expect("store open")
            .compact()
            .await
            .expect("compact")
    }
}

struct Etcd {
    server: EtcdServer,
    window: HistoryWindow,
    store: Option<Arc<EtcdStore>>,
}

impl Etcd {
    async fn connect(server: &EtcdServer, window: HistoryWindow) -> Arc<EtcdStore> {
        let opts = EtcdOptions {
            history: window,
            compaction_interval: None,
            ..EtcdOptions::default()
        };
        let endpoints = [server.endpoint.clone()];
        Arc::new(
            EtcdStore::connect(&endpoints, "/porch-test/", opts)
                .await
                .expect("connect to etcd"),
        )
    }
}

#[async_trait::async_trait]
impl Backend for Etcd {
    const DENSE: bool = false;

    async fn start(window: HistoryWindow) -> Self {
        let server = EtcdServer::start().await;
        let store = Some(Self::connect(&server, window).await);
        Self {
            server,
            window,
            store,
        }
    }

    fn store(&self) -> Arc<dyn Store> {
        self.store.clone().expect("store open")
    }

    async fn restart(&mut self) {
        drop(self.store.take());
        self.store = Some(Self::connect(&self.server, self.window).await);
    }

    async fn compact(&self) -> u64 {
        self.store
            .as_ref()
            .expect("store open")
            .compact()
            .await
            .expect("compact")
    }
}

// ---- helpers ----

fn put(key: &str, value: &str) -> Op {
    Op::Put {
        key: key.into(),
        value: Bytes::copy_from_slice(value.as_bytes()),
    }
}

fn del(key: &str) -> Op {
    Op::Delete { key: key.into() }
}

fn cmp(key: &str, revision: u64) -> Compare {
    Compare::ModRevision {
        key: key.into(),
        revision,
    }
}

async fn commit(store: &dyn Store, compares: Vec<Compare>, ops: Vec<Op>) -> u64 {
    match store.txn(Txn { compares, ops }).await.expect("txn") {
        TxnOutcome::Committed { revision } => revision,
        TxnOutcome::Failed { current } => panic!("txn unexpectedly failed: {current:?}"),
    }
}

async fn put1(store: &dyn Store, key: &str, value: &str) -> u64 {
    commit(store, vec![], vec![put(key, value)]).await
}

async fn next_event(stream: &mut EventStream) -> Event {
    match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
        Ok(Some(Ok(ev))) => ev,
        Ok(Some(Err(e))) => panic!("watch error: {e}"),
        Ok(None) => panic!("watch ended"),
        Err(_) => panic!("no watch event within 10s"),
    }
}

async fn take(stream: &mut EventStream, n: usize) -> Vec<Event> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(next_event(stream).await);
    }
    out
}

async fn assert_quiet(stream: &mut EventStream) {
    if let Ok(item) = tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
        panic!("unexpected watch item: {item:?}");
    }
}

fn summary(events: &[Event]) -> Vec<(EventKind, String, String, u64)> {
    events
        .iter()
        .map(|e| {
            let v = String::from_utf8_lossy(&e.kv.value).into_owned();
            (e.kind.clone(), e.kv.key.clone(), v, e.kv.mod_revision)
        })
        .collect()
}

/// Every test is bounded in time.
async fn bounded(test: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(120), test)
        .await
        .expect("test timed out");
}

// ---- the suite ----

async fn put_get<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    let before = s.revision().await.unwrap();
    assert!(s.get("a").await.unwrap().is_none());
    let r1 = put1(&*s, "a", "one").await;
    assert!(r1 > before);
    if B::DENSE {
        assert_eq!((before, r1), (0, 1));
    }
    assert_eq!(s.revision().await.unwrap(), r1);
    let kv = s.get("a").await.unwrap().expect("a exists");
    assert_eq!((kv.key.as_str(), &kv.value[..]), ("a", &b"one"[..]));
    assert_eq!((kv.create_revision, kv.mod_revision), (r1, r1));

    let r2 = put1(&*s, "a", "two").await;
    assert!(r2 > r1);
    let kv = s.get("a").await.unwrap().expect("a exists");
    assert_eq!(&kv.value[..], b"two");
    assert_eq!((kv.create_revision, kv.mod_revision), (r1, r2));

    // Several ops share one revision; the last op on a key wins.
    let r3 = commit(
        &*s,
        vec![],
        vec![put("b", "x"), put("c", "y"), put("b", "z")],
    )
    .await;
    assert!(r3 > r2);
    if B::DENSE {
        assert_eq!(r3, r2 + 1);
    }
    let b_kv = s.get("b").await.unwrap().unwrap();
    assert_eq!((&b_kv.value[..], b_kv.mod_revision), (&b"z"[..], r3));
    assert_eq!(s.get("c").await.unwrap().unwrap().mod_revision, r3);

    let r4 = commit(&*s, vec![], vec![del("a")]).await;
    assert!(r4 > r3);
    assert!(s.get("a").await.unwrap().is_none());
    // Deleting an absent key changes nothing: no new revision.
    assert_eq!(commit(&*s, vec![], vec![del("a")]).await, r4);
    assert_eq!(s.revision().await.unwrap(), r4);
}

async fn range_paging<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    for k in ["p/c", "p/a", "o/z", "p/e", "q/x", "p/b", "p/d", "p"] {
        put1(&*s, k, k).await;
    }
    let rev = s.revision().await.unwrap();
    let keys = |page: &porch_engine::store::RangePage| -> Vec<String> {
        page.kvs.iter().map(|kv| kv.key.clone()).collect()
    };

    let page = s.range("p/", None, 2).await.unwrap();
    assert_eq!(keys(&page), ["p/a", "p/b"]);
    assert_eq!((page.remaining, page.revision), (3, rev));
    assert_eq!(&page.kvs[0].value[..], b"p/a");

    let page = s.range("p/", Some("p/b"), 2).await.unwrap();
    assert_eq!(keys(&page), ["p/c", "p/d"]);
    assert_eq!(page.remaining, 1);

    let page = s.range("p/", Some("p/d"), 2).await.unwrap();
    assert_eq!(keys(&page), ["p/e"]);
    assert_eq!(page.remaining, 0);

    let page = s.range("p/", Some("p/e"), 2).await.unwrap();
    assert!(page.kvs.is_empty());
    assert_eq!(page.remaining, 0);

    // A continue key that is not itself present still resumes after it.
    let page = s.range("p/", Some("p/bb"), 0).await.unwrap();
    assert_eq!(keys(&page), ["p/c", "p/d", "p/e"]);

    let page = s.range("p/", None, 0).await.unwrap();
    assert_eq!(keys(&page), ["p/a", "p/b", "p/c", "p/d", "p/e"]);
    assert_eq!(page.remaining, 0);

    let page = s.range("p/", Some("a"), 1).await.unwrap();
    assert_eq!((keys(&page), page.remaining), (vec!["p/a".to_string()], 4));
    assert!(s.range("p/", Some("z"), 0).await.unwrap().kvs.is_empty());

    let all = s.range("", None, 0).await.unwrap();
    assert_eq!(
        keys(&all),
        ["o/z", "p", "p/a", "p/b", "p/c", "p/d", "p/e", "q/x"]
    );
    assert_eq!(all.revision, rev);

    // Pages read earlier keep their revision; later ones see later writes.
    let rev2 = put1(&*s, "p/f", "f").await;
    let page = s.range("p/", Some("p/e"), 0).await.unwrap();
    assert_eq!(
        (keys(&page), page.revision),
        (vec!["p/f".to_string()], rev2)
    );
}

async fn compare_semantics<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    // Create-if-absent.
    let r1 = commit(&*s, vec![cmp("k", 0)], vec![put("k", "v1")]).await;
    let out = s
        .txn(Txn {
            compares: vec![cmp("k", 0)],
            ops: vec![put("k", "other")],
        })
        .await
        .unwrap();
    match out {
        TxnOutcome::Failed { current } => {
            assert_eq!(current.len(), 1);
            assert_eq!(
                (&current[0].value[..], current[0].mod_revision),
                (&b"v1"[..], r1)
            );
        }
        other => panic!("expected failure, got {other:?}"),
    }
    // Update at the right revision.
    let r2 = commit(&*s, vec![cmp("k", r1)], vec![put("k", "v2")]).await;
    // A stale compare writes nothing, not even the ops on other keys.
    let out = s
        .txn(Txn {
            compares: vec![cmp("k", r1), cmp("absent", 0)],
            ops: vec![put("k", "stale"), put("side", "effect")],
        })
        .await
        .unwrap();
    match out {
        TxnOutcome::Failed { current } => {
            // Absent compared keys are omitted.
            assert_eq!(current.len(), 1);
            assert_eq!(
                (current[0].key.as_str(), current[0].mod_revision),
                ("k", r2)
            );
        }
        other => panic!("expected failure, got {other:?}"),
    }
    assert_eq!(s.revision().await.unwrap(), r2);
    assert_eq!(&s.get("k").await.unwrap().unwrap().value[..], b"v2");
    assert!(s.get("side").await.unwrap().is_none());
    // Passing compares without ops: committed at the current revision.
    let r = commit(&*s, vec![cmp("k", r2), cmp("absent", 0)], vec![]).await;
    assert_eq!(r, r2);
    assert_eq!(s.revision().await.unwrap(), r2);
    // Delete guarded by a compare.
    let r3 = commit(&*s, vec![cmp("k", r2)], vec![del("k")]).await;
    assert!(r3 > r2);
    // Recreated key: new create revision.
    let r4 = commit(&*s, vec![cmp("k", 0)], vec![put("k", "again")]).await;
    let kv = s.get("k").await.unwrap().unwrap();
    assert_eq!((kv.create_revision, kv.mod_revision), (r4, r4));
}

async fn concurrent_writers_one_wins<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    const N: usize = 16;
    // Create-if-absent race.
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let txn = Txn {
                    compares: vec![cmp("lock", 0)],
                    ops: vec![put("lock", &format!("owner-{i}"))],
                };
                s.txn(txn).await.unwrap()
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), TxnOutcome::Committed { .. }) {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);

    // Update race: everyone read the same revision first.
    let base = s.get("lock").await.unwrap().unwrap().mod_revision;
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let (s, barrier) = (s.clone(), barrier.clone());
            tokio::spawn(async move {
                let seen = s.get("lock").await.unwrap().unwrap().mod_revision;
                barrier.wait().await;
                let txn = Txn {
                    compares: vec![cmp("lock", seen)],
                    ops: vec![put("lock", &format!("next-{i}"))],
                };
                s.txn(txn).await.unwrap()
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), TxnOutcome::Committed { .. }) {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
    assert!(s.get("lock").await.unwrap().unwrap().mod_revision > base);
}

async fn delete_events_carry_prev<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    let start = s.revision().await.unwrap();
    let r1 = put1(&*s, "d/k", "v1").await;
    let r2 = put1(&*s, "d/k", "v2").await;
    let r3 = commit(&*s, vec![], vec![del("d/k")]).await;
    let mut w = s.watch("d/", start).await.unwrap();
    let evs = take(&mut w, 3).await;
    assert_eq!(evs[0].kind, EventKind::Put);
    assert!(evs[0].prev.is_none());
    assert_eq!(
        (evs[0].kv.create_revision, evs[0].kv.mod_revision),
        (r1, r1)
    );
    assert_eq!(evs[1].kind, EventKind::Put);
    let prev = evs[1].prev.as_ref().expect("prev of update");
    assert_eq!((&prev.value[..], prev.mod_revision), (&b"v1"[..], r1));
    assert_eq!(
        (evs[1].kv.create_revision, evs[1].kv.mod_revision),
        (r1, r2)
    );
    assert_eq!(evs[2].kind, EventKind::Delete);
    assert_eq!(
        (evs[2].kv.key.as_str(), evs[2].kv.mod_revision),
        ("d/k", r3)
    );
    assert!(evs[2].kv.value.is_empty());
    let prev = evs[2].prev.as_ref().expect("prev of delete");
    assert_eq!(
        (&prev.value[..], prev.create_revision, prev.mod_revision),
        (&b"v2"[..], r1, r2)
    );
    assert_quiet(&mut w).await;
}

async fn watch_history_then_live<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    let mut revs = Vec::new();
    for i in 0..5 {
        revs.push(put1(&*s, &format!("w/{i}"), "h").await);
    }
    // Resume after the second event: three from history.
    let mut w = s.watch("w/", revs[1]).await.unwrap();
    let mut from_now = s.watch("w/", s.revision().await.unwrap()).await.unwrap();
    let hist = take(&mut w, 3).await;
    assert_eq!(
        hist.iter().map(|e| e.kv.mod_revision).collect::<Vec<_>>(),
        revs[2..]
    );
    // Then live, in order, without duplicates, also while writes race the
    // watch set-up.
    let writer = {
        let s = s.clone();
        tokio::spawn(async move {
            let mut revs = Vec::new();
            for i in 5..40 {
                revs.push(put1(&*s, &format!("w/{i}"), "l").await);
            }
            revs
        })
    };
    let mut racing = s.watch("w/", revs[4]).await.unwrap();
    let live_revs = writer.await.unwrap();
    for stream in [&mut w, &mut from_now, &mut racing] {
        let got = take(stream, live_revs.len()).await;
        assert_eq!(
            got.iter().map(|e| e.kv.mod_revision).collect::<Vec<_>>(),
            live_revs
        );
        assert_eq!(got[0].kv.key, "w/5");
        assert_quiet(stream).await;
    }
}

async fn watch_prefix_filtering<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    let start = s.revision().await.unwrap();
    let mut live = s.watch("a/", start).await.unwrap();
    put1(&*s, "a/1", "x").await;
    put1(&*s, "b/1", "x").await;
    put1(&*s, "ab", "x").await;
    commit(&*s, vec![], vec![put("b/2", "x"), put("a/2", "x")]).await;
    put1(&*s, "a/3", "x").await;
    let mut hist = s.watch("a/", start).await.unwrap();
    let mut everything = s.watch("", start).await.unwrap();
    for w in [&mut live, &mut hist] {
        let keys: Vec<String> = take(w, 3).await.into_iter().map(|e| e.kv.key).collect();
        assert_eq!(keys, ["a/1", "a/2", "a/3"]);
        assert_quiet(w).await;
    }
    let all: Vec<String> = take(&mut everything, 6)
        .await
        .into_iter()
        .map(|e| e.kv.key)
        .collect();
    assert_eq!(all, ["a/1", "b/1", "ab", "b/2", "a/2", "a/3"]);
}

async fn watch_compacted<B: Backend>() {
    let b = B::start(HistoryWindow::revisions(3)).await;
    let s = b.store();
    let mut revs = Vec::new();
    for i in 0..10 {
        revs.push(put1(&*s, &format!("c/{i}"), "v").await);
    }
    let oldest = b.compact().await;
    let current = s.revision().await.unwrap();
    assert_eq!(oldest, current - 3);
    assert_eq!(s.oldest_revision().await.unwrap(), oldest);
    match s.watch("c/", oldest - 1).await {
        Err(StoreError::Compacted {
            requested,
            oldest: o,
        }) => {
            assert_eq!((requested, o), (oldest - 1, oldest));
        }
        Err(e) => panic!("expected Compacted, got {e}"),
        Ok(_) => panic!("expected Compacted, got a stream"),
    }
    assert!(matches!(
        s.watch("c/", 0).await,
        Err(StoreError::Compacted { .. })
    ));
    // From the oldest retained revision: the last three events, with prev.
    let mut w = s.watch("", oldest).await.unwrap();
    let evs = take(&mut w, 3).await;
    assert_eq!(
        evs.iter().map(|e| e.kv.mod_revision).collect::<Vec<_>>(),
        revs[7..]
    );
    assert_quiet(&mut w).await;
    // Data itself is never compacted.
    assert_eq!(s.range("c/", None, 0).await.unwrap().kvs.len(), 10);
}

async fn age_window<B: Backend>() {
    let b = B::start(HistoryWindow::age(Duration::from_secs(1))).await;
    let s = b.store();
    for i in 0..3 {
        put1(&*s, &format!("t/{i}"), "old").await;
    }
    let old = s.revision().await.unwrap();
    assert_eq!(b.compact().await, s.oldest_revision().await.unwrap());
    // The age bound is about time passing, so this test has to let it pass.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let fresh = put1(&*s, "t/new", "new").await;
    let oldest = b.compact().await;
    assert!(
        oldest >= old && oldest < fresh,
        "oldest {oldest}, old {old}, fresh {fresh}"
    );
    assert!(matches!(
        s.watch("t/", 0).await,
        Err(StoreError::Compacted { .. })
    ));
    let mut w = s.watch("t/", oldest).await.unwrap();
    assert_eq!(next_event(&mut w).await.kv.key, "t/new");
}

async fn restart_keeps_data_and_history<B: Backend>() {
    let mut b = B::start(HistoryWindow::unbounded()).await;
    let (start, rev) = {
        let s = b.store();
        let start = s.revision().await.unwrap();
        put1(&*s, "r/a", "1").await;
        put1(&*s, "r/b", "2").await;
        commit(&*s, vec![], vec![put("r/a", "3"), del("r/b")]).await;
        (start, s.revision().await.unwrap())
    };
    b.restart().await;
    let s = b.store();
    assert_eq!(s.revision().await.unwrap(), rev);
    assert_eq!(&s.get("r/a").await.unwrap().unwrap().value[..], b"3");
    assert!(s.get("r/b").await.unwrap().is_none());
    let mut w = s.watch("r/", start).await.unwrap();
    let evs = summary(&take(&mut w, 4).await);
    let kinds: Vec<(EventKind, &str)> = evs.iter().map(|e| (e.0.clone(), e.1.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (EventKind::Put, "r/a"),
            (EventKind::Put, "r/b"),
            (EventKind::Put, "r/a"),
            (EventKind::Delete, "r/b"),
        ]
    );
    assert_eq!(evs[3].3, rev);
    let next = put1(&*s, "r/c", "4").await;
    assert!(next > rev);
    assert_eq!(next_event(&mut w).await.kv.mod_revision, next);
}

async fn group_commit_16_tasks<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    const TASKS: usize = 16;
    let per_task = if B::DENSE { 250 } else { 60 };
    let start = s.revision().await.unwrap();
    let mut w = s.watch("g/", start).await.unwrap();
    let began = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut revs = Vec::with_capacity(per_task);
                for i in 0..per_task {
                    let key = format!("g/{t}/{i}");
                    revs.push(commit(&*s, vec![cmp(&key, 0)], vec![put(&key, "v")]).await);
                }
                revs
            })
        })
        .collect();
    let mut all = BTreeSet::new();
    for t in tasks {
        let revs = t.await.unwrap();
        assert!(
            revs.windows(2).all(|p| p[0] < p[1]),
            "a caller's revisions go up"
        );
        all.extend(revs);
    }
    let elapsed = began.elapsed();
    let total = TASKS * per_task;
    assert_eq!(all.len(), total, "every txn got its own revision");
    if B::DENSE {
        let expected: BTreeSet<u64> = (start + 1..=start + total as u64).collect();
        assert_eq!(all, expected, "revisions are contiguous");
    }
    eprintln!(
        "{}: {total} txns from {TASKS} tasks in {elapsed:?} = {:.0} txn/s",
        std::any::type_name::<B>(),
        total as f64 / elapsed.as_secs_f64()
    );
    // A watcher sees every one of them, in revision order.
    let got: Vec<u64> = take(&mut w, total)
        .await
        .iter()
        .map(|e| e.kv.mod_revision)
        .collect();
    assert_eq!(got, all.into_iter().collect::<Vec<_>>());
}

async fn slow_watcher_misses_nothing<B: Backend>() {
    let b = B::start(HistoryWindow::unbounded()).await;
    let s = b.store();
    let start = s.revision().await.unwrap();
    let mut w = s.watch("", start).await.unwrap();
    // Far more than any live buffer, while the watcher does not read.
    let mut revs = Vec::new();
    for chunk in 0..20 {
        let batch: Vec<_> = (0..10)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move { put1(&*s, &format!("s/{chunk}/{i}"), "v").await })
            })
            .collect();
        for t in batch {
            revs.push(t.await.unwrap());
        }
    }
    revs.sort_unstable();
    let got: Vec<u64> = take(&mut w, revs.len())
        .await
        .iter()
        .map(|e| e.kv.mod_revision)
        .collect();
    assert_eq!(got, revs);
    assert_quiet(&mut w).await;
}

macro_rules! contract {
    ($module:ident, $backend:ty, [$($test:ident),* $(,)?]) => {
        mod $module {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    bounded(super::$test::<$backend>()).await
                }
            )*
        }
    };
}

contract!(
    redb,
    Redb,
    [
        put_get,
        range_paging,
        compare_semantics,
        concurrent_writers_one_wins,
        delete_events_carry_prev,
        watch_history_then_live,
        watch_prefix_filtering,
        watch_compacted,
        age_window,
        restart_keeps_data_and_history,
        group_commit_16_tasks,
        slow_watcher_misses_nothing,
    ]
);

contract!(
    etcd,
    Etcd,
    [
        put_get,
        range_paging,
        compare_semantics,
        concurrent_writers_one_wins,
        delete_events_carry_prev,
        watch_history_then_live,
        watch_prefix_filtering,
        watch_compacted,
        age_window,
        restart_keeps_data_and_history,
        group_commit_16_tasks,
        slow_watcher_misses_nothing,
    ]
);
