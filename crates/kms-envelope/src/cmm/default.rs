//! The default materials manager (framework/default-cmm.md): picks the suite,
//! makes the signing key of signed suites, and asks one keyring for the data
//! key.

use alloc::boxed::Box;
use alloc::string::ToString;

use super::{DecryptionMaterialsRequest, EncryptionMaterialsRequest, MaterialsManager};
use crate::LocalBoxFuture;
use crate::context::{EncryptionContext, PUBLIC_KEY_KEY};
use crate::error::{ContextError, Error};
use crate::keyring::Keyring;
use crate::materials::{DecryptionMaterials, EncryptionMaterials};
use crate::signing::{SignatureKeys, SigningKey, VerificationKey};
use crate::suite::AlgorithmSuite;

/// The materials manager every message uses unless the caller supplies
/// another: suite selection under the commitment policy, signing keys for
/// signed suites (public key in the context under `aws-crypto-public-key`),
/// required encryption context keys, and one keyring for the data key.
pub struct DefaultMaterialsManager {
    keyring: Box<dyn Keyring>,
    signing_keys: Option<Box<dyn SignatureKeys>>,
}

impl core::fmt::Debug for DefaultMaterialsManager {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DefaultMaterialsManager")
    }
}

impl DefaultMaterialsManager {
    /// A manager that gets data keys from `keyring`.
    pub fn new(keyring: impl Keyring + 'static) -> Self {
        DefaultMaterialsManager {
            keyring: Box::new(keyring),
            signing_keys: None,
        }
    }

    /// The manager with signing keys made, and public keys read, by `keys`
    /// (a platform's native ECDSA) instead of [`SigningKey::generate`] and
    /// [`VerificationKey::from_base64`].
    pub fn with_signature_keys(mut self, keys: impl SignatureKeys + 'static) -> Self {
        self.signing_keys = Some(Box::new(keys));
        self
    }

    async fn encryption_materials(
        &self,
        request: EncryptionMaterialsRequest,
    ) -> Result<EncryptionMaterials, Error> {
        let policy = request.commitment_policy;
        let suite_id = request.suite.unwrap_or(policy.default_suite());
        policy.check_encrypt(suite_id)?;
        let suite = suite_id.suite();
        suite.check_supported()?;

        let mut context = request.encryption_context;
        if context.contains_key(PUBLIC_KEY_KEY) {
            // Never overwrite: the caller's pair would silently change meaning.
            return Err(ContextError::ReservedKey(PUBLIC_KEY_KEY.to_string()).into());
        }
        for key in &request.required_encryption_context_keys {
            if !context.contains_key(key) {
                return Err(ContextError::MissingRequiredKey(key.clone()).into());
            }
        }
        let signing_key = match suite.signature {
            Some(alg) => {
                let key = match &self.signing_keys {
                    Some(generator) => generator.generate(alg).await?,
                    None => SigningKey::generate(alg)?,
                };
                if key.algorithm() != alg {
                    return Err(Error::InvalidArgument(
                        "the signing key generator made a key of another curve",
                    ));
                }
                context.insert(PUBLIC_KEY_KEY, key.public_key_base64());
                Some(key)
            }
            None => None,
        };
        let mut materials = EncryptionMaterials::new(suite, context);
        materials.signing_key = signing_key;
        materials.required_encryption_context_keys = request.required_encryption_context_keys;

        let materials = self.keyring.on_encrypt(materials).await?;
        check_data_key(suite, materials.data_key.as_ref().map(|k| k.as_bytes()))?;
        if materials.encrypted_data_keys.is_empty() {
            return Err(Error::InvalidArgument(
                "keyring returned no encrypted data key",
            ));
        }
        Ok(materials)
    }

    async fn decryption_materials(
        &self,
        request: DecryptionMaterialsRequest,
    ) -> Result<DecryptionMaterials, Error> {
        request.commitment_policy.check_decrypt(request.suite)?;
        let suite = request.suite.suite();
        suite.check_supported()?;
        let (context, required_keys) = merge_reproduced(
            request.encryption_context,
            request.reproduced_encryption_context.as_ref(),
        )?;
        let verification_key = match (suite.signature, context.get(PUBLIC_KEY_KEY)) {
            (Some(alg), Some(b64)) => Some(match &self.signing_keys {
                Some(keys) => keys.verification_key(alg, b64).await?,
                None => VerificationKey::from_base64(alg, b64)?,
            }),
            (Some(_), None) => return Err(ContextError::MissingPublicKey.into()),
            (None, Some(_)) => return Err(ContextError::UnexpectedPublicKey.into()),
            (None, None) => None,
        };
        let mut materials = DecryptionMaterials::new(suite, context);
        materials.verification_key = verification_key;
        materials.required_encryption_context_keys = required_keys;

        let materials = self
            .keyring
            .on_decrypt(materials, &request.encrypted_data_keys)
            .await?;
        check_data_key(suite, materials.data_key.as_ref().map(|k| k.as_bytes()))?;
        Ok(materials)
    }
}

/// Checks the reproduced context against the stored one (equal values where
/// both have a key) and appends the reproduced pairs the message does not
/// store; those keys are returned as the required ones.
fn merge_reproduced(
    mut stored: EncryptionContext,
    reproduced: Option<&EncryptionContext>,
) -> Result<(EncryptionContext, alloc::vec::Vec<alloc::string::String>), Error> {
    let mut required = alloc::vec::Vec::new();
    for (key, value) in reproduced.into_iter().flat_map(EncryptionContext::iter) {
        match stored.get(key) {
            Some(v) if v == value => {}
            Some(_) => {
                return Err(ContextError::Mismatch {
                    key: key.to_string(),
                }
                .into());
            }
            None => {
                stored.insert(key, value);
                required.push(key.to_string());
            }
        }
    }
    Ok((stored, required))
}

fn check_data_key(suite: &AlgorithmSuite, key: Option<&[u8]>) -> Result<(), Error> {
    match key {
        Some(bytes) if bytes.len() == suite.data_key_len() => Ok(()),
        Some(_) => Err(Error::InvalidKey(
            "keyring returned a data key of the wrong length for the suite",
        )),
        None => Err(Error::InvalidArgument("keyring returned no data key")),
    }
}

impl MaterialsManager for DefaultMaterialsManager {
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
    use crate::keyring::RawAesKeyring;
    use crate::suite::{AlgorithmSuiteId, CommitmentPolicy};
    use alloc::vec::Vec;

    fn manager() -> DefaultMaterialsManager {
        DefaultMaterialsManager::new(RawAesKeyring::new("ns", "k", &[5u8; 32]).unwrap())
    }

    fn enc_request(
        suite: Option<AlgorithmSuiteId>,
        policy: CommitmentPolicy,
        context: EncryptionContext,
    ) -> EncryptionMaterialsRequest {
        EncryptionMaterialsRequest {
            encryption_context: context,
            suite,
            commitment_policy: policy,
            max_plaintext_length: None,
            required_encryption_context_keys: Vec::new(),
        }
    }

    fn dec_request(
        m: &EncryptionMaterials,
        policy: CommitmentPolicy,
    ) -> DecryptionMaterialsRequest {
        DecryptionMaterialsRequest {
            suite: m.suite.id,
            commitment_policy: policy,
            encrypted_data_keys: m.encrypted_data_keys.clone(),
            encryption_context: m.encryption_context.clone(),
            reproduced_encryption_context: None,
        }
    }

    #[cfg(feature = "ecdsa")]
    fn ctx() -> EncryptionContext {
        [("purpose", "test")].into_iter().collect()
    }

    // Uses signed suites.
    #[cfg(feature = "ecdsa")]
    #[test]
    fn every_suite_round_trips_under_a_policy_that_allows_it() {
        let cmm = manager();
        for suite in AlgorithmSuiteId::ALL {
            let policy = if suite.suite().commitment {
                CommitmentPolicy::RequireEncryptRequireDecrypt
            } else {
                CommitmentPolicy::ForbidEncryptAllowDecrypt
            };
            let m = pollster::block_on(cmm.get_encryption_materials(enc_request(
                Some(suite),
                policy,
                ctx(),
            )))
            .unwrap();
            assert_eq!(m.suite.id, suite);
            let signed = suite.suite().signature.is_some();
            assert_eq!(m.signing_key.is_some(), signed);
            assert_eq!(m.encryption_context.contains_key(PUBLIC_KEY_KEY), signed);
            assert_eq!(m.encryption_context.get("purpose"), Some("test"));
            let d = pollster::block_on(cmm.decrypt_materials(dec_request(&m, policy))).unwrap();
            assert_eq!(d.data_key, m.data_key);
            assert_eq!(d.verification_key.is_some(), signed);
            if let (Some(sk), Some(vk)) = (&m.signing_key, &d.verification_key) {
                let digest = [7u8; 48];
                let digest = &digest[..if sk.algorithm()
                    == crate::suite::SignatureAlgorithm::EcdsaP256Sha256
                {
                    32
                } else {
                    48
                }];
                vk.verify_digest(digest, &sk.sign_digest(digest).unwrap())
                    .unwrap();
            }
        }
    }

    // Uses signed suites.
    #[cfg(feature = "ecdsa")]
    #[test]
    fn default_suite_follows_the_policy_and_requested_suites_are_checked() {
        let cmm = manager();
        let m = pollster::block_on(cmm.get_encryption_materials(enc_request(
            None,
            CommitmentPolicy::RequireEncryptRequireDecrypt,
            ctx(),
        )))
        .unwrap();
        assert_eq!(m.suite.id, AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey);
        let m = pollster::block_on(cmm.get_encryption_materials(enc_request(
            None,
            CommitmentPolicy::ForbidEncryptAllowDecrypt,
            ctx(),
        )))
        .unwrap();
        assert_eq!(
            m.suite.id,
            AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha384EcdsaP384
        );
        for (suite, policy) in [
            (
                AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha256,
                CommitmentPolicy::RequireEncryptAllowDecrypt,
            ),
            (
                AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey,
                CommitmentPolicy::ForbidEncryptAllowDecrypt,
            ),
        ] {
            let err = pollster::block_on(cmm.get_encryption_materials(enc_request(
                Some(suite),
                policy,
                ctx(),
            )))
            .unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::CommitmentPolicy);
        }
        // Decrypting a legacy message under REQUIRE_REQUIRE is refused.
        let legacy = pollster::block_on(cmm.get_encryption_materials(enc_request(
            Some(AlgorithmSuiteId::Aes256GcmIv12Tag16HkdfSha256),
            CommitmentPolicy::ForbidEncryptAllowDecrypt,
            ctx(),
        )))
        .unwrap();
        let err = pollster::block_on(cmm.decrypt_materials(dec_request(
            &legacy,
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        )))
        .unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::CommitmentPolicy);
    }

    // Uses signed suites.
    #[cfg(feature = "ecdsa")]
    #[test]
    fn public_key_pair_is_refused_from_callers_and_checked_on_decrypt() {
        let cmm = manager();
        let mut with_pk = ctx();
        with_pk.insert(PUBLIC_KEY_KEY, "AAAA");
        let err = pollster::block_on(cmm.get_encryption_materials(enc_request(
            None,
            CommitmentPolicy::default(),
            with_pk,
        )))
        .unwrap_err();
        assert!(matches!(
            err,
            Error::EncryptionContext(ContextError::ReservedKey(_))
        ));

        let policy = CommitmentPolicy::default();
        let signed = pollster::block_on(cmm.get_encryption_materials(enc_request(
            Some(AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKeyEcdsaP384),
            policy,
            ctx(),
        )))
        .unwrap();
        let mut missing = dec_request(&signed, policy);
        missing.encryption_context.remove(PUBLIC_KEY_KEY);
        assert_eq!(
            pollster::block_on(cmm.decrypt_materials(missing)).unwrap_err(),
            Error::EncryptionContext(ContextError::MissingPublicKey)
        );
        let mut garbage = dec_request(&signed, policy);
        garbage
            .encryption_context
            .insert(PUBLIC_KEY_KEY, "not a point");
        assert_eq!(
            pollster::block_on(cmm.decrypt_materials(garbage))
                .unwrap_err()
                .code(),
            crate::ErrorCode::InvalidKey
        );

        let unsigned =
            pollster::block_on(cmm.get_encryption_materials(enc_request(None, policy, ctx())))
                .unwrap();
        let mut unexpected = dec_request(&unsigned, policy);
        unexpected.encryption_context.insert(
            PUBLIC_KEY_KEY,
            signed.encryption_context.get(PUBLIC_KEY_KEY).unwrap(),
        );
        assert_eq!(
            pollster::block_on(cmm.decrypt_materials(unexpected)).unwrap_err(),
            Error::EncryptionContext(ContextError::UnexpectedPublicKey)
        );
    }

    #[test]
    fn required_keys_must_be_in_the_context_and_come_back_from_the_reproduced_one() {
        let cmm = manager();
        let policy = CommitmentPolicy::default();
        let context: EncryptionContext = [("tenant", "a"), ("purpose", "x")].into_iter().collect();
        let mut request = enc_request(None, policy, context.clone());
        request.required_encryption_context_keys = alloc::vec!["tenant".into()];
        let m = pollster::block_on(cmm.get_encryption_materials(request.clone())).unwrap();
        assert_eq!(m.required_encryption_context_keys, ["tenant"]);

        let mut absent = request;
        absent.required_encryption_context_keys = alloc::vec!["region".into()];
        assert_eq!(
            pollster::block_on(cmm.get_encryption_materials(absent)).unwrap_err(),
            Error::EncryptionContext(ContextError::MissingRequiredKey("region".into()))
        );

        // The message stores only "purpose"; the caller reproduces "tenant".
        let mut req = dec_request(&m, policy);
        req.encryption_context.remove("tenant");
        let mut ok = req.clone();
        ok.reproduced_encryption_context = Some([("tenant", "a")].into_iter().collect());
        let d = pollster::block_on(cmm.decrypt_materials(ok)).unwrap();
        assert_eq!(d.data_key, m.data_key);
        assert_eq!(d.required_encryption_context_keys, ["tenant"]);
        assert_eq!(d.encryption_context, context);

        // Without it, the keyring's AAD differs and the key does not unwrap.
        let err = pollster::block_on(cmm.decrypt_materials(req.clone())).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::NoDecryptableDataKey);

        // A reproduced pair that contradicts a stored one is refused.
        let mut clash = req;
        clash.reproduced_encryption_context = Some([("purpose", "y")].into_iter().collect());
        assert_eq!(
            pollster::block_on(cmm.decrypt_materials(clash)).unwrap_err(),
            Error::EncryptionContext(ContextError::Mismatch {
                key: "purpose".into()
            })
        );
    }
}
