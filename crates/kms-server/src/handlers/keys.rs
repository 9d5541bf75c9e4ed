//! CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, EnableKey,
//! DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, and the sweeper that
//! deletes keys whose waiting period is over.

use std::sync::Arc;

use kms_protocol::ops::{
    CancelKeyDeletionRequest, CancelKeyDeletionResponse, CreateKeyRequest, CreateKeyResponse,
    DescribeKeyRequest, DescribeKeyResponse, DisableKeyRequest, EmptyResponse, EnableKeyRequest,
    GetKeyLastUsageResponse, KeyLastUsageData, KeyListEntry, KeyManagerType, KeyMetadata,
    KeyOnlyRequest, KeySpec, KeyState, KeyUsageType, ListKeysRequest, ListKeysResponse,
    MultiRegionConfiguration, MultiRegionKey, MultiRegionKeyType, OriginType,
    ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse, Timestamp,
    UpdateKeyDescriptionRequest,
};

use super::tags::check_new_tags;
use super::{Allow, Ctx, UsageAlgorithms, arn_of, blocking, find_key, is_expired};
use crate::crypto::KeyMaterial;
use crate::error::KmsError;
use crate::registry::KeyEntry;
use crate::state::AppState;
use crate::store::{Change, KeyExtra, KeyRecord, MultiRegionInfo, Scope};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The `KeyMetadata` AWS returns for a key.
pub fn key_metadata(entry: &KeyEntry) -> KeyMetadata {
    let r = &entry.record;
    let arn = arn_of(entry);
    let algorithms = UsageAlgorithms::of(r.spec, r.usage);
    // Imported material: the expiry of the current material.
    let expires_ms = r.extra.import(r.current_version).and_then(|m| m.expires_ms);
    KeyMetadata {
        aws_account_id: r.scope.account.clone(),
        key_id: r.key_id.clone(),
        arn: arn.clone(),
        creation_date: Timestamp::from_millis(r.created_ms),
        enabled: r.state == KeyState::Enabled,
        description: r.description.clone(),
        key_usage: r.usage,
        key_state: r.state,
        deletion_date: r.deletion_ms.map(Timestamp::from_millis),
        valid_to: expires_ms.map(Timestamp::from_millis),
        origin: r.origin,
        expiration_model: (r.origin == OriginType::External)
            .then(|| super::import::expiration_model(expires_ms)),
        key_manager: if r.extra.aws_managed {
            KeyManagerType::Aws
        } else {
            KeyManagerType::Customer
        },
        customer_master_key_spec: r.spec,
        key_spec: r.spec,
        encryption_algorithms: algorithms.encryption,
        signing_algorithms: algorithms.signing,
        key_agreement_algorithms: algorithms.key_agreement,
        encapsulation_algorithms: algorithms.encapsulation,
        mac_algorithms: algorithms.mac,
        multi_region: r.multi_region,
        multi_region_configuration: r.extra.multi_region.as_ref().map(|m| {
            let member = |region: &str| MultiRegionKey {
                arn: Scope::new(r.scope.account.clone(), region).key_arn(&r.key_id),
                region: region.to_owned(),
            };
            MultiRegionConfiguration {
                multi_region_key_type: if m.primary_region == r.scope.region {
                    MultiRegionKeyType::Primary
                } else {
                    MultiRegionKeyType::Replica
                },
                primary_key: member(&m.primary_region),
                replica_keys: m.replica_regions.iter().map(|x| member(x)).collect(),
            }
        }),
        pending_deletion_window_in_days: if r.state == KeyState::PendingDeletion {
            r.pending_window_days
        } else {
            None
        },
        // Symmetric keys, the ones whose material rotates.
        current_key_material_id: (r.spec == KeySpec::SymmetricDefault && r.current_version > 0)
            .then(|| super::lifecycle::material_id(&r.key_id, r.current_version)),
    }
}

/// A fresh key id: a UUID, or `mrk-` and 32 hex digits for multi-Region keys.
fn new_key_id(multi_region: bool) -> String {
    let uuid = uuid::Uuid::new_v4();
    if multi_region {
        format!("mrk-{}", uuid.simple())
    } else {
        uuid.hyphenated().to_string()
    }
}

/// `CreateKey`.
pub async fn create_key(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: CreateKeyRequest,
) -> Result<CreateKeyResponse, KmsError> {
    let spec = match (req.key_spec, req.customer_master_key_spec) {
        (Some(_), Some(_)) => {
            return Err(KmsError::Validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. \
                 CustomerMasterKeySpec is deprecated."
                    .into(),
            ));
        }
        (Some(s), None) => s,
        (None, Some(s)) => {
            // The deprecated member's enum (CustomerMasterKeySpec) stops at
            // SM2: the newer specs are only spelled through KeySpec.
            if matches!(
                s,
                KeySpec::MlDsa44
                    | KeySpec::MlDsa65
                    | KeySpec::MlDsa87
                    | KeySpec::EccNistEdwards25519
                    | KeySpec::MlKem512
                    | KeySpec::MlKem768
                    | KeySpec::MlKem1024
            ) {
                return Err(KmsError::Validation(format!(
                    "1 validation error detected: Value '{s}' at 'customerMasterKeySpec' failed \
                     to satisfy constraint: Member must satisfy enum value set: [RSA_2048, \
                     RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, \
                     ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, \
                     HMAC_512, SM2]"
                )));
            }
            s
        }
        (None, None) => KeySpec::SymmetricDefault,
    };
    if spec == KeySpec::Sm2 {
        super::check_sm2_region(ctx, "KeySpec SM2")?;
    }
    let allowed = spec.allowed_usages();
    let usage = req.key_usage.unwrap_or(
        allowed
            .first()
            .copied()
            .unwrap_or(KeyUsageType::EncryptDecrypt),
    );
    if !allowed.contains(&usage) {
        return Err(KmsError::Validation(format!(
            "KeyUsage {usage} is not compatible with KeySpec {spec}"
        )));
    }
    let origin = req.origin.unwrap_or(OriginType::AwsKms);
    match origin {
        OriginType::AwsKms | OriginType::External => {}
        other => {
            return Err(KmsError::Unsupported(format!(
                "Origin {other} (custom key stores) is not supported by kms-server."
            )));
        }
    }
    if req.custom_key_store_id.is_some() || req.xks_key_id.is_some() {
        return Err(KmsError::Unsupported(
            "Custom key stores are not supported by kms-server.".into(),
        ));
    }
    let tags = req.tags.unwrap_or_default();
    check_new_tags(&tags, 0)?;
    let multi_region = req.multi_region.unwrap_or(false);
    let key_id = new_key_id(multi_region);
    if let Some(text) = &req.policy {
        super::access::check_new_policy(
            ctx,
            text,
            &ctx.scope.key_arn(&key_id),
            req.bypass_policy_lockout_safety_check.unwrap_or(false),
        )?;
    }

    // Material first (RSA generation takes long), outside the write lock.
    let material = if origin == OriginType::AwsKms {
        let id = key_id.clone();
        let state2 = Arc::clone(state);
        Some(
            blocking(move || {
                let material = KeyMaterial::generate(spec)?;
                let sealed = state2.root.seal_material(&material, &id, 1)?;
                Ok((Arc::new(material), sealed))
            })
            .await?,
        )
    } else {
        None
    };

    let record = KeyRecord {
        scope: ctx.scope.clone(),
        key_id: key_id.clone(),
        spec,
        usage,
        origin,
        state: if material.is_some() {
            KeyState::Enabled
        } else {
            KeyState::PendingImport
        },
        description: req.description.unwrap_or_default(),
        created_ms: ctx.now_ms,
        deletion_ms: None,
        pending_window_days: None,
        multi_region,
        policy: req.policy,
        current_version: if material.is_some() { 1 } else { 0 },
        created_by: ctx.principal.arn.clone(),
        extra: KeyExtra {
            multi_region: multi_region.then(|| MultiRegionInfo {
                primary_region: ctx.scope.region.clone(),
                replica_regions: Vec::new(),
            }),
            ..KeyExtra::default()
        },
    };
    let scope = ctx.scope.clone();
    let entry = state
        .commit(move |_registry| {
            let mut changes = vec![Change::PutKey(record)];
            if let Some((material, sealed)) = material {
                changes.push(Change::PutMaterial {
                    scope: scope.clone(),
                    key_id: key_id.clone(),
                    version: 1,
                    sealed,
                    material,
                });
            }
            for tag in tags {
                changes.push(Change::PutTag {
                    scope: scope.clone(),
                    key_id: key_id.clone(),
                    tag_key: tag.tag_key,
                    tag_value: tag.tag_value,
                });
            }
            Ok((changes, (scope, key_id)))
        })
        .await?;
    let (scope, key_id) = entry;
    let entry = state
        .registry
        .key(&scope, &key_id)
        .ok_or_else(|| KmsError::Internal("created key missing from registry".into()))?;
    Ok(CreateKeyResponse {
        key_metadata: key_metadata(&entry),
    })
}

/// `DescribeKey`.
pub fn describe_key(
    state: &AppState,
    ctx: &Ctx,
    req: DescribeKeyRequest,
) -> Result<DescribeKeyResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysAndAliases)?;
    Ok(DescribeKeyResponse {
        key_metadata: key_metadata(&entry),
    })
}

/// `GetKeyLastUsage`: the key's last successful cryptographic operation, in
/// any key state. Key id or key ARN only, and only in the caller's account
/// (`kms:GetKeyLastUsage` is not a cross-account action).
pub fn get_key_last_usage(
    state: &AppState,
    ctx: &Ctx,
    req: KeyOnlyRequest,
) -> Result<GetKeyLastUsageResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    let created = entry.record.created_ms;
    let key_last_usage = state
        .usage
        .last(&arn_of(&entry))
        .map(|u| KeyLastUsageData {
            operation: Some(u.operation),
            // Whole seconds, as CloudTrail's eventTime.
            timestamp: Some(Timestamp::from_millis(u.at_ms - u.at_ms.rem_euclid(1000))),
            cloud_trail_event_id: Some(u.event_id),
            kms_request_id: Some(u.request_id),
        })
        .unwrap_or_default();
    Ok(GetKeyLastUsageResponse {
        key_id: entry.record.key_id.clone(),
        key_last_usage,
        tracking_start_date: Timestamp::from_millis(created.max(state.usage.tracking_start_ms())),
        key_creation_date: Timestamp::from_millis(created),
    })
}

/// `ListKeys`: pages in key id order; the marker is the last key id returned.
pub fn list_keys(
    state: &AppState,
    ctx: &Ctx,
    req: ListKeysRequest,
) -> Result<ListKeysResponse, KmsError> {
    let limit = usize::try_from(req.limit.unwrap_or(100)).unwrap_or(100);
    let now = ctx.now_ms;
    let mut keys = Vec::new();
    let mut after = req.marker.clone();
    // Expired keys still in memory are skipped, so a page may need topping up.
    let truncated = loop {
        let (page, more) =
            state
                .registry
                .keys_page(&ctx.scope, after.as_deref(), limit - keys.len());
        if let Some(last) = page.last() {
            after = Some(last.record.key_id.clone());
        }
        keys.extend(page.into_iter().filter(|e| !is_expired(e, now)));
        if !more || keys.len() >= limit {
            break more;
        }
    };
    Ok(ListKeysResponse {
        keys: keys
            .iter()
            .map(|e| KeyListEntry {
                key_id: e.record.key_id.clone(),
                key_arn: arn_of(e),
            })
            .collect(),
        next_marker: if truncated { after } else { None },
        truncated,
    })
}

/// Finds a key by id or ARN and applies a change to its record under the
/// write lock, re-reading the key there so concurrent changes serialize.
async fn update_record<R, F>(
    state: &Arc<AppState>,
    ctx: &Ctx,
    key_id: &str,
    f: F,
) -> Result<R, KmsError>
where
    R: Send + 'static,
    F: FnOnce(&mut KeyRecord) -> Result<R, KmsError> + Send + 'static,
{
    update_entry(state, ctx, key_id, move |_, record| f(record)).await
}

/// [`update_record`] for a change that also reads the key's loaded state
/// (its material), which the record alone does not tell.
async fn update_entry<R, F>(
    state: &Arc<AppState>,
    ctx: &Ctx,
    key_id: &str,
    f: F,
) -> Result<R, KmsError>
where
    R: Send + 'static,
    F: FnOnce(&KeyEntry, &mut KeyRecord) -> Result<R, KmsError> + Send + 'static,
{
    let ctx = ctx.clone();
    let key_id = key_id.to_owned();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &key_id, Allow::KeysOnly)?;
            let mut record = entry.record.clone();
            let result = f(&entry, &mut record)?;
            Ok((vec![Change::PutKey(record)], result))
        })
        .await
}

fn arn(record: &KeyRecord) -> String {
    record.scope.key_arn(&record.key_id)
}

fn pending_deletion(record: &KeyRecord) -> KmsError {
    KmsError::InvalidState(format!("{} is pending deletion.", arn(record)))
}

/// `UpdateKeyDescription`.
pub async fn update_key_description(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: UpdateKeyDescriptionRequest,
) -> Result<EmptyResponse, KmsError> {
    let description = req.description.unwrap_or_default();
    update_record(state, ctx, &req.key_id, move |r| {
        if r.state == KeyState::PendingDeletion {
            return Err(pending_deletion(r));
        }
        r.description = description;
        Ok(EmptyResponse {})
    })
    .await
}

/// `EnableKey`.
pub async fn enable_key(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: EnableKeyRequest,
) -> Result<EmptyResponse, KmsError> {
    update_record(state, ctx, &req.key_id, |r| match r.state {
        KeyState::Enabled | KeyState::Disabled => {
            r.state = KeyState::Enabled;
            Ok(EmptyResponse {})
        }
        KeyState::PendingDeletion => Err(pending_deletion(r)),
        other => Err(KmsError::InvalidState(format!(
            "{} is {other} and cannot be enabled.",
            arn(r)
        ))),
    })
    .await
}

/// `DisableKey`.
pub async fn disable_key(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: DisableKeyRequest,
) -> Result<EmptyResponse, KmsError> {
    update_record(state, ctx, &req.key_id, |r| match r.state {
        KeyState::Enabled | KeyState::Disabled => {
            r.state = KeyState::Disabled;
            Ok(EmptyResponse {})
        }
        KeyState::PendingDeletion => Err(pending_deletion(r)),
        other => Err(KmsError::InvalidState(format!(
            "{} is {other} and cannot be disabled.",
            arn(r)
        ))),
    })
    .await
}

/// `ScheduleKeyDeletion`: 7 to 30 days, 30 by default.
pub async fn schedule_key_deletion(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: ScheduleKeyDeletionRequest,
) -> Result<ScheduleKeyDeletionResponse, KmsError> {
    let days = req.pending_window_in_days.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(KmsError::Validation(format!(
            "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to \
             satisfy constraint: Member must have value between 7 and 30"
        )));
    }
    let now = ctx.now_ms;
    update_record(state, ctx, &req.key_id, move |r| {
        if r.state == KeyState::PendingDeletion {
            return Err(pending_deletion(r));
        }
        if let Some(m) = &r.extra.multi_region
            && m.primary_region == r.scope.region
            && !m.replica_regions.is_empty()
        {
            return Err(KmsError::InvalidState(format!(
                "{} is a multi-Region primary key with replicas in {}; delete them or make \
                 another region primary first.",
                arn(r),
                m.replica_regions.join(", ")
            )));
        }
        let deletion_ms = now + i64::from(days) * DAY_MS;
        r.state = KeyState::PendingDeletion;
        r.deletion_ms = Some(deletion_ms);
        r.pending_window_days = Some(days);
        Ok(ScheduleKeyDeletionResponse {
            key_id: arn(r),
            deletion_date: Timestamp::from_millis(deletion_ms),
            key_state: KeyState::PendingDeletion,
            pending_window_in_days: days,
        })
    })
    .await
}

/// `CancelKeyDeletion`: back to `Disabled`, or to `PendingImport` when the
/// key has no material (never imported, or imported material that expired
/// during the deletion window).
pub async fn cancel_key_deletion(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: CancelKeyDeletionRequest,
) -> Result<CancelKeyDeletionResponse, KmsError> {
    update_entry(state, ctx, &req.key_id, |entry, r| {
        if r.state != KeyState::PendingDeletion {
            return Err(KmsError::InvalidState(format!(
                "{} is not pending deletion (state {}).",
                arn(r),
                r.state
            )));
        }
        // The record's version counter survives removed material, so
        // whether material is loaded is what decides.
        r.state = if entry.current_material().is_none() {
            KeyState::PendingImport
        } else {
            KeyState::Disabled
        };
        r.deletion_ms = None;
        r.pending_window_days = None;
        Ok(CancelKeyDeletionResponse { key_id: arn(r) })
    })
    .await
}
