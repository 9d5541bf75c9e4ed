//! Key material: generated or imported per `KeySpec`, parsed once, stored as
//! bytes.
//!
//! Storage (and import) formats: the 32 raw bytes of a SYMMETRIC_DEFAULT key,
//! the raw bytes of an HMAC key, PKCS#8 DER for every asymmetric key (for
//! Ed25519 RFC 8410's, for ML-DSA RFC 9881's seed form, for ML-KEM the IETF
//! LAMPS seed form, for SM2 id-ecPublicKey on the SM2 curve: see
//! [`super::ed25519`], [`super::ml_dsa`], [`super::ml_kem`] and
//! [`super::sm2`]). Loaded
//! material keeps what each operation needs ready (the HKDF state of a
//! symmetric key, parsed signing keys, the SubjectPublicKeyInfo DER) so no
//! request re-parses or re-derives anything.

use core::fmt;

use getrandom::SysRng;
use hkdf::Hkdf;
use kms_protocol::ops::KeySpec;
use p256::elliptic_curve::Generate;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::TryRng;
use rsa::traits::PublicKeyParts;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::ed25519::Ed25519Key;
use super::error::CryptoError;
use super::ml_dsa::MlDsaKey;
use super::ml_kem::MlKemKey;
use super::sm2::Sm2Key;

/// Length of SYMMETRIC_DEFAULT key material.
pub const SYMMETRIC_KEY_LEN: usize = 32;

/// Fills `buf` from the operating system's random number generator.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    SysRng
        .try_fill_bytes(buf)
        .map_err(|_| CryptoError::RandomUnavailable)
}

/// Salt of the HKDF-Extract that turns a symmetric key into the PRK from
/// which per-ciphertext keys are expanded (see `ciphertext`).
const SYMMETRIC_PRK_SALT: &[u8] = b"kms-server symmetric key v1";

/// A SYMMETRIC_DEFAULT key: its bytes (for storage) and its HKDF PRK,
/// extracted once, from which each ciphertext's key is expanded.
///
/// The PRK is kept as zeroized bytes rather than as a keyed `Hkdf`: the
/// HMAC states inside `Hkdf` are as good as the key and `hmac` does not
/// wipe them on drop. Re-keying HMAC per ciphertext costs two SHA-256
/// compressions (well under a microsecond).
pub(crate) struct SymmetricKey {
    bytes: Zeroizing<[u8; SYMMETRIC_KEY_LEN]>,
    pub(crate) prk: Zeroizing<[u8; 32]>,
}

/// An HMAC key of 28 to 128 bytes.
pub(crate) struct HmacKey {
    pub(crate) bytes: Zeroizing<Vec<u8>>,
}

/// An RSA private key with its public half ready for verification and
/// encryption.
pub(crate) struct RsaKey {
    pub(crate) private: rsa::PrivateKey,
    pub(crate) public: rsa::PublicKey,
}

/// A parsed ECDSA signing key of one of the four supported curves. Each
/// keeps its public point, so Verify costs no scalar multiplication to get
/// it; P-521's, the largest, is boxed.
pub(crate) enum EcKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(Box<p521::ecdsa::SigningKey>),
    K256(k256::ecdsa::SigningKey),
}

/// The loaded form of each kind of key.
pub(crate) enum Loaded {
    Symmetric(SymmetricKey),
    Hmac(HmacKey),
    Rsa(Box<RsaKey>),
    Ec(EcKey),
    Ed25519(Box<Ed25519Key>),
    MlDsa(MlDsaKey),
    MlKem(MlKemKey),
    Sm2(Box<Sm2Key>),
}

/// Key material of one KMS key version, ready for use.
///
/// Secrets are zeroized on drop (by this type, `rsa`, `elliptic-curve`
/// (also SM2's), `ed25519-dalek`, `ml-dsa` and `ml-kem`) and `Debug` shows only the spec.
pub struct KeyMaterial {
    spec: KeySpec,
    pub(crate) loaded: Loaded,
    /// SubjectPublicKeyInfo DER of asymmetric keys; empty otherwise.
    public_der: Vec<u8>,
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("spec", &format_args!("{}", self.spec))
            .field("material", &"<redacted>")
            .finish()
    }
}

/// Generated length and accepted imported lengths of HMAC keys, as AWS
/// documents them for each HMAC key spec.
fn hmac_lengths(spec: KeySpec) -> Option<(usize, core::ops::RangeInclusive<usize>, &'static str)> {
    match spec {
        KeySpec::Hmac224 => Some((28, 28..=64, "28 to 64 raw bytes")),
        KeySpec::Hmac256 => Some((32, 32..=64, "32 to 64 raw bytes")),
        KeySpec::Hmac384 => Some((48, 48..=128, "48 to 128 raw bytes")),
        KeySpec::Hmac512 => Some((64, 64..=128, "64 to 128 raw bytes")),
        _ => None,
    }
}

/// Modulus size in bits of an RSA key spec.
pub(crate) fn rsa_bits(spec: KeySpec) -> Option<usize> {
    match spec {
        KeySpec::Rsa2048 => Some(2048),
        KeySpec::Rsa3072 => Some(3072),
        KeySpec::Rsa4096 => Some(4096),
        _ => None,
    }
}

/// What PKCS#8 DER that does not load as an RSA key was expected to be.
const NOT_RSA_PKCS8: &str = "a PKCS#8 DER RSA private key";
/// What an RSA key whose primes are not of equal size was expected to be.
const UNBALANCED_RSA: &str =
    "an RSA private key whose two primes are each half the modulus size (FIPS 186-5)";

/// Parses PKCS#8 DER as an RSA private key under the rsaEncryption
/// algorithm identifier, the one form in which RSA keys are imported and
/// stored here; the error is what the input was expected to be. rsa 0.10
/// would also take id-RSASSA-PSS keys (rsa 0.9 did not); they stay
/// refused. So do keys with a prime longer than half the modulus: rsa
/// 0.10 sizes the primes' arithmetic from the modulus (a public width, so
/// that timing says nothing about the primes), which FIPS 186-5's keys,
/// OpenSSL's and AWS's all fit; the error names the reason, since such a
/// key is otherwise valid.
pub(crate) fn parse_rsa_pkcs8(der: &[u8]) -> Result<rsa::PrivateKey, &'static str> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der).map_err(|_| NOT_RSA_PKCS8)?;
    if info.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
        return Err(NOT_RSA_PKCS8);
    }
    let pkcs1_der = info.private_key.as_bytes();
    rsa::PrivateKey::try_from(info).map_err(|_| {
        if has_unbalanced_primes(pkcs1_der) {
            UNBALANCED_RSA
        } else {
            NOT_RSA_PKCS8
        }
    })
}

/// Whether PKCS#1 RSAPrivateKey DER has a prime longer than half its
/// modulus (rounded up), the width rsa 0.10 gives two-prime keys' primes.
/// Only the key's owner sees the answer, in the error of its own import.
fn has_unbalanced_primes(pkcs1_der: &[u8]) -> bool {
    let Ok(key) = rsa::pkcs1::RsaPrivateKeyRef::try_from(pkcs1_der) else {
        return false;
    };
    // DER integers have no leading zero bytes but for a sign byte.
    let bits = |be: &[u8]| -> usize {
        let be = be.strip_prefix(&[0]).unwrap_or(be);
        be.first()
            .map_or(0, |top| be.len() * 8 - top.leading_zeros() as usize)
    };
    let half = bits(key.modulus.as_bytes()).div_ceil(2);
    bits(key.prime1.as_bytes()) > half || bits(key.prime2.as_bytes()) > half
}

/// Modulus size in bits of an RSA key (crypto-bigint counts bits in `u32`).
pub(crate) fn modulus_bits(key: &impl PublicKeyParts) -> Option<usize> {
    usize::try_from(key.n().bit_width()).ok()
}

/// The error for a failed RSA operation: [`CryptoError::RandomUnavailable`]
/// when the random number generator failed (key generation, blinding, PSS
/// salts, OAEP seeds), which says nothing about the input; `otherwise` for
/// anything else.
pub(crate) fn rsa_error(error: rsa::Error, otherwise: CryptoError) -> CryptoError {
    match error {
        rsa::Error::Rng => CryptoError::RandomUnavailable,
        _ => otherwise,
    }
}

/// Builds the loaded form of an elliptic-curve secret key together with its
/// SubjectPublicKeyInfo. The signing key takes the secret scalar (and
/// computes its public point) without the scalar leaving either type.
macro_rules! ec_loaded {
    ($curve:ident, $variant:ident, $secret:expr) => {{
        let secret: $curve::SecretKey = $secret;
        let signing = $curve::ecdsa::SigningKey::from(&secret);
        let public_der = signing
            .verifying_key()
            .to_public_key_der()
            .map_err(|_| CryptoError::Internal {
                step: "encoding an EC public key",
            })?
            .into_vec();
        (Loaded::Ec(EcKey::$variant(signing.into())), public_der)
    }};
}

/// Encodes an EC signing key as PKCS#8 DER (RFC 5915 ECPrivateKey with its
/// public key, as OpenSSL writes it).
fn ec_pkcs8(
    encoded: pkcs8::Result<pkcs8::SecretDocument>,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    encoded
        .map(|doc| Zeroizing::new(doc.as_bytes().to_vec()))
        .map_err(|_| CryptoError::Internal {
            step: "encoding an EC private key",
        })
}

impl KeyMaterial {
    /// Generates fresh key material for `spec` from the OS random number
    /// generator. RSA generation takes from tens of milliseconds (2048) to
    /// seconds (4096): call it off the async runtime's worker threads.
    pub fn generate(spec: KeySpec) -> Result<Self, CryptoError> {
        match spec {
            KeySpec::SymmetricDefault => {
                let mut bytes = Zeroizing::new([0u8; SYMMETRIC_KEY_LEN]);
                fill_random(bytes.as_mut())?;
                Self::from_bytes(spec, bytes.as_ref())
            }
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
                let len = hmac_lengths(spec).map_or(0, |(len, _, _)| len);
                let mut bytes = Zeroizing::new(vec![0u8; len]);
                fill_random(&mut bytes)?;
                Self::from_bytes(spec, &bytes)
            }
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
                let bits = rsa_bits(spec).unwrap_or(4096);
                let private = rsa::PrivateKey::new(&mut SysRng, bits).map_err(|e| {
                    rsa_error(
                        e,
                        CryptoError::Internal {
                            step: "RSA key generation",
                        },
                    )
                })?;
                Self::from_rsa(spec, private)
            }
            KeySpec::EccNistP256 => Self::from_ec(spec, random_ec::<p256::SecretKey>()?.into()),
            KeySpec::EccNistP384 => Self::from_ec(spec, random_ec::<p384::SecretKey>()?.into()),
            KeySpec::EccNistP521 => Self::from_ec(spec, random_ec::<p521::SecretKey>()?.into()),
            KeySpec::EccSecgP256k1 => Self::from_ec(spec, random_ec::<k256::SecretKey>()?.into()),
            KeySpec::EccNistEdwards25519 => Self::from_ed25519(Ed25519Key::generate()?),
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
                Self::from_ml_dsa(MlDsaKey::generate(spec)?)
            }
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => {
                Self::from_ml_kem(MlKemKey::generate(spec)?)
            }
            KeySpec::Sm2 => Self::from_sm2(Sm2Key::generate()?),
        }
    }

    /// Loads key material from its storage form, which is also the form AWS
    /// accepts for imported material (after unwrapping): 32 raw bytes for
    /// SYMMETRIC_DEFAULT, 28..=64 / 32..=64 / 48..=128 / 64..=128 raw bytes
    /// for HMAC_224 / 256 / 384 / 512, and PKCS#8 DER (unencrypted
    /// PrivateKeyInfo) of a key of exactly the spec's size or curve for
    /// asymmetric specs.
    pub fn from_bytes(spec: KeySpec, bytes: &[u8]) -> Result<Self, CryptoError> {
        match spec {
            KeySpec::SymmetricDefault => {
                let mut key = Zeroizing::new([0u8; SYMMETRIC_KEY_LEN]);
                if bytes.len() != SYMMETRIC_KEY_LEN {
                    return Err(CryptoError::InvalidKeyMaterial {
                        key_spec: spec,
                        expected: "exactly 32 raw bytes",
                    });
                }
                key.copy_from_slice(bytes);
                let (mut extracted, _) =
                    Hkdf::<Sha256>::extract(Some(SYMMETRIC_PRK_SALT), key.as_ref());
                let mut prk = Zeroizing::new([0u8; 32]);
                prk.copy_from_slice(&extracted);
                let extracted: &mut [u8] = &mut extracted;
                extracted.zeroize();
                Ok(KeyMaterial {
                    spec,
                    loaded: Loaded::Symmetric(SymmetricKey { bytes: key, prk }),
                    public_der: Vec::new(),
                })
            }
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
                let (_, range, expected) = hmac_lengths(spec).ok_or(CryptoError::Internal {
                    step: "HMAC key lengths",
                })?;
                if !range.contains(&bytes.len()) {
                    return Err(CryptoError::InvalidKeyMaterial {
                        key_spec: spec,
                        expected,
                    });
                }
                Ok(KeyMaterial {
                    spec,
                    loaded: Loaded::Hmac(HmacKey {
                        bytes: Zeroizing::new(bytes.to_vec()),
                    }),
                    public_der: Vec::new(),
                })
            }
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
                let private =
                    parse_rsa_pkcs8(bytes).map_err(|expected| CryptoError::InvalidKeyMaterial {
                        key_spec: spec,
                        expected,
                    })?;
                Self::from_rsa(spec, private)
            }
            KeySpec::EccNistP256 => Self::from_ec(spec, parse_ec(spec, bytes)?),
            KeySpec::EccNistP384 => Self::from_ec(spec, parse_ec(spec, bytes)?),
            KeySpec::EccNistP521 => Self::from_ec(spec, parse_ec(spec, bytes)?),
            KeySpec::EccSecgP256k1 => Self::from_ec(spec, parse_ec(spec, bytes)?),
            KeySpec::EccNistEdwards25519 => Self::from_ed25519(Ed25519Key::from_pkcs8_der(bytes)?),
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
                Self::from_ml_dsa(MlDsaKey::from_pkcs8_der(spec, bytes)?)
            }
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => {
                Self::from_ml_kem(MlKemKey::from_pkcs8_der(spec, bytes)?)
            }
            KeySpec::Sm2 => Self::from_sm2(Sm2Key::from_pkcs8_der(bytes)?),
        }
    }

    fn from_rsa(spec: KeySpec, private: rsa::PrivateKey) -> Result<Self, CryptoError> {
        let wrong_size = CryptoError::InvalidKeyMaterial {
            key_spec: spec,
            expected: "an RSA private key whose modulus has exactly the spec's size",
        };
        if modulus_bits(&private).is_none_or(|bits| Some(bits) != rsa_bits(spec)) {
            return Err(wrong_size);
        }
        private
            .validate()
            .map_err(|_| CryptoError::InvalidKeyMaterial {
                key_spec: spec,
                expected: "a consistent RSA private key",
            })?;
        let public = private.to_public_key();
        let public_der = public
            .to_public_key_der()
            .map_err(|_| CryptoError::Internal {
                step: "encoding an RSA public key",
            })?
            .into_vec();
        Ok(KeyMaterial {
            spec,
            loaded: Loaded::Rsa(Box::new(RsaKey { private, public })),
            public_der,
        })
    }

    fn from_ec(spec: KeySpec, secret: EcSecret) -> Result<Self, CryptoError> {
        let (loaded, public_der) = match secret {
            EcSecret::P256(s) => ec_loaded!(p256, P256, s),
            EcSecret::P384(s) => ec_loaded!(p384, P384, s),
            EcSecret::P521(s) => ec_loaded!(p521, P521, s),
            EcSecret::K256(s) => ec_loaded!(k256, K256, s),
        };
        Ok(KeyMaterial {
            spec,
            loaded,
            public_der,
        })
    }

    fn from_ed25519(key: Ed25519Key) -> Result<Self, CryptoError> {
        let public_der = key.public_key_der()?;
        Ok(KeyMaterial {
            spec: KeySpec::EccNistEdwards25519,
            loaded: Loaded::Ed25519(Box::new(key)),
            public_der,
        })
    }

    fn from_ml_dsa(key: MlDsaKey) -> Result<Self, CryptoError> {
        let public_der = key.public_key_der()?;
        Ok(KeyMaterial {
            spec: key.spec(),
            loaded: Loaded::MlDsa(key),
            public_der,
        })
    }

    fn from_ml_kem(key: MlKemKey) -> Result<Self, CryptoError> {
        let public_der = key.public_key_der()?;
        Ok(KeyMaterial {
            spec: key.spec(),
            loaded: Loaded::MlKem(key),
            public_der,
        })
    }

    fn from_sm2(key: Sm2Key) -> Result<Self, CryptoError> {
        let public_der = key.public_key_der()?;
        Ok(KeyMaterial {
            spec: KeySpec::Sm2,
            loaded: Loaded::Sm2(Box::new(key)),
            public_der,
        })
    }

    /// HMAC material of any length, for known-answer tests whose keys are
    /// outside AWS's import lengths.
    #[cfg(test)]
    pub(crate) fn hmac_without_length_check(spec: KeySpec, bytes: &[u8]) -> Self {
        KeyMaterial {
            spec,
            loaded: Loaded::Hmac(HmacKey {
                bytes: Zeroizing::new(bytes.to_vec()),
            }),
            public_der: Vec::new(),
        }
    }

    /// The key spec this material is for.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// The storage form (see [`KeyMaterial::from_bytes`]); seal it with
    /// [`super::RootKey::seal_material`] before it touches the disk.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match &self.loaded {
            Loaded::Symmetric(k) => Ok(Zeroizing::new(k.bytes.to_vec())),
            Loaded::Hmac(k) => Ok(Zeroizing::new(k.bytes.to_vec())),
            Loaded::Rsa(k) => k
                .private
                .to_pkcs8_der()
                .map_err(|_| CryptoError::Internal {
                    step: "encoding an RSA private key",
                })
                .map(|doc| Zeroizing::new(doc.as_bytes().to_vec())),
            Loaded::Ec(EcKey::P256(k)) => ec_pkcs8(k.to_pkcs8_der()),
            Loaded::Ec(EcKey::P384(k)) => ec_pkcs8(k.to_pkcs8_der()),
            Loaded::Ec(EcKey::P521(k)) => ec_pkcs8(k.to_pkcs8_der()),
            Loaded::Ec(EcKey::K256(k)) => ec_pkcs8(k.to_pkcs8_der()),
            Loaded::Ed25519(k) => k.to_pkcs8_der(),
            Loaded::MlDsa(k) => k.to_pkcs8_der(),
            Loaded::MlKem(k) => k.to_pkcs8_der(),
            Loaded::Sm2(k) => k.to_pkcs8_der(),
        }
    }

    /// The public key as DER SubjectPublicKeyInfo, as GetPublicKey returns
    /// it; an error for symmetric and HMAC keys.
    pub fn public_key_der(&self) -> Result<&[u8], CryptoError> {
        if self.public_der.is_empty() {
            return Err(CryptoError::OperationNotValidForKey {
                operation: "GetPublicKey",
                key_spec: self.spec,
            });
        }
        Ok(&self.public_der)
    }

    /// Whether `other` is the same key material, compared in constant time
    /// over the storage forms: AWS requires re-imported material to be
    /// identical to the first import.
    pub fn same_material_as(&self, other: &KeyMaterial) -> Result<bool, CryptoError> {
        if self.spec != other.spec {
            return Ok(false);
        }
        let (a, b) = (self.to_bytes()?, other.to_bytes()?);
        Ok(a.len() == b.len() && bool::from(a.as_slice().ct_eq(b.as_slice())))
    }
}

/// A parsed EC secret key of a supported curve.
enum EcSecret {
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    P521(p521::SecretKey),
    K256(k256::SecretKey),
}

/// A fresh EC secret key from the operating system's random number
/// generator.
fn random_ec<K: Generate>() -> Result<K, CryptoError> {
    K::try_generate_from_rng(&mut SysRng).map_err(|_| CryptoError::RandomUnavailable)
}

impl From<p256::SecretKey> for EcSecret {
    fn from(k: p256::SecretKey) -> Self {
        EcSecret::P256(k)
    }
}
impl From<p384::SecretKey> for EcSecret {
    fn from(k: p384::SecretKey) -> Self {
        EcSecret::P384(k)
    }
}
impl From<p521::SecretKey> for EcSecret {
    fn from(k: p521::SecretKey) -> Self {
        EcSecret::P521(k)
    }
}
impl From<k256::SecretKey> for EcSecret {
    fn from(k: k256::SecretKey) -> Self {
        EcSecret::K256(k)
    }
}

/// Parses PKCS#8 DER as the EC private key of `spec`'s curve; the curve OID
/// in the PrivateKeyInfo must match.
fn parse_ec(spec: KeySpec, der: &[u8]) -> Result<EcSecret, CryptoError> {
    let invalid = CryptoError::InvalidKeyMaterial {
        key_spec: spec,
        expected: "a PKCS#8 DER EC private key on the spec's curve",
    };
    let parsed = match spec {
        KeySpec::EccNistP256 => p256::SecretKey::from_pkcs8_der(der).map(EcSecret::P256),
        KeySpec::EccNistP384 => p384::SecretKey::from_pkcs8_der(der).map(EcSecret::P384),
        KeySpec::EccNistP521 => p521::SecretKey::from_pkcs8_der(der).map(EcSecret::P521),
        KeySpec::EccSecgP256k1 => k256::SecretKey::from_pkcs8_der(der).map(EcSecret::K256),
        _ => return Err(invalid),
    };
    parsed.map_err(|_| invalid)
}

#[cfg(test)]
mod tests;
