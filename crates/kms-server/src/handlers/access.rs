//! Key policies (GetKeyPolicy, PutKeyPolicy, ListKeyPolicies) and grants
//! (CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant).

use std::sync::Arc;

use getrandom::SysRng;
use kms_protocol::ops::{
    CreateGrantRequest, CreateGrantResponse, EmptyResponse, GetKeyPolicyRequest,
    GetKeyPolicyResponse, GrantConstraints, GrantListEntry, GrantOperation, KeySpec, KeyState,
    KeyUsageType, ListGrantsRequest, ListGrantsResponse, ListKeyPoliciesRequest,
    ListKeyPoliciesResponse, ListRetirableGrantsRequest, PutKeyPolicyRequest, RetireGrantRequest,
    RevokeGrantRequest, Timestamp,
};
use rand_core::TryRng as _;

use super::{Allow, Ctx, arn_of, dry_run, find_key, required, resolve_key};
use crate::authz::{Via, authorize_key, grant_token, keeps_caller_in_control, parse_grant_token};
use crate::credentials::Principal;
use crate::error::KmsError;
use crate::policy::{Policy, PolicyKind};
use crate::registry::KeyEntry;
use crate::state::AppState;
use crate::store::{Change, GrantRecord, Scope};

/// The only policy name KMS has.
const POLICY_NAME: &str = "default";

fn check_policy_name(name: Option<&str>) -> Result<(), KmsError> {
    match name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(other) => Err(KmsError::NotFound(format!(
            "No such policy exists: {other}. The only key policy name is \"default\"."
        ))),
    }
}

/// Checks a key policy about to be set: its grammar, and unless bypassed,
/// that the caller could still change it afterwards.
pub fn check_new_policy(
    ctx: &Ctx,
    text: &str,
    key_arn: &str,
    bypass_lockout_check: bool,
) -> Result<Policy, KmsError> {
    let policy = Policy::parse(text, PolicyKind::Key).map_err(KmsError::MalformedPolicyDocument)?;
    let key_account = key_arn.split(':').nth(4).unwrap_or_default();
    if !bypass_lockout_check && !keeps_caller_in_control(ctx, &policy, key_account, key_arn) {
        return Err(KmsError::MalformedPolicyDocument(
            "The new key policy will not allow you to update the key policy in the future.".into(),
        ));
    }
    Ok(policy)
}

/// `GetKeyPolicy`.
pub fn get_key_policy(
    state: &AppState,
    ctx: &Ctx,
    req: GetKeyPolicyRequest,
) -> Result<GetKeyPolicyResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    check_policy_name(req.policy_name.as_deref())?;
    Ok(GetKeyPolicyResponse {
        policy: entry.policy_text(),
        policy_name: POLICY_NAME.into(),
    })
}

/// `ListKeyPolicies`.
pub fn list_key_policies(
    state: &AppState,
    ctx: &Ctx,
    req: ListKeyPoliciesRequest,
) -> Result<ListKeyPoliciesResponse, KmsError> {
    find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    Ok(ListKeyPoliciesResponse {
        policy_names: vec![POLICY_NAME.into()],
        truncated: false,
    })
}

/// `PutKeyPolicy`.
pub async fn put_key_policy(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: PutKeyPolicyRequest,
) -> Result<EmptyResponse, KmsError> {
    let text = required(req.policy, "policy")?;
    check_policy_name(req.policy_name.as_deref())?;
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            if entry.record.state == KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is pending deletion.",
                    arn_of(&entry)
                )));
            }
            check_new_policy(
                &ctx,
                &text,
                &arn_of(&entry),
                req.bypass_policy_lockout_safety_check.unwrap_or(false),
            )?;
            let mut record = entry.record.clone();
            record.policy = Some(text);
            Ok((vec![Change::PutKey(record)], EmptyResponse {}))
        })
        .await
}

/// Operations whose requests carry an encryption context, so a grant for
/// them may constrain it.
fn takes_context(op: GrantOperation) -> bool {
    use GrantOperation::*;
    matches!(
        op,
        Decrypt
            | Encrypt
            | GenerateDataKey
            | GenerateDataKeyWithoutPlaintext
            | GenerateDataKeyPair
            | GenerateDataKeyPairWithoutPlaintext
            | ReEncryptFrom
            | ReEncryptTo
            | CreateGrant
            | RetireGrant
    )
}

/// Whether a key of this type can do `op` at all.
fn valid_for_key(op: GrantOperation, entry: &KeyEntry) -> bool {
    use GrantOperation::*;
    if matches!(op, CreateGrant | RetireGrant | DescribeKey) {
        return true;
    }
    let symmetric = entry.record.spec == KeySpec::SymmetricDefault;
    match entry.record.usage {
        KeyUsageType::EncryptDecrypt if symmetric => matches!(
            op,
            Decrypt
                | Encrypt
                | GenerateDataKey
                | GenerateDataKeyWithoutPlaintext
                | GenerateDataKeyPair
                | GenerateDataKeyPairWithoutPlaintext
                | ReEncryptFrom
                | ReEncryptTo
        ),
        KeyUsageType::EncryptDecrypt => matches!(
            op,
            Decrypt | Encrypt | ReEncryptFrom | ReEncryptTo | GetPublicKey
        ),
        KeyUsageType::SignVerify => matches!(op, Sign | Verify | GetPublicKey),
        KeyUsageType::GenerateVerifyMac => matches!(op, GenerateMac | VerifyMac),
        KeyUsageType::KeyAgreement => matches!(op, DeriveSharedSecret | GetPublicKey),
        KeyUsageType::EncapsulateDecapsulate => {
            matches!(op, Encapsulate | Decapsulate | GetPublicKey)
        }
    }
}

fn check_grantee(member: &str, arn: &str) -> Result<(), KmsError> {
    if Principal::from_arn(arn).is_some() {
        Ok(())
    } else {
        Err(KmsError::Validation(format!(
            "{member} {arn:?} is not a valid principal ARN (arn:aws:iam::<account>:user/<name>, \
             role/<name> or root)."
        )))
    }
}

fn random_hex(bytes: usize) -> Result<String, KmsError> {
    let mut buf = vec![0u8; bytes];
    SysRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| KmsError::Internal(format!("random: {e}")))?;
    Ok(hex::encode(buf))
}

/// `CreateGrant`.
pub async fn create_grant(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: CreateGrantRequest,
) -> Result<CreateGrantResponse, KmsError> {
    let grantee = required(req.grantee_principal.clone(), "granteePrincipal")?;
    let mut operations = required(req.operations.clone(), "operations")?;
    check_grantee("GranteePrincipal", &grantee)?;
    if let Some(r) = &req.retiring_principal {
        check_grantee("RetiringPrincipal", r)?;
    }
    if operations.is_empty() {
        return Err(KmsError::Validation(
            "A grant must allow at least one operation.".into(),
        ));
    }
    operations.sort();
    operations.dedup();
    let constraints = req.constraints.clone().unwrap_or_default();
    let has_constraints = constraints.encryption_context_subset.is_some()
        || constraints.encryption_context_equals.is_some();
    if has_constraints && !operations.iter().all(|op| takes_context(*op)) {
        return Err(KmsError::Validation(
            "Grant constraints are only allowed with operations that take an encryption \
             context (and CreateGrant, RetireGrant)."
                .into(),
        ));
    }
    let grant_id = random_hex(32)?;
    let mut nonce = [0u8; 16];
    SysRng
        .try_fill_bytes(&mut nonce)
        .map_err(|e| KmsError::Internal(format!("random: {e}")))?;
    let limit = state.options.grants_per_key;
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = resolve_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            let via = authorize_key(&ctx, &entry, "kms:CreateGrant")?;
            if let Via::Grant(parent) = &via {
                let within = operations.iter().all(|op| parent.operations.contains(op));
                let parent_constrained =
                    parent.context_subset.is_some() || parent.context_equals.is_some();
                if !within || (parent_constrained && !has_constraints) {
                    return Err(KmsError::AccessDenied(format!(
                        "User: {} is not authorized to perform: kms:CreateGrant on resource: {} \
                         because the grant that allows it does not allow these operations or \
                         constraints",
                        ctx.principal.arn,
                        arn_of(&entry)
                    )));
                }
            }
            if let Some(bad) = operations.iter().find(|op| !valid_for_key(**op, &entry)) {
                return Err(KmsError::Validation(format!(
                    "Grant operation {bad} is not valid for {} ({} {}).",
                    arn_of(&entry),
                    entry.record.spec,
                    entry.record.usage
                )));
            }
            if has_constraints && entry.record.spec != KeySpec::SymmetricDefault {
                return Err(KmsError::Validation(
                    "Encryption context constraints are only supported on symmetric encryption \
                     keys."
                        .into(),
                ));
            }
            if matches!(
                entry.record.state,
                KeyState::PendingDeletion | KeyState::PendingImport
            ) {
                return Err(KmsError::InvalidState(format!(
                    "{} is {}.",
                    arn_of(&entry),
                    entry.record.state
                )));
            }
            dry_run(req.dry_run)?;
            let record = GrantRecord {
                scope: entry.record.scope.clone(),
                key_id: entry.record.key_id.clone(),
                grant_id: grant_id.clone(),
                token: String::new(),
                name: req.name.clone(),
                grantee: grantee.clone(),
                retiring: req.retiring_principal.clone(),
                operations: operations.clone(),
                context_subset: constraints.encryption_context_subset.clone(),
                context_equals: constraints.encryption_context_equals.clone(),
                issuing_account: format!("arn:aws:iam::{}:root", ctx.principal.account),
                created_ms: ctx.now_ms,
            };
            if record.name.is_some()
                && let Some(same) = entry.grants.values().find(|g| {
                    g.name == record.name
                        && g.grantee == record.grantee
                        && g.retiring == record.retiring
                        && g.operations == record.operations
                        && g.context_subset == record.context_subset
                        && g.context_equals == record.context_equals
                })
            {
                let response = CreateGrantResponse {
                    grant_token: same.token.clone(),
                    grant_id: same.grant_id.clone(),
                };
                return Ok((Vec::new(), response));
            }
            if entry.grants.len() >= limit {
                return Err(KmsError::LimitExceeded(format!(
                    "The request would exceed the limit of {limit} grants for {}.",
                    arn_of(&entry)
                )));
            }
            let mut record = record;
            record.token = grant_token(&record, &nonce);
            let response = CreateGrantResponse {
                grant_token: record.token.clone(),
                grant_id: record.grant_id.clone(),
            };
            Ok((vec![Change::PutGrant(record)], response))
        })
        .await
}

fn list_entry(g: &GrantRecord) -> GrantListEntry {
    let constraints =
        (g.context_subset.is_some() || g.context_equals.is_some()).then(|| GrantConstraints {
            encryption_context_subset: g.context_subset.clone(),
            encryption_context_equals: g.context_equals.clone(),
        });
    GrantListEntry {
        key_id: g.scope.key_arn(&g.key_id),
        grant_id: g.grant_id.clone(),
        name: g.name.clone(),
        creation_date: Timestamp::from_millis(g.created_ms),
        grantee_principal: g.grantee.clone(),
        retiring_principal: g.retiring.clone(),
        issuing_account: g.issuing_account.clone(),
        operations: g.operations.clone(),
        constraints,
    }
}

/// One page of `items` (sorted by `key`) after `marker`.
fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    marker: Option<&str>,
    limit: Option<i32>,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit.unwrap_or(50)).unwrap_or(50);
    let mut rest = items
        .into_iter()
        .filter(|i| marker.is_none_or(|m| key(i).as_str() > m))
        .peekable();
    let page: Vec<T> = rest.by_ref().take(limit).collect();
    let next = if rest.peek().is_some() {
        page.last().map(&key)
    } else {
        None
    };
    (page, next)
}

/// `ListGrants`.
pub fn list_grants(
    state: &AppState,
    ctx: &Ctx,
    req: ListGrantsRequest,
) -> Result<ListGrantsResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    let grants: Vec<Arc<GrantRecord>> = entry
        .grants
        .values()
        .filter(|g| req.grant_id.as_ref().is_none_or(|id| &g.grant_id == id))
        .filter(|g| {
            req.grantee_principal
                .as_ref()
                .is_none_or(|p| &g.grantee == p)
        })
        .cloned()
        .collect();
    let (page, next) = page(
        grants,
        |g| g.grant_id.clone(),
        req.marker.as_deref(),
        req.limit,
    );
    Ok(ListGrantsResponse {
        grants: page.iter().map(|g| list_entry(g)).collect(),
        truncated: next.is_some(),
        next_marker: next,
    })
}

/// `ListRetirableGrants`: grants of every key in the caller's region that
/// name the principal as retiring principal.
pub fn list_retirable_grants(
    state: &AppState,
    ctx: &Ctx,
    req: ListRetirableGrantsRequest,
) -> Result<ListGrantsResponse, KmsError> {
    let retiring = required(req.retiring_principal, "retiringPrincipal")?;
    let mut grants: Vec<Arc<GrantRecord>> = state
        .registry
        .all_keys()
        .iter()
        .filter(|e| e.record.scope.region == ctx.scope.region)
        .flat_map(|e| e.grants.values().cloned().collect::<Vec<_>>())
        .filter(|g| g.retiring.as_deref() == Some(retiring.as_str()))
        .collect();
    let key = |g: &Arc<GrantRecord>| format!("{} {}", g.scope.key_arn(&g.key_id), g.grant_id);
    grants.sort_by_key(key);
    let (page, next) = page(grants, key, req.marker.as_deref(), req.limit);
    Ok(ListGrantsResponse {
        grants: page.iter().map(|g| list_entry(g)).collect(),
        truncated: next.is_some(),
        next_marker: next,
    })
}

/// `RetireGrant`: by the retiring principal, the grantee when the grant
/// allows RetireGrant, the key's account, or whoever the key policy lets.
pub async fn retire_grant(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: RetireGrantRequest,
) -> Result<EmptyResponse, KmsError> {
    let (scope, key_id, grant_id) = match (&req.grant_token, &req.key_id, &req.grant_id) {
        (Some(token), _, _) => {
            let [account, region, key_id, grant_id] = parse_grant_token(token)?;
            (Scope::new(account, region), key_id, grant_id)
        }
        (None, Some(key), Some(grant)) => {
            let entry = resolve_key(&state.registry, ctx, key, Allow::KeysOnly)?;
            (
                entry.record.scope.clone(),
                entry.record.key_id.clone(),
                grant.clone(),
            )
        }
        _ => {
            return Err(KmsError::Validation(
                "RetireGrant needs a GrantToken, or a KeyId and a GrantId.".into(),
            ));
        }
    };
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = registry.key(&scope, &key_id).ok_or_else(|| {
                KmsError::NotFound(format!("Key '{}' does not exist", scope.key_arn(&key_id)))
            })?;
            let grant = entry
                .grants
                .get(&grant_id)
                .ok_or_else(|| KmsError::NotFound(format!("Grant {grant_id} does not exist.")))?;
            let who = &ctx.principal;
            let allowed = grant.retiring.as_deref() == Some(who.arn.as_str())
                || (grant.grantee == who.arn
                    && grant.operations.contains(&GrantOperation::RetireGrant))
                || who.arn == format!("arn:aws:iam::{}:root", scope.account)
                || authorize_key(&ctx, &entry, "kms:RetireGrant").is_ok();
            if !allowed {
                return Err(KmsError::AccessDenied(format!(
                    "User: {} is not authorized to perform: kms:RetireGrant on resource: {} \
                     because it is neither the grant's retiring principal nor its grantee",
                    who.arn,
                    arn_of(&entry)
                )));
            }
            dry_run(req.dry_run)?;
            Ok((
                vec![Change::DeleteGrant {
                    scope: scope.clone(),
                    key_id: key_id.clone(),
                    grant_id: grant_id.clone(),
                }],
                EmptyResponse {},
            ))
        })
        .await
}

/// `RevokeGrant`.
pub async fn revoke_grant(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: RevokeGrantRequest,
) -> Result<EmptyResponse, KmsError> {
    let grant_id = required(req.grant_id, "grantId")?;
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            if !entry.grants.contains_key(&grant_id) {
                return Err(KmsError::NotFound(format!(
                    "Grant {grant_id} does not exist on {}.",
                    arn_of(&entry)
                )));
            }
            dry_run(req.dry_run)?;
            Ok((
                vec![Change::DeleteGrant {
                    scope: entry.record.scope.clone(),
                    key_id: entry.record.key_id.clone(),
                    grant_id,
                }],
                EmptyResponse {},
            ))
        })
        .await
}
