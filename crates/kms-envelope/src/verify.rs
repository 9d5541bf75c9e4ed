//! Verification of signatures made by KMS asymmetric keys, with the public
//! key as KMS `GetPublicKey` returns it: DER SubjectPublicKeyInfo.
//!
//! Supported, as KMS pairs them: ECDSA on P-256 (SHA-256), P-384 (SHA-384),
//! P-521 (SHA-512) and secp256k1 (SHA-256) with DER signatures; RSASSA-PSS
//! (MGF1 with the same hash, salt as long as the hash) and RSASSA-PKCS1-v1_5
//! with SHA-256/384/512 on RSA keys of 2048 to 4096 bits. The message is
//! given either raw (hashed here) or as its digest, as KMS `Sign` accepts
//! `MessageType` `RAW` or `DIGEST`.

use core::fmt;

use der::Decode as _;
use ecdsa::signature::hazmat::PrehashVerifier;
use pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::Digest as _;
use spki::ObjectIdentifier;

use crate::error::Error;

/// A KMS signing algorithm (`SigningAlgorithmSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// `ECDSA_SHA_256`: P-256 or secp256k1.
    EcdsaSha256,
    /// `ECDSA_SHA_384`: P-384.
    EcdsaSha384,
    /// `ECDSA_SHA_512`: P-521.
    EcdsaSha512,
    /// `RSASSA_PSS_SHA_256`.
    RsassaPssSha256,
    /// `RSASSA_PSS_SHA_384`.
    RsassaPssSha384,
    /// `RSASSA_PSS_SHA_512`.
    RsassaPssSha512,
    /// `RSASSA_PKCS1_V1_5_SHA_256`.
    RsassaPkcs1V15Sha256,
    /// `RSASSA_PKCS1_V1_5_SHA_384`.
    RsassaPkcs1V15Sha384,
    /// `RSASSA_PKCS1_V1_5_SHA_512`.
    RsassaPkcs1V15Sha512,
}

/// The hash of a signing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    const fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    fn digest(self, message: &[u8]) -> alloc::vec::Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }
}

impl SigningAlgorithm {
    /// All nine algorithms.
    pub const ALL: [SigningAlgorithm; 9] = [
        SigningAlgorithm::EcdsaSha256,
        SigningAlgorithm::EcdsaSha384,
        SigningAlgorithm::EcdsaSha512,
        SigningAlgorithm::RsassaPssSha256,
        SigningAlgorithm::RsassaPssSha384,
        SigningAlgorithm::RsassaPssSha512,
        SigningAlgorithm::RsassaPkcs1V15Sha256,
        SigningAlgorithm::RsassaPkcs1V15Sha384,
        SigningAlgorithm::RsassaPkcs1V15Sha512,
    ];

    /// The name KMS uses, e.g. `ECDSA_SHA_256`.
    pub const fn kms_name(self) -> &'static str {
        match self {
            SigningAlgorithm::EcdsaSha256 => "ECDSA_SHA_256",
            SigningAlgorithm::EcdsaSha384 => "ECDSA_SHA_384",
            SigningAlgorithm::EcdsaSha512 => "ECDSA_SHA_512",
            SigningAlgorithm::RsassaPssSha256 => "RSASSA_PSS_SHA_256",
            SigningAlgorithm::RsassaPssSha384 => "RSASSA_PSS_SHA_384",
            SigningAlgorithm::RsassaPssSha512 => "RSASSA_PSS_SHA_512",
            SigningAlgorithm::RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
            SigningAlgorithm::RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
            SigningAlgorithm::RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
        }
    }

    /// The algorithm KMS calls `name`.
    pub fn from_kms_name(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|a| a.kms_name() == name)
            .ok_or(Error::InvalidArgument(
                "signing algorithm must be one of ECDSA_SHA_256/384/512, RSASSA_PSS_SHA_256/384/512, RSASSA_PKCS1_V1_5_SHA_256/384/512",
            ))
    }

    /// The length of the digest this algorithm signs, in bytes.
    pub const fn digest_len(self) -> usize {
        self.hash().len()
    }

    const fn hash(self) -> Hash {
        match self {
            SigningAlgorithm::EcdsaSha256
            | SigningAlgorithm::RsassaPssSha256
            | SigningAlgorithm::RsassaPkcs1V15Sha256 => Hash::Sha256,
            SigningAlgorithm::EcdsaSha384
            | SigningAlgorithm::RsassaPssSha384
            | SigningAlgorithm::RsassaPkcs1V15Sha384 => Hash::Sha384,
            SigningAlgorithm::EcdsaSha512
            | SigningAlgorithm::RsassaPssSha512
            | SigningAlgorithm::RsassaPkcs1V15Sha512 => Hash::Sha512,
        }
    }
}

impl core::str::FromStr for SigningAlgorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::from_kms_name(s)
    }
}

/// What was signed: the message itself, or its digest under the
/// algorithm's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// The message bytes (KMS `MessageType` `RAW`).
    Raw(&'a [u8]),
    /// The message digest (KMS `MessageType` `DIGEST`); its length must be
    /// the hash's.
    Digest(&'a [u8]),
}

/// The kind of a public key, named as KMS's `KeySpec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `ECC_NIST_P256`.
    EccNistP256,
    /// `ECC_NIST_P384`.
    EccNistP384,
    /// `ECC_NIST_P521`.
    EccNistP521,
    /// `ECC_SECG_P256K1`.
    EccSecgP256k1,
    /// RSA with a modulus of `bits` bits (`RSA_2048`, `RSA_3072`, `RSA_4096`).
    Rsa {
        /// Modulus length in bits.
        bits: usize,
    },
}

impl KeyKind {
    /// KMS's name for the key spec, e.g. `ECC_NIST_P256` or `RSA_3072`.
    pub fn kms_key_spec(self) -> alloc::string::String {
        match self {
            KeyKind::EccNistP256 => "ECC_NIST_P256".into(),
            KeyKind::EccNistP384 => "ECC_NIST_P384".into(),
            KeyKind::EccNistP521 => "ECC_NIST_P521".into(),
            KeyKind::EccSecgP256k1 => "ECC_SECG_P256K1".into(),
            KeyKind::Rsa { bits } => alloc::format!("RSA_{bits}"),
        }
    }

    /// Whether `alg` is valid for keys of this kind (as KMS pairs them).
    pub fn supports(self, alg: SigningAlgorithm) -> bool {
        use SigningAlgorithm as A;
        match self {
            KeyKind::EccNistP256 | KeyKind::EccSecgP256k1 => alg == A::EcdsaSha256,
            KeyKind::EccNistP384 => alg == A::EcdsaSha384,
            KeyKind::EccNistP521 => alg == A::EcdsaSha512,
            KeyKind::Rsa { .. } => !matches!(alg, A::EcdsaSha256 | A::EcdsaSha384 | A::EcdsaSha512),
        }
    }
}

#[derive(Clone)]
enum Key {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    K256(k256::ecdsa::VerifyingKey),
    Rsa(RsaPublicKey),
}

/// ECDSA over a prehashed message with a DER signature. High-S signatures
/// are normalised first: KMS does not promise low S, and k256 refuses high S
/// (both S values are valid ECDSA signatures).
macro_rules! ecdsa_ok {
    ($signature:ty, $key:expr, $digest:expr, $der:expr) => {
        <$signature>::from_der($der)
            .ok()
            .map(|sig| sig.normalize_s().unwrap_or(sig))
            .is_some_and(|sig| $key.verify_prehash($digest, &sig).is_ok())
    };
}

/// A KMS public key, parsed once from DER SubjectPublicKeyInfo.
#[derive(Clone)]
pub struct PublicKey {
    key: Key,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.kind().kms_key_spec())
    }
}

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");

/// The smallest RSA modulus accepted; KMS's smallest is 2048 bits.
const MIN_RSA_BITS: usize = 2048;

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo holding an EC key on P-256, P-384,
    /// P-521 or secp256k1, or an RSA key of 2048 to 4096 bits.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|_| Error::InvalidKey("public key is not DER SubjectPublicKeyInfo"))?;
        let key = if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters_oid()
                .map_err(|_| Error::InvalidKey("EC public key without a named curve"))?;
            let point = spki.subject_public_key.as_bytes().ok_or(Error::InvalidKey(
                "EC public key bit string is not whole bytes",
            ))?;
            let bad = Error::InvalidKey("EC public key is not a point on its curve");
            match curve {
                SECP256R1 => {
                    Key::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| bad)?)
                }
                SECP384R1 => {
                    Key::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| bad)?)
                }
                SECP521R1 => {
                    Key::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| bad)?)
                }
                SECP256K1 => {
                    Key::K256(k256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| bad)?)
                }
                _ => {
                    return Err(Error::InvalidKey(
                        "EC curve must be P-256, P-384, P-521 or secp256k1",
                    ));
                }
            }
        } else if spki.algorithm.oid == RSA_ENCRYPTION {
            // rsa refuses moduli above 4096 bits and bad exponents itself.
            let key = RsaPublicKey::from_public_key_der(der)
                .map_err(|_| Error::InvalidKey("RSA public key is malformed or too large"))?;
            if key.size() * 8 < MIN_RSA_BITS {
                return Err(Error::InvalidKey("RSA public key shorter than 2048 bits"));
            }
            Key::Rsa(key)
        } else {
            return Err(Error::InvalidKey(
                "public key algorithm must be id-ecPublicKey or rsaEncryption",
            ));
        };
        Ok(PublicKey { key })
    }

    /// The key's kind: curve, or RSA and its modulus size.
    pub fn kind(&self) -> KeyKind {
        match &self.key {
            Key::P256(_) => KeyKind::EccNistP256,
            Key::P384(_) => KeyKind::EccNistP384,
            Key::P521(_) => KeyKind::EccNistP521,
            Key::K256(_) => KeyKind::EccSecgP256k1,
            Key::Rsa(k) => KeyKind::Rsa { bits: k.n().bits() },
        }
    }

    /// Verifies `signature` over `message` with `alg`. An algorithm not
    /// valid for this key, or a digest of the wrong length, is
    /// `InvalidArgument`; a signature that is malformed or does not verify is
    /// `SignatureInvalid` (deliberately without saying which).
    pub fn verify(
        &self,
        alg: SigningAlgorithm,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<(), Error> {
        if !self.kind().supports(alg) {
            return Err(Error::InvalidArgument(
                "signing algorithm is not valid for this public key",
            ));
        }
        let hash = alg.hash();
        let digest = match message {
            Message::Raw(bytes) => hash.digest(bytes),
            Message::Digest(bytes) if bytes.len() == hash.len() => bytes.to_vec(),
            Message::Digest(_) => {
                return Err(Error::InvalidArgument(
                    "digest length does not match the signing algorithm's hash",
                ));
            }
        };
        let ok = match &self.key {
            Key::P256(k) => ecdsa_ok!(p256::ecdsa::Signature, k, &digest, signature),
            Key::P384(k) => ecdsa_ok!(p384::ecdsa::Signature, k, &digest, signature),
            Key::P521(k) => ecdsa_ok!(p521::ecdsa::Signature, k, &digest, signature),
            Key::K256(k) => ecdsa_ok!(k256::ecdsa::Signature, k, &digest, signature),
            Key::Rsa(k) => {
                let result = match alg {
                    SigningAlgorithm::RsassaPssSha256 => {
                        k.verify(Pss::new_with_salt::<sha2::Sha256>(32), &digest, signature)
                    }
                    SigningAlgorithm::RsassaPssSha384 => {
                        k.verify(Pss::new_with_salt::<sha2::Sha384>(48), &digest, signature)
                    }
                    SigningAlgorithm::RsassaPssSha512 => {
                        k.verify(Pss::new_with_salt::<sha2::Sha512>(64), &digest, signature)
                    }
                    SigningAlgorithm::RsassaPkcs1V15Sha256 => {
                        k.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, signature)
                    }
                    SigningAlgorithm::RsassaPkcs1V15Sha384 => {
                        k.verify(Pkcs1v15Sign::new::<sha2::Sha384>(), &digest, signature)
                    }
                    SigningAlgorithm::RsassaPkcs1V15Sha512 => {
                        k.verify(Pkcs1v15Sign::new::<sha2::Sha512>(), &digest, signature)
                    }
                    // Refused above by `supports`.
                    _ => return Err(Error::InvalidArgument("ECDSA on an RSA key")),
                };
                result.is_ok()
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::SignatureInvalid)
        }
    }
}

#[cfg(test)]
mod tests;
