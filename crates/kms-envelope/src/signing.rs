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
pub use self::ecdsa_keys::{SigningKey, VerificationKey};
#[cfg(not(feature = "ecdsa"))]
pub use self::no_ecdsa::{SigningKey, VerificationKey};

#[cfg(feature = "ecdsa")]
mod ecdsa_keys {
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::fmt;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};

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
    }

    impl fmt::Debug for SigningKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                SigningKey::P256(_) => "SigningKey::P256(<redacted>)",
                SigningKey::P384(_) => "SigningKey::P384(<redacted>)",
            })
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

        /// The signature algorithm this key belongs to.
        pub fn algorithm(&self) -> SignatureAlgorithm {
            match self {
                SigningKey::P256(_) => SignatureAlgorithm::EcdsaP256Sha256,
                SigningKey::P384(_) => SignatureAlgorithm::EcdsaP384Sha384,
            }
        }

        /// The public key as the encryption context carries it: base64 of the
        /// compressed SEC1 point.
        pub fn public_key_base64(&self) -> String {
            let point = match self {
                SigningKey::P256(k) => k.verifying_key().to_encoded_point(true).as_bytes().to_vec(),
                SigningKey::P384(k) => k.verifying_key().to_encoded_point(true).as_bytes().to_vec(),
            };
            BASE64.encode(point)
        }

        /// Signs a digest produced by [`SignatureHasher`]; returns a DER signature.
        pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, Error> {
            match self {
                SigningKey::P256(k) => {
                    let sig: p256::ecdsa::Signature = k
                        .sign_prehash(digest)
                        .map_err(|_| Error::InvalidArgument("digest length"))?;
                    Ok(sig.to_der().as_bytes().to_vec())
                }
                SigningKey::P384(k) => {
                    let sig: p384::ecdsa::Signature = k
                        .sign_prehash(digest)
                        .map_err(|_| Error::InvalidArgument("digest length"))?;
                    Ok(sig.to_der().as_bytes().to_vec())
                }
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

    impl SigningKey {
        /// Always `Err`: this build has no ECDSA.
        pub fn generate(_alg: SignatureAlgorithm) -> Result<Self, Error> {
            Err(UNSUPPORTED)
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
