//! CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use std::sync::Arc;

use kms_protocol::ops::{
    AliasListEntry, CreateAliasRequest, DeleteAliasRequest, EmptyResponse, KeyState,
    ListAliasesRequest, ListAliasesResponse, Timestamp, UpdateAliasRequest,
};

use super::{Allow, Ctx, arn_of, find_key, resolve_key};
use crate::authz::authorize_key;
use crate::error::KmsError;
use crate::state::AppState;
use crate::store::{AliasRecord, Change};

const PREFIX: &str = "alias/";
const RESERVED_PREFIX: &str = "alias/aws/";

/// Checks an alias name a caller wants to create, update or delete.
fn check_alias_name(name: &str, ctx: &Ctx, operation: &str) -> Result<(), KmsError> {
    if !name.starts_with(PREFIX) || name.len() == PREFIX.len() {
        return Err(KmsError::Validation(format!(
            "Alias must start with the prefix \"alias/\" followed by a name: {name}"
        )));
    }
    if name.contains(':') {
        return Err(KmsError::Validation(format!(
            "{name} contains invalid characters for an alias"
        )));
    }
    if name.starts_with(RESERVED_PREFIX) {
        return Err(KmsError::NotAuthorized(format!(
            "User: {} is not authorized to perform: kms:{operation} on resource: {} \
             (the alias/aws/ prefix is reserved for AWS managed keys)",
            ctx.principal.arn,
            ctx.scope.alias_arn(name)
        )));
    }
    Ok(())
}

/// `CreateAlias`.
pub async fn create_alias(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: CreateAliasRequest,
) -> Result<EmptyResponse, KmsError> {
    check_alias_name(&req.alias_name, ctx, "CreateAlias")?;
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            if req.target_key_id.starts_with(PREFIX) || req.target_key_id.contains(":alias/") {
                return Err(KmsError::Validation(
                    "Aliases must refer to keys. Not aliases".into(),
                ));
            }
            let target = find_key(registry, &ctx, &req.target_key_id, Allow::KeysOnly)?;
            if target.record.scope != ctx.scope {
                return Err(KmsError::Validation(
                    "An alias must refer to a key in the same account and region.".into(),
                ));
            }
            if target.record.state == KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is pending deletion.",
                    arn_of(&target)
                )));
            }
            if registry.alias(&ctx.scope, &req.alias_name).is_some() {
                return Err(KmsError::AlreadyExists(format!(
                    "An alias with the name {} already exists",
                    ctx.scope.alias_arn(&req.alias_name)
                )));
            }
            let now = ctx.now_ms;
            let record = AliasRecord {
                scope: ctx.scope.clone(),
                name: req.alias_name,
                target_key_id: target.record.key_id.clone(),
                created_ms: now,
                updated_ms: now,
            };
            Ok((vec![Change::PutAlias(record)], EmptyResponse {}))
        })
        .await
}

/// `UpdateAlias`: the new key must have the same key usage (and be
/// symmetric if the old one was, which the usage check implies here).
pub async fn update_alias(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: UpdateAliasRequest,
) -> Result<EmptyResponse, KmsError> {
    check_alias_name(&req.alias_name, ctx, "UpdateAlias")?;
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let Some(mut alias) = registry.alias(&ctx.scope, &req.alias_name) else {
                return Err(KmsError::NotFound(format!(
                    "Alias {} is not found.",
                    ctx.scope.alias_arn(&req.alias_name)
                )));
            };
            let target = find_key(registry, &ctx, &req.target_key_id, Allow::KeysOnly)?;
            if target.record.scope != ctx.scope {
                return Err(KmsError::Validation(
                    "An alias must refer to a key in the same account and region.".into(),
                ));
            }
            if target.record.state == KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is pending deletion.",
                    arn_of(&target)
                )));
            }
            if let Some(old) = registry.key(&ctx.scope, &alias.target_key_id) {
                authorize_key(&ctx, &old, "kms:UpdateAlias")?;
                let same_type = old.record.usage == target.record.usage
                    && (old.record.spec == kms_protocol::ops::KeySpec::SymmetricDefault)
                        == (target.record.spec == kms_protocol::ops::KeySpec::SymmetricDefault);
                if !same_type {
                    return Err(KmsError::Validation(format!(
                        "Alias {} cannot be changed from a {} key to a {} key: the key type and \
                         key usage must be the same.",
                        req.alias_name, old.record.usage, target.record.usage
                    )));
                }
            }
            alias.target_key_id = target.record.key_id.clone();
            alias.updated_ms = ctx.now_ms;
            Ok((vec![Change::PutAlias(alias)], EmptyResponse {}))
        })
        .await
}

/// `DeleteAlias`.
pub async fn delete_alias(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: DeleteAliasRequest,
) -> Result<EmptyResponse, KmsError> {
    check_alias_name(&req.alias_name, ctx, "DeleteAlias")?;
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let Some(alias) = registry.alias(&ctx.scope, &req.alias_name) else {
                return Err(KmsError::NotFound(format!(
                    "Alias {} is not found.",
                    ctx.scope.alias_arn(&req.alias_name)
                )));
            };
            if let Some(target) = registry.key(&ctx.scope, &alias.target_key_id) {
                authorize_key(&ctx, &target, "kms:DeleteAlias")?;
            }
            Ok((
                vec![Change::DeleteAlias {
                    scope: ctx.scope.clone(),
                    name: req.alias_name,
                }],
                EmptyResponse {},
            ))
        })
        .await
}

/// `ListAliases`: pages in name order; the marker is the last name returned.
pub fn list_aliases(
    state: &AppState,
    ctx: &Ctx,
    req: ListAliasesRequest,
) -> Result<ListAliasesResponse, KmsError> {
    let limit = usize::try_from(req.limit.unwrap_or(50)).unwrap_or(50);
    let filter = match &req.key_id {
        Some(id) => {
            if id.starts_with(PREFIX) || id.contains(":alias/") {
                return Err(KmsError::InvalidArn(format!(
                    "Invalid keyId {id}: ListAliases filters by key id or key ARN"
                )));
            }
            // ListAliases is authorized by identity policies alone (in
            // dispatch); the filter key needs no permission of its own.
            Some(
                resolve_key(&state.registry, ctx, id, Allow::KeysOnly)?
                    .record
                    .key_id
                    .clone(),
            )
        }
        None => None,
    };
    let mut matching = state
        .registry
        .aliases(&ctx.scope)
        .into_iter()
        .filter(|a| filter.as_ref().is_none_or(|k| &a.target_key_id == k))
        .filter(|a| {
            req.marker
                .as_ref()
                .is_none_or(|m| a.name.as_str() > m.as_str())
        });
    let page: Vec<AliasRecord> = matching.by_ref().take(limit).collect();
    let truncated = matching.next().is_some();
    Ok(ListAliasesResponse {
        next_marker: if truncated {
            page.last().map(|a| a.name.clone())
        } else {
            None
        },
        aliases: page
            .into_iter()
            .map(|a| AliasListEntry {
                alias_arn: a.scope.alias_arn(&a.name),
                alias_name: a.name,
                target_key_id: Some(a.target_key_id),
                creation_date: Some(Timestamp::from_millis(a.created_ms)),
                last_updated_date: Some(Timestamp::from_millis(a.updated_ms)),
            })
            .collect(),
        truncated,
    })
}
