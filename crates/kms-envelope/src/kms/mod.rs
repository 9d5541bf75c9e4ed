//! AWS KMS keyrings and the client seam they call.
//!
//! - [`KmsKeyring`]: one KMS key (any identifier form); [`kms_multi_keyring`]
//!   combines a generator key with additional keys.
//! - [`KmsMrkKeyring`] and [`kms_mrk_multi_keyring`]: the same, decrypting
//!   with a multi-Region key's replica in the client's region.
//! - [`KmsDiscoveryKeyring`] and [`KmsMrkDiscoveryKeyring`]: decrypt with the
//!   key the message names, optionally limited by a [`DiscoveryFilter`].
//! - `KmsRsaKeyring` (feature `rsa`): wraps locally with a KMS RSA public key, unwraps with
//!   KMS Decrypt.
//!
//! A failed KMS call keeps its [`KmsError`] (in
//! [`KeyringFailure::kms`](crate::error::KeyringFailure::kms)), so
//! [`Error::code`](crate::Error::code) reports `AccessDenied`, `NotFound`,
//! `KeyUnavailable`, `Throttling`, ... rather than a generic keyring failure.

mod arn;
mod client;
mod discovery;
mod keyring;
mod multi;
#[cfg(feature = "rsa")]
mod rsa;

pub use arn::{
    DiscoveryFilter, KmsArn, KmsKeyIdentifier, KmsResourceType, MAX_KEY_ID_LEN, check_mrks_unique,
    mrk_match_for_decrypt,
};
pub use client::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, GenerateDataKeyRequest,
    GeneratedDataKey, KmsClient, KmsError, KmsErrorKind, PublicKeyResponse,
};
pub use discovery::{KmsDiscoveryKeyring, KmsMrkDiscoveryKeyring};
pub use keyring::{KmsKeyring, KmsMrkKeyring};
pub use multi::{
    KmsClientSupplier, kms_discovery_multi_keyring, kms_mrk_discovery_multi_keyring,
    kms_mrk_multi_keyring, kms_multi_keyring,
};
#[cfg(feature = "rsa")]
pub use rsa::{KmsRsaAlgorithm, KmsRsaKeyring};

/// The provider id of the KMS RSA keyring's encrypted data keys (known to
/// every build, so that a build without `rsa` still recognises them).
pub const AWS_KMS_RSA_PROVIDER_ID: &str = "aws-kms-rsa";

/// The RSA modulus sizes KMS has, in bits: RSA_2048 to RSA_4096. The KMS
/// RSA keyring and `verify` refuse KMS public keys outside it (rsa 0.10
/// itself parses moduli up to 8192 bits).
#[cfg(any(feature = "rsa", feature = "verify"))]
pub(crate) const RSA_MODULUS_BITS: core::ops::RangeInclusive<usize> = 2048..=4096;

/// Keys for the tests of the KMS RSA keyring and of `verify`.
#[cfg(test)]
#[cfg(any(feature = "rsa", feature = "verify"))]
pub(crate) mod test_keys {
    use alloc::vec::Vec;
    use pkcs8::EncodePublicKey as _;

    /// The SubjectPublicKeyInfo of an RSA public key with a `bits`-bit
    /// modulus, built rather than generated: only its size matters.
    pub(crate) fn rsa_spki_of_size(bits: u32) -> Vec<u8> {
        let modulus = alloc::vec![0xffu8; bits as usize / 8];
        ::rsa::PublicKey::new_unchecked(
            ::rsa::BoxedUint::from_be_slice(&modulus, bits).unwrap(),
            ::rsa::BoxedUint::from(65_537u32),
        )
        .to_public_key_der()
        .unwrap()
        .into_vec()
    }
}

// The in-memory KMS of the tests holds RSA keys too.
#[cfg(test)]
#[cfg(feature = "rsa")]
mod tests;
