//! The raw AES keyring: wraps data keys under a caller-held AES-GCM key,
//! exactly as the AWS Encryption SDK's raw AES keyring does, so that the
//! encrypted data keys it writes are read by the SDKs and the reverse.
//!
//! Encrypted data key layout (framework/raw-aes-keyring.md):
//! - provider id: the key namespace;
//! - provider info: key name || tag length in bits (u32 BE, 128) ||
//!   IV length in bytes (u32 BE, 12) || IV;
//! - ciphertext: AES-GCM(data key) || tag, with the serialized encryption
//!   context as additional authenticated data.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

use super::{Keyring, check_namespace, no_decryptable_key};
use crate::LocalBoxFuture;
use crate::cipher::ContentCipher;
use crate::error::{Error, KeyringFailure};
use crate::materials::{DataKey, DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

const TAG_LEN_BITS: u32 = 128;
const TAG_LEN: usize = 16;
const IV_LEN: usize = 12;

/// A keyring that wraps data keys with a local AES-GCM key (128, 192 or 256
/// bits). The wrapping key is kept only as its expanded AES-GCM state,
/// prepared once (a key schedule and the GHASH key per wrap were a tenth
/// of a small message's AES work); it zeroizes on drop and never prints.
pub struct RawAesKeyring {
    key_namespace: String,
    key_name: String,
    cipher: ContentCipher,
}

impl fmt::Debug for RawAesKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawAesKeyring")
            .field("key_namespace", &self.key_namespace)
            .field("key_name", &self.key_name)
            .field(
                "wrapping_key",
                &format_args!("<{} bits redacted>", self.cipher.key_bits()),
            )
            .finish()
    }
}

impl RawAesKeyring {
    /// A keyring for `wrapping_key` (16, 24 or 32 bytes), identified in
    /// encrypted data keys by `key_namespace` (the provider id; `aws-kms` is
    /// refused) and `key_name`.
    pub fn new(key_namespace: &str, key_name: &str, wrapping_key: &[u8]) -> Result<Self, Error> {
        check_namespace(key_namespace)?;
        if !matches!(wrapping_key.len(), 16 | 24 | 32) {
            return Err(Error::InvalidKey(
                "raw AES wrapping key must be 16, 24 or 32 bytes",
            ));
        }
        Ok(RawAesKeyring {
            key_namespace: key_namespace.to_string(),
            key_name: key_name.to_string(),
            cipher: ContentCipher::new(wrapping_key)?,
        })
    }

    /// The provider info prefix every key of this keyring starts with.
    fn info_prefix(&self) -> Vec<u8> {
        let mut info = Vec::with_capacity(self.key_name.len() + 8 + IV_LEN);
        info.extend_from_slice(self.key_name.as_bytes());
        info.extend_from_slice(&TAG_LEN_BITS.to_be_bytes());
        info.extend_from_slice(&(IV_LEN as u32).to_be_bytes());
        info
    }

    fn label(&self) -> String {
        format!("{}/{}", self.key_namespace, self.key_name)
    }

    /// The IV of `edk` if this keyring wrote it; `None` means "not mine".
    fn recognise(&self, edk: &EncryptedDataKey) -> Option<[u8; IV_LEN]> {
        if edk.provider_id != self.key_namespace {
            return None;
        }
        let prefix = self.info_prefix();
        let iv = edk.provider_info.strip_prefix(prefix.as_slice())?;
        // The spec attempts any ciphertext that splits into key and tag; a
        // wrong length then fails as "mine" rather than being skipped.
        if edk.ciphertext.len() < TAG_LEN {
            return None;
        }
        iv.try_into().ok()
    }

    fn seal(&self, iv: &[u8; IV_LEN], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, Error> {
        // Zeroizing until sealed: on an error it would still hold the key.
        let mut out = Zeroizing::new(Vec::with_capacity(plaintext.len() + TAG_LEN));
        out.extend_from_slice(plaintext);
        let tag = self.cipher.seal_in_place(iv, aad, &mut out)?;
        out.extend_from_slice(&tag);
        Ok(core::mem::take(&mut *out))
    }

    /// Opens `ciphertext || tag`; `None` when it does not authenticate.
    fn open(&self, iv: &[u8; IV_LEN], ciphertext: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let (body, tag) = ciphertext.split_at(ciphertext.len().checked_sub(TAG_LEN)?);
        let tag: &[u8; TAG_LEN] = tag.try_into().ok()?;
        let mut out = Zeroizing::new(body.to_vec());
        self.cipher
            .open_in_place(iv, aad, &mut out, tag, Error::InvalidArgument("tag"))
            .ok()?;
        Some(out)
    }

    fn encrypt_sync(
        &self,
        mut materials: EncryptionMaterials,
    ) -> Result<EncryptionMaterials, Error> {
        let aad = materials.encryption_context.serialize()?;
        let data_key = match materials.data_key.take() {
            Some(key) => key,
            None => DataKey::generate(materials.suite)?,
        };
        let mut iv = [0u8; IV_LEN];
        crate::random::fill(&mut iv)?;
        let ciphertext = self.seal(&iv, data_key.as_bytes(), &aad)?;
        let mut provider_info = self.info_prefix();
        provider_info.extend_from_slice(&iv);
        materials.encrypted_data_keys.push(EncryptedDataKey {
            provider_id: self.key_namespace.clone(),
            provider_info,
            ciphertext,
        });
        materials.data_key = Some(data_key);
        Ok(materials)
    }

    fn decrypt_sync(
        &self,
        mut materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        if materials.data_key.is_some() {
            return Ok(materials);
        }
        let aad = materials.encryption_context.serialize()?;
        let mut failures = Vec::new();
        for edk in encrypted_data_keys {
            let Some(iv) = self.recognise(edk) else {
                continue;
            };
            match self.open(&iv, &edk.ciphertext, &aad) {
                Some(plaintext) if plaintext.len() == materials.suite.data_key_len() => {
                    let data_key = DataKey::new(plaintext.to_vec(), materials.suite)?;
                    materials.set_data_key(data_key, self.label());
                    return Ok(materials);
                }
                _ => failures.push(KeyringFailure::new(
                    self.label(),
                    "encrypted data key does not authenticate under this wrapping key and encryption context",
                )),
            }
        }
        Err(no_decryptable_key(failures))
    }
}

impl Keyring for RawAesKeyring {
    fn on_encrypt<'a>(
        &'a self,
        materials: EncryptionMaterials,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        let result = self.encrypt_sync(materials);
        alloc::boxed::Box::pin(core::future::ready(result))
    }

    fn on_decrypt<'a>(
        &'a self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &'a [EncryptedDataKey],
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        let result = self.decrypt_sync(materials, encrypted_data_keys);
        alloc::boxed::Box::pin(core::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::EncryptionContext;
    use crate::suite::AlgorithmSuiteId;

    fn ctx() -> EncryptionContext {
        [("purpose", "test"), ("tenant", "a")].into_iter().collect()
    }

    fn enc(keyring: &RawAesKeyring, suite: AlgorithmSuiteId) -> EncryptionMaterials {
        pollster::block_on(keyring.on_encrypt(EncryptionMaterials::new(suite.suite(), ctx())))
            .unwrap()
    }

    fn dec(
        keyring: &RawAesKeyring,
        suite: AlgorithmSuiteId,
        context: EncryptionContext,
        edks: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        pollster::block_on(
            keyring.on_decrypt(DecryptionMaterials::new(suite.suite(), context), edks),
        )
    }

    #[test]
    fn round_trips_for_every_wrapping_key_size_and_suite() {
        for key_len in [16, 24, 32] {
            let keyring = RawAesKeyring::new("ns", "name", &alloc::vec![7u8; key_len]).unwrap();
            for suite in AlgorithmSuiteId::ALL {
                let m = enc(&keyring, suite);
                let edk = &m.encrypted_data_keys[0];
                assert_eq!(edk.provider_id, "ns");
                assert_eq!(&edk.provider_info[..4], b"name");
                assert_eq!(&edk.provider_info[4..12], &[0, 0, 0, 128, 0, 0, 0, 12]);
                assert_eq!(edk.provider_info.len(), 4 + 8 + 12);
                assert_eq!(edk.ciphertext.len(), suite.suite().data_key_len() + 16);
                let d = dec(&keyring, suite, ctx(), &m.encrypted_data_keys).unwrap();
                assert_eq!(d.data_key, m.data_key);
            }
        }
    }

    #[test]
    fn wraps_an_existing_data_key_without_replacing_it() {
        let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey.suite();
        let key = DataKey::new(alloc::vec![9u8; 32], suite).unwrap();
        let mut m = EncryptionMaterials::new(suite, ctx());
        m.data_key = Some(key.clone());
        let keyring = RawAesKeyring::new("ns", "k", &[1u8; 32]).unwrap();
        let m = pollster::block_on(keyring.on_encrypt(m)).unwrap();
        assert_eq!(m.data_key, Some(key));
    }

    #[test]
    fn other_namespaces_names_and_shapes_are_not_mine() {
        let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
        let keyring = RawAesKeyring::new("ns", "name", &[1u8; 32]).unwrap();
        let m = enc(&keyring, suite);
        let edk = m.encrypted_data_keys[0].clone();
        let mut variants = Vec::new();
        let mut e = edk.clone();
        e.provider_id = "other".into();
        variants.push(e);
        let mut e = edk.clone();
        e.provider_info[0] ^= 1; // another key name
        variants.push(e);
        let mut e = edk.clone();
        e.provider_info[7] = 96; // tag length 96 bits
        variants.push(e);
        let mut e = edk.clone();
        e.provider_info.pop(); // IV of 11 bytes
        variants.push(e);
        let mut e = edk.clone();
        e.ciphertext.truncate(15); // too short to hold a tag
        variants.push(e);
        for v in variants {
            // Not mine: no failure recorded.
            assert_eq!(
                dec(&keyring, suite, ctx(), &[v]).unwrap_err(),
                Error::NoDecryptableDataKey {
                    failures: Vec::new()
                }
            );
        }
    }

    #[test]
    fn tampering_wrong_key_or_wrong_context_is_mine_but_failed() {
        let suite = AlgorithmSuiteId::Aes128GcmIv12Tag16HkdfSha256;
        let keyring = RawAesKeyring::new("ns", "name", &[1u8; 16]).unwrap();
        let m = enc(&keyring, suite);
        let mut tampered = m.encrypted_data_keys[0].clone();
        tampered.ciphertext[3] ^= 0x40;
        let mut tampered_iv = m.encrypted_data_keys[0].clone();
        *tampered_iv.provider_info.last_mut().unwrap() ^= 1;
        let mut short = m.encrypted_data_keys[0].clone();
        short.ciphertext.pop();
        let other_key = RawAesKeyring::new("ns", "name", &[2u8; 16]).unwrap();
        let mut other_ctx = ctx();
        other_ctx.insert("tenant", "b");
        let cases = [
            dec(&keyring, suite, ctx(), &[tampered]),
            dec(&keyring, suite, ctx(), &[tampered_iv]),
            dec(&keyring, suite, ctx(), &[short]),
            dec(&other_key, suite, ctx(), &m.encrypted_data_keys),
            dec(&keyring, suite, other_ctx, &m.encrypted_data_keys),
            dec(
                &keyring,
                suite,
                EncryptionContext::new(),
                &m.encrypted_data_keys,
            ),
        ];
        for result in cases {
            match result.unwrap_err() {
                Error::NoDecryptableDataKey { failures } => {
                    assert_eq!(failures.len(), 1);
                    assert_eq!(failures[0].keyring, "ns/name");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn skips_foreign_and_failing_keys_until_one_decrypts() {
        let suite = AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey;
        let keyring = RawAesKeyring::new("ns", "name", &[1u8; 32]).unwrap();
        let m = enc(&keyring, suite);
        let good = m.encrypted_data_keys[0].clone();
        let mut bad = good.clone();
        bad.ciphertext[0] ^= 1;
        let foreign = EncryptedDataKey {
            provider_id: "aws-kms".into(),
            provider_info: b"arn".to_vec(),
            ciphertext: alloc::vec![0; 48],
        };
        let d = dec(&keyring, suite, ctx(), &[foreign, bad, good]).unwrap();
        assert_eq!(d.data_key, m.data_key);
    }

    #[test]
    fn refuses_bad_key_sizes_and_the_kms_namespace_and_never_prints_the_key() {
        for len in [0, 15, 17, 31, 33, 64] {
            assert!(RawAesKeyring::new("ns", "k", &alloc::vec![0; len]).is_err());
        }
        assert!(matches!(
            RawAesKeyring::new("aws-kms", "k", &[0; 32]),
            Err(Error::InvalidArgument(_))
        ));
        let keyring = RawAesKeyring::new("ns", "k", &[0xAB; 32]).unwrap();
        let printed = format!("{keyring:?}");
        assert!(!printed.contains("171") && !printed.to_lowercase().contains("ab, "));
        assert!(printed.contains("<256 bits redacted>"), "{printed}");
        for (len, bits) in [(16, "<128 bits"), (24, "<192 bits")] {
            let keyring = RawAesKeyring::new("ns", "k", &alloc::vec![0xAB; len]).unwrap();
            assert!(format!("{keyring:?}").contains(bits));
        }
    }
}
