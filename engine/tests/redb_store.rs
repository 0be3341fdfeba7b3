//! redb-only behaviour: the file lock, lagging watchers past the window,
//! and durability of acknowledged txns across kill -9.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use porch_engine::store::{
    Compare, HistoryWindow, Op, RedbOptions, RedbStore, Store, StoreError, Txn, TxnOutcome,
};

fn put(key: &str) -> Txn {
    Txn {
        compares: vec![Compare::ModRevision {
            key: key.into(),
            revision: 0,
        }],
        ops: vec![Op::Put {
            key: key.into(),
            value: Bytes::from_static(b"v"),
        }],
    }
}

async fn commit(store: &RedbStore, txn: Txn) -> u64 {
    match store.txn(txn).await.expect("txn") {
        TxnOutcome::Committed { revision } => revision,
        other => panic!("txn failed: {other:?}"),
    }
}

#[test]
fn second_open_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let _first = RedbStore::open(&path, RedbOptions::default()).unwrap();
    match RedbStore::open(&path, RedbOptions::default()) {
        Err(StoreError::Backend(msg)) => assert!(msg.contains("already in use"), "{msg}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("second open succeeded"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lagging_watcher_beyond_window_gets_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let opts = RedbOptions {
        history: HistoryWindow::revisions(20),
        broadcast_capacity: 4,
        ..RedbOptions::default()
    };
    let store = RedbStore::open(&dir.path().join("store.redb"), opts).unwrap();
    let mut w = store.watch("", 0).await.unwrap();
    for i in 0..200 {
        commit(&store, put(&format!("k/{i}"))).await;
    }
    // The watcher never read while 200 revisions went by, and only 20 are
    // kept: it must learn that it missed events, never skip them silently.
    let mut delivered = Vec::new();
    let err = loop {
        match tokio::time::timeout(Duration::from_secs(10), w.next()).await {
            Ok(Some(Ok(ev))) => delivered.push(ev.kv.mod_revision),
            Ok(Some(Err(e))) => break e,
            Ok(None) => panic!("watch ended without an error"),
            Err(_) => panic!("watch stalled"),
        }
    };
    assert!(matches!(err, StoreError::Compacted { .. }), "{err}");
    let expected: Vec<u64> = (1..=delivered.len() as u64).collect();
    assert_eq!(delivered, expected, "no gaps before the error");
    assert!(w.next().await.is_none(), "stream ends after the error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writer_groups_concurrent_txns() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(RedbStore::open(&dir.path().join("s.redb"), RedbOptions::default()).unwrap());
    let began = std::time::Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..100 {
                    commit(&store, put(&format!("g/{t}/{i}"))).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = began.elapsed();
    let stats = store.stats();
    eprintln!(
        "redb writer: {stats:?}, {:.0} txn/s",
        1600.0 / elapsed.as_secs_f64()
    );
    assert_eq!(stats.txns, 1600);
    assert!(stats.commits <= stats.txns);
}

const CHILD_ENV: &str = "PORCH_REDB_CRASH_CHILD";

/// Runs only as the child of `acknowledged_txns_survive_kill_9`: writes
/// until killed, printing each acknowledged revision.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = Arc::new(RedbStore::open(path.as_ref(), RedbOptions::default()).unwrap());
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0.. {
                    let key = format!("c/{t}/{i}");
                    let rev = commit(&store, put(&key)).await;
                    println!("ACK {key} {rev}");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_txns_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let acked = tokio::task::spawn_blocking(move || {
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("ACK ") {
                let (key, rev) = rest.split_once(' ').unwrap();
                acked.push((key.to_owned(), rev.parse::<u64>().unwrap()));
                if acked.len() == 300 {
                    break;
                }
            }
        }
        acked
    });
    let acked = tokio::time::timeout(Duration::from_secs(60), acked)
        .await
        .expect("child acknowledged 300 txns in time")
        .unwrap();
    // SIGKILL to the child we started, mid-write.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(acked.len(), 300, "child stopped early");

    let store = RedbStore::open(&path, RedbOptions::default()).unwrap();
    let max = acked.iter().map(|(_, r)| *r).max().unwrap();
    assert!(store.revision().await.unwrap() >= max);
    for (key, rev) in &acked {
        let kv = store
            .get(key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{key} lost"));
        assert_eq!(kv.mod_revision, *rev);
    }
    // The history survived too: a watch from 0 replays every revision.
    let mut w = store.watch("", 0).await.unwrap();
    for expected in 1..=max {
        let ev = tokio::time::timeout(Duration::from_secs(10), w.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(ev.kv.mod_revision, expected);
    }
}
