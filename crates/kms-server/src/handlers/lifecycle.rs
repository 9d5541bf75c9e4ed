//! Rotation (EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations), multi-Region keys (ReplicateKey,
//! UpdatePrimaryRegion) and the lifecycle sweep that runs due rotations and
//! removes keys past their deletion date.
//!
//! A multi-Region key family is one key id in several regions of one
//! account. Its members share material versions and rotation settings, so
//! every change here is written to each member in one commit, and a
//! ciphertext made in one region decrypts in another.

use std::sync::Arc;

use kms_protocol::ops::{
    EmptyResponse, EnableKeyRotationRequest, GetKeyRotationStatusResponse, KeyIdResponse,
    KeyOnlyRequest, KeySpec, KeyState, ListKeyRotationsRequest, ListKeyRotationsResponse,
    OriginType, ReplicateKeyRequest, ReplicateKeyResponse, RotationType, RotationsListEntry, Tag,
    Timestamp, UpdatePrimaryRegionRequest,
};
use sha2::{Digest as _, Sha256};

use super::keys::key_metadata;
use super::tags::check_new_tags;
use super::{Allow, Ctx, arn_of, check_usable, find_key, is_expired};
use crate::crypto::KeyMaterial;
use crate::error::KmsError;
use crate::registry::{KeyEntry, Registry};
use crate::state::AppState;
use crate::store::{Change, MultiRegionInfo, RotationEvent, RotationSettings, Scope};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// AWS's default rotation period.
pub const DEFAULT_ROTATION_DAYS: i32 = 365;
/// AWS's limit of on-demand rotations per key.
pub const MAX_ON_DEMAND_ROTATIONS: usize = 25;

/// Every member of a key's multi-Region family (just the key when it is
/// not multi-Region), primary first.
pub fn family(registry: &Registry, entry: &Arc<KeyEntry>) -> Vec<Arc<KeyEntry>> {
    let Some(info) = &entry.record.extra.multi_region else {
        return vec![Arc::clone(entry)];
    };
    let account = &entry.record.scope.account;
    std::iter::once(&info.primary_region)
        .chain(info.replica_regions.iter())
        .filter_map(|region| {
            registry.key(
                &Scope::new(account.clone(), region.clone()),
                &entry.record.key_id,
            )
        })
        .collect()
}

fn is_replica(entry: &KeyEntry) -> bool {
    entry
        .record
        .extra
        .multi_region
        .as_ref()
        .is_some_and(|m| m.primary_region != entry.record.scope.region)
}

/// Automatic rotation is for symmetric encryption keys with KMS-made
/// material, on the primary of a multi-Region family (on-demand rotation
/// also takes single-Region keys' imported material, see
/// [`rotate_key_on_demand`]).
fn check_rotatable(entry: &KeyEntry) -> Result<(), KmsError> {
    let r = &entry.record;
    if r.spec != KeySpec::SymmetricDefault || r.origin != OriginType::AwsKms {
        return Err(KmsError::Unsupported(format!(
            "{} does not support rotation: only symmetric encryption keys with AWS_KMS \
             origin rotate.",
            arn_of(entry)
        )));
    }
    if is_replica(entry) {
        return Err(KmsError::Unsupported(format!(
            "{} is a multi-Region replica key; rotation is managed on its primary key.",
            arn_of(entry)
        )));
    }
    Ok(())
}

/// The changes that add a new material version to a key and its replicas.
fn rotation_changes(
    state: &AppState,
    registry: &Registry,
    entry: &Arc<KeyEntry>,
    now: i64,
    on_demand: bool,
) -> Result<Vec<Change>, KmsError> {
    let version = entry
        .materials
        .keys()
        .next_back()
        .copied()
        .unwrap_or(0)
        .max(entry.record.current_version)
        + 1;
    let material = Arc::new(KeyMaterial::generate(entry.record.spec)?);
    let sealed = state
        .root
        .seal_material(&material, &entry.record.key_id, version)?;
    let mut changes = Vec::new();
    for member in family(registry, entry) {
        changes.push(Change::PutMaterial {
            scope: member.record.scope.clone(),
            key_id: member.record.key_id.clone(),
            version,
            sealed: sealed.clone(),
            material: Arc::clone(&material),
        });
        let mut record = member.record.clone();
        record.current_version = version;
        record.extra.rotations.push(RotationEvent {
            version,
            at_ms: now,
            on_demand,
        });
        if !on_demand && let Some(rotation) = &mut record.extra.rotation {
            let next = rotation.next_ms + i64::from(rotation.period_days) * DAY_MS;
            rotation.next_ms = if next > now {
                next
            } else {
                now + i64::from(rotation.period_days) * DAY_MS
            };
        }
        changes.push(Change::PutKey(record));
    }
    Ok(changes)
}

/// Writes a record change to every member of a key's family.
fn family_changes(
    registry: &Registry,
    entry: &Arc<KeyEntry>,
    f: impl Fn(&mut crate::store::KeyRecord),
) -> Vec<Change> {
    family(registry, entry)
        .into_iter()
        .map(|member| {
            let mut record = member.record.clone();
            f(&mut record);
            Change::PutKey(record)
        })
        .collect()
}

/// `EnableKeyRotation`.
pub async fn enable_key_rotation(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: EnableKeyRotationRequest,
) -> Result<EmptyResponse, KmsError> {
    let days = req.rotation_period_in_days.unwrap_or(DEFAULT_ROTATION_DAYS);
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            check_usable(&entry)?;
            check_rotatable(&entry)?;
            let next_ms = ctx.now_ms + i64::from(days) * DAY_MS;
            let changes = family_changes(registry, &entry, |r| {
                r.extra.rotation = Some(RotationSettings {
                    period_days: days,
                    next_ms,
                });
            });
            Ok((changes, EmptyResponse {}))
        })
        .await
}

/// `DisableKeyRotation`.
pub async fn disable_key_rotation(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: KeyOnlyRequest,
) -> Result<EmptyResponse, KmsError> {
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            check_usable(&entry)?;
            check_rotatable(&entry)?;
            let changes = family_changes(registry, &entry, |r| r.extra.rotation = None);
            Ok((changes, EmptyResponse {}))
        })
        .await
}

/// `GetKeyRotationStatus`.
pub fn get_key_rotation_status(
    state: &AppState,
    ctx: &Ctx,
    req: KeyOnlyRequest,
) -> Result<GetKeyRotationStatusResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    if entry.record.state == KeyState::PendingDeletion {
        return Err(KmsError::InvalidState(format!(
            "{} is pending deletion.",
            arn_of(&entry)
        )));
    }
    let rotation = entry.record.extra.rotation.as_ref();
    Ok(GetKeyRotationStatusResponse {
        key_rotation_enabled: rotation.is_some(),
        key_id: arn_of(&entry),
        rotation_period_in_days: rotation.map(|r| r.period_days),
        next_rotation_date: rotation.map(|r| Timestamp::from_millis(r.next_ms)),
        on_demand_rotation_start_date: None,
    })
}

/// `RotateKeyOnDemand`: a new material version now, whatever the schedule.
pub async fn rotate_key_on_demand(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: KeyOnlyRequest,
) -> Result<KeyIdResponse, KmsError> {
    let ctx = ctx.clone();
    let st = Arc::clone(state);
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            check_usable(&entry)?;
            let imported = entry.record.origin == OriginType::External
                && super::import::takes_new_material(&entry.record);
            if !imported {
                check_rotatable(&entry)?;
            }
            let done = entry
                .record
                .extra
                .rotations
                .iter()
                .filter(|r| r.on_demand)
                .count();
            if done >= MAX_ON_DEMAND_ROTATIONS {
                return Err(KmsError::LimitExceeded(format!(
                    "{} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.",
                    arn_of(&entry)
                )));
            }
            let changes = if imported {
                imported_rotation_changes(&entry, ctx.now_ms)?
            } else {
                rotation_changes(&st, registry, &entry, ctx.now_ms, true)?
            };
            Ok((
                changes,
                KeyIdResponse {
                    key_id: arn_of(&entry),
                },
            ))
        })
        .await
}

/// The changes that make a key's imported material pending rotation its
/// current material (`RotateKeyOnDemand` on a key with imported material).
fn imported_rotation_changes(entry: &KeyEntry, now: i64) -> Result<Vec<Change>, KmsError> {
    let mut record = entry.record.clone();
    let pending = record
        .extra
        .imported
        .iter_mut()
        .find(|m| m.pending_rotation && entry.materials.contains_key(&m.version))
        .ok_or_else(|| {
            KmsError::InvalidState(format!(
                "{} has no imported key material pending rotation: import new key material \
                 (ImportType NEW_KEY_MATERIAL) first.",
                arn_of(entry)
            ))
        })?;
    pending.pending_rotation = false;
    let version = pending.version;
    record.current_version = version;
    record.extra.rotations.push(RotationEvent {
        version,
        at_ms: now,
        on_demand: true,
    });
    Ok(vec![Change::PutKey(record)])
}

/// A stable identifier of one material version of a key.
pub fn material_id(key_id: &str, version: u32) -> String {
    let mut h = Sha256::new();
    h.update(key_id.as_bytes());
    h.update(version.to_be_bytes());
    hex::encode(h.finalize())
}

/// `ListKeyRotations`: completed rotations, oldest first; with
/// `ALL_KEY_MATERIAL`, the first material too.
pub fn list_key_rotations(
    state: &AppState,
    ctx: &Ctx,
    req: ListKeyRotationsRequest,
) -> Result<ListKeyRotationsResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    let r = &entry.record;
    if r.spec != KeySpec::SymmetricDefault {
        return Err(KmsError::Unsupported(format!(
            "{} does not support rotation.",
            arn_of(&entry)
        )));
    }
    let arn = arn_of(&entry);
    let imports = &r.extra.imported;
    let external = r.origin == OriginType::External;
    let item = |version: u32, rotation: Option<&RotationEvent>| {
        let import = r.extra.import(version);
        let state = if version == r.current_version {
            "CURRENT"
        } else if import.is_some_and(|m| m.pending_rotation) {
            "PENDING_ROTATION"
        } else {
            "NON_CURRENT"
        };
        let expires = import.and_then(|m| m.expires_ms);
        RotationsListEntry {
            key_id: arn.clone(),
            key_material_id: Some(material_id(&r.key_id, version)),
            key_material_state: Some(state.to_owned()),
            key_material_description: import.and_then(|m| m.description.clone()),
            import_state: external.then(|| {
                if entry.materials.contains_key(&version) {
                    "IMPORTED".to_owned()
                } else {
                    "PENDING_IMPORT".to_owned()
                }
            }),
            expiration_model: external.then(|| super::import::expiration_model(expires)),
            valid_to: expires.map(Timestamp::from_millis),
            rotation_date: rotation.map(|e| Timestamp::from_millis(e.at_ms)),
            rotation_type: rotation.map(|e| {
                if e.on_demand {
                    RotationType::OnDemand
                } else {
                    RotationType::Automatic
                }
            }),
        }
    };
    let rotated = |v: u32| r.extra.rotations.iter().any(|e| e.version == v);
    let mut all: Vec<(u32, RotationsListEntry)> = Vec::new();
    if req.include_key_material.as_deref() == Some("ALL_KEY_MATERIAL") {
        // The first material, and imported material pending rotation.
        let first = entry
            .materials
            .keys()
            .copied()
            .chain(imports.iter().map(|m| m.version))
            .min();
        let pending = imports
            .iter()
            .filter(|m| m.pending_rotation)
            .map(|m| m.version);
        for v in first.into_iter().chain(pending) {
            if !rotated(v) && !all.iter().any(|(x, _)| *x == v) {
                all.push((v, item(v, None)));
            }
        }
    }
    for e in &r.extra.rotations {
        all.push((e.version, item(e.version, Some(e))));
    }
    all.sort_by_key(|(v, _)| *v);
    let after: u32 = match &req.marker {
        None => 0,
        Some(m) => m
            .parse()
            .map_err(|_| KmsError::InvalidMarker("The marker is not valid.".into()))?,
    };
    let limit = usize::try_from(req.limit.unwrap_or(100)).unwrap_or(100);
    let mut rest = all.into_iter().filter(|(v, _)| *v > after).peekable();
    let page: Vec<(u32, RotationsListEntry)> = rest.by_ref().take(limit).collect();
    let truncated = rest.peek().is_some();
    Ok(ListKeyRotationsResponse {
        next_marker: truncated
            .then(|| page.last().map(|(v, _)| v.to_string()))
            .flatten(),
        rotations: page.into_iter().map(|(_, e)| e).collect(),
        truncated,
    })
}

/// The primary of a multi-Region family, checked to be the key named.
fn require_primary(entry: &KeyEntry) -> Result<&MultiRegionInfo, KmsError> {
    let info = entry.record.extra.multi_region.as_ref().ok_or_else(|| {
        KmsError::Unsupported(format!("{} is not a multi-Region key.", arn_of(entry)))
    })?;
    if info.primary_region != entry.record.scope.region {
        return Err(KmsError::Unsupported(format!(
            "{} is a replica key; the primary key is in {}.",
            arn_of(entry),
            info.primary_region
        )));
    }
    Ok(info)
}

fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `ReplicateKey`: the same key id, material and rotation in another region
/// of the account, with its own policy, description, tags and state.
pub async fn replicate_key(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: ReplicateKeyRequest,
) -> Result<ReplicateKeyResponse, KmsError> {
    let region = super::required(req.replica_region.clone(), "replicaRegion")?;
    if !valid_region(&region) {
        return Err(KmsError::Validation(format!(
            "{region} is not a valid region name."
        )));
    }
    let tags = req.tags.clone().unwrap_or_default();
    check_new_tags(&tags, 0)?;
    let ctx = ctx.clone();
    let st = Arc::clone(state);
    let (scope, key_id) = state
        .commit(move |registry| {
            let primary = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            let info = require_primary(&primary)?.clone();
            if primary.record.state == KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is pending deletion.",
                    arn_of(&primary)
                )));
            }
            // AWS: replicas stay in the primary's partition (so SM2 keys,
            // for one, stay in China Regions).
            let partition = kms_protocol::ids::partition_of_region;
            if partition(&region) != partition(&info.primary_region) {
                return Err(KmsError::Validation(format!(
                    "{region} is not in the partition of {}, the primary key's Region: a \
                     multi-Region key is replicated only within its partition.",
                    info.primary_region
                )));
            }
            let scope = Scope::new(primary.record.scope.account.clone(), region.clone());
            if region == info.primary_region
                || info.replica_regions.contains(&region)
                || registry.key(&scope, &primary.record.key_id).is_some()
            {
                return Err(KmsError::AlreadyExists(format!(
                    "{} already has a replica or its primary in {region}.",
                    arn_of(&primary)
                )));
            }
            let arn = scope.key_arn(&primary.record.key_id);
            if let Some(text) = &req.policy {
                super::access::check_new_policy(
                    &ctx,
                    text,
                    &arn,
                    req.bypass_policy_lockout_safety_check.unwrap_or(false),
                )?;
            }
            let mut info = info;
            info.replica_regions.push(region.clone());
            let mut changes = family_changes(registry, &primary, |r| {
                r.extra.multi_region = Some(info.clone());
            });
            let mut record = primary.record.clone();
            record.scope = scope.clone();
            record.state = KeyState::Enabled;
            record.description = req
                .description
                .clone()
                .unwrap_or_else(|| primary.record.description.clone());
            record.policy = req.policy.clone();
            record.created_ms = ctx.now_ms;
            record.created_by = ctx.principal.arn.clone();
            record.deletion_ms = None;
            record.pending_window_days = None;
            record.extra.multi_region = Some(info);
            changes.push(Change::PutKey(record));
            // Every material version, sealed for the replica's record.
            for (version, material) in &primary.materials {
                let sealed = st
                    .root
                    .seal_material(material, &primary.record.key_id, *version)?;
                changes.push(Change::PutMaterial {
                    scope: scope.clone(),
                    key_id: primary.record.key_id.clone(),
                    version: *version,
                    sealed,
                    material: Arc::clone(material),
                });
            }
            for tag in &tags {
                changes.push(Change::PutTag {
                    scope: scope.clone(),
                    key_id: primary.record.key_id.clone(),
                    tag_key: tag.tag_key.clone(),
                    tag_value: tag.tag_value.clone(),
                });
            }
            Ok((changes, (scope, primary.record.key_id.clone())))
        })
        .await?;
    let replica = state
        .registry
        .key(&scope, &key_id)
        .ok_or_else(|| KmsError::Internal("replica missing from the registry".into()))?;
    Ok(ReplicateKeyResponse {
        replica_key_metadata: key_metadata(&replica),
        replica_policy: replica.policy_text(),
        replica_tags: replica
            .tags
            .iter()
            .map(|(k, v)| Tag {
                tag_key: k.clone(),
                tag_value: v.clone(),
            })
            .collect(),
    })
}

/// `UpdatePrimaryRegion`: a replica becomes the primary and the primary a
/// replica; material, rotation and every other member stay as they are.
pub async fn update_primary_region(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: UpdatePrimaryRegionRequest,
) -> Result<EmptyResponse, KmsError> {
    let region = super::required(req.primary_region.clone(), "primaryRegion")?;
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let primary = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            let mut info = require_primary(&primary)?.clone();
            if region == info.primary_region {
                return Ok((Vec::new(), EmptyResponse {}));
            }
            let Some(pos) = info.replica_regions.iter().position(|r| r == &region) else {
                return Err(KmsError::NotFound(format!(
                    "{} has no replica in {region}.",
                    arn_of(&primary)
                )));
            };
            let old = std::mem::replace(&mut info.primary_region, region);
            info.replica_regions[pos] = old;
            let changes = family_changes(registry, &primary, |r| {
                r.extra.multi_region = Some(info.clone());
            });
            Ok((changes, EmptyResponse {}))
        })
        .await
}

/// What one lifecycle sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Keys removed after their deletion date.
    pub deleted: usize,
    /// Keys rotated on schedule.
    pub rotated: usize,
    /// Keys whose imported material expired (now PendingImport).
    pub expired: usize,
}

/// Runs what is due at the clock's current time: automatic rotations of
/// enabled keys, then removal of keys past their deletion date (and their
/// place in a multi-Region family).
pub async fn sweep(state: &Arc<AppState>) -> Result<SweepReport, KmsError> {
    let now = state.clock.now_ms();
    let st = Arc::clone(state);
    state
        .commit(move |registry| {
            let mut changes = Vec::new();
            let mut report = SweepReport::default();
            for entry in registry.all_keys() {
                let due = entry.record.state == KeyState::Enabled
                    && !is_replica(&entry)
                    && entry
                        .record
                        .extra
                        .rotation
                        .as_ref()
                        .is_some_and(|r| r.next_ms <= now);
                if due {
                    changes.extend(rotation_changes(&st, registry, &entry, now, false)?);
                    report.rotated += 1;
                }
            }
            for (entry, versions) in super::import::expired_material(registry, now) {
                changes.extend(super::import::remove_material_changes(&entry, &versions));
                report.expired += 1;
            }
            for entry in registry.all_keys() {
                if !is_expired(&entry, now) {
                    continue;
                }
                report.deleted += 1;
                if let Some(info) = &entry.record.extra.multi_region {
                    let mut info = info.clone();
                    info.replica_regions
                        .retain(|r| r != &entry.record.scope.region);
                    for member in family(registry, &entry) {
                        if member.record.scope != entry.record.scope {
                            let mut record = member.record.clone();
                            record.extra.multi_region = Some(info.clone());
                            changes.push(Change::PutKey(record));
                        }
                    }
                }
                changes.push(Change::DeleteKey {
                    scope: entry.record.scope.clone(),
                    key_id: entry.record.key_id.clone(),
                });
            }
            Ok((changes, report))
        })
        .await
}
