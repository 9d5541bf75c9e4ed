//! Imported key material on the test clock, and AWS managed keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use kms_server::handlers::lifecycle::{DAY_MS, sweep};
use rsa::Oaep;
use rsa::pkcs8::DecodePublicKey as _;
use serde_json::{Value, json};

struct Params {
    token: String,
    public: rsa::PublicKey,
}

async fn params(s: &TestServer, key: &str, algorithm: &str) -> Params {
    let v = s
        .ok(
            "GetParametersForImport",
            json!({"KeyId": key, "WrappingAlgorithm": algorithm, "WrappingKeySpec": "RSA_2048"}),
        )
        .await;
    let der = STANDARD.decode(v["PublicKey"].as_str().unwrap()).unwrap();
    let valid_to = v["ParametersValidTo"].as_f64().unwrap();
    let now = s.state.clock.now_ms() as f64 / 1000.0;
    assert!(
        (valid_to - now - 86_400.0).abs() < 60.0,
        "valid for 24 hours"
    );
    Params {
        token: v["ImportToken"].as_str().unwrap().to_owned(),
        public: rsa::PublicKey::from_public_key_der(&der).unwrap(),
    }
}

fn wrap_oaep_sha256(p: &Params, material: &[u8]) -> String {
    let wrapped = p
        .public
        .encrypt(
            &mut getrandom::SysRng,
            Oaep::<sha2::Sha256>::new(),
            material,
        )
        .unwrap();
    STANDARD.encode(wrapped)
}

fn wrap_rsa_aes(p: &Params, material: &[u8]) -> String {
    let aes_key = [7u8; 32];
    let mut out = p
        .public
        .encrypt(
            &mut getrandom::SysRng,
            Oaep::<sha2::Sha256>::new(),
            &aes_key,
        )
        .unwrap();
    let kek = <aes_kw::KwpAes256 as aes_kw::KeyInit>::new(&aes_key.into());
    let mut buf = vec![0u8; material.len().div_ceil(8) * 8 + 8];
    kek.wrap_key(material, &mut buf).unwrap();
    out.extend_from_slice(&buf);
    STANDARD.encode(out)
}

async fn import(
    s: &TestServer,
    key: &str,
    p: &Params,
    wrapped: String,
    extra: Value,
) -> (u16, Value) {
    let mut body = json!({"KeyId": key, "ImportToken": p.token, "EncryptedKeyMaterial": wrapped});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    s.call("ImportKeyMaterial", body).await
}

async fn state_of(s: &TestServer, key: &str) -> Value {
    s.ok("DescribeKey", json!({"KeyId": key})).await["KeyMetadata"].clone()
}

#[tokio::test]
async fn imported_material_encrypts_expires_and_comes_back() {
    let s = TestServer::new();
    let key = s.create_key(json!({"Origin": "EXTERNAL"})).await;
    assert_eq!(state_of(&s, &key).await["KeyState"], "PendingImport");
    let enc = json!({"KeyId": key, "Plaintext": b64(b"imported")});
    assert_eq!(
        s.err("Encrypt", enc.clone()).await,
        "KMSInvalidStateException"
    );

    let material = [0x5au8; 32];
    let p = params(&s, &key, "RSAES_OAEP_SHA_256").await;
    let valid_to = (s.state.clock.now_ms() + 2 * DAY_MS) as f64 / 1000.0;
    let (status, v) = import(
        &s,
        &key,
        &p,
        wrap_oaep_sha256(&p, &material),
        json!({"ValidTo": valid_to, "ExpirationModel": "KEY_MATERIAL_EXPIRES"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["KeyMaterialId"].as_str().unwrap().len(), 64);
    let meta = state_of(&s, &key).await;
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert!((meta["ValidTo"].as_f64().unwrap() - valid_to).abs() < 0.01);
    let blob = s.ok("Encrypt", enc.clone()).await["CiphertextBlob"].clone();

    // Other material never replaces the first.
    let p2 = params(&s, &key, "RSAES_OAEP_SHA_256").await;
    let (_, v) = import(&s, &key, &p2, wrap_oaep_sha256(&p2, &[1u8; 32]), json!({})).await;
    assert_eq!(v["__type"], "IncorrectKeyMaterialException");
    // Material of the wrong size for the key spec.
    let (_, v) = import(&s, &key, &p2, wrap_oaep_sha256(&p2, &[1u8; 16]), json!({})).await;
    assert_eq!(v["__type"], "IncorrectKeyMaterialException");

    // Two days on, the material has expired: the key waits for it again.
    s.state.clock.advance(2 * DAY_MS + 1000).unwrap();
    assert_eq!(sweep(&s.state).await.unwrap().expired, 1);
    assert_eq!(state_of(&s, &key).await["KeyState"], "PendingImport");
    assert_eq!(
        s.err("Decrypt", json!({"CiphertextBlob": blob})).await,
        "KMSInvalidStateException"
    );
    // The token made before has expired too (24 hours).
    let (_, v) = import(&s, &key, &p2, wrap_oaep_sha256(&p2, &material), json!({})).await;
    assert_eq!(v["__type"], "ExpiredImportTokenException");

    // The same material again, without expiry, through AES key wrap.
    let p3 = params(&s, &key, "RSA_AES_KEY_WRAP_SHA_256").await;
    let (status, v) = import(&s, &key, &p3, wrap_rsa_aes(&p3, &material), json!({})).await;
    assert_eq!(status, 200, "{v}");
    let meta = state_of(&s, &key).await;
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    let back = s.ok("Decrypt", json!({"CiphertextBlob": blob})).await;
    assert_eq!(unb64(&back["Plaintext"]), b"imported");

    // Deleted on request, imported again, and it survives a restart.
    s.ok("DeleteImportedKeyMaterial", json!({"KeyId": key}))
        .await;
    assert_eq!(state_of(&s, &key).await["KeyState"], "PendingImport");
    let p4 = params(&s, &key, "RSAES_OAEP_SHA_1").await;
    let wrapped = STANDARD.encode(
        p4.public
            .encrypt(&mut getrandom::SysRng, Oaep::<sha1::Sha1>::new(), &material)
            .unwrap(),
    );
    let (status, v) = import(&s, &key, &p4, wrapped, json!({})).await;
    assert_eq!(status, 200, "{v}");
    let dir = std::sync::Arc::clone(&s.dir);
    drop(s);
    let s = TestServer::open(dir);
    let back = s.ok("Decrypt", json!({"CiphertextBlob": blob})).await;
    assert_eq!(unb64(&back["Plaintext"]), b"imported");
}

#[tokio::test]
async fn import_tokens_and_requests_are_checked() {
    let s = TestServer::new();
    let key = s.create_key(json!({"Origin": "EXTERNAL"})).await;
    let other = s.create_key(json!({"Origin": "EXTERNAL"})).await;
    let kms_key = s.create_key(empty()).await;
    let material = [9u8; 32];
    let p = params(&s, &key, "RSAES_OAEP_SHA_256").await;
    let wrapped = wrap_oaep_sha256(&p, &material);
    // A token for another key, and a tampered token.
    let (_, v) = import(&s, &other, &p, wrapped.clone(), json!({})).await;
    assert_eq!(v["__type"], "InvalidImportTokenException");
    let mut raw = STANDARD.decode(&p.token).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let tampered = Params {
        token: STANDARD.encode(raw),
        public: p.public.clone(),
    };
    let (_, v) = import(&s, &key, &tampered, wrapped.clone(), json!({})).await;
    assert_eq!(v["__type"], "InvalidImportTokenException");
    // Garbage instead of wrapped material is not a padding oracle.
    let (_, v) = import(&s, &key, &p, STANDARD.encode([1u8; 256]), json!({})).await;
    assert_eq!(v["__type"], "InvalidCiphertextException");
    // ValidTo rules.
    let (_, v) = import(
        &s,
        &key,
        &p,
        wrapped.clone(),
        json!({"ExpirationModel": "KEY_MATERIAL_EXPIRES"}),
    )
    .await;
    assert_eq!(v["__type"], "ValidationException");
    let past = (s.state.clock.now_ms() - 1000) as f64 / 1000.0;
    let (_, v) = import(&s, &key, &p, wrapped.clone(), json!({"ValidTo": past})).await;
    assert_eq!(v["__type"], "ValidationException");
    // Not an EXTERNAL key.
    assert_eq!(
        s.err(
            "GetParametersForImport",
            json!({"KeyId": kms_key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"})
        )
        .await,
        "UnsupportedOperationException"
    );
    assert_eq!(
        s.err("DeleteImportedKeyMaterial", json!({"KeyId": kms_key}))
            .await,
        "UnsupportedOperationException"
    );
    // A pending-deletion key takes no material.
    s.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": other, "PendingWindowInDays": 7}),
    )
    .await;
    let (_, v) = import(&s, &other, &p, wrapped, json!({})).await;
    assert_eq!(v["__type"], "KMSInvalidStateException");
}

#[tokio::test]
async fn aws_managed_keys_appear_on_first_use_and_cannot_be_administered() {
    let s = TestServer::new();
    let (a, b) = tokio::join!(
        s.call("DescribeKey", json!({"KeyId": "alias/aws/s3"})),
        s.call(
            "Encrypt",
            json!({"KeyId": "alias/aws/s3", "Plaintext": b64(b"bucket")})
        ),
    );
    assert_eq!(a.0, 200, "{}", a.1);
    assert_eq!(b.0, 200, "{}", b.1);
    let meta = &a.1["KeyMetadata"];
    assert_eq!(meta["KeyManager"], "AWS");
    let key = meta["KeyId"].as_str().unwrap().to_owned();
    assert_eq!(
        b.1["KeyId"],
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"),
        "two first uses at once made one key"
    );
    let aliases = s.ok("ListAliases", empty()).await;
    let managed: Vec<&Value> = aliases["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["AliasName"] == "alias/aws/s3")
        .collect();
    assert_eq!(managed.len(), 1);
    assert_eq!(managed[0]["TargetKeyId"], key.as_str());
    let back = s
        .ok("Decrypt", json!({"CiphertextBlob": b.1["CiphertextBlob"]}))
        .await;
    assert_eq!(unb64(&back["Plaintext"]), b"bucket");
    let status = s.ok("GetKeyRotationStatus", json!({"KeyId": key})).await;
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 365);
    for (op, body) in [
        (
            "ScheduleKeyDeletion",
            json!({"KeyId": key, "PendingWindowInDays": 7}),
        ),
        ("DisableKey", json!({"KeyId": key})),
        ("DisableKeyRotation", json!({"KeyId": key})),
        ("PutKeyPolicy", json!({"KeyId": key, "Policy": "{}"})),
        (
            "UpdateKeyDescription",
            json!({"KeyId": key, "Description": "mine"}),
        ),
    ] {
        assert_eq!(s.err(op, body).await, "AccessDeniedException", "{op}");
    }
    assert_eq!(
        s.err(
            "CreateAlias",
            json!({"AliasName": "alias/aws/mine", "TargetKeyId": key})
        )
        .await,
        "NotAuthorizedException"
    );
    // A year on, it has rotated by itself.
    s.state.clock.advance(366 * DAY_MS).unwrap();
    assert_eq!(sweep(&s.state).await.unwrap().rotated, 1);
    // Other services get their own keys; a malformed service name does not.
    let ebs = s.ok("DescribeKey", json!({"KeyId": "alias/aws/ebs"})).await;
    assert_ne!(ebs["KeyMetadata"]["KeyId"], key.as_str());
    assert_eq!(
        s.err("DescribeKey", json!({"KeyId": "alias/aws/Bad_Name"}))
            .await,
        "NotFoundException"
    );
}

#[tokio::test]
async fn import_conditions_see_the_wrapping_choice_and_the_expiry() {
    let s = TestServer::new();
    let key = s.create_key(json!({"Origin": "EXTERNAL"})).await;
    // Imports must expire within 30 days, and wrapping must use OAEP SHA-256.
    let limit = (s.state.clock.now_ms() + 30 * DAY_MS) / 1000;
    let policy = key_policy(json!([
        root_statement(),
        {"Effect": "Deny", "Principal": "*", "Action": "kms:ImportKeyMaterial", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:ExpirationModel": "KEY_MATERIAL_EXPIRES"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:ImportKeyMaterial", "Resource": "*",
         "Condition": {"NumericGreaterThan": {"kms:ValidTo": limit.to_string()}}},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:GetParametersForImport",
         "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:WrappingAlgorithm": "RSAES_OAEP_SHA_256"}}}]));
    s.put_key_policy(&key, &policy).await;
    let (_, v) = s
        .call(
            "GetParametersForImport",
            json!({"KeyId": key, "WrappingAlgorithm": "RSA_AES_KEY_WRAP_SHA_256",
                   "WrappingKeySpec": "RSA_2048"}),
        )
        .await;
    assert_eq!(v["__type"], "AccessDeniedException", "{v}");
    let p = params(&s, &key, "RSAES_OAEP_SHA_256").await;
    let material = [0x11u8; 32];
    let days = |d: i64| (s.state.clock.now_ms() + d * DAY_MS) as f64 / 1000.0;
    for (extra, why) in [
        (json!({}), "never expires"),
        (
            json!({"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
            "never expires, said so",
        ),
        (json!({"ValidTo": days(60)}), "expires too late"),
    ] {
        let (_, v) = import(&s, &key, &p, wrap_oaep_sha256(&p, &material), extra).await;
        assert_eq!(v["__type"], "AccessDeniedException", "{why}: {v}");
    }
    let (status, v) = import(
        &s,
        &key,
        &p,
        wrap_oaep_sha256(&p, &material),
        json!({"ValidTo": days(20)}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn reimporting_material_the_key_has_changes_its_expiry() {
    let s = TestServer::new();
    let key = s.create_key(json!({"Origin": "EXTERNAL"})).await;
    let material = [0x22u8; 32];
    let p = params(&s, &key, "RSAES_OAEP_SHA_256").await;
    let (status, v) = import(&s, &key, &p, wrap_oaep_sha256(&p, &material), json!({})).await;
    assert_eq!(status, 200, "{v}");
    let first_id = v["KeyMaterialId"].clone();
    let blob = s
        .ok("Encrypt", json!({"KeyId": key, "Plaintext": b64(b"kept")}))
        .await["CiphertextBlob"]
        .clone();
    assert_eq!(
        state_of(&s, &key).await["ExpirationModel"],
        "KEY_MATERIAL_DOES_NOT_EXPIRE"
    );

    // Again, now expiring in three days: accepted, the material unchanged.
    let valid_to = (s.state.clock.now_ms() + 3 * DAY_MS) as f64 / 1000.0;
    let (status, v) = import(
        &s,
        &key,
        &p,
        wrap_oaep_sha256(&p, &material),
        json!({"ValidTo": valid_to}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["KeyMaterialId"], first_id);
    let meta = state_of(&s, &key).await;
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert!((meta["ValidTo"].as_f64().unwrap() - valid_to).abs() < 0.01);
    let back = s.ok("Decrypt", json!({"CiphertextBlob": blob})).await;
    assert_eq!(unb64(&back["Plaintext"]), b"kept");
    // Other material is still refused while this one is there.
    let (_, v) = import(&s, &key, &p, wrap_oaep_sha256(&p, &[3u8; 32]), json!({})).await;
    assert_eq!(v["__type"], "IncorrectKeyMaterialException");
    // And the new expiry is the one that applies.
    s.state.clock.advance(2 * DAY_MS).unwrap();
    assert_eq!(sweep(&s.state).await.unwrap().expired, 0);
    s.state.clock.advance(DAY_MS + 1000).unwrap();
    assert_eq!(sweep(&s.state).await.unwrap().expired, 1);
    assert_eq!(state_of(&s, &key).await["KeyState"], "PendingImport");
}

async fn rotations(s: &TestServer, key: &str, all: bool) -> Vec<Value> {
    let mut body = json!({"KeyId": key});
    if all {
        body["IncludeKeyMaterial"] = json!("ALL_KEY_MATERIAL");
    }
    s.ok("ListKeyRotations", body).await["Rotations"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn imported_material_rotates_on_demand() {
    let s = TestServer::new();
    let key = s.create_key(json!({"Origin": "EXTERNAL"})).await;
    let (a, b, c) = ([0xa1u8; 32], [0xb2u8; 32], [0xc3u8; 32]);
    let p = params(&s, &key, "RSAES_OAEP_SHA_256").await;
    let wrap = |m: &[u8]| wrap_oaep_sha256(&p, m);
    let (status, v) = import(&s, &key, &p, wrap(&a), json!({})).await;
    assert_eq!(status, 200, "{v}");
    let id_a = v["KeyMaterialId"].as_str().unwrap().to_owned();
    assert_eq!(state_of(&s, &key).await["CurrentKeyMaterialId"], id_a);
    let enc = json!({"KeyId": key, "Plaintext": b64(b"under a")});
    let blob_a = s.ok("Encrypt", enc).await["CiphertextBlob"].clone();
    assert_eq!(
        s.err("RotateKeyOnDemand", json!({"KeyId": key})).await,
        "KMSInvalidStateException",
        "nothing pending rotation"
    );

    // New material waits for the rotation.
    let valid_to = (s.state.clock.now_ms() + 10 * DAY_MS) as f64 / 1000.0;
    let (status, v) = import(
        &s,
        &key,
        &p,
        wrap(&b),
        json!({"ImportType": "NEW_KEY_MATERIAL", "KeyMaterialDescription": "second one",
               "ValidTo": valid_to}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let id_b = v["KeyMaterialId"].as_str().unwrap().to_owned();
    assert_ne!(id_a, id_b);
    assert_eq!(state_of(&s, &key).await["CurrentKeyMaterialId"], id_a);
    assert!(rotations(&s, &key, false).await.is_empty());
    let all = rotations(&s, &key, true).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0]["KeyMaterialId"], id_a);
    assert_eq!(all[0]["KeyMaterialState"], "CURRENT");
    assert_eq!(all[0]["ImportState"], "IMPORTED");
    assert_eq!(all[0]["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assert_eq!(all[1]["KeyMaterialId"], id_b);
    assert_eq!(all[1]["KeyMaterialState"], "PENDING_ROTATION");
    assert_eq!(all[1]["KeyMaterialDescription"], "second one");
    assert_eq!(all[1]["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert!((all[1]["ValidTo"].as_f64().unwrap() - valid_to).abs() < 0.01);
    assert!(all[1].get("RotationDate").is_none());
    for (material, extra, expect) in [
        (
            &c,
            json!({"ImportType": "NEW_KEY_MATERIAL"}),
            "KMSInvalidStateException",
        ),
        (
            &a,
            json!({"ImportType": "NEW_KEY_MATERIAL"}),
            "IncorrectKeyMaterialException",
        ),
        (&c, json!({}), "IncorrectKeyMaterialException"),
        (
            &a,
            json!({"ImportType": "NEW_KEY_MATERIAL", "KeyMaterialId": id_a}),
            "ValidationException",
        ),
        (
            &a,
            json!({"KeyMaterialId": id_b}),
            "IncorrectKeyMaterialException",
        ),
        (
            &a,
            json!({"ImportType": "SOMETIMES"}),
            "ValidationException",
        ),
        (
            &a,
            json!({"KeyMaterialDescription": "no <tags>"}),
            "ValidationException",
        ),
    ] {
        let (_, v) = import(&s, &key, &p, wrap(material), extra.clone()).await;
        assert_eq!(v["__type"], expect, "{extra}: {v}");
    }

    // The rotation makes it current; old ciphertexts still decrypt.
    s.ok("RotateKeyOnDemand", json!({"KeyId": key})).await;
    let meta = state_of(&s, &key).await;
    assert_eq!(meta["CurrentKeyMaterialId"], id_b);
    assert_eq!(meta["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    let enc = json!({"KeyId": key, "Plaintext": b64(b"under b")});
    let blob_b = s.ok("Encrypt", enc).await["CiphertextBlob"].clone();
    for (blob, text) in [(&blob_a, &b"under a"[..]), (&blob_b, &b"under b"[..])] {
        let back = s.ok("Decrypt", json!({"CiphertextBlob": blob})).await;
        assert_eq!(unb64(&back["Plaintext"]), text);
    }
    let done = rotations(&s, &key, false).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["KeyMaterialId"], id_b);
    assert_eq!(done[0]["KeyMaterialState"], "CURRENT");
    assert_eq!(done[0]["RotationType"], "ON_DEMAND");
    assert!(done[0]["RotationDate"].is_number());
    assert_eq!(
        rotations(&s, &key, true).await[0]["KeyMaterialState"],
        "NON_CURRENT"
    );

    // Deleting the old material: its ciphertexts wait for it; the key works.
    let v = s
        .ok(
            "DeleteImportedKeyMaterial",
            json!({"KeyId": key, "KeyMaterialId": id_a}),
        )
        .await;
    assert_eq!(v["KeyMaterialId"], id_a);
    assert_eq!(state_of(&s, &key).await["KeyState"], "Enabled");
    assert_eq!(
        s.err("Decrypt", json!({"CiphertextBlob": blob_a})).await,
        "KMSInvalidStateException"
    );
    s.ok("Decrypt", json!({"CiphertextBlob": blob_b})).await;
    assert_eq!(
        rotations(&s, &key, true).await[0]["ImportState"],
        "PENDING_IMPORT"
    );
    let missing = "0".repeat(64);
    assert_eq!(
        s.err(
            "DeleteImportedKeyMaterial",
            json!({"KeyId": key, "KeyMaterialId": missing})
        )
        .await,
        "NotFoundException"
    );
    // It comes back by its id.
    let (status, v) = import(
        &s,
        &key,
        &p,
        wrap(&a),
        json!({"ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": id_a}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let back = s.ok("Decrypt", json!({"CiphertextBlob": blob_a})).await;
    assert_eq!(unb64(&back["Plaintext"]), b"under a");

    // What a restart keeps.
    let dir = std::sync::Arc::clone(&s.dir);
    drop(s);
    let s = TestServer::open(dir);
    assert_eq!(state_of(&s, &key).await["CurrentKeyMaterialId"], id_b);
    assert_eq!(rotations(&s, &key, true).await.len(), 2);

    // The current material expires: the key waits for it.
    s.state.clock.advance(11 * DAY_MS).unwrap();
    assert_eq!(sweep(&s.state).await.unwrap().expired, 1);
    assert_eq!(state_of(&s, &key).await["KeyState"], "PendingImport");
    let all = rotations(&s, &key, true).await;
    assert_eq!(all[1]["ImportState"], "PENDING_IMPORT");
    assert_eq!(all[0]["ImportState"], "IMPORTED");
}

#[tokio::test]
async fn only_single_region_symmetric_keys_take_new_material() {
    let s = TestServer::new();
    let key = s
        .create_key(json!({"Origin": "EXTERNAL", "MultiRegion": true}))
        .await;
    let p = params(&s, &key, "RSAES_OAEP_SHA_256").await;
    let (status, v) = import(&s, &key, &p, wrap_oaep_sha256(&p, &[1u8; 32]), json!({})).await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = import(
        &s,
        &key,
        &p,
        wrap_oaep_sha256(&p, &[2u8; 32]),
        json!({"ImportType": "NEW_KEY_MATERIAL"}),
    )
    .await;
    assert_eq!(v["__type"], "UnsupportedOperationException", "{v}");
    assert_eq!(
        s.err("RotateKeyOnDemand", json!({"KeyId": key})).await,
        "UnsupportedOperationException"
    );
}
