//! etcd-only behaviour: unreachable servers, key prefixes sharing one etcd,
//! the background compaction task.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use porch_engine::store::{
    EtcdOptions, EtcdStore, HistoryWindow, Op, Store, StoreError, Txn, TxnOutcome,
};
use support::EtcdServer;

async fn put1(store: &dyn Store, key: &str) -> u64 {
    let txn = Txn {
        compares: vec![],
        ops: vec![Op::Put {
            key: key.into(),
            value: Bytes::from_static(b"v"),
        }],
    };
    match store.txn(txn).await.unwrap() {
        TxnOutcome::Committed { revision } => revision,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unreachable_etcd_is_unavailable() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = EtcdOptions {
        request_timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_millis(500),
        ..EtcdOptions::default()
    };
    let began = Instant::now();
    let endpoints = [format!("http://127.0.0.1:{port}")];
    match EtcdStore::connect(&endpoints, "/x/", opts).await {
        Err(StoreError::Unavailable(_)) => {}
        Err(e) => panic!("expected Unavailable, got {e}"),
        Ok(_) => panic!("connected to nothing"),
    }
    assert!(began.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_isolate_stores() {
    let server = EtcdServer::start().await;
    let endpoints = [server.endpoint.clone()];
    let a = EtcdStore::connect(&endpoints, "/a/", EtcdOptions::default())
        .await
        .unwrap();
    let b = EtcdStore::connect(&endpoints, "/b/", EtcdOptions::default())
        .await
        .unwrap();
    put1(&a, "k").await;
    let rb = put1(&b, "k").await;
    assert_eq!(a.range("", None, 0).await.unwrap().kvs.len(), 1);
    assert_eq!(b.get("k").await.unwrap().unwrap().mod_revision, rb);
    // One etcd, one revision sequence.
    assert_eq!(a.revision().await.unwrap(), rb);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_compaction_keeps_window() {
    let server = EtcdServer::start().await;
    let opts = EtcdOptions {
        history: HistoryWindow::revisions(5),
        compaction_interval: Some(Duration::from_millis(100)),
        ..EtcdOptions::default()
    };
    let store = EtcdStore::connect(std::slice::from_ref(&server.endpoint), "/p/", opts)
        .await
        .unwrap();
    for i in 0..20 {
        put1(&store, &format!("k/{i}")).await;
    }
    let current = store.revision().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let oldest = store.oldest_revision().await.unwrap();
        if oldest == current - 5 {
            break;
        }
        assert!(Instant::now() < deadline, "oldest stayed at {oldest}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(matches!(
        store.watch("", 0).await,
        Err(StoreError::Compacted { .. })
    ));
}
