//! ECC_NIST_EDWARDS25519 and ML_DSA_44/65/87 keys through the API: CreateKey,
//! DescribeKey, GetPublicKey, Sign/Verify with every message type, data key
//! pairs, import, persistence, quotas and policy conditions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};

const NEW_SPECS: [(&str, &[&str]); 4] = [
    (
        "ECC_NIST_EDWARDS25519",
        &["ED25519_SHA_512", "ED25519_PH_SHA_512"],
    ),
    ("ML_DSA_44", &["ML_DSA_SHAKE_256"]),
    ("ML_DSA_65", &["ML_DSA_SHAKE_256"]),
    ("ML_DSA_87", &["ML_DSA_SHAKE_256"]),
];

fn sign_body(key: &str, algorithm: &str, message_type: &str, message: &[u8]) -> Value {
    json!({"KeyId": key, "SigningAlgorithm": algorithm, "MessageType": message_type,
           "Message": b64(message)})
}

async fn sign(s: &TestServer, key: &str, algorithm: &str, message_type: &str, m: &[u8]) -> Value {
    s.ok("Sign", sign_body(key, algorithm, message_type, m))
        .await["Signature"]
        .clone()
}

async fn verify(
    s: &TestServer,
    key: &str,
    algorithm: &str,
    message_type: &str,
    message: &[u8],
    signature: &Value,
) -> (u16, Value) {
    let mut body = sign_body(key, algorithm, message_type, message);
    body["Signature"] = signature.clone();
    s.call("Verify", body).await
}

fn spki_oid_and_key(der: &[u8]) -> (String, Vec<u8>) {
    let info = spki::SubjectPublicKeyInfoRef::try_from(der).unwrap();
    assert!(info.algorithm.parameters.is_none());
    (
        info.algorithm.oid.to_string(),
        info.subject_public_key.as_bytes().unwrap().to_vec(),
    )
}

#[tokio::test]
async fn create_describe_and_get_public_key() {
    let s = TestServer::with_quotas(&[("CreateKey", 100.0)]);
    for (spec, algorithms) in NEW_SPECS {
        let v = s.ok("CreateKey", json!({"KeySpec": spec})).await;
        let m = &v["KeyMetadata"];
        assert_eq!(m["KeyUsage"], "SIGN_VERIFY", "the default and only usage");
        assert_eq!(m["KeySpec"], spec);
        assert_eq!(m["CustomerMasterKeySpec"], spec);
        assert_eq!(m["SigningAlgorithms"], json!(algorithms));
        assert!(m.get("EncryptionAlgorithms").is_none(), "{m}");
        let id = m["KeyId"].as_str().unwrap().to_owned();
        let d = s.ok("DescribeKey", json!({"KeyId": id})).await;
        assert_eq!(d["KeyMetadata"]["SigningAlgorithms"], json!(algorithms));

        let p = s.ok("GetPublicKey", json!({"KeyId": id})).await;
        assert_eq!(p["KeySpec"], spec);
        assert_eq!(p["KeyUsage"], "SIGN_VERIFY");
        assert_eq!(p["SigningAlgorithms"], json!(algorithms));
        let (oid, raw) = spki_oid_and_key(&unb64(&p["PublicKey"]));
        let (want_oid, want_len) = match spec {
            "ECC_NIST_EDWARDS25519" => ("1.3.101.112", 32),
            "ML_DSA_44" => ("2.16.840.1.101.3.4.3.17", 1312),
            "ML_DSA_65" => ("2.16.840.1.101.3.4.3.18", 1952),
            _ => ("2.16.840.1.101.3.4.3.19", 2592),
        };
        assert_eq!((oid.as_str(), raw.len()), (want_oid, want_len), "{spec}");

        // The deprecated CustomerMasterKeySpec enum does not have them.
        let (status, v) = s
            .call("CreateKey", json!({"CustomerMasterKeySpec": spec}))
            .await;
        assert_eq!(status, 400);
        assert_eq!(v["__type"], "ValidationException");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("customerMasterKeySpec"),
            "{v}"
        );
        for usage in ["ENCRYPT_DECRYPT", "KEY_AGREEMENT", "GENERATE_VERIFY_MAC"] {
            assert_eq!(
                s.err("CreateKey", json!({"KeySpec": spec, "KeyUsage": usage}))
                    .await,
                "ValidationException",
                "{spec} {usage}"
            );
        }
        // Multi-Region keys of these specs exist in AWS too.
        let v = s
            .ok("CreateKey", json!({"KeySpec": spec, "MultiRegion": true}))
            .await;
        let mrk = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
        assert!(mrk.starts_with("mrk-"), "{mrk}");
        let sig = sign(&s, &mrk, algorithms[0], "RAW", b"multi-region").await;
        let (status, v) = verify(&s, &mrk, algorithms[0], "RAW", b"multi-region", &sig).await;
        assert_eq!(status, 200, "{v}");
    }
}

#[tokio::test]
async fn ed25519_sign_and_verify_over_the_api() {
    let s = TestServer::new();
    let key = s
        .create_key(json!({"KeySpec": "ECC_NIST_EDWARDS25519", "KeyUsage": "SIGN_VERIFY"}))
        .await;
    let public = s.ok("GetPublicKey", json!({"KeyId": key})).await;
    let (_, raw) = spki_oid_and_key(&unb64(&public["PublicKey"]));
    let client = ed25519_dalek::VerifyingKey::from_bytes(&raw.try_into().unwrap()).unwrap();

    let message = b"signed by kms-server with Ed25519";
    let sig = sign(&s, &key, "ED25519_SHA_512", "RAW", message).await;
    let bytes = unb64(&sig);
    assert_eq!(bytes.len(), 64);
    let signature = ed25519_dalek::Signature::from_slice(&bytes).unwrap();
    client.verify_strict(message, &signature).unwrap();
    let v = verify(&s, &key, "ED25519_SHA_512", "RAW", message, &sig).await;
    assert_eq!(v.0, 200, "{}", v.1);
    assert_eq!(v.1["SignatureValid"], true);
    assert_eq!(v.1["SigningAlgorithm"], "ED25519_SHA_512");
    // MessageType defaults to RAW.
    let (status, _) = s
        .call(
            "Verify",
            json!({"KeyId": key, "SigningAlgorithm": "ED25519_SHA_512",
                   "Message": b64(message), "Signature": sig}),
        )
        .await;
    assert_eq!(status, 200);

    let digest = Sha512::digest(message);
    let ph = sign(&s, &key, "ED25519_PH_SHA_512", "DIGEST", &digest).await;
    let v = verify(&s, &key, "ED25519_PH_SHA_512", "DIGEST", &digest, &ph).await;
    assert_eq!(v.0, 200, "{}", v.1);
    let ph_signature = ed25519_dalek::Signature::from_slice(&unb64(&ph)).unwrap();
    client
        .verify_prehashed_strict(Sha512::new().chain_update(digest), None, &ph_signature)
        .unwrap();
    let mut flipped = unb64(&ph);
    flipped[10] ^= 0x04;
    let v = verify(
        &s,
        &key,
        "ED25519_PH_SHA_512",
        "DIGEST",
        &digest,
        &json!(b64(&flipped)),
    )
    .await;
    assert_eq!(v.1["__type"], "KMSInvalidSignatureException");

    for (algorithm, message_type, len) in [
        ("ED25519_SHA_512", "DIGEST", 64),
        ("ED25519_SHA_512", "EXTERNAL_MU", 64),
        ("ED25519_PH_SHA_512", "RAW", 64),
        ("ED25519_PH_SHA_512", "EXTERNAL_MU", 64),
        ("ED25519_PH_SHA_512", "DIGEST", 32),
    ] {
        let body = sign_body(&key, algorithm, message_type, &vec![1u8; len]);
        assert_eq!(
            s.err("Sign", body).await,
            "ValidationException",
            "{algorithm} {message_type} {len}"
        );
    }
    for algorithm in ["ECDSA_SHA_256", "ML_DSA_SHAKE_256", "RSASSA_PSS_SHA_256"] {
        assert_eq!(
            s.err("Sign", sign_body(&key, algorithm, "RAW", b"m")).await,
            "InvalidKeyUsageException"
        );
    }
}

#[tokio::test]
async fn ml_dsa_sign_and_verify_over_the_api() {
    let s = TestServer::new();
    let key = s.create_key(json!({"KeySpec": "ML_DSA_65"})).await;
    let message = b"signed by kms-server with ML-DSA-65";
    let sig = sign(&s, &key, "ML_DSA_SHAKE_256", "RAW", message).await;
    assert_eq!(unb64(&sig).len(), 3309);
    let v = verify(&s, &key, "ML_DSA_SHAKE_256", "RAW", message, &sig).await;
    assert_eq!(v.0, 200, "{}", v.1);
    assert_eq!(v.1["SigningAlgorithm"], "ML_DSA_SHAKE_256");

    // The client's own μ from the public key and the message (FIPS 204
    // section 6.2, empty context), with the ml-dsa crate.
    let public = s.ok("GetPublicKey", json!({"KeyId": key})).await;
    let (_, raw) = spki_oid_and_key(&unb64(&public["PublicKey"]));
    let encoded = ml_dsa::EncodedVerifyingKey::<ml_dsa::MlDsa65>::try_from(raw.as_slice()).unwrap();
    let vk = ml_dsa::VerifyingKey::<ml_dsa::MlDsa65>::decode(&encoded);
    let decoded = ml_dsa::Signature::<ml_dsa::MlDsa65>::try_from(unb64(&sig).as_slice()).unwrap();
    assert!(vk.verify_with_context(message, &[], &decoded));
    let mu = vk
        .compute_mu(
            |h| {
                ml_dsa::signature::digest::Update::update(h, message);
                Ok(())
            },
            &[],
        )
        .unwrap()
        .to_vec();
    let from_mu = sign(&s, &key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", &mu).await;
    let v = verify(&s, &key, "ML_DSA_SHAKE_256", "RAW", message, &from_mu).await;
    assert_eq!(v.0, 200, "a signature of mu is one of the message: {}", v.1);
    let v = verify(&s, &key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", &mu, &sig).await;
    assert_eq!(v.0, 200, "{}", v.1);
    let v = verify(&s, &key, "ML_DSA_SHAKE_256", "RAW", b"another", &sig).await;
    assert_eq!(v.1["__type"], "KMSInvalidSignatureException");

    for (message_type, len) in [
        ("DIGEST", 32),
        ("DIGEST", 64),
        ("EXTERNAL_MU", 32),
        ("EXTERNAL_MU", 65),
    ] {
        let body = sign_body(&key, "ML_DSA_SHAKE_256", message_type, &vec![1u8; len]);
        assert_eq!(
            s.err("Sign", body).await,
            "ValidationException",
            "{message_type} {len}"
        );
    }
    // EXTERNAL_MU is ML-DSA's alone.
    let ecc = s
        .create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}))
        .await;
    assert_eq!(
        s.err(
            "Sign",
            sign_body(&ecc, "ECDSA_SHA_256", "EXTERNAL_MU", &[0u8; 64])
        )
        .await,
        "ValidationException"
    );
    // An unknown message type is refused as AWS words it, EXTERNAL_MU listed.
    let (status, v) = s
        .call(
            "Sign",
            json!({"KeyId": key, "SigningAlgorithm": "ML_DSA_SHAKE_256",
                   "MessageType": "PREHASH", "Message": b64(b"m")}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("[RAW, DIGEST, EXTERNAL_MU]"),
        "{v}"
    );
}

#[tokio::test]
async fn ed25519_data_key_pairs() {
    let s = TestServer::new();
    let kek = s.create_key(empty()).await;
    let v = s
        .ok(
            "GenerateDataKeyPair",
            json!({"KeyId": kek, "KeyPairSpec": "ECC_NIST_EDWARDS25519"}),
        )
        .await;
    assert_eq!(v["KeyPairSpec"], "ECC_NIST_EDWARDS25519");
    let private = unb64(&v["PrivateKeyPlaintext"]);
    let info = pkcs8::PrivateKeyInfoRef::try_from(private.as_slice()).unwrap();
    assert_eq!(info.algorithm.oid.to_string(), "1.3.101.112");
    let seed: [u8; 32] = info.private_key.as_bytes()[2..].try_into().unwrap();
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let (oid, raw) = spki_oid_and_key(&unb64(&v["PublicKey"]));
    assert_eq!(oid, "1.3.101.112");
    assert_eq!(raw, public.as_bytes());
    let d = s
        .ok(
            "Decrypt",
            json!({"CiphertextBlob": v["PrivateKeyCiphertextBlob"]}),
        )
        .await;
    assert_eq!(unb64(&d["Plaintext"]), private);

    let w = s
        .ok(
            "GenerateDataKeyPairWithoutPlaintext",
            json!({"KeyId": kek, "KeyPairSpec": "ECC_NIST_EDWARDS25519"}),
        )
        .await;
    assert!(w.get("PrivateKeyPlaintext").is_none());
    let d = s
        .ok(
            "Decrypt",
            json!({"CiphertextBlob": w["PrivateKeyCiphertextBlob"]}),
        )
        .await;
    let private = unb64(&d["Plaintext"]);
    let info = pkcs8::PrivateKeyInfoRef::try_from(private.as_slice()).unwrap();
    let seed: [u8; 32] = info.private_key.as_bytes()[2..].try_into().unwrap();
    let (_, raw) = spki_oid_and_key(&unb64(&w["PublicKey"]));
    assert_eq!(
        raw,
        ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .as_bytes()
    );
}

#[tokio::test]
async fn keys_and_their_signatures_survive_a_restart() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut kept = Vec::new();
    {
        let s = TestServer::open(Arc::clone(&dir));
        for (spec, algorithm, message_type) in [
            ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "RAW"),
            ("ML_DSA_44", "ML_DSA_SHAKE_256", "RAW"),
            ("ML_DSA_87", "ML_DSA_SHAKE_256", "RAW"),
        ] {
            let key = s.create_key(json!({"KeySpec": spec})).await;
            let sig = sign(&s, &key, algorithm, message_type, b"kept").await;
            let public = s.ok("GetPublicKey", json!({"KeyId": key})).await["PublicKey"].clone();
            kept.push((key, algorithm, sig, public));
        }
    }
    let s = TestServer::open(dir);
    for (key, algorithm, sig, public) in kept {
        let v = verify(&s, &key, algorithm, "RAW", b"kept", &sig).await;
        assert_eq!(v.0, 200, "{}", v.1);
        let now = s.ok("GetPublicKey", json!({"KeyId": key})).await["PublicKey"].clone();
        assert_eq!(now, public, "the same key material after the restart");
        let sig = sign(&s, &key, algorithm, "RAW", b"after").await;
        let v = verify(&s, &key, algorithm, "RAW", b"after", &sig).await;
        assert_eq!(v.0, 200, "{}", v.1);
    }
}

#[tokio::test]
async fn imported_material_is_pkcs8_of_the_seed() {
    let s = TestServer::new();
    // RFC 8032 section 7.1 TEST 2's key as RFC 8410 PKCS#8.
    let ed_secret = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    let ed_pkcs8 = hex::decode(format!("302e020100300506032b657004220420{ed_secret}")).unwrap();
    let ed = s
        .create_key(json!({"KeySpec": "ECC_NIST_EDWARDS25519", "Origin": "EXTERNAL"}))
        .await;
    let (status, v) = import_material(&s, &ed, &ed_pkcs8).await;
    assert_eq!(status, 200, "{v}");
    let public = s.ok("GetPublicKey", json!({"KeyId": ed})).await;
    assert_eq!(
        hex::encode(unb64(&public["PublicKey"])),
        "302a300506032b65700321003d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
    );
    // RFC 8032's TEST 2 signature of the one-byte message 0x72.
    let sig = sign(&s, &ed, "ED25519_SHA_512", "RAW", &[0x72]).await;
    assert_eq!(
        hex::encode(unb64(&sig)),
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
         085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    );

    // The seed-form PKCS#8 of the IETF LAMPS ML-DSA-44 example (seed
    // 0x00..0x1f); its public key is the example's.
    let seed: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
    let ml_pkcs8 = hex::decode(format!(
        "3034020100300b060960864801650304031104228020{seed}"
    ))
    .unwrap();
    let ml = s
        .create_key(json!({"KeySpec": "ML_DSA_44", "Origin": "EXTERNAL"}))
        .await;
    // Material of another parameter set or spec is refused.
    let ml65 = s
        .create_key(json!({"KeySpec": "ML_DSA_65", "Origin": "EXTERNAL"}))
        .await;
    let (_, v) = import_material(&s, &ml65, &ml_pkcs8).await;
    assert_eq!(v["__type"], "IncorrectKeyMaterialException", "{v}");
    let (_, v) = import_material(&s, &ml, &ed_pkcs8).await;
    assert_eq!(v["__type"], "IncorrectKeyMaterialException", "{v}");
    let (status, v) = import_material(&s, &ml, &ml_pkcs8).await;
    assert_eq!(status, 200, "{v}");
    let public = s.ok("GetPublicKey", json!({"KeyId": ml})).await;
    assert_eq!(
        hex::encode(Sha256::digest(unb64(&public["PublicKey"]))),
        "837832708c5236d951581f1fddf2b79991b3424a0486d16da1ddad0fd69701be"
    );
    let sig = sign(&s, &ml, "ML_DSA_SHAKE_256", "RAW", b"imported").await;
    let v = verify(&s, &ml, "ML_DSA_SHAKE_256", "RAW", b"imported", &sig).await;
    assert_eq!(v.0, 200, "{}", v.1);
    // Re-import must be the same material.
    let (status, _) = import_material(&s, &ml, &ml_pkcs8).await;
    assert_eq!(status, 200);
    let mut other = ml_pkcs8.clone();
    *other.last_mut().unwrap() ^= 1;
    let (_, v) = import_material(&s, &ml, &other).await;
    assert_eq!(v["__type"], "IncorrectKeyMaterialException", "{v}");
}

#[tokio::test]
async fn ml_dsa_has_its_own_quota_and_ed25519_counts_as_ecc() {
    let s = TestServer::with_quotas(&[
        ("ml-dsa", 2.0),
        ("ecc", 3.0),
        ("rsa", 1000.0),
        ("CreateKey", 100.0),
    ]);
    let ml = s.create_key(json!({"KeySpec": "ML_DSA_44"})).await;
    let ed = s
        .create_key(json!({"KeySpec": "ECC_NIST_EDWARDS25519"}))
        .await;
    let (ml_ok, ml_throttled) = burst(
        &s,
        "Sign",
        sign_body(&ml, "ML_DSA_SHAKE_256", "RAW", b"m"),
        8,
    )
    .await;
    let (ed_ok, ed_throttled) = burst(
        &s,
        "Sign",
        sign_body(&ed, "ED25519_SHA_512", "RAW", b"m"),
        8,
    )
    .await;
    assert!(ml_ok >= 2 && ml_throttled > 0, "{ml_ok} {ml_throttled}");
    assert!(ed_ok >= 3 && ed_throttled > 0, "{ed_ok} {ed_throttled}");
    let response = s
        .send(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        text.contains(&format!(
            "kms_throttled_total{{quota=\"ml-dsa\"}} {ml_throttled}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "kms_throttled_total{{quota=\"ecc\"}} {ed_throttled}"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn key_policies_see_the_signing_algorithm_and_message_type() {
    let s = TestServer::new();
    let ml = s.create_key(json!({"KeySpec": "ML_DSA_87"})).await;
    s.put_key_policy(
        &ml,
        &key_policy(json!([root_statement(),
            {"Effect": "Deny", "Principal": "*", "Action": "kms:Sign", "Resource": "*",
             "Condition": {"StringEquals": {"kms:MessageType": "EXTERNAL_MU"}}}])),
    )
    .await;
    let sig = sign(&s, &ml, "ML_DSA_SHAKE_256", "RAW", b"m").await;
    assert!(!unb64(&sig).is_empty());
    assert_eq!(
        s.err(
            "Sign",
            sign_body(&ml, "ML_DSA_SHAKE_256", "EXTERNAL_MU", &[0u8; 64])
        )
        .await,
        "AccessDeniedException"
    );

    let ed = s
        .create_key(json!({"KeySpec": "ECC_NIST_EDWARDS25519"}))
        .await;
    s.put_key_policy(
        &ed,
        &key_policy(json!([root_statement(),
            {"Effect": "Deny", "Principal": "*", "Action": ["kms:Sign", "kms:Verify"],
             "Resource": "*",
             "Condition": {"StringEquals": {"kms:SigningAlgorithm": "ED25519_PH_SHA_512"}}}])),
    )
    .await;
    sign(&s, &ed, "ED25519_SHA_512", "RAW", b"m").await;
    assert_eq!(
        s.err(
            "Sign",
            sign_body(&ed, "ED25519_PH_SHA_512", "DIGEST", &[0u8; 64])
        )
        .await,
        "AccessDeniedException"
    );
}
