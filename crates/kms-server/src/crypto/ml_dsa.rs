//! ML_DSA_44, ML_DSA_65 and ML_DSA_87 keys (FIPS 204), with the algorithm
//! ML_DSA_SHAKE_256.
//!
//! - The private key is its 32-byte seed ξ (FIPS 204 Algorithm 6); the
//!   expanded key is derived from it on load and wiped on drop.
//! - Storage and import form: PKCS#8 DER as RFC 9881 defines it, algorithm
//!   id-ml-dsa-44/65/87 without parameters and the `seed [0]` choice of
//!   ML-DSA-PrivateKey. Like the other asymmetric specs, the storage form is
//!   PKCS#8, so sealing, import and re-import need nothing new. The
//!   expanded-key forms of RFC 9881 are refused: without the seed the key
//!   could not be stored in this form.
//! - Public key: SubjectPublicKeyInfo with the same OID and the encoded key
//!   (1,312 / 1,952 / 2,592 bytes) as the BIT STRING.
//! - MessageType RAW is ML-DSA.Sign (Algorithm 2) with an empty context;
//!   EXTERNAL_MU signs the caller's 64-byte μ (section 6.2) directly. Both
//!   are hedged (fresh randomness per signature), as AWS signs; verification
//!   accepts any valid signature, hedged or deterministic.

use core::fmt;

use der::asn1::ObjectIdentifier;
use getrandom::SysRng;
use kms_protocol::ops::KeySpec;
use ml_dsa::common::array::Array;
use ml_dsa::common::typenum::U64;
use ml_dsa::{
    EncodedVerifyingKey, MlDsa44, MlDsa65, MlDsa87, MlDsaParams, Signature, SigningKey,
    VerifyingKey,
};
use zeroize::Zeroizing;

use super::ed25519::spki_der;
use super::error::CryptoError;
use super::material::fill_random;
use super::seed_form;

/// Length of the seed ξ and of the representative μ.
pub const SEED_LEN: usize = 32;
/// Length of an EXTERNAL_MU message (μ, FIPS 204 section 6.2).
pub const MU_LEN: usize = 64;

/// The representative μ as the ml-dsa crate takes it.
type Mu = Array<u8, U64>;

/// id-ml-dsa-44, -65 and -87 (NIST CSOR, RFC 9881).
pub const ML_DSA_44_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");
/// id-ml-dsa-65.
pub const ML_DSA_65_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18");
/// id-ml-dsa-87.
pub const ML_DSA_87_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19");

/// A signing key of one of the three parameter sets (each holds its seed,
/// expanded key and verifying key; boxed because they are kilobytes).
pub(crate) enum MlDsaKey {
    D44(Box<SigningKey<MlDsa44>>),
    D65(Box<SigningKey<MlDsa65>>),
    D87(Box<SigningKey<MlDsa87>>),
}

impl fmt::Debug for MlDsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MlDsaKey(<redacted>)")
    }
}

fn oid_of(spec: KeySpec) -> Option<ObjectIdentifier> {
    match spec {
        KeySpec::MlDsa44 => Some(ML_DSA_44_OID),
        KeySpec::MlDsa65 => Some(ML_DSA_65_OID),
        KeySpec::MlDsa87 => Some(ML_DSA_87_OID),
        _ => None,
    }
}

fn invalid(spec: KeySpec) -> CryptoError {
    CryptoError::InvalidKeyMaterial {
        key_spec: spec,
        expected: "a PKCS#8 DER ML-DSA private key of the spec's parameter set in seed form \
                   (RFC 9881)",
    }
}

/// Runs `$body` with `$k` bound to the signing key, whatever its parameter
/// set.
macro_rules! with_key {
    ($key:expr, $k:ident => $body:expr) => {
        match $key {
            MlDsaKey::D44($k) => $body,
            MlDsaKey::D65($k) => $body,
            MlDsaKey::D87($k) => $body,
        }
    };
}

impl MlDsaKey {
    /// A fresh key of `spec` from a seed of the operating system's random
    /// number generator.
    pub(crate) fn generate(spec: KeySpec) -> Result<Self, CryptoError> {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        fill_random(seed.as_mut())?;
        Self::from_seed(spec, &seed)
    }

    /// ML-DSA.KeyGen_internal (FIPS 204 Algorithm 6) of `seed` for `spec`.
    pub(crate) fn from_seed(spec: KeySpec, seed: &[u8; SEED_LEN]) -> Result<Self, CryptoError> {
        let xi = Zeroizing::new(ml_dsa::Seed::from(*seed));
        Ok(match spec {
            KeySpec::MlDsa44 => MlDsaKey::D44(Box::new(SigningKey::from_seed(&xi))),
            KeySpec::MlDsa65 => MlDsaKey::D65(Box::new(SigningKey::from_seed(&xi))),
            KeySpec::MlDsa87 => MlDsaKey::D87(Box::new(SigningKey::from_seed(&xi))),
            _ => return Err(invalid(spec)),
        })
    }

    /// The key spec of this key's parameter set.
    pub(crate) fn spec(&self) -> KeySpec {
        match self {
            MlDsaKey::D44(_) => KeySpec::MlDsa44,
            MlDsaKey::D65(_) => KeySpec::MlDsa65,
            MlDsaKey::D87(_) => KeySpec::MlDsa87,
        }
    }

    /// Parses RFC 9881 PKCS#8 DER (seed form) as a key of `spec`; another
    /// parameter set's OID, parameters or trailing bytes are refused.
    pub(crate) fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self, CryptoError> {
        let oid = oid_of(spec).ok_or_else(|| invalid(spec))?;
        let seed = seed_form::parse::<SEED_LEN>(der, oid).ok_or_else(|| invalid(spec))?;
        Self::from_seed(spec, seed)
    }

    /// The storage form: PKCS#8 DER with the seed (54 bytes).
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let internal = CryptoError::Internal {
            step: "encoding an ML-DSA private key",
        };
        let oid = oid_of(self.spec()).ok_or(internal.clone())?;
        with_key!(self, k => seed_form::encode(oid, k.as_seed().as_slice())).ok_or(internal)
    }

    /// SubjectPublicKeyInfo DER of the public key.
    pub(crate) fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        let oid = oid_of(self.spec()).ok_or(CryptoError::Internal {
            step: "ML-DSA parameter set",
        })?;
        with_key!(self, k => spki_der(oid, &encoded_public(k))).ok_or(CryptoError::Internal {
            step: "encoding an ML-DSA public key",
        })
    }

    /// ML-DSA.Sign (hedged) with an empty context over `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        with_key!(self, k => k
            .expanded_key()
            .sign_randomized(message, &[], &mut SysRng)
            .map(|s| s.encode().to_vec())
            .map_err(|_| sign_failed()))
    }

    /// ML-DSA.Sign (hedged) of an external μ; `mu` must be 64 bytes.
    pub(crate) fn sign_mu(&self, mu: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mu = <&Mu>::try_from(mu).map_err(|_| mu_length(mu.len()))?;
        with_key!(self, k => k
            .expanded_key()
            .sign_mu_randomized(mu, &mut SysRng)
            .map(|s| s.encode().to_vec())
            .map_err(|_| sign_failed()))
    }

    /// ML-DSA.Verify with an empty context.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let valid = with_key!(self, k => {
            let signature = parse_signature(signature)?;
            verifying(k).verify_with_context(message, &[], &signature)
        });
        valid.then_some(()).ok_or(CryptoError::InvalidSignature)
    }

    /// Verifies a signature of an external μ; `mu` must be 64 bytes.
    pub(crate) fn verify_mu(&self, mu: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let mu = <&Mu>::try_from(mu).map_err(|_| mu_length(mu.len()))?;
        let valid = with_key!(self, k => {
            let signature = parse_signature(signature)?;
            verifying(k).verify_mu(mu, &signature)
        });
        valid.then_some(()).ok_or(CryptoError::InvalidSignature)
    }
}

/// The verifying key a signing key keeps ready.
fn verifying<P: MlDsaParams>(key: &SigningKey<P>) -> &VerifyingKey<P> {
    key.as_ref()
}

/// The encoded public key (pkEncode, FIPS 204 Algorithm 22).
fn encoded_public<P: MlDsaParams>(key: &SigningKey<P>) -> EncodedVerifyingKey<P> {
    verifying(key).encode()
}

/// Decodes a signature of exactly the parameter set's length (sigDecode,
/// which also refuses malformed hints and out-of-range z).
fn parse_signature<P: MlDsaParams>(bytes: &[u8]) -> Result<Signature<P>, CryptoError> {
    Signature::<P>::try_from(bytes).map_err(|_| CryptoError::InvalidSignature)
}

fn mu_length(actual: usize) -> CryptoError {
    CryptoError::length(
        "message",
        "exactly 64 bytes (an ML-DSA external mu)",
        actual,
    )
}

fn sign_failed() -> CryptoError {
    // Only the random number generator can make hedged signing fail (the
    // rejection loop's bound is never reached in practice).
    CryptoError::RandomUnavailable
}

#[cfg(test)]
mod tests;
