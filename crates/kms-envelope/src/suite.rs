//! The algorithm suites of the AWS Encryption SDK message format and the
//! commitment policies that choose among them.

use crate::error::{Error, FormatError};

/// The two-byte id of an algorithm suite, as written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum AlgorithmSuiteId {
    /// AES-128-GCM, no key derivation, no signature (deprecated).
    Aes128GcmIv12Tag16NoKdf = 0x0014,
    /// AES-192-GCM, no key derivation, no signature (deprecated).
    Aes192GcmIv12Tag16NoKdf = 0x0046,
    /// AES-256-GCM, no key derivation, no signature (deprecated).
    Aes256GcmIv12Tag16NoKdf = 0x0078,
    /// AES-128-GCM, HKDF-SHA256.
    Aes128GcmIv12Tag16HkdfSha256 = 0x0114,
    /// AES-192-GCM, HKDF-SHA256.
    Aes192GcmIv12Tag16HkdfSha256 = 0x0146,
    /// AES-256-GCM, HKDF-SHA256.
    Aes256GcmIv12Tag16HkdfSha256 = 0x0178,
    /// AES-128-GCM, HKDF-SHA256, ECDSA P-256 with SHA-256.
    Aes128GcmIv12Tag16HkdfSha256EcdsaP256 = 0x0214,
    /// AES-192-GCM, HKDF-SHA384, ECDSA P-384 with SHA-384.
    Aes192GcmIv12Tag16HkdfSha384EcdsaP384 = 0x0346,
    /// AES-256-GCM, HKDF-SHA384, ECDSA P-384 with SHA-384.
    Aes256GcmIv12Tag16HkdfSha384EcdsaP384 = 0x0378,
    /// AES-256-GCM, HKDF-SHA512, key commitment (the default).
    Aes256GcmHkdfSha512CommitKey = 0x0478,
    /// AES-256-GCM, HKDF-SHA512, key commitment, ECDSA P-384 with SHA-384.
    Aes256GcmHkdfSha512CommitKeyEcdsaP384 = 0x0578,
}

impl AlgorithmSuiteId {
    /// All 11 suites, in id order.
    pub const ALL: [AlgorithmSuiteId; 11] = [
        AlgorithmSuiteId::Aes128GcmIv12Tag16NoKdf,
        AlgorithmSuiteId::Aes192GcmIv12Tag16NoKdf,
        AlgorithmSuiteId::Aes256GcmIv12Tag16NoKdf,
        AlgorithmSuiteId::Aes128GcmIv12Tag16HkdfSha256,
        AlgorithmSuiteId::Aes192GcmIv12Tag16HkdfSha256,
        AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha256,
        AlgorithmSuiteId::Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
        AlgorithmSuiteId::Aes192GcmIv12Tag16HkdfSha384EcdsaP384,
        AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha384EcdsaP384,
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey,
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
    ];

    /// The id as written in the header.
    pub const fn as_u16(self) -> u16 {
        self as u16
    }

    /// The id's two bytes, big-endian.
    pub const fn to_be_bytes(self) -> [u8; 2] {
        (self as u16).to_be_bytes()
    }

    /// The suite with this id, or `UnknownSuite`.
    pub fn from_u16(id: u16) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_u16() == id)
            .ok_or(Error::Format(FormatError::UnknownSuite(id)))
    }

    /// The suite's parameters.
    pub const fn suite(self) -> &'static AlgorithmSuite {
        let mut i = 0;
        while i < SUITES.len() {
            if SUITES[i].id as u16 == self as u16 {
                return &SUITES[i];
            }
            i += 1;
        }
        // Unreachable: SUITES lists every id (checked by a test); the
        // default suite keeps this total without a panic.
        &SUITES[9]
    }
}

/// Every suite's parameters, in id order.
static SUITES: [AlgorithmSuite; 11] = {
    use AlgorithmSuiteId as I;
    use SignatureAlgorithm::{EcdsaP256Sha256 as P256, EcdsaP384Sha384 as P384};
    [
        AlgorithmSuite::new(I::Aes128GcmIv12Tag16NoKdf, 16, Kdf::Identity, None, false),
        AlgorithmSuite::new(I::Aes192GcmIv12Tag16NoKdf, 24, Kdf::Identity, None, false),
        AlgorithmSuite::new(I::Aes256GcmIv12Tag16NoKdf, 32, Kdf::Identity, None, false),
        AlgorithmSuite::new(
            I::Aes128GcmIv12Tag16HkdfSha256,
            16,
            Kdf::HkdfSha256,
            None,
            false,
        ),
        AlgorithmSuite::new(
            I::Aes192GcmIv12Tag16HkdfSha256,
            24,
            Kdf::HkdfSha256,
            None,
            false,
        ),
        AlgorithmSuite::new(
            I::Aes256GcmIv12Tag16HkdfSha256,
            32,
            Kdf::HkdfSha256,
            None,
            false,
        ),
        AlgorithmSuite::new(
            I::Aes128GcmIv12Tag16HkdfSha256EcdsaP256,
            16,
            Kdf::HkdfSha256,
            Some(P256),
            false,
        ),
        AlgorithmSuite::new(
            I::Aes192GcmIv12Tag16HkdfSha384EcdsaP384,
            24,
            Kdf::HkdfSha384,
            Some(P384),
            false,
        ),
        AlgorithmSuite::new(
            I::Aes256GcmIv12Tag16HkdfSha384EcdsaP384,
            32,
            Kdf::HkdfSha384,
            Some(P384),
            false,
        ),
        AlgorithmSuite::new(
            I::Aes256GcmHkdfSha512CommitKey,
            32,
            Kdf::HkdfSha512,
            None,
            true,
        ),
        AlgorithmSuite::new(
            I::Aes256GcmHkdfSha512CommitKeyEcdsaP384,
            32,
            Kdf::HkdfSha512,
            Some(P384),
            true,
        ),
    ]
};

/// How the data key becomes the message's encryption key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// The data key is the encryption key (deprecated suites).
    Identity,
    /// HKDF with SHA-256.
    HkdfSha256,
    /// HKDF with SHA-384.
    HkdfSha384,
    /// HKDF with SHA-512 (committing suites).
    HkdfSha512,
}

/// The footer signature algorithm of a signed suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384Sha384,
}

/// The parameters of one algorithm suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgorithmSuite {
    /// The suite's id.
    pub id: AlgorithmSuiteId,
    /// Message format version: 1 for legacy suites, 2 for committing ones.
    pub message_format_version: u8,
    /// AES key length in bytes (16, 24 or 32); also the data key length.
    pub encryption_key_len: usize,
    /// How the encryption key is derived from the data key.
    pub kdf: Kdf,
    /// The footer signature, if any.
    pub signature: Option<SignatureAlgorithm>,
    /// Whether the header carries a key commitment (v2 suites).
    pub commitment: bool,
}

impl AlgorithmSuite {
    /// AES-GCM IV length in bytes.
    pub const IV_LEN: usize = 12;
    /// AES-GCM tag length in bytes.
    pub const TAG_LEN: usize = 16;
    /// Message id length in format version 1.
    pub const MESSAGE_ID_LEN_V1: usize = 16;
    /// Message id length in format version 2.
    pub const MESSAGE_ID_LEN_V2: usize = 32;
    /// Length of the key commitment (the "algorithm suite data") in v2.
    pub const COMMITMENT_LEN: usize = 32;

    const fn new(
        id: AlgorithmSuiteId,
        encryption_key_len: usize,
        kdf: Kdf,
        signature: Option<SignatureAlgorithm>,
        commitment: bool,
    ) -> Self {
        AlgorithmSuite {
            id,
            message_format_version: if commitment { 2 } else { 1 },
            encryption_key_len,
            kdf,
            signature,
            commitment,
        }
    }

    /// The data key length in bytes (equal to the encryption key length for
    /// every suite of the format).
    pub const fn data_key_len(&self) -> usize {
        self.encryption_key_len
    }

    /// `Ok` if this build can encrypt and decrypt the suite: signed suites
    /// need the `ecdsa` feature, else `UnsupportedSuite`.
    pub const fn check_supported(&self) -> Result<(), Error> {
        if self.signature.is_some() && !cfg!(feature = "ecdsa") {
            return Err(Error::UnsupportedSuite(self.id.as_u16()));
        }
        Ok(())
    }

    /// Message id length for this suite's format version.
    pub const fn message_id_len(&self) -> usize {
        if self.message_format_version == 2 {
            Self::MESSAGE_ID_LEN_V2
        } else {
            Self::MESSAGE_ID_LEN_V1
        }
    }

    /// Whether a data key for this suite may be cached: only suites with a
    /// key derivation function, so one data key never encrypts two messages
    /// directly.
    pub const fn is_cacheable(&self) -> bool {
        !matches!(self.kdf, Kdf::Identity)
    }
}

/// Whether messages must use a key-committing suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommitmentPolicy {
    /// Encrypt without commitment; decrypt anything (for migration only).
    ForbidEncryptAllowDecrypt,
    /// Encrypt with commitment; decrypt legacy messages too.
    RequireEncryptAllowDecrypt,
    /// Encrypt and decrypt only with commitment (the default).
    #[default]
    RequireEncryptRequireDecrypt,
}

impl CommitmentPolicy {
    /// The policy's name as the AWS Encryption SDK spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            CommitmentPolicy::ForbidEncryptAllowDecrypt => "FORBID_ENCRYPT_ALLOW_DECRYPT",
            CommitmentPolicy::RequireEncryptAllowDecrypt => "REQUIRE_ENCRYPT_ALLOW_DECRYPT",
            CommitmentPolicy::RequireEncryptRequireDecrypt => "REQUIRE_ENCRYPT_REQUIRE_DECRYPT",
        }
    }

    /// The suite used when the caller names none.
    pub const fn default_suite(self) -> AlgorithmSuiteId {
        match self {
            // The SDKs' default under FORBID is the strongest legacy suite.
            CommitmentPolicy::ForbidEncryptAllowDecrypt => {
                AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha384EcdsaP384
            }
            _ => AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey,
        }
    }

    /// Checks that `suite` may be used to encrypt under this policy.
    pub fn check_encrypt(self, suite: AlgorithmSuiteId) -> Result<(), Error> {
        let committing = suite.suite().commitment;
        let allowed = match self {
            CommitmentPolicy::ForbidEncryptAllowDecrypt => !committing,
            _ => committing,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::CommitmentPolicy {
                suite: suite.as_u16(),
                policy: self.as_str(),
            })
        }
    }

    /// Checks that a message with `suite` may be decrypted under this policy.
    pub fn check_decrypt(self, suite: AlgorithmSuiteId) -> Result<(), Error> {
        if self == CommitmentPolicy::RequireEncryptRequireDecrypt && !suite.suite().commitment {
            return Err(Error::CommitmentPolicy {
                suite: suite.as_u16(),
                policy: self.as_str(),
            });
        }
        Ok(())
    }
}

impl core::str::FromStr for CommitmentPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        [
            CommitmentPolicy::ForbidEncryptAllowDecrypt,
            CommitmentPolicy::RequireEncryptAllowDecrypt,
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(s) || p.as_str().replace('_', "-").eq_ignore_ascii_case(s))
        .ok_or(Error::InvalidArgument(
            "commitment policy must be FORBID_ENCRYPT_ALLOW_DECRYPT, REQUIRE_ENCRYPT_ALLOW_DECRYPT or REQUIRE_ENCRYPT_REQUIRE_DECRYPT",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_refused() {
        for id in AlgorithmSuiteId::ALL {
            assert_eq!(AlgorithmSuiteId::from_u16(id.as_u16()).unwrap(), id);
            assert_eq!(id.suite().id, id);
        }
        assert_eq!(
            AlgorithmSuiteId::from_u16(0x0479),
            Err(Error::Format(FormatError::UnknownSuite(0x0479)))
        );
    }

    #[test]
    fn committing_suites_are_exactly_the_v2_ones() {
        let v2: alloc::vec::Vec<u16> = AlgorithmSuiteId::ALL
            .iter()
            .filter(|s| s.suite().message_format_version == 2)
            .map(|s| s.as_u16())
            .collect();
        assert_eq!(v2, [0x0478, 0x0578]);
    }

    #[test]
    fn policies_gate_suites_as_the_sdk_does() {
        use AlgorithmSuiteId::*;
        let forbid = CommitmentPolicy::ForbidEncryptAllowDecrypt;
        let allow = CommitmentPolicy::RequireEncryptAllowDecrypt;
        let require = CommitmentPolicy::RequireEncryptRequireDecrypt;
        assert!(forbid.check_encrypt(Aes256GcmHkdfSha512CommitKey).is_err());
        assert!(forbid.check_encrypt(Aes256GcmIv12Tag16HkdfSha256).is_ok());
        assert!(allow.check_encrypt(Aes256GcmIv12Tag16HkdfSha256).is_err());
        assert!(allow.check_decrypt(Aes256GcmIv12Tag16HkdfSha256).is_ok());
        assert!(require.check_decrypt(Aes256GcmIv12Tag16HkdfSha256).is_err());
        assert!(
            require
                .check_decrypt(Aes256GcmHkdfSha512CommitKeyEcdsaP384)
                .is_ok()
        );
        assert_eq!(
            CommitmentPolicy::default().default_suite(),
            Aes256GcmHkdfSha512CommitKey
        );
        assert_eq!(
            "require-encrypt-allow-decrypt"
                .parse::<CommitmentPolicy>()
                .unwrap(),
            allow
        );
    }
}
