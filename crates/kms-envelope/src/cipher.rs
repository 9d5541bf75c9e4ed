//! The message's content key: derivation from the data key (identity or
//! HKDF, with the v2 key commitment) and the AES-GCM that seals and opens
//! the header tag and every frame.
//!
//! [`ContentCipher`] is the one seam through which frames are encrypted and
//! decrypted. The cipher is built once per message; frames are processed in
//! place. Bindings that want another AES-GCM (WebCrypto in a browser) can
//! detach it from the encryptor or body decryptor (see [`crate::detached`]):
//! the core then hands out each frame's IV, AAD and content instead.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce, Tag};
use hkdf::Hkdf;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::materials::DataKey;
use crate::suite::{AlgorithmSuite, Kdf};

type Aes192Gcm = AesGcm<aes::Aes192, U12>;

/// The keys of one message, derived from its data key.
pub(crate) struct MessageKeys {
    /// The content encryption key (zeroized on drop).
    pub(crate) key: Zeroizing<[u8; 32]>,
    /// Its length for the suite (16, 24 or 32).
    pub(crate) key_len: usize,
    /// The key commitment of a committing suite.
    pub(crate) commitment: Option<[u8; AlgorithmSuite::COMMITMENT_LEN]>,
}

impl MessageKeys {
    /// Derives the keys as the suite specifies: identity; HKDF with no salt
    /// and info = suite id || message id (v1); or HKDF-SHA512 with salt =
    /// message id, info = suite id || "DERIVEKEY" for the key and
    /// "COMMITKEY" for the commitment (v2).
    pub(crate) fn derive(
        suite: &AlgorithmSuite,
        data_key: &DataKey,
        message_id: &[u8],
    ) -> Result<Self, Error> {
        let ikm = data_key.as_bytes();
        let key_len = suite.encryption_key_len;
        if ikm.len() != suite.data_key_len() || key_len > 32 {
            return Err(Error::InvalidKey(
                "data key length does not match the algorithm suite",
            ));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        let out = key
            .get_mut(..key_len)
            .ok_or(Error::InvalidKey("key length"))?;
        let bad_len = |_| Error::InvalidKey("HKDF output length");
        let mut commitment = None;
        let mut info = Zeroizing::new([0u8; 2 + 32]);
        let suite_id = suite.id.to_be_bytes();
        match suite.kdf {
            Kdf::Identity => out.copy_from_slice(ikm),
            Kdf::HkdfSha256 | Kdf::HkdfSha384 => {
                let info = v1_info(&mut info, suite_id, message_id)?;
                if suite.kdf == Kdf::HkdfSha256 {
                    Hkdf::<sha2::Sha256>::new(None, ikm)
                        .expand(info, out)
                        .map_err(bad_len)?;
                } else {
                    Hkdf::<sha2::Sha384>::new(None, ikm)
                        .expand(info, out)
                        .map_err(bad_len)?;
                }
            }
            Kdf::HkdfSha512 => {
                let hk = Hkdf::<sha2::Sha512>::new(Some(message_id), ikm);
                let mut derive_info = [0u8; 2 + 9];
                derive_info[..2].copy_from_slice(&suite_id);
                derive_info[2..].copy_from_slice(b"DERIVEKEY");
                hk.expand(&derive_info, out).map_err(bad_len)?;
                let mut c = [0u8; AlgorithmSuite::COMMITMENT_LEN];
                hk.expand(b"COMMITKEY", &mut c).map_err(bad_len)?;
                commitment = Some(c);
            }
        }
        Ok(MessageKeys {
            key,
            key_len,
            commitment,
        })
    }

    /// Checks, in constant time, the header's commitment against the one
    /// derived from the data key.
    pub(crate) fn check_commitment(&self, header: Option<&[u8; 32]>) -> Result<(), Error> {
        match (&self.commitment, header) {
            (None, None) => Ok(()),
            (Some(ours), Some(theirs)) if bool::from(ours.ct_eq(theirs)) => Ok(()),
            _ => Err(Error::KeyCommitmentMismatch),
        }
    }

    /// A copy of the content key, for an AES-GCM outside the crate.
    pub(crate) fn content_key(&self) -> crate::detached::ContentKey {
        crate::detached::ContentKey::new(self.key.get(..self.key_len).unwrap_or_default())
    }

    /// The cipher for this message's content.
    pub(crate) fn cipher(&self) -> Result<ContentCipher, Error> {
        ContentCipher::new(self.key.get(..self.key_len).unwrap_or_default())
    }
}

fn v1_info<'a>(
    buf: &'a mut [u8; 34],
    suite_id: [u8; 2],
    message_id: &[u8],
) -> Result<&'a [u8], Error> {
    let len = 2 + message_id.len();
    let info = buf
        .get_mut(..len)
        .ok_or(Error::invalid_field("message id", "16 bytes"))?;
    let (id, mid) = info.split_at_mut(2);
    id.copy_from_slice(&suite_id);
    mid.copy_from_slice(message_id);
    Ok(info)
}

/// AES-GCM with a 12-byte IV and 16-byte tag, for the key sizes of the
/// suites. Encrypts and decrypts in place.
pub(crate) enum ContentCipher {
    Aes128(Aes128Gcm),
    Aes192(Aes192Gcm),
    Aes256(Aes256Gcm),
}

impl ContentCipher {
    /// A cipher for a 16-, 24- or 32-byte key.
    pub(crate) fn new(key: &[u8]) -> Result<Self, Error> {
        let bad = |_| Error::InvalidKey("content key length");
        Ok(match key.len() {
            16 => ContentCipher::Aes128(Aes128Gcm::new_from_slice(key).map_err(bad)?),
            24 => ContentCipher::Aes192(Aes192Gcm::new_from_slice(key).map_err(bad)?),
            32 => ContentCipher::Aes256(Aes256Gcm::new_from_slice(key).map_err(bad)?),
            _ => return Err(Error::InvalidKey("content key length")),
        })
    }

    /// The key's length in bits.
    pub(crate) fn key_bits(&self) -> usize {
        match self {
            ContentCipher::Aes128(_) => 128,
            ContentCipher::Aes192(_) => 192,
            ContentCipher::Aes256(_) => 256,
        }
    }

    /// Encrypts `buf` in place; returns the tag.
    pub(crate) fn seal_in_place(
        &self,
        iv: &[u8; AlgorithmSuite::IV_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; AlgorithmSuite::TAG_LEN], Error> {
        let nonce = Nonce::<U12>::from(*iv);
        let tag = match self {
            ContentCipher::Aes128(c) => c.encrypt_inout_detached(&nonce, aad, buf.into()),
            ContentCipher::Aes192(c) => c.encrypt_inout_detached(&nonce, aad, buf.into()),
            ContentCipher::Aes256(c) => c.encrypt_inout_detached(&nonce, aad, buf.into()),
        }
        // Only a plaintext over 2^36 bytes fails; frames are at most 2^32.
        .map_err(|_| Error::InvalidArgument("AES-GCM plaintext too long"))?;
        Ok(tag.into())
    }

    /// Decrypts `buf` in place if the tag verifies; otherwise leaves it
    /// unspecified and returns `err`.
    pub(crate) fn open_in_place(
        &self,
        iv: &[u8; AlgorithmSuite::IV_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; AlgorithmSuite::TAG_LEN],
        err: Error,
    ) -> Result<(), Error> {
        let nonce = Nonce::<U12>::from(*iv);
        let tag = Tag::from(*tag);
        match self {
            ContentCipher::Aes128(c) => c.decrypt_inout_detached(&nonce, aad, buf.into(), &tag),
            ContentCipher::Aes192(c) => c.decrypt_inout_detached(&nonce, aad, buf.into(), &tag),
            ContentCipher::Aes256(c) => c.decrypt_inout_detached(&nonce, aad, buf.into(), &tag),
        }
        .map_err(|_| err)
    }
}
