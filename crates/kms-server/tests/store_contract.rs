//! What the server promises about its store: the crypto hot path never
//! touches it, a write is acknowledged only after it is committed, and
//! concurrent writers cannot both win.

// Test helpers outside #[test] functions may unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::*;
use kms_server::store::{Change, Snapshot, SqliteStore, Store, StoreError, UsageRecord};
use serde_json::json;

/// Wraps the SQLite store, counting calls and failing writes on demand.
struct Instrumented {
    inner: SqliteStore,
    _dir: tempfile::TempDir,
    applies: AtomicUsize,
    fail: AtomicBool,
}

impl Instrumented {
    fn new() -> Arc<Self> {
        let dir = tempfile::tempdir().unwrap();
        let inner = SqliteStore::open(&dir.path().join("kms.sqlite3")).unwrap();
        Arc::new(Instrumented {
            inner,
            _dir: dir,
            applies: AtomicUsize::new(0),
            fail: AtomicBool::new(false),
        })
    }
}

impl Store for Instrumented {
    fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        self.applies.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError("disk full (injected)".into()));
        }
        self.inner.apply(changes)
    }

    fn save_usage(&self, records: &[UsageRecord]) -> Result<(), StoreError> {
        self.inner.save_usage(records)
    }

    fn load(&self) -> Result<Snapshot, StoreError> {
        self.inner.load()
    }
}

#[tokio::test]
async fn crypto_operations_never_touch_the_store() {
    let store = Instrumented::new();
    let s = TestServer::with_store(store.clone());
    let id = s.create_key(empty()).await;
    let before = store.applies.load(Ordering::SeqCst);
    for _ in 0..20 {
        let v = s
            .ok(
                "GenerateDataKey",
                json!({"KeyId": id, "KeySpec": "AES_256"}),
            )
            .await;
        s.ok("Decrypt", json!({"CiphertextBlob": v["CiphertextBlob"]}))
            .await;
        s.ok("Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}))
            .await;
        s.ok("DescribeKey", json!({"KeyId": id})).await;
    }
    assert_eq!(store.applies.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn a_failed_commit_is_not_acknowledged_and_not_visible() {
    let store = Instrumented::new();
    let s = TestServer::with_store(store.clone());
    let id = s.create_key(empty()).await;
    store.fail.store(true, Ordering::SeqCst);
    let (status, v) = s.call("DisableKey", json!({"KeyId": id})).await;
    assert_eq!(status, 500);
    assert_eq!(v["__type"], "KMSInternalException");
    assert!(
        !v["message"].as_str().unwrap().contains("disk full"),
        "internal detail leaked: {v}"
    );
    let (status, _) = s.call("CreateKey", empty()).await;
    assert_eq!(status, 500);
    store.fail.store(false, Ordering::SeqCst);
    let d = s.ok("DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(d["KeyMetadata"]["KeyState"], "Enabled");
    assert_eq!(
        s.ok("ListKeys", empty()).await["Keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_alias_have_one_winner() {
    let s = Arc::new(TestServer::with_store(Instrumented::new()));
    let id = s.create_key(empty()).await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let s = Arc::clone(&s);
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            s.call(
                "CreateAlias",
                json!({"AliasName": "alias/race", "TargetKeyId": id}),
            )
            .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        let (status, v) = t.await.unwrap();
        if status == 200 {
            wins += 1;
        } else {
            assert_eq!(v["__type"], "AlreadyExistsException");
        }
    }
    assert_eq!(wins, 1);
}
