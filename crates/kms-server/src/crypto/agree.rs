//! DeriveSharedSecret: the Elliptic Curve Cryptography Cofactor
//! Diffie-Hellman primitive (NIST SP 800-56A rev. 3, 5.7.1.2) of a key
//! agreement key's private key and a peer's public key. Every supported
//! curve (P-256, P-384, P-521 and SM2) has cofactor 1, so it is plain ECDH; the result is the raw shared
//! x-coordinate, as AWS returns it (callers run their own KDF on it).

use spki::DecodePublicKey;
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::material::{EcKey, KeyMaterial, Loaded};

/// ECDH on one curve: `$scalar` is the key's `NonZeroScalar`, `$peer` the
/// peer's SubjectPublicKeyInfo DER, which must name the same curve and hold
/// a point on it (the identity cannot be encoded in SPKI).
macro_rules! ecdh {
    ($curve:ident, $scalar:expr, $peer:expr, $name:literal) => {{
        let peer = $curve::PublicKey::from_public_key_der($peer).map_err(|_| {
            CryptoError::InvalidInput {
                what: "publicKey",
                expected: concat!(
                    "a DER SubjectPublicKeyInfo of a point on the key's curve, ",
                    $name
                ),
            }
        })?;
        let shared = $curve::ecdh::diffie_hellman($scalar, peer.as_affine());
        Zeroizing::new(shared.raw_secret_bytes().to_vec())
    }};
}

/// The raw ECDH shared secret of `material` (a key agreement key's private
/// key) and `peer_spki`. Zeroized on drop.
pub fn derive_shared_secret(
    material: &KeyMaterial,
    peer_spki: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    Ok(match &material.loaded {
        Loaded::Ec(EcKey::P256(k)) => ecdh!(p256, k.as_nonzero_scalar(), peer_spki, "P-256"),
        Loaded::Ec(EcKey::P384(k)) => ecdh!(p384, k.as_nonzero_scalar(), peer_spki, "P-384"),
        Loaded::Ec(EcKey::P521(k)) => ecdh!(p521, k.as_nonzero_scalar(), peer_spki, "P-521"),
        Loaded::Sm2(k) => k.agree(peer_spki)?,
        Loaded::Ec(EcKey::K256(_))
        | Loaded::Symmetric(_)
        | Loaded::Hmac(_)
        | Loaded::Rsa(_)
        | Loaded::Ed25519(_)
        | Loaded::MlDsa(_)
        | Loaded::MlKem(_) => {
            return Err(CryptoError::OperationNotValidForKey {
                operation: "DeriveSharedSecret",
                key_spec: material.spec(),
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use kms_protocol::ops::KeySpec;
    use p256::elliptic_curve::sec1::ToSec1Point;

    use super::super::agree_vectors::*;
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn shared_secrets_match_openssl() {
        for (spec, key, peer, shared) in [
            (
                KeySpec::EccNistP256,
                P256_KMS_KEY_PKCS8,
                P256_PEER_SPKI,
                P256_SHARED,
            ),
            (
                KeySpec::EccNistP384,
                P384_KMS_KEY_PKCS8,
                P384_PEER_SPKI,
                P384_SHARED,
            ),
            (
                KeySpec::EccNistP521,
                P521_KMS_KEY_PKCS8,
                P521_PEER_SPKI,
                P521_SHARED,
            ),
        ] {
            let material = KeyMaterial::from_bytes(spec, &unhex(key)).unwrap();
            let secret = derive_shared_secret(&material, &unhex(peer)).unwrap();
            assert_eq!(secret.as_slice(), unhex(shared).as_slice(), "{spec}");
        }
    }

    #[test]
    fn both_sides_derive_the_same_secret() {
        for spec in [
            KeySpec::EccNistP256,
            KeySpec::EccNistP384,
            KeySpec::EccNistP521,
        ] {
            let a = KeyMaterial::generate(spec).unwrap();
            let b = KeyMaterial::generate(spec).unwrap();
            let ab = derive_shared_secret(&a, b.public_key_der().unwrap()).unwrap();
            let ba = derive_shared_secret(&b, a.public_key_der().unwrap()).unwrap();
            assert_eq!(ab, ba, "{spec}");
            let field_len = match spec {
                KeySpec::EccNistP256 => 32,
                KeySpec::EccNistP384 => 48,
                _ => 66,
            };
            assert_eq!(ab.len(), field_len, "{spec}");
        }
    }

    #[test]
    fn a_public_key_of_another_curve_or_not_on_it_is_invalid_input() {
        let p256 =
            KeyMaterial::from_bytes(KeySpec::EccNistP256, &unhex(P256_KMS_KEY_PKCS8)).unwrap();
        let p384_peer = unhex(P384_PEER_SPKI);
        let mut off_curve = unhex(P256_PEER_SPKI);
        let last = off_curve.len() - 1;
        off_curve[last] ^= 1; // y no longer matches x
        let rsa = KeyMaterial::generate(KeySpec::Rsa2048).unwrap();
        let k256 = KeyMaterial::generate(KeySpec::EccSecgP256k1).unwrap();
        let spki_of_k256 = k256.public_key_der().unwrap();
        for bad in [
            &p384_peer[..],
            &off_curve[..],
            rsa.public_key_der().unwrap(),
            spki_of_k256,
            b"",
            b"\x30\x00",
        ] {
            let err = derive_shared_secret(&p256, bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    CryptoError::InvalidInput {
                        what: "publicKey",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert_eq!(err.kms_error_code(), "ValidationException");
        }
        // A point given compressed (SEC1 0x02/0x03 || x) is the same point.
        let peer = p256::PublicKey::from_public_key_der(&unhex(P256_PEER_SPKI)).unwrap();
        let point = peer.to_sec1_point(true);
        let mut compressed = unhex("3039301306072a8648ce3d020106082a8648ce3d030107032200");
        compressed.extend_from_slice(point.as_bytes());
        assert_eq!(
            derive_shared_secret(&p256, &compressed).unwrap().as_slice(),
            unhex(P256_SHARED).as_slice()
        );
    }

    #[test]
    fn keys_that_cannot_agree_say_so() {
        for spec in [
            KeySpec::SymmetricDefault,
            KeySpec::Hmac256,
            KeySpec::EccSecgP256k1,
        ] {
            let material = KeyMaterial::generate(spec).unwrap();
            let err = derive_shared_secret(&material, &unhex(P256_PEER_SPKI)).unwrap_err();
            assert_eq!(err.kms_error_code(), "InvalidKeyUsageException", "{spec}");
        }
    }
}
