//! What a restart keeps: keys, material, aliases, tags, states, credentials.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;

#[tokio::test]
async fn a_reopened_store_decrypts_old_ciphertexts_and_keeps_everything() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let (blob, signature, key_id, ecc_id, access_key_id) = {
        let s = TestServer::open(Arc::clone(&dir));
        let key_id = s
            .create_key(json!({"Description": "kept", "Tags": [{"TagKey": "t", "TagValue": "v"}]}))
            .await;
        s.ok(
            "CreateAlias",
            json!({"AliasName": "alias/kept", "TargetKeyId": key_id}),
        )
        .await;
        let blob = s
            .ok(
                "Encrypt",
                json!({"KeyId": "alias/kept", "Plaintext": b64(b"survives"), "EncryptionContext": {"c": "1"}}),
            )
            .await["CiphertextBlob"]
            .clone();
        let ecc_id = s.create_key(json!({"KeySpec": "ECC_NIST_P384"})).await;
        let signature = s
            .ok(
                "Sign",
                json!({"KeyId": ecc_id, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_384"}),
            )
            .await["Signature"]
            .clone();
        let doomed = s.create_key(empty()).await;
        s.ok(
            "ScheduleKeyDeletion",
            json!({"KeyId": doomed, "PendingWindowInDays": 9}),
        )
        .await;
        (
            blob,
            signature,
            key_id,
            ecc_id,
            s.admin.access_key_id().to_owned(),
        )
    };

    let s = TestServer::open(dir);
    assert_eq!(s.admin.access_key_id(), access_key_id, "credentials reused");
    let d = s
        .ok(
            "Decrypt",
            json!({"CiphertextBlob": blob, "EncryptionContext": {"c": "1"}}),
        )
        .await;
    assert_eq!(unb64(&d["Plaintext"]), b"survives");
    s.ok(
        "Verify",
        json!({"KeyId": ecc_id, "Message": b64(b"m"), "Signature": signature, "SigningAlgorithm": "ECDSA_SHA_384"}),
    )
    .await;
    let v = s.ok("DescribeKey", json!({"KeyId": "alias/kept"})).await;
    assert_eq!(v["KeyMetadata"]["KeyId"], key_id.as_str());
    assert_eq!(v["KeyMetadata"]["Description"], "kept");
    let tags = s.ok("ListResourceTags", json!({"KeyId": key_id})).await;
    assert_eq!(tags["Tags"], json!([{"TagKey": "t", "TagValue": "v"}]));
    let keys = s.ok("ListKeys", empty()).await;
    assert_eq!(keys["Keys"].as_array().unwrap().len(), 3);
    let pending: Vec<_> = {
        let mut out = Vec::new();
        for k in keys["Keys"].as_array().unwrap() {
            let d = s.ok("DescribeKey", json!({"KeyId": k["KeyId"]})).await;
            if d["KeyMetadata"]["KeyState"] == "PendingDeletion" {
                out.push(d["KeyMetadata"]["PendingDeletionWindowInDays"].clone());
            }
        }
        out
    };
    assert_eq!(pending, vec![json!(9)]);
}

#[test]
fn key_material_is_not_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = Arc::new(dir);
    let key_bytes = rt.block_on(async {
        let s = TestServer::open(Arc::clone(&dir));
        let id = s.create_key(json!({"KeySpec": "HMAC_256"})).await;
        let scope = kms_server::store::Scope::new(ACCOUNT, REGION);
        let entry = s.state.registry.key(&scope, &id).unwrap();
        let (_, material) = entry.current_material().unwrap();
        material.to_bytes().unwrap().to_vec()
    });
    let mut db = std::fs::read(dir.path().join("kms.sqlite3")).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("kms.sqlite3-wal")) {
        db.extend_from_slice(&wal);
    }
    assert!(
        !db.windows(key_bytes.len())
            .any(|w| w == key_bytes.as_slice()),
        "raw key material found in the database"
    );
}

#[test]
fn a_wrong_root_key_refuses_to_start() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = TestServer::open(Arc::clone(&dir));
        s.create_key(empty()).await;
    });
    let path = dir.path().join("root.key");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let result = kms_server::state::AppState::open(
        dir.path(),
        ACCOUNT,
        REGION,
        Vec::new(),
        kms_server::state::ServerOptions {
            quotas_enabled: false,
            ..Default::default()
        },
    );
    assert!(result.is_err());
}
