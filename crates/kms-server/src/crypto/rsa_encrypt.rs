//! Encrypt and Decrypt under RSA keys: RSAES-OAEP with SHA-1 or SHA-256
//! (MGF1 with the same hash, empty label), as AWS KMS does.
//!
//! The ciphertext is the raw OAEP ciphertext, exactly the modulus length;
//! it names no key, so Decrypt needs the KeyId and the algorithm.
//!
//! rsa 0.10 computes with constant-time crypto-bigint arithmetic (the
//! answer to the Marvin attack, RUSTSEC-2023-0071); decryption is also
//! blinded, with blinding factors drawn from the operating system's
//! generator on every call.

use getrandom::SysRng;
use kms_protocol::ops::{EncryptionAlgorithmSpec, KeySpec};
use rsa::traits::PublicKeyParts;
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::material::{KeyMaterial, Loaded, RsaKey, rsa_bits, rsa_error};

/// Largest plaintext AWS accepts for an RSA key spec and OAEP algorithm:
/// the OAEP bound, modulus bytes - 2 * hash length - 2 (RSA_2048: 214 with
/// SHA-1, 190 with SHA-256; RSA_3072: 342 / 318; RSA_4096: 470 / 446).
/// `None` when the pair is not an RSA encryption.
pub fn max_plaintext_len(spec: KeySpec, algorithm: EncryptionAlgorithmSpec) -> Option<usize> {
    let modulus_bytes = rsa_bits(spec)? / 8;
    let hash_len = match algorithm {
        EncryptionAlgorithmSpec::RsaesOaepSha1 => 20,
        EncryptionAlgorithmSpec::RsaesOaepSha256 => 32,
        _ => return None,
    };
    Some(modulus_bytes - 2 * hash_len - 2)
}

/// The hash of an OAEP padding, also MGF1's; the label is always empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OaepHash {
    Sha1,
    Sha256,
}

impl OaepHash {
    fn of(algorithm: EncryptionAlgorithmSpec) -> Option<Self> {
        match algorithm {
            EncryptionAlgorithmSpec::RsaesOaepSha1 => Some(OaepHash::Sha1),
            EncryptionAlgorithmSpec::RsaesOaepSha256 => Some(OaepHash::Sha256),
            _ => None,
        }
    }
}

/// The RSA key of `material` if `algorithm` is valid for it.
fn rsa_key(
    material: &KeyMaterial,
    algorithm: EncryptionAlgorithmSpec,
) -> Result<(&RsaKey, OaepHash), CryptoError> {
    let spec = material.spec();
    let not_valid = CryptoError::AlgorithmNotValidForKey {
        algorithm: algorithm.as_str(),
        key_spec: spec,
    };
    if !spec.encryption_algorithms().contains(&algorithm) {
        return Err(not_valid);
    }
    match (&material.loaded, OaepHash::of(algorithm)) {
        (Loaded::Rsa(key), Some(hash)) => Ok((key, hash)),
        _ => Err(not_valid),
    }
}

/// Encrypts `plaintext` (1 byte to [`max_plaintext_len`], checked here)
/// under the RSA public key of `material`.
pub fn encrypt(
    material: &KeyMaterial,
    algorithm: EncryptionAlgorithmSpec,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let (key, hash) = rsa_key(material, algorithm)?;
    let max = max_plaintext_len(material.spec(), algorithm).unwrap_or(0);
    if plaintext.is_empty() || plaintext.len() > max {
        return Err(CryptoError::length(
            "plaintext",
            "1 byte up to the RSA-OAEP limit of the key spec and algorithm",
            plaintext.len(),
        ));
    }
    let encrypted = match hash {
        OaepHash::Sha1 => key
            .public
            .oaep_encrypt_with_rng::<Sha1, _>(&mut SysRng, plaintext),
        OaepHash::Sha256 => key
            .public
            .oaep_encrypt_with_rng::<Sha256, _>(&mut SysRng, plaintext),
    };
    encrypted.map_err(|e| {
        rsa_error(
            e,
            CryptoError::Internal {
                step: "RSA-OAEP encryption",
            },
        )
    })
}

/// Decrypts an RSAES-OAEP ciphertext (exactly the modulus length) with the
/// private key of `material`. Failures are [`CryptoError::DecryptionFailed`]
/// whatever the cause, so no padding oracle is exposed; only a failed random
/// number generator, which has nothing to do with the ciphertext, is
/// [`CryptoError::RandomUnavailable`].
pub fn decrypt(
    material: &KeyMaterial,
    algorithm: EncryptionAlgorithmSpec,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (key, hash) = rsa_key(material, algorithm)?;
    oaep_decrypt(&key.private, hash, ciphertext)
}

/// RSA-OAEP decryption, blinded, shared with the import unwrapping.
pub(crate) fn oaep_decrypt(
    private: &rsa::PrivateKey,
    hash: OaepHash,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if ciphertext.len() != private.size() {
        return Err(CryptoError::DecryptionFailed);
    }
    let decrypted = match hash {
        OaepHash::Sha1 => private.oaep_decrypt_with_rng::<Sha1, _>(&mut SysRng, ciphertext),
        OaepHash::Sha256 => private.oaep_decrypt_with_rng::<Sha256, _>(&mut SysRng, ciphertext),
    };
    decrypted
        .map(Zeroizing::new)
        .map_err(|e| rsa_error(e, CryptoError::DecryptionFailed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_keys::material;
    use pkcs8::DecodePublicKey;

    const RSA_SPECS: [KeySpec; 3] = [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096];
    const ALGS: [EncryptionAlgorithmSpec; 2] = [
        EncryptionAlgorithmSpec::RsaesOaepSha1,
        EncryptionAlgorithmSpec::RsaesOaepSha256,
    ];

    #[test]
    fn limits_are_aws_limits() {
        let expected = [(214, 190), (342, 318), (470, 446)];
        for (spec, (sha1, sha256)) in RSA_SPECS.into_iter().zip(expected) {
            assert_eq!(max_plaintext_len(spec, ALGS[0]), Some(sha1));
            assert_eq!(max_plaintext_len(spec, ALGS[1]), Some(sha256));
        }
        assert_eq!(max_plaintext_len(KeySpec::SymmetricDefault, ALGS[0]), None);
        assert_eq!(
            max_plaintext_len(KeySpec::Rsa2048, EncryptionAlgorithmSpec::SymmetricDefault),
            None
        );
    }

    #[test]
    fn round_trip_exactly_at_and_over_the_limit() {
        for spec in RSA_SPECS {
            let m = material(spec);
            for alg in ALGS {
                let max = max_plaintext_len(spec, alg).unwrap();
                let plaintext = vec![0xa5u8; max];
                let ct = encrypt(m, alg, &plaintext).unwrap();
                assert_eq!(ct.len(), rsa_bits(spec).unwrap() / 8);
                assert_eq!(decrypt(m, alg, &ct).unwrap().as_slice(), plaintext);
                assert!(matches!(
                    encrypt(m, alg, &vec![0u8; max + 1]),
                    Err(CryptoError::InvalidLength { actual, .. }) if actual == max + 1
                ));
                assert!(matches!(
                    encrypt(m, alg, &[]),
                    Err(CryptoError::InvalidLength { actual: 0, .. })
                ));
            }
        }
    }

    #[test]
    fn a_client_encrypting_with_the_public_key_is_decrypted() {
        let m = material(KeySpec::Rsa2048);
        let public = rsa::PublicKey::from_public_key_der(m.public_key_der().unwrap()).unwrap();
        let ct = public
            .encrypt(&mut SysRng, rsa::Oaep::<Sha256>::new(), b"from a client")
            .unwrap();
        assert_eq!(
            decrypt(m, EncryptionAlgorithmSpec::RsaesOaepSha256, &ct)
                .unwrap()
                .as_slice(),
            b"from a client"
        );
        // The wrong hash, a flipped bit or a wrong length never decrypts.
        assert_eq!(
            decrypt(m, EncryptionAlgorithmSpec::RsaesOaepSha1, &ct).unwrap_err(),
            CryptoError::DecryptionFailed
        );
        let mut flipped = ct.clone();
        flipped[100] ^= 0x10;
        assert_eq!(
            decrypt(m, EncryptionAlgorithmSpec::RsaesOaepSha256, &flipped).unwrap_err(),
            CryptoError::DecryptionFailed
        );
        assert_eq!(
            decrypt(m, EncryptionAlgorithmSpec::RsaesOaepSha256, &ct[1..]).unwrap_err(),
            CryptoError::DecryptionFailed
        );
    }

    #[test]
    fn algorithm_must_fit_the_key() {
        let m = material(KeySpec::Rsa2048);
        assert!(matches!(
            encrypt(m, EncryptionAlgorithmSpec::SymmetricDefault, b"x"),
            Err(CryptoError::AlgorithmNotValidForKey { .. })
        ));
        let sym = material(KeySpec::SymmetricDefault);
        let err = encrypt(sym, EncryptionAlgorithmSpec::RsaesOaepSha1, b"x").unwrap_err();
        assert_eq!(err.kms_error_code(), "InvalidKeyUsageException");
        let ec = material(KeySpec::EccNistP256);
        assert!(decrypt(ec, EncryptionAlgorithmSpec::RsaesOaepSha256, &[0u8; 256]).is_err());
    }
}
