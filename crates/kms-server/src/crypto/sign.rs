//! Sign and Verify for every (KeySpec, SigningAlgorithmSpec) pair AWS allows.
//!
//! - ECDSA_SHA_256 on ECC_NIST_P256 and ECC_SECG_P256K1, ECDSA_SHA_384 on
//!   ECC_NIST_P384, ECDSA_SHA_512 on ECC_NIST_P521; signatures are DER
//!   (`ECDSA-Sig-Value`), as AWS returns them, with low S.
//! - RSASSA_PSS_SHA_256/384/512 (MGF1 with the same hash, salt length =
//!   digest length, as AWS) and RSASSA_PKCS1_V1_5_SHA_256/384/512 on RSA keys.
//!
//! MessageType RAW: 1 to 4096 bytes, hashed here with the algorithm's hash.
//! MessageType DIGEST: exactly the hash's length, signed as a prehash.

use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier, RandomizedPrehashSigner};
use kms_protocol::ops::{KeySpec, MessageType, SigningAlgorithmSpec};
use rand_core::OsRng;
use rsa::{Pkcs1v15Sign, Pss};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::error::CryptoError;
use super::material::{EcKey, KeyMaterial, Loaded};

/// Largest RAW message Sign and Verify accept (AWS's limit).
pub const MAX_MESSAGE_LEN: usize = 4096;

/// The hash of a signing algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of(algorithm: SigningAlgorithmSpec) -> Option<Hash> {
        use SigningAlgorithmSpec::*;
        match algorithm {
            RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 => Some(Hash::Sha256),
            RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(Hash::Sha384),
            RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 => Some(Hash::Sha512),
            SmDsa => None,
        }
    }

    fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    fn expected_digest_len(self) -> &'static str {
        match self {
            Hash::Sha256 => "exactly 32 bytes (a SHA-256 digest)",
            Hash::Sha384 => "exactly 48 bytes (a SHA-384 digest)",
            Hash::Sha512 => "exactly 64 bytes (a SHA-512 digest)",
        }
    }

    fn digest(self, message: &[u8], out: &mut [u8; 64]) {
        match self {
            Hash::Sha256 => out[..32].copy_from_slice(&Sha256::digest(message)),
            Hash::Sha384 => out[..48].copy_from_slice(&Sha384::digest(message)),
            Hash::Sha512 => out.copy_from_slice(&Sha512::digest(message)),
        }
    }

    fn pss(self) -> Pss {
        match self {
            Hash::Sha256 => Pss::new::<Sha256>(),
            Hash::Sha384 => Pss::new::<Sha384>(),
            Hash::Sha512 => Pss::new::<Sha512>(),
        }
    }

    fn pkcs1v15(self) -> Pkcs1v15Sign {
        match self {
            Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            Hash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
            Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        }
    }
}

/// A checked digest: the signing input of both Sign and Verify.
struct Prehash {
    bytes: [u8; 64],
    len: usize,
}

impl Prehash {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Checks that `algorithm` fits `material` and turns the input into the
/// digest to sign or verify.
fn prepare(
    operation: &'static str,
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
) -> Result<Prehash, CryptoError> {
    let spec = material.spec();
    if matches!(spec, KeySpec::Sm2) || algorithm == SigningAlgorithmSpec::SmDsa {
        return Err(CryptoError::Unsupported { what: "SM2DSA" });
    }
    if spec.signing_algorithms().is_empty() {
        return Err(CryptoError::OperationNotValidForKey {
            operation,
            key_spec: spec,
        });
    }
    let hash = match Hash::of(algorithm) {
        Some(hash) if spec.signing_algorithms().contains(&algorithm) => hash,
        _ => {
            return Err(CryptoError::AlgorithmNotValidForKey {
                algorithm: algorithm.as_str(),
                key_spec: spec,
            });
        }
    };
    let mut prehash = Prehash {
        bytes: [0u8; 64],
        len: hash.len(),
    };
    match message_type {
        MessageType::Raw => {
            if message.is_empty() || message.len() > MAX_MESSAGE_LEN {
                return Err(CryptoError::length(
                    "message",
                    "1 to 4096 bytes",
                    message.len(),
                ));
            }
            hash.digest(message, &mut prehash.bytes);
        }
        MessageType::Digest => {
            if message.len() != hash.len() {
                return Err(CryptoError::length(
                    "digest",
                    hash.expected_digest_len(),
                    message.len(),
                ));
            }
            prehash.bytes[..hash.len()].copy_from_slice(message);
        }
    }
    Ok(prehash)
}

/// Signs an ECDSA prehash and returns the DER signature with low S.
macro_rules! ecdsa_sign {
    ($curve:ident, $key:expr, $prehash:expr) => {{
        let signature: $curve::ecdsa::Signature =
            $key.sign_prehash($prehash)
                .map_err(|_| CryptoError::Internal {
                    step: "ECDSA signing",
                })?;
        let signature = signature.normalize_s().unwrap_or(signature);
        signature.to_der().as_bytes().to_vec()
    }};
}

/// Verifies a DER ECDSA signature over a prehash.
macro_rules! ecdsa_verify {
    ($curve:ident, $key:expr, $prehash:expr, $signature:expr) => {{
        let signature = $curve::ecdsa::Signature::from_der($signature)
            .map_err(|_| CryptoError::InvalidSignature)?;
        // (r, s) and (r, n - s) are both valid; k256 only accepts low S, so
        // normalize to accept signatures made elsewhere (e.g. by OpenSSL).
        let signature = signature.normalize_s().unwrap_or(signature);
        // The signing key keeps its public point: no scalar multiplication here.
        $key.verifying_key()
            .verify_prehash($prehash, &signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }};
}

/// Signs `message` (RAW: 1 to 4096 bytes; DIGEST: the hash's length; both
/// checked here) with the private key of `material`. ECDSA signatures are
/// DER, RSA signatures are the modulus length.
pub fn sign(
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let prehash = prepare("Sign", material, algorithm, message_type, message)?;
    let digest = prehash.as_slice();
    let hash = Hash::of(algorithm).ok_or(CryptoError::Unsupported { what: "SM2DSA" })?;
    Ok(match &material.loaded {
        Loaded::Ec(EcKey::P256(k)) => ecdsa_sign!(p256, k, digest),
        Loaded::Ec(EcKey::P384(k)) => ecdsa_sign!(p384, k, digest),
        Loaded::Ec(EcKey::P521(k)) => {
            // p521 0.13 has no RFC 6979 signer; randomized ECDSA is as valid.
            let signature: p521::ecdsa::Signature = k
                .signing
                .sign_prehash_with_rng(&mut OsRng, digest)
                .map_err(|_| CryptoError::Internal {
                    step: "ECDSA signing",
                })?;
            let signature = signature.normalize_s().unwrap_or(signature);
            signature.to_der().as_bytes().to_vec()
        }
        Loaded::Ec(EcKey::K256(k)) => ecdsa_sign!(k256, k, digest),
        Loaded::Rsa(k) => {
            let signed = if is_pss(algorithm) {
                k.private.sign_with_rng(&mut OsRng, hash.pss(), digest)
            } else {
                k.private.sign_with_rng(&mut OsRng, hash.pkcs1v15(), digest)
            };
            signed.map_err(|_| CryptoError::Internal {
                step: "RSA signing",
            })?
        }
        Loaded::Symmetric(_) | Loaded::Hmac(_) => {
            return Err(CryptoError::OperationNotValidForKey {
                operation: "Sign",
                key_spec: material.spec(),
            });
        }
    })
}

/// Verifies `signature` over `message` as [`sign`] made it. `Ok(())` when
/// valid; [`CryptoError::InvalidSignature`] when the signature does not
/// verify or is not even well-formed; other errors for malformed input or
/// an algorithm that does not fit the key.
pub fn verify(
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let prehash = prepare("Verify", material, algorithm, message_type, message)?;
    let digest = prehash.as_slice();
    let hash = Hash::of(algorithm).ok_or(CryptoError::Unsupported { what: "SM2DSA" })?;
    match &material.loaded {
        Loaded::Ec(EcKey::P256(k)) => ecdsa_verify!(p256, k, digest, signature),
        Loaded::Ec(EcKey::P384(k)) => ecdsa_verify!(p384, k, digest, signature),
        Loaded::Ec(EcKey::P521(k)) => {
            let signature = p521::ecdsa::Signature::from_der(signature)
                .map_err(|_| CryptoError::InvalidSignature)?;
            let signature = signature.normalize_s().unwrap_or(signature);
            k.verifying
                .verify_prehash(digest, &signature)
                .map_err(|_| CryptoError::InvalidSignature)
        }
        Loaded::Ec(EcKey::K256(k)) => ecdsa_verify!(k256, k, digest, signature),
        Loaded::Rsa(k) => {
            let checked = if is_pss(algorithm) {
                k.public.verify(hash.pss(), digest, signature)
            } else {
                k.public.verify(hash.pkcs1v15(), digest, signature)
            };
            checked.map_err(|_| CryptoError::InvalidSignature)
        }
        Loaded::Symmetric(_) | Loaded::Hmac(_) => Err(CryptoError::OperationNotValidForKey {
            operation: "Verify",
            key_spec: material.spec(),
        }),
    }
}

fn is_pss(algorithm: SigningAlgorithmSpec) -> bool {
    matches!(
        algorithm,
        SigningAlgorithmSpec::RsassaPssSha256
            | SigningAlgorithmSpec::RsassaPssSha384
            | SigningAlgorithmSpec::RsassaPssSha512
    )
}

#[cfg(test)]
mod tests;
