//! GetKeyLastUsage through the HTTP pipeline: what counts as a use, which
//! keys a request uses, who may ask, and what a restart keeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use kms_server::audit::LOG_FILE;
use kms_server::handlers::lifecycle::{DAY_MS, sweep};
use serde_json::{Value, json};

async fn last_usage(s: &TestServer, key: &str) -> Value {
    s.ok("GetKeyLastUsage", json!({"KeyId": key})).await
}

/// The audit events of one operation, oldest first.
fn audited(s: &TestServer, operation: &str) -> Vec<Value> {
    s.state.audit.as_ref().unwrap().close();
    std::fs::read_to_string(s.path().join(LOG_FILE))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].clone())
        .filter(|e| e["eventName"] == operation)
        .collect()
}

#[tokio::test]
async fn a_new_key_is_unused_and_tracked_since_its_creation() {
    let s = TestServer::new();
    let v = s.ok("CreateKey", empty()).await;
    let key = v["KeyMetadata"]["KeyId"].as_str().unwrap();
    let created = v["KeyMetadata"]["CreationDate"].as_f64().unwrap();
    let arn = v["KeyMetadata"]["Arn"].as_str().unwrap();
    for id in [key, arn] {
        let u = last_usage(&s, id).await;
        assert_eq!(u["KeyId"], key, "the key id, not the ARN");
        assert_eq!(u["KeyLastUsage"], json!({}));
        assert_eq!(u["KeyCreationDate"].as_f64().unwrap(), created);
        assert_eq!(u["TrackingStartDate"].as_f64().unwrap(), created);
    }
}

#[tokio::test]
async fn each_successful_cryptographic_operation_is_recorded_with_its_audit_event() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let blob = s
        .ok(
            "Encrypt",
            json!({"KeyId": key, "Plaintext": b64(b"x"), "EncryptionContext": {"a": "1"}}),
        )
        .await["CiphertextBlob"]
        .clone();
    let u = last_usage(&s, &key).await["KeyLastUsage"].clone();
    assert_eq!(u["Operation"], "Encrypt");
    let t = u["Timestamp"].as_f64().unwrap();
    assert_eq!(t.fract(), 0.0, "whole seconds: {t}");

    // Neither a refusal, a failure nor a dry run is a use; reads are not.
    let wrong = json!({"CiphertextBlob": blob, "EncryptionContext": {"a": "2"}});
    assert_eq!(s.err("Decrypt", wrong).await, "InvalidCiphertextException");
    let dry = json!({"KeyId": key, "KeySpec": "AES_256", "DryRun": true});
    assert_eq!(
        s.err("GenerateDataKey", dry).await,
        "DryRunOperationException"
    );
    let (_, denied) = s
        .call_as(
            &TestServer::app(),
            "Encrypt",
            json!({"KeyId": key, "Plaintext": b64(b"x")}),
        )
        .await;
    assert_eq!(denied["__type"], "AccessDeniedException");
    s.ok("DescribeKey", json!({"KeyId": key})).await;
    s.ok("GenerateRandom", json!({"NumberOfBytes": 8})).await;
    assert_eq!(last_usage(&s, &key).await["KeyLastUsage"], u);

    s.ok(
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"a": "1"}}),
    )
    .await;
    let u = last_usage(&s, &key).await["KeyLastUsage"].clone();
    assert_eq!(u["Operation"], "Decrypt");

    // The ids name the request's own audit record.
    let decrypts = audited(&s, "Decrypt");
    let ok = decrypts
        .iter()
        .find(|e| e.get("errorCode").is_none())
        .unwrap();
    assert_eq!(u["KmsRequestId"], ok["requestID"]);
    assert_eq!(u["CloudTrailEventId"], ok["eventID"]);
    // GetKeyLastUsage is audited as a read, without its response.
    let reads = audited(&s, "GetKeyLastUsage");
    assert!(!reads.is_empty());
    assert!(reads.iter().all(|e| e["readOnly"] == true));
    assert!(reads.iter().all(|e| e["responseElements"].is_null()));
}

#[tokio::test]
async fn re_encrypt_uses_both_keys_and_each_usage_kind_is_named() {
    let s = TestServer::new();
    let a = s.create_key(empty()).await;
    let b = s.create_key(empty()).await;
    let blob = s
        .ok("Encrypt", json!({"KeyId": a, "Plaintext": b64(b"x")}))
        .await["CiphertextBlob"]
        .clone();
    s.ok(
        "ReEncrypt",
        json!({"CiphertextBlob": blob, "DestinationKeyId": b}),
    )
    .await;
    let ua = last_usage(&s, &a).await["KeyLastUsage"].clone();
    let ub = last_usage(&s, &b).await["KeyLastUsage"].clone();
    assert_eq!(ua["Operation"], "ReEncrypt");
    assert_eq!(ua, ub, "one request, one record, both keys");

    let sign = s
        .create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}))
        .await;
    let msg = json!({"KeyId": sign, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"});
    let sig = s.ok("Sign", msg.clone()).await["Signature"].clone();
    assert_eq!(
        last_usage(&s, &sign).await["KeyLastUsage"]["Operation"],
        "Sign"
    );
    let mut verify = msg;
    verify["Signature"] = sig;
    s.ok("Verify", verify).await;
    assert_eq!(
        last_usage(&s, &sign).await["KeyLastUsage"]["Operation"],
        "Verify"
    );

    let mac = s
        .create_key(json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}))
        .await;
    s.ok(
        "GenerateMac",
        json!({"KeyId": mac, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256"}),
    )
    .await;
    assert_eq!(
        last_usage(&s, &mac).await["KeyLastUsage"]["Operation"],
        "GenerateMac"
    );
    s.ok(
        "GenerateDataKeyPairWithoutPlaintext",
        json!({"KeyId": a, "KeyPairSpec": "ECC_NIST_P256"}),
    )
    .await;
    assert_eq!(
        last_usage(&s, &a).await["KeyLastUsage"]["Operation"],
        "GenerateDataKeyPairWithoutPlaintext"
    );
    // Through an alias, the key is what is used.
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/used", "TargetKeyId": b}),
    )
    .await;
    s.ok(
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": "alias/used", "KeySpec": "AES_128"}),
    )
    .await;
    assert_eq!(
        last_usage(&s, &b).await["KeyLastUsage"]["Operation"],
        "GenerateDataKeyWithoutPlaintext"
    );
}

#[tokio::test]
async fn aliases_other_accounts_and_unpermitted_callers_are_refused() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}");
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/named", "TargetKeyId": key}),
    )
    .await;
    for id in [
        "alias/named",
        &format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/named"),
    ] {
        assert_eq!(
            s.err("GetKeyLastUsage", json!({"KeyId": id})).await,
            "NotFoundException",
            "{id}"
        );
    }
    assert_eq!(
        s.err("GetKeyLastUsage", json!({"KeyId": "arn:aws:kms:nope"}))
            .await,
        "InvalidArnException"
    );
    assert_eq!(
        s.err("GetKeyLastUsage", json!({"KeyId": ""})).await,
        "ValidationException"
    );

    // The other account may use the key, and that use is the key's; it may
    // not ask about it, even with a key policy that allows it to: to another
    // account the key does not exist, as for every operation it cannot use
    // across accounts.
    let policy = key_policy(json!([
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT},
         "Action": ["kms:Encrypt", "kms:GetKeyLastUsage"], "Resource": "*"}]));
    s.put_key_policy(&key, &policy).await;
    let other = TestServer::other();
    let (status, v) = s
        .call_as(
            &other,
            "Encrypt",
            json!({"KeyId": arn, "Plaintext": b64(b"x")}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        last_usage(&s, &key).await["KeyLastUsage"]["Operation"],
        "Encrypt"
    );
    let (_, v) = s
        .call_as(&other, "GetKeyLastUsage", json!({"KeyId": arn}))
        .await;
    assert_eq!(v["__type"], "NotFoundException", "{v}");

    // In the key's account, the account-root statement lets identity
    // policies decide: `user/dev`'s allows kms:*, `user/app` has none.
    let (status, v) = s
        .call_as(&TestServer::dev(), "GetKeyLastUsage", json!({"KeyId": key}))
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = s
        .call_as(&TestServer::app(), "GetKeyLastUsage", json!({"KeyId": key}))
        .await;
    assert_eq!(v["__type"], "AccessDeniedException", "{v}");
    let deny = key_policy(json!([
        root_statement(),
        {"Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
         "Action": "kms:GetKeyLastUsage", "Resource": "*"}]));
    s.put_key_policy(&key, &deny).await;
    assert_eq!(
        s.err("GetKeyLastUsage", json!({"KeyId": key})).await,
        "AccessDeniedException"
    );
}

#[tokio::test]
async fn multi_region_replicas_keep_their_own_usage() {
    let s = TestServer::new();
    let west = "eu-west-1";
    let key = s.create_key(json!({"MultiRegion": true})).await;
    s.ok("ReplicateKey", json!({"KeyId": key, "ReplicaRegion": west}))
        .await;
    let west_arn = format!("arn:aws:kms:{west}:{ACCOUNT}:key/{key}");
    let (status, v) = s
        .call_raw(
            &s.admin,
            west,
            "Encrypt",
            json!({"KeyId": west_arn, "Plaintext": b64(b"x")})
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(last_usage(&s, &key).await["KeyLastUsage"], json!({}));
    let (_, v) = s
        .call_raw(
            &s.admin,
            west,
            "GetKeyLastUsage",
            json!({"KeyId": key}).to_string().as_bytes(),
        )
        .await;
    assert_eq!(v["KeyLastUsage"]["Operation"], "Encrypt", "{v}");
}

#[tokio::test]
async fn a_restart_keeps_usage_and_a_deleted_key_takes_its_usage_along() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let (kept, doomed, before) = {
        let s = TestServer::open(Arc::clone(&dir));
        let kept = s.create_key(empty()).await;
        let doomed = s.create_key(empty()).await;
        for key in [&kept, &doomed] {
            s.ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"x")}))
                .await;
        }
        assert_eq!(s.state.flush_usage().unwrap(), 2);
        assert_eq!(s.state.flush_usage().unwrap(), 0, "nothing new");
        s.ok(
            "ScheduleKeyDeletion",
            json!({"KeyId": doomed, "PendingWindowInDays": 7}),
        )
        .await;
        s.state.clock.advance(8 * DAY_MS).unwrap();
        assert_eq!(sweep(&s.state).await.unwrap().deleted, 1);
        (kept.clone(), doomed, last_usage(&s, &kept).await)
    };
    let s = TestServer::open(Arc::clone(&dir));
    assert_eq!(last_usage(&s, &kept).await, before);
    assert_eq!(
        s.err("GetKeyLastUsage", json!({"KeyId": doomed})).await,
        "NotFoundException"
    );
    let conn = rusqlite::Connection::open(dir.path().join("kms.sqlite3")).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM key_last_usage", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1, "the deleted key's row went with it");
}

#[tokio::test]
async fn keys_older_than_tracking_report_when_tracking_started() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let (key, created) = {
        let s = TestServer::open(Arc::clone(&dir));
        let v = s.ok("CreateKey", empty()).await;
        (
            v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned(),
            v["KeyMetadata"]["CreationDate"].as_f64().unwrap(),
        )
    };
    // As a data directory from before tracking sees it after an upgrade.
    let start_ms = (created * 1000.0) as i64 + 3 * DAY_MS;
    let conn = rusqlite::Connection::open(dir.path().join("kms.sqlite3")).unwrap();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'usage_tracking_start_ms'",
        [start_ms.to_string()],
    )
    .unwrap();
    drop(conn);
    let s = TestServer::open(dir);
    let u = last_usage(&s, &key).await;
    assert_eq!(u["KeyCreationDate"].as_f64().unwrap(), created);
    assert_eq!(
        u["TrackingStartDate"].as_f64().unwrap(),
        start_ms as f64 / 1000.0
    );
    assert_eq!(u["KeyLastUsage"], json!({}));
}
