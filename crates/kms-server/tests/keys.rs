//! Key lifecycle: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription,
//! EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.

mod common;

use common::*;
use kms_server::handlers::lifecycle::DAY_MS;
use serde_json::json;

#[tokio::test]
async fn create_key_defaults_to_symmetric_encrypt_decrypt() {
    let s = TestServer::new();
    let v = s.ok("CreateKey", json!({"Description": "demo"})).await;
    let m = &v["KeyMetadata"];
    let id = m["KeyId"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(m["Arn"], format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}"));
    assert_eq!(m["AWSAccountId"], ACCOUNT);
    assert_eq!(m["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(m["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(m["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Enabled"], true);
    assert_eq!(m["Origin"], "AWS_KMS");
    assert_eq!(m["KeyManager"], "CUSTOMER");
    assert_eq!(m["Description"], "demo");
    assert_eq!(m["MultiRegion"], false);
    assert_eq!(m["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert!(m["CreationDate"].as_f64().unwrap() > 1.7e9);
    assert!(m.get("SigningAlgorithms").is_none());
}

#[tokio::test]
async fn create_key_for_every_supported_spec_with_default_usage() {
    let s = TestServer::new();
    for (spec, usage, field) in [
        ("RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms"),
        ("ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms"),
        ("ECC_NIST_P384", "SIGN_VERIFY", "SigningAlgorithms"),
        ("ECC_NIST_P521", "SIGN_VERIFY", "SigningAlgorithms"),
        ("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms"),
        ("HMAC_224", "GENERATE_VERIFY_MAC", "MacAlgorithms"),
        ("HMAC_256", "GENERATE_VERIFY_MAC", "MacAlgorithms"),
        ("HMAC_384", "GENERATE_VERIFY_MAC", "MacAlgorithms"),
        ("HMAC_512", "GENERATE_VERIFY_MAC", "MacAlgorithms"),
    ] {
        let v = s.ok("CreateKey", json!({"KeySpec": spec})).await;
        let m = &v["KeyMetadata"];
        assert_eq!(m["KeySpec"], spec);
        assert_eq!(m["KeyUsage"], usage, "{spec}");
        assert!(m[field].is_array(), "{spec} lacks {field}: {m}");
    }
    let v = s
        .ok(
            "CreateKey",
            json!({"KeySpec": "RSA_3072", "KeyUsage": "SIGN_VERIFY"}),
        )
        .await;
    assert_eq!(
        v["KeyMetadata"]["SigningAlgorithms"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let v = s
        .ok(
            "CreateKey",
            json!({"CustomerMasterKeySpec": "ECC_NIST_P256"}),
        )
        .await;
    assert_eq!(v["KeyMetadata"]["KeySpec"], "ECC_NIST_P256");
}

#[tokio::test]
async fn create_key_rejects_incompatible_or_unsupported_requests() {
    let s = TestServer::new();
    assert_eq!(
        s.err(
            "CreateKey",
            json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "ENCRYPT_DECRYPT"})
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        s.err(
            "CreateKey",
            json!({"KeySpec": "HMAC_256", "KeyUsage": "SIGN_VERIFY"})
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        s.err(
            "CreateKey",
            json!({"KeySpec": "RSA_2048", "CustomerMasterKeySpec": "RSA_2048"})
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        s.err("CreateKey", json!({"KeySpec": "SM2"})).await,
        "UnsupportedOperationException"
    );
    assert_eq!(
        s.err("CreateKey", json!({"Origin": "AWS_CLOUDHSM"})).await,
        "UnsupportedOperationException"
    );
    assert_eq!(
        s.err("CreateKey", json!({"Policy": "not json"})).await,
        "MalformedPolicyDocumentException"
    );
    assert_eq!(
        s.err(
            "CreateKey",
            json!({"Tags": [{"TagKey": "aws:x", "TagValue": "1"}]})
        )
        .await,
        "TagException"
    );
}

#[tokio::test]
async fn multi_region_keys_get_mrk_ids() {
    let s = TestServer::new();
    let v = s.ok("CreateKey", json!({"MultiRegion": true})).await;
    let m = &v["KeyMetadata"];
    let id = m["KeyId"].as_str().unwrap();
    assert!(id.starts_with("mrk-") && id.len() == 36, "{id}");
    assert_eq!(m["MultiRegion"], true);
    assert_eq!(
        m["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "PRIMARY"
    );
}

#[tokio::test]
async fn external_origin_keys_wait_for_import() {
    let s = TestServer::new();
    let v = s.ok("CreateKey", json!({"Origin": "EXTERNAL"})).await;
    let m = &v["KeyMetadata"];
    assert_eq!(m["KeyState"], "PendingImport");
    assert_eq!(m["Enabled"], false);
    assert_eq!(m["Origin"], "EXTERNAL");
    let id = m["KeyId"].as_str().unwrap();
    assert_eq!(
        s.err("Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}))
            .await,
        "KMSInvalidStateException"
    );
    assert_eq!(
        s.err("EnableKey", json!({"KeyId": id})).await,
        "KMSInvalidStateException"
    );
}

#[tokio::test]
async fn describe_key_accepts_every_identifier_form() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id}),
    )
    .await;
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}");
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app");
    for form in [id.as_str(), arn.as_str(), "alias/app", alias_arn.as_str()] {
        let v = s.ok("DescribeKey", json!({"KeyId": form})).await;
        assert_eq!(v["KeyMetadata"]["KeyId"], id.as_str(), "{form}");
    }
}

#[tokio::test]
async fn describe_key_not_found_and_bad_arns() {
    let s = TestServer::new();
    for missing in [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/nothing",
        "not-a-key-id",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ] {
        assert_eq!(
            s.err("DescribeKey", json!({"KeyId": missing})).await,
            "NotFoundException",
            "{missing}"
        );
    }
    assert_eq!(
        s.err("DescribeKey", json!({"KeyId": "arn:aws:kms:nope"}))
            .await,
        "InvalidArnException"
    );
}

#[tokio::test]
async fn keys_are_scoped_by_account_and_region() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    let (_, v) = s
        .call_raw(
            &s.admin,
            "eu-west-1",
            "DescribeKey",
            json!({"KeyId": id}).to_string().as_bytes(),
        )
        .await;
    assert_eq!(v["__type"], "NotFoundException");
    let (_, v) = s
        .call_raw(&TestServer::other(), REGION, "ListKeys", b"{}")
        .await;
    assert_eq!(v["Keys"], json!([]));
    let (status, v) = s.call_raw(&s.admin, "eu-west-1", "CreateKey", b"{}").await;
    assert_eq!(status, 200);
    assert!(
        v["KeyMetadata"]["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:kms:eu-west-1:")
    );
}

#[tokio::test]
async fn list_keys_pages_with_markers() {
    let s = TestServer::new();
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(s.create_key(empty()).await);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut body = json!({"Limit": 2});
        if let Some(m) = &marker {
            body["Marker"] = json!(m);
        }
        let v = s.ok("ListKeys", body).await;
        for k in v["Keys"].as_array().unwrap() {
            assert!(
                k["KeyArn"]
                    .as_str()
                    .unwrap()
                    .ends_with(k["KeyId"].as_str().unwrap())
            );
            seen.push(k["KeyId"].as_str().unwrap().to_owned());
        }
        if v["Truncated"] == true {
            marker = Some(v["NextMarker"].as_str().unwrap().to_owned());
        } else {
            assert!(v.get("NextMarker").is_none());
            break;
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(
        s.err("ListKeys", json!({"Limit": 1001})).await,
        "ValidationException"
    );
}

#[tokio::test]
async fn update_description_enable_and_disable() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    s.ok(
        "UpdateKeyDescription",
        json!({"KeyId": id, "Description": "new"}),
    )
    .await;
    s.ok("DisableKey", json!({"KeyId": id})).await;
    let v = s.ok("DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(v["KeyMetadata"]["Description"], "new");
    assert_eq!(v["KeyMetadata"]["KeyState"], "Disabled");
    assert_eq!(v["KeyMetadata"]["Enabled"], false);
    assert_eq!(
        s.err(
            "GenerateDataKey",
            json!({"KeyId": id, "KeySpec": "AES_256"})
        )
        .await,
        "DisabledException"
    );
    s.ok("EnableKey", json!({"KeyId": id})).await;
    let v = s.ok("DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(v["KeyMetadata"]["KeyState"], "Enabled");
    assert_eq!(
        s.err(
            "EnableKey",
            json!({"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"})
        )
        .await,
        "NotFoundException"
    );
    assert_eq!(
        s.err("UpdateKeyDescription", json!({"KeyId": id})).await,
        "ValidationException"
    );
}

#[tokio::test]
async fn schedule_and_cancel_key_deletion() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    let v = s.ok("ScheduleKeyDeletion", json!({"KeyId": id})).await;
    assert_eq!(v["KeyState"], "PendingDeletion");
    assert_eq!(v["PendingWindowInDays"], 30);
    assert!(v["KeyId"].as_str().unwrap().starts_with("arn:aws:kms:"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let days = (v["DeletionDate"].as_f64().unwrap() - now) / 86400.0;
    assert!((days - 30.0).abs() < 0.01, "{days}");

    let d = s.ok("DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(d["KeyMetadata"]["KeyState"], "PendingDeletion");
    assert_eq!(d["KeyMetadata"]["PendingDeletionWindowInDays"], 30);
    assert!(d["KeyMetadata"]["DeletionDate"].is_number());
    for (op, body) in [
        ("Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")})),
        ("EnableKey", json!({"KeyId": id})),
        ("DisableKey", json!({"KeyId": id})),
        ("ScheduleKeyDeletion", json!({"KeyId": id})),
        (
            "UpdateKeyDescription",
            json!({"KeyId": id, "Description": "x"}),
        ),
    ] {
        assert_eq!(s.err(op, body).await, "KMSInvalidStateException", "{op}");
    }

    let v = s.ok("CancelKeyDeletion", json!({"KeyId": id})).await;
    assert!(v["KeyId"].as_str().unwrap().ends_with(&id));
    let d = s.ok("DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(d["KeyMetadata"]["KeyState"], "Disabled");
    assert!(d["KeyMetadata"].get("DeletionDate").is_none());
    assert_eq!(
        s.err("CancelKeyDeletion", json!({"KeyId": id})).await,
        "KMSInvalidStateException"
    );
}

#[tokio::test]
async fn pending_window_must_be_seven_to_thirty_days() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    for bad in [6, 31] {
        assert_eq!(
            s.err(
                "ScheduleKeyDeletion",
                json!({"KeyId": id, "PendingWindowInDays": bad})
            )
            .await,
            "ValidationException"
        );
    }
    let v = s
        .ok(
            "ScheduleKeyDeletion",
            json!({"KeyId": id, "PendingWindowInDays": 7}),
        )
        .await;
    assert_eq!(v["PendingWindowInDays"], 7);
}

#[tokio::test]
async fn keys_past_their_deletion_date_disappear_and_are_purged() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    let materials = || {
        let db =
            rusqlite::Connection::open(s.path().join(kms_server::state::DATABASE_FILE)).unwrap();
        db.query_row(
            "SELECT COUNT(*) FROM key_materials WHERE key_id = ?1",
            [&id],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
    };
    assert_eq!(materials(), 1);
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/doomed", "TargetKeyId": id}),
    )
    .await;
    s.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    )
    .await;
    // Six days on, the key is still there, pending deletion.
    s.state.clock.advance(6 * DAY_MS).unwrap();
    let v = s.ok("DescribeKey", json!({"KeyId": id})).await;
    assert_eq!(v["KeyMetadata"]["KeyState"], "PendingDeletion");
    // Seven days and a second: gone for every purpose, then removed.
    s.state.clock.advance(DAY_MS + 1000).unwrap();
    assert_eq!(
        s.err("DescribeKey", json!({"KeyId": id})).await,
        "NotFoundException"
    );
    assert_eq!(s.ok("ListKeys", empty()).await["Keys"], json!([]));
    let report = kms_server::handlers::lifecycle::sweep(&s.state)
        .await
        .unwrap();
    assert_eq!(report.deleted, 1);
    assert_eq!(s.ok("ListAliases", empty()).await["Aliases"], json!([]));
    // The material is destroyed in the store, not only out of view.
    assert_eq!(materials(), 0);
}
