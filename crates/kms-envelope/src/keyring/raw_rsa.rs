//! The raw RSA keyring: wraps data keys with a caller-held RSA public key
//! and unwraps them with the private key, as the AWS Encryption SDK's raw
//! RSA keyring does (framework/raw-rsa-keyring.md): provider id = the key
//! namespace, provider info = the key name, ciphertext = the RSA output.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Oaep, Pkcs1v15Encrypt, PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};
use zeroize::Zeroizing;

use super::{Keyring, check_namespace, no_decryptable_key};
use crate::LocalBoxFuture;
use crate::error::{Error, KeyringFailure};
use crate::materials::{DataKey, DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

/// The RSA encryption padding of a raw RSA keyring. OAEP uses MGF1 with the
/// same hash as the label hash, as the AWS Encryption SDK requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsaPadding {
    /// RSAES-PKCS1-v1_5 (legacy; prefer OAEP).
    Pkcs1,
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1.
    OaepSha1,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    OaepSha256,
    /// RSAES-OAEP with SHA-384 and MGF1-SHA-384.
    OaepSha384,
    /// RSAES-OAEP with SHA-512 and MGF1-SHA-512.
    OaepSha512,
}

impl RsaPadding {
    /// Wraps `data_key` under `key`.
    fn encrypt(self, key: &RsaPublicKey, data_key: &[u8]) -> rsa::Result<Vec<u8>> {
        let rng = &mut crate::random::rng();
        match self {
            RsaPadding::Pkcs1 => key.encrypt(rng, Pkcs1v15Encrypt, data_key),
            RsaPadding::OaepSha1 => key.encrypt(rng, Oaep::<sha1::Sha1>::new(), data_key),
            RsaPadding::OaepSha256 => key.encrypt(rng, Oaep::<sha2::Sha256>::new(), data_key),
            RsaPadding::OaepSha384 => key.encrypt(rng, Oaep::<sha2::Sha384>::new(), data_key),
            RsaPadding::OaepSha512 => key.encrypt(rng, Oaep::<sha2::Sha512>::new(), data_key),
        }
    }

    /// Unwraps `ciphertext` with `key`, blinded: rsa 0.10's constant-time
    /// arithmetic and a fresh blinding factor per call keep the private key
    /// out of the timing (the Marvin attack on rsa 0.9, RUSTSEC-2023-0071).
    fn decrypt(self, key: &RsaPrivateKey, ciphertext: &[u8]) -> rsa::Result<Vec<u8>> {
        let rng = &mut crate::random::rng();
        match self {
            RsaPadding::Pkcs1 => key.decrypt_blinded(rng, Pkcs1v15Encrypt, ciphertext),
            RsaPadding::OaepSha1 => key.decrypt_blinded(rng, Oaep::<sha1::Sha1>::new(), ciphertext),
            RsaPadding::OaepSha256 => {
                key.decrypt_blinded(rng, Oaep::<sha2::Sha256>::new(), ciphertext)
            }
            RsaPadding::OaepSha384 => {
                key.decrypt_blinded(rng, Oaep::<sha2::Sha384>::new(), ciphertext)
            }
            RsaPadding::OaepSha512 => {
                key.decrypt_blinded(rng, Oaep::<sha2::Sha512>::new(), ciphertext)
            }
        }
    }
}

/// A keyring that wraps data keys with a local RSA key pair. Built from a
/// public key alone it can only encrypt; decrypting needs the private key.
/// The private key zeroizes on drop and never prints.
pub struct RawRsaKeyring {
    key_namespace: String,
    key_name: String,
    padding: RsaPadding,
    public_key: RsaPublicKey,
    private_key: Option<RsaPrivateKey>,
}

impl fmt::Debug for RawRsaKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use rsa::traits::PublicKeyParts as _;
        f.debug_struct("RawRsaKeyring")
            .field("key_namespace", &self.key_namespace)
            .field("key_name", &self.key_name)
            .field("padding", &self.padding)
            .field("modulus_bits", &(self.public_key.size() * 8))
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

const BAD_PRIVATE: Error = Error::InvalidKey(
    "RSA private key: expected PKCS#8 \"PRIVATE KEY\" or PKCS#1 \"RSA PRIVATE KEY\"",
);
const BAD_PUBLIC: Error = Error::InvalidKey(
    "RSA public key: expected SubjectPublicKeyInfo \"PUBLIC KEY\" or PKCS#1 \"RSA PUBLIC KEY\"",
);

impl RawRsaKeyring {
    fn build(
        key_namespace: &str,
        key_name: &str,
        padding: RsaPadding,
        public_key: RsaPublicKey,
        private_key: Option<RsaPrivateKey>,
    ) -> Result<Self, Error> {
        check_namespace(key_namespace)?;
        Ok(RawRsaKeyring {
            key_namespace: key_namespace.to_string(),
            key_name: key_name.to_string(),
            padding,
            public_key,
            private_key,
        })
    }

    fn with_private(
        key_namespace: &str,
        key_name: &str,
        padding: RsaPadding,
        private_key: RsaPrivateKey,
    ) -> Result<Self, Error> {
        // The public half is part of the private key structure; deriving it
        // lets one keyring built from a private key both encrypt and decrypt.
        let public_key = private_key.to_public_key();
        Self::build(
            key_namespace,
            key_name,
            padding,
            public_key,
            Some(private_key),
        )
    }

    /// A keyring from a PEM private key, PKCS#8 (`PRIVATE KEY`) or PKCS#1
    /// (`RSA PRIVATE KEY`); it encrypts and decrypts.
    pub fn from_private_key_pem(
        key_namespace: &str,
        key_name: &str,
        padding: RsaPadding,
        pem: &str,
    ) -> Result<Self, Error> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| BAD_PRIVATE)?;
        Self::with_private(key_namespace, key_name, padding, key)
    }

    /// A keyring from a DER private key, PKCS#8 or PKCS#1; it encrypts and
    /// decrypts.
    pub fn from_private_key_der(
        key_namespace: &str,
        key_name: &str,
        padding: RsaPadding,
        der: &[u8],
    ) -> Result<Self, Error> {
        let key = RsaPrivateKey::from_pkcs8_der(der)
            .or_else(|_| RsaPrivateKey::from_pkcs1_der(der))
            .map_err(|_| BAD_PRIVATE)?;
        Self::with_private(key_namespace, key_name, padding, key)
    }

    /// An encrypt-only keyring from a PEM public key, SubjectPublicKeyInfo
    /// (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`).
    pub fn from_public_key_pem(
        key_namespace: &str,
        key_name: &str,
        padding: RsaPadding,
        pem: &str,
    ) -> Result<Self, Error> {
        let key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|_| BAD_PUBLIC)?;
        Self::build(key_namespace, key_name, padding, key, None)
    }

    /// An encrypt-only keyring from a DER public key, SubjectPublicKeyInfo or
    /// PKCS#1.
    pub fn from_public_key_der(
        key_namespace: &str,
        key_name: &str,
        padding: RsaPadding,
        der: &[u8],
    ) -> Result<Self, Error> {
        let key = RsaPublicKey::from_public_key_der(der)
            .or_else(|_| RsaPublicKey::from_pkcs1_der(der))
            .map_err(|_| BAD_PUBLIC)?;
        Self::build(key_namespace, key_name, padding, key, None)
    }

    /// The padding this keyring uses.
    pub fn padding(&self) -> RsaPadding {
        self.padding
    }

    /// Whether this keyring holds the private key (and so can decrypt).
    pub fn can_decrypt(&self) -> bool {
        self.private_key.is_some()
    }

    fn label(&self) -> String {
        format!("{}/{}", self.key_namespace, self.key_name)
    }

    fn encrypt_sync(
        &self,
        mut materials: EncryptionMaterials,
    ) -> Result<EncryptionMaterials, Error> {
        let data_key = match materials.data_key.take() {
            Some(key) => key,
            None => DataKey::generate(materials.suite)?,
        };
        let ciphertext = self
            .padding
            .encrypt(&self.public_key, data_key.as_bytes())
            .map_err(|e| match e {
                rsa::Error::Rng => Error::RandomnessUnavailable,
                _ => Error::InvalidKey("RSA key too small to wrap the data key with this padding"),
            })?;
        materials.encrypted_data_keys.push(EncryptedDataKey {
            provider_id: self.key_namespace.clone(),
            provider_info: self.key_name.as_bytes().to_vec(),
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
        let mine = |edk: &&EncryptedDataKey| {
            edk.provider_id == self.key_namespace && edk.provider_info == self.key_name.as_bytes()
        };
        let Some(private_key) = &self.private_key else {
            // Without the private key nothing can be decrypted; say so when
            // a key was ours, so the caller learns why.
            let failures = encrypted_data_keys
                .iter()
                .filter(mine)
                .take(1)
                .map(|_| {
                    KeyringFailure::new(
                        self.label(),
                        "keyring holds only the public key and cannot decrypt",
                    )
                })
                .collect();
            return Err(no_decryptable_key(failures));
        };
        let mut failures = Vec::new();
        for edk in encrypted_data_keys.iter().filter(mine) {
            match self
                .padding
                .decrypt(private_key, &edk.ciphertext)
                .map(Zeroizing::new)
            {
                Ok(plaintext) if plaintext.len() == materials.suite.data_key_len() => {
                    let data_key = DataKey::new(plaintext.to_vec(), materials.suite)?;
                    materials.set_data_key(data_key, self.label());
                    return Ok(materials);
                }
                // Opaque on purpose: a padding oracle must not learn why.
                _ => failures.push(KeyringFailure::new(
                    self.label(),
                    "encrypted data key does not decrypt under this private key and padding",
                )),
            }
        }
        Err(no_decryptable_key(failures))
    }
}

impl Keyring for RawRsaKeyring {
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
    use pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
    use pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use std::sync::OnceLock;

    const PADDINGS: [RsaPadding; 5] = [
        RsaPadding::Pkcs1,
        RsaPadding::OaepSha1,
        RsaPadding::OaepSha256,
        RsaPadding::OaepSha384,
        RsaPadding::OaepSha512,
    ];

    fn private_key() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| RsaPrivateKey::new(&mut crate::random::rng(), 2048).unwrap())
    }

    fn suite() -> AlgorithmSuiteId {
        AlgorithmSuiteId::Aes256GcmHkdfSha512CommitKey
    }

    fn encrypt(keyring: &RawRsaKeyring) -> EncryptionMaterials {
        let m = EncryptionMaterials::new(suite().suite(), EncryptionContext::new());
        pollster::block_on(keyring.on_encrypt(m)).unwrap()
    }

    fn decrypt(
        keyring: &RawRsaKeyring,
        edks: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        let m = DecryptionMaterials::new(suite().suite(), EncryptionContext::new());
        pollster::block_on(keyring.on_decrypt(m, edks))
    }

    #[test]
    fn every_padding_and_key_encoding_round_trips() {
        let key = private_key();
        let pkcs8_pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let pkcs1_pem = key.to_pkcs1_pem(LineEnding::LF).unwrap();
        let spki_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let pkcs1_pub_pem = key.to_public_key().to_pkcs1_pem(LineEnding::LF).unwrap();
        let pkcs8_der = key.to_pkcs8_der().unwrap();
        let pkcs1_der = key.to_pkcs1_der().unwrap();
        let spki_der = key.to_public_key().to_public_key_der().unwrap();
        let pkcs1_pub_der = key.to_public_key().to_pkcs1_der().unwrap();
        for padding in PADDINGS {
            let privates = [
                RawRsaKeyring::from_private_key_pem("ns", "rsa", padding, &pkcs8_pem).unwrap(),
                RawRsaKeyring::from_private_key_pem("ns", "rsa", padding, &pkcs1_pem).unwrap(),
                RawRsaKeyring::from_private_key_der("ns", "rsa", padding, pkcs8_der.as_bytes())
                    .unwrap(),
                RawRsaKeyring::from_private_key_der("ns", "rsa", padding, pkcs1_der.as_bytes())
                    .unwrap(),
            ];
            let publics = [
                RawRsaKeyring::from_public_key_pem("ns", "rsa", padding, &spki_pem).unwrap(),
                RawRsaKeyring::from_public_key_pem("ns", "rsa", padding, &pkcs1_pub_pem).unwrap(),
                RawRsaKeyring::from_public_key_der("ns", "rsa", padding, spki_der.as_bytes())
                    .unwrap(),
                RawRsaKeyring::from_public_key_der("ns", "rsa", padding, pkcs1_pub_der.as_bytes())
                    .unwrap(),
            ];
            for (private, public) in privates.iter().zip(&publics) {
                assert!(private.can_decrypt() && !public.can_decrypt());
                for encryptor in [private, public] {
                    let m = encrypt(encryptor);
                    assert_eq!(m.encrypted_data_keys[0].provider_id, "ns");
                    assert_eq!(m.encrypted_data_keys[0].provider_info, b"rsa");
                    assert_eq!(m.encrypted_data_keys[0].ciphertext.len(), 256);
                    let d = decrypt(private, &m.encrypted_data_keys).unwrap();
                    assert_eq!(d.data_key, m.data_key, "{padding:?}");
                }
            }
        }
    }

    #[test]
    fn public_only_keyring_cannot_decrypt_and_says_why() {
        let key = private_key();
        let spki = key.to_public_key().to_public_key_der().unwrap();
        let public = RawRsaKeyring::from_public_key_der(
            "ns",
            "rsa",
            RsaPadding::OaepSha256,
            spki.as_bytes(),
        )
        .unwrap();
        let m = encrypt(&public);
        match decrypt(&public, &m.encrypted_data_keys).unwrap_err() {
            Error::NoDecryptableDataKey { failures } => {
                assert_eq!(failures.len(), 1);
                assert!(failures[0].reason.contains("public key"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn not_mine_versus_mine_but_failed() {
        let der = private_key().to_pkcs8_der().unwrap();
        let keyring = RawRsaKeyring::from_private_key_der(
            "ns",
            "rsa",
            RsaPadding::OaepSha256,
            der.as_bytes(),
        )
        .unwrap();
        let m = encrypt(&keyring);
        let edk = &m.encrypted_data_keys[0];
        let mut other_ns = edk.clone();
        other_ns.provider_id = "ns2".into();
        let mut other_name = edk.clone();
        other_name.provider_info = b"rsa2".to_vec();
        for not_mine in [other_ns, other_name] {
            assert_eq!(
                decrypt(&keyring, &[not_mine]).unwrap_err(),
                Error::NoDecryptableDataKey {
                    failures: Vec::new()
                }
            );
        }
        let mut tampered = edk.clone();
        tampered.ciphertext[100] ^= 1;
        let other_padding =
            RawRsaKeyring::from_private_key_der("ns", "rsa", RsaPadding::OaepSha1, der.as_bytes())
                .unwrap();
        for result in [
            decrypt(&keyring, &[tampered.clone()]),
            decrypt(&other_padding, &m.encrypted_data_keys),
        ] {
            match result.unwrap_err() {
                Error::NoDecryptableDataKey { failures } => assert_eq!(failures.len(), 1),
                other => panic!("{other:?}"),
            }
        }
        // A failing key does not stop the search.
        let d = decrypt(&keyring, &[tampered, edk.clone()]).unwrap();
        assert_eq!(d.data_key, m.data_key);
    }

    #[test]
    fn garbage_keys_and_kms_namespace_are_refused_and_private_key_never_prints() {
        let p = RsaPadding::Pkcs1;
        assert!(RawRsaKeyring::from_private_key_pem("ns", "k", p, "-----BEGIN").is_err());
        assert!(RawRsaKeyring::from_public_key_pem("ns", "k", p, "").is_err());
        assert!(RawRsaKeyring::from_private_key_der("ns", "k", p, &[0x30, 0x03, 1]).is_err());
        assert!(RawRsaKeyring::from_public_key_der("ns", "k", p, &[]).is_err());
        let der = private_key().to_pkcs8_der().unwrap();
        assert!(RawRsaKeyring::from_private_key_der("aws-kms", "k", p, der.as_bytes()).is_err());
        let keyring = RawRsaKeyring::from_private_key_der("ns", "k", p, der.as_bytes()).unwrap();
        let printed = format!("{keyring:?}");
        assert!(printed.contains("redacted") && printed.contains("2048"));
        assert!(printed.len() < 300);
    }
}
