//! Sign and Verify for every (KeySpec, SigningAlgorithmSpec) pair AWS allows.
//!
//! - ECDSA_SHA_256 on ECC_NIST_P256 and ECC_SECG_P256K1, ECDSA_SHA_384 on
//!   ECC_NIST_P384, ECDSA_SHA_512 on ECC_NIST_P521; signatures are DER
//!   (`ECDSA-Sig-Value`), as AWS returns them, with low S.
//! - RSASSA_PSS_SHA_256/384/512 (MGF1 with the same hash, salt length =
//!   digest length, as AWS) and RSASSA_PKCS1_V1_5_SHA_256/384/512 on RSA keys.
//!
//! - ED25519_SHA_512 and ED25519_PH_SHA_512 on ECC_NIST_EDWARDS25519
//!   (see [`super::ed25519`]); 64-byte signatures.
//! - ML_DSA_SHAKE_256 on ML_DSA_44/65/87 (see [`super::ml_dsa`]).
//! - SM2DSA on SM2 (see [`super::sm2`]); DER signatures.
//!
//! MessageType RAW: 1 to 4096 bytes, hashed here with the algorithm's hash
//! (ECDSA, RSA; SM2DSA hashes SM3(Z || M)) or signed as the message
//! (ED25519_SHA_512, ML-DSA).
//! MessageType DIGEST: exactly the hash's length, signed as a prehash
//! (ECDSA, RSA, SM2DSA; ED25519_PH_SHA_512, which requires it).
//! MessageType EXTERNAL_MU: ML-DSA only, exactly 64 bytes.
//! Any other pairing of algorithm and message type is a ValidationException,
//! as a wrong digest length is.

use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier, RandomizedPrehashSigner};
use getrandom::SysRng;
use kms_protocol::ops::{MessageType, SigningAlgorithmSpec};
use sha2::digest::FixedOutputReset;
use sha2::digest::const_oid::AssociatedOid;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::error::CryptoError;
use super::material::{EcKey, KeyMaterial, Loaded, rsa_error};
use super::ml_dsa::MU_LEN;
use super::sm2;

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
            SmDsa | MlDsaShake256 | Ed25519Sha512 | Ed25519PhSha512 => None,
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

    /// RSASSA-PSS or RSASSA-PKCS1-v1_5 signature of `digest` (checked to be
    /// this hash's length), blinded.
    fn rsa_sign(
        self,
        key: &rsa::PrivateKey,
        pss: bool,
        digest: &[u8],
    ) -> Result<Vec<u8>, rsa::Error> {
        match self {
            Hash::Sha256 => rsa_sign::<Sha256>(key, pss, digest),
            Hash::Sha384 => rsa_sign::<Sha384>(key, pss, digest),
            Hash::Sha512 => rsa_sign::<Sha512>(key, pss, digest),
        }
    }

    /// Verifies an RSASSA-PSS or RSASSA-PKCS1-v1_5 signature of `digest`.
    fn rsa_verify(
        self,
        key: &rsa::PublicKey,
        pss: bool,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), rsa::Error> {
        match self {
            Hash::Sha256 => rsa_verify::<Sha256>(key, pss, digest, signature),
            Hash::Sha384 => rsa_verify::<Sha384>(key, pss, digest, signature),
            Hash::Sha512 => rsa_verify::<Sha512>(key, pss, digest, signature),
        }
    }
}

/// RSA signing with the hash `D`: PSS with MGF1-`D` and a salt of `D`'s
/// length (as AWS), or PKCS #1 v1.5. Both blind the private-key operation
/// with the operating system's generator, which also gives PSS its salt.
fn rsa_sign<D>(key: &rsa::PrivateKey, pss: bool, digest: &[u8]) -> Result<Vec<u8>, rsa::Error>
where
    D: Digest + FixedOutputReset + AssociatedOid,
{
    if pss {
        key.pss_sign_prehash_with_rng::<D, _>(&mut SysRng, digest)
    } else {
        key.pkcs1v15_sign_prehash_with_rng::<D, _>(&mut SysRng, digest)
    }
}

/// RSA verification with the hash `D`, as [`rsa_sign`] signs (PSS: only a
/// salt of `D`'s length is accepted, as AWS).
fn rsa_verify<D>(
    key: &rsa::PublicKey,
    pss: bool,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), rsa::Error>
where
    D: Digest + FixedOutputReset + AssociatedOid,
{
    if pss {
        key.pss_verify_prehash::<D>(digest, signature)
    } else {
        key.pkcs1v15_verify_prehash::<D>(digest, signature)
    }
}

/// `Hash::of` found no hash for an algorithm that `prepare` sent down the
/// ECDSA and RSA path (it sends every other algorithm elsewhere).
const NO_HASH: CryptoError = CryptoError::Internal {
    step: "the hash of an ECDSA or RSA signing algorithm",
};

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

/// The checked input of Sign and Verify, by the kind of signature.
enum Input<'a> {
    /// ECDSA and RSA: the digest to sign.
    Prehash(Prehash),
    /// Pure Ed25519 and ML-DSA: the message itself (RAW, 1 to 4096 bytes).
    Message(&'a [u8]),
    /// Ed25519ph: the caller's 64-byte SHA-512 digest, the Ed25519ph message.
    Ed25519PhDigest(&'a [u8]),
    /// ML-DSA external μ: 64 bytes.
    Mu(&'a [u8]),
    /// SM2DSA: SM3(Z || M), 32 bytes.
    Sm2Digest(&'a [u8]),
}

fn check_raw_length(message: &[u8]) -> Result<(), CryptoError> {
    if message.is_empty() || message.len() > MAX_MESSAGE_LEN {
        return Err(CryptoError::length(
            "message",
            "1 to 4096 bytes",
            message.len(),
        ));
    }
    Ok(())
}

fn wrong_message_type(expected: &'static str) -> CryptoError {
    CryptoError::InvalidInput {
        what: "MessageType",
        expected,
    }
}

/// Checks that `algorithm` fits `material` and that `message_type` and the
/// message length fit `algorithm`, and says what is to be signed.
fn prepare<'a>(
    operation: &'static str,
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &'a [u8],
) -> Result<Input<'a>, CryptoError> {
    let spec = material.spec();
    if spec.signing_algorithms().is_empty() {
        return Err(CryptoError::OperationNotValidForKey {
            operation,
            key_spec: spec,
        });
    }
    if !spec.signing_algorithms().contains(&algorithm) {
        return Err(CryptoError::AlgorithmNotValidForKey {
            algorithm: algorithm.as_str(),
            key_spec: spec,
        });
    }
    match (algorithm, message_type) {
        (SigningAlgorithmSpec::Ed25519Sha512, MessageType::Raw)
        | (SigningAlgorithmSpec::MlDsaShake256, MessageType::Raw)
        | (SigningAlgorithmSpec::SmDsa, MessageType::Raw) => {
            check_raw_length(message)?;
            return Ok(Input::Message(message));
        }
        (SigningAlgorithmSpec::Ed25519Sha512, _) => {
            return Err(wrong_message_type(
                "RAW for the ED25519_SHA_512 signing algorithm",
            ));
        }
        (SigningAlgorithmSpec::Ed25519PhSha512, MessageType::Digest) => {
            if message.len() != Hash::Sha512.len() {
                return Err(CryptoError::length(
                    "digest",
                    Hash::Sha512.expected_digest_len(),
                    message.len(),
                ));
            }
            return Ok(Input::Ed25519PhDigest(message));
        }
        (SigningAlgorithmSpec::Ed25519PhSha512, _) => {
            return Err(wrong_message_type(
                "DIGEST for the ED25519_PH_SHA_512 signing algorithm",
            ));
        }
        (SigningAlgorithmSpec::MlDsaShake256, MessageType::ExternalMu) => {
            if message.len() != MU_LEN {
                return Err(CryptoError::length(
                    "message",
                    "exactly 64 bytes (an ML-DSA external mu)",
                    message.len(),
                ));
            }
            return Ok(Input::Mu(message));
        }
        (SigningAlgorithmSpec::SmDsa, MessageType::Digest) => {
            if message.len() != sm2::DIGEST_LEN {
                return Err(CryptoError::length(
                    "digest",
                    "exactly 32 bytes (SM3 over the Z value and the message)",
                    message.len(),
                ));
            }
            return Ok(Input::Sm2Digest(message));
        }
        (SigningAlgorithmSpec::MlDsaShake256, _) => {
            return Err(wrong_message_type(
                "RAW or EXTERNAL_MU for the ML_DSA_SHAKE_256 signing algorithm",
            ));
        }
        (_, MessageType::ExternalMu) => {
            return Err(wrong_message_type(
                "RAW or DIGEST: EXTERNAL_MU is only valid with ML-DSA keys",
            ));
        }
        _ => {}
    }
    let hash = Hash::of(algorithm).ok_or(NO_HASH)?;
    let mut prehash = Prehash {
        bytes: [0u8; 64],
        len: hash.len(),
    };
    match message_type {
        MessageType::Raw => {
            check_raw_length(message)?;
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
        // Refused above for every algorithm but ML-DSA's.
        MessageType::ExternalMu => {
            return Err(wrong_message_type(
                "RAW or DIGEST: EXTERNAL_MU is only valid with ML-DSA keys",
            ));
        }
    }
    Ok(Input::Prehash(prehash))
}

/// The error for an input kind that `prepare` never pairs with the key's
/// loaded form (it checks the algorithm against the key spec first).
fn mismatched(operation: &'static str, material: &KeyMaterial) -> CryptoError {
    CryptoError::OperationNotValidForKey {
        operation,
        key_spec: material.spec(),
    }
}

/// Signs an ECDSA prehash and returns the DER signature with low S.
macro_rules! ecdsa_sign {
    ($curve:ident, $key:expr, $prehash:expr) => {{
        let signature: $curve::ecdsa::Signature =
            $key.sign_prehash($prehash)
                .map_err(|_| CryptoError::Internal {
                    step: "ECDSA signing",
                })?;
        signature.normalize_s().to_der().as_bytes().to_vec()
    }};
}

/// Verifies a DER ECDSA signature over a prehash.
macro_rules! ecdsa_verify {
    ($curve:ident, $key:expr, $prehash:expr, $signature:expr) => {{
        let signature = $curve::ecdsa::Signature::from_der($signature)
            .map_err(|_| CryptoError::InvalidSignature)?;
        // (r, s) and (r, n - s) are both valid; k256 only accepts low S, so
        // normalize to accept signatures made elsewhere (e.g. by OpenSSL).
        let signature = signature.normalize_s();
        // The signing key keeps its public point: no scalar multiplication here.
        $key.verifying_key()
            .verify_prehash($prehash, &signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }};
}

/// Signs `message` (RAW: 1 to 4096 bytes; DIGEST: the hash's length;
/// EXTERNAL_MU: 64 bytes; all checked here) with the private key of
/// `material`. ECDSA signatures are DER, RSA signatures are the modulus
/// length, Ed25519 signatures 64 bytes, ML-DSA signatures 2,420 / 3,309 /
/// 4,627 bytes.
pub fn sign(
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    match (
        &material.loaded,
        prepare("Sign", material, algorithm, message_type, message)?,
    ) {
        (_, Input::Prehash(prehash)) => sign_prehash(material, algorithm, prehash.as_slice()),
        (Loaded::Ed25519(k), Input::Message(m)) => Ok(k.sign(m)),
        (Loaded::Ed25519(k), Input::Ed25519PhDigest(d)) => k.sign_ph(d),
        (Loaded::MlDsa(k), Input::Message(m)) => k.sign(m),
        (Loaded::MlDsa(k), Input::Mu(mu)) => k.sign_mu(mu),
        (Loaded::Sm2(k), Input::Message(m)) => k.sign_message(m),
        (Loaded::Sm2(k), Input::Sm2Digest(d)) => k.sign_digest(d),
        _ => Err(mismatched("Sign", material)),
    }
}

/// ECDSA and RSA signing of a checked digest.
fn sign_prehash(
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    digest: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let hash = Hash::of(algorithm).ok_or(NO_HASH)?;
    Ok(match &material.loaded {
        Loaded::Ec(EcKey::P256(k)) => ecdsa_sign!(p256, k, digest),
        Loaded::Ec(EcKey::P384(k)) => ecdsa_sign!(p384, k, digest),
        Loaded::Ec(EcKey::P521(k)) => {
            // P-521 signatures have always been randomized here (p521 0.13
            // had no RFC 6979 signer). ecdsa 0.17's randomized signer is
            // RFC 6979 with fresh random bytes mixed into the nonce
            // derivation (section 3.6); it fails only if the generator does.
            let signature: p521::ecdsa::Signature = k
                .sign_prehash_with_rng(&mut SysRng, digest)
                .map_err(|_| CryptoError::RandomUnavailable)?;
            signature.normalize_s().to_der().as_bytes().to_vec()
        }
        Loaded::Ec(EcKey::K256(k)) => ecdsa_sign!(k256, k, digest),
        Loaded::Rsa(k) => hash
            .rsa_sign(&k.private, is_pss(algorithm), digest)
            .map_err(|e| {
                rsa_error(
                    e,
                    CryptoError::Internal {
                        step: "RSA signing",
                    },
                )
            })?,
        Loaded::Symmetric(_)
        | Loaded::Hmac(_)
        | Loaded::Ed25519(_)
        | Loaded::MlDsa(_)
        | Loaded::MlKem(_)
        | Loaded::Sm2(_) => {
            return Err(mismatched("Sign", material));
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
    match (
        &material.loaded,
        prepare("Verify", material, algorithm, message_type, message)?,
    ) {
        (_, Input::Prehash(prehash)) => {
            verify_prehash(material, algorithm, prehash.as_slice(), signature)
        }
        (Loaded::Ed25519(k), Input::Message(m)) => k.verify(m, signature),
        (Loaded::Ed25519(k), Input::Ed25519PhDigest(d)) => k.verify_ph(d, signature),
        (Loaded::MlDsa(k), Input::Message(m)) => k.verify(m, signature),
        (Loaded::MlDsa(k), Input::Mu(mu)) => k.verify_mu(mu, signature),
        (Loaded::Sm2(k), Input::Message(m)) => k.verify_message(m, signature),
        (Loaded::Sm2(k), Input::Sm2Digest(d)) => k.verify_digest(d, signature),
        _ => Err(mismatched("Verify", material)),
    }
}

/// ECDSA and RSA verification over a checked digest.
fn verify_prehash(
    material: &KeyMaterial,
    algorithm: SigningAlgorithmSpec,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let hash = Hash::of(algorithm).ok_or(NO_HASH)?;
    match &material.loaded {
        Loaded::Ec(EcKey::P256(k)) => ecdsa_verify!(p256, k, digest, signature),
        Loaded::Ec(EcKey::P384(k)) => ecdsa_verify!(p384, k, digest, signature),
        Loaded::Ec(EcKey::P521(k)) => ecdsa_verify!(p521, k, digest, signature),
        Loaded::Ec(EcKey::K256(k)) => ecdsa_verify!(k256, k, digest, signature),
        Loaded::Rsa(k) => hash
            .rsa_verify(&k.public, is_pss(algorithm), digest, signature)
            .map_err(|_| CryptoError::InvalidSignature),
        Loaded::Symmetric(_)
        | Loaded::Hmac(_)
        | Loaded::Ed25519(_)
        | Loaded::MlDsa(_)
        | Loaded::MlKem(_)
        | Loaded::Sm2(_) => Err(mismatched("Verify", material)),
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

#[cfg(test)]
mod ed25519_ml_dsa_tests;
