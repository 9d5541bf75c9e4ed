//! Who may do what with which key: the key policy, the caller's identity
//! policies and the key's grants, combined as AWS KMS documents it.
//!
//! - An explicit Deny in the key policy or an identity policy always wins.
//! - Same account: allowed when the key policy allows the principal itself,
//!   or allows its account (delegation) and an identity policy allows too.
//! - Another account: the key policy must allow the principal or its
//!   account, and the caller's identity policies must allow as well.
//! - An account's root needs no identity policy in its own account.
//! - A grant for the principal that lists the operation, and whose
//!   encryption-context constraints the request meets, allows on its own.
//! - Operations on no key (CreateKey, ListKeys, ListAliases, ...) consult
//!   identity policies only.

use std::sync::Arc;

use base64::Engine as _;
use kms_protocol::ops::{EncryptionContext, GrantOperation, Request};

use crate::credentials::Principal;
use crate::error::KmsError;
use crate::handlers::Ctx;
use crate::policy::{AccessRequest, ConditionContext, Policy, Verdict};
use crate::registry::KeyEntry;
use crate::store::GrantRecord;

/// What one request brings to authorization, computed before its handler runs.
#[derive(Debug, Clone)]
pub struct Access {
    /// `kms:<Operation>` (`kms:ReEncryptFrom` for ReEncrypt's source key).
    pub action: &'static str,
    /// The caller's identity policies.
    pub identity: Arc<[Policy]>,
    /// The encryption context the action applies to.
    pub context: Option<EncryptionContext>,
    /// Other request condition keys (algorithms, grant operations, ...).
    pub conditions: ConditionContext,
}

/// How an allowed request was allowed.
#[derive(Debug, Clone)]
pub enum Via {
    /// By the key policy (with identity policies where it delegates).
    Policy,
    /// By this grant.
    Grant(Arc<GrantRecord>),
}

/// The prefix of the grant tokens this server issues (version 1).
const TOKEN_PREFIX: &[u8] = b"kms-server-grant-token-v1\0";

/// A grant token: opaque to callers, it names its grant so RetireGrant can
/// find it.
pub fn grant_token(grant: &GrantRecord, nonce: &[u8; 16]) -> String {
    let mut raw = TOKEN_PREFIX.to_vec();
    raw.extend_from_slice(
        format!(
            "{}\0{}\0{}\0{}\0",
            grant.scope.account, grant.scope.region, grant.key_id, grant.grant_id
        )
        .as_bytes(),
    );
    raw.extend_from_slice(nonce);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// What a grant token names: account, region, key id, grant id.
pub fn parse_grant_token(token: &str) -> Result<[String; 4], KmsError> {
    let invalid = || KmsError::InvalidGrantToken("The grant token is not valid.".into());
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| invalid())?;
    let body = raw.strip_prefix(TOKEN_PREFIX).ok_or_else(invalid)?;
    let mut parts = body.splitn(5, |b| *b == 0);
    let mut next = || -> Result<String, KmsError> {
        let part = parts.next().ok_or_else(invalid)?;
        let s = std::str::from_utf8(part).map_err(|_| invalid())?;
        if s.is_empty() {
            return Err(invalid());
        }
        Ok(s.to_owned())
    };
    let out = [next()?, next()?, next()?, next()?];
    if parts.next().map(<[u8]>::len) != Some(16) {
        return Err(invalid());
    }
    Ok(out)
}

impl Access {
    /// The access facts of a parsed request. Grant tokens are checked here:
    /// a token this server did not issue is `InvalidGrantTokenException`.
    /// Grants are consistent as soon as `CreateGrant` returns, so a valid
    /// token adds nothing the grant itself does not already allow.
    pub fn of(request: &Request, identity: Arc<[Policy]>) -> Result<Access, KmsError> {
        let op = request.operation();
        let mut conditions = ConditionContext::default();
        let mut context = None;
        let mut tokens: &[String] = &[];
        let mut action = op.as_str();
        let alg = |c: &mut ConditionContext, a: Option<String>| {
            c.set_one(
                "kms:EncryptionAlgorithm",
                a.unwrap_or_else(|| "SYMMETRIC_DEFAULT".into()),
            );
        };
        match request {
            Request::Encrypt(r) => {
                context = r.encryption_context.clone();
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                alg(
                    &mut conditions,
                    r.encryption_algorithm.map(|a| a.to_string()),
                );
            }
            Request::Decrypt(r) => {
                context = r.encryption_context.clone();
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                alg(
                    &mut conditions,
                    r.encryption_algorithm.map(|a| a.to_string()),
                );
            }
            Request::ReEncrypt(r) => {
                action = "ReEncryptFrom";
                context = r.source_encryption_context.clone();
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                conditions.set_one(
                    "kms:ReEncryptOnSameKey",
                    (r.source_key_id.as_deref() == Some(r.destination_key_id.as_str())).to_string(),
                );
                alg(
                    &mut conditions,
                    r.source_encryption_algorithm.map(|a| a.to_string()),
                );
            }
            Request::GenerateDataKey(r) => {
                context = r.encryption_context.clone();
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                alg(&mut conditions, None);
            }
            Request::GenerateDataKeyWithoutPlaintext(r) => {
                context = r.encryption_context.clone();
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                alg(&mut conditions, None);
            }
            Request::GenerateDataKeyPair(r) => {
                context = r.encryption_context.clone();
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                if let Some(spec) = r.key_pair_spec {
                    conditions.set_one("kms:DataKeyPairSpec", spec.to_string());
                }
                alg(&mut conditions, None);
            }
            Request::GenerateDataKeyPairWithoutPlaintext(r) => {
                context = r.encryption_context.clone();
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                if let Some(spec) = r.key_pair_spec {
                    conditions.set_one("kms:DataKeyPairSpec", spec.to_string());
                }
                alg(&mut conditions, None);
            }
            Request::Sign(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                if let Some(a) = r.signing_algorithm {
                    conditions.set_one("kms:SigningAlgorithm", a.to_string());
                }
                if let Some(t) = r.message_type {
                    conditions.set_one("kms:MessageType", t.to_string());
                }
            }
            Request::Verify(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                if let Some(a) = r.signing_algorithm {
                    conditions.set_one("kms:SigningAlgorithm", a.to_string());
                }
                if let Some(t) = r.message_type {
                    conditions.set_one("kms:MessageType", t.to_string());
                }
            }
            Request::GenerateMac(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                if let Some(a) = r.mac_algorithm {
                    conditions.set_one("kms:MacAlgorithm", a.to_string());
                }
            }
            Request::VerifyMac(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                if let Some(a) = r.mac_algorithm {
                    conditions.set_one("kms:MacAlgorithm", a.to_string());
                }
            }
            Request::GetPublicKey(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
            }
            Request::Encapsulate(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
            }
            Request::Decapsulate(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
            }
            Request::DeriveSharedSecret(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                if let Some(a) = r.key_agreement_algorithm {
                    conditions.set_one("kms:KeyAgreementAlgorithm", a.to_string());
                }
            }
            Request::DescribeKey(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
            }
            Request::CreateGrant(r) => {
                tokens = r.grant_tokens.as_deref().unwrap_or_default();
                conditions.set(
                    "kms:GrantOperations",
                    r.operations
                        .iter()
                        .flatten()
                        .map(|o| o.as_str().to_owned())
                        .collect(),
                );
                if let Some(g) = &r.grantee_principal {
                    conditions.set_one("kms:GranteePrincipal", g.clone());
                }
                if let Some(g) = &r.retiring_principal {
                    conditions.set_one("kms:RetiringPrincipal", g.clone());
                }
                conditions.set_one("kms:GrantIsForAWSResource", "false");
                if let Some(c) = &r.constraints {
                    let mut keys: Vec<String> = Vec::new();
                    for map in [&c.encryption_context_subset, &c.encryption_context_equals]
                        .into_iter()
                        .flatten()
                    {
                        keys.extend(map.keys().cloned());
                    }
                    conditions.set("kms:GrantConstraintType", {
                        let mut t = Vec::new();
                        if c.encryption_context_subset.is_some() {
                            t.push("EncryptionContextSubset".to_owned());
                        }
                        if c.encryption_context_equals.is_some() {
                            t.push("EncryptionContextEquals".to_owned());
                        }
                        t
                    });
                    context = c
                        .encryption_context_equals
                        .clone()
                        .or_else(|| c.encryption_context_subset.clone());
                }
            }
            Request::ListGrants(r) => {
                if let Some(g) = &r.grantee_principal {
                    conditions.set_one("kms:GranteePrincipal", g.clone());
                }
            }
            Request::CreateKey(r) => {
                if let Some(s) = r.key_spec.or(r.customer_master_key_spec) {
                    conditions.set_one("kms:KeySpec", s.to_string());
                }
                if let Some(u) = r.key_usage {
                    conditions.set_one("kms:KeyUsage", u.to_string());
                }
                if let Some(o) = r.origin {
                    conditions.set_one("kms:KeyOrigin", o.to_string());
                }
                conditions.set_one(
                    "kms:MultiRegion",
                    r.multi_region.unwrap_or(false).to_string(),
                );
            }
            Request::PutKeyPolicy(r) => {
                conditions.set_one(
                    "kms:BypassPolicyLockoutSafetyCheck",
                    r.bypass_policy_lockout_safety_check
                        .unwrap_or(false)
                        .to_string(),
                );
            }
            Request::ScheduleKeyDeletion(r) => {
                if let Some(d) = r.pending_window_in_days {
                    conditions.set_one("kms:ScheduleKeyDeletionPendingWindowInDays", d.to_string());
                }
            }
            Request::EnableKeyRotation(r) => {
                conditions.set_one(
                    "kms:RotationPeriodInDays",
                    r.rotation_period_in_days.unwrap_or(365).to_string(),
                );
            }
            Request::GetParametersForImport(r) => {
                if let Some(a) = r.wrapping_algorithm {
                    conditions.set_one("kms:WrappingAlgorithm", a.to_string());
                }
                if let Some(s) = r.wrapping_key_spec {
                    conditions.set_one("kms:WrappingKeySpec", s.to_string());
                }
            }
            Request::ImportKeyMaterial(r) => {
                // The model the import gets: ValidTo alone means it expires.
                let model = r.expiration_model.unwrap_or_else(|| {
                    crate::handlers::import::expiration_model(r.valid_to.map(|t| t.as_millis()))
                });
                conditions.set_one("kms:ExpirationModel", model.to_string());
                if let Some(t) = r.valid_to {
                    // Epoch seconds, for the numeric operators.
                    conditions.set_one("kms:ValidTo", t.0.to_string());
                }
            }
            _ => {}
        }
        for token in tokens {
            parse_grant_token(token)?;
        }
        Ok(Access {
            action: kms_action(action),
            identity,
            context,
            conditions,
        })
    }
}

/// `kms:<name>` for the actions this server knows; anything else is
/// refused by every policy as `kms:Unknown`.
fn kms_action(name: &str) -> &'static str {
    macro_rules! actions {
        ($($n:literal),+ $(,)?) => {
            match name {
                $($n => concat!("kms:", $n),)+
                _ => "kms:Unknown",
            }
        };
    }
    actions!(
        "CancelKeyDeletion",
        "CreateAlias",
        "CreateGrant",
        "CreateKey",
        "Decapsulate",
        "Decrypt",
        "DeleteAlias",
        "DeleteImportedKeyMaterial",
        "DeriveSharedSecret",
        "DisableKeyRotation",
        "EnableKeyRotation",
        "GetKeyLastUsage",
        "GetKeyRotationStatus",
        "GetParametersForImport",
        "ImportKeyMaterial",
        "ListKeyRotations",
        "ReplicateKey",
        "RotateKeyOnDemand",
        "UpdatePrimaryRegion",
        "DescribeKey",
        "DisableKey",
        "EnableKey",
        "Encapsulate",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GenerateRandom",
        "GetKeyPolicy",
        "GetPublicKey",
        "ListAliases",
        "ListGrants",
        "ListKeyPolicies",
        "ListKeys",
        "ListResourceTags",
        "ListRetirableGrants",
        "PutKeyPolicy",
        "ReEncryptFrom",
        "ReEncryptTo",
        "RetireGrant",
        "RevokeGrant",
        "ScheduleKeyDeletion",
        "Sign",
        "TagResource",
        "UntagResource",
        "UpdateAlias",
        "UpdateKeyDescription",
        "Verify",
        "VerifyMac",
    )
}

/// Actions AWS allows on a key of another account.
fn cross_account_action(action: &str) -> bool {
    matches!(
        action,
        "kms:CreateGrant"
            | "kms:Decapsulate"
            | "kms:Decrypt"
            | "kms:DeriveSharedSecret"
            | "kms:DescribeKey"
            | "kms:Encapsulate"
            | "kms:Encrypt"
            | "kms:GenerateDataKey"
            | "kms:GenerateDataKeyPair"
            | "kms:GenerateDataKeyPairWithoutPlaintext"
            | "kms:GenerateDataKeyWithoutPlaintext"
            | "kms:GenerateMac"
            | "kms:GetKeyRotationStatus"
            | "kms:GetPublicKey"
            | "kms:ListGrants"
            | "kms:ReEncryptFrom"
            | "kms:ReEncryptTo"
            | "kms:RetireGrant"
            | "kms:RevokeGrant"
            | "kms:Sign"
            | "kms:Verify"
            | "kms:VerifyMac"
    )
}

/// The grant operation an action is, if grants can allow it.
fn grant_operation(action: &str) -> Option<GrantOperation> {
    let name = action.strip_prefix("kms:")?;
    name.parse().ok()
}

fn is_root(p: &Principal) -> bool {
    p.arn.ends_with(":root")
}

/// Why a request was refused.
enum Refusal {
    ExplicitDeny(&'static str),
    NoAllow(&'static str),
}

const RESOURCE_POLICY: &str = "resource-based policy";
const IDENTITY_POLICY: &str = "identity-based policy";

fn denied(ctx: &Ctx, action: &str, resource: &str, refusal: &Refusal) -> KmsError {
    let who = &ctx.principal.arn;
    KmsError::AccessDenied(match refusal {
        Refusal::ExplicitDeny(kind) => format!(
            "User: {who} is not authorized to perform: {action} on resource: {resource} \
             with an explicit deny in {} {kind}",
            if kind.starts_with('i') { "an" } else { "a" }
        ),
        Refusal::NoAllow(kind) => format!(
            "User: {who} is not authorized to perform: {action} on resource: {resource} \
             because no {kind} allows the {action} action"
        ),
    })
}

/// The condition keys of a request on `entry`.
fn key_conditions(
    ctx: &Ctx,
    entry: &KeyEntry,
    context: Option<&EncryptionContext>,
) -> ConditionContext {
    let mut c = ctx.access.conditions.clone();
    set_caller_keys(&mut c, ctx);
    c.set_one("aws:SecureTransport", "false");
    c.set_one("aws:RequestedRegion", ctx.scope.region.clone());
    let r = &entry.record;
    c.set_one("kms:KeySpec", r.spec.to_string());
    c.set_one("kms:KeyUsage", r.usage.to_string());
    c.set_one("kms:KeyOrigin", r.origin.to_string());
    c.set_one("kms:MultiRegion", r.multi_region.to_string());
    if let Some(context) = context {
        for (k, v) in context {
            c.set_one(&format!("kms:EncryptionContext:{k}"), v.clone());
        }
        if !context.is_empty() {
            c.set(
                "kms:EncryptionContextKeys",
                context.keys().cloned().collect(),
            );
        }
    }
    c
}

/// The condition keys of who calls and when: `kms:CallerAccount`,
/// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:username` (IAM users
/// only), `aws:SourceIp`, `aws:CurrentTime` (ISO 8601, UTC, whole seconds)
/// and `aws:EpochTime` (seconds), by the lifecycle clock.
fn set_caller_keys(c: &mut ConditionContext, ctx: &Ctx) {
    let p = &ctx.principal;
    c.set_one("kms:CallerAccount", p.account.clone());
    c.set_one("aws:PrincipalArn", p.arn.clone());
    c.set_one("aws:PrincipalAccount", p.account.clone());
    if let Some(name) = user_name(&p.arn) {
        c.set_one("aws:username", name);
    }
    if let Some(ip) = &ctx.source_ip {
        c.set_one("aws:SourceIp", ip.clone());
    }
    c.set_one("aws:CurrentTime", crate::audit::event_time(ctx.now_ms));
    c.set_one("aws:EpochTime", ctx.now_ms.div_euclid(1000).to_string());
}

/// The friendly name of an IAM user ARN (`arn:aws:iam::<account>:user/<path>/<name>`).
fn user_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let path = resource.strip_prefix("user/")?;
    path.rsplit('/').next().filter(|n| !n.is_empty())
}

fn identity_verdict(ctx: &Ctx, action: &str, resource: &str, c: &ConditionContext) -> Verdict {
    let req = AccessRequest {
        principal: &ctx.principal,
        action,
        resource,
        context: c,
    };
    let mut v = Verdict::default();
    for p in ctx.access.identity.iter() {
        let one = p.evaluate(&req);
        v.deny |= one.deny;
        v.allow_principal |= one.allow_principal;
    }
    v
}

/// The key policy and identity policies, without grants.
fn policy_decision(
    ctx: &Ctx,
    policy: &Policy,
    key_account: &str,
    action: &str,
    arn: &str,
    c: &ConditionContext,
) -> Result<(), Refusal> {
    let kp = policy.evaluate(&AccessRequest {
        principal: &ctx.principal,
        action,
        resource: arn,
        context: c,
    });
    if kp.deny {
        return Err(Refusal::ExplicitDeny(RESOURCE_POLICY));
    }
    let ip = identity_verdict(ctx, action, arn, c);
    if ip.deny {
        return Err(Refusal::ExplicitDeny(IDENTITY_POLICY));
    }
    let identity_ok = is_root(&ctx.principal) || ip.allow_principal;
    let same_account = ctx.principal.account == key_account;
    if same_account && kp.allow_principal {
        return Ok(());
    }
    if !(kp.allow_principal || kp.allow_account) {
        return Err(Refusal::NoAllow(RESOURCE_POLICY));
    }
    if identity_ok {
        Ok(())
    } else {
        Err(Refusal::NoAllow(IDENTITY_POLICY))
    }
}

/// Whether a grant's encryption-context constraints hold for `context`.
/// Keys compare case-insensitively, values exactly (as AWS does).
pub fn constraints_hold(grant: &GrantRecord, context: Option<&EncryptionContext>) -> bool {
    let empty = EncryptionContext::new();
    let context = context.unwrap_or(&empty);
    let lookup = |k: &str| {
        context
            .iter()
            .find(|(ck, _)| ck.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    };
    if let Some(equals) = &grant.context_equals
        && (equals.len() != context.len() || !equals.iter().all(|(k, v)| lookup(k) == Some(v)))
    {
        return false;
    }
    if let Some(subset) = &grant.context_subset
        && !subset.iter().all(|(k, v)| lookup(k) == Some(v))
    {
        return false;
    }
    true
}

/// The grant of `entry` that allows `principal` to do `action`, if any.
pub fn allowing_grant(
    entry: &KeyEntry,
    principal: &Principal,
    action: &str,
    context: Option<&EncryptionContext>,
) -> Option<Arc<GrantRecord>> {
    let op = grant_operation(action)?;
    entry
        .grants
        .values()
        .find(|g| {
            g.grantee == principal.arn && g.operations.contains(&op) && constraints_hold(g, context)
        })
        .cloned()
}

/// Authorizes `action` on a key, with the request's default context.
pub fn authorize_key(ctx: &Ctx, entry: &KeyEntry, action: &str) -> Result<Via, KmsError> {
    authorize_key_with(ctx, entry, action, ctx.access.context.as_ref())
}

/// Authorizes `action` on a key for a request whose encryption context is
/// `context`.
pub fn authorize_key_with(
    ctx: &Ctx,
    entry: &KeyEntry,
    action: &str,
    context: Option<&EncryptionContext>,
) -> Result<Via, KmsError> {
    let scope = &entry.record.scope;
    let arn = scope.key_arn(&entry.record.key_id);
    if scope.account != ctx.principal.account && !cross_account_action(action) {
        return Err(KmsError::NotFound(format!("Key '{arn}' does not exist")));
    }
    // Building the condition keys costs allocations on every request; most
    // policies (AWS's default among them) have no conditions at all.
    let needs_conditions =
        entry.policy.has_conditions() || ctx.access.identity.iter().any(Policy::has_conditions);
    let c = if needs_conditions {
        key_conditions(ctx, entry, context)
    } else {
        ConditionContext::default()
    };
    match policy_decision(ctx, &entry.policy, &scope.account, action, &arn, &c) {
        Ok(()) => Ok(Via::Policy),
        Err(refusal @ Refusal::ExplicitDeny(_)) => Err(denied(ctx, action, &arn, &refusal)),
        Err(refusal) => allowing_grant(entry, &ctx.principal, action, context)
            .map(Via::Grant)
            .ok_or_else(|| denied(ctx, action, &arn, &refusal)),
    }
}

/// Whether a key policy about to be set would still let the caller change it
/// (AWS's policy lockout safety check).
pub fn keeps_caller_in_control(
    ctx: &Ctx,
    policy: &Policy,
    key_account: &str,
    key_arn: &str,
) -> bool {
    let mut c = ConditionContext::default();
    set_caller_keys(&mut c, ctx);
    policy_decision(ctx, policy, key_account, "kms:PutKeyPolicy", key_arn, &c).is_ok()
}

/// Authorizes an action on no key (or on an alias), by identity policies:
/// an account's root may, anyone else needs an identity policy that allows.
pub fn authorize_account(ctx: &Ctx, action: &str, resource: &str) -> Result<(), KmsError> {
    let mut c = ctx.access.conditions.clone();
    set_caller_keys(&mut c, ctx);
    c.set_one("aws:RequestedRegion", ctx.scope.region.clone());
    let v = identity_verdict(ctx, action, resource, &c);
    if v.deny {
        return Err(denied(
            ctx,
            action,
            resource,
            &Refusal::ExplicitDeny(IDENTITY_POLICY),
        ));
    }
    if is_root(&ctx.principal) || v.allow_principal {
        Ok(())
    } else {
        Err(denied(
            ctx,
            action,
            resource,
            &Refusal::NoAllow(IDENTITY_POLICY),
        ))
    }
}

#[cfg(test)]
mod tests;
