//! The AWS KMS keyring (framework/aws-kms/aws-kms-keyring.md) and its
//! multi-Region-key-aware twin (aws-kms-mrk-keyring.md): one KMS key wraps
//! and unwraps data keys; provider info is the key ARN KMS answered with.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::arn::{KmsArn, KmsKeyIdentifier, mrk_match_for_decrypt};
use super::client::{DecryptRequest, EncryptRequest, GenerateDataKeyRequest, KmsClient, KmsError};
use crate::LocalBoxFuture;
use crate::error::{Error, KeyringFailure};
use crate::keyring::{AWS_KMS_PROVIDER_ID, Keyring};
use crate::materials::{DataKey, DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// How a keyring decides an encrypted data key's ARN is its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matching {
    /// The provider info must equal the configured identifier exactly.
    Exact,
    /// Multi-Region keys match across regions (mrk-match-for-decrypt).
    MultiRegion,
}

/// What the strict and MRK keyrings share.
struct SingleKey {
    key_id: String,
    client: Rc<dyn KmsClient>,
    grant_tokens: Vec<String>,
    matching: Matching,
}

impl SingleKey {
    fn new(
        key_id: &str,
        client: Rc<dyn KmsClient>,
        grant_tokens: Vec<String>,
        matching: Matching,
    ) -> Result<Self, Error> {
        KmsKeyIdentifier::parse(key_id)?;
        Ok(SingleKey {
            key_id: key_id.into(),
            client,
            grant_tokens,
            matching,
        })
    }

    async fn on_encrypt(
        &self,
        mut materials: EncryptionMaterials,
    ) -> Result<EncryptionMaterials, Error> {
        let suite = materials.suite;
        let edk = match &materials.data_key {
            None => {
                let number_of_bytes = u16::try_from(suite.data_key_len())
                    .map_err(|_| Error::InvalidArgument("data key length exceeds u16"))?;
                let mut response = self
                    .client
                    .generate_data_key(GenerateDataKeyRequest {
                        key_id: &self.key_id,
                        number_of_bytes,
                        encryption_context: &materials.encryption_context,
                        grant_tokens: &self.grant_tokens,
                    })
                    .await
                    .map_err(|e| kms_failure(&self.key_id, e))?;
                if response.plaintext.len() != suite.data_key_len() {
                    return Err(malformed(
                        &self.key_id,
                        format!(
                            "GenerateDataKey returned a {}-byte data key, the algorithm suite needs {}",
                            response.plaintext.len(),
                            suite.data_key_len()
                        ),
                    ));
                }
                check_response_arn(&self.key_id, "GenerateDataKey", &response.key_id)?;
                let data_key = DataKey::new(core::mem::take(&mut *response.plaintext), suite)?;
                materials.data_key = Some(data_key);
                kms_edk(response.key_id, response.ciphertext_blob)
            }
            Some(data_key) => {
                let response = self
                    .client
                    .encrypt(EncryptRequest {
                        key_id: &self.key_id,
                        plaintext: data_key.as_bytes(),
                        encryption_context: &materials.encryption_context,
                        grant_tokens: &self.grant_tokens,
                        encryption_algorithm: None,
                    })
                    .await
                    .map_err(|e| kms_failure(&self.key_id, e))?;
                check_response_arn(&self.key_id, "Encrypt", &response.key_id)?;
                kms_edk(response.key_id, response.ciphertext_blob)
            }
        };
        materials.encrypted_data_keys.push(edk);
        Ok(materials)
    }

    async fn on_decrypt(
        &self,
        mut materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        if materials.data_key.is_some() {
            return Ok(materials);
        }
        let mut failures = Vec::new();
        for edk in encrypted_data_keys {
            let Some(arn) = recognise_kms_edk(edk, AWS_KMS_PROVIDER_ID, &mut failures)? else {
                continue;
            };
            let mine = match self.matching {
                Matching::Exact => arn.as_str() == self.key_id,
                Matching::MultiRegion => mrk_match_for_decrypt(&self.key_id, arn.as_str()),
            };
            if !mine {
                continue;
            }
            match decrypt_data_key(
                &*self.client,
                &self.key_id,
                edk,
                &materials,
                &self.grant_tokens,
            )
            .await
            {
                Ok(data_key) => {
                    materials.set_data_key(data_key, self.key_id.clone());
                    return Ok(materials);
                }
                Err(failure) => failures.push(failure),
            }
        }
        Err(Error::NoDecryptableDataKey { failures })
    }
}

/// The failure label of a KMS keyring for `key_id`.
pub(super) fn label(key_id: &str) -> String {
    format!("{AWS_KMS_PROVIDER_ID} {key_id}")
}

/// A failed KMS call as the keyring error the caller sees.
pub(super) fn kms_failure(key_id: &str, error: KmsError) -> Error {
    Error::Keyring(KeyringFailure::kms(label(key_id), error))
}

/// A KMS answer that breaks the specification's checks.
pub(super) fn malformed(key_id: &str, message: String) -> Error {
    kms_failure(key_id, KmsError::malformed(message))
}

/// KMS must name the key it used by its key ARN; that ARN becomes the
/// provider info decryptors match against.
fn check_response_arn(key_id: &str, operation: &str, response_key_id: &str) -> Result<(), Error> {
    KmsArn::parse_key_arn(response_key_id).map_err(|_| {
        malformed(
            key_id,
            format!("{operation} answered with KeyId {response_key_id:?}, not a KMS key ARN"),
        )
    })?;
    Ok(())
}

fn kms_edk(key_arn: String, ciphertext: Vec<u8>) -> EncryptedDataKey {
    EncryptedDataKey {
        provider_id: AWS_KMS_PROVIDER_ID.into(),
        provider_info: key_arn.into_bytes(),
        ciphertext,
    }
}

/// A message's KMS key ARN, parsed.
pub(super) struct EdkArn {
    text: String,
    arn: KmsArn,
}

impl EdkArn {
    pub(super) fn as_str(&self) -> &str {
        &self.text
    }

    pub(super) fn arn(&self) -> &KmsArn {
        &self.arn
    }
}

/// `None` when the key is another provider's; the key ARN when it is
/// `provider_id`'s. Provider info that is not a key ARN fails the whole
/// decryption, as the specification requires (such a message was not written
/// by a conforming KMS keyring); the error keeps the `failures` collected so
/// far.
pub(super) fn recognise_kms_edk(
    edk: &EncryptedDataKey,
    provider_id: &str,
    failures: &mut Vec<KeyringFailure>,
) -> Result<Option<EdkArn>, Error> {
    if edk.provider_id != provider_id {
        return Ok(None);
    }
    let parsed = core::str::from_utf8(&edk.provider_info)
        .ok()
        .and_then(|s| Some((s, KmsArn::parse_key_arn(s).ok()?)));
    match parsed {
        Some((text, arn)) => Ok(Some(EdkArn {
            text: text.into(),
            arn,
        })),
        None => {
            let shown = String::from_utf8_lossy(&edk.provider_info);
            let shown: String = shown.chars().take(200).collect();
            failures.push(KeyringFailure::new(
                provider_id,
                format!("provider info {shown:?} of an {provider_id} encrypted data key is not a KMS key ARN"),
            ));
            Err(Error::NoDecryptableDataKey {
                failures: core::mem::take(failures),
            })
        }
    }
}

/// Decrypt one encrypted data key with `key_id`, checking that KMS used that
/// key and returned a data key of the suite's length.
pub(super) async fn decrypt_data_key(
    client: &dyn KmsClient,
    key_id: &str,
    edk: &EncryptedDataKey,
    materials: &DecryptionMaterials,
    grant_tokens: &[String],
) -> Result<DataKey, KeyringFailure> {
    let mut response = client
        .decrypt(DecryptRequest {
            key_id,
            ciphertext: &edk.ciphertext,
            encryption_context: &materials.encryption_context,
            grant_tokens,
            encryption_algorithm: None,
        })
        .await
        .map_err(|e| KeyringFailure::kms(label(key_id), e))?;
    if response.key_id != key_id {
        return Err(KeyringFailure::kms(
            label(key_id),
            KmsError::malformed(format!(
                "Decrypt answered for KeyId {:?}, not the requested {key_id:?}",
                response.key_id
            )),
        ));
    }
    let expected = materials.suite.data_key_len();
    if response.plaintext.len() != expected {
        return Err(KeyringFailure::kms(
            label(key_id),
            KmsError::malformed(format!(
                "Decrypt returned a {}-byte data key, the algorithm suite needs {expected}",
                response.plaintext.len()
            )),
        ));
    }
    DataKey::new(core::mem::take(&mut *response.plaintext), materials.suite)
        .map_err(|e| KeyringFailure::new(label(key_id), format!("{e}")))
}

/// A keyring for one AWS KMS key (framework/aws-kms/aws-kms-keyring.md).
///
/// On encrypt it calls GenerateDataKey when the materials hold no data key
/// yet, else Encrypt; the encrypted data key's provider info is the key ARN
/// KMS answered with. The key may be named in any form KMS accepts (key ARN,
/// key id, alias name or ARN). On decrypt it considers only encrypted data
/// keys whose ARN equals the configured identifier, so decryption needs the
/// key ARN; a key id or alias configures an encrypt-only keyring.
pub struct KmsKeyring(SingleKey);

impl KmsKeyring {
    /// A keyring for `key_id` calling KMS through `client`, passing
    /// `grant_tokens` with every request.
    pub fn new(
        key_id: &str,
        client: Rc<dyn KmsClient>,
        grant_tokens: Vec<String>,
    ) -> Result<Self, Error> {
        SingleKey::new(key_id, client, grant_tokens, Matching::Exact).map(KmsKeyring)
    }

    /// The configured key identifier.
    pub fn key_id(&self) -> &str {
        &self.0.key_id
    }
}

/// A keyring for one AWS KMS key that also decrypts with a multi-Region
/// key's replica (framework/aws-kms/aws-kms-mrk-keyring.md): configured with
/// `arn:...:us-west-2:...:key/mrk-1`, it decrypts data keys wrapped by
/// `arn:...:us-east-1:...:key/mrk-1`, calling KMS with its own ARN. For
/// single-region keys it behaves like [`KmsKeyring`].
pub struct KmsMrkKeyring(SingleKey);

impl KmsMrkKeyring {
    /// A keyring for `key_id` calling KMS through `client` (which should be
    /// in the key's region), passing `grant_tokens` with every request.
    pub fn new(
        key_id: &str,
        client: Rc<dyn KmsClient>,
        grant_tokens: Vec<String>,
    ) -> Result<Self, Error> {
        SingleKey::new(key_id, client, grant_tokens, Matching::MultiRegion).map(KmsMrkKeyring)
    }

    /// The configured key identifier.
    pub fn key_id(&self) -> &str {
        &self.0.key_id
    }
}

macro_rules! single_key_keyring {
    ($ty:ident) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("key_id", &self.0.key_id)
                    .field("region", &self.0.client.region())
                    .field("grant_tokens", &self.0.grant_tokens.len())
                    .finish()
            }
        }

        impl Keyring for $ty {
            fn on_encrypt<'a>(
                &'a self,
                materials: EncryptionMaterials,
            ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
                Box::pin(self.0.on_encrypt(materials))
            }

            fn on_decrypt<'a>(
                &'a self,
                materials: DecryptionMaterials,
                encrypted_data_keys: &'a [EncryptedDataKey],
            ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
                Box::pin(self.0.on_decrypt(materials, encrypted_data_keys))
            }
        }
    };
}

single_key_keyring!(KmsKeyring);
single_key_keyring!(KmsMrkKeyring);
