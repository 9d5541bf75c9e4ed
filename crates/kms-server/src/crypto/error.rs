//! The one error type of the crypto module, grouped by cause.
//!
//! Messages name what was expected and never contain key material, plaintext
//! or anything derived from them. Failures of authenticated decryption are
//! deliberately uninformative: "the ciphertext did not authenticate" covers a
//! wrong key, a wrong context and a tampered blob alike.

use core::fmt;

use kms_protocol::ops::KeySpec;

/// Everything that can go wrong in a cryptographic operation of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    // --- The request is malformed (ValidationException) ---
    /// An input has a length outside what the operation accepts.
    InvalidLength {
        /// Which input, e.g. `"plaintext"` or `"digest"`.
        what: &'static str,
        /// What was expected, e.g. `"1 to 4096 bytes"`.
        expected: &'static str,
        /// The length given.
        actual: usize,
    },
    /// An input is not in the expected format (e.g. a key id that is neither
    /// a UUID nor an `mrk-` id).
    InvalidInput {
        /// Which input.
        what: &'static str,
        /// What was expected.
        expected: &'static str,
    },

    // --- The key cannot do that (InvalidKeyUsageException) ---
    /// The algorithm is not one the key's spec allows.
    AlgorithmNotValidForKey {
        /// The algorithm's wire name.
        algorithm: &'static str,
        /// The key's spec.
        key_spec: KeySpec,
    },
    /// The operation does not apply to this kind of key (e.g. Sign with a
    /// symmetric key).
    OperationNotValidForKey {
        /// The operation, e.g. `"Sign"`.
        operation: &'static str,
        /// The key's spec.
        key_spec: KeySpec,
    },

    // --- Not implemented by kms-server (UnsupportedOperationException) ---
    /// A spec or algorithm that AWS has but kms-server does not (SM2,
    /// RSAES_PKCS1_V1_5 wrapping).
    Unsupported {
        /// The wire name of what was asked for.
        what: &'static str,
    },

    // --- Authentication failed ---
    /// A symmetric ciphertext blob is malformed, was tampered with, belongs
    /// to another key or was decrypted with another encryption context
    /// (InvalidCiphertextException). Deliberately says no more.
    InvalidCiphertext,
    /// An RSA ciphertext or wrapped key material did not decrypt
    /// (InvalidCiphertextException).
    DecryptionFailed,
    /// An ML-KEM ciphertext whose length is not the key spec's
    /// (InvalidCiphertextException). Any ciphertext of the right length
    /// decapsulates (implicit rejection), so this is the only way
    /// Decapsulate fails on its input.
    InvalidCiphertextLength {
        /// The key's spec.
        key_spec: KeySpec,
        /// The spec's ciphertext length.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// The signature does not verify (KMSInvalidSignatureException).
    InvalidSignature,
    /// The MAC does not verify (KMSInvalidMacException).
    InvalidMac,

    // --- Key material ---
    /// Key material (stored or imported) does not parse as the key spec says
    /// or does not match it (IncorrectKeyMaterialException on import).
    InvalidKeyMaterial {
        /// The spec the material was expected to have.
        key_spec: KeySpec,
        /// What was expected.
        expected: &'static str,
    },
    /// A sealed key material record did not open under the root key for this
    /// key id and version: wrong root key, moved or corrupted record
    /// (KMSInternalException; never the caller's fault).
    SealedMaterialRejected,

    // --- The environment ---
    /// The operating system's random number generator failed.
    RandomUnavailable,
    /// A cryptographic library failed where it should not (e.g. RSA key
    /// generation) (KMSInternalException).
    Internal {
        /// Which step failed.
        step: &'static str,
    },
}

impl CryptoError {
    /// The AWS KMS error code (`__type`, without namespace) that this error
    /// is answered with.
    pub fn kms_error_code(&self) -> &'static str {
        match self {
            CryptoError::InvalidLength { .. } | CryptoError::InvalidInput { .. } => {
                "ValidationException"
            }
            CryptoError::AlgorithmNotValidForKey { .. }
            | CryptoError::OperationNotValidForKey { .. } => "InvalidKeyUsageException",
            CryptoError::Unsupported { .. } => "UnsupportedOperationException",
            CryptoError::InvalidCiphertext
            | CryptoError::DecryptionFailed
            | CryptoError::InvalidCiphertextLength { .. } => "InvalidCiphertextException",
            CryptoError::InvalidSignature => "KMSInvalidSignatureException",
            CryptoError::InvalidMac => "KMSInvalidMacException",
            CryptoError::InvalidKeyMaterial { .. } => "IncorrectKeyMaterialException",
            CryptoError::SealedMaterialRejected
            | CryptoError::RandomUnavailable
            | CryptoError::Internal { .. } => "KMSInternalException",
        }
    }

    /// Shorthand for an input-length error.
    pub(crate) fn length(what: &'static str, expected: &'static str, actual: usize) -> Self {
        CryptoError::InvalidLength {
            what,
            expected,
            actual,
        }
    }
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::InvalidLength {
                what,
                expected,
                actual,
            } => write!(f, "{what} must be {expected}, got {actual} bytes"),
            CryptoError::InvalidInput { what, expected } => {
                write!(f, "{what} is invalid: expected {expected}")
            }
            CryptoError::AlgorithmNotValidForKey {
                algorithm,
                key_spec,
            } => write!(
                f,
                "algorithm {algorithm} is not valid for a key of spec {key_spec}"
            ),
            CryptoError::OperationNotValidForKey {
                operation,
                key_spec,
            } => write!(
                f,
                "operation {operation} is not valid for a key of spec {key_spec}"
            ),
            CryptoError::Unsupported { what } => write!(f, "{what} is not supported by kms-server"),
            CryptoError::InvalidCiphertext => f.write_str(
                "the ciphertext is invalid, was not made by this key, or its encryption context differs",
            ),
            CryptoError::DecryptionFailed => {
                f.write_str("the ciphertext did not decrypt under this key and algorithm")
            }
            CryptoError::InvalidCiphertextLength {
                key_spec,
                expected,
                actual,
            } => write!(
                f,
                "a ciphertext for a key of spec {key_spec} must be exactly {expected} bytes, got \
                 {actual} bytes"
            ),
            CryptoError::InvalidSignature => f.write_str("the signature is not valid"),
            CryptoError::InvalidMac => f.write_str("the MAC is not valid"),
            CryptoError::InvalidKeyMaterial { key_spec, expected } => {
                write!(f, "key material for {key_spec} must be {expected}")
            }
            CryptoError::SealedMaterialRejected => f.write_str(
                "stored key material did not authenticate under the root key for this key and version",
            ),
            CryptoError::RandomUnavailable => {
                f.write_str("the system random number generator failed")
            }
            CryptoError::Internal { step } => write!(f, "internal cryptographic failure in {step}"),
        }
    }
}

impl std::error::Error for CryptoError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_was_expected() {
        let e = CryptoError::length("plaintext", "1 to 4096 bytes", 5000);
        assert_eq!(
            e.to_string(),
            "plaintext must be 1 to 4096 bytes, got 5000 bytes"
        );
        assert_eq!(e.kms_error_code(), "ValidationException");
        let e = CryptoError::AlgorithmNotValidForKey {
            algorithm: "ECDSA_SHA_384",
            key_spec: KeySpec::EccNistP256,
        };
        assert_eq!(
            e.to_string(),
            "algorithm ECDSA_SHA_384 is not valid for a key of spec ECC_NIST_P256"
        );
        assert_eq!(e.kms_error_code(), "InvalidKeyUsageException");
        assert_eq!(
            CryptoError::InvalidCiphertext.kms_error_code(),
            "InvalidCiphertextException"
        );
    }
}
