//! Tests of key material: every spec, storage forms, imports, sealing.

use super::*;
use crate::crypto::RootKey;
use crate::crypto::test_keys::{SUPPORTED_SPECS, material};
use pkcs8::DecodePublicKey;

const KEY_ID: &str = "0b8c7a36-5f4e-4d2a-9c1b-2e3f4a5b6c7d";

/// Parses an SPKI with the crate a client would use for the spec.
fn client_parses_spki(spec: KeySpec, der: &[u8]) {
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let key = rsa::PublicKey::from_public_key_der(der).unwrap();
            assert_eq!(modulus_bits(&key), rsa_bits(spec));
        }
        KeySpec::EccNistP256 => {
            p256::ecdsa::VerifyingKey::from_public_key_der(der).unwrap();
            assert_eq!(der.len(), 91, "uncompressed point, as AWS returns");
        }
        KeySpec::EccNistP384 => {
            p384::ecdsa::VerifyingKey::from_public_key_der(der).unwrap();
            assert_eq!(der.len(), 120);
        }
        KeySpec::EccNistP521 => {
            p521::PublicKey::from_public_key_der(der).unwrap();
            assert_eq!(der.len(), 158);
        }
        KeySpec::Sm2 => {
            sm2::PublicKey::from_public_key_der(der).unwrap();
            assert_eq!(der.len(), 91);
        }
        KeySpec::EccSecgP256k1 => {
            k256::ecdsa::VerifyingKey::from_public_key_der(der).unwrap();
            assert_eq!(der.len(), 88);
        }
        KeySpec::EccNistEdwards25519 => {
            let info = spki::SubjectPublicKeyInfoRef::try_from(der).unwrap();
            assert_eq!(info.algorithm.oid.to_string(), "1.3.101.112");
            assert!(info.algorithm.parameters.is_none());
            let raw = info.subject_public_key.as_bytes().unwrap();
            ed25519_dalek::VerifyingKey::from_bytes(raw.try_into().unwrap()).unwrap();
            assert_eq!(der.len(), 44);
        }
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
            let info = spki::SubjectPublicKeyInfoRef::try_from(der).unwrap();
            let (arc, raw_len) = match spec {
                KeySpec::MlDsa44 => ("17", 1312),
                KeySpec::MlDsa65 => ("18", 1952),
                _ => ("19", 2592),
            };
            assert_eq!(
                info.algorithm.oid.to_string(),
                format!("2.16.840.1.101.3.4.3.{arc}")
            );
            assert!(info.algorithm.parameters.is_none());
            assert_eq!(info.subject_public_key.as_bytes().unwrap().len(), raw_len);
        }
        _ => unreachable!("not asymmetric: {spec}"),
    }
}

#[test]
fn every_spec_generates_serializes_reloads_and_seals() {
    let root = RootKey::from_bytes(RootKey::generate_bytes().unwrap().as_ref()).unwrap();
    for spec in SUPPORTED_SPECS {
        let m = material(spec);
        assert_eq!(m.spec(), spec);
        let bytes = m.to_bytes().unwrap();
        let back = KeyMaterial::from_bytes(spec, &bytes).unwrap();
        assert!(back.same_material_as(m).unwrap(), "{spec}");
        assert_eq!(back.to_bytes().unwrap(), bytes, "{spec}: canonical form");

        let sealed = root.seal_material(m, KEY_ID, 1).unwrap();
        let opened = root.unseal_material(&sealed, KEY_ID, 1, spec).unwrap();
        assert!(opened.same_material_as(m).unwrap(), "{spec}");
        let other_id = "0b8c7a36-5f4e-4d2a-9c1b-2e3f4a5b6c7e";
        assert_eq!(
            root.unseal_material(&sealed, other_id, 1, spec)
                .unwrap_err(),
            CryptoError::SealedMaterialRejected
        );
        assert_eq!(
            root.unseal_material(&sealed, KEY_ID, 2, spec).unwrap_err(),
            CryptoError::SealedMaterialRejected
        );

        match m.public_key_der() {
            Ok(der) => client_parses_spki(spec, der),
            Err(e) => {
                assert!(!spec.is_asymmetric(), "{spec}");
                assert_eq!(e.kms_error_code(), "InvalidKeyUsageException");
            }
        }
        let debug = format!("{m:?}");
        assert!(debug.contains("<redacted>") && debug.contains(spec.as_str()));
    }
}

#[test]
fn generated_lengths_are_aws_lengths() {
    for (spec, len) in [
        (KeySpec::SymmetricDefault, 32),
        (KeySpec::Hmac224, 28),
        (KeySpec::Hmac256, 32),
        (KeySpec::Hmac384, 48),
        (KeySpec::Hmac512, 64),
        // PKCS#8 of a 32-byte seed: RFC 8410 and RFC 9881.
        (KeySpec::EccNistEdwards25519, 48),
        (KeySpec::MlDsa44, 54),
        (KeySpec::MlDsa65, 54),
        (KeySpec::MlDsa87, 54),
    ] {
        assert_eq!(material(spec).to_bytes().unwrap().len(), len, "{spec}");
    }
    let a = KeyMaterial::generate(KeySpec::SymmetricDefault).unwrap();
    assert!(
        !a.same_material_as(material(KeySpec::SymmetricDefault))
            .unwrap()
    );
}

#[test]
fn imported_raw_material_lengths_are_checked() {
    let ok = |spec, len: usize| KeyMaterial::from_bytes(spec, &vec![1u8; len]).is_ok();
    assert!(ok(KeySpec::SymmetricDefault, 32));
    assert!(!ok(KeySpec::SymmetricDefault, 31));
    assert!(!ok(KeySpec::SymmetricDefault, 33));
    for (spec, min, max) in [
        (KeySpec::Hmac224, 28, 64),
        (KeySpec::Hmac256, 32, 64),
        (KeySpec::Hmac384, 48, 128),
        (KeySpec::Hmac512, 64, 128),
    ] {
        assert!(ok(spec, min) && ok(spec, max), "{spec}");
        assert!(!ok(spec, min - 1) && !ok(spec, max + 1), "{spec}");
    }
    let err = KeyMaterial::from_bytes(KeySpec::Hmac256, &[0u8; 3]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "key material for HMAC_256 must be 32 to 64 raw bytes"
    );
    assert_eq!(err.kms_error_code(), "IncorrectKeyMaterialException");
}

#[test]
fn imported_asymmetric_material_must_match_the_spec() {
    let rsa2048 = material(KeySpec::Rsa2048).to_bytes().unwrap();
    let p256 = material(KeySpec::EccNistP256).to_bytes().unwrap();
    let ed25519 = material(KeySpec::EccNistEdwards25519).to_bytes().unwrap();
    let ml_dsa_44 = material(KeySpec::MlDsa44).to_bytes().unwrap();
    let ml_dsa_87 = material(KeySpec::MlDsa87).to_bytes().unwrap();
    for (spec, der) in [
        (KeySpec::EccNistEdwards25519, &p256),
        (KeySpec::EccNistEdwards25519, &ml_dsa_44),
        (KeySpec::EccNistP256, &ed25519),
        (KeySpec::MlDsa44, &ed25519),
        (KeySpec::MlDsa65, &ml_dsa_44),
        (KeySpec::MlDsa87, &ml_dsa_44),
        (KeySpec::MlDsa44, &ml_dsa_87),
        (KeySpec::MlDsa44, &p256),
        (KeySpec::Rsa3072, &rsa2048),
        (KeySpec::Rsa4096, &rsa2048),
        (KeySpec::EccNistP256, &rsa2048),
        (KeySpec::Rsa2048, &p256),
        (KeySpec::EccNistP384, &p256),
        (KeySpec::EccNistP521, &p256),
        (KeySpec::EccSecgP256k1, &p256),
    ] {
        assert!(
            matches!(
                KeyMaterial::from_bytes(spec, der),
                Err(CryptoError::InvalidKeyMaterial { key_spec, .. }) if key_spec == spec
            ),
            "{spec}"
        );
    }
    for spec in SUPPORTED_SPECS {
        assert!(KeyMaterial::from_bytes(spec, b"not DER").is_err(), "{spec}");
        assert!(KeyMaterial::from_bytes(spec, &[]).is_err(), "{spec}");
    }
    // A truncated PKCS#8 document is refused, never half-read.
    assert!(KeyMaterial::from_bytes(KeySpec::Rsa2048, &rsa2048[..rsa2048.len() - 1]).is_err());
    assert!(KeyMaterial::from_bytes(KeySpec::EccNistP256, &p256[..p256.len() - 1]).is_err());
}

#[test]
fn rsa_material_must_be_an_rsa_encryption_key() {
    use der::Encode;
    let rsa2048 = material(KeySpec::Rsa2048).to_bytes().unwrap();
    let mut info = pkcs8::PrivateKeyInfoRef::try_from(rsa2048.as_slice()).unwrap();
    assert_eq!(info.algorithm.oid, rsa::pkcs1::ALGORITHM_OID);
    // The same key under id-RSASSA-PSS (RFC 4055, parameters absent).
    info.algorithm = spki::AlgorithmIdentifierRef {
        oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10"),
        parameters: None,
    };
    let pss = info.to_der().unwrap();
    let err = KeyMaterial::from_bytes(KeySpec::Rsa2048, &pss).unwrap_err();
    assert_eq!(err.kms_error_code(), "IncorrectKeyMaterialException");
}

/// A valid RSA-2048 key whose primes have 1,000 and 1,048 bits (made with
/// pyca/cryptography from `openssl prime -generate` primes; OpenSSL's
/// `pkey -check` accepts it).
const UNBALANCED_RSA_2048: &[u8] = include_bytes!("unbalanced-rsa-2048.der");

#[test]
fn rsa_material_with_unbalanced_primes_is_refused_with_its_reason() {
    let err = KeyMaterial::from_bytes(KeySpec::Rsa2048, UNBALANCED_RSA_2048).unwrap_err();
    assert_eq!(err.kms_error_code(), "IncorrectKeyMaterialException");
    assert!(
        matches!(err, CryptoError::InvalidKeyMaterial { expected, .. } if expected == UNBALANCED_RSA),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("two primes are each half the modulus size")
    );
    // It is a valid key: its components load where unbalanced primes are
    // asked for, and only the half-width policy refuses it.
    let info = pkcs8::PrivateKeyInfoRef::try_from(UNBALANCED_RSA_2048).unwrap();
    let key = rsa::pkcs1::RsaPrivateKeyRef::try_from(info.private_key.as_bytes()).unwrap();
    let uint = |u: rsa::pkcs1::UintRef<'_>| rsa::BoxedUint::from_be_slice_vartime(u.as_bytes());
    let wide = rsa::PrivateKey::from_components_with_wide_primes(
        uint(key.modulus),
        uint(key.public_exponent),
        uint(key.private_exponent),
        vec![uint(key.prime1), uint(key.prime2)],
    )
    .unwrap();
    assert_eq!(modulus_bits(&wide), Some(2048));
    assert!(has_unbalanced_primes(info.private_key.as_bytes()));
    // Keys made here, and anything that is not PKCS#1, are not flagged.
    for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
        let der = material(spec).to_bytes().unwrap();
        let info = pkcs8::PrivateKeyInfoRef::try_from(der.as_slice()).unwrap();
        assert!(
            !has_unbalanced_primes(info.private_key.as_bytes()),
            "{spec}"
        );
    }
    assert!(!has_unbalanced_primes(b"not DER"));
    let truncated = &UNBALANCED_RSA_2048[..UNBALANCED_RSA_2048.len() - 1];
    assert!(matches!(
        KeyMaterial::from_bytes(KeySpec::Rsa2048, truncated),
        Err(CryptoError::InvalidKeyMaterial { expected, .. }) if expected == NOT_RSA_PKCS8
    ));
}

#[test]
fn loaded_keys_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<KeyMaterial>();
    assert_send_sync::<RootKey>();
    assert_send_sync::<crate::crypto::import::WrappingKeyPair>();
}
