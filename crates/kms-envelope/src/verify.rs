//! Verification of signatures made by KMS asymmetric keys, with the public
//! key as KMS `GetPublicKey` returns it: DER SubjectPublicKeyInfo.
//!
//! Supported, as KMS pairs them: ECDSA on P-256 (SHA-256), P-384 (SHA-384),
//! P-521 (SHA-512) and secp256k1 (SHA-256) with DER signatures; RSASSA-PSS
//! (MGF1 with the same hash, salt as long as the hash) and RSASSA-PKCS1-v1_5
//! with SHA-256/384/512 on RSA keys of 2048 to 4096 bits; Ed25519 and
//! Ed25519ph (RFC 8032) on `ECC_NIST_EDWARDS25519`; ML-DSA (FIPS 204, empty
//! context) on `ML_DSA_44/65/87`; SM2DSA (GB/T 32918) on `SM2`, KMS's key
//! spec in its China Regions. The message is given as KMS `Sign` takes
//! it: raw (hashed here), as its digest (`DIGEST`), or for ML-DSA as the
//! representative μ (`EXTERNAL_MU`), with KMS's rules for which algorithm
//! takes which.

use core::fmt;

use der::Decode as _;
use ecdsa::signature::hazmat::PrehashVerifier;
use pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::{Pkcs1v15Sign, Pss, PublicKey as RsaPublicKey};
use sha2::Digest as _;
use spki::ObjectIdentifier;

use ml_dsa::{MlDsa44, MlDsa65, MlDsa87};

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
    /// `ED25519_SHA_512`: Ed25519 over the message itself (`RAW` only).
    Ed25519Sha512,
    /// `ED25519_PH_SHA_512`: Ed25519ph over a SHA-512 digest (`DIGEST`
    /// only). As in KMS, the digest given is the message Ed25519ph signs, so
    /// it is hashed once more inside the algorithm.
    Ed25519PhSha512,
    /// `ML_DSA_SHAKE_256`: ML-DSA with an empty context, over the message
    /// (`RAW`) or its representative μ (`EXTERNAL_MU`).
    MlDsaShake256,
    /// `SM2DSA`: SM2 signatures over SM3. A `RAW` message is hashed after
    /// the signer's Z value, with the distinguishing ID KMS uses
    /// ([`SM2_DISTINGUISHING_ID`]); a `DIGEST` is that hash, SM3(Z || M),
    /// computed by the caller, as KMS takes it.
    Sm2Dsa,
}

/// The distinguishing ID KMS signs `SM2DSA` `RAW` messages with: GB/T
/// 35276's default, `1234567812345678`.
pub const SM2_DISTINGUISHING_ID: &str = "1234567812345678";

/// The longest SM2 distinguishing ID: Z carries its length in bits in 16
/// bits, so 8,191 bytes.
pub const SM2_MAX_DISTINGUISHING_ID_LEN: usize = (u16::MAX / 8) as usize;

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
    /// Every algorithm KMS offers (`SM2DSA` in its China Regions only).
    pub const ALL: [SigningAlgorithm; 13] = [
        SigningAlgorithm::EcdsaSha256,
        SigningAlgorithm::EcdsaSha384,
        SigningAlgorithm::EcdsaSha512,
        SigningAlgorithm::RsassaPssSha256,
        SigningAlgorithm::RsassaPssSha384,
        SigningAlgorithm::RsassaPssSha512,
        SigningAlgorithm::RsassaPkcs1V15Sha256,
        SigningAlgorithm::RsassaPkcs1V15Sha384,
        SigningAlgorithm::RsassaPkcs1V15Sha512,
        SigningAlgorithm::Ed25519Sha512,
        SigningAlgorithm::Ed25519PhSha512,
        SigningAlgorithm::MlDsaShake256,
        SigningAlgorithm::Sm2Dsa,
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
            SigningAlgorithm::Ed25519Sha512 => "ED25519_SHA_512",
            SigningAlgorithm::Ed25519PhSha512 => "ED25519_PH_SHA_512",
            SigningAlgorithm::MlDsaShake256 => "ML_DSA_SHAKE_256",
            SigningAlgorithm::Sm2Dsa => "SM2DSA",
        }
    }

    /// The algorithm KMS calls `name`.
    pub fn from_kms_name(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|a| a.kms_name() == name)
            .ok_or(Error::InvalidArgument(
                "signing algorithm must be one of ECDSA_SHA_256/384/512, RSASSA_PSS_SHA_256/384/512, RSASSA_PKCS1_V1_5_SHA_256/384/512, ED25519_SHA_512, ED25519_PH_SHA_512, ML_DSA_SHAKE_256, SM2DSA",
            ))
    }

    /// The length of the digest a `DIGEST` message must have, in bytes;
    /// `None` for the algorithms that take no digest (`ED25519_SHA_512`,
    /// `ML_DSA_SHAKE_256`).
    pub const fn digest_len(self) -> Option<usize> {
        match self.hash() {
            Some(hash) => Some(hash.len()),
            // SM3's.
            None if matches!(self, SigningAlgorithm::Sm2Dsa) => Some(32),
            None => None,
        }
    }

    const fn hash(self) -> Option<Hash> {
        match self {
            SigningAlgorithm::EcdsaSha256
            | SigningAlgorithm::RsassaPssSha256
            | SigningAlgorithm::RsassaPkcs1V15Sha256 => Some(Hash::Sha256),
            SigningAlgorithm::EcdsaSha384
            | SigningAlgorithm::RsassaPssSha384
            | SigningAlgorithm::RsassaPkcs1V15Sha384 => Some(Hash::Sha384),
            SigningAlgorithm::EcdsaSha512
            | SigningAlgorithm::RsassaPssSha512
            | SigningAlgorithm::RsassaPkcs1V15Sha512
            | SigningAlgorithm::Ed25519PhSha512 => Some(Hash::Sha512),
            // SM2DSA hashes with SM3, after the Z value (see `sm2_ok`).
            SigningAlgorithm::Ed25519Sha512
            | SigningAlgorithm::MlDsaShake256
            | SigningAlgorithm::Sm2Dsa => None,
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
    /// the hash's. Not for `ED25519_SHA_512` or `ML_DSA_SHAKE_256`.
    Digest(&'a [u8]),
    /// ML-DSA's 64-byte message representative μ (FIPS 204 §6.2; KMS
    /// `MessageType` `EXTERNAL_MU`). For `ML_DSA_SHAKE_256` only.
    ExternalMu(&'a [u8]),
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
    /// `ECC_NIST_EDWARDS25519`: an Ed25519 key.
    EccNistEdwards25519,
    /// `ML_DSA_44`.
    MlDsa44,
    /// `ML_DSA_65`.
    MlDsa65,
    /// `ML_DSA_87`.
    MlDsa87,
    /// `SM2`: a key on the SM2 curve (KMS's China Regions).
    Sm2,
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
            KeyKind::EccNistEdwards25519 => "ECC_NIST_EDWARDS25519".into(),
            KeyKind::MlDsa44 => "ML_DSA_44".into(),
            KeyKind::MlDsa65 => "ML_DSA_65".into(),
            KeyKind::MlDsa87 => "ML_DSA_87".into(),
            KeyKind::Sm2 => "SM2".into(),
        }
    }

    /// Whether `alg` is valid for keys of this kind (as KMS pairs them).
    pub fn supports(self, alg: SigningAlgorithm) -> bool {
        use SigningAlgorithm as A;
        match self {
            KeyKind::EccNistP256 | KeyKind::EccSecgP256k1 => alg == A::EcdsaSha256,
            KeyKind::EccNistP384 => alg == A::EcdsaSha384,
            KeyKind::EccNistP521 => alg == A::EcdsaSha512,
            KeyKind::Rsa { .. } => matches!(
                alg,
                A::RsassaPssSha256
                    | A::RsassaPssSha384
                    | A::RsassaPssSha512
                    | A::RsassaPkcs1V15Sha256
                    | A::RsassaPkcs1V15Sha384
                    | A::RsassaPkcs1V15Sha512
            ),
            KeyKind::EccNistEdwards25519 => matches!(alg, A::Ed25519Sha512 | A::Ed25519PhSha512),
            KeyKind::MlDsa44 | KeyKind::MlDsa65 | KeyKind::MlDsa87 => alg == A::MlDsaShake256,
            KeyKind::Sm2 => alg == A::Sm2Dsa,
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
    Ed25519(ed25519_dalek::VerifyingKey),
    MlDsa44(ml_dsa::VerifyingKey<MlDsa44>),
    MlDsa65(ml_dsa::VerifyingKey<MlDsa65>),
    MlDsa87(ml_dsa::VerifyingKey<MlDsa87>),
    Sm2(sm2::dsa::VerifyingKey),
}

/// ECDSA over a prehashed message with a DER signature. High-S signatures
/// are normalised first: KMS does not promise low S, and k256 refuses high S
/// (both S values are valid ECDSA signatures).
macro_rules! ecdsa_ok {
    ($signature:ty, $key:expr, $digest:expr, $der:expr) => {
        <$signature>::from_der($der)
            .ok()
            .map(|sig| sig.normalize_s())
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
/// id-Ed25519 (RFC 8410).
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// id-ml-dsa-44, -65 and -87 (RFC 9881).
const ID_ML_DSA_44: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");
const ID_ML_DSA_65: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18");
const ID_ML_DSA_87: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19");
/// The SM2 curve (GB/T 33560), named under id-ecPublicKey as KMS and
/// OpenSSL write SM2 public keys.
const SM2_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
/// The SM2 curve's a, b and base point (GB/T 32918.5), as Z hashes them.
const SM2_CURVE_A_B_GX_GY: [u8; 128] = [
    // a
    0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc,
    // b
    0x28, 0xe9, 0xfa, 0x9e, 0x9d, 0x9f, 0x5e, 0x34, 0x4d, 0x5a, 0x9e, 0x4b, 0xcf, 0x65, 0x09, 0xa7,
    0xf3, 0x97, 0x89, 0xf5, 0x15, 0xab, 0x8f, 0x92, 0xdd, 0xbc, 0xbd, 0x41, 0x4d, 0x94, 0x0e, 0x93,
    // Gx
    0x32, 0xc4, 0xae, 0x2c, 0x1f, 0x19, 0x81, 0x19, 0x5f, 0x99, 0x04, 0x46, 0x6a, 0x39, 0xc9, 0x94,
    0x8f, 0xe3, 0x0b, 0xbf, 0xf2, 0x66, 0x0b, 0xe1, 0x71, 0x5a, 0x45, 0x89, 0x33, 0x4c, 0x74, 0xc7,
    // Gy
    0xbc, 0x37, 0x36, 0xa2, 0xf4, 0xf6, 0x77, 0x9c, 0x59, 0xbd, 0xce, 0xe3, 0x6b, 0x69, 0x21, 0x53,
    0xd0, 0xa9, 0x87, 0x7c, 0xc6, 0x2a, 0x47, 0x40, 0x02, 0xdf, 0x32, 0xe5, 0x21, 0x39, 0xf0, 0xa0,
];

/// The ML-DSA public key in `bytes` (pkEncode of FIPS 204), if it has the
/// parameter set's length. Every such byte string decodes to a key.
fn ml_dsa_key<P: ml_dsa::MlDsaParams>(bytes: &[u8]) -> Result<ml_dsa::VerifyingKey<P>, Error> {
    let encoded = ml_dsa::EncodedVerifyingKey::<P>::try_from(bytes)
        .map_err(|_| Error::InvalidKey("ML-DSA public key has the wrong length"))?;
    Ok(ml_dsa::VerifyingKey::decode(&encoded))
}

/// ML-DSA verification as KMS's `ML_DSA_SHAKE_256` does it: the message
/// with an empty context, or an external μ.
fn ml_dsa_ok<P: ml_dsa::MlDsaParams>(
    key: &ml_dsa::VerifyingKey<P>,
    message: Message<'_>,
    signature: &[u8],
) -> bool {
    let Ok(signature) = ml_dsa::Signature::<P>::try_from(signature) else {
        return false;
    };
    match message {
        Message::Raw(bytes) => key.verify_with_context(bytes, &[], &signature),
        Message::ExternalMu(mu) => ml_dsa::common::array::Array::try_from(mu)
            .is_ok_and(|mu| key.verify_mu(&mu, &signature)),
        // Refused by `check_message_type`.
        Message::Digest(_) => false,
    }
}

/// Ed25519 (`RAW`) or Ed25519ph over the given digest (`DIGEST`), both with
/// RFC 8032's checks and without the small-order keys and points that
/// "strict" verification refuses (KMS never makes those).
fn ed25519_ok(key: &ed25519_dalek::VerifyingKey, message: Message<'_>, signature: &[u8]) -> bool {
    let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
        return false;
    };
    match message {
        Message::Raw(bytes) => key.verify_strict(bytes, &signature).is_ok(),
        Message::Digest(digest) => key
            .verify_prehashed_strict(sha2::Sha512::new_with_prefix(digest), None, &signature)
            .is_ok(),
        Message::ExternalMu(_) => false,
    }
}

/// SM2DSA over a `RAW` message (hashed with SM3 after the key's Z value
/// for KMS's distinguishing ID) or its `DIGEST`, SM3(Z || M), with a DER
/// signature.
fn sm2_ok(key: &sm2::dsa::VerifyingKey, message: Message<'_>, signature: &[u8]) -> bool {
    use sm2::dsa::signature::Verifier as _;
    use sm2::dsa::signature::hazmat::PrehashVerifier as _;
    let Ok(signature) = sm2::dsa::Signature::from_der(signature) else {
        return false;
    };
    match message {
        Message::Raw(bytes) => key.verify(bytes, &signature).is_ok(),
        Message::Digest(e) => key.verify_prehash(e, &signature).is_ok(),
        Message::ExternalMu(_) => false,
    }
}

/// KMS's rules for which message types an algorithm takes, and how long a
/// digest or μ must be.
fn check_message_type(alg: SigningAlgorithm, message: Message<'_>) -> Result<(), Error> {
    use SigningAlgorithm as A;
    match (alg, message) {
        (A::Ed25519Sha512, Message::Raw(_)) => Ok(()),
        (A::Ed25519Sha512, _) => Err(Error::InvalidArgument(
            "ED25519_SHA_512 signs the message itself: the message type must be RAW",
        )),
        (A::Ed25519PhSha512, Message::Raw(_)) => Err(Error::InvalidArgument(
            "ED25519_PH_SHA_512 signs a SHA-512 digest: the message type must be DIGEST",
        )),
        (A::MlDsaShake256, Message::Raw(_)) => Ok(()),
        (A::MlDsaShake256, Message::ExternalMu(mu)) if mu.len() == 64 => Ok(()),
        (A::MlDsaShake256, Message::ExternalMu(_)) => Err(Error::InvalidArgument(
            "an EXTERNAL_MU message must be 64 bytes",
        )),
        (A::MlDsaShake256, Message::Digest(_)) => Err(Error::InvalidArgument(
            "ML_DSA_SHAKE_256 takes a RAW message or an EXTERNAL_MU, not a DIGEST",
        )),
        (_, Message::ExternalMu(_)) => Err(Error::InvalidArgument(
            "the message type EXTERNAL_MU is for ML_DSA_SHAKE_256 only",
        )),
        (_, Message::Raw(_)) => Ok(()),
        (_, Message::Digest(d)) if Some(d.len()) == alg.digest_len() => Ok(()),
        (_, Message::Digest(_)) => Err(Error::InvalidArgument(
            "digest length does not match the signing algorithm's hash",
        )),
    }
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo holding an EC key on P-256, P-384,
    /// P-521, secp256k1 or SM2, an RSA key of 2048 to 4096 bits, an Ed25519
    /// key, or an ML-DSA-44/65/87 key.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|_| Error::InvalidKey("public key is not DER SubjectPublicKeyInfo"))?;
        let oid = spki.algorithm.oid;
        // RFC 8410 and RFC 9881: these algorithm identifiers have no
        // parameters, and the bit string is the raw public key.
        let raw_key = || {
            if spki.algorithm.parameters.is_some() {
                return Err(Error::InvalidKey(
                    "Ed25519 and ML-DSA public keys take no algorithm parameters",
                ));
            }
            spki.subject_public_key.as_bytes().ok_or(Error::InvalidKey(
                "public key bit string is not whole bytes",
            ))
        };
        let key = if oid == ID_ED25519 {
            let bytes: [u8; 32] = raw_key()?
                .try_into()
                .map_err(|_| Error::InvalidKey("Ed25519 public key must be 32 bytes"))?;
            Key::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map_err(|_| Error::InvalidKey("Ed25519 public key is not a curve point"))?,
            )
        } else if oid == ID_ML_DSA_44 {
            Key::MlDsa44(ml_dsa_key(raw_key()?)?)
        } else if oid == ID_ML_DSA_65 {
            Key::MlDsa65(ml_dsa_key(raw_key()?)?)
        } else if oid == ID_ML_DSA_87 {
            Key::MlDsa87(ml_dsa_key(raw_key()?)?)
        } else if oid == ID_EC_PUBLIC_KEY {
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
                SM2_CURVE => Key::Sm2(
                    sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTINGUISHING_ID, point)
                        .map_err(|_| bad)?,
                ),
                _ => {
                    return Err(Error::InvalidKey(
                        "EC curve must be P-256, P-384, P-521, secp256k1 or SM2",
                    ));
                }
            }
        } else if spki.algorithm.oid == RSA_ENCRYPTION {
            // rsa refuses bad exponents and moduli over 8192 bits itself.
            let key = RsaPublicKey::from_public_key_der(der)
                .map_err(|_| Error::InvalidKey("RSA public key is malformed or too large"))?;
            if !crate::kms::RSA_MODULUS_BITS.contains(&(key.size() * 8)) {
                return Err(Error::InvalidKey(
                    "RSA public key must be 2048 to 4096 bits, as KMS's are",
                ));
            }
            Key::Rsa(key)
        } else {
            return Err(Error::InvalidKey(
                "public key algorithm must be id-ecPublicKey, rsaEncryption, id-Ed25519 or id-ml-dsa-44/65/87",
            ));
        };
        Ok(PublicKey { key })
    }

    /// The `DIGEST` an `SM2DSA` signature covers for `message`: SM3(Z ||
    /// message), where Z hashes [`SM2_DISTINGUISHING_ID`], the curve and
    /// this key (GB/T 32918.2 §5.5). KMS `Sign` with `MessageType` `DIGEST`
    /// and an SM2 key takes this value, which the caller computes (KMS
    /// computes it for `RAW`). `InvalidArgument` for keys that are not SM2.
    pub fn sm2_digest(&self, message: &[u8]) -> Result<[u8; 32], Error> {
        self.sm2_digest_with_id(message, SM2_DISTINGUISHING_ID.as_bytes())
    }

    /// [`PublicKey::sm2_digest`] with another distinguishing ID, of at most
    /// [`SM2_MAX_DISTINGUISHING_ID_LEN`] bytes (its length in bits is a
    /// 16-bit field of Z). KMS signs `RAW` messages with its own ID only;
    /// a signer who wants another computes this `DIGEST` and has KMS sign
    /// it, and a verifier checks the signature against the same `DIGEST`.
    /// `InvalidArgument` for a longer ID or a key that is not SM2.
    pub fn sm2_digest_with_id(
        &self,
        message: &[u8],
        distinguishing_id: &[u8],
    ) -> Result<[u8; 32], Error> {
        use sm3::Digest as _;
        let Key::Sm2(key) = &self.key else {
            return Err(Error::InvalidArgument(
                "an SM2 digest needs an SM2 public key",
            ));
        };
        // The uncompressed point: 0x04, x, y.
        let point = key.to_sec1_bytes();
        let xy = point
            .get(1..)
            .filter(|xy| xy.len() == 64)
            .ok_or(Error::InvalidKey("SM2 public key is not a 64-byte point"))?;
        let id_bits = distinguishing_id
            .len()
            .checked_mul(8)
            .and_then(|bits| u16::try_from(bits).ok())
            .ok_or(Error::InvalidArgument(
                "an SM2 distinguishing ID is at most 8,191 bytes",
            ))?;
        let z = sm3::Sm3::new()
            .chain_update(id_bits.to_be_bytes())
            .chain_update(distinguishing_id)
            .chain_update(SM2_CURVE_A_B_GX_GY)
            .chain_update(xy)
            .finalize();
        Ok(sm3::Sm3::new()
            .chain_update(z)
            .chain_update(message)
            .finalize()
            .into())
    }

    /// The key's kind: curve, or RSA and its modulus size.
    pub fn kind(&self) -> KeyKind {
        match &self.key {
            Key::P256(_) => KeyKind::EccNistP256,
            Key::P384(_) => KeyKind::EccNistP384,
            Key::P521(_) => KeyKind::EccNistP521,
            Key::K256(_) => KeyKind::EccSecgP256k1,
            Key::Rsa(k) => KeyKind::Rsa {
                bits: k.n().bit_width() as usize,
            },
            Key::Ed25519(_) => KeyKind::EccNistEdwards25519,
            Key::MlDsa44(_) => KeyKind::MlDsa44,
            Key::MlDsa65(_) => KeyKind::MlDsa65,
            Key::MlDsa87(_) => KeyKind::MlDsa87,
            Key::Sm2(_) => KeyKind::Sm2,
        }
    }

    /// Verifies `signature` over `message` with `alg`. An algorithm not
    /// valid for this key, a message type the algorithm does not take, or a
    /// digest or μ of the wrong length, is `InvalidArgument`; a signature
    /// that is malformed or does not verify is `SignatureInvalid`
    /// (deliberately without saying which).
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
        check_message_type(alg, message)?;
        let ok = match &self.key {
            Key::Ed25519(k) => ed25519_ok(k, message, signature),
            Key::MlDsa44(k) => ml_dsa_ok(k, message, signature),
            Key::MlDsa65(k) => ml_dsa_ok(k, message, signature),
            Key::MlDsa87(k) => ml_dsa_ok(k, message, signature),
            Key::Sm2(k) => sm2_ok(k, message, signature),
            _ => self.verify_hashed(alg, message, signature)?,
        };
        if ok {
            Ok(())
        } else {
            Err(Error::SignatureInvalid)
        }
    }

    /// ECDSA and RSA: the digest of a `RAW` message, or the `DIGEST` given,
    /// under the algorithm's hash.
    fn verify_hashed(
        &self,
        alg: SigningAlgorithm,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<bool, Error> {
        let hash = alg
            .hash()
            .ok_or(Error::InvalidArgument("signing algorithm takes no digest"))?;
        let digest = match message {
            Message::Raw(bytes) => hash.digest(bytes),
            Message::Digest(bytes) => bytes.to_vec(),
            // Refused by `check_message_type`.
            Message::ExternalMu(_) => {
                return Err(Error::InvalidArgument("EXTERNAL_MU is for ML-DSA only"));
            }
        };
        Ok(match &self.key {
            Key::P256(k) => ecdsa_ok!(p256::ecdsa::Signature, k, &digest, signature),
            Key::P384(k) => ecdsa_ok!(p384::ecdsa::Signature, k, &digest, signature),
            Key::P521(k) => ecdsa_ok!(p521::ecdsa::Signature, k, &digest, signature),
            Key::K256(k) => ecdsa_ok!(k256::ecdsa::Signature, k, &digest, signature),
            Key::Rsa(k) => {
                let result = match alg {
                    SigningAlgorithm::RsassaPssSha256 => {
                        k.verify(Pss::<sha2::Sha256>::new_with_salt(32), &digest, signature)
                    }
                    SigningAlgorithm::RsassaPssSha384 => {
                        k.verify(Pss::<sha2::Sha384>::new_with_salt(48), &digest, signature)
                    }
                    SigningAlgorithm::RsassaPssSha512 => {
                        k.verify(Pss::<sha2::Sha512>::new_with_salt(64), &digest, signature)
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
                    // Refused by `supports`.
                    _ => return Err(Error::InvalidArgument("not an RSA signing algorithm")),
                };
                result.is_ok()
            }
            // Verified by `verify` itself.
            Key::Ed25519(_) | Key::MlDsa44(_) | Key::MlDsa65(_) | Key::MlDsa87(_) | Key::Sm2(_) => {
                return Err(Error::InvalidArgument("not an ECDSA or RSA key"));
            }
        })
    }
}

#[cfg(test)]
mod tests;
