//! Encrypt, Decrypt, ReEncrypt, GetPublicKey, Sign, Verify, GenerateMac,
//! VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate. Every one reads
//! only memory: no store access on this path.

use std::sync::Arc;

use kms_protocol::ops::{
    Blob, DecapsulateRequest, DecapsulateResponse, DecryptRequest, DecryptResponse,
    DeriveSharedSecretRequest, DeriveSharedSecretResponse, EncapsulateRequest, EncapsulateResponse,
    EncapsulationAlgorithmSpec, EncryptRequest, EncryptResponse, EncryptionAlgorithmSpec,
    EncryptionContext, GenerateMacRequest, GenerateMacResponse, GetPublicKeyRequest,
    GetPublicKeyResponse, KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType, ReEncryptRequest,
    ReEncryptResponse, SignRequest, SignResponse, SigningAlgorithmSpec, VerifyMacRequest,
    VerifyMacResponse, VerifyRequest, VerifyResponse,
};
use zeroize::Zeroizing;

use super::{
    Allow, Ctx, UsageAlgorithms, arn_of, blocking, check_usable, check_usage, cpu_bound, dry_run,
    find_key, required, resolve_key,
};
use crate::authz::{authorize_key, authorize_key_with};
use crate::crypto::{agree, ciphertext, mac, ml_kem, pke, sign};
use crate::error::KmsError;
use crate::registry::{KeyEntry, Registry};
use crate::state::AppState;

/// The material a usable key encrypts or signs with now.
pub(crate) fn current(
    entry: &KeyEntry,
) -> Result<(u32, &Arc<crate::crypto::KeyMaterial>), KmsError> {
    entry
        .current_material()
        .ok_or_else(|| KmsError::InvalidState(format!("{} has no key material.", arn_of(entry))))
}

/// Encrypts under a key that has passed its checks: symmetric, RSA or SM2.
pub(crate) fn encrypt_with(
    entry: &KeyEntry,
    algorithm: EncryptionAlgorithmSpec,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Vec<u8>, KmsError> {
    if !entry
        .record
        .spec
        .encryption_algorithms()
        .contains(&algorithm)
    {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} does not support the encryption algorithm {algorithm}.",
            arn_of(entry)
        )));
    }
    let (version, material) = current(entry)?;
    if algorithm == EncryptionAlgorithmSpec::SymmetricDefault {
        Ok(ciphertext::seal(
            material,
            &entry.record.key_id,
            version,
            plaintext,
            context,
        )?)
    } else {
        if !context.is_empty() {
            return Err(KmsError::Validation(
                "EncryptionContext is not supported with asymmetric KMS keys.".into(),
            ));
        }
        Ok(pke::encrypt(material, algorithm, plaintext)?)
    }
}

/// What a ciphertext decrypted to and under which key.
pub(crate) struct Opened {
    pub entry: Arc<KeyEntry>,
    pub algorithm: EncryptionAlgorithmSpec,
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// Finds the key of a ciphertext and checks it may decrypt; the RSA private
/// operation is left to the caller (it is slow and must run off the workers).
pub(crate) fn decrypt_key(
    registry: &Registry,
    ctx: &Ctx,
    blob: &[u8],
    key_id: Option<&str>,
    algorithm: Option<EncryptionAlgorithmSpec>,
) -> Result<(Arc<KeyEntry>, EncryptionAlgorithmSpec), KmsError> {
    let algorithm = algorithm.unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
    let named = key_id
        .map(|id| find_key(registry, ctx, id, Allow::KeysAndAliases))
        .transpose()?;
    let entry = if algorithm == EncryptionAlgorithmSpec::SymmetricDefault {
        let header = ciphertext::parse_header(blob)
            .map_err(|_| KmsError::InvalidCiphertext("The ciphertext is invalid.".into()))?;
        match named {
            Some(entry) => {
                if entry.record.key_id != header.key_id {
                    return Err(KmsError::IncorrectKey(
                        "The key ID in the request does not identify a KMS key that can \
                         perform this operation."
                            .into(),
                    ));
                }
                entry
            }
            None => {
                let entry = registry.key(&ctx.scope, header.key_id).ok_or_else(|| {
                    KmsError::InvalidCiphertext(
                        "The ciphertext refers to a key that does not exist.".into(),
                    )
                })?;
                ctx.resources.add(arn_of(&entry));
                authorize_key(ctx, &entry, ctx.access.action)?;
                entry
            }
        }
    } else {
        named.ok_or_else(|| {
            KmsError::Validation(format!(
                "KeyId is required to decrypt with the asymmetric algorithm {algorithm}."
            ))
        })?
    };
    if super::is_expired(&entry, ctx.now_ms) {
        return Err(KmsError::NotFound(format!(
            "Key '{}' does not exist",
            arn_of(&entry)
        )));
    }
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::EncryptDecrypt, "Decrypt")?;
    if !entry
        .record
        .spec
        .encryption_algorithms()
        .contains(&algorithm)
    {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} does not support the encryption algorithm {algorithm}.",
            arn_of(&entry)
        )));
    }
    Ok((entry, algorithm))
}

/// Decrypts with a key found by [`decrypt_key`].
pub(crate) async fn open_with(
    entry: Arc<KeyEntry>,
    algorithm: EncryptionAlgorithmSpec,
    blob: Vec<u8>,
    context: EncryptionContext,
) -> Result<Opened, KmsError> {
    let bad = || KmsError::InvalidCiphertext("The ciphertext is invalid.".into());
    if algorithm == EncryptionAlgorithmSpec::SymmetricDefault {
        let header = ciphertext::parse_header(&blob).map_err(|_| bad())?;
        let version = header.material_version;
        let material = entry.materials.get(&version).ok_or_else(|| {
            // Imported material that was deleted or expired can come back.
            if entry.record.extra.import(version).is_some() {
                KmsError::InvalidState(format!(
                    "The key material of {} that this ciphertext needs is pending import.",
                    super::arn_of(&entry)
                ))
            } else {
                bad()
            }
        })?;
        let plaintext = ciphertext::open(material, &blob, &context).map_err(|_| bad())?;
        Ok(Opened {
            entry,
            algorithm,
            plaintext,
        })
    } else {
        if !context.is_empty() {
            return Err(KmsError::Validation(
                "EncryptionContext is not supported with asymmetric KMS keys.".into(),
            ));
        }
        let (_, material) = current(&entry)?;
        let material = Arc::clone(material);
        let plaintext =
            cpu_bound(move || pke::decrypt(&material, algorithm, &blob).map_err(|_| bad())).await?;
        Ok(Opened {
            entry,
            algorithm,
            plaintext,
        })
    }
}

/// `Encrypt`.
pub fn encrypt(
    state: &AppState,
    ctx: &Ctx,
    mut req: EncryptRequest,
) -> Result<EncryptResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::EncryptDecrypt, "Encrypt")?;
    let algorithm = req
        .encryption_algorithm
        .unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
    let plaintext = req.plaintext.take().unwrap_or_default();
    let context = req.encryption_context.unwrap_or_default();
    if !entry
        .record
        .spec
        .encryption_algorithms()
        .contains(&algorithm)
    {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} does not support the encryption algorithm {algorithm}.",
            arn_of(&entry)
        )));
    }
    dry_run(req.dry_run)?;
    let blob = encrypt_with(&entry, algorithm, plaintext.as_bytes(), &context)?;
    Ok(EncryptResponse {
        ciphertext_blob: Blob::new(blob),
        key_id: arn_of(&entry),
        encryption_algorithm: algorithm,
    })
}

/// `Decrypt`.
pub async fn decrypt(
    state: &AppState,
    ctx: &Ctx,
    mut req: DecryptRequest,
) -> Result<DecryptResponse, KmsError> {
    let mut blob = required(req.ciphertext_blob.take(), "ciphertextBlob")?;
    let (entry, algorithm) = decrypt_key(
        &state.registry,
        ctx,
        blob.as_bytes(),
        req.key_id.as_deref(),
        req.encryption_algorithm,
    )?;
    dry_run(req.dry_run)?;
    let opened = open_with(
        entry,
        algorithm,
        blob.take(),
        req.encryption_context.unwrap_or_default(),
    )
    .await?;
    Ok(DecryptResponse {
        key_id: arn_of(&opened.entry),
        plaintext: Blob::from(opened.plaintext.as_slice()),
        encryption_algorithm: opened.algorithm,
    })
}

/// `ReEncrypt`.
pub async fn re_encrypt(
    state: &AppState,
    ctx: &Ctx,
    mut req: ReEncryptRequest,
) -> Result<ReEncryptResponse, KmsError> {
    let mut blob = required(req.ciphertext_blob.take(), "ciphertextBlob")?;
    let (source, source_alg) = decrypt_key(
        &state.registry,
        ctx,
        blob.as_bytes(),
        req.source_key_id.as_deref(),
        req.source_encryption_algorithm,
    )?;
    let dest = resolve_key(
        &state.registry,
        ctx,
        &req.destination_key_id,
        Allow::KeysAndAliases,
    )?;
    authorize_key_with(
        ctx,
        &dest,
        "kms:ReEncryptTo",
        req.destination_encryption_context.as_ref(),
    )?;
    check_usable(&dest)?;
    check_usage(&dest, KeyUsageType::EncryptDecrypt, "ReEncrypt")?;
    let dest_alg = req
        .destination_encryption_algorithm
        .unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
    if !dest.record.spec.encryption_algorithms().contains(&dest_alg) {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} does not support the encryption algorithm {dest_alg}.",
            arn_of(&dest)
        )));
    }
    dry_run(req.dry_run)?;
    let opened = open_with(
        source,
        source_alg,
        blob.take(),
        req.source_encryption_context.unwrap_or_default(),
    )
    .await?;
    let context = req.destination_encryption_context.unwrap_or_default();
    let new_blob = encrypt_with(&dest, dest_alg, &opened.plaintext, &context)?;
    Ok(ReEncryptResponse {
        ciphertext_blob: Blob::new(new_blob),
        source_key_id: arn_of(&opened.entry),
        key_id: arn_of(&dest),
        source_encryption_algorithm: source_alg,
        destination_encryption_algorithm: dest_alg,
    })
}

/// `GetPublicKey`.
pub fn get_public_key(
    state: &AppState,
    ctx: &Ctx,
    req: GetPublicKeyRequest,
) -> Result<GetPublicKeyResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    let spec = entry.record.spec;
    if !spec.is_asymmetric() {
        return Err(KmsError::Unsupported(format!(
            "{} is not an asymmetric key; GetPublicKey is not supported for it.",
            arn_of(&entry)
        )));
    }
    let (_, material) = current(&entry)?;
    let usage = entry.record.usage;
    // HMAC keys were refused above, so there is no MAC list to report.
    let algorithms = UsageAlgorithms::of(spec, usage);
    Ok(GetPublicKeyResponse {
        key_id: arn_of(&entry),
        public_key: Blob::from(material.public_key_der()?),
        customer_master_key_spec: spec,
        key_spec: spec,
        key_usage: usage,
        encryption_algorithms: algorithms.encryption,
        signing_algorithms: algorithms.signing,
        key_agreement_algorithms: algorithms.key_agreement,
        encapsulation_algorithms: algorithms.encapsulation,
    })
}

fn check_signing_algorithm(
    entry: &KeyEntry,
    algorithm: SigningAlgorithmSpec,
) -> Result<(), KmsError> {
    if entry.record.spec.signing_algorithms().contains(&algorithm) {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "{} does not support the signing algorithm {algorithm}.",
            arn_of(entry)
        )))
    }
}

/// `Sign`.
pub async fn sign(
    state: &AppState,
    ctx: &Ctx,
    mut req: SignRequest,
) -> Result<SignResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::SignVerify, "Sign")?;
    // Validation makes these present; the defaults are never used.
    let algorithm = req
        .signing_algorithm
        .unwrap_or(SigningAlgorithmSpec::EcdsaSha256);
    check_signing_algorithm(&entry, algorithm)?;
    dry_run(req.dry_run)?;
    let message_type = req.message_type.unwrap_or(MessageType::Raw);
    let mut message = req.message.take().unwrap_or_default();
    let (_, material) = current(&entry)?;
    let material = Arc::clone(material);
    let message = message.take();
    let slow = crate::crypto::material::rsa_bits(material.spec()).is_some()
        || matches!(
            material.spec(),
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87
        );
    let work = move || Ok(sign::sign(&material, algorithm, message_type, &message)?);
    // An RSA signature takes milliseconds and an ML-DSA one up to about a
    // millisecond (its rejection loop), so they wait for a core; an ECDSA
    // or Ed25519 one takes tens of microseconds, less than the wait would
    // cost it.
    let signature = if slow {
        cpu_bound(work).await?
    } else {
        blocking(work).await?
    };
    Ok(SignResponse {
        key_id: arn_of(&entry),
        signature: Blob::new(signature),
        signing_algorithm: algorithm,
    })
}

/// `Verify`: an invalid signature is `KMSInvalidSignatureException`.
pub async fn verify(
    state: &AppState,
    ctx: &Ctx,
    mut req: VerifyRequest,
) -> Result<VerifyResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::SignVerify, "Verify")?;
    let algorithm = req
        .signing_algorithm
        .unwrap_or(SigningAlgorithmSpec::EcdsaSha256);
    check_signing_algorithm(&entry, algorithm)?;
    dry_run(req.dry_run)?;
    let message_type = req.message_type.unwrap_or(MessageType::Raw);
    let message = req.message.take().unwrap_or_default();
    let signature = req.signature.take().unwrap_or_default();
    let (_, material) = current(&entry)?;
    let material = Arc::clone(material);
    // Public-key arithmetic: short for every key spec.
    blocking(move || {
        Ok(sign::verify(
            &material,
            algorithm,
            message_type,
            message.as_bytes(),
            signature.as_bytes(),
        )?)
    })
    .await?;
    Ok(VerifyResponse {
        key_id: arn_of(&entry),
        signature_valid: true,
        signing_algorithm: algorithm,
    })
}

fn check_mac_algorithm(entry: &KeyEntry, algorithm: MacAlgorithmSpec) -> Result<(), KmsError> {
    if entry.record.spec.mac_algorithms().contains(&algorithm) {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "{} does not support the MAC algorithm {algorithm}.",
            arn_of(entry)
        )))
    }
}

/// `GenerateMac`.
pub fn generate_mac(
    state: &AppState,
    ctx: &Ctx,
    req: GenerateMacRequest,
) -> Result<GenerateMacResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::GenerateVerifyMac, "GenerateMac")?;
    let algorithm = req.mac_algorithm.unwrap_or(MacAlgorithmSpec::HmacSha256);
    check_mac_algorithm(&entry, algorithm)?;
    dry_run(req.dry_run)?;
    let (_, material) = current(&entry)?;
    let message = req.message.unwrap_or_default();
    let tag = mac::generate_mac(material, algorithm, message.as_bytes())?;
    Ok(GenerateMacResponse {
        mac: Blob::new(tag),
        mac_algorithm: algorithm,
        key_id: arn_of(&entry),
    })
}

/// `VerifyMac`: an invalid MAC is `KMSInvalidMacException`.
pub fn verify_mac(
    state: &AppState,
    ctx: &Ctx,
    req: VerifyMacRequest,
) -> Result<VerifyMacResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::GenerateVerifyMac, "VerifyMac")?;
    let algorithm = req.mac_algorithm.unwrap_or(MacAlgorithmSpec::HmacSha256);
    check_mac_algorithm(&entry, algorithm)?;
    dry_run(req.dry_run)?;
    let (_, material) = current(&entry)?;
    let message = req.message.unwrap_or_default();
    let tag = req.mac.unwrap_or_default();
    mac::verify_mac(material, algorithm, message.as_bytes(), tag.as_bytes())?;
    Ok(VerifyMacResponse {
        key_id: arn_of(&entry),
        mac_valid: true,
        mac_algorithm: algorithm,
    })
}

/// `DeriveSharedSecret`: ECDH of a `KEY_AGREEMENT` key's private key and
/// the peer's public key, which must be on the key's curve. An attested
/// `Recipient` is refused: kms-server has no Nitro Enclaves to attest.
pub async fn derive_shared_secret(
    state: &AppState,
    ctx: &Ctx,
    mut req: DeriveSharedSecretRequest,
) -> Result<DeriveSharedSecretResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::KeyAgreement, "DeriveSharedSecret")?;
    let algorithm = required(req.key_agreement_algorithm, "keyAgreementAlgorithm")?;
    if !entry
        .record
        .spec
        .key_agreement_algorithms()
        .contains(&algorithm)
    {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} does not support the key agreement algorithm {algorithm}.",
            arn_of(&entry)
        )));
    }
    if req.recipient.is_some() {
        return Err(KmsError::Unsupported(
            "Recipient (a Nitro Enclaves or NitroTPM attestation document) is not supported by \
             kms-server: it has no attested environments."
                .into(),
        ));
    }
    dry_run(req.dry_run)?;
    let peer = required(req.public_key.take(), "publicKey")?;
    let (_, material) = current(&entry)?;
    let material = Arc::clone(material);
    // One scalar multiplication: tens of microseconds (P-521: under a
    // millisecond), less than waiting for a CPU-pool slot would cost.
    let secret =
        blocking(move || Ok(agree::derive_shared_secret(&material, peer.as_bytes())?)).await?;
    Ok(DeriveSharedSecretResponse {
        key_id: arn_of(&entry),
        shared_secret: Blob::from(secret.as_slice()),
        key_agreement_algorithm: algorithm,
        key_origin: entry.record.origin,
    })
}

/// The checks Encapsulate and Decapsulate share: a usable
/// ENCAPSULATE_DECAPSULATE key that supports `algorithm`.
fn encapsulation_key(
    state: &AppState,
    ctx: &Ctx,
    key_id: &str,
    algorithm: Option<EncapsulationAlgorithmSpec>,
    operation: &str,
) -> Result<(Arc<KeyEntry>, EncapsulationAlgorithmSpec), KmsError> {
    let entry = find_key(&state.registry, ctx, key_id, Allow::KeysAndAliases)?;
    check_usable(&entry)?;
    check_usage(&entry, KeyUsageType::EncapsulateDecapsulate, operation)?;
    let algorithm = required(algorithm, "encapsulationAlgorithm")?;
    if !entry
        .record
        .spec
        .encapsulation_algorithms()
        .contains(&algorithm)
    {
        return Err(KmsError::InvalidKeyUsage(format!(
            "{} does not support the encapsulation algorithm {algorithm}.",
            arn_of(&entry)
        )));
    }
    Ok((entry, algorithm))
}

/// `Encapsulate`: a fresh 32-byte shared secret and its ML-KEM ciphertext
/// under the key's encapsulation (public) key.
pub async fn encapsulate(
    state: &AppState,
    ctx: &Ctx,
    req: EncapsulateRequest,
) -> Result<EncapsulateResponse, KmsError> {
    let (entry, algorithm) = encapsulation_key(
        state,
        ctx,
        &req.key_id,
        req.encapsulation_algorithm,
        "Encapsulate",
    )?;
    dry_run(req.dry_run)?;
    let (_, material) = current(&entry)?;
    let material = Arc::clone(material);
    // ML-KEM encapsulation takes tens of microseconds: no CPU-pool slot.
    let encapsulated = blocking(move || Ok(ml_kem::encapsulate(&material)?)).await?;
    Ok(EncapsulateResponse {
        key_id: arn_of(&entry),
        shared_secret: Blob::from(&encapsulated.shared_secret[..]),
        shared_secret_ciphertext_blob: Blob::new(encapsulated.ciphertext),
        encapsulation_algorithm: algorithm,
    })
}

/// `Decapsulate`: the shared secret of an ML-KEM ciphertext. A ciphertext
/// of the wrong length for the key spec is `InvalidCiphertextException`;
/// any other answers 32 bytes (FIPS 203 implicit rejection for one this
/// key did not make), so callers must confirm the secret with their peer.
pub async fn decapsulate(
    state: &AppState,
    ctx: &Ctx,
    mut req: DecapsulateRequest,
) -> Result<DecapsulateResponse, KmsError> {
    let (entry, algorithm) = encapsulation_key(
        state,
        ctx,
        &req.key_id,
        req.encapsulation_algorithm,
        "Decapsulate",
    )?;
    dry_run(req.dry_run)?;
    let ciphertext = required(
        req.shared_secret_ciphertext_blob.take(),
        "sharedSecretCiphertextBlob",
    )?;
    let (_, material) = current(&entry)?;
    let material = Arc::clone(material);
    // Decapsulation re-encrypts to compare: tens of microseconds as well.
    let secret =
        blocking(move || Ok(ml_kem::decapsulate(&material, ciphertext.as_bytes())?)).await?;
    Ok(DecapsulateResponse {
        key_id: arn_of(&entry),
        shared_secret: Blob::from(&secret[..]),
        encapsulation_algorithm: algorithm,
    })
}
