//! Cryptographic operations: Encrypt, Decrypt, ReEncrypt, the GenerateDataKey
//! family, GenerateRandom, GetPublicKey, Sign, Verify, GenerateMac, VerifyMac,
//! DeriveSharedSecret, Encapsulate, Decapsulate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::validate::{Validate, Validator};
use super::{
    Blob, DataKeyPairSpec, DataKeySpec, EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec,
    KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType, OriginType,
    SigningAlgorithmSpec,
};

/// An encryption context: non-secret key-value pairs bound to a ciphertext as AAD.
pub type EncryptionContext = BTreeMap<String, String>;

/// Largest plaintext, message or data key AWS accepts (`PlaintextType`).
pub const MAX_PLAINTEXT: usize = 4096;
/// Largest ciphertext, signature or MAC (`CiphertextType`).
pub const MAX_CIPHERTEXT: usize = 6144;

/// `Encrypt` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EncryptRequest {
    /// Key id, key ARN, alias name or alias ARN.
    pub key_id: String,
    /// 1-4096 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<Blob>,
    /// AAD for symmetric keys (not allowed with RSA keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<EncryptionContext>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Defaults to `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<EncryptionAlgorithmSpec>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for EncryptRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("plaintext", &self.plaintext);
        v.opt_blob("plaintext", &self.plaintext, 1, MAX_PLAINTEXT);
        v.encryption_context("encryptionContext", &self.encryption_context);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `Encrypt` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    /// The ciphertext.
    pub ciphertext_blob: Blob,
    /// Key ARN.
    pub key_id: String,
    /// Algorithm used.
    pub encryption_algorithm: EncryptionAlgorithmSpec,
}

/// `Decrypt` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DecryptRequest {
    /// The ciphertext (required in practice; the model marks nothing required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext_blob: Option<Blob>,
    /// Must equal the context given at encryption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<EncryptionContext>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Required for asymmetric keys; for symmetric keys it must name the key
    /// the blob was made with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Required for RSA keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<EncryptionAlgorithmSpec>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Dry-run modifiers (`IGNORE_CIPHERTEXT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run_modifiers: Option<Vec<String>>,
}

impl Validate for DecryptRequest {
    fn check(&self, v: &mut Validator) {
        v.opt_blob("ciphertextBlob", &self.ciphertext_blob, 1, MAX_CIPHERTEXT);
        v.encryption_context("encryptionContext", &self.encryption_context);
        v.grant_tokens(&self.grant_tokens);
        v.opt_length("keyId", &self.key_id, 1, 2048);
    }
}

/// `Decrypt` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    /// Key ARN.
    pub key_id: String,
    /// The plaintext.
    pub plaintext: Blob,
    /// Algorithm used.
    pub encryption_algorithm: EncryptionAlgorithmSpec,
}

/// `ReEncrypt` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReEncryptRequest {
    /// The ciphertext to re-encrypt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext_blob: Option<Blob>,
    /// Context of the source ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_encryption_context: Option<EncryptionContext>,
    /// Key of the source ciphertext (required for asymmetric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_id: Option<String>,
    /// Key to encrypt under.
    pub destination_key_id: String,
    /// Context for the new ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_encryption_context: Option<EncryptionContext>,
    /// Algorithm of the source ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_encryption_algorithm: Option<EncryptionAlgorithmSpec>,
    /// Algorithm for the new ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_encryption_algorithm: Option<EncryptionAlgorithmSpec>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Dry-run modifiers (`IGNORE_CIPHERTEXT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run_modifiers: Option<Vec<String>>,
}

impl Validate for ReEncryptRequest {
    fn check(&self, v: &mut Validator) {
        v.opt_blob("ciphertextBlob", &self.ciphertext_blob, 1, MAX_CIPHERTEXT);
        v.encryption_context("sourceEncryptionContext", &self.source_encryption_context);
        v.opt_length("sourceKeyId", &self.source_key_id, 1, 2048);
        v.length("destinationKeyId", &self.destination_key_id, 1, 2048);
        v.encryption_context(
            "destinationEncryptionContext",
            &self.destination_encryption_context,
        );
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `ReEncrypt` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptResponse {
    /// The new ciphertext.
    pub ciphertext_blob: Blob,
    /// ARN of the key that decrypted.
    pub source_key_id: String,
    /// ARN of the key that encrypted.
    pub key_id: String,
    /// Algorithm that decrypted.
    pub source_encryption_algorithm: EncryptionAlgorithmSpec,
    /// Algorithm that encrypted.
    pub destination_encryption_algorithm: EncryptionAlgorithmSpec,
}

/// `GenerateDataKey` and `GenerateDataKeyWithoutPlaintext` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GenerateDataKeyRequest {
    /// Symmetric encryption key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// AAD bound to the encrypted data key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<EncryptionContext>,
    /// Data key length, 1-1024 bytes (exactly one of this and `KeySpec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_bytes: Option<i32>,
    /// `AES_128` or `AES_256` (exactly one of this and `NumberOfBytes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<DataKeySpec>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// `GenerateDataKeyWithoutPlaintext` input (same members, minus `Recipient`).
pub type GenerateDataKeyWithoutPlaintextRequest = GenerateDataKeyRequest;

impl Validate for GenerateDataKeyRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.encryption_context("encryptionContext", &self.encryption_context);
        v.range(
            "numberOfBytes",
            self.number_of_bytes.map(i64::from),
            1,
            1024,
        );
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `GenerateDataKey` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyResponse {
    /// The data key encrypted under the KMS key.
    pub ciphertext_blob: Blob,
    /// The data key.
    pub plaintext: Blob,
    /// Key ARN.
    pub key_id: String,
}

/// `GenerateDataKeyWithoutPlaintext` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyWithoutPlaintextResponse {
    /// The data key encrypted under the KMS key.
    pub ciphertext_blob: Blob,
    /// Key ARN.
    pub key_id: String,
}

/// `GenerateDataKeyPair` and `GenerateDataKeyPairWithoutPlaintext` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GenerateDataKeyPairRequest {
    /// AAD bound to the encrypted private key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<EncryptionContext>,
    /// Symmetric encryption key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// Type of pair to generate (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_pair_spec: Option<DataKeyPairSpec>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// `GenerateDataKeyPairWithoutPlaintext` input.
pub type GenerateDataKeyPairWithoutPlaintextRequest = GenerateDataKeyPairRequest;

impl Validate for GenerateDataKeyPairRequest {
    fn check(&self, v: &mut Validator) {
        v.encryption_context("encryptionContext", &self.encryption_context);
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("keyPairSpec", &self.key_pair_spec);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `GenerateDataKeyPair` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairResponse {
    /// The private key (PKCS#8 DER) encrypted under the KMS key.
    pub private_key_ciphertext_blob: Blob,
    /// The private key, PKCS#8 DER.
    pub private_key_plaintext: Blob,
    /// The public key, SubjectPublicKeyInfo DER.
    pub public_key: Blob,
    /// Key ARN.
    pub key_id: String,
    /// Type of the pair.
    pub key_pair_spec: DataKeyPairSpec,
}

/// `GenerateDataKeyPairWithoutPlaintext` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairWithoutPlaintextResponse {
    /// The private key (PKCS#8 DER) encrypted under the KMS key.
    pub private_key_ciphertext_blob: Blob,
    /// The public key, SubjectPublicKeyInfo DER.
    pub public_key: Blob,
    /// Key ARN.
    pub key_id: String,
    /// Type of the pair.
    pub key_pair_spec: DataKeyPairSpec,
}

/// `GenerateRandom` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GenerateRandomRequest {
    /// 1-1024 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_bytes: Option<i32>,
    /// Custom key store (not supported by kms-server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
}

impl Validate for GenerateRandomRequest {
    fn check(&self, v: &mut Validator) {
        v.range(
            "numberOfBytes",
            self.number_of_bytes.map(i64::from),
            1,
            1024,
        );
        v.opt_length("customKeyStoreId", &self.custom_key_store_id, 1, 64);
    }
}

/// `GenerateRandom` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateRandomResponse {
    /// The random bytes.
    pub plaintext: Blob,
}

/// `GetPublicKey` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetPublicKeyRequest {
    /// Asymmetric key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
}

impl Validate for GetPublicKeyRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `GetPublicKey` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicKeyResponse {
    /// Key ARN.
    pub key_id: String,
    /// SubjectPublicKeyInfo DER.
    pub public_key: Blob,
    /// Deprecated synonym of `KeySpec`.
    pub customer_master_key_spec: KeySpec,
    /// Type of the key.
    pub key_spec: KeySpec,
    /// Its use.
    pub key_usage: KeyUsageType,
    /// Encryption algorithms (encryption keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithmSpec>>,
    /// Signing algorithms (signing keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signing_algorithms: Option<Vec<SigningAlgorithmSpec>>,
    /// Key agreement algorithms (key agreement keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_agreement_algorithms: Option<Vec<KeyAgreementAlgorithmSpec>>,
    /// Key encapsulation algorithms (ENCAPSULATE_DECAPSULATE keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub encapsulation_algorithms: Option<Vec<EncapsulationAlgorithmSpec>>,
}

/// `Sign` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SignRequest {
    /// Signing key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// The message (RAW, up to 4096 bytes) or its digest (DIGEST).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Blob>,
    /// `RAW` (default) or `DIGEST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<MessageType>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Algorithm (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithm: Option<SigningAlgorithmSpec>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for SignRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("message", &self.message);
        v.opt_blob("message", &self.message, 1, MAX_PLAINTEXT);
        v.grant_tokens(&self.grant_tokens);
        v.required("signingAlgorithm", &self.signing_algorithm);
    }
}

/// `Sign` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignResponse {
    /// Key ARN.
    pub key_id: String,
    /// DER ECDSA signature or RSA signature.
    pub signature: Blob,
    /// Algorithm used.
    pub signing_algorithm: SigningAlgorithmSpec,
}

/// `Verify` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VerifyRequest {
    /// Signing key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// The message or its digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Blob>,
    /// `RAW` (default) or `DIGEST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<MessageType>,
    /// The signature to check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<Blob>,
    /// Algorithm (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithm: Option<SigningAlgorithmSpec>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for VerifyRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("message", &self.message);
        v.opt_blob("message", &self.message, 1, MAX_PLAINTEXT);
        v.required("signature", &self.signature);
        v.opt_blob("signature", &self.signature, 1, MAX_CIPHERTEXT);
        v.required("signingAlgorithm", &self.signing_algorithm);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `Verify` output (only when the signature is valid; otherwise
/// `KMSInvalidSignatureException`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyResponse {
    /// Key ARN.
    pub key_id: String,
    /// Always true.
    pub signature_valid: bool,
    /// Algorithm used.
    pub signing_algorithm: SigningAlgorithmSpec,
}

/// `GenerateMac` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GenerateMacRequest {
    /// The message, 1-4096 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Blob>,
    /// HMAC key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// Algorithm (required; must match the key spec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithm: Option<MacAlgorithmSpec>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for GenerateMacRequest {
    fn check(&self, v: &mut Validator) {
        v.required("message", &self.message);
        v.opt_blob("message", &self.message, 1, MAX_PLAINTEXT);
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("macAlgorithm", &self.mac_algorithm);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `GenerateMac` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateMacResponse {
    /// The MAC.
    pub mac: Blob,
    /// Algorithm used.
    pub mac_algorithm: MacAlgorithmSpec,
    /// Key ARN.
    pub key_id: String,
}

/// `VerifyMac` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VerifyMacRequest {
    /// The message, 1-4096 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Blob>,
    /// HMAC key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// Algorithm (required; must match the key spec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithm: Option<MacAlgorithmSpec>,
    /// The MAC to check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<Blob>,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for VerifyMacRequest {
    fn check(&self, v: &mut Validator) {
        v.required("message", &self.message);
        v.opt_blob("message", &self.message, 1, MAX_PLAINTEXT);
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("macAlgorithm", &self.mac_algorithm);
        v.required("mac", &self.mac);
        v.opt_blob("mac", &self.mac, 1, MAX_CIPHERTEXT);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `VerifyMac` output (only when the MAC is valid; otherwise `KMSInvalidMacException`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyMacResponse {
    /// Key ARN.
    pub key_id: String,
    /// Always true.
    pub mac_valid: bool,
    /// Algorithm used.
    pub mac_algorithm: MacAlgorithmSpec,
}

/// Largest public key `DeriveSharedSecret` accepts (`PublicKeyType`).
pub const MAX_PUBLIC_KEY: usize = 8192;

/// `Recipient`: a Nitro Enclaves or NitroTPM attestation document whose
/// public key the response is encrypted to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RecipientInfo {
    /// `RSAES_OAEP_SHA_256`, the only value AWS accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_encryption_algorithm: Option<String>,
    /// The signed attestation document (1 byte to 256 KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation_document: Option<Blob>,
}

/// `DeriveSharedSecret` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeriveSharedSecretRequest {
    /// Key agreement key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// `ECDH` (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithm: Option<KeyAgreementAlgorithmSpec>,
    /// The peer's public key: SubjectPublicKeyInfo DER on the key's curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<Blob>,
    /// Grant tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Attested recipient (refused by kms-server, which has no enclaves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientInfo>,
}

impl Validate for DeriveSharedSecretRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("keyAgreementAlgorithm", &self.key_agreement_algorithm);
        v.required("publicKey", &self.public_key);
        v.opt_blob("publicKey", &self.public_key, 1, MAX_PUBLIC_KEY);
        v.grant_tokens(&self.grant_tokens);
        if let Some(r) = &self.recipient {
            v.opt_blob(
                "recipient.attestationDocument",
                &r.attestation_document,
                1,
                256 * 1024,
            );
        }
    }
}

/// `DeriveSharedSecret` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeriveSharedSecretResponse {
    /// Key ARN.
    pub key_id: String,
    /// The raw shared secret (zeroized on drop, as every [`Blob`]).
    pub shared_secret: Blob,
    /// Algorithm used.
    pub key_agreement_algorithm: KeyAgreementAlgorithmSpec,
    /// `AWS_KMS` or `EXTERNAL`.
    pub key_origin: OriginType,
}

/// `Encapsulate` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EncapsulateRequest {
    /// ML-KEM key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// `ML_KEM` (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithm: Option<EncapsulationAlgorithmSpec>,
    /// Grant tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for EncapsulateRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("encapsulationAlgorithm", &self.encapsulation_algorithm);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `Encapsulate` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncapsulateResponse {
    /// Key ARN.
    pub key_id: String,
    /// The 32-byte shared secret (zeroized on drop, as every [`Blob`]).
    pub shared_secret: Blob,
    /// The ML-KEM ciphertext of the shared secret (768, 1,088 or 1,568
    /// bytes for ML_KEM_512, 768 and 1024).
    pub shared_secret_ciphertext_blob: Blob,
    /// Algorithm used.
    pub encapsulation_algorithm: EncapsulationAlgorithmSpec,
}

/// `Decapsulate` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DecapsulateRequest {
    /// ML-KEM key: id, ARN, alias name or alias ARN.
    pub key_id: String,
    /// The ciphertext `Encapsulate` returned (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_secret_ciphertext_blob: Option<Blob>,
    /// `ML_KEM` (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithm: Option<EncapsulationAlgorithmSpec>,
    /// Grant tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for DecapsulateRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required(
            "sharedSecretCiphertextBlob",
            &self.shared_secret_ciphertext_blob,
        );
        v.opt_blob(
            "sharedSecretCiphertextBlob",
            &self.shared_secret_ciphertext_blob,
            1,
            MAX_CIPHERTEXT,
        );
        v.required("encapsulationAlgorithm", &self.encapsulation_algorithm);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `Decapsulate` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecapsulateResponse {
    /// Key ARN.
    pub key_id: String,
    /// The 32-byte shared secret (zeroized on drop, as every [`Blob`]).
    pub shared_secret: Blob,
    /// Algorithm used.
    pub encapsulation_algorithm: EncapsulationAlgorithmSpec,
}
