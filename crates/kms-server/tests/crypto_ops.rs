//! Encrypt, Decrypt, ReEncrypt, the GenerateDataKey family, GenerateRandom,
//! GetPublicKey, Sign, Verify, GenerateMac, VerifyMac, DeriveSharedSecret.

mod common;

use common::*;
use serde_json::{Value, json};

async fn encrypt(s: &TestServer, key: &str, plaintext: &[u8], context: Value) -> Value {
    s.ok(
        "Encrypt",
        json!({"KeyId": key, "Plaintext": b64(plaintext), "EncryptionContext": context}),
    )
    .await
}

#[tokio::test]
async fn symmetric_encrypt_decrypt_with_context() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    let ctx = json!({"purpose": "test", "aws-crypto-public-key": "AxyZ"});
    let v = encrypt(&s, &id, b"hello world", ctx.clone()).await;
    assert_eq!(v["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    assert!(v["KeyId"].as_str().unwrap().ends_with(&id));
    let blob = v["CiphertextBlob"].clone();

    // No KeyId needed for symmetric ciphertexts.
    let d = s
        .ok(
            "Decrypt",
            json!({"CiphertextBlob": blob, "EncryptionContext": ctx}),
        )
        .await;
    assert_eq!(unb64(&d["Plaintext"]), b"hello world");
    assert_eq!(d["KeyId"], v["KeyId"]);
    assert_eq!(d["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");

    // KeyId as an alias works when it names the same key.
    s.ok(
        "CreateAlias",
        json!({"AliasName": "alias/k", "TargetKeyId": id}),
    )
    .await;
    s.ok(
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": ctx, "KeyId": "alias/k"}),
    )
    .await;

    // Another context, or none, does not decrypt.
    assert_eq!(
        s.err(
            "Decrypt",
            json!({"CiphertextBlob": blob, "EncryptionContext": {"purpose": "x"}})
        )
        .await,
        "InvalidCiphertextException"
    );
    assert_eq!(
        s.err("Decrypt", json!({"CiphertextBlob": blob})).await,
        "InvalidCiphertextException"
    );
}

#[tokio::test]
async fn tampered_and_foreign_ciphertexts() {
    let s = TestServer::new();
    let a = s.create_key(empty()).await;
    let b = s.create_key(empty()).await;
    let v = encrypt(&s, &a, b"secret", json!({})).await;
    let blob = unb64(&v["CiphertextBlob"]);
    let mut tampered = blob.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        s.err("Decrypt", json!({"CiphertextBlob": b64(&tampered)}))
            .await,
        "InvalidCiphertextException"
    );
    assert_eq!(
        s.err("Decrypt", json!({"CiphertextBlob": b64(b"garbage")}))
            .await,
        "InvalidCiphertextException"
    );
    assert_eq!(
        s.err("Decrypt", json!({"CiphertextBlob": b64(&blob), "KeyId": b}))
            .await,
        "IncorrectKeyException"
    );
    assert_eq!(s.err("Decrypt", json!({})).await, "ValidationException");
}

#[tokio::test]
async fn encrypt_limits_and_key_checks() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    assert_eq!(
        s.err(
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(&[0u8; 4097])})
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        s.err("Encrypt", json!({"KeyId": id, "Plaintext": ""}))
            .await,
        "ValidationException"
    );
    encrypt(&s, &id, &[7u8; 4096], json!({})).await;
    let hmac = s.create_key(json!({"KeySpec": "HMAC_256"})).await;
    assert_eq!(
        s.err("Encrypt", json!({"KeyId": hmac, "Plaintext": b64(b"x")}))
            .await,
        "InvalidKeyUsageException"
    );
    assert_eq!(
        s.err(
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(b"x"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
        )
        .await,
        "InvalidKeyUsageException"
    );
    assert_eq!(
        s.err(
            "Encrypt",
            json!({"KeyId": "alias/none", "Plaintext": b64(b"x")})
        )
        .await,
        "NotFoundException"
    );
    s.ok("DisableKey", json!({"KeyId": id})).await;
    assert_eq!(
        s.err("Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}))
            .await,
        "DisabledException"
    );
}

#[tokio::test]
async fn decrypt_of_a_disabled_key_is_refused() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    let v = encrypt(&s, &id, b"x", json!({})).await;
    s.ok("DisableKey", json!({"KeyId": id})).await;
    assert_eq!(
        s.err("Decrypt", json!({"CiphertextBlob": v["CiphertextBlob"]}))
            .await,
        "DisabledException"
    );
}

#[tokio::test]
async fn dry_run_answers_dry_run_operation_exception() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    let (status, v) = s
        .call(
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(b"x"), "DryRun": true}),
        )
        .await;
    assert_eq!(status, 412);
    assert_eq!(v["__type"], "DryRunOperationException");
    let blob = encrypt(&s, &id, b"x", json!({})).await["CiphertextBlob"].clone();
    assert_eq!(
        s.err("Decrypt", json!({"CiphertextBlob": blob, "DryRun": true}))
            .await,
        "DryRunOperationException"
    );
    assert_eq!(
        s.err(
            "GenerateDataKey",
            json!({"KeyId": id, "KeySpec": "AES_256", "DryRun": true})
        )
        .await,
        "DryRunOperationException"
    );
    // A dry run of a request that would fail reports the failure.
    s.ok("DisableKey", json!({"KeyId": id})).await;
    assert_eq!(
        s.err(
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(b"x"), "DryRun": true})
        )
        .await,
        "DisabledException"
    );
}

#[tokio::test]
async fn rsa_encrypt_decrypt_needs_key_id_and_algorithm() {
    let s = TestServer::new();
    let id = s.create_key(json!({"KeySpec": "RSA_2048"})).await;
    for alg in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
        let v = s
            .ok(
                "Encrypt",
                json!({"KeyId": id, "Plaintext": b64(b"rsa secret"), "EncryptionAlgorithm": alg}),
            )
            .await;
        assert_eq!(unb64(&v["CiphertextBlob"]).len(), 256);
        let d = s
            .ok(
                "Decrypt",
                json!({"CiphertextBlob": v["CiphertextBlob"], "KeyId": id, "EncryptionAlgorithm": alg}),
            )
            .await;
        assert_eq!(unb64(&d["Plaintext"]), b"rsa secret");
        assert_eq!(d["EncryptionAlgorithm"], alg);
        // Without KeyId the blob is read as a symmetric ciphertext.
        assert_eq!(
            s.err("Decrypt", json!({"CiphertextBlob": v["CiphertextBlob"]}))
                .await,
            "InvalidCiphertextException"
        );
    }
    // Too long for OAEP-SHA-256 with a 2048-bit key (190 bytes max).
    assert_eq!(
        s.err(
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(&[1u8; 191]), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
        )
        .await,
        "ValidationException"
    );
    assert_eq!(
        s.err("Encrypt", json!({"KeyId": id, "Plaintext": b64(b"x")}))
            .await,
        "InvalidKeyUsageException"
    );
    assert_eq!(
        s.err(
            "Decrypt",
            json!({"CiphertextBlob": b64(&[0u8; 256]), "KeyId": id, "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"})
        )
        .await,
        "InvalidCiphertextException"
    );
}

#[tokio::test]
async fn re_encrypt_moves_a_ciphertext_to_another_key_and_context() {
    let s = TestServer::new();
    let a = s.create_key(empty()).await;
    let b = s.create_key(empty()).await;
    let blob = encrypt(&s, &a, b"move me", json!({"k": "1"})).await["CiphertextBlob"].clone();
    let v = s
        .ok(
            "ReEncrypt",
            json!({
                "CiphertextBlob": blob,
                "SourceEncryptionContext": {"k": "1"},
                "DestinationKeyId": b,
                "DestinationEncryptionContext": {"k": "2"}
            }),
        )
        .await;
    assert!(v["SourceKeyId"].as_str().unwrap().ends_with(&a));
    assert!(v["KeyId"].as_str().unwrap().ends_with(&b));
    assert_eq!(v["SourceEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    let d = s
        .ok(
            "Decrypt",
            json!({"CiphertextBlob": v["CiphertextBlob"], "EncryptionContext": {"k": "2"}, "KeyId": b}),
        )
        .await;
    assert_eq!(unb64(&d["Plaintext"]), b"move me");
    assert_eq!(
        s.err(
            "ReEncrypt",
            json!({"CiphertextBlob": blob, "SourceEncryptionContext": {"k": "1"}, "SourceKeyId": b, "DestinationKeyId": b})
        )
        .await,
        "IncorrectKeyException"
    );
    assert_eq!(
        s.err(
            "ReEncrypt",
            json!({"CiphertextBlob": blob, "DestinationKeyId": b})
        )
        .await,
        "InvalidCiphertextException"
    );
}

#[tokio::test]
async fn generate_data_key_variants() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    for (body, len) in [
        (json!({"KeyId": id, "KeySpec": "AES_256"}), 32),
        (json!({"KeyId": id, "KeySpec": "AES_128"}), 16),
        (json!({"KeyId": id, "NumberOfBytes": 64}), 64),
        (json!({"KeyId": id, "NumberOfBytes": 1024}), 1024),
    ] {
        let v = s.ok("GenerateDataKey", body).await;
        let key = unb64(&v["Plaintext"]);
        assert_eq!(key.len(), len);
        let d = s
            .ok("Decrypt", json!({"CiphertextBlob": v["CiphertextBlob"]}))
            .await;
        assert_eq!(unb64(&d["Plaintext"]), key);
    }
    let v = s
        .ok(
            "GenerateDataKeyWithoutPlaintext",
            json!({"KeyId": id, "KeySpec": "AES_256", "EncryptionContext": {"a": "b"}}),
        )
        .await;
    assert!(v.get("Plaintext").is_none());
    let d = s
        .ok(
            "Decrypt",
            json!({"CiphertextBlob": v["CiphertextBlob"], "EncryptionContext": {"a": "b"}}),
        )
        .await;
    assert_eq!(unb64(&d["Plaintext"]).len(), 32);

    for bad in [
        json!({"KeyId": id}),
        json!({"KeyId": id, "KeySpec": "AES_256", "NumberOfBytes": 32}),
        json!({"KeyId": id, "NumberOfBytes": 0}),
        json!({"KeyId": id, "NumberOfBytes": 1025}),
    ] {
        assert_eq!(s.err("GenerateDataKey", bad).await, "ValidationException");
    }
    let rsa = s.create_key(json!({"KeySpec": "RSA_2048"})).await;
    assert_eq!(
        s.err(
            "GenerateDataKey",
            json!({"KeyId": rsa, "KeySpec": "AES_256"})
        )
        .await,
        "InvalidKeyUsageException"
    );
}

#[tokio::test]
async fn generate_data_key_pairs() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    let v = s
        .ok(
            "GenerateDataKeyPair",
            json!({"KeyId": id, "KeyPairSpec": "ECC_NIST_P256", "EncryptionContext": {"x": "y"}}),
        )
        .await;
    assert_eq!(v["KeyPairSpec"], "ECC_NIST_P256");
    let private = unb64(&v["PrivateKeyPlaintext"]);
    assert!(!unb64(&v["PublicKey"]).is_empty());
    let d = s
        .ok(
            "Decrypt",
            json!({"CiphertextBlob": v["PrivateKeyCiphertextBlob"], "EncryptionContext": {"x": "y"}}),
        )
        .await;
    assert_eq!(unb64(&d["Plaintext"]), private);

    let v = s
        .ok(
            "GenerateDataKeyPairWithoutPlaintext",
            json!({"KeyId": id, "KeyPairSpec": "RSA_2048"}),
        )
        .await;
    assert!(v.get("PrivateKeyPlaintext").is_none());
    assert!(unb64(&v["PublicKey"]).len() > 256);
    assert_eq!(
        s.err("GenerateDataKeyPair", json!({"KeyId": id})).await,
        "ValidationException"
    );
    assert_eq!(
        s.err(
            "GenerateDataKeyPair",
            json!({"KeyId": id, "KeyPairSpec": "SM2"})
        )
        .await,
        "UnsupportedOperationException"
    );
}

#[tokio::test]
async fn generate_random() {
    let s = TestServer::new();
    let v = s.ok("GenerateRandom", json!({"NumberOfBytes": 48})).await;
    assert_eq!(unb64(&v["Plaintext"]).len(), 48);
    assert_eq!(
        s.err("GenerateRandom", json!({"NumberOfBytes": 1025}))
            .await,
        "ValidationException"
    );
    assert_eq!(
        s.err("GenerateRandom", json!({})).await,
        "ValidationException"
    );
}

#[tokio::test]
async fn get_public_key() {
    let s = TestServer::new();
    let ecc = s.create_key(json!({"KeySpec": "ECC_NIST_P256"})).await;
    let v = s.ok("GetPublicKey", json!({"KeyId": ecc})).await;
    assert_eq!(v["KeySpec"], "ECC_NIST_P256");
    assert_eq!(v["KeyUsage"], "SIGN_VERIFY");
    assert_eq!(v["SigningAlgorithms"], json!(["ECDSA_SHA_256"]));
    assert!(v.get("EncryptionAlgorithms").is_none());
    assert_eq!(unb64(&v["PublicKey"]).len(), 91);

    let rsa = s.create_key(json!({"KeySpec": "RSA_2048"})).await;
    let v = s.ok("GetPublicKey", json!({"KeyId": rsa})).await;
    assert_eq!(
        v["EncryptionAlgorithms"],
        json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
    );

    let sym = s.create_key(empty()).await;
    assert_eq!(
        s.err("GetPublicKey", json!({"KeyId": sym})).await,
        "UnsupportedOperationException"
    );
    s.ok("DisableKey", json!({"KeyId": ecc})).await;
    assert_eq!(
        s.err("GetPublicKey", json!({"KeyId": ecc})).await,
        "DisabledException"
    );
}

#[tokio::test]
async fn sign_and_verify_raw_and_digest() {
    let s = TestServer::new();
    for (spec, alg, digest_len) in [
        ("ECC_NIST_P256", "ECDSA_SHA_256", 32),
        ("ECC_NIST_P384", "ECDSA_SHA_384", 48),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256", 32),
        ("RSA_2048", "RSASSA_PSS_SHA_256", 32),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512", 64),
    ] {
        let id = s
            .create_key(json!({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"}))
            .await;
        let v = s
            .ok(
                "Sign",
                json!({"KeyId": id, "Message": b64(b"message"), "SigningAlgorithm": alg}),
            )
            .await;
        assert_eq!(v["SigningAlgorithm"], alg);
        let sig = v["Signature"].clone();
        let ok = s
            .ok(
                "Verify",
                json!({"KeyId": id, "Message": b64(b"message"), "Signature": sig, "SigningAlgorithm": alg}),
            )
            .await;
        assert_eq!(ok["SignatureValid"], true);
        assert_eq!(
            s.err(
                "Verify",
                json!({"KeyId": id, "Message": b64(b"massage"), "Signature": sig, "SigningAlgorithm": alg})
            )
            .await,
            "KMSInvalidSignatureException",
            "{spec}"
        );
        let digest = vec![9u8; digest_len];
        let v = s
            .ok(
                "Sign",
                json!({"KeyId": id, "Message": b64(&digest), "MessageType": "DIGEST", "SigningAlgorithm": alg}),
            )
            .await;
        s.ok(
            "Verify",
            json!({"KeyId": id, "Message": b64(&digest), "MessageType": "DIGEST", "Signature": v["Signature"], "SigningAlgorithm": alg}),
        )
        .await;
        assert_eq!(
            s.err(
                "Sign",
                json!({"KeyId": id, "Message": b64(&[1u8; 5]), "MessageType": "DIGEST", "SigningAlgorithm": alg})
            )
            .await,
            "ValidationException"
        );
    }
}

#[tokio::test]
async fn sign_errors() {
    let s = TestServer::new();
    let ecc = s.create_key(json!({"KeySpec": "ECC_NIST_P256"})).await;
    assert_eq!(
        s.err(
            "Sign",
            json!({"KeyId": ecc, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_384"})
        )
        .await,
        "InvalidKeyUsageException"
    );
    assert_eq!(
        s.err("Sign", json!({"KeyId": ecc, "Message": b64(b"m")}))
            .await,
        "ValidationException"
    );
    assert_eq!(
        s.err(
            "Sign",
            json!({"KeyId": ecc, "Message": b64(&[0u8; 4097]), "SigningAlgorithm": "ECDSA_SHA_256"})
        )
        .await,
        "ValidationException"
    );
    let sym = s.create_key(empty()).await;
    assert_eq!(
        s.err(
            "Sign",
            json!({"KeyId": sym, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"})
        )
        .await,
        "InvalidKeyUsageException"
    );
    let rsa_enc = s.create_key(json!({"KeySpec": "RSA_2048"})).await;
    assert_eq!(
        s.err(
            "Sign",
            json!({"KeyId": rsa_enc, "Message": b64(b"m"), "SigningAlgorithm": "RSASSA_PSS_SHA_256"})
        )
        .await,
        "InvalidKeyUsageException"
    );
}

#[tokio::test]
async fn generate_and_verify_mac() {
    let s = TestServer::new();
    for (spec, alg, len) in [
        ("HMAC_224", "HMAC_SHA_224", 28),
        ("HMAC_256", "HMAC_SHA_256", 32),
        ("HMAC_384", "HMAC_SHA_384", 48),
        ("HMAC_512", "HMAC_SHA_512", 64),
    ] {
        let id = s.create_key(json!({"KeySpec": spec})).await;
        let v = s
            .ok(
                "GenerateMac",
                json!({"KeyId": id, "Message": b64(b"m"), "MacAlgorithm": alg}),
            )
            .await;
        assert_eq!(unb64(&v["Mac"]).len(), len);
        assert_eq!(v["MacAlgorithm"], alg);
        let ok = s
            .ok(
                "VerifyMac",
                json!({"KeyId": id, "Message": b64(b"m"), "MacAlgorithm": alg, "Mac": v["Mac"]}),
            )
            .await;
        assert_eq!(ok["MacValid"], true);
        assert_eq!(
            s.err(
                "VerifyMac",
                json!({"KeyId": id, "Message": b64(b"n"), "MacAlgorithm": alg, "Mac": v["Mac"]})
            )
            .await,
            "KMSInvalidMacException"
        );
    }
    let h = s.create_key(json!({"KeySpec": "HMAC_256"})).await;
    assert_eq!(
        s.err(
            "GenerateMac",
            json!({"KeyId": h, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_512"})
        )
        .await,
        "InvalidKeyUsageException"
    );
    let sym = s.create_key(empty()).await;
    assert_eq!(
        s.err(
            "GenerateMac",
            json!({"KeyId": sym, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256"})
        )
        .await,
        "InvalidKeyUsageException"
    );
}

#[tokio::test]
async fn cross_account_use_by_key_arn() {
    let s = TestServer::new();
    let id = s.create_key(empty()).await;
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}");
    let encrypt = json!({"KeyId": arn, "Plaintext": b64(b"x")});
    // The default key policy trusts only the key's own account.
    let (_, v) = s
        .call_as(&TestServer::other(), "Encrypt", encrypt.clone())
        .await;
    assert_eq!(v["__type"], "AccessDeniedException", "{v}");
    // Once the key policy trusts the other account, its principals whose
    // identity policies allow it may use the key by ARN.
    let policy = key_policy(json!([
        root_statement(),
        {"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT},
         "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]));
    s.put_key_policy(&id, &policy).await;
    let (status, v) = s.call_as(&TestServer::other(), "Encrypt", encrypt).await;
    assert_eq!(status, 200, "{v}");
    // A bare key id is looked up in the caller's own account.
    let (_, v) = s
        .call_raw(
            &TestServer::other(),
            REGION,
            "Encrypt",
            json!({"KeyId": id, "Plaintext": b64(b"x")})
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(v["__type"], "NotFoundException");
}

#[tokio::test]
async fn derive_shared_secret_agrees_from_both_sides() {
    let s = TestServer::new();
    for (spec, len) in [
        ("ECC_NIST_P256", 32),
        ("ECC_NIST_P384", 48),
        ("ECC_NIST_P521", 66),
    ] {
        let agreement = json!({"KeySpec": spec, "KeyUsage": "KEY_AGREEMENT"});
        let alice = s.create_key(agreement.clone()).await;
        let bob = s.create_key(agreement).await;
        let md = s.ok("DescribeKey", json!({"KeyId": alice})).await;
        assert_eq!(md["KeyMetadata"]["KeyAgreementAlgorithms"], json!(["ECDH"]));
        assert!(md["KeyMetadata"].get("SigningAlgorithms").is_none());
        let public = |v: Value| v["PublicKey"].clone();
        let alice_pub = s.ok("GetPublicKey", json!({"KeyId": alice})).await;
        assert_eq!(alice_pub["KeyAgreementAlgorithms"], json!(["ECDH"]));
        assert_eq!(alice_pub["KeyUsage"], "KEY_AGREEMENT");
        let bob_pub = s.ok("GetPublicKey", json!({"KeyId": bob})).await;
        let derive = |key: &str, peer: Value| json!({"KeyId": key, "KeyAgreementAlgorithm": "ECDH", "PublicKey": peer});
        let ab = s
            .ok("DeriveSharedSecret", derive(&alice, public(bob_pub)))
            .await;
        let ba = s
            .ok("DeriveSharedSecret", derive(&bob, public(alice_pub)))
            .await;
        assert_eq!(
            unb64(&ab["SharedSecret"]),
            unb64(&ba["SharedSecret"]),
            "{spec}"
        );
        assert_eq!(unb64(&ab["SharedSecret"]).len(), len, "{spec}");
        assert!(ab["KeyId"].as_str().unwrap().ends_with(&alice));
        assert_eq!(ab["KeyAgreementAlgorithm"], "ECDH");
        assert_eq!(ab["KeyOrigin"], "AWS_KMS");
    }
}

#[tokio::test]
async fn derive_shared_secret_errors() {
    let s = TestServer::new();
    let key = s
        .create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}))
        .await;
    let p384 = s
        .create_key(json!({"KeySpec": "ECC_NIST_P384", "KeyUsage": "KEY_AGREEMENT"}))
        .await;
    let p384_pub = s.ok("GetPublicKey", json!({"KeyId": p384})).await["PublicKey"].clone();
    let own_pub = s.ok("GetPublicKey", json!({"KeyId": key})).await["PublicKey"].clone();
    let req = |key: &str, extra: Value| {
        let mut body = json!({"KeyId": key, "KeyAgreementAlgorithm": "ECDH", "PublicKey": own_pub});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            req(&key, json!({"PublicKey": p384_pub})),
            "ValidationException",
        ),
        (
            req(&key, json!({"PublicKey": b64(b"not a key")})),
            "ValidationException",
        ),
        (
            req(&key, json!({"KeyAgreementAlgorithm": "DH"})),
            "ValidationException",
        ),
        (
            json!({"KeyId": key, "PublicKey": own_pub}),
            "ValidationException",
        ),
        (
            json!({"KeyId": key, "KeyAgreementAlgorithm": "ECDH"}),
            "ValidationException",
        ),
        (
            req(&key, json!({"DryRun": true})),
            "DryRunOperationException",
        ),
        (
            req(
                &key,
                json!({"Recipient": {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256",
                "AttestationDocument": b64(b"doc")}}),
            ),
            "UnsupportedOperationException",
        ),
        (
            req(&key, json!({"GrantTokens": ["forged"]})),
            "InvalidGrantTokenException",
        ),
        (req("alias/none", json!({})), "NotFoundException"),
    ];
    for (body, code) in cases {
        assert_eq!(
            s.err("DeriveSharedSecret", body.clone()).await,
            code,
            "{body}"
        );
    }
    let signing = s.create_key(json!({"KeySpec": "ECC_NIST_P256"})).await;
    let sym = s.create_key(empty()).await;
    for other in [&signing, &sym] {
        assert_eq!(
            s.err("DeriveSharedSecret", req(other, json!({}))).await,
            "InvalidKeyUsageException"
        );
    }
    // secp256k1 signs only, as in AWS; symmetric keys never agree.
    for spec in [
        "ECC_SECG_P256K1",
        "SYMMETRIC_DEFAULT",
        "RSA_2048",
        "HMAC_256",
    ] {
        assert_eq!(
            s.err(
                "CreateKey",
                json!({"KeySpec": spec, "KeyUsage": "KEY_AGREEMENT"})
            )
            .await,
            "ValidationException",
            "{spec}"
        );
    }
    s.ok("DisableKey", json!({"KeyId": key})).await;
    assert_eq!(
        s.err("DeriveSharedSecret", req(&key, json!({}))).await,
        "DisabledException"
    );
}
