//! Sign and Verify with ECC_NIST_EDWARDS25519 and ML-DSA keys: every allowed
//! (algorithm, message type), the refusals AWS gives, independent verifiers.

use super::*;
use crate::crypto::test_keys::material;
use ed25519_dalek::Verifier as _;
use kms_protocol::ops::KeySpec;
use spki::SubjectPublicKeyInfoRef;

const ML_DSA_SPECS: [KeySpec; 3] = [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87];
const MESSAGE: &[u8] = b"the quick brown fox jumps over the lazy dog";

/// The raw key in an SPKI.
fn raw_public_key(spki: &[u8]) -> Vec<u8> {
    let info = SubjectPublicKeyInfoRef::try_from(spki).unwrap();
    info.subject_public_key.as_bytes().unwrap().to_vec()
}

/// An Ed25519 verifying key as a client builds it from GetPublicKey.
fn client_ed25519(spki: &[u8]) -> ed25519_dalek::VerifyingKey {
    let raw: [u8; 32] = raw_public_key(spki).try_into().unwrap();
    ed25519_dalek::VerifyingKey::from_bytes(&raw).unwrap()
}

fn is_message_type_error(err: &CryptoError) -> bool {
    matches!(
        err,
        CryptoError::InvalidInput {
            what: "MessageType",
            ..
        }
    ) && err.kms_error_code() == "ValidationException"
}

#[test]
fn ed25519_signs_raw_messages_and_sha512_digests() {
    use SigningAlgorithmSpec::*;
    let m = material(KeySpec::EccNistEdwards25519);
    let client = client_ed25519(m.public_key_der().unwrap());

    let sig = sign(m, Ed25519Sha512, MessageType::Raw, MESSAGE).unwrap();
    assert_eq!(sig.len(), 64);
    assert_eq!(
        sign(m, Ed25519Sha512, MessageType::Raw, MESSAGE).unwrap(),
        sig,
        "Ed25519 is deterministic"
    );
    verify(m, Ed25519Sha512, MessageType::Raw, MESSAGE, &sig).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
    client.verify_strict(MESSAGE, &sig).unwrap();
    client.verify(MESSAGE, &sig).unwrap();

    let digest = Sha512::digest(MESSAGE);
    let ph = sign(m, Ed25519PhSha512, MessageType::Digest, &digest).unwrap();
    assert_eq!(ph.len(), 64);
    verify(m, Ed25519PhSha512, MessageType::Digest, &digest, &ph).unwrap();
    // AWS hashes the given digest once more: Ed25519ph of the message
    // `digest`, whose PH is SHA-512(digest).
    let ph_sig = ed25519_dalek::Signature::from_slice(&ph).unwrap();
    client
        .verify_prehashed_strict(Sha512::new().chain_update(digest), None, &ph_sig)
        .unwrap();
    assert!(
        client
            .verify_prehashed(Sha512::new().chain_update(MESSAGE), None, &ph_sig)
            .is_err(),
        "not a single-hash Ed25519ph of the message"
    );
    // Pure and prehash signatures do not stand in for each other.
    assert!(client.verify(&digest, &ph_sig).is_err());
    assert_eq!(
        verify(m, Ed25519Sha512, MessageType::Raw, &digest, &ph).unwrap_err(),
        CryptoError::InvalidSignature
    );
}

#[test]
fn ed25519ph_through_kms_is_rfc8032_ed25519ph_of_the_given_bytes() {
    use SigningAlgorithmSpec::Ed25519PhSha512;
    // RFC 8032 section 7.3's key, imported as RFC 8410 PKCS#8.
    let secret = "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42";
    let pkcs8 = hex::decode(format!("302e020100300506032b657004220420{secret}")).unwrap();
    let m = KeyMaterial::from_bytes(KeySpec::EccNistEdwards25519, &pkcs8).unwrap();
    let seed: [u8; 32] = hex::decode(secret).unwrap().try_into().unwrap();
    let reference = ed25519_dalek::SigningKey::from_bytes(&seed);
    for digest in [[0u8; 64], [0xa5; 64], Sha512::digest(b"abc").into()] {
        let sig = sign(&m, Ed25519PhSha512, MessageType::Digest, &digest).unwrap();
        let expected = reference
            .sign_prehashed(Sha512::new().chain_update(digest), None)
            .unwrap();
        assert_eq!(sig, expected.to_bytes());
    }
}

#[test]
fn ml_dsa_signs_raw_messages_and_external_mu() {
    use ml_dsa::signature::digest::Update;
    let alg = SigningAlgorithmSpec::MlDsaShake256;
    for spec in ML_DSA_SPECS {
        let m = material(spec);
        let spki = m.public_key_der().unwrap();
        let raw = sign(m, alg, MessageType::Raw, MESSAGE).unwrap();
        verify(m, alg, MessageType::Raw, MESSAGE, &raw).unwrap();
        assert_ne!(
            sign(m, alg, MessageType::Raw, MESSAGE).unwrap(),
            raw,
            "{spec}: hedged"
        );

        // A client's own μ (ml-dsa's verifier, from the SPKI alone).
        macro_rules! mu_and_check {
            ($p:ty) => {{
                let encoded =
                    ml_dsa::EncodedVerifyingKey::<$p>::try_from(raw_public_key(spki).as_slice())
                        .unwrap();
                let vk = ml_dsa::VerifyingKey::<$p>::decode(&encoded);
                let sig = ml_dsa::Signature::<$p>::try_from(raw.as_slice()).unwrap();
                assert!(vk.verify_with_context(MESSAGE, &[], &sig), "{spec}");
                vk.compute_mu(
                    |h| {
                        h.update(MESSAGE);
                        Ok(())
                    },
                    &[],
                )
                .unwrap()
                .to_vec()
            }};
        }
        let mu = match spec {
            KeySpec::MlDsa44 => mu_and_check!(ml_dsa::MlDsa44),
            KeySpec::MlDsa65 => mu_and_check!(ml_dsa::MlDsa65),
            _ => mu_and_check!(ml_dsa::MlDsa87),
        };
        let from_mu = sign(m, alg, MessageType::ExternalMu, &mu).unwrap();
        verify(m, alg, MessageType::ExternalMu, &mu, &from_mu).unwrap();
        // As AWS documents: a signature of μ is a signature of the message.
        verify(m, alg, MessageType::Raw, MESSAGE, &from_mu).unwrap();
        verify(m, alg, MessageType::ExternalMu, &mu, &raw).unwrap();
        let mut other = mu.clone();
        other[63] ^= 0x80;
        assert_eq!(
            verify(m, alg, MessageType::ExternalMu, &other, &from_mu).unwrap_err(),
            CryptoError::InvalidSignature
        );
    }
}

#[test]
fn message_types_outside_each_algorithm_are_validation_errors() {
    use SigningAlgorithmSpec::*;
    let mut cases = vec![
        (
            KeySpec::EccNistEdwards25519,
            Ed25519Sha512,
            MessageType::Digest,
        ),
        (
            KeySpec::EccNistEdwards25519,
            Ed25519Sha512,
            MessageType::ExternalMu,
        ),
        (
            KeySpec::EccNistEdwards25519,
            Ed25519PhSha512,
            MessageType::Raw,
        ),
        (
            KeySpec::EccNistEdwards25519,
            Ed25519PhSha512,
            MessageType::ExternalMu,
        ),
    ];
    for spec in ML_DSA_SPECS {
        cases.push((spec, MlDsaShake256, MessageType::Digest));
    }
    for (spec, alg, message_type) in cases {
        let m = material(spec);
        // Of every length, including the one the other type would take.
        for len in [32, 48, 64] {
            let input = vec![3u8; len];
            let err = sign(m, alg, message_type, &input).unwrap_err();
            assert!(
                is_message_type_error(&err),
                "{spec} {alg} {message_type}: {err}"
            );
            let err = verify(m, alg, message_type, &input, &[0u8; 64]).unwrap_err();
            assert!(
                is_message_type_error(&err),
                "{spec} {alg} {message_type}: {err}"
            );
        }
    }
    let err = sign(
        material(KeySpec::EccNistEdwards25519),
        Ed25519Sha512,
        MessageType::Digest,
        &[0u8; 64],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "MessageType is invalid: expected RAW for the ED25519_SHA_512 signing algorithm"
    );
}

#[test]
fn lengths_are_checked_per_message_type() {
    use SigningAlgorithmSpec::*;
    let ed = material(KeySpec::EccNistEdwards25519);
    let mut cases = vec![
        (
            ed,
            Ed25519Sha512,
            MessageType::Raw,
            vec![0, MAX_MESSAGE_LEN + 1],
        ),
        (
            ed,
            Ed25519PhSha512,
            MessageType::Digest,
            vec![0, 32, 48, 63, 65, 4096],
        ),
    ];
    for spec in ML_DSA_SPECS {
        let m = material(spec);
        cases.push((
            m,
            MlDsaShake256,
            MessageType::Raw,
            vec![0, MAX_MESSAGE_LEN + 1],
        ));
        cases.push((
            m,
            MlDsaShake256,
            MessageType::ExternalMu,
            vec![0, 32, 63, 65, 4096],
        ));
    }
    for (m, alg, message_type, lengths) in cases {
        for len in lengths {
            let input = vec![9u8; len];
            for err in [
                sign(m, alg, message_type, &input).unwrap_err(),
                verify(m, alg, message_type, &input, &[0u8; 64]).unwrap_err(),
            ] {
                assert!(
                    matches!(err, CryptoError::InvalidLength { actual, .. } if actual == len),
                    "{} {alg} {message_type} {len}: {err}",
                    m.spec()
                );
                assert_eq!(err.kms_error_code(), "ValidationException");
            }
        }
        if message_type == MessageType::Raw {
            let longest = vec![9u8; MAX_MESSAGE_LEN];
            let sig = sign(m, alg, message_type, &longest).unwrap();
            verify(m, alg, message_type, &longest, &sig).unwrap();
        }
    }
    let err = sign(ed, Ed25519PhSha512, MessageType::Digest, &[0u8; 32]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "digest must be exactly 64 bytes (a SHA-512 digest), got 32 bytes"
    );
}

#[test]
fn algorithms_of_other_specs_are_key_usage_errors() {
    use SigningAlgorithmSpec::*;
    for (spec, alg) in [
        (KeySpec::EccNistEdwards25519, MlDsaShake256),
        (KeySpec::EccNistEdwards25519, EcdsaSha512),
        (KeySpec::MlDsa65, Ed25519Sha512),
        (KeySpec::MlDsa65, Ed25519PhSha512),
        (KeySpec::MlDsa44, RsassaPssSha256),
        (KeySpec::EccNistP256, Ed25519Sha512),
        (KeySpec::Rsa2048, MlDsaShake256),
    ] {
        super::tests::assert_sign_refuses_algorithm(spec, alg);
    }
}

#[test]
fn signatures_of_one_parameter_set_do_not_verify_under_another() {
    let alg = SigningAlgorithmSpec::MlDsaShake256;
    let sig = sign(material(KeySpec::MlDsa44), alg, MessageType::Raw, b"m").unwrap();
    for spec in [KeySpec::MlDsa65, KeySpec::MlDsa87] {
        assert_eq!(
            verify(material(spec), alg, MessageType::Raw, b"m", &sig).unwrap_err(),
            CryptoError::InvalidSignature
        );
    }
    let ed = sign(
        material(KeySpec::EccNistEdwards25519),
        SigningAlgorithmSpec::Ed25519Sha512,
        MessageType::Raw,
        b"m",
    )
    .unwrap();
    assert_eq!(
        verify(material(KeySpec::MlDsa44), alg, MessageType::Raw, b"m", &ed).unwrap_err(),
        CryptoError::InvalidSignature
    );
}
