//! ECC_NIST_EDWARDS25519 keys: Ed25519 and Ed25519ph (RFC 8032, FIPS 186-5).
//!
//! - Storage and import form: PKCS#8 DER as RFC 8410 defines it (algorithm
//!   id-Ed25519 without parameters; the private key an OCTET STRING holding
//!   the 32-byte seed). Written as a version 1 PrivateKeyInfo, as OpenSSL
//!   writes it; a version 2 one with a public key is accepted when that key
//!   matches the seed.
//! - Public key: SubjectPublicKeyInfo with id-Ed25519 and the 32-byte key.
//! - ED25519_SHA_512 signs the message itself (pure Ed25519).
//!   ED25519_PH_SHA_512 takes a 64-byte SHA-512 digest from the caller and,
//!   as AWS documents, still applies the SHA-512 prehash of FIPS 186-5
//!   section 7.8.1 step 1: the Ed25519ph message is the 64 given bytes, so
//!   PH(M) hashes them once more. The context string is empty.

use core::fmt;

use der::asn1::{BitStringRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use pkcs8::PrivateKeyInfoRef;
use sha2::{Digest, Sha512};
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::material::fill_random;

/// id-Ed25519 (RFC 8410).
pub const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Length of an Ed25519 seed (the private key) and of a public key.
const KEY_LEN: usize = 32;

/// DER header of the OCTET STRING inside PrivateKeyInfo.privateKey
/// (RFC 8410 `CurvePrivateKey`).
const CURVE_PRIVATE_KEY_HEADER: [u8; 2] = [0x04, 0x20];

const INVALID: &str = "a PKCS#8 DER Ed25519 private key (RFC 8410)";

/// An Ed25519 signing key (its seed, expanded, and its public key); wiped
/// on drop by ed25519-dalek, never shown by `Debug`.
pub(crate) struct Ed25519Key {
    signing: SigningKey,
}

impl fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519Key(<redacted>)")
    }
}

fn invalid() -> CryptoError {
    CryptoError::InvalidKeyMaterial {
        key_spec: kms_protocol::ops::KeySpec::EccNistEdwards25519,
        expected: INVALID,
    }
}

impl Ed25519Key {
    /// A fresh key from the operating system's random number generator.
    pub(crate) fn generate() -> Result<Self, CryptoError> {
        let mut seed = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(seed.as_mut())?;
        Ok(Self::from_seed(&seed))
    }

    /// The key of a 32-byte seed (RFC 8032 section 5.1.5).
    pub(crate) fn from_seed(seed: &[u8; KEY_LEN]) -> Self {
        Ed25519Key {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// Parses RFC 8410 PKCS#8 DER; trailing bytes, parameters, another
    /// algorithm or a public key that does not match are refused.
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        let info = PrivateKeyInfoRef::from_der(der).map_err(|_| invalid())?;
        if info.algorithm.oid != ED25519_OID || info.algorithm.parameters.is_some() {
            return Err(invalid());
        }
        let seed = info
            .private_key
            .as_bytes()
            .strip_prefix(&CURVE_PRIVATE_KEY_HEADER[..])
            .and_then(|s| <&[u8; KEY_LEN]>::try_from(s).ok())
            .ok_or_else(invalid)?;
        let key = Self::from_seed(seed);
        if let Some(public) = info.public_key {
            // A BIT STRING with unused bits is no 32-byte key either.
            if public.as_bytes() != Some(key.signing.verifying_key().as_bytes()) {
                return Err(CryptoError::InvalidKeyMaterial {
                    key_spec: kms_protocol::ops::KeySpec::EccNistEdwards25519,
                    expected: "a PKCS#8 Ed25519 private key whose public key matches its seed",
                });
            }
        }
        Ok(key)
    }

    /// The storage form: version 1 PKCS#8 DER (RFC 8410), 48 bytes.
    pub(crate) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut inner = Zeroizing::new([0u8; CURVE_PRIVATE_KEY_HEADER.len() + KEY_LEN]);
        inner[..2].copy_from_slice(&CURVE_PRIVATE_KEY_HEADER);
        inner[2..].copy_from_slice(self.signing.as_bytes());
        let internal = CryptoError::Internal {
            step: "encoding an Ed25519 private key",
        };
        let inner = OctetStringRef::new(inner.as_ref()).map_err(|_| internal.clone())?;
        encode_secret(&PrivateKeyInfoRef::new(algorithm(), inner)).ok_or(internal)
    }

    /// SubjectPublicKeyInfo DER: id-Ed25519 and the 32-byte public key.
    pub(crate) fn public_key_der(&self) -> Result<Vec<u8>, CryptoError> {
        public_key_der(self.signing.verifying_key().as_bytes())
    }

    /// Pure Ed25519 over `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        use ed25519_dalek::Signer;
        self.signing.sign(message).to_bytes().to_vec()
    }

    /// Ed25519ph with an empty context over the message `digest` (the 64
    /// bytes the caller sent), which is hashed once more with SHA-512.
    pub(crate) fn sign_ph(&self, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let prehash = Sha512::new().chain_update(digest);
        self.signing
            .sign_prehashed(prehash, None)
            .map(|s| s.to_bytes().to_vec())
            .map_err(|_| CryptoError::Internal {
                step: "Ed25519ph signing",
            })
    }

    /// Verifies a pure Ed25519 signature, strictly (RFC 8032 section 5.1.7,
    /// refusing non-canonical encodings and small-order keys or R).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let signature = parse_signature(signature)?;
        self.verifying()
            .verify_strict(message, &signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }

    /// Verifies an Ed25519ph signature made by [`Ed25519Key::sign_ph`].
    pub(crate) fn verify_ph(&self, digest: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let signature = parse_signature(signature)?;
        let prehash = Sha512::new().chain_update(digest);
        self.verifying()
            .verify_prehashed_strict(prehash, None, &signature)
            .map_err(|_| CryptoError::InvalidSignature)
    }

    fn verifying(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }
}

fn parse_signature(bytes: &[u8]) -> Result<Signature, CryptoError> {
    Signature::from_slice(bytes).map_err(|_| CryptoError::InvalidSignature)
}

fn algorithm() -> AlgorithmIdentifierRef<'static> {
    AlgorithmIdentifierRef {
        oid: ED25519_OID,
        parameters: None,
    }
}

/// SubjectPublicKeyInfo DER of a raw Ed25519 public key.
pub(crate) fn public_key_der(public: &[u8]) -> Result<Vec<u8>, CryptoError> {
    spki_der(ED25519_OID, public).ok_or(CryptoError::Internal {
        step: "encoding an Ed25519 public key",
    })
}

/// SubjectPublicKeyInfo DER of `key` under an algorithm without parameters
/// (RFC 8410 and RFC 9881 both say parameters are absent).
pub(crate) fn spki_der(oid: ObjectIdentifier, key: &[u8]) -> Option<Vec<u8>> {
    let info = SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid,
            parameters: None,
        },
        subject_public_key: BitStringRef::from_bytes(key).ok()?,
    };
    info.to_der().ok()
}

/// Encodes a PrivateKeyInfo into one buffer of exactly its length that is
/// wiped on drop (no reallocation leaves copies of the key behind).
pub(crate) fn encode_secret(info: &PrivateKeyInfoRef<'_>) -> Option<Zeroizing<Vec<u8>>> {
    let len = usize::try_from(u32::from(info.encoded_len().ok()?)).ok()?;
    let mut out = Zeroizing::new(vec![0u8; len]);
    let written = info.encode_to_slice(&mut out).ok()?.len();
    (written == len).then_some(out)
}

#[cfg(test)]
mod tests;
