//! Cryptographic materials managers: they turn an encrypt or decrypt request
//! into materials, using a keyring (the default manager), enforcing required
//! context keys, or caching the results of another manager.

mod caching;
mod default;
mod required_context;

#[cfg(feature = "std")]
pub use caching::SystemClock;
pub use caching::{
    CacheStats, CachingMaterialsManager, CachingMaterialsManagerBuilder, Clock, DEFAULT_CAPACITY,
    DEFAULT_MAX_BYTES, DEFAULT_MAX_MESSAGES,
};
pub use default::DefaultMaterialsManager;
pub use required_context::RequiredEncryptionContextManager;

use alloc::string::String;
use alloc::vec::Vec;

use crate::LocalBoxFuture;
use crate::context::EncryptionContext;
use crate::error::Error;
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};
use crate::suite::{AlgorithmSuiteId, CommitmentPolicy};

/// An encryptor's request for materials.
#[derive(Debug, Clone)]
pub struct EncryptionMaterialsRequest {
    /// The caller's encryption context (reserved keys already refused).
    pub encryption_context: EncryptionContext,
    /// The suite the caller asked for, or `None` for the policy's default.
    pub suite: Option<AlgorithmSuiteId>,
    /// The commitment policy in force.
    pub commitment_policy: CommitmentPolicy,
    /// The plaintext length if known in advance (one-shot encryption); a
    /// caching manager counts it against its byte limit.
    pub max_plaintext_length: Option<u64>,
    /// Context keys to authenticate without storing them in the message.
    pub required_encryption_context_keys: Vec<String>,
}

/// A decryptor's request for materials, made once the header is parsed.
#[derive(Debug, Clone)]
pub struct DecryptionMaterialsRequest {
    /// The message's suite.
    pub suite: AlgorithmSuiteId,
    /// The commitment policy in force.
    pub commitment_policy: CommitmentPolicy,
    /// The message's encrypted data keys.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// The encryption context stored in the message.
    pub encryption_context: EncryptionContext,
    /// The context the caller supplies again at decrypt (needed for keys
    /// that were authenticated but not stored).
    pub reproduced_encryption_context: Option<EncryptionContext>,
}

/// Produces materials for encryptors and decryptors.
pub trait MaterialsManager {
    /// Materials for encrypting one message.
    fn get_encryption_materials<'a>(
        &'a self,
        request: EncryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>>;

    /// Materials for decrypting one message.
    fn decrypt_materials<'a>(
        &'a self,
        request: DecryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>>;
}

impl<M: MaterialsManager + ?Sized> MaterialsManager for alloc::boxed::Box<M> {
    fn get_encryption_materials<'a>(
        &'a self,
        request: EncryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        (**self).get_encryption_materials(request)
    }

    fn decrypt_materials<'a>(
        &'a self,
        request: DecryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        (**self).decrypt_materials(request)
    }
}

impl<M: MaterialsManager + ?Sized> MaterialsManager for alloc::rc::Rc<M> {
    fn get_encryption_materials<'a>(
        &'a self,
        request: EncryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        (**self).get_encryption_materials(request)
    }

    fn decrypt_materials<'a>(
        &'a self,
        request: DecryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        (**self).decrypt_materials(request)
    }
}
