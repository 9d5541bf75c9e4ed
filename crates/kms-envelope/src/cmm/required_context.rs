//! The required encryption context manager
//! (framework/required-encryption-context-cmm.md): named context keys are
//! authenticated but not stored in the message, so a decrypting caller must
//! supply them again.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::{DecryptionMaterialsRequest, EncryptionMaterialsRequest, MaterialsManager};
use crate::LocalBoxFuture;
use crate::error::{ContextError, Error};
use crate::materials::{DecryptionMaterials, EncryptionMaterials};

/// Wraps a manager so that every message binds the configured context keys
/// without storing them: encrypting needs them in the caller's context,
/// decrypting needs them in the reproduced context.
pub struct RequiredEncryptionContextManager {
    underlying: Box<dyn MaterialsManager>,
    required_keys: Vec<String>,
}

impl core::fmt::Debug for RequiredEncryptionContextManager {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RequiredEncryptionContextManager")
            .field("required_keys", &self.required_keys)
            .finish()
    }
}

impl RequiredEncryptionContextManager {
    /// Requires `required_keys` (at least one; duplicates are merged) on top
    /// of `underlying`.
    pub fn new(
        underlying: Box<dyn MaterialsManager>,
        required_keys: Vec<String>,
    ) -> Result<Self, Error> {
        let mut required_keys = required_keys;
        required_keys.sort_unstable();
        required_keys.dedup();
        if required_keys.is_empty() {
            return Err(Error::InvalidArgument(
                "required encryption context manager needs at least one key",
            ));
        }
        if let Some(reserved) = required_keys
            .iter()
            .find(|k| k.starts_with(crate::context::RESERVED_PREFIX))
        {
            return Err(ContextError::ReservedKey(reserved.clone()).into());
        }
        Ok(RequiredEncryptionContextManager {
            underlying,
            required_keys,
        })
    }

    /// The keys this manager requires, sorted.
    pub fn required_keys(&self) -> &[String] {
        &self.required_keys
    }

    async fn encryption_materials(
        &self,
        mut request: EncryptionMaterialsRequest,
    ) -> Result<EncryptionMaterials, Error> {
        for key in &self.required_keys {
            if !request.encryption_context.contains_key(key) {
                return Err(ContextError::MissingRequiredKey(key.clone()).into());
            }
            if !request.required_encryption_context_keys.contains(key) {
                request.required_encryption_context_keys.push(key.clone());
            }
        }
        let materials = self.underlying.get_encryption_materials(request).await?;
        // The underlying manager must not have dropped any: an unrecorded key
        // would be stored in the message instead of required.
        for key in &self.required_keys {
            if !materials.required_encryption_context_keys.contains(key) {
                return Err(ContextError::MissingRequiredKey(key.clone()).into());
            }
        }
        Ok(materials)
    }

    async fn decryption_materials(
        &self,
        request: DecryptionMaterialsRequest,
    ) -> Result<DecryptionMaterials, Error> {
        for key in &self.required_keys {
            let reproduced = request
                .reproduced_encryption_context
                .as_ref()
                .is_some_and(|c| c.contains_key(key));
            if !reproduced {
                return Err(ContextError::MissingRequiredKey(key.clone()).into());
            }
        }
        let materials = self.underlying.decrypt_materials(request).await?;
        for key in &self.required_keys {
            if !materials.encryption_context.contains_key(key) {
                return Err(ContextError::MissingRequiredKey(key.clone()).into());
            }
        }
        Ok(materials)
    }
}

impl MaterialsManager for RequiredEncryptionContextManager {
    fn get_encryption_materials<'a>(
        &'a self,
        request: EncryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        Box::pin(self.encryption_materials(request))
    }

    fn decrypt_materials<'a>(
        &'a self,
        request: DecryptionMaterialsRequest,
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        Box::pin(self.decryption_materials(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmm::DefaultMaterialsManager;
    use crate::context::EncryptionContext;
    use crate::keyring::RawAesKeyring;
    use crate::suite::CommitmentPolicy;

    fn manager(keys: &[&str]) -> RequiredEncryptionContextManager {
        let keyring = RawAesKeyring::new("ns", "k", &[3u8; 32]).unwrap();
        RequiredEncryptionContextManager::new(
            Box::new(DefaultMaterialsManager::new(keyring)),
            keys.iter().map(|k| String::from(*k)).collect(),
        )
        .unwrap()
    }

    fn request(context: EncryptionContext) -> EncryptionMaterialsRequest {
        EncryptionMaterialsRequest {
            encryption_context: context,
            suite: None,
            commitment_policy: CommitmentPolicy::default(),
            max_plaintext_length: None,
            required_encryption_context_keys: Vec::new(),
        }
    }

    #[test]
    fn encrypt_records_required_keys_and_refuses_a_context_without_them() {
        let cmm = manager(&["tenant", "region", "tenant"]);
        assert_eq!(cmm.required_keys(), ["region", "tenant"]);
        let full: EncryptionContext = [("tenant", "a"), ("region", "eu"), ("x", "1")]
            .into_iter()
            .collect();
        let m = pollster::block_on(cmm.get_encryption_materials(request(full.clone()))).unwrap();
        let mut keys = m.required_encryption_context_keys.clone();
        keys.sort();
        assert_eq!(keys, ["region", "tenant"]);
        let partial: EncryptionContext = [("tenant", "a")].into_iter().collect();
        assert_eq!(
            pollster::block_on(cmm.get_encryption_materials(request(partial))).unwrap_err(),
            Error::EncryptionContext(ContextError::MissingRequiredKey("region".into()))
        );

        // Decrypt: the message stores only "x"; both required keys must be
        // reproduced.
        let stored = full.without(["tenant", "region"]);
        let dec = |reproduced: Option<EncryptionContext>| DecryptionMaterialsRequest {
            suite: m.suite.id,
            commitment_policy: CommitmentPolicy::default(),
            encrypted_data_keys: m.encrypted_data_keys.clone(),
            encryption_context: stored.clone(),
            reproduced_encryption_context: reproduced,
        };
        let reproduced = full.restricted_to(["tenant", "region"]);
        let d = pollster::block_on(cmm.decrypt_materials(dec(Some(reproduced)))).unwrap();
        assert_eq!(d.data_key, m.data_key);
        assert_eq!(d.encryption_context, full);
        for missing in [None, Some(full.restricted_to(["tenant"]))] {
            assert_eq!(
                pollster::block_on(cmm.decrypt_materials(dec(missing))).unwrap_err(),
                Error::EncryptionContext(ContextError::MissingRequiredKey("region".into()))
            );
        }
    }

    #[test]
    fn construction_refuses_no_keys_and_reserved_keys() {
        let keyring = || {
            Box::new(DefaultMaterialsManager::new(
                RawAesKeyring::new("ns", "k", &[3u8; 32]).unwrap(),
            ))
        };
        assert!(RequiredEncryptionContextManager::new(keyring(), Vec::new()).is_err());
        assert!(
            RequiredEncryptionContextManager::new(keyring(), alloc::vec!["aws-crypto-x".into()])
                .is_err()
        );
    }
}
