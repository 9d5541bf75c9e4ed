//! GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateDataKeyPair,
//! GenerateDataKeyPairWithoutPlaintext, GenerateRandom.
//!
//! Data keys are encrypted under symmetric encryption keys only, as AWS does.

use std::sync::Arc;

use kms_protocol::ops::{
    Blob, DataKeyPairSpec, EncryptionAlgorithmSpec, GenerateDataKeyPairRequest,
    GenerateDataKeyPairResponse, GenerateDataKeyPairWithoutPlaintextResponse,
    GenerateDataKeyRequest, GenerateDataKeyResponse, GenerateDataKeyWithoutPlaintextResponse,
    GenerateRandomRequest, GenerateRandomResponse, KeySpec, KeyUsageType,
};
use zeroize::Zeroizing;

use super::crypto_ops::encrypt_with;
use super::{Allow, Ctx, arn_of, blocking, check_usable, check_usage, dry_run, find_key, required};
use crate::crypto::datakey::{self, DataKeyLength};
use crate::error::KmsError;
use crate::registry::KeyEntry;
use crate::state::AppState;

/// Finds a key that may encrypt data keys, with the checks AWS makes.
fn data_key_encryption_key(
    state: &AppState,
    ctx: &Ctx,
    key_id: &str,
    operation: &str,
) -> Result<Arc<KeyEntry>, KmsError> {
    let entry = find_key(&state.registry, ctx, key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::EncryptDecrypt, operation)?;
    if entry.record.spec != KeySpec::SymmetricDefault {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} is not a symmetric encryption key; {operation} needs one.",
            arn_of(&entry)
        )));
    }
    Ok(entry)
}

/// A new data key: encrypted, in the clear, and the ARN of the key that encrypted it.
struct NewDataKey {
    blob: Vec<u8>,
    plaintext: Zeroizing<Vec<u8>>,
    key_arn: String,
}

fn new_data_key(
    state: &AppState,
    ctx: &Ctx,
    req: GenerateDataKeyRequest,
    operation: &str,
) -> Result<NewDataKey, KmsError> {
    let number_of_bytes = req.number_of_bytes.map(|n| u32::try_from(n).unwrap_or(0));
    let length = DataKeyLength::from_request(req.key_spec, number_of_bytes).map_err(|_| {
        KmsError::Validation(
            "Please specify either number of bytes or key spec (exactly one of them).".into(),
        )
    })?;
    let entry = data_key_encryption_key(state, ctx, &req.key_id, operation)?;
    dry_run(req.dry_run)?;
    let plaintext = datakey::generate_data_key(length)?;
    let context = req.encryption_context.unwrap_or_default();
    let blob = encrypt_with(
        &entry,
        EncryptionAlgorithmSpec::SymmetricDefault,
        &plaintext,
        &context,
    )?;
    Ok(NewDataKey {
        blob,
        plaintext,
        key_arn: arn_of(&entry),
    })
}

/// `GenerateDataKey`.
pub fn generate_data_key(
    state: &AppState,
    ctx: &Ctx,
    req: GenerateDataKeyRequest,
) -> Result<GenerateDataKeyResponse, KmsError> {
    let key = new_data_key(state, ctx, req, "GenerateDataKey")?;
    Ok(GenerateDataKeyResponse {
        plaintext: Blob::from(key.plaintext.as_slice()),
        ciphertext_blob: Blob::new(key.blob),
        key_id: key.key_arn,
    })
}

/// `GenerateDataKeyWithoutPlaintext`.
pub fn generate_data_key_without_plaintext(
    state: &AppState,
    ctx: &Ctx,
    req: GenerateDataKeyRequest,
) -> Result<GenerateDataKeyWithoutPlaintextResponse, KmsError> {
    let key = new_data_key(state, ctx, req, "GenerateDataKeyWithoutPlaintext")?;
    Ok(GenerateDataKeyWithoutPlaintextResponse {
        ciphertext_blob: Blob::new(key.blob),
        key_id: key.key_arn,
    })
}

/// A generated pair: encrypted private key, private key, public key, key ARN, spec.
type NewPair = (
    Vec<u8>,
    Zeroizing<Vec<u8>>,
    Vec<u8>,
    String,
    DataKeyPairSpec,
);

async fn new_data_key_pair(
    state: &AppState,
    ctx: &Ctx,
    req: GenerateDataKeyPairRequest,
    operation: &str,
) -> Result<NewPair, KmsError> {
    let entry = data_key_encryption_key(state, ctx, &req.key_id, operation)?;
    // Validation makes the spec present.
    let spec = required(req.key_pair_spec, "keyPairSpec")?;
    if spec == DataKeyPairSpec::Sm2 {
        super::check_sm2_region(ctx, "KeyPairSpec SM2")?;
    }
    dry_run(req.dry_run)?;
    let pair = blocking(move || Ok(datakey::generate_data_key_pair(spec)?)).await?;
    let context = req.encryption_context.unwrap_or_default();
    let blob = encrypt_with(
        &entry,
        EncryptionAlgorithmSpec::SymmetricDefault,
        &pair.private_key_der,
        &context,
    )?;
    Ok((
        blob,
        pair.private_key_der,
        pair.public_key_der,
        arn_of(&entry),
        spec,
    ))
}

/// `GenerateDataKeyPair`.
pub async fn generate_data_key_pair(
    state: &AppState,
    ctx: &Ctx,
    req: GenerateDataKeyPairRequest,
) -> Result<GenerateDataKeyPairResponse, KmsError> {
    let (blob, private, public, key_id, spec) =
        new_data_key_pair(state, ctx, req, "GenerateDataKeyPair").await?;
    Ok(GenerateDataKeyPairResponse {
        private_key_ciphertext_blob: Blob::new(blob),
        private_key_plaintext: Blob::from(private.as_slice()),
        public_key: Blob::new(public),
        key_id,
        key_pair_spec: spec,
    })
}

/// `GenerateDataKeyPairWithoutPlaintext`.
pub async fn generate_data_key_pair_without_plaintext(
    state: &AppState,
    ctx: &Ctx,
    req: GenerateDataKeyPairRequest,
) -> Result<GenerateDataKeyPairWithoutPlaintextResponse, KmsError> {
    let (blob, _, public, key_id, spec) =
        new_data_key_pair(state, ctx, req, "GenerateDataKeyPairWithoutPlaintext").await?;
    Ok(GenerateDataKeyPairWithoutPlaintextResponse {
        private_key_ciphertext_blob: Blob::new(blob),
        public_key: Blob::new(public),
        key_id,
        key_pair_spec: spec,
    })
}

/// `GenerateRandom`.
pub fn generate_random(req: GenerateRandomRequest) -> Result<GenerateRandomResponse, KmsError> {
    if req.custom_key_store_id.is_some() {
        return Err(KmsError::Unsupported(
            "Custom key stores are not supported by kms-server.".into(),
        ));
    }
    let n = required(req.number_of_bytes, "numberOfBytes")?;
    let n = u32::try_from(n).unwrap_or(0);
    let bytes = datakey::generate_data_key(DataKeyLength::Bytes(n))?;
    Ok(GenerateRandomResponse {
        plaintext: Blob::from(bytes.as_slice()),
    })
}
