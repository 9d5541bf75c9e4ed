//! Discovery keyrings (framework/aws-kms/aws-kms-discovery-keyring.md and
//! aws-kms-mrk-discovery-keyring.md): decrypt-only keyrings that ask KMS to
//! decrypt with whatever key ARN the message names, optionally limited to one
//! partition and a set of accounts.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::arn::DiscoveryFilter;
use super::client::KmsClient;
use super::keyring::{decrypt_data_key, recognise_kms_edk};
use crate::LocalBoxFuture;
use crate::error::Error;
use crate::keyring::{AWS_KMS_PROVIDER_ID, Keyring};
use crate::materials::{DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// What both discovery keyrings share.
struct Discovery {
    client: Rc<dyn KmsClient>,
    filter: Option<DiscoveryFilter>,
    grant_tokens: Vec<String>,
    /// Multi-Region aware: single-region keys only in the client's region,
    /// multi-Region keys through their replica in the client's region.
    mrk_aware: bool,
}

const CANNOT_ENCRYPT: Error = Error::InvalidArgument(
    "a KMS discovery keyring only decrypts: it names no KMS key to encrypt with; use a KMS keyring with a key id",
);

impl Discovery {
    async fn on_decrypt(
        &self,
        mut materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        if materials.data_key.is_some() {
            return Ok(materials);
        }
        let region = self.client.region();
        let mut failures = Vec::new();
        for edk in encrypted_data_keys {
            let Some(edk_arn) = recognise_kms_edk(edk, AWS_KMS_PROVIDER_ID, &mut failures)? else {
                continue;
            };
            let arn = edk_arn.arn();
            if let Some(filter) = &self.filter
                && !filter.allows(arn)
            {
                continue;
            }
            let key_id = if !self.mrk_aware {
                edk_arn.as_str().to_string()
            } else if arn.is_multi_region_key() {
                // The replica in this client's region holds the same key
                // material.
                arn.with_region(region).to_string()
            } else if arn.region() == region {
                edk_arn.as_str().to_string()
            } else {
                continue;
            };
            match decrypt_data_key(&*self.client, &key_id, edk, &materials, &self.grant_tokens)
                .await
            {
                Ok(data_key) => {
                    materials.set_data_key(data_key, key_id);
                    return Ok(materials);
                }
                Err(failure) => failures.push(failure),
            }
        }
        Err(Error::NoDecryptableDataKey { failures })
    }
}

/// Decrypts any `aws-kms` encrypted data key by asking KMS to decrypt with
/// the key ARN stored in the message (the caller's KMS permissions decide),
/// optionally only keys of one partition and a set of accounts. It cannot
/// encrypt.
pub struct KmsDiscoveryKeyring(Discovery);

impl KmsDiscoveryKeyring {
    /// A discovery keyring calling KMS through `client`.
    pub fn new(
        client: Rc<dyn KmsClient>,
        filter: Option<DiscoveryFilter>,
        grant_tokens: Vec<String>,
    ) -> Self {
        KmsDiscoveryKeyring(Discovery {
            client,
            filter,
            grant_tokens,
            mrk_aware: false,
        })
    }
}

/// A discovery keyring for the region of its client: it decrypts data keys
/// of single-region keys in that region, and data keys of multi-Region keys
/// from any region through their replica in that region (the message's ARN
/// with the region rewritten). It cannot encrypt.
pub struct KmsMrkDiscoveryKeyring(Discovery);

impl KmsMrkDiscoveryKeyring {
    /// A discovery keyring calling KMS through `client`, whose
    /// [`region`](KmsClient::region) must be set.
    pub fn new(
        client: Rc<dyn KmsClient>,
        filter: Option<DiscoveryFilter>,
        grant_tokens: Vec<String>,
    ) -> Result<Self, Error> {
        if client.region().is_empty() {
            return Err(Error::InvalidArgument(
                "an MRK discovery keyring needs a KMS client with a region",
            ));
        }
        Ok(KmsMrkDiscoveryKeyring(Discovery {
            client,
            filter,
            grant_tokens,
            mrk_aware: true,
        }))
    }
}

macro_rules! discovery_keyring {
    ($ty:ident) => {
        impl $ty {
            /// The discovery filter, if any.
            pub fn filter(&self) -> Option<&DiscoveryFilter> {
                self.0.filter.as_ref()
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("region", &self.0.client.region())
                    .field("filter", &self.0.filter)
                    .field("grant_tokens", &self.0.grant_tokens.len())
                    .finish()
            }
        }

        impl Keyring for $ty {
            fn on_encrypt<'a>(
                &'a self,
                _materials: EncryptionMaterials,
            ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
                Box::pin(core::future::ready(Err(CANNOT_ENCRYPT)))
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

discovery_keyring!(KmsDiscoveryKeyring);
discovery_keyring!(KmsMrkDiscoveryKeyring);
