//! Rotation on a clock the test moves, and multi-Region key families.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use kms_server::handlers::lifecycle::{DAY_MS, sweep};
use serde_json::{Value, json};

async fn encrypt(s: &TestServer, region: &str, key: &str, text: &[u8]) -> Value {
    let (status, v) = s
        .call_raw(
            &s.admin,
            region,
            "Encrypt",
            json!({"KeyId": key, "Plaintext": b64(text)})
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v["CiphertextBlob"].clone()
}

async fn decrypt(s: &TestServer, region: &str, key: &str, blob: &Value) -> Vec<u8> {
    let (status, v) = s
        .call_raw(
            &s.admin,
            region,
            "Decrypt",
            json!({"KeyId": key, "CiphertextBlob": blob})
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    unb64(&v["Plaintext"])
}

async fn advance_days(s: &TestServer, days: i64) -> usize {
    s.state.clock.advance(days * DAY_MS).unwrap();
    sweep(&s.state).await.unwrap().rotated
}

#[tokio::test]
async fn scheduled_and_on_demand_rotation_keep_old_ciphertexts_decryptable() {
    let s = TestServer::new();
    let key = s.create_key(empty()).await;
    let status = s.ok("GetKeyRotationStatus", json!({"KeyId": key})).await;
    assert_eq!(status["KeyRotationEnabled"], false);
    let v1 = encrypt(&s, REGION, &key, b"first").await;

    assert_eq!(
        s.err(
            "EnableKeyRotation",
            json!({"KeyId": key, "RotationPeriodInDays": 89})
        )
        .await,
        "ValidationException"
    );
    s.ok("EnableKeyRotation", json!({"KeyId": key})).await;
    let status = s.ok("GetKeyRotationStatus", json!({"KeyId": key})).await;
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 365);
    let next = status["NextRotationDate"].as_f64().unwrap();
    let now = s.state.clock.now_ms() as f64 / 1000.0;
    assert!((next - now - 365.0 * 86400.0).abs() < 60.0, "{next} {now}");

    // Not before a year has passed; then exactly once.
    assert_eq!(advance_days(&s, 364).await, 0);
    assert_eq!(advance_days(&s, 2).await, 1);
    assert_eq!(sweep(&s.state).await.unwrap().rotated, 0);
    let rotations = s.ok("ListKeyRotations", json!({"KeyId": key})).await;
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 1);
    assert_eq!(rotations["Rotations"][0]["RotationType"], "AUTOMATIC");
    assert_eq!(rotations["Rotations"][0]["KeyMaterialState"], "CURRENT");

    let v2 = encrypt(&s, REGION, &key, b"second").await;
    assert_ne!(v1, v2);
    assert_eq!(decrypt(&s, REGION, &key, &v1).await, b"first");
    assert_eq!(decrypt(&s, REGION, &key, &v2).await, b"second");

    s.ok("RotateKeyOnDemand", json!({"KeyId": key})).await;
    let v3 = encrypt(&s, REGION, &key, b"third").await;
    for (blob, text) in [(&v1, &b"first"[..]), (&v2, b"second"), (&v3, b"third")] {
        assert_eq!(decrypt(&s, REGION, &key, blob).await, text);
    }
    let rotations = s.ok("ListKeyRotations", json!({"KeyId": key})).await;
    let types: Vec<&str> = rotations["Rotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RotationType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["AUTOMATIC", "ON_DEMAND"]);
    let all = s
        .ok(
            "ListKeyRotations",
            json!({"KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL", "Limit": 2}),
        )
        .await;
    assert_eq!(all["Rotations"].as_array().unwrap().len(), 2);
    assert_eq!(all["Truncated"], true);
    assert!(
        all["Rotations"][0].get("RotationDate").is_none(),
        "the first material"
    );
    let rest = s
        .ok(
            "ListKeyRotations",
            json!({"KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL", "Marker": all["NextMarker"]}),
        )
        .await;
    assert_eq!(rest["Rotations"][0]["KeyMaterialState"], "CURRENT");

    // Disabled rotation stays disabled through a year; a restart keeps it all.
    s.ok("DisableKeyRotation", json!({"KeyId": key})).await;
    assert_eq!(advance_days(&s, 400).await, 0);
    let dir = Arc::clone(&s.dir);
    drop(s);
    let s = TestServer::open(dir);
    assert_eq!(decrypt(&s, REGION, &key, &v1).await, b"first");
    let rotations = s.ok("ListKeyRotations", json!({"KeyId": key})).await;
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.ok("GetKeyRotationStatus", json!({"KeyId": key})).await["KeyRotationEnabled"],
        false
    );
}

#[tokio::test]
async fn only_symmetric_kms_keys_rotate_and_disabled_keys_wait() {
    let s = TestServer::new();
    let signing = s
        .create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}))
        .await;
    let external = s.create_key(json!({"Origin": "EXTERNAL"})).await;
    assert_eq!(
        s.err("EnableKeyRotation", json!({"KeyId": signing})).await,
        "UnsupportedOperationException"
    );
    assert_eq!(
        s.err("RotateKeyOnDemand", json!({"KeyId": signing})).await,
        "UnsupportedOperationException"
    );
    assert_ne!(
        s.err("EnableKeyRotation", json!({"KeyId": external})).await,
        "ok"
    );
    let key = s.create_key(empty()).await;
    s.ok(
        "EnableKeyRotation",
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    )
    .await;
    s.ok("DisableKey", json!({"KeyId": key})).await;
    assert_eq!(advance_days(&s, 91).await, 0, "disabled keys do not rotate");
    assert_eq!(
        s.err("RotateKeyOnDemand", json!({"KeyId": key})).await,
        "DisabledException"
    );
    s.ok("EnableKey", json!({"KeyId": key})).await;
    assert_eq!(
        sweep(&s.state).await.unwrap().rotated,
        1,
        "overdue once re-enabled"
    );
}

#[tokio::test]
async fn multi_region_replicas_share_material_and_rotation() {
    let s = TestServer::new();
    let west = "eu-west-1";
    let v = s.ok("CreateKey", json!({"MultiRegion": true})).await;
    let key = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    assert!(key.starts_with("mrk-"));
    assert_eq!(
        v["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "PRIMARY"
    );
    let east_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}");
    let west_arn = format!("arn:aws:kms:{west}:{ACCOUNT}:key/{key}");
    let before = encrypt(&s, REGION, &key, b"from the east").await;

    let v = s
        .ok(
            "ReplicateKey",
            json!({"KeyId": key, "ReplicaRegion": west, "Description": "west copy",
                   "Tags": [{"TagKey": "site", "TagValue": "dublin"}]}),
        )
        .await;
    let meta = &v["ReplicaKeyMetadata"];
    assert_eq!(meta["Arn"], west_arn.as_str());
    assert_eq!(
        meta["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
    assert_eq!(
        meta["MultiRegionConfiguration"]["PrimaryKey"]["Region"],
        REGION
    );
    assert_eq!(v["ReplicaTags"][0]["TagValue"], "dublin");
    let d = s.ok("DescribeKey", json!({"KeyId": key})).await;
    assert_eq!(
        d["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"][0]["Arn"],
        west_arn.as_str()
    );
    assert_eq!(
        s.err("ReplicateKey", json!({"KeyId": key, "ReplicaRegion": west}))
            .await,
        "AlreadyExistsException"
    );
    assert_eq!(
        s.err(
            "ReplicateKey",
            json!({"KeyId": key, "ReplicaRegion": REGION})
        )
        .await,
        "AlreadyExistsException"
    );
    let single = s.create_key(empty()).await;
    assert_eq!(
        s.err(
            "ReplicateKey",
            json!({"KeyId": single, "ReplicaRegion": west})
        )
        .await,
        "UnsupportedOperationException"
    );

    // A ciphertext of one region decrypts in the other, both ways.
    assert_eq!(
        decrypt(&s, west, &west_arn, &before).await,
        b"from the east"
    );
    let from_west = encrypt(&s, west, &west_arn, b"from the west").await;
    assert_eq!(
        decrypt(&s, REGION, &east_arn, &from_west).await,
        b"from the west"
    );

    // Rotation is the primary's and reaches the replica.
    let (_, v) = s
        .call_raw(
            &s.admin,
            west,
            "EnableKeyRotation",
            json!({"KeyId": west_arn}).to_string().as_bytes(),
        )
        .await;
    assert_eq!(v["__type"], "UnsupportedOperationException");
    s.ok(
        "EnableKeyRotation",
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    )
    .await;
    assert_eq!(advance_days(&s, 91).await, 1);
    let rotated_west = encrypt(&s, west, &west_arn, b"after rotation").await;
    assert_eq!(
        decrypt(&s, REGION, &east_arn, &rotated_west).await,
        b"after rotation"
    );
    assert_eq!(
        decrypt(&s, west, &west_arn, &before).await,
        b"from the east"
    );
    let (_, status) = s
        .call_raw(
            &s.admin,
            west,
            "GetKeyRotationStatus",
            json!({"KeyId": west_arn}).to_string().as_bytes(),
        )
        .await;
    assert_eq!(status["KeyRotationEnabled"], true);

    // The primary cannot be deleted while it has replicas; after the
    // primary region moves, the old primary is a replica and can be.
    assert_eq!(
        s.err(
            "ScheduleKeyDeletion",
            json!({"KeyId": key, "PendingWindowInDays": 7})
        )
        .await,
        "KMSInvalidStateException"
    );
    s.ok(
        "UpdatePrimaryRegion",
        json!({"KeyId": key, "PrimaryRegion": west}),
    )
    .await;
    let d = s.ok("DescribeKey", json!({"KeyId": key})).await;
    assert_eq!(
        d["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
    assert_eq!(
        d["KeyMetadata"]["MultiRegionConfiguration"]["PrimaryKey"]["Arn"],
        west_arn.as_str()
    );
    s.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": key, "PendingWindowInDays": 7}),
    )
    .await;
    s.state.clock.advance(8 * DAY_MS).unwrap();
    assert_eq!(sweep(&s.state).await.unwrap().deleted, 1);
    let (_, d) = s
        .call_raw(
            &s.admin,
            west,
            "DescribeKey",
            json!({"KeyId": west_arn}).to_string().as_bytes(),
        )
        .await;
    assert_eq!(
        d["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"],
        json!([]),
        "the deleted replica left the family"
    );
    assert_eq!(
        decrypt(&s, west, &west_arn, &before).await,
        b"from the east"
    );
}
