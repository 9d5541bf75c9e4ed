//! ML_KEM_512/768/1024 keys through the API: CreateKey, DescribeKey,
//! GetPublicKey, Encapsulate and Decapsulate (implicit rejection, lengths),
//! key usage and state, policies, grants, DryRun, data key pairs, import,
//! persistence, quotas, the audit log and key last usage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use kms_server::audit::LOG_FILE;
use ml_kem::kem::{Decapsulate as _, Key, KeyExport as _};
use ml_kem::{B32, DecapsulationKey, EncapsulationKey, MlKem512, MlKem768, MlKem1024, Seed};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Spec, OID, encapsulation key length, ciphertext length.
const SPECS: [(&str, &str, usize, usize); 3] = [
    ("ML_KEM_512", "2.16.840.1.101.3.4.4.1", 800, 768),
    ("ML_KEM_768", "2.16.840.1.101.3.4.4.2", 1184, 1088),
    ("ML_KEM_1024", "2.16.840.1.101.3.4.4.3", 1568, 1568),
];

fn spki_oid_and_key(der: &[u8]) -> (String, Vec<u8>) {
    let info = spki::SubjectPublicKeyInfoRef::try_from(der).unwrap();
    assert!(info.algorithm.parameters.is_none());
    (
        info.algorithm.oid.to_string(),
        info.subject_public_key.as_bytes().unwrap().to_vec(),
    )
}

fn encapsulate_body(key: &str) -> Value {
    json!({"KeyId": key, "EncapsulationAlgorithm": "ML_KEM"})
}

fn decapsulate_body(key: &str, ciphertext: &[u8]) -> Value {
    json!({"KeyId": key, "EncapsulationAlgorithm": "ML_KEM",
           "SharedSecretCiphertextBlob": b64(ciphertext)})
}

/// Encapsulate: (ciphertext, shared secret).
async fn encapsulate(s: &TestServer, key: &str) -> (Vec<u8>, Vec<u8>) {
    let v = s.ok("Encapsulate", encapsulate_body(key)).await;
    (
        unb64(&v["SharedSecretCiphertextBlob"]),
        unb64(&v["SharedSecret"]),
    )
}

async fn decapsulate(s: &TestServer, key: &str, ciphertext: &[u8]) -> Vec<u8> {
    let v = s.ok("Decapsulate", decapsulate_body(key, ciphertext)).await;
    unb64(&v["SharedSecret"])
}

/// Encapsulates as a client holding only the SPKI, with the ml-kem crate
/// and the message `m`: (ciphertext, shared secret).
fn client_encapsulate(spec: &str, spki: &[u8], m: [u8; 32]) -> (Vec<u8>, Vec<u8>) {
    macro_rules! run {
        ($params:ty, $raw:expr) => {{
            let encoded = Key::<EncapsulationKey<$params>>::try_from($raw).unwrap();
            let ek = EncapsulationKey::<$params>::new(&encoded).unwrap();
            let (ct, k) = ek.encapsulate_deterministic(&B32::from(m));
            (ct.to_vec(), k.to_vec())
        }};
    }
    let (_, raw) = spki_oid_and_key(spki);
    match spec {
        "ML_KEM_512" => run!(MlKem512, raw.as_slice()),
        "ML_KEM_768" => run!(MlKem768, raw.as_slice()),
        _ => run!(MlKem1024, raw.as_slice()),
    }
}

#[tokio::test]
async fn create_describe_and_get_public_key() {
    let s = TestServer::with_quotas(&[("CreateKey", 100.0)]);
    for (spec, want_oid, ek_len, _) in SPECS {
        let v = s.ok("CreateKey", json!({"KeySpec": spec})).await;
        let m = &v["KeyMetadata"];
        assert_eq!(m["KeyUsage"], "ENCAPSULATE_DECAPSULATE", "the default");
        assert_eq!(m["KeySpec"], spec);
        assert_eq!(m["EncapsulationAlgorithms"], json!(["ML_KEM"]));
        for absent in [
            "EncryptionAlgorithms",
            "SigningAlgorithms",
            "KeyAgreementAlgorithms",
            "MacAlgorithms",
        ] {
            assert!(m.get(absent).is_none(), "{absent}: {m}");
        }
        let id = m["KeyId"].as_str().unwrap().to_owned();
        let d = s.ok("DescribeKey", json!({"KeyId": id})).await;
        assert_eq!(
            d["KeyMetadata"]["EncapsulationAlgorithms"],
            json!(["ML_KEM"])
        );

        let p = s.ok("GetPublicKey", json!({"KeyId": id})).await;
        assert_eq!(p["KeySpec"], spec);
        assert_eq!(p["KeyUsage"], "ENCAPSULATE_DECAPSULATE");
        assert_eq!(p["EncapsulationAlgorithms"], json!(["ML_KEM"]));
        assert!(p.get("SigningAlgorithms").is_none(), "{p}");
        assert_eq!(p["KeyId"], m["Arn"]);
        let (oid, raw) = spki_oid_and_key(&unb64(&p["PublicKey"]));
        assert_eq!((oid.as_str(), raw.len()), (want_oid, ek_len), "{spec}");

        let explicit = s
            .ok(
                "CreateKey",
                json!({"KeySpec": spec, "KeyUsage": "ENCAPSULATE_DECAPSULATE"}),
            )
            .await;
        assert_eq!(explicit["KeyMetadata"]["KeySpec"], spec);
        for usage in [
            "ENCRYPT_DECRYPT",
            "SIGN_VERIFY",
            "KEY_AGREEMENT",
            "GENERATE_VERIFY_MAC",
        ] {
            assert_eq!(
                s.err("CreateKey", json!({"KeySpec": spec, "KeyUsage": usage}))
                    .await,
                "ValidationException",
                "{spec} {usage}"
            );
        }
        // The deprecated CustomerMasterKeySpec enum does not have them.
        let (status, v) = s
            .call("CreateKey", json!({"CustomerMasterKeySpec": spec}))
            .await;
        assert_eq!(
            (status, v["__type"].as_str()),
            (400, Some("ValidationException"))
        );
        // AWS: multi-Region keys "for all supported KMS key types".
        let v = s
            .ok("CreateKey", json!({"KeySpec": spec, "MultiRegion": true}))
            .await;
        let mrk = v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
        assert!(mrk.starts_with("mrk-"), "{mrk}");
        let (ct, secret) = encapsulate(&s, &mrk).await;
        assert_eq!(decapsulate(&s, &mrk, &ct).await, secret);
    }
    // ENCAPSULATE_DECAPSULATE is ML-KEM's alone.
    for spec in [
        "SYMMETRIC_DEFAULT",
        "RSA_2048",
        "ECC_NIST_P256",
        "ML_DSA_44",
    ] {
        assert_eq!(
            s.err(
                "CreateKey",
                json!({"KeySpec": spec, "KeyUsage": "ENCAPSULATE_DECAPSULATE"})
            )
            .await,
            "ValidationException",
            "{spec}"
        );
    }
}

#[tokio::test]
async fn encapsulate_and_decapsulate_over_the_api() {
    let s = TestServer::new();
    for (spec, _, _, ct_len) in SPECS {
        let key = s.create_key(json!({"KeySpec": spec})).await;
        let v = s.ok("Encapsulate", encapsulate_body(&key)).await;
        assert!(
            v["KeyId"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":key/{key}")),
            "{v}"
        );
        assert_eq!(v["EncapsulationAlgorithm"], "ML_KEM");
        let ct = unb64(&v["SharedSecretCiphertextBlob"]);
        let secret = unb64(&v["SharedSecret"]);
        assert_eq!((ct.len(), secret.len()), (ct_len, 32), "{spec}");
        let d = s.ok("Decapsulate", decapsulate_body(&key, &ct)).await;
        assert_eq!(unb64(&d["SharedSecret"]), secret);
        assert_eq!(d["KeyId"], v["KeyId"]);
        assert_eq!(d["EncapsulationAlgorithm"], "ML_KEM");
        let (ct2, secret2) = encapsulate(&s, &key).await;
        assert_ne!((&ct2, &secret2), (&ct, &secret), "fresh per call");

        // A client encapsulating to the public key alone.
        let public = s.ok("GetPublicKey", json!({"KeyId": key})).await;
        let (client_ct, client_secret) =
            client_encapsulate(spec, &unb64(&public["PublicKey"]), [9u8; 32]);
        assert_eq!(decapsulate(&s, &key, &client_ct).await, client_secret);

        // Wrong length: InvalidCiphertextException; anything else of the
        // right length: 32 pseudo-random bytes, the same every time.
        for len in [1, ct_len - 1, ct_len + 1] {
            let (status, v) = s
                .call("Decapsulate", decapsulate_body(&key, &vec![1u8; len]))
                .await;
            assert_eq!(status, 400);
            assert_eq!(
                v["__type"], "InvalidCiphertextException",
                "{spec} {len}: {v}"
            );
        }
        let mut altered = ct.clone();
        altered[100] ^= 0x80;
        let rejected = decapsulate(&s, &key, &altered).await;
        assert_eq!(rejected.len(), 32);
        assert_ne!(rejected, secret);
        assert_eq!(decapsulate(&s, &key, &altered).await, rejected);
        let other = s.create_key(json!({"KeySpec": spec})).await;
        let foreign = decapsulate(&s, &other, &ct).await;
        assert_ne!(foreign, secret, "another key's ciphertext");
    }
    let key = s.create_key(json!({"KeySpec": "ML_KEM_768"})).await;
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/kem", "TargetKeyId": key}),
    )
    .await;
    let (ct, secret) = encapsulate(&s, "alias/kem").await;
    assert_eq!(decapsulate(&s, &key, &ct).await, secret);
    // Validation: the algorithm and the ciphertext are required, the
    // algorithm is from its enum, the blob within CiphertextType.
    for (op, body) in [
        ("Encapsulate", json!({"KeyId": key})),
        (
            "Encapsulate",
            json!({"KeyId": key, "EncapsulationAlgorithm": "ML_KEM_768"}),
        ),
        (
            "Decapsulate",
            json!({"KeyId": key, "EncapsulationAlgorithm": "ML_KEM"}),
        ),
        (
            "Decapsulate",
            json!({"KeyId": key, "SharedSecretCiphertextBlob": b64(&ct)}),
        ),
        ("Decapsulate", decapsulate_body(&key, &[0u8; 6145])),
    ] {
        let (status, v) = s.call(op, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(v["__type"], "ValidationException", "{body}: {v}");
    }
    let (_, v) = s
        .call(
            "Encapsulate",
            json!({"KeyId": key, "EncapsulationAlgorithm": "KYBER"}),
        )
        .await;
    assert!(
        v["message"].as_str().unwrap().contains(
            "at 'encapsulationAlgorithm' failed to satisfy constraint: Member must \
                       satisfy enum value set: [ML_KEM]"
        ),
        "{v}"
    );
    assert_eq!(
        s.err("Encapsulate", encapsulate_body("alias/none")).await,
        "NotFoundException"
    );
}

#[tokio::test]
async fn ml_kem_keys_do_only_encapsulation_and_only_they_do_it() {
    let s = TestServer::new();
    let kem = s.create_key(json!({"KeySpec": "ML_KEM_512"})).await;
    for (op, body) in [
        ("Encrypt", json!({"KeyId": kem, "Plaintext": b64(b"x")})),
        (
            "Decrypt",
            json!({"KeyId": kem, "CiphertextBlob": b64(&[0u8; 768]),
                   "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
        ),
        (
            "Sign",
            json!({"KeyId": kem, "Message": b64(b"m"), "SigningAlgorithm": "ML_DSA_SHAKE_256"}),
        ),
        (
            "GenerateMac",
            json!({"KeyId": kem, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256"}),
        ),
        (
            "DeriveSharedSecret",
            json!({"KeyId": kem, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(b"p")}),
        ),
        (
            "GenerateDataKey",
            json!({"KeyId": kem, "KeySpec": "AES_256"}),
        ),
    ] {
        assert_eq!(s.err(op, body).await, "InvalidKeyUsageException", "{op}");
    }
    for spec in [
        "SYMMETRIC_DEFAULT",
        "ECC_NIST_P256",
        "ML_DSA_65",
        "RSA_2048",
    ] {
        let other = s.create_key(json!({"KeySpec": spec})).await;
        assert_eq!(
            s.err("Encapsulate", encapsulate_body(&other)).await,
            "InvalidKeyUsageException",
            "{spec}"
        );
        assert_eq!(
            s.err("Decapsulate", decapsulate_body(&other, &[0u8; 768]))
                .await,
            "InvalidKeyUsageException",
            "{spec}"
        );
    }
}

#[tokio::test]
async fn key_state_dry_run_policies_and_grants_apply() {
    let s = TestServer::new();
    let key = s.create_key(json!({"KeySpec": "ML_KEM_1024"})).await;
    let (ct, secret) = encapsulate(&s, &key).await;

    // DryRun: every check passes, nothing is returned.
    for (op, mut body) in [
        ("Encapsulate", encapsulate_body(&key)),
        ("Decapsulate", decapsulate_body(&key, &ct)),
    ] {
        body["DryRun"] = json!(true);
        assert_eq!(s.err(op, body).await, "DryRunOperationException", "{op}");
    }

    s.ok("DisableKey", json!({"KeyId": key})).await;
    assert_eq!(
        s.err("Encapsulate", encapsulate_body(&key)).await,
        "DisabledException"
    );
    assert_eq!(
        s.err("Decapsulate", decapsulate_body(&key, &ct)).await,
        "DisabledException"
    );
    s.ok("EnableKey", json!({"KeyId": key})).await;
    assert_eq!(decapsulate(&s, &key, &ct).await, secret);

    let doomed = s.create_key(json!({"KeySpec": "ML_KEM_768"})).await;
    s.ok(
        "ScheduleKeyDeletion",
        json!({"KeyId": doomed, "PendingWindowInDays": 7}),
    )
    .await;
    assert_eq!(
        s.err("Encapsulate", encapsulate_body(&doomed)).await,
        "KMSInvalidStateException"
    );
    assert_eq!(
        s.err("Decapsulate", decapsulate_body(&doomed, &[0u8; 1088]))
            .await,
        "KMSInvalidStateException"
    );

    // The key policy's actions are kms:Encapsulate and kms:Decapsulate.
    s.put_key_policy(
        &key,
        &key_policy(json!([root_statement(),
            {"Effect": "Deny", "Principal": "*", "Action": "kms:Decapsulate",
             "Resource": "*"}])),
    )
    .await;
    encapsulate(&s, &key).await;
    assert_eq!(
        s.err("Decapsulate", decapsulate_body(&key, &ct)).await,
        "AccessDeniedException"
    );

    // Grants: Encapsulate and Decapsulate are grant operations (the
    // model's GrantOperation), valid for ML-KEM keys only.
    let app = TestServer::app();
    let grantee = format!("arn:aws:iam::{ACCOUNT}:user/app");
    let other = s.create_key(json!({"KeySpec": "ML_KEM_768"})).await;
    let (status, _) = s
        .call_as(&app, "Encapsulate", encapsulate_body(&other))
        .await;
    assert_eq!(status, 400, "no grant yet");
    let g = s
        .ok(
            "CreateGrant",
            json!({"KeyId": other, "GranteePrincipal": grantee,
                   "Operations": ["Encapsulate", "Decapsulate", "GetPublicKey"]}),
        )
        .await;
    let token = g["GrantToken"].as_str().unwrap().to_owned();
    let mut body = encapsulate_body(&other);
    body["GrantTokens"] = json!([token]);
    let (status, v) = s.call_as(&app, "Encapsulate", body).await;
    assert_eq!(status, 200, "{v}");
    let ct = unb64(&v["SharedSecretCiphertextBlob"]);
    let (status, d) = s
        .call_as(&app, "Decapsulate", decapsulate_body(&other, &ct))
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["SharedSecret"], v["SharedSecret"]);
    let mut bad = encapsulate_body(&other);
    bad["GrantTokens"] = json!(["bm90IG91cnM="]);
    assert_eq!(
        s.err("Encapsulate", bad).await,
        "InvalidGrantTokenException"
    );
    for (grant_key, op) in [
        (other.clone(), "Sign"),
        (s.create_key(empty()).await, "Encapsulate"),
    ] {
        assert_eq!(
            s.err(
                "CreateGrant",
                json!({"KeyId": grant_key, "GranteePrincipal": grantee, "Operations": [op]})
            )
            .await,
            "ValidationException",
            "{op}"
        );
    }
}

#[tokio::test]
async fn keys_and_their_ciphertexts_survive_a_restart() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let mut kept = Vec::new();
    {
        let s = TestServer::open(Arc::clone(&dir));
        for (spec, _, _, _) in SPECS {
            let key = s.create_key(json!({"KeySpec": spec})).await;
            let (ct, secret) = encapsulate(&s, &key).await;
            let public = s.ok("GetPublicKey", json!({"KeyId": key})).await["PublicKey"].clone();
            kept.push((key, ct, secret, public));
        }
    }
    let s = TestServer::open(dir);
    for (key, ct, secret, public) in kept {
        assert_eq!(decapsulate(&s, &key, &ct).await, secret);
        let now = s.ok("GetPublicKey", json!({"KeyId": key})).await;
        assert_eq!(now["PublicKey"], public, "the same key material");
        let d = s.ok("DescribeKey", json!({"KeyId": key})).await;
        assert_eq!(d["KeyMetadata"]["KeyUsage"], "ENCAPSULATE_DECAPSULATE");
        let (ct, secret) = encapsulate(&s, &key).await;
        assert_eq!(decapsulate(&s, &key, &ct).await, secret);
    }
}

/// Decapsulation with a key held by the client.
type Decapsulator = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// The decapsulation key of a seed-form PKCS#8 private key (checking the
/// form), and its encoded encapsulation key.
fn from_seed_pkcs8(spec: &str, der: &[u8]) -> (Vec<u8>, Decapsulator) {
    assert_eq!(der.len(), 86, "seed form");
    let info = pkcs8::PrivateKeyInfoRef::try_from(der).unwrap();
    assert!(info.algorithm.parameters.is_none() && info.public_key.is_none());
    let private_key = info.private_key.as_bytes();
    assert_eq!(&private_key[..2], &[0x80, 0x40]);
    let seed = Seed::try_from(&private_key[2..]).unwrap();
    macro_rules! run {
        ($params:ty) => {{
            let dk = DecapsulationKey::<$params>::from_seed(seed);
            let ek = dk.encapsulation_key().to_bytes().to_vec();
            let decaps: Decapsulator =
                Box::new(move |ct| dk.decapsulate_slice(ct).unwrap().to_vec());
            (ek, decaps)
        }};
    }
    match spec {
        "ML_KEM_512" => run!(MlKem512),
        "ML_KEM_768" => run!(MlKem768),
        _ => run!(MlKem1024),
    }
}

#[tokio::test]
async fn data_key_pairs_are_seed_form_pkcs8_and_spki() {
    let s = TestServer::new();
    let kek = s.create_key(empty()).await;
    let kem = s.create_key(json!({"KeySpec": "ML_KEM_768"})).await;
    for (spec, oid, ek_len, _) in SPECS {
        let v = s
            .ok(
                "GenerateDataKeyPair",
                json!({"KeyId": kek, "KeyPairSpec": spec}),
            )
            .await;
        assert_eq!(v["KeyPairSpec"], spec);
        let private = unb64(&v["PrivateKeyPlaintext"]);
        let (ek, decaps) = from_seed_pkcs8(spec, &private);
        let (got_oid, raw) = spki_oid_and_key(&unb64(&v["PublicKey"]));
        assert_eq!((got_oid.as_str(), raw.len()), (oid, ek_len));
        assert_eq!(raw, ek, "the pair matches");
        // Encapsulate to the public key, decapsulate with the private one.
        let (ct, secret) = client_encapsulate(spec, &unb64(&v["PublicKey"]), [3u8; 32]);
        assert_eq!(decaps(&ct), secret);
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
                json!({"KeyId": kek, "KeyPairSpec": spec}),
            )
            .await;
        assert!(w.get("PrivateKeyPlaintext").is_none());
        let d = s
            .ok(
                "Decrypt",
                json!({"CiphertextBlob": w["PrivateKeyCiphertextBlob"]}),
            )
            .await;
        let (ek, _) = from_seed_pkcs8(spec, &unb64(&d["Plaintext"]));
        assert_eq!(spki_oid_and_key(&unb64(&w["PublicKey"])).1, ek);
    }
    // An ML-KEM key cannot protect a data key pair.
    assert_eq!(
        s.err(
            "GenerateDataKeyPair",
            json!({"KeyId": kem, "KeyPairSpec": "ML_KEM_512"})
        )
        .await,
        "InvalidKeyUsageException"
    );
}

#[tokio::test]
async fn imported_material_is_pkcs8_of_the_seed() {
    let s = TestServer::new();
    // The seed-form PKCS#8 of the IETF LAMPS ML-KEM-768 example (seed
    // 0x00..0x3f); its public key is the example's.
    let seed: String = (0u8..64).map(|b| format!("{b:02x}")).collect();
    let pkcs8 = hex::decode(
        format!("3054020100300b06096086480165030404020442 8040{seed}").replace(' ', ""),
    )
    .unwrap();
    let key = s
        .create_key(json!({"KeySpec": "ML_KEM_768", "Origin": "EXTERNAL"}))
        .await;
    let d = s.ok("DescribeKey", json!({"KeyId": key})).await;
    assert_eq!(d["KeyMetadata"]["KeyState"], "PendingImport");
    assert_eq!(
        s.err("Encapsulate", encapsulate_body(&key)).await,
        "KMSInvalidStateException"
    );
    // Another parameter set's material is refused.
    let k512 = s
        .create_key(json!({"KeySpec": "ML_KEM_512", "Origin": "EXTERNAL"}))
        .await;
    let (_, v) = import_material(&s, &k512, &pkcs8).await;
    assert_eq!(v["__type"], "IncorrectKeyMaterialException", "{v}");
    let (status, v) = import_material(&s, &key, &pkcs8).await;
    assert_eq!(status, 200, "{v}");
    let public = s.ok("GetPublicKey", json!({"KeyId": key})).await;
    assert_eq!(
        hex::encode(Sha256::digest(unb64(&public["PublicKey"]))),
        "c23e23dd3d485a9256cda09358a4a286e00b373db10761eadf99f710649ca31c"
    );
    let (ct, secret) = encapsulate(&s, &key).await;
    assert_eq!(decapsulate(&s, &key, &ct).await, secret);
    let (status, _) = import_material(&s, &key, &pkcs8).await;
    assert_eq!(status, 200, "re-import of the same material");
    let mut other = pkcs8.clone();
    *other.last_mut().unwrap() ^= 1;
    let (_, v) = import_material(&s, &key, &other).await;
    assert_eq!(v["__type"], "IncorrectKeyMaterialException", "{v}");
}

#[tokio::test]
async fn ml_kem_counts_against_the_post_quantum_quota() {
    let s =
        TestServer::with_quotas(&[("ml-dsa", 2.0), ("symmetric", 1000.0), ("CreateKey", 100.0)]);
    let key = s.create_key(json!({"KeySpec": "ML_KEM_512"})).await;
    let (ok, throttled) = burst(&s, "Encapsulate", encapsulate_body(&key), 8).await;
    assert!(ok >= 2 && throttled > 0, "{ok} {throttled}");
}

#[tokio::test]
async fn audit_records_and_last_usage_keep_no_secrets() {
    let s = TestServer::new();
    let key = s.create_key(json!({"KeySpec": "ML_KEM_768"})).await;
    let (ct, secret) = encapsulate(&s, &key).await;
    let u = s.ok("GetKeyLastUsage", json!({"KeyId": key})).await;
    assert_eq!(u["KeyLastUsage"]["Operation"], "Encapsulate", "{u}");
    decapsulate(&s, &key, &ct).await;
    let u = s.ok("GetKeyLastUsage", json!({"KeyId": key})).await;
    assert_eq!(u["KeyLastUsage"]["Operation"], "Decapsulate", "{u}");

    s.state.audit.as_ref().unwrap().close();
    let raw = std::fs::read_to_string(s.path().join(LOG_FILE)).unwrap();
    let events: Vec<Value> = raw
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].clone())
        .filter(|e| e["eventName"] == "Encapsulate" || e["eventName"] == "Decapsulate")
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    for e in &events {
        assert_eq!(e["readOnly"], true);
        assert!(e["responseElements"].is_null(), "{e}");
        assert_eq!(
            e["requestParameters"]["encapsulationAlgorithm"], "ML_KEM",
            "{e}"
        );
        assert!(
            e["requestParameters"]
                .get("sharedSecretCiphertextBlob")
                .is_none()
        );
    }
    assert!(
        !raw.contains(&b64(&secret)),
        "a shared secret reached the audit log"
    );
    assert!(
        !raw.contains(&b64(&ct)),
        "a ciphertext reached the audit log"
    );
}
