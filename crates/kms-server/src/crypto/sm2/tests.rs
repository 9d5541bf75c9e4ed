//! SM2 through the crypto module's entry points (material, sign, pke,
//! agree), checked against OpenSSL's vectors and against the client's own
//! SM2DSA verifier in kms-envelope.

use kms_envelope::verify::{Message, PublicKey, SigningAlgorithm};
use kms_protocol::ops::{EncryptionAlgorithmSpec, KeySpec, MessageType, SigningAlgorithmSpec};

use super::*;
use crate::crypto::sm2_vectors as v;
use crate::crypto::test_keys::material;
use crate::crypto::{KeyMaterial, agree, pke, sign};

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn openssl_key() -> KeyMaterial {
    KeyMaterial::from_bytes(KeySpec::Sm2, &unhex(v::KMS_KEY_PKCS8)).unwrap()
}

const SM2DSA: SigningAlgorithmSpec = SigningAlgorithmSpec::SmDsa;
const SM2PKE: EncryptionAlgorithmSpec = EncryptionAlgorithmSpec::Sm2Pke;

#[test]
fn openssl_material_loads_with_its_public_key_and_stores_canonically() {
    let key = openssl_key();
    assert_eq!(key.public_key_der().unwrap(), unhex(v::KMS_KEY_SPKI));
    // OpenSSL's PKCS#8 is the storage form too (ECPrivateKey with the
    // public key, curve in the algorithm's parameters).
    assert_eq!(key.to_bytes().unwrap().as_slice(), unhex(v::KMS_KEY_PKCS8));
}

#[test]
fn material_of_another_curve_or_a_wrong_public_key_is_refused() {
    let p256 = material(KeySpec::EccNistP256).to_bytes().unwrap();
    let mut wrong_public = unhex(v::KMS_KEY_PKCS8);
    let last = wrong_public.len() - 1;
    wrong_public[last] ^= 1;
    let mut trailing = unhex(v::KMS_KEY_PKCS8);
    trailing.push(0);
    for bad in [&p256[..], &wrong_public, &trailing, b"", b"\x30\x00"] {
        let err = KeyMaterial::from_bytes(KeySpec::Sm2, bad).unwrap_err();
        assert_eq!(
            err,
            CryptoError::InvalidKeyMaterial {
                key_spec: KeySpec::Sm2,
                expected: INVALID
            }
        );
        assert_eq!(err.kms_error_code(), "IncorrectKeyMaterialException");
    }
    // And SM2 material is no P-256 key.
    let sm2 = unhex(v::KMS_KEY_PKCS8);
    assert!(KeyMaterial::from_bytes(KeySpec::EccNistP256, &sm2).is_err());
}

#[test]
fn openssl_signature_verifies_as_raw() {
    let key = openssl_key();
    let message = unhex(v::MESSAGE);
    let signature = unhex(v::SIGNATURE);
    sign::verify(&key, SM2DSA, MessageType::Raw, &message, &signature).unwrap();
    let mut other = message.clone();
    other[0] ^= 1;
    assert_eq!(
        sign::verify(&key, SM2DSA, MessageType::Raw, &other, &signature).unwrap_err(),
        CryptoError::InvalidSignature
    );
    // As a DIGEST: SM3(Z || M), computed by the client.
    let digest = PublicKey::from_der(&unhex(v::KMS_KEY_SPKI))
        .unwrap()
        .sm2_digest(&message)
        .unwrap();
    sign::verify(&key, SM2DSA, MessageType::Digest, &digest, &signature).unwrap();
}

/// The client's verifier (kms-envelope, written apart from this module)
/// accepts what kms-server signs, RAW and DIGEST, and refuses it for
/// another message.
#[test]
fn signatures_verify_with_the_client_both_ways() {
    let m = material(KeySpec::Sm2);
    let client = PublicKey::from_der(m.public_key_der().unwrap()).unwrap();
    let message = vec![0x5a; 4096];
    let digest = client.sm2_digest(&message).unwrap();
    let over_raw = sign::sign(m, SM2DSA, MessageType::Raw, &message).unwrap();
    let over_digest = sign::sign(m, SM2DSA, MessageType::Digest, &digest).unwrap();
    for signature in [&over_raw, &over_digest] {
        client
            .verify(SigningAlgorithm::Sm2Dsa, Message::Raw(&message), signature)
            .unwrap();
        client
            .verify(
                SigningAlgorithm::Sm2Dsa,
                Message::Digest(&digest),
                signature,
            )
            .unwrap();
        sign::verify(m, SM2DSA, MessageType::Raw, &message, signature).unwrap();
        sign::verify(m, SM2DSA, MessageType::Digest, &digest, signature).unwrap();
        assert!(
            client
                .verify(
                    SigningAlgorithm::Sm2Dsa,
                    Message::Raw(&message[1..]),
                    signature
                )
                .is_err()
        );
    }
    // Hedged: two signatures of one message differ.
    assert_ne!(
        over_raw,
        sign::sign(m, SM2DSA, MessageType::Raw, &message).unwrap()
    );
}

#[test]
fn every_changed_byte_of_a_signature_is_refused() {
    let m = material(KeySpec::Sm2);
    let message = b"kms-server";
    let signature = sign::sign(m, SM2DSA, MessageType::Raw, message).unwrap();
    for i in 0..signature.len() {
        let mut bad = signature.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            sign::verify(m, SM2DSA, MessageType::Raw, message, &bad).unwrap_err(),
            CryptoError::InvalidSignature,
            "byte {i}"
        );
    }
    // Raw r || s is not the DER form KMS signs and verifies.
    let parsed = sm2::dsa::Signature::from_der(&signature).unwrap();
    assert_eq!(
        sign::verify(m, SM2DSA, MessageType::Raw, message, &parsed.to_bytes()).unwrap_err(),
        CryptoError::InvalidSignature
    );
}

#[test]
fn message_types_and_lengths_follow_aws_rules() {
    let m = material(KeySpec::Sm2);
    let too_long = vec![0u8; sign::MAX_MESSAGE_LEN + 1];
    for (message_type, message) in [
        (MessageType::Raw, &b""[..]),
        (MessageType::Raw, &too_long[..]),
        (MessageType::Digest, &[0u8; 31][..]),
        (MessageType::Digest, &[0u8; 48][..]),
    ] {
        let err = sign::sign(m, SM2DSA, message_type, message).unwrap_err();
        assert_eq!(err.kms_error_code(), "ValidationException", "{err:?}");
    }
    let err = sign::sign(m, SM2DSA, MessageType::ExternalMu, &[0u8; 64]).unwrap_err();
    assert_eq!(err.kms_error_code(), "ValidationException");
    // Other algorithms on an SM2 key, SM2DSA on another key.
    for alg in [
        SigningAlgorithmSpec::EcdsaSha256,
        SigningAlgorithmSpec::RsassaPssSha256,
    ] {
        let err = sign::sign(m, alg, MessageType::Raw, b"x").unwrap_err();
        assert_eq!(err.kms_error_code(), "InvalidKeyUsageException", "{alg}");
    }
    let p256 = material(KeySpec::EccNistP256);
    let err = sign::sign(p256, SM2DSA, MessageType::Raw, b"x").unwrap_err();
    assert_eq!(err.kms_error_code(), "InvalidKeyUsageException");
}

#[test]
fn openssl_ciphertext_decrypts() {
    let key = openssl_key();
    let plaintext = pke::decrypt(&key, SM2PKE, &unhex(v::CIPHERTEXT)).unwrap();
    assert_eq!(plaintext.as_slice(), unhex(v::PLAINTEXT));
}

#[test]
fn encrypts_and_decrypts_up_to_aws_limit() {
    let m = material(KeySpec::Sm2);
    for len in [1, 32, 190, MAX_PLAINTEXT_LEN] {
        let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let ciphertext = pke::encrypt(m, SM2PKE, &plaintext).unwrap();
        // GM/T 0009 DER: SEQUENCE { INTEGER x, INTEGER y, OCTET STRING
        // hash, OCTET STRING ciphertext }, as OpenSSL parses it.
        let cipher: Cipher<'_> = {
            use sm2::pkcs8::der::Decode;
            Cipher::from_der(&ciphertext).unwrap()
        };
        assert_eq!(cipher.c2().len(), len);
        assert_eq!(cipher.c3().len(), 32);
        assert_eq!(
            pke::decrypt(m, SM2PKE, &ciphertext).unwrap().as_slice(),
            plaintext
        );
        // Randomized: the same plaintext encrypts differently.
        assert_ne!(ciphertext, pke::encrypt(m, SM2PKE, &plaintext).unwrap());
    }
    for len in [0, MAX_PLAINTEXT_LEN + 1] {
        let err = pke::encrypt(m, SM2PKE, &vec![1u8; len]).unwrap_err();
        assert_eq!(err.kms_error_code(), "ValidationException", "{len}");
    }
}

#[test]
fn every_changed_byte_of_a_ciphertext_fails_alike() {
    let key = openssl_key();
    let ciphertext = unhex(v::CIPHERTEXT);
    for i in 0..ciphertext.len() {
        let mut bad = ciphertext.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            pke::decrypt(&key, SM2PKE, &bad).unwrap_err(),
            CryptoError::DecryptionFailed,
            "byte {i}"
        );
    }
    let mut trailing = ciphertext.clone();
    trailing.push(0);
    for bad in [
        &trailing[..],
        &ciphertext[..ciphertext.len() - 1],
        b"",
        b"\x30\x00",
    ] {
        assert_eq!(
            pke::decrypt(&key, SM2PKE, bad).unwrap_err(),
            CryptoError::DecryptionFailed
        );
    }
    // Another SM2 key cannot decrypt it.
    assert_eq!(
        pke::decrypt(material(KeySpec::Sm2), SM2PKE, &ciphertext).unwrap_err(),
        CryptoError::DecryptionFailed
    );
}

#[test]
fn sm2pke_fits_only_sm2_keys_and_sm2_keys_only_sm2pke() {
    let rsa = material(KeySpec::Rsa2048);
    let sm2 = material(KeySpec::Sm2);
    for (m, alg) in [
        (rsa, SM2PKE),
        (sm2, EncryptionAlgorithmSpec::RsaesOaepSha256),
        (sm2, EncryptionAlgorithmSpec::SymmetricDefault),
    ] {
        let err = pke::encrypt(m, alg, b"x").unwrap_err();
        assert_eq!(err.kms_error_code(), "InvalidKeyUsageException", "{alg}");
        let err = pke::decrypt(m, alg, &unhex(v::CIPHERTEXT)).unwrap_err();
        assert_eq!(err.kms_error_code(), "InvalidKeyUsageException", "{alg}");
    }
}

#[test]
fn ecdh_matches_the_independent_computation() {
    let key = openssl_key();
    let shared = agree::derive_shared_secret(&key, &unhex(v::PEER_SPKI)).unwrap();
    assert_eq!(shared.as_slice(), unhex(v::SHARED));
    // Both sides of two fresh keys agree.
    let a = material(KeySpec::Sm2);
    let ab = agree::derive_shared_secret(a, key.public_key_der().unwrap()).unwrap();
    let ba = agree::derive_shared_secret(&key, a.public_key_der().unwrap()).unwrap();
    assert_eq!(ab, ba);
    assert_eq!(ab.len(), 32);
}

#[test]
fn ecdh_refuses_a_peer_off_the_curve_or_on_another() {
    let key = openssl_key();
    let mut off_curve = unhex(v::PEER_SPKI);
    let last = off_curve.len() - 1;
    off_curve[last] ^= 1;
    let p256 = material(KeySpec::EccNistP256).public_key_der().unwrap();
    for bad in [&off_curve[..], p256, b"", b"\x30\x00"] {
        let err = agree::derive_shared_secret(&key, bad).unwrap_err();
        assert_eq!(err.kms_error_code(), "ValidationException", "{err:?}");
    }
    // An SM2 peer is no P-256 peer either.
    let err = agree::derive_shared_secret(material(KeySpec::EccNistP256), &unhex(v::PEER_SPKI))
        .unwrap_err();
    assert_eq!(err.kms_error_code(), "ValidationException");
}

#[test]
fn debug_shows_no_secret() {
    let key = Sm2Key::from_pkcs8_der(&unhex(v::KMS_KEY_PKCS8)).unwrap();
    let shown = format!("{key:?} {:?}", openssl_key());
    assert!(!shown.to_lowercase().contains("d0425b44"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}
