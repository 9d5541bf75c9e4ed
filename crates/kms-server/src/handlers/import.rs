//! Imported key material (GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial) and AWS managed keys (`alias/aws/<service>`).
//!
//! Import tokens are stateless: the token is the wrapping key pair's private
//! key, its algorithm and its expiry, sealed under the root key and bound to
//! the KMS key's account, region and id. Only this server can open one, a
//! token for another key does not open, and a restart does not invalidate
//! tokens already handed out. They expire 24 hours after they were made, on
//! the lifecycle clock.

use std::sync::Arc;

use kms_protocol::ops::{
    DeleteImportedKeyMaterialRequest, ExpirationModelType, GetParametersForImportRequest,
    GetParametersForImportResponse, ImportKeyMaterialRequest, KeyMaterialResponse, KeySpec,
    KeyState, KeyUsageType, OriginType, Request, Timestamp, WrappingAlgorithmSpec, WrappingKeySpec,
};
use sha2::{Digest as _, Sha256};

use super::lifecycle::{DAY_MS, DEFAULT_ROTATION_DAYS, material_id};
use super::{Allow, Ctx, arn_of, blocking, find_key, required};
use crate::crypto::KeyMaterial;
use crate::crypto::import::{WrappingKeyPair, check_wrapping};
use crate::error::KmsError;
use crate::registry::{KeyEntry, Registry};
use crate::state::AppState;
use crate::store::{AliasRecord, Change, ImportedMaterial, KeyExtra, KeyRecord, RotationSettings};

/// `ImportType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImportType {
    New,
    Existing,
}

const TOKEN_PURPOSE: &str = "kms-server import token v1";
/// How long parameters for import stay valid.
pub const TOKEN_LIFETIME_MS: i64 = DAY_MS;
/// The longest `ValidTo` AWS accepts ahead of now.
const MAX_VALID_TO_MS: i64 = 365 * DAY_MS;

fn token_id(entry: &KeyEntry) -> String {
    let s = &entry.record.scope;
    format!("{}/{}/{}", s.account, s.region, entry.record.key_id)
}

fn check_external(entry: &KeyEntry) -> Result<(), KmsError> {
    if entry.record.origin != OriginType::External {
        return Err(KmsError::Unsupported(format!(
            "{} does not have imported key material: its origin is {}, not EXTERNAL.",
            arn_of(entry),
            entry.record.origin
        )));
    }
    if entry.record.state == KeyState::PendingDeletion {
        return Err(KmsError::InvalidState(format!(
            "{} is pending deletion.",
            arn_of(entry)
        )));
    }
    Ok(())
}

fn wrapping_spec_code(spec: WrappingKeySpec) -> u8 {
    match spec {
        WrappingKeySpec::Rsa2048 => 1,
        WrappingKeySpec::Rsa3072 => 2,
        WrappingKeySpec::Rsa4096 => 3,
        WrappingKeySpec::Sm2 => 4,
    }
}

fn wrapping_spec_of(code: u8) -> Option<WrappingKeySpec> {
    match code {
        1 => Some(WrappingKeySpec::Rsa2048),
        2 => Some(WrappingKeySpec::Rsa3072),
        3 => Some(WrappingKeySpec::Rsa4096),
        4 => Some(WrappingKeySpec::Sm2),
        _ => None,
    }
}

fn algorithm_code(a: WrappingAlgorithmSpec) -> u8 {
    match a {
        WrappingAlgorithmSpec::RsaesOaepSha1 => 1,
        WrappingAlgorithmSpec::RsaesOaepSha256 => 2,
        WrappingAlgorithmSpec::RsaAesKeyWrapSha1 => 3,
        WrappingAlgorithmSpec::RsaAesKeyWrapSha256 => 4,
        WrappingAlgorithmSpec::Sm2Pke => 5,
        // Refused by `check_wrapping` before any token is made.
        WrappingAlgorithmSpec::RsaesPkcs1V15 => 0,
    }
}

fn algorithm_of(code: u8) -> Option<WrappingAlgorithmSpec> {
    match code {
        1 => Some(WrappingAlgorithmSpec::RsaesOaepSha1),
        2 => Some(WrappingAlgorithmSpec::RsaesOaepSha256),
        3 => Some(WrappingAlgorithmSpec::RsaAesKeyWrapSha1),
        4 => Some(WrappingAlgorithmSpec::RsaAesKeyWrapSha256),
        5 => Some(WrappingAlgorithmSpec::Sm2Pke),
        _ => None,
    }
}

/// `GetParametersForImport`.
pub async fn get_parameters_for_import(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: GetParametersForImportRequest,
) -> Result<GetParametersForImportResponse, KmsError> {
    let algorithm = required(req.wrapping_algorithm, "wrappingAlgorithm")?;
    let spec = required(req.wrapping_key_spec, "wrappingKeySpec")?;
    if spec == WrappingKeySpec::Sm2 {
        super::check_sm2_region(ctx, "WrappingKeySpec SM2")?;
    }
    if algorithm == WrappingAlgorithmSpec::Sm2Pke {
        super::check_sm2_region(ctx, "WrappingAlgorithm SM2PKE")?;
    }
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    check_external(&entry)?;
    check_wrapping(entry.record.spec, spec, algorithm)?;
    let valid_to = ctx.now_ms + TOKEN_LIFETIME_MS;
    let id = token_id(&entry);
    let st = Arc::clone(state);
    let (token, public_key) = blocking(move || {
        let pair = WrappingKeyPair::generate(spec)?;
        let private = pair.to_bytes()?;
        let mut payload = zeroize::Zeroizing::new(Vec::with_capacity(10 + private.len()));
        payload.extend_from_slice(&valid_to.to_be_bytes());
        payload.push(wrapping_spec_code(spec));
        payload.push(algorithm_code(algorithm));
        payload.extend_from_slice(&private);
        let token = st.root.seal_secret(TOKEN_PURPOSE, &id, 0, &payload)?;
        Ok((token, pair.public_key_der().to_vec()))
    })
    .await?;
    Ok(GetParametersForImportResponse {
        key_id: arn_of(&entry),
        import_token: token.into(),
        public_key: public_key.into(),
        parameters_valid_to: Timestamp::from_millis(valid_to),
    })
}

/// A stable fingerprint of imported material, to recognise a reimport of
/// the same material (a hash of a 256-bit secret reveals nothing usable).
fn fingerprint(material: &KeyMaterial) -> Result<String, KmsError> {
    let bytes = material.to_bytes()?;
    let mut h = Sha256::new();
    h.update(b"kms-server imported material fingerprint v1\0");
    h.update(bytes.as_slice());
    Ok(hex::encode(h.finalize()))
}

/// `ImportKeyMaterial`.
pub async fn import_key_material(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: ImportKeyMaterialRequest,
) -> Result<KeyMaterialResponse, KmsError> {
    let token = required(req.import_token.clone(), "importToken")?;
    let wrapped = required(req.encrypted_key_material.clone(), "encryptedKeyMaterial")?;
    // The request validation allowed only the two values.
    let import_type = req.import_type.as_deref().map(|t| {
        if t == "NEW_KEY_MATERIAL" {
            ImportType::New
        } else {
            ImportType::Existing
        }
    });
    if import_type == Some(ImportType::New) && req.key_material_id.is_some() {
        return Err(KmsError::Validation(
            "KeyMaterialId cannot be given with ImportType NEW_KEY_MATERIAL.".into(),
        ));
    }
    let expires = match (req.expiration_model, req.valid_to) {
        (Some(ExpirationModelType::KeyMaterialDoesNotExpire), Some(_)) => {
            return Err(KmsError::Validation(
                "ValidTo must not be set when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE."
                    .into(),
            ));
        }
        (Some(ExpirationModelType::KeyMaterialExpires), None) => {
            return Err(KmsError::Validation(
                "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.".into(),
            ));
        }
        (_, Some(t)) => {
            let ms = t.as_millis();
            if ms <= ctx.now_ms || ms > ctx.now_ms + MAX_VALID_TO_MS {
                return Err(KmsError::Validation(
                    "ValidTo must be in the future and at most 365 days away.".into(),
                ));
            }
            Some(ms)
        }
        (_, None) => None,
    };
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    check_external(&entry)?;
    let symmetric = entry.record.spec == KeySpec::SymmetricDefault;
    if !symmetric
        && (import_type.is_some()
            || req.key_material_id.is_some()
            || req.key_material_description.is_some())
    {
        return Err(KmsError::Validation(
            "ImportType, KeyMaterialId and KeyMaterialDescription apply only to symmetric \
             encryption keys."
                .into(),
        ));
    }
    let id = token_id(&entry);
    let st = Arc::clone(state);
    let now = ctx.now_ms;
    let spec = entry.record.spec;
    let material = blocking(move || {
        let payload = st
            .root
            .open_secret(TOKEN_PURPOSE, &id, 0, token.as_bytes())
            .map_err(|_| {
                KmsError::InvalidImportToken(
                    "The import token is not valid for this KMS key.".into(),
                )
            })?;
        if payload.len() < 10 {
            return Err(KmsError::InvalidImportToken(
                "The import token is not valid.".into(),
            ));
        }
        let mut ms = [0u8; 8];
        ms.copy_from_slice(&payload[..8]);
        if i64::from_be_bytes(ms) <= now {
            return Err(KmsError::ExpiredImportToken(
                "The import token has expired; call GetParametersForImport again.".into(),
            ));
        }
        let (Some(wrapping_spec), Some(algorithm)) =
            (wrapping_spec_of(payload[8]), algorithm_of(payload[9]))
        else {
            return Err(KmsError::InvalidImportToken(
                "The import token is not valid.".into(),
            ));
        };
        let pair = WrappingKeyPair::from_bytes(wrapping_spec, &payload[10..])?;
        let raw = pair.unwrap_key_material(algorithm, wrapped.as_bytes())?;
        let material = KeyMaterial::from_bytes(spec, &raw).map_err(|e| {
            KmsError::IncorrectKeyMaterial(format!(
                "The key material does not fit a {spec} key: {e}"
            ))
        })?;
        Ok(Arc::new(material))
    })
    .await?;
    let print = fingerprint(&material)?;
    let ctx = ctx.clone();
    let st = Arc::clone(state);
    let key_ref = req.key_id.clone();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &key_ref, Allow::KeysOnly)?;
            check_external(&entry)?;
            let arn = arn_of(&entry);
            let mut record = entry.record.clone();
            let imports = &mut record.extra.imported;
            let same = imports.iter().position(|m| m.fingerprint == print);
            // AWS's default: new for the first import, existing after.
            let new = match import_type {
                Some(t) => t == ImportType::New,
                None => imports.is_empty(),
            };
            let index = if new {
                if same.is_some() {
                    return Err(KmsError::IncorrectKeyMaterial(format!(
                        "This key material was imported into {arn} before; import it with \
                         ImportType EXISTING_KEY_MATERIAL."
                    )));
                }
                if !imports.is_empty() {
                    check_rotatable_import(&entry)?;
                    if imports.iter().any(|m| m.pending_rotation) {
                        return Err(KmsError::InvalidState(format!(
                            "{arn} already has key material pending rotation; rotate it with \
                             RotateKeyOnDemand or delete it first."
                        )));
                    }
                }
                let version = imports
                    .iter()
                    .map(|m| m.version)
                    .chain(entry.materials.keys().copied())
                    .max()
                    .unwrap_or(0)
                    + 1;
                imports.push(ImportedMaterial {
                    version,
                    fingerprint: print.clone(),
                    description: None,
                    expires_ms: None,
                    pending_rotation: version != 1,
                });
                imports.len() - 1
            } else {
                let Some(index) = same else {
                    return Err(KmsError::IncorrectKeyMaterial(if imports.is_empty() {
                        format!(
                            "{arn} has no key material yet; import it with ImportType \
                             NEW_KEY_MATERIAL."
                        )
                    } else {
                        format!(
                            "This is not key material imported into {arn} before; only that \
                             material can be imported again."
                        )
                    }));
                };
                if let Some(wanted) = &req.key_material_id
                    && *wanted != material_id(&record.key_id, imports[index].version)
                {
                    return Err(KmsError::IncorrectKeyMaterial(format!(
                        "The key material is not the key material {wanted} of {arn}."
                    )));
                }
                index
            };
            let import = &mut imports[index];
            import.expires_ms = expires;
            if let Some(d) = &req.key_material_description {
                import.description = Some(d.clone());
            }
            let version = import.version;
            if version == 1 && record.current_version == 0 {
                record.current_version = 1;
            }
            if version == record.current_version && record.state == KeyState::PendingImport {
                record.state = KeyState::Enabled;
            }
            let mut changes = vec![Change::PutKey(record.clone())];
            // Importing material the key still has only sets its expiry
            // again (AWS's way to change it); the material itself is there.
            if !entry.materials.contains_key(&version) {
                let sealed = st.root.seal_material(&material, &record.key_id, version)?;
                changes.push(Change::PutMaterial {
                    scope: record.scope.clone(),
                    key_id: record.key_id.clone(),
                    version,
                    sealed,
                    material: Arc::clone(&material),
                });
            }
            let response = KeyMaterialResponse {
                key_id: arn,
                key_material_id: Some(material_id(&record.key_id, version)),
            };
            Ok((changes, response))
        })
        .await
}

/// Whether a key with imported material can take new material and rotate
/// to it: only single-Region symmetric keys can.
pub fn takes_new_material(record: &KeyRecord) -> bool {
    record.spec == KeySpec::SymmetricDefault && !record.multi_region
}

/// The `ExpirationModel` of imported material that expires at `expires_ms`.
pub fn expiration_model(expires_ms: Option<i64>) -> ExpirationModelType {
    if expires_ms.is_some() {
        ExpirationModelType::KeyMaterialExpires
    } else {
        ExpirationModelType::KeyMaterialDoesNotExpire
    }
}

/// Refuses new material for a key that cannot rotate to it.
fn check_rotatable_import(entry: &KeyEntry) -> Result<(), KmsError> {
    if !takes_new_material(&entry.record) {
        return Err(KmsError::Unsupported(format!(
            "{} cannot take new key material: only single-Region symmetric encryption keys \
             rotate imported key material.",
            arn_of(entry)
        )));
    }
    Ok(())
}

/// The changes that take imported material versions away (deleted or
/// expired). Without its current material the key waits for it again,
/// unless it is being deleted; the materials' records stay, so the same
/// material can be imported again.
pub fn remove_material_changes(entry: &KeyEntry, versions: &[u32]) -> Vec<Change> {
    let mut record = entry.record.clone();
    for m in record
        .extra
        .imported
        .iter_mut()
        .filter(|m| versions.contains(&m.version))
    {
        m.expires_ms = None;
    }
    if versions.contains(&record.current_version) && record.state != KeyState::PendingDeletion {
        record.state = KeyState::PendingImport;
    }
    let mut changes: Vec<Change> = versions
        .iter()
        .filter(|v| entry.materials.contains_key(v))
        .map(|&version| Change::DeleteMaterial {
            scope: record.scope.clone(),
            key_id: record.key_id.clone(),
            version,
        })
        .collect();
    changes.push(Change::PutKey(record));
    changes
}

/// `DeleteImportedKeyMaterial`.
pub async fn delete_imported_key_material(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: DeleteImportedKeyMaterialRequest,
) -> Result<KeyMaterialResponse, KmsError> {
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            check_external(&entry)?;
            let key_id = &entry.record.key_id;
            let imports = &entry.record.extra.imported;
            let target = match &req.key_material_id {
                Some(wanted) => Some(
                    imports
                        .iter()
                        .map(|m| m.version)
                        .find(|v| material_id(key_id, *v) == *wanted)
                        .ok_or_else(|| {
                            KmsError::NotFound(format!(
                                "{} has no key material {wanted}.",
                                arn_of(&entry)
                            ))
                        })?,
                ),
                // The current material, when anything was ever imported.
                None => (!imports.is_empty()).then_some(entry.record.current_version),
            };
            let response = KeyMaterialResponse {
                key_id: arn_of(&entry),
                key_material_id: target.map(|v| material_id(key_id, v)),
            };
            let changes = match target {
                Some(v) => remove_material_changes(&entry, &[v]),
                None => Vec::new(),
            };
            Ok((changes, response))
        })
        .await
}

/// The `alias/aws/<service>` name a request's key identifier uses, when it
/// is one in the caller's own account and region.
fn managed_alias(ctx: &Ctx, key_id: &str) -> Option<String> {
    let name = match key_id.strip_prefix("arn:") {
        None => key_id.to_owned(),
        Some(_) => {
            let prefix = format!(
                "arn:{}:kms:{}:{}:",
                kms_protocol::ids::partition_of_region(&ctx.scope.region),
                ctx.scope.region,
                ctx.scope.account
            );
            key_id.strip_prefix(&prefix)?.to_owned()
        }
    };
    let service = name.strip_prefix("alias/aws/")?;
    let valid = !service.is_empty()
        && service.len() <= 64
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then_some(name)
}

/// The key identifier of the requests that create an AWS managed key on
/// first use (as a service's first use does in AWS).
fn managed_key_use(request: &Request) -> Option<&str> {
    match request {
        Request::Encrypt(r) => Some(&r.key_id),
        Request::GenerateDataKey(r) => Some(&r.key_id),
        Request::GenerateDataKeyWithoutPlaintext(r) => Some(&r.key_id),
        Request::GenerateDataKeyPair(r) => Some(&r.key_id),
        Request::GenerateDataKeyPairWithoutPlaintext(r) => Some(&r.key_id),
        Request::ReEncrypt(r) => Some(&r.destination_key_id),
        Request::DescribeKey(r) => Some(&r.key_id),
        _ => None,
    }
}

/// The key policy of an AWS managed key: every principal of the account may
/// use it and read it (AWS adds a `kms:ViaService` condition; kms-server has
/// no services, so it is left out), and nobody may administer it: disabling,
/// deleting, re-policying or stopping its rotation are refused with
/// AccessDeniedException, as in AWS.
fn managed_key_policy(account: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": "auto-managed-key",
        "Statement": [
            {
                "Sid": "Allow access through the service for all principals in the account",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
                           "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": account}}
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*"
            }
        ]
    })
    .to_string()
}

/// Creates the AWS managed key a request names, if it is one and does not
/// exist yet; two first uses at once create one key.
pub async fn ensure_managed_key(
    state: &Arc<AppState>,
    ctx: &Ctx,
    request: &Request,
) -> Result<(), KmsError> {
    let Some(name) = managed_key_use(request).and_then(|id| managed_alias(ctx, id)) else {
        return Ok(());
    };
    if state.registry.alias(&ctx.scope, &name).is_some() {
        return Ok(());
    }
    let key_id = uuid::Uuid::new_v4().hyphenated().to_string();
    let st = Arc::clone(state);
    let material = blocking(move || {
        let material = KeyMaterial::generate(KeySpec::SymmetricDefault)?;
        let sealed = st.root.seal_material(&material, &key_id, 1)?;
        Ok((Arc::new(material), sealed, key_id))
    })
    .await?;
    let ctx = ctx.clone();
    state
        .commit(move |registry: &Registry| {
            if registry.alias(&ctx.scope, &name).is_some() {
                return Ok((Vec::new(), ()));
            }
            let (material, sealed, key_id) = material;
            let service = name.trim_start_matches("alias/aws/");
            let record = KeyRecord {
                scope: ctx.scope.clone(),
                key_id: key_id.clone(),
                spec: KeySpec::SymmetricDefault,
                usage: KeyUsageType::EncryptDecrypt,
                origin: OriginType::AwsKms,
                state: KeyState::Enabled,
                description: format!(
                    "Default key that protects my {service} data when no other key is defined"
                ),
                created_ms: ctx.now_ms,
                deletion_ms: None,
                pending_window_days: None,
                multi_region: false,
                policy: Some(managed_key_policy(&ctx.scope.account)),
                current_version: 1,
                created_by: format!("arn:aws:iam::{}:root", ctx.scope.account),
                extra: KeyExtra {
                    aws_managed: true,
                    rotation: Some(RotationSettings {
                        period_days: DEFAULT_ROTATION_DAYS,
                        next_ms: ctx.now_ms + i64::from(DEFAULT_ROTATION_DAYS) * DAY_MS,
                    }),
                    ..KeyExtra::default()
                },
            };
            let alias = AliasRecord {
                scope: ctx.scope.clone(),
                name: name.clone(),
                target_key_id: key_id.clone(),
                created_ms: ctx.now_ms,
                updated_ms: ctx.now_ms,
            };
            Ok((
                vec![
                    Change::PutKey(record),
                    Change::PutMaterial {
                        scope: ctx.scope.clone(),
                        key_id,
                        version: 1,
                        sealed,
                        material,
                    },
                    Change::PutAlias(alias),
                ],
                (),
            ))
        })
        .await
}

/// Keys with imported material that expired by `now`, with its versions.
pub fn expired_material(registry: &Registry, now: i64) -> Vec<(Arc<KeyEntry>, Vec<u32>)> {
    registry
        .all_keys()
        .into_iter()
        .filter_map(|e| {
            let versions: Vec<u32> = e
                .record
                .extra
                .imported
                .iter()
                .filter(|m| m.expires_ms.is_some_and(|t| t <= now))
                .map(|m| m.version)
                .collect();
            (!versions.is_empty()).then_some((e, versions))
        })
        .collect()
}
