//! What a load sends: the operation, the key it uses, and the one request
//! body every request repeats (each is still signed on its own).

use anyhow::{Result, bail};
use kms_protocol::ops::{
    CreateKeyRequest, DataKeySpec, DecryptRequest, EncryptRequest, GenerateDataKeyRequest, KeySpec,
    KeyUsageType, MessageType, ScheduleKeyDeletionRequest, SignRequest, SigningAlgorithmSpec,
};

use crate::kms::{Client, blob_at, string_at};

/// The operations a load can exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Operation {
    /// `GenerateDataKey` with `KeySpec: AES_256` (the envelope-encryption call).
    GenerateDataKey,
    /// `Decrypt` of one data key made by `GenerateDataKey` first.
    Decrypt,
    /// `Encrypt` of a small plaintext.
    Encrypt,
    /// `Sign` with an asymmetric key (see `--key-spec`).
    Sign,
}

impl Operation {
    /// The KMS operation name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::GenerateDataKey => "GenerateDataKey",
            Operation::Decrypt => "Decrypt",
            Operation::Encrypt => "Encrypt",
            Operation::Sign => "Sign",
        }
    }
}

/// Everything that decides the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// The operation.
    pub operation: Operation,
    /// Use this key instead of creating one.
    pub key_id: Option<String>,
    /// Key spec of the key created for `Sign` (symmetric otherwise).
    pub key_spec: KeySpec,
    /// `Sign` algorithm; the natural one for the key spec when absent.
    pub signing_algorithm: Option<SigningAlgorithmSpec>,
    /// `Sign` input: a digest of the algorithm's hash length, or a message.
    pub message_type: MessageType,
    /// Bytes of plaintext (`Encrypt`) or raw message (`Sign` with `RAW`).
    pub payload_bytes: usize,
}

/// A load ready to run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The operation.
    pub operation: Operation,
    /// What the load does, for reports (e.g. `Sign ECC_NIST_P256 ECDSA_SHA_256 DIGEST`).
    pub label: String,
    /// The body every request sends.
    pub body: Vec<u8>,
    /// The key used.
    pub key_id: String,
    /// Whether this program created the key (and so should retire it).
    pub created_key: bool,
}

/// The algorithm a key spec signs with by default.
pub fn default_signing_algorithm(spec: KeySpec) -> Result<SigningAlgorithmSpec> {
    Ok(match spec {
        KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => SigningAlgorithmSpec::EcdsaSha256,
        KeySpec::EccNistP384 => SigningAlgorithmSpec::EcdsaSha384,
        KeySpec::EccNistP521 => SigningAlgorithmSpec::EcdsaSha512,
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            SigningAlgorithmSpec::RsassaPkcs1V15Sha256
        }
        other => bail!("{other} keys do not sign"),
    })
}

/// Length of the digest `algorithm` signs.
pub fn digest_len(algorithm: SigningAlgorithmSpec) -> usize {
    use SigningAlgorithmSpec::*;
    match algorithm {
        RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => 48,
        RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 => 64,
        _ => 32,
    }
}

/// Deterministic filler bytes: the load must not depend on a random source,
/// and KMS treats every digest and plaintext alike.
fn filler(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ 0x5a)
        .collect()
}

impl WorkloadSpec {
    /// Checks the combination before any request is sent.
    pub fn validate(&self) -> Result<()> {
        if !(1..=4096).contains(&self.payload_bytes) {
            bail!("--payload-bytes must be 1 to 4096 (KMS's plaintext limit)");
        }
        if self.operation == Operation::Sign {
            default_signing_algorithm(self.key_spec)?;
        } else if self.key_spec != KeySpec::SymmetricDefault {
            bail!(
                "--key-spec {} applies to --op sign only; {} uses a symmetric key",
                self.key_spec,
                self.operation.as_str()
            );
        }
        Ok(())
    }

    /// Creates the key (unless given) and whatever the body needs, and
    /// builds the body.
    pub async fn prepare(&self, client: &mut Client<'_>) -> Result<Prepared> {
        self.validate()?;
        let (key_id, created_key) = match &self.key_id {
            Some(id) => (id.clone(), false),
            None => (self.create_key(client).await?, true),
        };
        let (label, body) = match self.operation {
            Operation::GenerateDataKey => (
                "GenerateDataKey AES_256".to_owned(),
                serde_json::to_vec(&GenerateDataKeyRequest {
                    key_id: key_id.clone(),
                    key_spec: Some(DataKeySpec::Aes256),
                    ..Default::default()
                })?,
            ),
            Operation::Decrypt => {
                let made = client
                    .call(
                        "GenerateDataKey",
                        &GenerateDataKeyRequest {
                            key_id: key_id.clone(),
                            key_spec: Some(DataKeySpec::Aes256),
                            ..Default::default()
                        },
                    )
                    .await?;
                let blob = blob_at(&made, "CiphertextBlob")?;
                (
                    "Decrypt (of an AES_256 data key)".to_owned(),
                    serde_json::to_vec(&DecryptRequest {
                        ciphertext_blob: Some(blob.into()),
                        ..Default::default()
                    })?,
                )
            }
            Operation::Encrypt => (
                format!("Encrypt {} bytes", self.payload_bytes),
                serde_json::to_vec(&EncryptRequest {
                    key_id: key_id.clone(),
                    plaintext: Some(filler(self.payload_bytes).into()),
                    ..Default::default()
                })?,
            ),
            Operation::Sign => {
                let algorithm = match self.signing_algorithm {
                    Some(a) => a,
                    None => default_signing_algorithm(self.key_spec)?,
                };
                let message = match self.message_type {
                    MessageType::Digest => filler(digest_len(algorithm)),
                    MessageType::Raw => filler(self.payload_bytes),
                    MessageType::ExternalMu => filler(64),
                };
                (
                    format!(
                        "Sign {} {algorithm} {} ({} bytes)",
                        if self.key_id.is_some() {
                            "(given key)".to_owned()
                        } else {
                            self.key_spec.to_string()
                        },
                        self.message_type,
                        message.len()
                    ),
                    serde_json::to_vec(&SignRequest {
                        key_id: key_id.clone(),
                        message: Some(message.into()),
                        message_type: Some(self.message_type),
                        signing_algorithm: Some(algorithm),
                        ..Default::default()
                    })?,
                )
            }
        };
        Ok(Prepared {
            operation: self.operation,
            label,
            body,
            key_id,
            created_key,
        })
    }

    async fn create_key(&self, client: &mut Client<'_>) -> Result<String> {
        let key_usage = if self.operation == Operation::Sign {
            KeyUsageType::SignVerify
        } else {
            KeyUsageType::EncryptDecrypt
        };
        let created = client
            .call(
                "CreateKey",
                &CreateKeyRequest {
                    description: Some("kms-loadgen".to_owned()),
                    key_usage: Some(key_usage),
                    key_spec: Some(self.key_spec),
                    ..Default::default()
                },
            )
            .await?;
        Ok(string_at(&created, &["KeyMetadata", "KeyId"])?.to_owned())
    }
}

impl Prepared {
    /// Schedules deletion of the key this program created (the shortest
    /// window KMS allows, 7 days); keys it was given are left alone.
    pub async fn cleanup(&self, client: &mut Client<'_>) -> Result<()> {
        if self.created_key {
            client
                .call(
                    "ScheduleKeyDeletion",
                    &ScheduleKeyDeletionRequest {
                        key_id: self.key_id.clone(),
                        pending_window_in_days: Some(7),
                    },
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(operation: Operation, key_spec: KeySpec) -> WorkloadSpec {
        WorkloadSpec {
            operation,
            key_id: None,
            key_spec,
            signing_algorithm: None,
            message_type: MessageType::Digest,
            payload_bytes: 32,
        }
    }

    #[test]
    fn checks_combinations() {
        assert!(
            spec(Operation::Sign, KeySpec::EccNistP256)
                .validate()
                .is_ok()
        );
        assert!(
            spec(Operation::Sign, KeySpec::SymmetricDefault)
                .validate()
                .is_err()
        );
        assert!(
            spec(Operation::Decrypt, KeySpec::Rsa2048)
                .validate()
                .is_err()
        );
        assert!(
            spec(Operation::GenerateDataKey, KeySpec::SymmetricDefault)
                .validate()
                .is_ok()
        );
        let mut big = spec(Operation::Encrypt, KeySpec::SymmetricDefault);
        big.payload_bytes = 4097;
        assert!(big.validate().is_err());
    }

    #[test]
    fn algorithms_and_digests_match_key_specs() {
        assert_eq!(
            default_signing_algorithm(KeySpec::EccNistP256).unwrap(),
            SigningAlgorithmSpec::EcdsaSha256
        );
        assert_eq!(
            default_signing_algorithm(KeySpec::Rsa2048).unwrap(),
            SigningAlgorithmSpec::RsassaPkcs1V15Sha256
        );
        assert_eq!(digest_len(SigningAlgorithmSpec::EcdsaSha256), 32);
        assert_eq!(digest_len(SigningAlgorithmSpec::EcdsaSha384), 48);
        assert_eq!(digest_len(SigningAlgorithmSpec::RsassaPssSha512), 64);
        assert!(default_signing_algorithm(KeySpec::Hmac256).is_err());
    }
}
