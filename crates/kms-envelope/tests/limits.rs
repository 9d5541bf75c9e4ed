//! Limits, commitment policies, reserved context keys, reproduced contexts,
//! signed-suite release rules and non-framed bodies.

// Uses signed suites, RSA keyrings or `verify`: the full build only.
#![cfg(all(feature = "ecdsa", feature = "rsa", feature = "verify"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::{FixedKeyManager, stream_decrypt};
use kms_envelope::error::{ContextError, Limit};
use kms_envelope::{
    AlgorithmSuiteId, CommitmentPolicy, DecryptOptions, EncryptOptions, EncryptionContext,
    Encryptor, Error, HeaderReader, ReadHeader, decrypt, encrypt,
};
use pollster::block_on;

const COMMITTING: AlgorithmSuiteId = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
const SIGNED: AlgorithmSuiteId = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384;
const LEGACY: AlgorithmSuiteId = AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha256;

fn ctx() -> EncryptionContext {
    [("tenant", "a"), ("purpose", "test")].into_iter().collect()
}

fn message(suite: AlgorithmSuiteId, plaintext: &[u8], frame: u32) -> Vec<u8> {
    let policy = if suite.suite().commitment {
        CommitmentPolicy::RequireEncryptRequireDecrypt
    } else {
        CommitmentPolicy::ForbidEncryptAllowDecrypt
    };
    let opts = EncryptOptions::default()
        .with_suite(suite)
        .with_frame_length(frame)
        .with_commitment_policy(policy);
    block_on(encrypt(&FixedKeyManager::new(1), plaintext, &ctx(), &opts))
        .unwrap()
        .ciphertext
}

fn allow_legacy() -> DecryptOptions {
    DecryptOptions::default().with_commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt)
}

#[test]
fn defaults_are_0478_framed_4096_require_require() {
    let m = FixedKeyManager::new(1);
    let out = block_on(encrypt(&m, &[1; 5000], &ctx(), &EncryptOptions::default())).unwrap();
    assert_eq!(out.suite, COMMITTING);
    let dec = block_on(decrypt(&m, &out.ciphertext, &DecryptOptions::default())).unwrap();
    assert_eq!(dec.header.frame_length(), 4096);
    assert_eq!(dec.header.version(), 2);
    assert_eq!(dec.plaintext, [1; 5000]);
}

#[test]
fn encrypted_data_key_count_is_checked_when_read_before_the_keys() {
    let ct = message(COMMITTING, b"x", 16);
    let mut opts = DecryptOptions::default();
    opts.max_encrypted_data_keys = Some(0);
    let limit = Error::LimitExceeded(Limit::EncryptedDataKeys { max: 0, found: 1 });
    assert_eq!(
        block_on(decrypt(&FixedKeyManager::new(1), &ct, &opts)).unwrap_err(),
        limit
    );
    // Cut the message right after the count: the limit still wins over
    // truncation, so the keys were never parsed.
    let (header, _) = kms_envelope::format::Header::parse(&ct, &Default::default()).unwrap();
    let edk = &header.encrypted_data_keys()[0];
    let edk_len = 6 + edk.provider_id.len() + edk.provider_info.len() + edk.ciphertext.len();
    let count_end = header.body_bytes().len() - (1 + 4 + 32) - edk_len;
    assert_eq!(
        block_on(decrypt(&FixedKeyManager::new(1), &ct[..count_end], &opts)).unwrap_err(),
        limit
    );
    let r = HeaderReader::new(opts).read(&mut &ct[..count_end]);
    assert_eq!(r.unwrap_err(), limit);

    let mut eopts = EncryptOptions::default();
    eopts.max_encrypted_data_keys = Some(0);
    let err = block_on(encrypt(&FixedKeyManager::new(1), b"x", &ctx(), &eopts)).unwrap_err();
    assert_eq!(
        err,
        Error::LimitExceeded(Limit::EncryptedDataKeys { max: 0, found: 1 })
    );
}

#[test]
fn header_and_body_size_limits_are_raised_before_the_work() {
    let ct = message(COMMITTING, &[7; 10_000], 1000);
    let mut opts = DecryptOptions::default();
    opts.max_header_size = 40;
    let err = block_on(decrypt(&FixedKeyManager::new(1), &ct, &opts)).unwrap_err();
    assert_eq!(err, Error::LimitExceeded(Limit::HeaderSize { max: 40 }));
    let (_, r) = stream_decrypt(&FixedKeyManager::new(1), &ct, &opts, &[3]);
    assert_eq!(
        r.unwrap_err(),
        Error::LimitExceeded(Limit::HeaderSize { max: 40 })
    );

    let mut opts = DecryptOptions::default();
    opts.max_body_size = Some(5000);
    let err = block_on(decrypt(&FixedKeyManager::new(1), &ct, &opts)).unwrap_err();
    assert_eq!(err, Error::LimitExceeded(Limit::BodySize { max: 5000 }));
    let (out, r) = stream_decrypt(&FixedKeyManager::new(1), &ct, &opts, &[100]);
    assert_eq!(
        r.unwrap_err(),
        Error::LimitExceeded(Limit::BodySize { max: 5000 })
    );
    assert!(out.len() <= 5000);
}

#[test]
fn frame_length_and_plaintext_bound_are_checked() {
    let m = FixedKeyManager::new(1);
    let opts = EncryptOptions::default().with_frame_length(0);
    assert_eq!(
        block_on(encrypt(&m, b"x", &ctx(), &opts)).unwrap_err(),
        Error::LimitExceeded(Limit::FrameLength)
    );
    let mut opts = EncryptOptions::default();
    opts.plaintext_length_bound = Some(10);
    let mut e = block_on(Encryptor::new(&m, &ctx(), &opts)).unwrap();
    let mut out = Vec::new();
    e.update(&[0; 10], &mut out).unwrap();
    assert_eq!(
        e.update(&[0], &mut out).unwrap_err(),
        Error::LimitExceeded(Limit::PlaintextLength { max: 10 })
    );
}

#[test]
fn commitment_policies_gate_encrypt_and_decrypt() {
    let m = FixedKeyManager::new(1);
    let require = EncryptOptions::default().with_suite(LEGACY);
    assert!(matches!(
        block_on(encrypt(&m, b"x", &ctx(), &require)),
        Err(Error::CommitmentPolicy { suite: 0x0178, .. })
    ));
    let forbid = EncryptOptions::default()
        .with_suite(COMMITTING)
        .with_commitment_policy(CommitmentPolicy::ForbidEncryptAllowDecrypt);
    assert!(matches!(
        block_on(encrypt(&m, b"x", &ctx(), &forbid)),
        Err(Error::CommitmentPolicy { suite: 0x0478, .. })
    ));
    let legacy = message(LEGACY, b"old", 16);
    assert!(matches!(
        block_on(decrypt(&m, &legacy, &DecryptOptions::default())),
        Err(Error::CommitmentPolicy { suite: 0x0178, .. })
    ));
    assert_eq!(
        block_on(decrypt(&m, &legacy, &allow_legacy()))
            .unwrap()
            .plaintext,
        b"old"
    );
}

#[test]
fn reserved_context_keys_are_refused_from_callers() {
    let bad: EncryptionContext = [("aws-crypto-public-key", "x")].into_iter().collect();
    let err = block_on(encrypt(
        &FixedKeyManager::new(1),
        b"x",
        &bad,
        &EncryptOptions::default(),
    ))
    .unwrap_err();
    assert_eq!(
        err,
        Error::EncryptionContext(ContextError::ReservedKey("aws-crypto-public-key".into()))
    );
}

#[test]
fn reproduced_context_must_match_the_message() {
    let m = FixedKeyManager::new(1);
    let ct = message(COMMITTING, b"x", 16);
    let ok = DecryptOptions::default()
        .with_reproduced_encryption_context([("tenant", "a")].into_iter().collect());
    assert!(block_on(decrypt(&m, &ct, &ok)).is_ok());
    for (k, v) in [("tenant", "b"), ("absent", "x")] {
        let bad = DecryptOptions::default()
            .with_reproduced_encryption_context([(k, v)].into_iter().collect());
        assert_eq!(
            block_on(decrypt(&m, &ct, &bad)).unwrap_err(),
            Error::EncryptionContext(ContextError::Mismatch { key: k.into() })
        );
        let (out, r) = stream_decrypt(&m, &ct, &bad, &[7]);
        assert!(r.is_err() && out.is_empty());
    }
}

#[test]
fn required_context_pairs_are_authenticated_but_not_stored() {
    let mut m = FixedKeyManager::new(1);
    m.required_keys = vec!["tenant".into()];
    let out = block_on(encrypt(&m, b"secret", &ctx(), &EncryptOptions::default())).unwrap();
    let (header, _) =
        kms_envelope::format::Header::parse(&out.ciphertext, &Default::default()).unwrap();
    assert_eq!(header.encryption_context().get("tenant"), None);
    assert_eq!(header.encryption_context().get("purpose"), Some("test"));

    let with = |tenant: &str| {
        DecryptOptions::default()
            .with_reproduced_encryption_context([("tenant", tenant)].into_iter().collect())
    };
    let dec = block_on(decrypt(&m, &out.ciphertext, &with("a"))).unwrap();
    assert_eq!(dec.plaintext, b"secret");
    assert_eq!(dec.encryption_context.get("tenant"), Some("a"));
    // Another value, or none, changes the header tag's AAD.
    assert_eq!(
        block_on(decrypt(&m, &out.ciphertext, &with("b"))).unwrap_err(),
        Error::HeaderAuthentication
    );
    assert_eq!(
        block_on(decrypt(&m, &out.ciphertext, &DecryptOptions::default())).unwrap_err(),
        Error::HeaderAuthentication
    );
}

#[test]
fn signed_suites_hold_plaintext_until_the_signature_verifies_unless_asked() {
    let m = FixedKeyManager::new(1);
    let pt = vec![9u8; 100];
    let ct = message(SIGNED, &pt, 16);
    let run = |opts: DecryptOptions| {
        let release = opts.release_unverified_plaintext;
        let mut input = &ct[..];
        let ReadHeader::Parsed(parsed) = HeaderReader::new(opts).read(&mut input).unwrap() else {
            panic!("header incomplete");
        };
        let mut body = block_on(parsed.obtain_materials(&m)).unwrap();
        assert_eq!(body.holds_plaintext(), !release);
        let mut out = Vec::new();
        body.update(&input[..input.len() - 1], &mut out).unwrap();
        let before = out.len();
        body.update(&input[input.len() - 1..], &mut out).unwrap();
        body.finish(&mut out).unwrap();
        (before, out)
    };
    let (before, out) = run(DecryptOptions::default());
    assert_eq!((before, &out), (0, &pt));
    let mut opts = DecryptOptions::default();
    opts.release_unverified_plaintext = true;
    let (before, out) = run(opts);
    assert_eq!((before, &out), (100, &pt));

    let mut opts = DecryptOptions::default();
    opts.refuse_signed_suites = true;
    assert!(matches!(
        block_on(decrypt(&m, &ct, &opts)),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn parsed_header_is_inspectable_before_materials() {
    let ct = message(SIGNED, b"hello", 16);
    let mut input = &ct[..];
    let ReadHeader::Parsed(parsed) = HeaderReader::new(DecryptOptions::default())
        .read(&mut input)
        .unwrap()
    else {
        panic!("header incomplete");
    };
    assert_eq!(parsed.suite().id, SIGNED);
    assert_eq!(parsed.frame_length(), 16);
    assert_eq!(parsed.encryption_context().get("tenant"), Some("a"));
    assert!(
        parsed
            .encryption_context()
            .get("aws-crypto-public-key")
            .is_some()
    );
    assert_eq!(parsed.encrypted_data_keys()[0].provider_id, "test-fixed");
    assert_eq!(input.len(), ct.len() - parsed.header().len());
}

/// Builds a non-framed message by hand (the format forbids writing them, so
/// the library cannot): header with content type 0x01 and frame length 0,
/// then IV, content length, ciphertext and tag.
fn non_framed(suite: AlgorithmSuiteId, plaintext: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use hkdf::Hkdf;
    let s = suite.suite();
    let v2 = s.message_format_version == 2;
    let message_id = vec![0x5a; s.message_id_len()];
    let data_key = vec![1u8; 32];
    let mut key = [0u8; 32];
    let mut commitment = [0u8; 32];
    if v2 {
        let hk = Hkdf::<sha2::Sha512>::new(Some(&message_id), &data_key);
        let mut info = suite.to_be_bytes().to_vec();
        info.extend_from_slice(b"DERIVEKEY");
        hk.expand(&info, &mut key).unwrap();
        hk.expand(b"COMMITKEY", &mut commitment).unwrap();
    } else {
        let mut info = suite.to_be_bytes().to_vec();
        info.extend_from_slice(&message_id);
        Hkdf::<sha2::Sha256>::new(None, &data_key)
            .expand(&info, &mut key)
            .unwrap();
    }
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(&key).unwrap();
    let ctx = ctx().serialize().unwrap();
    let mut h = vec![s.message_format_version];
    if !v2 {
        h.push(0x80);
    }
    h.extend_from_slice(&suite.to_be_bytes());
    h.extend_from_slice(&message_id);
    h.extend_from_slice(&(ctx.len() as u16).to_be_bytes());
    h.extend_from_slice(&ctx);
    h.extend_from_slice(&[0, 1, 0, 10]);
    h.extend_from_slice(b"test-fixed");
    h.extend_from_slice(&[0, 1, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.push(0x01);
    if !v2 {
        h.extend_from_slice(&[0, 0, 0, 0, 12]);
    }
    h.extend_from_slice(&[0, 0, 0, 0]);
    if v2 {
        h.extend_from_slice(&commitment);
    }
    let tag = cipher
        .encrypt_inout_detached(&[0u8; 12].into(), &h, (&mut [][..]).into())
        .unwrap();
    if !v2 {
        h.extend_from_slice(&[0; 12]);
    }
    h.extend_from_slice(&tag);
    let iv = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut aad = message_id.clone();
    aad.extend_from_slice(b"AWSKMSEncryptionClient Single Block");
    aad.extend_from_slice(&1u32.to_be_bytes());
    aad.extend_from_slice(&(plaintext.len() as u64).to_be_bytes());
    let mut body = plaintext.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&iv.into(), &aad, body.as_mut_slice().into())
        .unwrap();
    h.extend_from_slice(&iv);
    h.extend_from_slice(&(plaintext.len() as u64).to_be_bytes());
    h.extend_from_slice(&body);
    h.extend_from_slice(&tag);
    h
}

#[test]
fn non_framed_bodies_decrypt_within_the_body_limit() {
    let m = FixedKeyManager::new(1);
    let pt: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    for suite in [COMMITTING, AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha256] {
        let ct = non_framed(suite, &pt);
        let dec = block_on(decrypt(&m, &ct, &allow_legacy())).unwrap();
        assert_eq!(dec.plaintext, pt);
        assert_eq!(
            dec.header.content_type(),
            kms_envelope::format::ContentType::NonFramed
        );
        let (out, r) = stream_decrypt(&m, &ct, &allow_legacy(), &[1, 100, 7]);
        r.unwrap();
        assert_eq!(out, pt);
        // Streaming: the whole block is checked against the limit as soon as
        // its length is read.
        let mut small = allow_legacy();
        small.max_body_size = Some(1000);
        let (out, r) = stream_decrypt(&m, &ct, &small, &[64]);
        assert_eq!(
            r.unwrap_err(),
            Error::LimitExceeded(Limit::BodySize { max: 1000 })
        );
        assert!(out.is_empty());
        let mut bad = ct.clone();
        *bad.last_mut().unwrap() ^= 1;
        let (out, r) = stream_decrypt(&m, &bad, &allow_legacy(), &[64]);
        assert_eq!(r.unwrap_err(), Error::BodyAuthentication);
        assert!(out.is_empty());
    }
}
