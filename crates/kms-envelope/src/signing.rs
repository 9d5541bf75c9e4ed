//! The footer signatures of signed suites: ECDSA on P-256 or P-384 over the
//! SHA-256/SHA-384 digest of the header and body, DER-encoded. The public key
//! travels in the encryption context as a base64 compressed SEC1 point.
//!
//! Without the `ecdsa` feature the key types have no values: signed suites
//! are refused with [`Error::UnsupportedSuite`](crate::Error::UnsupportedSuite) before a key is needed
//! ([`AlgorithmSuite::check_supported`](crate::suite::AlgorithmSuite::check_supported)).

use alloc::vec::Vec;

use sha2::Digest as _;

use crate::suite::SignatureAlgorithm;

#[cfg(feature = "ecdsa")]
pub use self::ecdsa_keys::{ExternalKeyPair, SigningKey, VerificationKey};
#[cfg(feature = "ecdsa")]
pub(crate) use self::ecdsa_keys::{der_to_fixed, fixed_to_der};
#[cfg(not(feature = "ecdsa"))]
pub use self::no_ecdsa::{ExternalKeyPair, SigningKey, VerificationKey};
#[cfg(not(feature = "ecdsa"))]
pub(crate) use self::no_ecdsa::{der_to_fixed, fixed_to_der};

/// The ECDSA keys of the [`DefaultMaterialsManager`](crate::cmm::DefaultMaterialsManager)
/// when a binding's platform has a faster ECDSA than the pure one: it makes
/// the per-message signing keys (in place of [`SigningKey::generate`],
/// returning [`SigningKey::from_external_pair`] and keeping the platform's
/// key beside it for [`FooterToSign`](crate::detached_signature::FooterToSign)),
/// and it may decompress the public keys of messages.
pub trait SignatureKeys {
    /// A fresh key pair for `alg`.
    fn generate<'a>(
        &'a self,
        alg: SignatureAlgorithm,
    ) -> crate::LocalBoxFuture<'a, Result<SigningKey, crate::error::Error>>;

    /// The verification key in a message's encryption context (base64 of a
    /// SEC1 point). By default [`VerificationKey::from_base64`]; a platform
    /// that decompresses points faster hands its result to
    /// [`VerificationKey::from_decompressed`], which accepts it only if it
    /// is the very point `from_base64` would give, and falls back to
    /// `from_base64` otherwise, so that every key refused is refused with
    /// the same error.
    fn verification_key<'a>(
        &'a self,
        alg: SignatureAlgorithm,
        b64: &'a str,
    ) -> crate::LocalBoxFuture<'a, Result<VerificationKey, crate::error::Error>> {
        alloc::boxed::Box::pin(async move { VerificationKey::from_base64(alg, b64) })
    }
}

#[cfg(feature = "ecdsa")]
mod ecdsa_keys {
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::fmt;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use zeroize::Zeroizing;

    use crate::error::Error;
    use crate::random;
    use crate::suite::SignatureAlgorithm;

    /// A per-message signing key (the private half never leaves the encryptor;
    /// it zeroizes on drop and does not print).
    #[derive(Clone)]
    pub enum SigningKey {
        /// ECDSA P-256.
        P256(p256::ecdsa::SigningKey),
        /// ECDSA P-384.
        P384(p384::ecdsa::SigningKey),
        /// A pair generated outside the crate.
        External(ExternalKeyPair),
    }

    /// A key pair generated outside the crate (by a platform's own ECDSA):
    /// the private scalar and the public point, taken as a pair without
    /// the scalar multiplication that would check it (which is what the
    /// platform was asked to save). Signing here builds the pure key from
    /// the scalar only when needed. The scalar zeroizes on drop.
    #[derive(Clone)]
    pub struct ExternalKeyPair {
        alg: SignatureAlgorithm,
        secret: Zeroizing<Vec<u8>>,
        /// Compressed SEC1.
        public: Vec<u8>,
    }

    impl fmt::Debug for SigningKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                SigningKey::P256(_) => "SigningKey::P256(<redacted>)",
                SigningKey::P384(_) => "SigningKey::P384(<redacted>)",
                SigningKey::External(_) => "SigningKey::External(<redacted>)",
            })
        }
    }

    impl fmt::Debug for ExternalKeyPair {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "ExternalKeyPair({:?}, <redacted>)", self.alg)
        }
    }

    /// The r || s form (IEEE P1363) of a DER signature, if it is one for `alg`.
    pub(crate) fn der_to_fixed(alg: SignatureAlgorithm, der: &[u8]) -> Option<Vec<u8>> {
        match alg {
            SignatureAlgorithm::EcdsaP256Sha256 => p256::ecdsa::Signature::from_der(der)
                .ok()
                .map(|s| s.to_bytes().to_vec()),
            SignatureAlgorithm::EcdsaP384Sha384 => p384::ecdsa::Signature::from_der(der)
                .ok()
                .map(|s| s.to_bytes().to_vec()),
        }
    }

    /// The DER form of an r || s signature, if it is one for `alg`.
    pub(crate) fn fixed_to_der(alg: SignatureAlgorithm, fixed: &[u8]) -> Option<Vec<u8>> {
        match alg {
            SignatureAlgorithm::EcdsaP256Sha256 => p256::ecdsa::Signature::from_slice(fixed)
                .ok()
                .map(|s| s.to_der().as_bytes().to_vec()),
            SignatureAlgorithm::EcdsaP384Sha384 => p384::ecdsa::Signature::from_slice(fixed)
                .ok()
                .map(|s| s.to_der().as_bytes().to_vec()),
        }
    }

    impl SigningKey {
        /// Generates a fresh key for `alg`.
        pub fn generate(alg: SignatureAlgorithm) -> Result<Self, Error> {
            // Drawn through `random::fill` so failures are errors, not panics.
            loop {
                let mut seed = zeroize::Zeroizing::new([0u8; 48]);
                let key = match alg {
                    SignatureAlgorithm::EcdsaP256Sha256 => {
                        random::fill(&mut seed[..32])?;
                        p256::ecdsa::SigningKey::from_slice(&seed[..32])
                            .ok()
                            .map(SigningKey::P256)
                    }
                    SignatureAlgorithm::EcdsaP384Sha384 => {
                        random::fill(&mut seed[..])?;
                        p384::ecdsa::SigningKey::from_slice(&seed[..])
                            .ok()
                            .map(SigningKey::P384)
                    }
                };
                // A scalar of zero or above the group order is refused by
                // from_slice; that happens with probability below 2^-32, so
                // draw again.
                if let Some(key) = key {
                    return Ok(key);
                }
            }
        }

        /// A pair made outside the crate: `secret` is the big-endian
        /// private scalar, `public` the SEC1 point (compressed or not).
        /// Both are checked (a scalar in range, a point on the curve) but
        /// not against each other: the caller vouches that its generator
        /// made them together.
        pub fn from_external_pair(
            alg: SignatureAlgorithm,
            secret: &[u8],
            public: &[u8],
        ) -> Result<Self, Error> {
            let bad_secret = Error::InvalidKey("external private key is not a scalar of the curve");
            let bad_public = Error::InvalidKey("external public key is not a point on the curve");
            let public = match alg {
                SignatureAlgorithm::EcdsaP256Sha256 => {
                    p256::SecretKey::from_slice(secret).map_err(|_| bad_secret)?;
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(public)
                        .map_err(|_| bad_public)?
                        .to_sec1_point(true)
                        .as_bytes()
                        .to_vec()
                }
                SignatureAlgorithm::EcdsaP384Sha384 => {
                    p384::SecretKey::from_slice(secret).map_err(|_| bad_secret)?;
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(public)
                        .map_err(|_| bad_public)?
                        .to_sec1_point(true)
                        .as_bytes()
                        .to_vec()
                }
            };
            Ok(SigningKey::External(ExternalKeyPair {
                alg,
                secret: Zeroizing::new(secret.to_vec()),
                public,
            }))
        }

        /// The signature algorithm this key belongs to.
        pub fn algorithm(&self) -> SignatureAlgorithm {
            match self {
                SigningKey::P256(_) => SignatureAlgorithm::EcdsaP256Sha256,
                SigningKey::P384(_) => SignatureAlgorithm::EcdsaP384Sha384,
                SigningKey::External(k) => k.alg,
            }
        }

        /// The public key as a compressed SEC1 point.
        pub fn public_key_sec1(&self) -> Vec<u8> {
            match self {
                SigningKey::P256(k) => k.verifying_key().to_sec1_point(true).as_bytes().to_vec(),
                SigningKey::P384(k) => k.verifying_key().to_sec1_point(true).as_bytes().to_vec(),
                SigningKey::External(k) => k.public.clone(),
            }
        }

        /// The public key as the encryption context carries it: base64 of the
        /// compressed SEC1 point.
        pub fn public_key_base64(&self) -> String {
            BASE64.encode(self.public_key_sec1())
        }

        /// Signs a digest produced by [`SignatureHasher`]; returns a DER signature.
        pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, Error> {
            let bad_digest = |_| Error::InvalidArgument("digest length");
            let bad_key =
                |_| Error::InvalidKey("external private key is not a scalar of the curve");
            match self {
                SigningKey::P256(k) => {
                    let sig: p256::ecdsa::Signature = k.sign_prehash(digest).map_err(bad_digest)?;
                    Ok(sig.to_der().as_bytes().to_vec())
                }
                SigningKey::P384(k) => {
                    let sig: p384::ecdsa::Signature = k.sign_prehash(digest).map_err(bad_digest)?;
                    Ok(sig.to_der().as_bytes().to_vec())
                }
                SigningKey::External(k) => match k.alg {
                    SignatureAlgorithm::EcdsaP256Sha256 => {
                        let key =
                            p256::ecdsa::SigningKey::from_slice(&k.secret).map_err(bad_key)?;
                        SigningKey::P256(key).sign_digest(digest)
                    }
                    SignatureAlgorithm::EcdsaP384Sha384 => {
                        let key =
                            p384::ecdsa::SigningKey::from_slice(&k.secret).map_err(bad_key)?;
                        SigningKey::P384(key).sign_digest(digest)
                    }
                },
            }
        }
    }

    /// The public half, read from a message's encryption context.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum VerificationKey {
        /// ECDSA P-256.
        P256(p256::ecdsa::VerifyingKey),
        /// ECDSA P-384.
        P384(p384::ecdsa::VerifyingKey),
    }

    impl VerificationKey {
        /// Parses the base64 compressed (or uncompressed) SEC1 point for `alg`.
        pub fn from_base64(alg: SignatureAlgorithm, b64: &str) -> Result<Self, Error> {
            let bytes = BASE64
                .decode(b64)
                .map_err(|_| Error::InvalidKey("signature public key is not valid base64"))?;
            let bad = Error::InvalidKey("signature public key is not a point on the suite's curve");
            match alg {
                SignatureAlgorithm::EcdsaP256Sha256 => {
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&bytes)
                        .map(Self::P256)
                        .map_err(|_| bad)
                }
                SignatureAlgorithm::EcdsaP384Sha384 => {
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(&bytes)
                        .map(Self::P384)
                        .map_err(|_| bad)
                }
            }
        }

        /// The key from a compressed SEC1 point and the uncompressed form a
        /// platform decompressed it to: `None` unless `uncompressed` is on
        /// the curve, has the x of `compressed` and the parity of y it
        /// names (then it is the point
        /// [`from_base64`](Self::from_base64) would decompress). Costs no
        /// square root.
        pub fn from_decompressed(
            alg: SignatureAlgorithm,
            compressed: &[u8],
            uncompressed: &[u8],
        ) -> Option<Self> {
            let (&tag, x) = compressed.split_first()?;
            let (&utag, xy) = uncompressed.split_first()?;
            let parity = match tag {
                0x02 => 0,
                0x03 => 1,
                _ => return None,
            };
            if utag != 0x04 || xy.len() != 2 * x.len() || xy.get(..x.len())? != x {
                return None;
            }
            if xy.last()? & 1 != parity {
                return None;
            }
            match alg {
                SignatureAlgorithm::EcdsaP256Sha256 if x.len() == 32 => {
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(uncompressed)
                        .ok()
                        .map(Self::P256)
                }
                SignatureAlgorithm::EcdsaP384Sha384 if x.len() == 48 => {
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(uncompressed)
                        .ok()
                        .map(Self::P384)
                }
                _ => None,
            }
        }

        /// The signature algorithm this key belongs to.
        pub fn algorithm(&self) -> SignatureAlgorithm {
            match self {
                VerificationKey::P256(_) => SignatureAlgorithm::EcdsaP256Sha256,
                VerificationKey::P384(_) => SignatureAlgorithm::EcdsaP384Sha384,
            }
        }

        /// The public key as an uncompressed SEC1 point (`04 || x || y`), the
        /// form every platform's ECDSA imports.
        pub fn to_sec1_uncompressed(&self) -> Vec<u8> {
            match self {
                VerificationKey::P256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
                VerificationKey::P384(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            }
        }

        /// Verifies a DER signature over a digest; `SignatureInvalid` otherwise.
        pub fn verify_digest(&self, digest: &[u8], der_signature: &[u8]) -> Result<(), Error> {
            let ok = match self {
                VerificationKey::P256(k) => p256::ecdsa::Signature::from_der(der_signature)
                    .ok()
                    .is_some_and(|sig| k.verify_prehash(digest, &sig).is_ok()),
                VerificationKey::P384(k) => p384::ecdsa::Signature::from_der(der_signature)
                    .ok()
                    .is_some_and(|sig| k.verify_prehash(digest, &sig).is_ok()),
            };
            if ok {
                Ok(())
            } else {
                Err(Error::SignatureInvalid)
            }
        }
    }
}

/// Stand-ins for builds without ECDSA: no value of either type exists.
#[cfg(not(feature = "ecdsa"))]
mod no_ecdsa {
    use alloc::string::String;
    use alloc::vec::Vec;

    use crate::error::Error;
    use crate::suite::SignatureAlgorithm;

    /// What the constructors answer; callers check the suite first
    /// (`AlgorithmSuite::check_supported`), so this is a last defence.
    const UNSUPPORTED: Error =
        Error::InvalidArgument("signed algorithm suites need the `ecdsa` feature");

    /// A per-message signing key; none exists in a build without ECDSA.
    #[derive(Debug, Clone)]
    pub enum SigningKey {}

    /// A key pair generated outside the crate; none exists in a build
    /// without ECDSA.
    #[derive(Debug, Clone)]
    pub enum ExternalKeyPair {}

    pub(crate) fn der_to_fixed(_alg: SignatureAlgorithm, _der: &[u8]) -> Option<Vec<u8>> {
        None
    }

    pub(crate) fn fixed_to_der(_alg: SignatureAlgorithm, _fixed: &[u8]) -> Option<Vec<u8>> {
        None
    }

    impl SigningKey {
        /// Always `Err`: this build has no ECDSA.
        pub fn generate(_alg: SignatureAlgorithm) -> Result<Self, Error> {
            Err(UNSUPPORTED)
        }

        /// Always `Err`: this build has no ECDSA.
        pub fn from_external_pair(
            _alg: SignatureAlgorithm,
            _secret: &[u8],
            _public: &[u8],
        ) -> Result<Self, Error> {
            Err(UNSUPPORTED)
        }

        /// The public key as a compressed SEC1 point.
        pub fn public_key_sec1(&self) -> Vec<u8> {
            match *self {}
        }

        /// The signature algorithm this key belongs to.
        pub fn algorithm(&self) -> SignatureAlgorithm {
            match *self {}
        }

        /// The public key as the encryption context carries it.
        pub fn public_key_base64(&self) -> String {
            match *self {}
        }

        /// Signs a digest.
        pub fn sign_digest(&self, _digest: &[u8]) -> Result<Vec<u8>, Error> {
            match *self {}
        }
    }

    /// The public half; none exists in a build without ECDSA.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum VerificationKey {}

    impl VerificationKey {
        /// Always `Err`: this build has no ECDSA.
        pub fn from_base64(_alg: SignatureAlgorithm, _b64: &str) -> Result<Self, Error> {
            Err(UNSUPPORTED)
        }

        /// Always `None`: this build has no ECDSA.
        pub fn from_decompressed(
            _alg: SignatureAlgorithm,
            _compressed: &[u8],
            _uncompressed: &[u8],
        ) -> Option<Self> {
            None
        }

        /// The signature algorithm this key belongs to.
        pub fn algorithm(&self) -> SignatureAlgorithm {
            match *self {}
        }

        /// The public key as an uncompressed SEC1 point.
        pub fn to_sec1_uncompressed(&self) -> Vec<u8> {
            match *self {}
        }

        /// Verifies a DER signature over a digest.
        pub fn verify_digest(&self, _digest: &[u8], _der_signature: &[u8]) -> Result<(), Error> {
            match *self {}
        }
    }
}

/// The running hash of a signed message (header, header authentication and
/// body, in the order written).
#[derive(Clone)]
pub enum SignatureHasher {
    /// SHA-256, for P-256 suites.
    Sha256(sha2::Sha256),
    /// SHA-384, for P-384 suites.
    Sha384(sha2::Sha384),
}

impl SignatureHasher {
    /// A fresh hasher for `alg`.
    pub fn new(alg: SignatureAlgorithm) -> Self {
        match alg {
            SignatureAlgorithm::EcdsaP256Sha256 => SignatureHasher::Sha256(sha2::Sha256::new()),
            SignatureAlgorithm::EcdsaP384Sha384 => SignatureHasher::Sha384(sha2::Sha384::new()),
        }
    }

    /// Absorbs message bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            SignatureHasher::Sha256(h) => h.update(bytes),
            SignatureHasher::Sha384(h) => h.update(bytes),
        }
    }

    /// The digest of everything absorbed.
    pub fn finalize(self) -> Vec<u8> {
        match self {
            SignatureHasher::Sha256(h) => h.finalize().to_vec(),
            SignatureHasher::Sha384(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
#[cfg(feature = "ecdsa")]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn sign_then_verify_on_both_curves_and_reject_changes() {
        for alg in [
            SignatureAlgorithm::EcdsaP256Sha256,
            SignatureAlgorithm::EcdsaP384Sha384,
        ] {
            let key = SigningKey::generate(alg).unwrap();
            let public = VerificationKey::from_base64(alg, &key.public_key_base64()).unwrap();
            let mut h = SignatureHasher::new(alg);
            h.update(b"header and body");
            let digest = h.finalize();
            let sig = key.sign_digest(&digest).unwrap();
            public.verify_digest(&digest, &sig).unwrap();
            let mut other = digest.clone();
            other[0] ^= 1;
            assert_eq!(
                public.verify_digest(&other, &sig),
                Err(Error::SignatureInvalid)
            );
            assert_eq!(
                public.verify_digest(&digest, &sig[..sig.len() - 1]),
                Err(Error::SignatureInvalid)
            );
            assert!(!alloc::format!("{key:?}").contains(&alloc::format!("{:?}", digest)));
        }
    }

    #[test]
    fn public_keys_of_the_wrong_curve_or_encoding_are_refused() {
        let key = SigningKey::generate(SignatureAlgorithm::EcdsaP256Sha256).unwrap();
        assert!(
            VerificationKey::from_base64(
                SignatureAlgorithm::EcdsaP384Sha384,
                &key.public_key_base64()
            )
            .is_err()
        );
        assert!(
            VerificationKey::from_base64(SignatureAlgorithm::EcdsaP256Sha256, "not base64!")
                .is_err()
        );
    }
}
