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

// The in-memory KMS of the tests holds RSA keys too.
#[cfg(test)]
#[cfg(feature = "rsa")]
mod tests;
