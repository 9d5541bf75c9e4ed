//! Imported key material: the RSA or SM2 wrapping key pair of
//! GetParametersForImport and the unwrapping of ImportKeyMaterial.
//!
//! Wrapping algorithms, as AWS defines them:
//! - RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256: the material is the OAEP
//!   plaintext (MGF1 with the same hash, empty label); only small material
//!   (symmetric and HMAC keys) fits.
//! - RSA_AES_KEY_WRAP_SHA_1 / RSA_AES_KEY_WRAP_SHA_256: the first modulus-length
//!   bytes are an OAEP-wrapped ephemeral AES-256 key; the rest is the
//!   material wrapped under it with AES Key Wrap with Padding (RFC 5649).
//!   Needed for asymmetric private keys.
//! - SM2PKE (China Regions), with an SM2 wrapping key: the material is the
//!   SM2PKE plaintext (see [`super::sm2`]); AWS allows it for asymmetric
//!   private keys (RSA, ECC and SM2), not for symmetric or HMAC material.
//!
//! RSAES_PKCS1_V1_5 (deprecated by AWS) is not supported.
//! After unwrapping, load the material with
//! [`KeyMaterial::from_bytes`](super::KeyMaterial::from_bytes), which checks
//! it against the KMS key's spec.

use core::fmt;

use aes_kw::{KeyInit, KwpAes256};
use getrandom::SysRng;
use kms_protocol::ops::{KeySpec, WrappingAlgorithmSpec, WrappingKeySpec};
use pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::material::{modulus_bits, parse_rsa_pkcs8, rsa_error};
use super::rsa_encrypt::{OaepHash, oaep_decrypt};
use super::sm2::Sm2Key;

/// Length of the ephemeral AES key of RSA_AES_KEY_WRAP algorithms.
const EPHEMERAL_KEY_LEN: usize = 32;

/// Checks a (key spec, wrapping key spec, wrapping algorithm) combination
/// against AWS's rules, for GetParametersForImport: RSA private keys need an
/// RSA_AES_KEY_WRAP algorithm (they do not fit in one OAEP block); ECC_NIST_P521
/// material does not fit in RSA_2048 OAEP either; an SM2 wrapping key goes
/// with SM2PKE alone and SM2PKE wraps only asymmetric private keys;
/// RSAES_PKCS1_V1_5 is not supported. (That SM2 is for China Regions only
/// is the caller's check: it knows the request's region.)
pub fn check_wrapping(
    key_spec: KeySpec,
    wrapping_key_spec: WrappingKeySpec,
    algorithm: WrappingAlgorithmSpec,
) -> Result<(), CryptoError> {
    let sm2_key = wrapping_key_spec == WrappingKeySpec::Sm2;
    let oaep_only = match algorithm {
        WrappingAlgorithmSpec::RsaesOaepSha1 | WrappingAlgorithmSpec::RsaesOaepSha256 => true,
        WrappingAlgorithmSpec::RsaAesKeyWrapSha1 | WrappingAlgorithmSpec::RsaAesKeyWrapSha256 => {
            false
        }
        WrappingAlgorithmSpec::RsaesPkcs1V15 => {
            return Err(CryptoError::Unsupported {
                what: "RSAES_PKCS1_V1_5 wrapping",
            });
        }
        WrappingAlgorithmSpec::Sm2Pke => {
            if !sm2_key {
                return Err(CryptoError::InvalidInput {
                    what: "wrapping algorithm",
                    expected: "SM2PKE only with the SM2 wrapping key spec",
                });
            }
            if !key_spec.is_asymmetric() {
                return Err(CryptoError::InvalidInput {
                    what: "wrapping algorithm",
                    expected: "RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 for symmetric and HMAC \
                               key material (SM2PKE wraps asymmetric private keys)",
                });
            }
            return Ok(());
        }
    };
    if sm2_key {
        return Err(CryptoError::InvalidInput {
            what: "wrapping key spec",
            expected: "SM2 only with the SM2PKE wrapping algorithm",
        });
    }
    // ECC_NIST_EDWARDS25519, ML_DSA_44/65/87 and ML_KEM_512/768/1024
    // material is importable: the API model says of GetParametersForImport
    // "All KMS key types are supported" and of CreateKey that material can
    // be imported into "all supported KMS key types". Their PKCS#8 forms
    // (48, 54 and 86 bytes, seed forms for ML-DSA and ML-KEM: see
    // `ed25519`, `ml_dsa` and `ml_kem`) and SM2's (138 bytes) fit
    // RSAES_OAEP under every wrapping key (RSA_2048 with SHA-256: at most
    // 190 bytes), so no size rule below applies to them.
    let too_large = oaep_only
        && (matches!(
            key_spec,
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096
        ) || (key_spec == KeySpec::EccNistP521
            && wrapping_key_spec == WrappingKeySpec::Rsa2048));
    if too_large {
        return Err(CryptoError::InvalidInput {
            what: "wrapping algorithm",
            expected: "RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256 for RSA key material \
                       and for ECC_NIST_P521 material under an RSA_2048 wrapping key",
        });
    }
    Ok(())
}

/// The private half of a wrapping key pair.
enum WrappingPrivate {
    Rsa(rsa::PrivateKey),
    Sm2(Sm2Key),
}

/// An RSA or SM2 key pair that clients wrap imported material to.
pub struct WrappingKeyPair {
    spec: WrappingKeySpec,
    private: WrappingPrivate,
    public_der: Vec<u8>,
}

impl fmt::Debug for WrappingKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappingKeyPair")
            .field("spec", &self.spec)
            .field("private", &"<redacted>")
            .finish()
    }
}

/// Modulus size of an RSA wrapping key spec; `None` for SM2.
fn wrapping_bits(spec: WrappingKeySpec) -> Option<usize> {
    match spec {
        WrappingKeySpec::Rsa2048 => Some(2048),
        WrappingKeySpec::Rsa3072 => Some(3072),
        WrappingKeySpec::Rsa4096 => Some(4096),
        WrappingKeySpec::Sm2 => None,
    }
}

impl WrappingKeyPair {
    /// Generates a wrapping key pair (slow for 4096 bits: run it off the
    /// async workers).
    pub fn generate(spec: WrappingKeySpec) -> Result<Self, CryptoError> {
        let Some(bits) = wrapping_bits(spec) else {
            return Self::from_sm2(spec, Sm2Key::generate()?);
        };
        let private = rsa::PrivateKey::new(&mut SysRng, bits).map_err(|e| {
            rsa_error(
                e,
                CryptoError::Internal {
                    step: "RSA wrapping key generation",
                },
            )
        })?;
        Self::from_rsa(spec, private)
    }

    /// Loads a wrapping key pair from PKCS#8 DER (as [`Self::to_bytes`]
    /// wrote it; seal it with [`super::RootKey::seal_secret`] at rest).
    pub fn from_bytes(spec: WrappingKeySpec, pkcs8_der: &[u8]) -> Result<Self, CryptoError> {
        if wrapping_bits(spec).is_none() {
            let key = Sm2Key::from_pkcs8_der(pkcs8_der).map_err(|_| CryptoError::InvalidInput {
                what: "wrapping private key",
                expected: "a PKCS#8 DER SM2 private key",
            })?;
            return Self::from_sm2(spec, key);
        }
        let private = parse_rsa_pkcs8(pkcs8_der).map_err(|expected| CryptoError::InvalidInput {
            what: "wrapping private key",
            expected,
        })?;
        Self::from_rsa(spec, private)
    }

    fn from_rsa(spec: WrappingKeySpec, private: rsa::PrivateKey) -> Result<Self, CryptoError> {
        if modulus_bits(&private) != wrapping_bits(spec) {
            return Err(CryptoError::InvalidInput {
                what: "wrapping private key",
                expected: "an RSA key of the wrapping key spec's size",
            });
        }
        let public_der = private
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| CryptoError::Internal {
                step: "encoding the wrapping public key",
            })?
            .into_vec();
        Ok(WrappingKeyPair {
            spec,
            private: WrappingPrivate::Rsa(private),
            public_der,
        })
    }

    fn from_sm2(spec: WrappingKeySpec, key: Sm2Key) -> Result<Self, CryptoError> {
        let public_der = key.public_key_der()?;
        Ok(WrappingKeyPair {
            spec,
            private: WrappingPrivate::Sm2(key),
            public_der,
        })
    }

    /// The spec of the pair.
    pub fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    /// The private key as PKCS#8 DER, for sealed storage.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match &self.private {
            WrappingPrivate::Rsa(private) => private
                .to_pkcs8_der()
                .map(|doc| Zeroizing::new(doc.as_bytes().to_vec()))
                .map_err(|_| CryptoError::Internal {
                    step: "encoding the wrapping private key",
                }),
            WrappingPrivate::Sm2(key) => key.to_pkcs8_der(),
        }
    }

    /// The public key as DER SubjectPublicKeyInfo (GetParametersForImport's
    /// `PublicKey`).
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_der
    }

    /// Unwraps `EncryptedKeyMaterial`. Any failure to unwrap is
    /// [`CryptoError::DecryptionFailed`] (InvalidCiphertextException), with
    /// no detail, so the endpoint is not a padding oracle.
    pub fn unwrap_key_material(
        &self,
        algorithm: WrappingAlgorithmSpec,
        wrapped: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let private = match (&self.private, algorithm) {
            (WrappingPrivate::Sm2(key), WrappingAlgorithmSpec::Sm2Pke) => {
                return key.decrypt(wrapped);
            }
            (WrappingPrivate::Rsa(private), _) if algorithm != WrappingAlgorithmSpec::Sm2Pke => {
                private
            }
            // GetParametersForImport pairs SM2PKE with SM2 keys only.
            _ => return Err(CryptoError::DecryptionFailed),
        };
        let rsa_len = private.size();
        match algorithm {
            WrappingAlgorithmSpec::RsaesOaepSha1 => oaep_decrypt(private, OaepHash::Sha1, wrapped),
            WrappingAlgorithmSpec::RsaesOaepSha256 => {
                oaep_decrypt(private, OaepHash::Sha256, wrapped)
            }
            WrappingAlgorithmSpec::RsaAesKeyWrapSha1
            | WrappingAlgorithmSpec::RsaAesKeyWrapSha256 => {
                // RFC 5649 output is at least 16 bytes and a multiple of 8.
                if wrapped.len() < rsa_len + 16 || !(wrapped.len() - rsa_len).is_multiple_of(8) {
                    return Err(CryptoError::DecryptionFailed);
                }
                let (wrapped_key, wrapped_material) = wrapped.split_at(rsa_len);
                let hash = if algorithm == WrappingAlgorithmSpec::RsaAesKeyWrapSha1 {
                    OaepHash::Sha1
                } else {
                    OaepHash::Sha256
                };
                let aes_key = oaep_decrypt(private, hash, wrapped_key)?;
                let aes_key: Zeroizing<[u8; EPHEMERAL_KEY_LEN]> = Zeroizing::new(
                    aes_key
                        .as_slice()
                        .try_into()
                        .map_err(|_| CryptoError::DecryptionFailed)?,
                );
                let kek = KwpAes256::new_from_slice(aes_key.as_slice())
                    .map_err(|_| CryptoError::DecryptionFailed)?;
                // aes-kw wants exactly the wrapped length minus the 8-byte IV.
                let mut out = Zeroizing::new(vec![0u8; wrapped_material.len().saturating_sub(8)]);
                let len = kek
                    .unwrap_key(wrapped_material, &mut out)
                    .map_err(|_| CryptoError::DecryptionFailed)?
                    .len();
                out.truncate(len);
                Ok(out)
            }
            WrappingAlgorithmSpec::RsaesPkcs1V15 => Err(CryptoError::Unsupported {
                what: "RSAES_PKCS1_V1_5 wrapping",
            }),
            WrappingAlgorithmSpec::Sm2Pke => Err(CryptoError::DecryptionFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::import_vectors as v;
    use crate::crypto::{KeyMaterial, sign};
    use kms_protocol::ops::{MessageType, SigningAlgorithmSpec};
    use pkcs8::DecodePublicKey;
    use rsa::Oaep;
    use std::sync::OnceLock;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn openssl_pair() -> WrappingKeyPair {
        let pair = WrappingKeyPair::from_bytes(
            WrappingKeySpec::Rsa2048,
            &unhex(v::WRAPPING_PRIVATE_KEY_PKCS8),
        )
        .unwrap();
        assert_eq!(pair.public_key_der(), unhex(v::WRAPPING_PUBLIC_KEY_SPKI));
        pair
    }

    /// A generated 3072-bit pair, shared by the tests of this binary.
    fn generated_pair() -> &'static WrappingKeyPair {
        static PAIR: OnceLock<WrappingKeyPair> = OnceLock::new();
        PAIR.get_or_init(|| WrappingKeyPair::generate(WrappingKeySpec::Rsa3072).unwrap())
    }

    /// Wraps as a client would, from the public key alone.
    fn client_wrap(spki: &[u8], algorithm: WrappingAlgorithmSpec, material: &[u8]) -> Vec<u8> {
        let public = rsa::PublicKey::from_public_key_der(spki).unwrap();
        let oaep = |sha1: bool, plaintext: &[u8]| {
            if sha1 {
                public.encrypt(&mut SysRng, Oaep::<sha1::Sha1>::new(), plaintext)
            } else {
                public.encrypt(&mut SysRng, Oaep::<sha2::Sha256>::new(), plaintext)
            }
            .unwrap()
        };
        match algorithm {
            WrappingAlgorithmSpec::RsaesOaepSha1 | WrappingAlgorithmSpec::RsaesOaepSha256 => {
                oaep(algorithm == WrappingAlgorithmSpec::RsaesOaepSha1, material)
            }
            _ => {
                let aes_key = [0x42u8; 32];
                let mut out = oaep(
                    algorithm == WrappingAlgorithmSpec::RsaAesKeyWrapSha1,
                    &aes_key,
                );
                let kek = KwpAes256::new(&aes_key.into());
                let mut wrapped = vec![0u8; material.len().div_ceil(8) * 8 + 8];
                out.extend(kek.wrap_key(material, &mut wrapped).unwrap());
                out
            }
        }
    }

    #[test]
    fn openssl_wrapped_symmetric_material_unwraps() {
        let pair = openssl_pair();
        for (alg, wrapped) in [
            (
                WrappingAlgorithmSpec::RsaesOaepSha1,
                v::SYMMETRIC_WRAPPED_OAEP_SHA_1,
            ),
            (
                WrappingAlgorithmSpec::RsaesOaepSha256,
                v::SYMMETRIC_WRAPPED_OAEP_SHA_256,
            ),
        ] {
            let material = pair.unwrap_key_material(alg, &unhex(wrapped)).unwrap();
            assert_eq!(material.as_slice(), unhex(v::SYMMETRIC_MATERIAL));
            KeyMaterial::from_bytes(KeySpec::SymmetricDefault, &material).unwrap();
        }
        // The other hash never unwraps it.
        assert_eq!(
            pair.unwrap_key_material(
                WrappingAlgorithmSpec::RsaesOaepSha256,
                &unhex(v::SYMMETRIC_WRAPPED_OAEP_SHA_1)
            )
            .unwrap_err(),
            CryptoError::DecryptionFailed
        );
    }

    #[test]
    fn openssl_wrapped_ec_private_key_unwraps_and_signs() {
        let pair = openssl_pair();
        for (alg, wrapped) in [
            (
                WrappingAlgorithmSpec::RsaAesKeyWrapSha1,
                v::EC_WRAPPED_RSA_AES_SHA_1,
            ),
            (
                WrappingAlgorithmSpec::RsaAesKeyWrapSha256,
                v::EC_WRAPPED_RSA_AES_SHA_256,
            ),
        ] {
            let wrapped = unhex(wrapped);
            let material = pair.unwrap_key_material(alg, &wrapped).unwrap();
            assert_eq!(material.as_slice(), unhex(v::EC_P256_MATERIAL_PKCS8));
            let key = KeyMaterial::from_bytes(KeySpec::EccNistP256, &material).unwrap();
            let sig = sign::sign(
                &key,
                SigningAlgorithmSpec::EcdsaSha256,
                MessageType::Raw,
                b"imported",
            )
            .unwrap();
            sign::verify(
                &key,
                SigningAlgorithmSpec::EcdsaSha256,
                MessageType::Raw,
                b"imported",
                &sig,
            )
            .unwrap();
            // Imported as the wrong spec, it is refused as material.
            assert_eq!(
                KeyMaterial::from_bytes(KeySpec::EccNistP384, &material)
                    .unwrap_err()
                    .kms_error_code(),
                "IncorrectKeyMaterialException"
            );
            // Every truncation and a flipped bit in either part fail cleanly.
            for cut in [0, 1, 255, 256, 257, wrapped.len() - 8, wrapped.len() - 1] {
                assert_eq!(
                    pair.unwrap_key_material(alg, &wrapped[..cut]).unwrap_err(),
                    CryptoError::DecryptionFailed
                );
            }
            for i in [0, 200, 256, 300, wrapped.len() - 1] {
                let mut bad = wrapped.clone();
                bad[i] ^= 0x04;
                assert_eq!(
                    pair.unwrap_key_material(alg, &bad).unwrap_err(),
                    CryptoError::DecryptionFailed
                );
            }
        }
    }

    #[test]
    fn client_wrapped_material_round_trips_for_every_algorithm() {
        let pair = generated_pair();
        assert_eq!(pair.spec(), WrappingKeySpec::Rsa3072);
        let hmac_key = [7u8; 64];
        let ec = KeyMaterial::generate(KeySpec::EccNistP384).unwrap();
        let ec_der = ec.to_bytes().unwrap();
        for (alg, material) in [
            (WrappingAlgorithmSpec::RsaesOaepSha1, &hmac_key[..]),
            (WrappingAlgorithmSpec::RsaesOaepSha256, &hmac_key[..]),
            (WrappingAlgorithmSpec::RsaAesKeyWrapSha1, &ec_der[..]),
            (WrappingAlgorithmSpec::RsaAesKeyWrapSha256, &ec_der[..]),
            // Lengths that are not a multiple of 8 exercise the KWP padding.
            (WrappingAlgorithmSpec::RsaAesKeyWrapSha256, &hmac_key[..61]),
        ] {
            let wrapped = client_wrap(pair.public_key_der(), alg, material);
            assert_eq!(
                pair.unwrap_key_material(alg, &wrapped).unwrap().as_slice(),
                material
            );
        }
        let back = KeyMaterial::from_bytes(
            KeySpec::EccNistP384,
            &pair
                .unwrap_key_material(
                    WrappingAlgorithmSpec::RsaAesKeyWrapSha256,
                    &client_wrap(
                        pair.public_key_der(),
                        WrappingAlgorithmSpec::RsaAesKeyWrapSha256,
                        &ec_der,
                    ),
                )
                .unwrap(),
        )
        .unwrap();
        assert!(back.same_material_as(&ec).unwrap());
    }

    #[test]
    fn pair_serializes_and_rejects_other_sizes_and_unsupported_algorithms() {
        let pair = generated_pair();
        let der = pair.to_bytes().unwrap();
        let back = WrappingKeyPair::from_bytes(WrappingKeySpec::Rsa3072, &der).unwrap();
        assert_eq!(back.public_key_der(), pair.public_key_der());
        assert!(WrappingKeyPair::from_bytes(WrappingKeySpec::Rsa2048, &der).is_err());
        assert!(WrappingKeyPair::from_bytes(WrappingKeySpec::Rsa3072, &der[1..]).is_err());
        assert!(format!("{pair:?}").contains("<redacted>"));
        assert_eq!(
            pair.unwrap_key_material(WrappingAlgorithmSpec::RsaesPkcs1V15, &[0u8; 384])
                .unwrap_err()
                .kms_error_code(),
            "UnsupportedOperationException"
        );
    }

    #[test]
    fn wrapping_combinations_follow_aws_rules() {
        use WrappingAlgorithmSpec::*;
        use WrappingKeySpec::*;
        for spec in crate::crypto::test_keys::SUPPORTED_SPECS {
            for wrapping in [Rsa2048, Rsa3072, Rsa4096] {
                for alg in [RsaAesKeyWrapSha1, RsaAesKeyWrapSha256] {
                    check_wrapping(spec, wrapping, alg).unwrap();
                }
                let rsa = matches!(spec, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096);
                let p521_in_2048 = spec == KeySpec::EccNistP521 && wrapping == Rsa2048;
                for alg in [RsaesOaepSha1, RsaesOaepSha256] {
                    let result = check_wrapping(spec, wrapping, alg);
                    if rsa || p521_in_2048 {
                        assert_eq!(
                            result.unwrap_err().kms_error_code(),
                            "ValidationException",
                            "{spec} {wrapping} {alg}"
                        );
                    } else {
                        result.unwrap();
                    }
                }
                for alg in [RsaesPkcs1V15, Sm2Pke] {
                    assert!(check_wrapping(spec, wrapping, alg).is_err());
                }
            }
            // SM2 wrapping keys: SM2PKE alone, for asymmetric private keys.
            for alg in [
                RsaesOaepSha1,
                RsaesOaepSha256,
                RsaAesKeyWrapSha1,
                RsaAesKeyWrapSha256,
                RsaesPkcs1V15,
            ] {
                assert!(check_wrapping(spec, Sm2, alg).is_err(), "{spec} {alg}");
            }
            let result = check_wrapping(spec, Sm2, Sm2Pke);
            if spec.is_asymmetric() {
                result.unwrap();
            } else {
                assert_eq!(
                    result.unwrap_err().kms_error_code(),
                    "ValidationException",
                    "{spec}"
                );
            }
        }
    }

    #[test]
    fn openssl_sm2pke_wrapped_material_unwraps() {
        use crate::crypto::sm2_vectors as sm2v;
        let pair =
            WrappingKeyPair::from_bytes(WrappingKeySpec::Sm2, &unhex(sm2v::KMS_KEY_PKCS8)).unwrap();
        assert_eq!(pair.public_key_der(), unhex(sm2v::KMS_KEY_SPKI));
        let wrapped = unhex(sm2v::P256_MATERIAL_WRAPPED);
        let material = pair
            .unwrap_key_material(WrappingAlgorithmSpec::Sm2Pke, &wrapped)
            .unwrap();
        assert_eq!(material.as_slice(), unhex(sm2v::P256_MATERIAL));
        KeyMaterial::from_bytes(KeySpec::EccNistP256, &material).unwrap();
        // An RSA algorithm never opens it, and a changed byte fails alike.
        assert_eq!(
            pair.unwrap_key_material(WrappingAlgorithmSpec::RsaesOaepSha256, &wrapped)
                .unwrap_err(),
            CryptoError::DecryptionFailed
        );
        let mut bad = wrapped.clone();
        bad[wrapped.len() - 1] ^= 1;
        assert_eq!(
            pair.unwrap_key_material(WrappingAlgorithmSpec::Sm2Pke, &bad)
                .unwrap_err(),
            CryptoError::DecryptionFailed
        );
        // SM2PKE never goes to an RSA pair.
        assert_eq!(
            openssl_pair()
                .unwrap_key_material(WrappingAlgorithmSpec::Sm2Pke, &wrapped)
                .unwrap_err(),
            CryptoError::DecryptionFailed
        );
    }

    #[test]
    fn generated_sm2_pairs_store_and_unwrap_large_private_keys() {
        let pair = WrappingKeyPair::generate(WrappingKeySpec::Sm2).unwrap();
        let stored = pair.to_bytes().unwrap();
        let back = WrappingKeyPair::from_bytes(WrappingKeySpec::Sm2, &stored).unwrap();
        assert_eq!(back.public_key_der(), pair.public_key_der());
        assert!(WrappingKeyPair::from_bytes(WrappingKeySpec::Rsa2048, &stored).is_err());
        // RSA_4096 material (about 2,400 bytes) is over SM2PKE's Encrypt
        // limit but not over the wrapping's: AWS wraps RSA keys with it.
        let rsa = crate::crypto::test_keys::material(KeySpec::Rsa4096);
        let der = rsa.to_bytes().unwrap();
        let client = sm2::pke::EncryptingKey::new(
            sm2::PublicKey::from_public_key_der(pair.public_key_der()).unwrap(),
        );
        let wrapped = client.encrypt_der(&mut SysRng, &der).unwrap();
        let material = back
            .unwrap_key_material(WrappingAlgorithmSpec::Sm2Pke, &wrapped)
            .unwrap();
        assert!(
            KeyMaterial::from_bytes(KeySpec::Rsa4096, &material)
                .unwrap()
                .same_material_as(rsa)
                .unwrap()
        );
    }

    #[test]
    fn p521_material_fits_rsa_3072_oaep_as_aws_allows() {
        // The largest material AWS lets through plain OAEP really fits.
        let p521 = KeyMaterial::generate(KeySpec::EccNistP521).unwrap();
        let der = p521.to_bytes().unwrap();
        let pair = generated_pair();
        let wrapped = client_wrap(
            pair.public_key_der(),
            WrappingAlgorithmSpec::RsaesOaepSha256,
            &der,
        );
        let back = pair
            .unwrap_key_material(WrappingAlgorithmSpec::RsaesOaepSha256, &wrapped)
            .unwrap();
        assert!(
            KeyMaterial::from_bytes(KeySpec::EccNistP521, &back)
                .unwrap()
                .same_material_as(&p521)
                .unwrap()
        );
    }
}
