//! Tests of Sign and Verify: every pair, independent verifiers, OpenSSL vectors.

use super::*;
use crate::crypto::test_keys::{SUPPORTED_SPECS, material};
use ecdsa::signature::Verifier;
use kms_protocol::ops::KeySpec;
use pkcs8::DecodePublicKey;

/// Verifies as a client holding only GetPublicKey's SPKI would, with the
/// RustCrypto high-level verifiers (which hash `message` themselves).
fn client_verify(
    spec: KeySpec,
    algorithm: SigningAlgorithmSpec,
    spki: &[u8],
    message: &[u8],
    signature: &[u8],
) -> bool {
    use SigningAlgorithmSpec::*;
    match spec {
        KeySpec::EccNistP256 => {
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(spki).unwrap();
            let sig = p256::ecdsa::Signature::from_der(signature).unwrap();
            key.verify(message, &sig).is_ok()
        }
        KeySpec::EccNistP384 => {
            let key = p384::ecdsa::VerifyingKey::from_public_key_der(spki).unwrap();
            let sig = p384::ecdsa::Signature::from_der(signature).unwrap();
            key.verify(message, &sig).is_ok()
        }
        KeySpec::EccNistP521 => {
            let public = p521::PublicKey::from_public_key_der(spki).unwrap();
            let key = p521::ecdsa::VerifyingKey::from_affine(*public.as_affine()).unwrap();
            let sig = p521::ecdsa::Signature::from_der(signature).unwrap();
            key.verify(message, &sig).is_ok()
        }
        KeySpec::EccSecgP256k1 => {
            let key = k256::ecdsa::VerifyingKey::from_public_key_der(spki).unwrap();
            let sig = k256::ecdsa::Signature::from_der(signature).unwrap();
            key.verify(message, &sig).is_ok()
        }
        _ => {
            let public = rsa::PublicKey::from_public_key_der(spki).unwrap();
            macro_rules! rsa_verify {
                ($scheme:ident, $hash:ty) => {{
                    let key = rsa::$scheme::VerifyingKey::<$hash>::new(public);
                    let sig = rsa::$scheme::Signature::try_from(signature).unwrap();
                    key.verify(message, &sig).is_ok()
                }};
            }
            match algorithm {
                RsassaPssSha256 => rsa_verify!(pss, Sha256),
                RsassaPssSha384 => rsa_verify!(pss, Sha384),
                RsassaPssSha512 => rsa_verify!(pss, Sha512),
                RsassaPkcs1V15Sha256 => rsa_verify!(pkcs1v15, Sha256),
                RsassaPkcs1V15Sha384 => rsa_verify!(pkcs1v15, Sha384),
                RsassaPkcs1V15Sha512 => rsa_verify!(pkcs1v15, Sha512),
                _ => unreachable!("{algorithm} on {spec}"),
            }
        }
    }
}

fn digest_of(algorithm: SigningAlgorithmSpec, message: &[u8]) -> Vec<u8> {
    let hash = Hash::of(algorithm).unwrap();
    let mut out = [0u8; 64];
    hash.digest(message, &mut out);
    out[..hash.len()].to_vec()
}

/// Sign with `alg` on a `spec` key is AlgorithmNotValidForKey, which is an
/// InvalidKeyUsageException.
pub(super) fn assert_sign_refuses_algorithm(spec: KeySpec, alg: SigningAlgorithmSpec) {
    let err = sign(material(spec), alg, MessageType::Raw, b"m").unwrap_err();
    assert_eq!(
        err,
        CryptoError::AlgorithmNotValidForKey {
            algorithm: alg.as_str(),
            key_spec: spec
        },
        "{spec} {alg}"
    );
    assert_eq!(err.kms_error_code(), "InvalidKeyUsageException");
}

pub(super) fn signing_specs() -> impl Iterator<Item = KeySpec> {
    SUPPORTED_SPECS
        .into_iter()
        .filter(|s| !s.signing_algorithms().is_empty())
}

/// The specs whose algorithms hash the message (ECDSA, RSA); Ed25519 and
/// ML-DSA are tested in `ed25519_ml_dsa_tests`.
fn hashing_specs() -> impl Iterator<Item = KeySpec> {
    signing_specs().filter(|s| Hash::of(s.signing_algorithms()[0]).is_some())
}

#[test]
fn every_pair_and_message_type_signs_and_verifies_independently() {
    let message = b"the quick brown fox jumps over the lazy dog";
    let mut pairs = 0;
    for spec in hashing_specs() {
        let m = material(spec);
        let spki = m.public_key_der().unwrap();
        for &alg in spec.signing_algorithms() {
            pairs += 1;
            let digest = digest_of(alg, message);
            for (message_type, input) in [
                (MessageType::Raw, &message[..]),
                (MessageType::Digest, &digest[..]),
            ] {
                let sig = sign(m, alg, message_type, input).unwrap();
                verify(m, alg, message_type, input, &sig).unwrap();
                assert!(
                    client_verify(spec, alg, spki, message, &sig),
                    "{spec} {alg} {message_type}"
                );
                // RAW and DIGEST of the same message are interchangeable.
                verify(m, alg, MessageType::Raw, message, &sig).unwrap();
                verify(m, alg, MessageType::Digest, &digest, &sig).unwrap();
                if rsa_bits_of(spec).is_some() {
                    assert_eq!(sig.len() * 8, rsa_bits_of(spec).unwrap());
                } else {
                    assert_eq!(sig[0], 0x30, "DER SEQUENCE");
                }
            }
        }
    }
    // 3 RSA sizes x 6 algorithms + 4 curves x 1.
    assert_eq!(pairs, 22);
}

fn rsa_bits_of(spec: KeySpec) -> Option<usize> {
    crate::crypto::material::rsa_bits(spec)
}

#[test]
fn flipped_bits_are_invalid_signatures() {
    for spec in signing_specs() {
        let m = material(spec);
        let alg = spec.signing_algorithms()[0];
        let sig = sign(m, alg, MessageType::Raw, b"message").unwrap();
        // A bit in the first, a middle and the last byte of the signature.
        for i in [0, sig.len() / 2, sig.len() - 1] {
            for bit in [0x01u8, 0x80] {
                let mut bad = sig.clone();
                bad[i] ^= bit;
                assert_eq!(
                    verify(m, alg, MessageType::Raw, b"message", &bad).unwrap_err(),
                    CryptoError::InvalidSignature,
                    "{spec} byte {i}"
                );
            }
        }
        assert_eq!(
            verify(m, alg, MessageType::Raw, b"messagf", &sig).unwrap_err(),
            CryptoError::InvalidSignature
        );
        for garbage in [&[][..], &[0x30, 0x00], &[0xff; 16], &sig[..sig.len() - 1]] {
            assert_eq!(
                verify(m, alg, MessageType::Raw, b"message", garbage).unwrap_err(),
                CryptoError::InvalidSignature,
                "{spec}"
            );
        }
    }
}

#[test]
fn a_signature_under_another_algorithm_does_not_verify() {
    let m = material(KeySpec::Rsa2048);
    let sig = sign(
        m,
        SigningAlgorithmSpec::RsassaPssSha256,
        MessageType::Raw,
        b"m",
    )
    .unwrap();
    for &other in &KeySpec::Rsa2048.signing_algorithms()[1..] {
        assert_eq!(
            verify(m, other, MessageType::Raw, b"m", &sig).unwrap_err(),
            CryptoError::InvalidSignature,
            "{other}"
        );
    }
}

#[test]
fn algorithms_outside_the_spec_are_usage_errors() {
    for spec in signing_specs() {
        let m = material(spec);
        for &alg in SigningAlgorithmSpec::ALL {
            if spec.signing_algorithms().contains(&alg) {
                continue;
            }
            assert_sign_refuses_algorithm(spec, alg);
            assert!(verify(m, alg, MessageType::Raw, b"m", &[0x30, 0]).is_err());
        }
    }
    for spec in [KeySpec::SymmetricDefault, KeySpec::Hmac256] {
        let err = sign(
            material(spec),
            SigningAlgorithmSpec::EcdsaSha256,
            MessageType::Raw,
            b"m",
        )
        .unwrap_err();
        assert_eq!(
            err,
            CryptoError::OperationNotValidForKey {
                operation: "Sign",
                key_spec: spec
            }
        );
    }
}

#[test]
fn input_lengths_are_checked() {
    for spec in hashing_specs() {
        let m = material(spec);
        for &alg in spec.signing_algorithms() {
            let len = Hash::of(alg).unwrap().len();
            for wrong in [0, len - 1, len + 1, 64 + 1] {
                assert!(
                    matches!(
                        sign(m, alg, MessageType::Digest, &vec![1u8; wrong]),
                        Err(CryptoError::InvalidLength { what: "digest", actual, .. }) if actual == wrong
                    ),
                    "{spec} {alg} {wrong}"
                );
                assert!(matches!(
                    verify(m, alg, MessageType::Digest, &vec![1u8; wrong], &[0u8; 8]),
                    Err(CryptoError::InvalidLength { .. })
                ));
            }
        }
        let alg = spec.signing_algorithms()[0];
        assert!(sign(m, alg, MessageType::Raw, &[7u8; MAX_MESSAGE_LEN]).is_ok());
        // EXTERNAL_MU is ML-DSA's alone, whatever its length.
        for len in [32, 48, 64] {
            let err = sign(m, alg, MessageType::ExternalMu, &vec![1u8; len]).unwrap_err();
            assert_eq!(err.kms_error_code(), "ValidationException", "{spec} {alg}");
            assert!(matches!(
                err,
                CryptoError::InvalidInput {
                    what: "MessageType",
                    ..
                }
            ));
        }
        for wrong in [0, MAX_MESSAGE_LEN + 1] {
            assert_eq!(
                sign(m, alg, MessageType::Raw, &vec![7u8; wrong]).unwrap_err(),
                CryptoError::length("message", "1 to 4096 bytes", wrong)
            );
        }
    }
    let err = sign(
        material(KeySpec::EccNistP384),
        SigningAlgorithmSpec::EcdsaSha384,
        MessageType::Digest,
        &[0u8; 32],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "digest must be exactly 48 bytes (a SHA-384 digest), got 32 bytes"
    );
}

#[test]
fn ecdsa_signatures_have_low_s() {
    for spec in [KeySpec::EccNistP256, KeySpec::EccSecgP256k1] {
        let m = material(spec);
        for i in 0..16u8 {
            let sig = sign(m, SigningAlgorithmSpec::EcdsaSha256, MessageType::Raw, &[i]).unwrap();
            if spec == KeySpec::EccNistP256 {
                let sig = p256::ecdsa::Signature::from_der(&sig).unwrap();
                assert_eq!(sig.normalize_s(), sig, "already low-S");
            } else {
                let sig = k256::ecdsa::Signature::from_der(&sig).unwrap();
                assert_eq!(sig.normalize_s(), sig, "already low-S");
            }
        }
    }
}

#[test]
fn high_s_signatures_made_elsewhere_verify() {
    macro_rules! high_s {
        ($curve:ident, $der:expr) => {{
            let sig = $curve::ecdsa::Signature::from_der($der).unwrap();
            let (r, s) = sig.split_scalars();
            let high = $curve::ecdsa::Signature::from_scalars(r, -*s).unwrap();
            assert_ne!(high.normalize_s(), high, "really high-S");
            high.to_der().as_bytes().to_vec()
        }};
    }
    for spec in [
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
    ] {
        let m = material(spec);
        let alg = spec.signing_algorithms()[0];
        let sig = sign(m, alg, MessageType::Raw, b"m").unwrap();
        let high = match spec {
            KeySpec::EccNistP256 => high_s!(p256, &sig),
            KeySpec::EccNistP384 => high_s!(p384, &sig),
            KeySpec::EccNistP521 => high_s!(p521, &sig),
            _ => high_s!(k256, &sig),
        };
        verify(m, alg, MessageType::Raw, b"m", &high).unwrap();
    }
}

#[test]
fn arbitrary_signature_bytes_never_panic() {
    let mut bytes = [0u8; 600];
    crate::crypto::material::fill_random(&mut bytes).unwrap();
    for spec in signing_specs() {
        let m = material(spec);
        let alg = spec.signing_algorithms()[0];
        for len in [0, 1, 2, 8, 64, 72, 139, 256, 384, 512, 600] {
            assert_eq!(
                verify(m, alg, MessageType::Raw, b"m", &bytes[..len]).unwrap_err(),
                CryptoError::InvalidSignature
            );
        }
    }
}

#[test]
fn openssl_signatures_verify_and_pkcs1_signatures_are_identical() {
    use crate::crypto::import_vectors::WRAPPING_PRIVATE_KEY_PKCS8;
    use crate::crypto::sign_vectors as v;
    use SigningAlgorithmSpec::*;
    let cases = [
        (
            KeySpec::EccNistP256,
            v::P256_KEY_PKCS8,
            EcdsaSha256,
            v::P256_SIG_SHA256,
        ),
        (
            KeySpec::EccNistP384,
            v::P384_KEY_PKCS8,
            EcdsaSha384,
            v::P384_SIG_SHA384,
        ),
        (
            KeySpec::EccNistP521,
            v::P521_KEY_PKCS8,
            EcdsaSha512,
            v::P521_SIG_SHA512,
        ),
        (
            KeySpec::EccSecgP256k1,
            v::K256_KEY_PKCS8,
            EcdsaSha256,
            v::K256_SIG_SHA256,
        ),
        (
            KeySpec::Rsa2048,
            WRAPPING_PRIVATE_KEY_PKCS8,
            RsassaPssSha256,
            v::RSA_PSS_SHA256,
        ),
        (
            KeySpec::Rsa2048,
            WRAPPING_PRIVATE_KEY_PKCS8,
            RsassaPssSha384,
            v::RSA_PSS_SHA384,
        ),
        (
            KeySpec::Rsa2048,
            WRAPPING_PRIVATE_KEY_PKCS8,
            RsassaPssSha512,
            v::RSA_PSS_SHA512,
        ),
        (
            KeySpec::Rsa2048,
            WRAPPING_PRIVATE_KEY_PKCS8,
            RsassaPkcs1V15Sha256,
            v::RSA_PKCS1_SHA256,
        ),
        (
            KeySpec::Rsa2048,
            WRAPPING_PRIVATE_KEY_PKCS8,
            RsassaPkcs1V15Sha384,
            v::RSA_PKCS1_SHA384,
        ),
        (
            KeySpec::Rsa2048,
            WRAPPING_PRIVATE_KEY_PKCS8,
            RsassaPkcs1V15Sha512,
            v::RSA_PKCS1_SHA512,
        ),
    ];
    for (spec, key, alg, sig) in cases {
        let m = KeyMaterial::from_bytes(spec, &hex::decode(key).unwrap()).unwrap();
        let sig = hex::decode(sig).unwrap();
        verify(&m, alg, MessageType::Raw, v::MESSAGE, &sig).unwrap();
        let digest = digest_of(alg, v::MESSAGE);
        verify(&m, alg, MessageType::Digest, &digest, &sig).unwrap();
        assert_eq!(
            verify(&m, alg, MessageType::Raw, b"another message", &sig).unwrap_err(),
            CryptoError::InvalidSignature
        );
        if !is_pss(alg) && !matches!(alg, EcdsaSha256 | EcdsaSha384 | EcdsaSha512) {
            // PKCS#1 v1.5 is deterministic: byte-for-byte OpenSSL's output.
            assert_eq!(
                sign(&m, alg, MessageType::Raw, v::MESSAGE).unwrap(),
                sig,
                "{alg}"
            );
        }
    }
}
