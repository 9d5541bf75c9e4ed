//! Keyrings: they generate, encrypt and decrypt data keys.
//!
//! A keyring answers "not mine" (it does not recognise an encrypted data
//! key, so decryption goes on to the next) distinctly from "mine but failed"
//! (it recognised the key and could not decrypt it, which is recorded and
//! reported if no keyring succeeds).

mod multi;
mod raw_aes;
#[cfg(feature = "rsa")]
mod raw_rsa;

pub use multi::MultiKeyring;
pub use raw_aes::RawAesKeyring;
#[cfg(feature = "rsa")]
pub use raw_rsa::{RawRsaKeyring, RsaPadding};

use alloc::vec::Vec;

use crate::LocalBoxFuture;
use crate::error::{Error, KeyringFailure};
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// The provider id of AWS KMS keyrings, which raw keyrings may not claim.
pub const AWS_KMS_PROVIDER_ID: &str = "aws-kms";

/// Refuses a raw keyring namespace that would be mistaken for AWS KMS.
fn check_namespace(key_namespace: &str) -> Result<(), Error> {
    if key_namespace == AWS_KMS_PROVIDER_ID {
        return Err(Error::InvalidArgument(
            "raw keyring key namespace must not be \"aws-kms\"",
        ));
    }
    Ok(())
}

/// The error a keyring returns when it decrypted nothing; `failures` lists
/// the keys it recognised but could not decrypt (empty: none was its own).
fn no_decryptable_key(failures: Vec<KeyringFailure>) -> Error {
    Error::NoDecryptableDataKey { failures }
}

/// Generates and encrypts data keys on encrypt; decrypts one on decrypt.
///
/// Futures need not be `Send`: in wasm a keyring holds JavaScript values.
pub trait Keyring {
    /// Adds an encrypted data key to `materials`, first generating the data
    /// key if none is set yet (a generator keyring) or failing if this
    /// keyring cannot generate one.
    fn on_encrypt<'a>(
        &'a self,
        materials: EncryptionMaterials,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>>;

    /// Sets the data key in `materials` from the first of `encrypted_data_keys`
    /// this keyring can decrypt. Returns the materials unchanged when a data
    /// key is already set; `NoDecryptableDataKey` (with the failures of keys
    /// it recognised) when it can decrypt none.
    fn on_decrypt<'a>(
        &'a self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &'a [EncryptedDataKey],
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>>;
}

impl<K: Keyring + ?Sized> Keyring for alloc::boxed::Box<K> {
    fn on_encrypt<'a>(
        &'a self,
        materials: EncryptionMaterials,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        (**self).on_encrypt(materials)
    }

    fn on_decrypt<'a>(
        &'a self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &'a [EncryptedDataKey],
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        (**self).on_decrypt(materials, encrypted_data_keys)
    }
}

impl<K: Keyring + ?Sized> Keyring for alloc::rc::Rc<K> {
    fn on_encrypt<'a>(
        &'a self,
        materials: EncryptionMaterials,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        (**self).on_encrypt(materials)
    }

    fn on_decrypt<'a>(
        &'a self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &'a [EncryptedDataKey],
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        (**self).on_decrypt(materials, encrypted_data_keys)
    }
}
