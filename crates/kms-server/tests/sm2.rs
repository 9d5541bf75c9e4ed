//! SM2 keys through the API, in a China Region as AWS offers them:
//! CreateKey for each usage, DescribeKey and GetPublicKey, Sign and Verify
//! (RAW and DIGEST, checked by the client's own verifier), Encrypt, Decrypt
//! and ReEncrypt with SM2PKE, DeriveSharedSecret, data key pairs, import
//! with an SM2 wrapping key; and the refusals outside China Regions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kms_envelope::verify::{Message, PublicKey, SigningAlgorithm};
use pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use serde_json::{Value, json};
use sm2::elliptic_curve::Generate;

/// China (Beijing).
const CN: &str = "cn-north-1";

async fn cn(s: &TestServer, operation: &str, body: Value) -> (u16, Value) {
    s.call_raw(&s.admin, CN, operation, body.to_string().as_bytes())
        .await
}

async fn cn_ok(s: &TestServer, operation: &str, body: Value) -> Value {
    let (status, v) = cn(s, operation, body).await;
    assert_eq!(status, 200, "{operation} failed: {v}");
    v
}

async fn cn_err(s: &TestServer, operation: &str, body: Value) -> String {
    let (status, v) = cn(s, operation, body).await;
    assert_ne!(status, 200, "{operation} unexpectedly succeeded: {v}");
    v["__type"].as_str().unwrap().to_owned()
}

/// CreateKey in cn-north-1; the key id.
async fn cn_create(s: &TestServer, body: Value) -> String {
    let v = cn_ok(s, "CreateKey", body).await;
    v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
}

async fn cn_key(s: &TestServer, usage: &str) -> String {
    cn_create(s, json!({"KeySpec": "SM2", "KeyUsage": usage})).await
}

#[tokio::test]
async fn sm2_is_refused_outside_china_regions() {
    let s = TestServer::new();
    for (region, partition) in [
        (REGION, "aws"),
        ("eu-west-1", "aws"),
        ("us-gov-west-1", "aws-us-gov"),
    ] {
        let call = |op: &'static str, body: Value| {
            let s = &s;
            async move {
                s.call_raw(&s.admin, region, op, body.to_string().as_bytes())
                    .await
            }
        };
        let (status, v) = call("CreateKey", json!({"KeySpec": "SM2"})).await;
        assert_eq!(status, 400, "{region} {partition}");
        assert_eq!(v["__type"], "UnsupportedOperationException");
        assert_eq!(v["message"], "KeySpec SM2 is not supported in this Region.");
        let (_, v) = call(
            "CreateKey",
            json!({"CustomerMasterKeySpec": "SM2", "KeyUsage": "SIGN_VERIFY"}),
        )
        .await;
        assert_eq!(v["__type"], "UnsupportedOperationException");
    }
    let symmetric = s.create_key(json!({})).await;
    let (_, v) = s
        .call(
            "GenerateDataKeyPair",
            json!({"KeyId": symmetric, "KeyPairSpec": "SM2"}),
        )
        .await;
    assert_eq!(
        v["message"],
        "KeyPairSpec SM2 is not supported in this Region."
    );
    let external = s
        .create_key(
            json!({"Origin": "EXTERNAL", "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}),
        )
        .await;
    let (_, v) = s
        .call(
            "GetParametersForImport",
            json!({"KeyId": external, "WrappingKeySpec": "SM2", "WrappingAlgorithm": "SM2PKE"}),
        )
        .await;
    assert_eq!(
        v["message"],
        "WrappingKeySpec SM2 is not supported in this Region."
    );
}

#[tokio::test]
async fn keys_of_each_usage_describe_themselves_as_aws_does() {
    let s = TestServer::new();
    for (usage, member, algorithms) in [
        ("ENCRYPT_DECRYPT", "EncryptionAlgorithms", json!(["SM2PKE"])),
        ("SIGN_VERIFY", "SigningAlgorithms", json!(["SM2DSA"])),
        ("KEY_AGREEMENT", "KeyAgreementAlgorithms", json!(["ECDH"])),
    ] {
        let id = cn_key(&s, usage).await;
        let md = &cn_ok(&s, "DescribeKey", json!({"KeyId": id})).await["KeyMetadata"];
        assert_eq!(md["KeySpec"], "SM2");
        assert_eq!(md["CustomerMasterKeySpec"], "SM2");
        assert_eq!(md["KeyUsage"], usage);
        assert_eq!(md[member], algorithms, "{usage}");
        let arn = md["Arn"].as_str().unwrap();
        assert!(arn.starts_with("arn:aws-cn:kms:cn-north-1:"), "{arn}");

        let v = cn_ok(&s, "GetPublicKey", json!({"KeyId": id})).await;
        assert_eq!(v["KeySpec"], "SM2");
        assert_eq!(v["KeyUsage"], usage);
        assert_eq!(v[member], algorithms);
        let der = unb64(&v["PublicKey"]);
        let info = spki::SubjectPublicKeyInfoRef::try_from(der.as_slice()).unwrap();
        assert_eq!(info.algorithm.oid.to_string(), "1.2.840.10045.2.1");
        assert_eq!(
            info.algorithm.parameters_oid().unwrap().to_string(),
            "1.2.156.10197.1.301"
        );
        sm2::PublicKey::from_public_key_der(&der).unwrap();
    }
    // The default usage is ENCRYPT_DECRYPT; GENERATE_VERIFY_MAC is not one.
    let v = cn_ok(&s, "CreateKey", json!({"KeySpec": "SM2"})).await;
    assert_eq!(v["KeyMetadata"]["KeyUsage"], "ENCRYPT_DECRYPT");
    let err = cn_err(
        &s,
        "CreateKey",
        json!({"KeySpec": "SM2", "KeyUsage": "GENERATE_VERIFY_MAC"}),
    )
    .await;
    assert_eq!(err, "ValidationException");
}

#[tokio::test]
async fn signatures_verify_in_kms_and_with_the_client() {
    let s = TestServer::new();
    let id = cn_key(&s, "SIGN_VERIFY").await;
    let spki = unb64(&cn_ok(&s, "GetPublicKey", json!({"KeyId": id})).await["PublicKey"]);
    let client = PublicKey::from_der(&spki).unwrap();
    let message = b"signed by kms-server with an SM2 key".to_vec();
    let digest = client.sm2_digest(&message).unwrap();
    for (message_type, input) in [("RAW", &message[..]), ("DIGEST", &digest[..])] {
        let body = json!({"KeyId": id, "SigningAlgorithm": "SM2DSA",
                          "MessageType": message_type, "Message": b64(input)});
        let v = cn_ok(&s, "Sign", body.clone()).await;
        assert_eq!(v["SigningAlgorithm"], "SM2DSA");
        let signature = unb64(&v["Signature"]);
        client
            .verify(SigningAlgorithm::Sm2Dsa, Message::Raw(&message), &signature)
            .unwrap();
        let mut verify = body.clone();
        verify["Signature"] = json!(b64(&signature));
        let v = cn_ok(&s, "Verify", verify.clone()).await;
        assert_eq!(v["SignatureValid"], true);
        let mut tampered = signature.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        verify["Signature"] = json!(b64(&tampered));
        assert_eq!(
            cn_err(&s, "Verify", verify).await,
            "KMSInvalidSignatureException"
        );
    }
    // A digest that is no SM3 digest, and another algorithm.
    let body = json!({"KeyId": id, "SigningAlgorithm": "SM2DSA",
                      "MessageType": "DIGEST", "Message": b64(&[0u8; 48])});
    assert_eq!(cn_err(&s, "Sign", body).await, "ValidationException");
    let body = json!({"KeyId": id, "SigningAlgorithm": "ECDSA_SHA_256",
                      "Message": b64(b"m")});
    assert_eq!(cn_err(&s, "Sign", body).await, "InvalidKeyUsageException");
    // An encryption key does not sign.
    let encryption = cn_key(&s, "ENCRYPT_DECRYPT").await;
    let body = json!({"KeyId": encryption, "SigningAlgorithm": "SM2DSA",
                      "Message": b64(b"m")});
    assert_eq!(cn_err(&s, "Sign", body).await, "InvalidKeyUsageException");
}

#[tokio::test]
async fn sm2pke_encrypts_decrypts_and_re_encrypts() {
    let s = TestServer::new();
    let id = cn_key(&s, "ENCRYPT_DECRYPT").await;
    let plaintext = vec![0xa5u8; 1024];
    let v = cn_ok(
        &s,
        "Encrypt",
        json!({"KeyId": id, "EncryptionAlgorithm": "SM2PKE", "Plaintext": b64(&plaintext)}),
    )
    .await;
    assert_eq!(v["EncryptionAlgorithm"], "SM2PKE");
    let blob = unb64(&v["CiphertextBlob"]);
    let decrypt =
        json!({"KeyId": id, "EncryptionAlgorithm": "SM2PKE", "CiphertextBlob": b64(&blob)});
    let v = cn_ok(&s, "Decrypt", decrypt.clone()).await;
    assert_eq!(unb64(&v["Plaintext"]), plaintext);
    assert_eq!(v["EncryptionAlgorithm"], "SM2PKE");

    // Over the limit, with an encryption context, without the KeyId, with
    // a changed byte.
    let too_long = json!({"KeyId": id, "EncryptionAlgorithm": "SM2PKE",
                          "Plaintext": b64(&[1u8; 1025])});
    assert_eq!(cn_err(&s, "Encrypt", too_long).await, "ValidationException");
    let with_context = json!({"KeyId": id, "EncryptionAlgorithm": "SM2PKE",
                              "Plaintext": b64(b"x"), "EncryptionContext": {"a": "b"}});
    assert_eq!(
        cn_err(&s, "Encrypt", with_context).await,
        "ValidationException"
    );
    let mut no_key = decrypt.clone();
    no_key.as_object_mut().unwrap().remove("KeyId");
    assert_eq!(cn_err(&s, "Decrypt", no_key).await, "ValidationException");
    let mut changed = blob.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let bad =
        json!({"KeyId": id, "EncryptionAlgorithm": "SM2PKE", "CiphertextBlob": b64(&changed)});
    assert_eq!(
        cn_err(&s, "Decrypt", bad).await,
        "InvalidCiphertextException"
    );

    // ReEncrypt from SM2PKE to a symmetric key and back.
    let symmetric = cn_create(&s, json!({})).await;
    let v = cn_ok(
        &s,
        "ReEncrypt",
        json!({"CiphertextBlob": b64(&blob), "SourceKeyId": id,
               "SourceEncryptionAlgorithm": "SM2PKE", "DestinationKeyId": symmetric}),
    )
    .await;
    assert_eq!(v["SourceEncryptionAlgorithm"], "SM2PKE");
    let v = cn_ok(
        &s,
        "ReEncrypt",
        json!({"CiphertextBlob": v["CiphertextBlob"], "DestinationKeyId": id,
               "DestinationEncryptionAlgorithm": "SM2PKE"}),
    )
    .await;
    let back = json!({"KeyId": id, "EncryptionAlgorithm": "SM2PKE",
                      "CiphertextBlob": v["CiphertextBlob"]});
    assert_eq!(
        unb64(&cn_ok(&s, "Decrypt", back).await["Plaintext"]),
        plaintext
    );

    // A client encrypts with the public key alone; KMS decrypts.
    let spki = unb64(&cn_ok(&s, "GetPublicKey", json!({"KeyId": id})).await["PublicKey"]);
    let client = sm2::pke::EncryptingKey::new(sm2::PublicKey::from_public_key_der(&spki).unwrap());
    let offline = client
        .encrypt_der(&mut getrandom::SysRng, b"encrypted offline")
        .unwrap();
    let v = cn_ok(
        &s,
        "Decrypt",
        json!({"KeyId": id, "EncryptionAlgorithm": "SM2PKE", "CiphertextBlob": b64(&offline)}),
    )
    .await;
    assert_eq!(unb64(&v["Plaintext"]), b"encrypted offline");
}

#[tokio::test]
async fn derive_shared_secret_matches_the_peer() {
    let s = TestServer::new();
    let id = cn_key(&s, "KEY_AGREEMENT").await;
    let kms_public = unb64(&cn_ok(&s, "GetPublicKey", json!({"KeyId": id})).await["PublicKey"]);
    let peer = sm2::SecretKey::try_generate_from_rng(&mut getrandom::SysRng).unwrap();
    let peer_spki = {
        use pkcs8::EncodePublicKey;
        peer.public_key().to_public_key_der().unwrap().into_vec()
    };
    let v = cn_ok(
        &s,
        "DeriveSharedSecret",
        json!({"KeyId": id, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b64(&peer_spki)}),
    )
    .await;
    let kms_point = sm2::PublicKey::from_public_key_der(&kms_public).unwrap();
    let expected =
        sm2::elliptic_curve::ecdh::diffie_hellman(peer.to_nonzero_scalar(), kms_point.as_affine());
    assert_eq!(
        unb64(&v["SharedSecret"]),
        expected.raw_secret_bytes().to_vec()
    );
    // A P-256 peer does not fit an SM2 key.
    let p256 = s
        .create_key(json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}))
        .await;
    let p256_public = s.ok("GetPublicKey", json!({"KeyId": p256})).await["PublicKey"].clone();
    let body = json!({"KeyId": id, "KeyAgreementAlgorithm": "ECDH", "PublicKey": p256_public});
    assert_eq!(
        cn_err(&s, "DeriveSharedSecret", body).await,
        "ValidationException"
    );
}

#[tokio::test]
async fn data_key_pairs_are_sm2_in_china_regions() {
    let s = TestServer::new();
    let symmetric = cn_create(&s, json!({})).await;
    let v = cn_ok(
        &s,
        "GenerateDataKeyPair",
        json!({"KeyId": symmetric, "KeyPairSpec": "SM2"}),
    )
    .await;
    assert_eq!(v["KeyPairSpec"], "SM2");
    let private = sm2::SecretKey::from_pkcs8_der(&unb64(&v["PrivateKeyPlaintext"])).unwrap();
    let public = sm2::PublicKey::from_public_key_der(&unb64(&v["PublicKey"])).unwrap();
    assert_eq!(private.public_key(), public);
    let opened = cn_ok(
        &s,
        "Decrypt",
        json!({"CiphertextBlob": v["PrivateKeyCiphertextBlob"]}),
    )
    .await;
    assert_eq!(
        opened["Plaintext"], v["PrivateKeyPlaintext"],
        "the wrapped private key is the plaintext one"
    );
}

#[tokio::test]
async fn sm2_material_imports_under_an_sm2_wrapping_key() {
    let s = TestServer::new();
    let id = cn_create(
        &s,
        json!({"KeySpec": "SM2", "KeyUsage": "SIGN_VERIFY", "Origin": "EXTERNAL"}),
    )
    .await;
    let material = sm2::SecretKey::try_generate_from_rng(&mut getrandom::SysRng).unwrap();
    let der = material.to_pkcs8_der().unwrap();

    // Symmetric material may not use SM2PKE; SM2 keys only with SM2PKE.
    let symmetric_external = cn_create(&s, json!({"Origin": "EXTERNAL"})).await;
    for (key, spec, algorithm) in [
        (&symmetric_external, "SM2", "SM2PKE"),
        (&id, "SM2", "RSAES_OAEP_SHA_256"),
        (&id, "RSA_2048", "SM2PKE"),
    ] {
        let body = json!({"KeyId": key, "WrappingKeySpec": spec, "WrappingAlgorithm": algorithm});
        assert_eq!(
            cn_err(&s, "GetParametersForImport", body).await,
            "ValidationException",
            "{spec} {algorithm}"
        );
    }

    let v = cn_ok(
        &s,
        "GetParametersForImport",
        json!({"KeyId": id, "WrappingKeySpec": "SM2", "WrappingAlgorithm": "SM2PKE"}),
    )
    .await;
    let wrapping = sm2::PublicKey::from_public_key_der(&unb64(&v["PublicKey"])).unwrap();
    let wrapped = sm2::pke::EncryptingKey::new(wrapping)
        .encrypt_der(&mut getrandom::SysRng, der.as_bytes())
        .unwrap();
    cn_ok(
        &s,
        "ImportKeyMaterial",
        json!({"KeyId": id, "ImportToken": v["ImportToken"],
               "EncryptedKeyMaterial": b64(&wrapped),
               "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
    )
    .await;
    let spki = unb64(&cn_ok(&s, "GetPublicKey", json!({"KeyId": id})).await["PublicKey"]);
    assert_eq!(
        sm2::PublicKey::from_public_key_der(&spki).unwrap(),
        material.public_key()
    );
    let v = cn_ok(
        &s,
        "Sign",
        json!({"KeyId": id, "SigningAlgorithm": "SM2DSA", "Message": b64(b"imported")}),
    )
    .await;
    PublicKey::from_der(&spki)
        .unwrap()
        .verify(
            SigningAlgorithm::Sm2Dsa,
            Message::Raw(b"imported"),
            &unb64(&v["Signature"]),
        )
        .unwrap();
}

#[tokio::test]
async fn multi_region_sm2_keys_replicate_within_china_regions_only() {
    let s = TestServer::new();
    let id = cn_create(
        &s,
        json!({"KeySpec": "SM2", "KeyUsage": "SIGN_VERIFY", "MultiRegion": true}),
    )
    .await;
    assert!(id.starts_with("mrk-"), "{id}");
    for region in [REGION, "us-gov-west-1"] {
        let body = json!({"KeyId": id, "ReplicaRegion": region});
        assert_eq!(
            cn_err(&s, "ReplicateKey", body).await,
            "ValidationException"
        );
    }
    let v = cn_ok(
        &s,
        "ReplicateKey",
        json!({"KeyId": id, "ReplicaRegion": "cn-northwest-1"}),
    )
    .await;
    let replica = v["ReplicaKeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    assert!(
        replica.starts_with("arn:aws-cn:kms:cn-northwest-1:"),
        "{replica}"
    );
    // The replica signs with the primary's key material.
    let (status, v) = s
        .call_raw(
            &s.admin,
            "cn-northwest-1",
            "Sign",
            json!({"KeyId": replica, "SigningAlgorithm": "SM2DSA", "Message": b64(b"replica")})
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let v = cn_ok(
        &s,
        "Verify",
        json!({"KeyId": id, "SigningAlgorithm": "SM2DSA", "Message": b64(b"replica"),
               "Signature": v["Signature"]}),
    )
    .await;
    assert_eq!(v["SignatureValid"], true);
}
