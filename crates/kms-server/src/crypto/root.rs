//! The root key that seals key material (and other server secrets) at rest.
//!
//! Sealed record, format 1:
//!
//! ```text
//! 0x01 | nonce (12 bytes, random) | AES-256-GCM ciphertext | tag (16 bytes)
//! ```
//!
//! The AAD binds what the record is and where it belongs: a purpose label,
//! the key id, the version and (for key material) the key spec, each
//! length-prefixed. A record copied to another key, version or purpose, or
//! read back as another spec, fails to open.

use core::fmt;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use kms_protocol::ops::KeySpec;
use zeroize::Zeroizing;

use super::error::CryptoError;
use super::material::{KeyMaterial, fill_random};

/// Length of a root key.
pub const ROOT_KEY_LEN: usize = 32;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

const PURPOSE_MATERIAL: &str = "kms-server key material v1";

/// The server's root key: AES-256-GCM with the key schedule done once.
/// The cipher zeroizes its key on drop; `Debug` shows nothing.
pub struct RootKey {
    cipher: Aes256Gcm,
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

impl RootKey {
    /// Fresh root key bytes from the OS random number generator, for the
    /// server to write to its owner-only root key file.
    pub fn generate_bytes() -> Result<Zeroizing<[u8; ROOT_KEY_LEN]>, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; ROOT_KEY_LEN]);
        fill_random(bytes.as_mut())?;
        Ok(bytes)
    }

    /// Loads a root key from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let cipher = Aes256Gcm::new_from_slice(bytes)
            .map_err(|_| CryptoError::length("root key", "exactly 32 bytes", bytes.len()))?;
        Ok(RootKey { cipher })
    }

    /// Seals key material of `key_id` at `version` for storage.
    pub fn seal_material(
        &self,
        material: &KeyMaterial,
        key_id: &str,
        version: u32,
    ) -> Result<Vec<u8>, CryptoError> {
        let plaintext = material.to_bytes()?;
        let aad = binding(PURPOSE_MATERIAL, key_id, version, material.spec().as_str());
        self.seal(&aad, &plaintext)
    }

    /// Opens a record made by [`RootKey::seal_material`] for the same key id,
    /// version and spec, and loads the material.
    pub fn unseal_material(
        &self,
        sealed: &[u8],
        key_id: &str,
        version: u32,
        spec: KeySpec,
    ) -> Result<KeyMaterial, CryptoError> {
        let aad = binding(PURPOSE_MATERIAL, key_id, version, spec.as_str());
        let plaintext = self.open(&aad, sealed)?;
        KeyMaterial::from_bytes(spec, &plaintext)
    }

    /// Seals any other server secret (an import wrapping key, an HMAC key of
    /// the audit chain...), bound to a purpose label, an id and a version.
    /// Use a distinct `purpose` per kind of secret.
    pub fn seal_secret(
        &self,
        purpose: &str,
        id: &str,
        version: u32,
        secret: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.seal(&binding(purpose, id, version, ""), secret)
    }

    /// Opens a record made by [`RootKey::seal_secret`] with the same purpose,
    /// id and version.
    pub fn open_secret(
        &self,
        purpose: &str,
        id: &str,
        version: u32,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.open(&binding(purpose, id, version, ""), sealed)
    }

    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
        out.push(FORMAT_V1);
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .cipher
            .encrypt_inout_detached(&Nonce::from(nonce), aad, (&mut out[1 + NONCE_LEN..]).into())
            .map_err(|_| CryptoError::Internal {
                step: "sealing under the root key",
            })?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < OVERHEAD || sealed.first() != Some(&FORMAT_V1) {
            return Err(CryptoError::SealedMaterialRejected);
        }
        let (nonce, rest) = sealed[1..].split_at(NONCE_LEN);
        let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| CryptoError::SealedMaterialRejected)?;
        let tag: [u8; TAG_LEN] = tag
            .try_into()
            .map_err(|_| CryptoError::SealedMaterialRejected)?;
        let mut plaintext = Zeroizing::new(body.to_vec());
        self.cipher
            .decrypt_inout_detached(
                &Nonce::from(nonce),
                aad,
                plaintext.as_mut_slice().into(),
                &Tag::from(tag),
            )
            .map_err(|_| CryptoError::SealedMaterialRejected)?;
        Ok(plaintext)
    }
}

/// The AAD of a sealed record: each field length-prefixed so that no two
/// different bindings serialize alike.
fn binding(purpose: &str, id: &str, version: u32, spec: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + purpose.len() + id.len() + spec.len());
    for field in [purpose.as_bytes(), id.as_bytes(), spec.as_bytes()] {
        // Purpose, id and spec are short server-chosen strings; saturate
        // rather than fail on absurd lengths (they would still differ in bytes).
        aad.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes());
        aad.extend_from_slice(field);
    }
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn root() -> RootKey {
        RootKey::from_bytes(RootKey::generate_bytes().unwrap().as_ref()).unwrap()
    }

    #[test]
    fn root_key_must_be_32_bytes() {
        assert_eq!(
            RootKey::from_bytes(&[0u8; 16]).unwrap_err(),
            CryptoError::length("root key", "exactly 32 bytes", 16)
        );
        assert_eq!(format!("{:?}", root()), "RootKey(<redacted>)");
    }

    #[test]
    fn sealed_material_is_bound_to_key_id_version_spec_and_root() {
        let root = root();
        let material = KeyMaterial::generate(KeySpec::SymmetricDefault).unwrap();
        let sealed = root.seal_material(&material, KEY_ID, 3).unwrap();
        assert_eq!(sealed.len(), OVERHEAD + 32);
        let back = root
            .unseal_material(&sealed, KEY_ID, 3, KeySpec::SymmetricDefault)
            .unwrap();
        assert!(back.same_material_as(&material).unwrap());

        let other_id = "1234abcd-12ab-34cd-56ef-1234567890ac";
        for (id, version, spec) in [
            (other_id, 3, KeySpec::SymmetricDefault),
            (KEY_ID, 2, KeySpec::SymmetricDefault),
            (KEY_ID, 3, KeySpec::Hmac256),
        ] {
            assert_eq!(
                root.unseal_material(&sealed, id, version, spec)
                    .unwrap_err(),
                CryptoError::SealedMaterialRejected
            );
        }
        assert_eq!(
            super::tests::root()
                .unseal_material(&sealed, KEY_ID, 3, KeySpec::SymmetricDefault)
                .unwrap_err(),
            CryptoError::SealedMaterialRejected
        );
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                root.unseal_material(&bad, KEY_ID, 3, KeySpec::SymmetricDefault)
                    .is_err()
            );
            assert!(
                root.unseal_material(&sealed[..i], KEY_ID, 3, KeySpec::SymmetricDefault)
                    .is_err()
            );
        }
    }

    #[test]
    fn secrets_are_bound_to_purpose() {
        let root = root();
        let sealed = root
            .seal_secret("import wrapping key v1", KEY_ID, 1, b"s3cret")
            .unwrap();
        assert_eq!(
            root.open_secret("import wrapping key v1", KEY_ID, 1, &sealed)
                .unwrap()
                .as_slice(),
            b"s3cret"
        );
        assert!(
            root.open_secret("other purpose", KEY_ID, 1, &sealed)
                .is_err()
        );
        assert!(
            root.open_secret("import wrapping key v1", KEY_ID, 2, &sealed)
                .is_err()
        );
        // A secret is never accepted as key material, even with matching id.
        assert!(
            root.unseal_material(&sealed, KEY_ID, 1, KeySpec::SymmetricDefault)
                .is_err()
        );
    }
}
