//! ML_KEM_512, ML_KEM_768 and ML_KEM_1024 keys (FIPS 203), with the
//! algorithm ML_KEM: Encapsulate and Decapsulate.
//!
//! - The private key is its 64-byte seed d || z (FIPS 203 Algorithm 16,
//!   ML-KEM.KeyGen_internal); the decapsulation key is derived from it on
//!   load and wiped on drop.
//! - Storage, import and data key pair form: PKCS#8 DER as the IETF LAMPS
//!   ML-KEM certificates specification defines it, algorithm
//!   id-alg-ml-kem-512/768/1024 without parameters and the `seed [0]`
//!   choice of ML-KEM-PrivateKey (86 bytes for every parameter set, as AWS
//!   says of its ML-KEM data key pairs). The expanded-key forms are refused:
//!   without the seed the key could not be stored in this form.
//! - Public key: SubjectPublicKeyInfo with the same OID and the encoded
//!   encapsulation key (800 / 1,184 / 1,568 bytes) as the BIT STRING.
//! - Encapsulate draws the 32-byte message m from the operating system and
//!   returns the ciphertext (768 / 1,088 / 1,568 bytes) and the 32-byte
//!   shared secret. Decapsulate of a ciphertext of the right length always
//!   answers 32 bytes: for a ciphertext this key did not make (or one that
//!   was altered) FIPS 203's implicit rejection gives a pseudo-random value
//!   derived from z and the ciphertext, as AWS documents. Only a wrong
//!   length is an error.

use core::fmt;

use der::asn1::ObjectIdentifier;
use kms_protocol::ops::KeySpec;
use ml_kem::kem::{Decapsulate, KeyExport};
use ml_kem::{B32, DecapsulationKey, MlKem512, MlKem768, MlKem1024, Seed};
use zeroize::{Zeroize, Zeroizing};

use super::ed25519::spki_der;
use super::error::CryptoError;
use super::material::{KeyMaterial, Loaded, fill_random};
use super::seed_form;

/// Length of the seed d || z.
pub const SEED_LEN: usize = 64;
/// Length of the shared secret K of every parameter set.
pub const SHARED_SECRET_LEN: usize = 32;

/// id-alg-ml-kem-512, -768 and -1024 (NIST CSOR).
pub const ML_KEM_512_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.4.1");
/// id-alg-ml-kem-768.
pub const ML_KEM_768_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.4.2");
/// id-alg-ml-kem-1024.
pub const ML_KEM_1024_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.4.3");

/// A decapsulation key of one of the three parameter sets (each holds its
/// seed, decryption key and encapsulation key; boxed because they are
/// kilobytes).
pub(crate) enum MlKemKey {
    K512(Box<DecapsulationKey<MlKem512>>),
    K768(Box<DecapsulationKey<MlKem768>>),
    K1024(Box<DecapsulationKey<MlKem1024>>),
}

impl fmt::Debug for MlKemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MlKemKey(<redacted>)")
    }
}

/// What Encapsulate returns: the ciphertext and the shared secret (wiped
/// on drop, never shown by `Debug`).
pub struct Encapsulated {
    /// The ML-KEM ciphertext of the shared secret.
    pub ciphertext: Vec<u8>,
    /// The 32-byte shared secret.
    pub shared_secret: Zeroizing<[u8; SHARED_SECRET_LEN]>,
}

impl fmt::Debug for Encapsulated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encapsulated")
            .field("ciphertext_len", &self.ciphertext.len())
            .field("shared_secret", &"<redacted>")
            .finish()
    }
}

fn oid_of(spec: KeySpec) -> Option<ObjectIdentifier> {
    match spec {
        KeySpec::MlKem512 => Some(ML_KEM_512_OID),
        KeySpec::MlKem768 => Some(ML_KEM_768_OID),
        KeySpec::MlKem1024 => Some(ML_KEM_1024_OID),
        _ => None,
    }
}

/// The ciphertext length of a parameter set (FIPS 203 Table 3).
pub fn ciphertext_len(spec: KeySpec) -> Option<usize> {
    match spec {
        KeySpec::MlKem512 => Some(768),
        KeySpec::MlKem768 => Some(1088),
        KeySpec::MlKem1024 => Some(1568),
        _ => None,
    }
}

fn invalid(spec: KeySpec) -> CryptoError {
    CryptoError::InvalidKeyMaterial {
        key_spec: spec,
        expected: "a PKCS#8 DER ML-KEM private key of the spec's parameter set in seed form \
                   (seed [0], 64 bytes)",
    }
}

/// Runs `$body` with `$k` bound to the decapsulation key, whatever its
/// parameter set.
macro_rules! with_key {
    ($key:expr, $k:ident => $body:expr) => {
        match $key {
            MlKemKey::K512($k) => $body,
            MlKemKey::K768($k) => $body,
            MlKemKey::K1024($k) => $body,
        }
    };
}

impl MlKemKey {
    /// A fresh key of `spec` from a seed of the operating system's random
    /// number generator.
    pub(crate) fn generate(spec: KeySpec) -> Result<Self, CryptoError> {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        fill_random(seed.as_mut())?;
        Self::from_seed(spec, &seed)
    }

    /// ML-KEM.KeyGen_internal(d, z) (FIPS 203 Algorithm 16) of
    /// `seed` = d || z for `spec`.
    pub(crate) fn from_seed(spec: KeySpec, seed: &[u8; SEED_LEN]) -> Result<Self, CryptoError> {
        let mut s = Seed::from(*seed);
        let key = match spec {
            KeySpec::MlKem512 => MlKemKey::K512(Box::new(DecapsulationKey::from_seed(s))),
            KeySpec::MlKem768 => MlKemKey::K768(Box::new(DecapsulationKey::from_seed(s))),
            KeySpec::MlKem1024 => MlKemKey::K1024(Box::new(DecapsulationKey::from_seed(s))),
            _ => {
                s.zeroize();
                return Err(invalid(spec));
            }
        };
        // `from_seed` took a copy; wipe this one.
        s.zeroize();
        Ok(key)
    }

    /// The key spec of this key's parameter set.
    pub(crate) fn spec(&self) -> KeySpec {
        match self {
            MlKemKey::K512(_) => KeySpec::MlKem512,
            MlKemKey::K768(_) => KeySpec::MlKem768,
            MlKemKey::K1024(_) => KeySpec::MlKem1024,
        }
    }

    /// Parses PKCS#8 DER (seed form) as a key of `spec`; another parameter
    /// set's OID, parameters, a public key or trailing bytes are refused.
    pub(crate) fn from_pkcs8_der(spec: KeySpec, der: &[u8]) -> Result<Self, CryptoError> {
        let oid = oid_of(spec).ok_or_else(|| invalid(spec))?;
        let seed = seed_form::parse::<SEED_LEN>(der, oid).ok_or_else(|| invalid(spec))?;
        Self::from_seed(spec, seed)
    }

    /// The storage form: PKCS#8 DER with the seed (86 bytes).
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let internal = CryptoError::Internal {
            step: "encoding an ML-KEM private key",
        };
        let oid = oid_of(self.spec()).ok_or(internal.clone())?;
        // Every key here was made from a seed, so `to_seed` has one.
        let mut seed = with_key!(self, k => k.to_seed()).ok_or(internal.clone())?;
        let der = seed_form::encode(oid, seed.as_slice());
        seed.zeroize();
        der.ok_or(internal)
    }

    /// The encoded encapsulation key (ByteEncode of t̂ || ρ).
    pub(crate) fn encapsulation_key_bytes(&self) -> Vec<u8> {
        with_key!(self, k => k.encapsulation_key().to_bytes().to_vec())
    }

    /// SubjectPublicKeyInfo DER of the encapsulation key.
    pub(crate) fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        let oid = oid_of(self.spec()).ok_or(CryptoError::Internal {
            step: "ML-KEM parameter set",
        })?;
        spki_der(oid, &self.encapsulation_key_bytes()).ok_or(CryptoError::Internal {
            step: "encoding an ML-KEM public key",
        })
    }

    /// ML-KEM.Encaps (FIPS 203 Algorithm 20) to this key's encapsulation
    /// key.
    pub(crate) fn encapsulate(&self) -> Result<Encapsulated, CryptoError> {
        // m comes from `fill_random`, which reports a failed generator as
        // KMSInternalException; the crate's own `encapsulate()` would
        // panic on one. `encapsulate_deterministic` is ML-KEM.Encaps_internal
        // and uses m exactly once.
        let mut m = B32::default();
        fill_random(m.as_mut_slice())?;
        let mut shared_secret = Zeroizing::new([0u8; SHARED_SECRET_LEN]);
        let ciphertext = with_key!(self, k => {
            let (ciphertext, mut shared) = k.encapsulation_key().encapsulate_deterministic(&m);
            shared_secret.copy_from_slice(shared.as_slice());
            shared.zeroize();
            ciphertext.to_vec()
        });
        m.zeroize();
        Ok(Encapsulated {
            ciphertext,
            shared_secret,
        })
    }

    /// ML-KEM.Decaps (FIPS 203 Algorithm 21): the shared secret of
    /// `ciphertext`, or the implicit-rejection value when this key did not
    /// make it. Only a ciphertext of the wrong length for the parameter
    /// set is an error.
    pub(crate) fn decapsulate(
        &self,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<[u8; SHARED_SECRET_LEN]>, CryptoError> {
        let spec = self.spec();
        let mut shared = with_key!(self, k => k.decapsulate_slice(ciphertext)).map_err(|_| {
            CryptoError::InvalidCiphertextLength {
                key_spec: spec,
                expected: ciphertext_len(spec).unwrap_or(0),
                actual: ciphertext.len(),
            }
        })?;
        let mut out = Zeroizing::new([0u8; SHARED_SECRET_LEN]);
        out.copy_from_slice(shared.as_slice());
        shared.zeroize();
        Ok(out)
    }
}

/// The ML-KEM key of `material`, or `operation` is not valid for its key.
fn ml_kem_key<'a>(
    material: &'a KeyMaterial,
    operation: &'static str,
) -> Result<&'a MlKemKey, CryptoError> {
    match &material.loaded {
        Loaded::MlKem(k) => Ok(k),
        _ => Err(CryptoError::OperationNotValidForKey {
            operation,
            key_spec: material.spec(),
        }),
    }
}

/// Encapsulate: a fresh shared secret and its ciphertext under the
/// encapsulation key of `material` (an ML-KEM key).
pub fn encapsulate(material: &KeyMaterial) -> Result<Encapsulated, CryptoError> {
    ml_kem_key(material, "Encapsulate")?.encapsulate()
}

/// Decapsulate: the shared secret of `ciphertext` under `material` (an
/// ML-KEM key); see [`MlKemKey::decapsulate`].
pub fn decapsulate(
    material: &KeyMaterial,
    ciphertext: &[u8],
) -> Result<Zeroizing<[u8; SHARED_SECRET_LEN]>, CryptoError> {
    ml_kem_key(material, "Decapsulate")?.decapsulate(ciphertext)
}

#[cfg(test)]
mod tests;
