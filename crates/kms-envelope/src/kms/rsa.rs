//! The AWS KMS RSA keyring (framework/aws-kms/aws-kms-rsa-keyring.md): data
//! keys are wrapped locally with the public key of a KMS RSA key pair and
//! unwrapped by KMS Decrypt. Asymmetric KMS Decrypt takes no encryption
//! context, so the context is bound by prefixing the data key with the
//! SHA-384 digest of the serialized context before RSA encryption.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::OnceCell;
use core::fmt;

use pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, PublicKey as RsaPublicKey};
use sha2::{Digest, Sha384};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::arn::{KmsArn, mrk_match_for_decrypt};
use super::client::{DecryptRequest, KmsClient, KmsError};
use super::keyring::{kms_failure, label, malformed, recognise_kms_edk};
use crate::LocalBoxFuture;
use crate::context::EncryptionContext;
use crate::error::{Error, KeyringFailure};
use crate::keyring::Keyring;
use crate::materials::{DataKey, DecryptionMaterials, EncryptedDataKey, EncryptionMaterials};

use super::{AWS_KMS_RSA_PROVIDER_ID, RSA_MODULUS_BITS};

/// Length of the encryption context digest prefixed to the data key.
const DIGEST_LEN: usize = 48;

/// The KMS encryption algorithm of a KMS RSA keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KmsRsaAlgorithm {
    /// `RSAES_OAEP_SHA_1`: OAEP with SHA-1 and MGF1-SHA-1.
    OaepSha1,
    /// `RSAES_OAEP_SHA_256`: OAEP with SHA-256 and MGF1-SHA-256.
    OaepSha256,
}

impl KmsRsaAlgorithm {
    /// KMS's name for the algorithm.
    pub const fn as_str(self) -> &'static str {
        match self {
            KmsRsaAlgorithm::OaepSha1 => "RSAES_OAEP_SHA_1",
            KmsRsaAlgorithm::OaepSha256 => "RSAES_OAEP_SHA_256",
        }
    }

    /// The algorithm named by KMS's spelling.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "RSAES_OAEP_SHA_1" => Ok(KmsRsaAlgorithm::OaepSha1),
            "RSAES_OAEP_SHA_256" => Ok(KmsRsaAlgorithm::OaepSha256),
            _ => Err(Error::InvalidArgument(
                "KMS RSA encryption algorithm must be RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256",
            )),
        }
    }

    /// Wraps `plaintext` under `key` with this algorithm's OAEP.
    fn encrypt(self, key: &RsaPublicKey, plaintext: &[u8]) -> rsa::Result<Vec<u8>> {
        let rng = &mut crate::random::rng();
        match self {
            KmsRsaAlgorithm::OaepSha1 => key.encrypt(rng, Oaep::<sha1::Sha1>::new(), plaintext),
            KmsRsaAlgorithm::OaepSha256 => key.encrypt(rng, Oaep::<sha2::Sha256>::new(), plaintext),
        }
    }
}

/// A keyring for a KMS RSA key pair (`RSA_2048` and larger, usage
/// `ENCRYPT_DECRYPT`).
///
/// Encrypting needs the public key: given at construction, or fetched once
/// with GetPublicKey through the client. Decrypting needs the client. Signed
/// algorithm suites are refused both ways: anyone holding the public key can
/// encrypt, so a signature would prove nothing about the sender.
///
/// The key must be named by its key ARN (the specification also allows a bare
/// key id, but encrypted data keys must carry an ARN to be decryptable).
pub struct KmsRsaKeyring {
    key_arn: String,
    algorithm: KmsRsaAlgorithm,
    client: Option<Rc<dyn KmsClient>>,
    public_key: OnceCell<RsaPublicKey>,
    grant_tokens: Vec<String>,
}

impl fmt::Debug for KmsRsaKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsRsaKeyring")
            .field("key_arn", &self.key_arn)
            .field("algorithm", &self.algorithm)
            .field("client", &self.client.as_ref().map(|c| c.region()))
            .field(
                "public_key_bits",
                &self.public_key.get().map(|k| k.size() * 8),
            )
            .field("grant_tokens", &self.grant_tokens.len())
            .finish()
    }
}

impl KmsRsaKeyring {
    /// A keyring for the RSA key `key_arn` with `algorithm`; add a client, a
    /// public key or both.
    pub fn new(key_arn: &str, algorithm: KmsRsaAlgorithm) -> Result<Self, Error> {
        KmsArn::parse_key_arn(key_arn)?;
        Ok(KmsRsaKeyring {
            key_arn: key_arn.into(),
            algorithm,
            client: None,
            public_key: OnceCell::new(),
            grant_tokens: Vec::new(),
        })
    }

    /// Decrypts (and, without a public key, fetches it) through `client`.
    pub fn with_client(mut self, client: Rc<dyn KmsClient>) -> Self {
        self.client = Some(client);
        self
    }

    /// Encrypts with this DER SubjectPublicKeyInfo (as GetPublicKey returns
    /// it) instead of fetching it.
    pub fn with_public_key_der(self, der: &[u8]) -> Result<Self, Error> {
        let key = parse_public_key(der)?;
        let _ = self.public_key.set(key);
        Ok(self)
    }

    /// Encrypts with this PEM `PUBLIC KEY` instead of fetching it.
    pub fn with_public_key_pem(self, pem: &str) -> Result<Self, Error> {
        let key = RsaPublicKey::from_public_key_pem(pem).map_err(|_| BAD_PUBLIC)?;
        let _ = self.public_key.set(check_size(key)?);
        Ok(self)
    }

    /// Passes `grant_tokens` with every KMS request.
    pub fn with_grant_tokens(mut self, grant_tokens: Vec<String>) -> Self {
        self.grant_tokens = grant_tokens;
        self
    }

    /// The key ARN.
    pub fn key_arn(&self) -> &str {
        &self.key_arn
    }

    /// The encryption algorithm.
    pub fn algorithm(&self) -> KmsRsaAlgorithm {
        self.algorithm
    }

    async fn public_key(&self) -> Result<&RsaPublicKey, Error> {
        if let Some(key) = self.public_key.get() {
            return Ok(key);
        }
        let Some(client) = &self.client else {
            return Err(Error::InvalidArgument(
                "a KMS RSA keyring needs a public key or a KMS client to encrypt",
            ));
        };
        let response = client
            .get_public_key(&self.key_arn, &self.grant_tokens)
            .await
            .map_err(|e| kms_failure(&self.key_arn, e))?;
        if !mrk_match_for_decrypt(&self.key_arn, &response.key_id) {
            return Err(malformed(
                &self.key_arn,
                format!(
                    "GetPublicKey answered for KeyId {:?}, not the requested key",
                    response.key_id
                ),
            ));
        }
        if response.key_usage != "ENCRYPT_DECRYPT"
            || !response
                .encryption_algorithms
                .iter()
                .any(|a| a == self.algorithm.as_str())
        {
            return Err(Error::Keyring(KeyringFailure::new(
                label(&self.key_arn),
                format!(
                    "KMS key has usage {} and encryption algorithms {:?}, not ENCRYPT_DECRYPT with {}",
                    response.key_usage,
                    response.encryption_algorithms,
                    self.algorithm.as_str()
                ),
            )));
        }
        let key = parse_public_key(&response.public_key)?;
        // Another call may have filled the cell meanwhile; either key is the
        // same key.
        Ok(self.public_key.get_or_init(|| key))
    }

    async fn encrypt(
        &self,
        mut materials: EncryptionMaterials,
    ) -> Result<EncryptionMaterials, Error> {
        refuse_signed(&materials.suite.signature)?;
        let public_key = self.public_key().await?;
        let data_key = match materials.data_key.take() {
            Some(key) => key,
            None => DataKey::generate(materials.suite)?,
        };
        let mut plaintext = Zeroizing::new(context_digest(&materials.encryption_context)?.to_vec());
        plaintext.extend_from_slice(data_key.as_bytes());
        let ciphertext = self
            .algorithm
            .encrypt(public_key, &plaintext)
            .map_err(|e| match e {
                rsa::Error::Rng => Error::RandomnessUnavailable,
                _ => Error::InvalidKey("RSA key too small for the context digest and data key"),
            })?;
        materials.encrypted_data_keys.push(EncryptedDataKey {
            provider_id: AWS_KMS_RSA_PROVIDER_ID.into(),
            provider_info: self.key_arn.as_bytes().to_vec(),
            ciphertext,
        });
        materials.data_key = Some(data_key);
        Ok(materials)
    }

    async fn decrypt(
        &self,
        mut materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials, Error> {
        if materials.data_key.is_some() {
            return Ok(materials);
        }
        let Some(client) = &self.client else {
            return Err(Error::InvalidArgument(
                "a KMS RSA keyring needs a KMS client to decrypt",
            ));
        };
        refuse_signed(&materials.suite.signature)?;
        let expected_digest = context_digest(&materials.encryption_context)?;
        let data_key_len = materials.suite.data_key_len();
        let mut failures = Vec::new();
        for edk in encrypted_data_keys {
            let Some(arn) = recognise_kms_edk(edk, AWS_KMS_RSA_PROVIDER_ID, &mut failures)? else {
                continue;
            };
            if !mrk_match_for_decrypt(&self.key_arn, arn.as_str()) {
                continue;
            }
            let failure = |reason: String| KeyringFailure::new(label(&self.key_arn), reason);
            let response = match client
                .decrypt(DecryptRequest {
                    key_id: &self.key_arn,
                    ciphertext: &edk.ciphertext,
                    // Asymmetric Decrypt takes no context; the digest binds it.
                    encryption_context: &EncryptionContext::new(),
                    grant_tokens: &self.grant_tokens,
                    encryption_algorithm: Some(self.algorithm.as_str()),
                })
                .await
            {
                Ok(response) => response,
                Err(e) => {
                    failures.push(KeyringFailure::kms(label(&self.key_arn), e));
                    continue;
                }
            };
            if response.key_id != self.key_arn {
                failures.push(KeyringFailure::kms(
                    label(&self.key_arn),
                    KmsError::malformed(format!(
                        "Decrypt answered for KeyId {:?}, not the requested key",
                        response.key_id
                    )),
                ));
                continue;
            }
            if response.plaintext.len() != DIGEST_LEN + data_key_len {
                failures.push(failure(format!(
                    "decrypted {} bytes, expected a {DIGEST_LEN}-byte context digest and a {data_key_len}-byte data key",
                    response.plaintext.len()
                )));
                continue;
            }
            let (digest, key) = response.plaintext.split_at(DIGEST_LEN);
            if !bool::from(digest.ct_eq(&expected_digest)) {
                failures.push(failure(String::from(
                    "the encryption context differs from the one bound at encryption",
                )));
                continue;
            }
            let data_key = DataKey::new(key.to_vec(), materials.suite)?;
            materials.set_data_key(data_key, self.key_arn.clone());
            return Ok(materials);
        }
        Err(Error::NoDecryptableDataKey { failures })
    }
}

impl Keyring for KmsRsaKeyring {
    fn on_encrypt<'a>(
        &'a self,
        materials: EncryptionMaterials,
    ) -> LocalBoxFuture<'a, Result<EncryptionMaterials, Error>> {
        Box::pin(self.encrypt(materials))
    }

    fn on_decrypt<'a>(
        &'a self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &'a [EncryptedDataKey],
    ) -> LocalBoxFuture<'a, Result<DecryptionMaterials, Error>> {
        Box::pin(self.decrypt(materials, encrypted_data_keys))
    }
}

const BAD_PUBLIC: Error =
    Error::InvalidKey("KMS RSA public key: expected a DER or PEM SubjectPublicKeyInfo");

fn parse_public_key(der: &[u8]) -> Result<RsaPublicKey, Error> {
    check_size(RsaPublicKey::from_public_key_der(der).map_err(|_| BAD_PUBLIC)?)
}

fn check_size(key: RsaPublicKey) -> Result<RsaPublicKey, Error> {
    // KMS's sizes; a 1024-bit key could not even carry the 48-byte digest
    // and a 32-byte data key under OAEP-SHA-256.
    if !RSA_MODULUS_BITS.contains(&(key.n().bit_width() as usize)) {
        return Err(Error::InvalidKey(
            "KMS RSA keyring needs a modulus of 2048 to 4096 bits, as KMS's are",
        ));
    }
    Ok(key)
}

fn refuse_signed(signature: &Option<crate::suite::SignatureAlgorithm>) -> Result<(), Error> {
    if signature.is_some() {
        return Err(Error::InvalidArgument(
            "the KMS RSA keyring does not support signed algorithm suites: anyone with the public key can encrypt, so a signature proves nothing; use an unsigned suite such as 0x0478",
        ));
    }
    Ok(())
}

/// SHA-384 of the serialized encryption context.
fn context_digest(context: &EncryptionContext) -> Result<[u8; DIGEST_LEN], Error> {
    Ok(Sha384::digest(context.serialize()?).into())
}
