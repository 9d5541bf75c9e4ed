//! One exhaustive `match` from a typed request to its handler.

use std::sync::Arc;

use kms_protocol::ops::Request;
use serde::Serialize;

use crate::authz::authorize_account;
use crate::error::KmsError;
use crate::handlers::{Ctx, access, aliases, crypto_ops, data_keys, import, keys, lifecycle, tags};
use crate::state::AppState;

/// Serializes a handler's response body.
fn json<T: Serialize>(result: Result<T, KmsError>) -> Result<Vec<u8>, KmsError> {
    let body = result?;
    serde_json::to_vec(&body).map_err(|e| KmsError::Internal(format!("response encoding: {e}")))
}

/// Runs one request and returns its JSON response body.
pub async fn dispatch(
    state: &Arc<AppState>,
    ctx: &Ctx,
    request: Request,
) -> Result<Vec<u8>, KmsError> {
    let s = state.as_ref();
    if state.quotas.enabled() {
        let quota = crate::quota::quota_of(&state.registry, ctx, &request);
        state.quotas.take(ctx, quota)?;
    }
    authorize_keyless(ctx, &request)?;
    import::ensure_managed_key(state, ctx, &request).await?;
    match request {
        Request::CreateKey(r) => json(keys::create_key(state, ctx, r).await),
        Request::DescribeKey(r) => json(keys::describe_key(s, ctx, r)),
        Request::ListKeys(r) => json(keys::list_keys(s, ctx, r)),
        Request::UpdateKeyDescription(r) => json(keys::update_key_description(state, ctx, r).await),
        Request::EnableKey(r) => json(keys::enable_key(state, ctx, r).await),
        Request::DisableKey(r) => json(keys::disable_key(state, ctx, r).await),
        Request::GetKeyLastUsage(r) => json(keys::get_key_last_usage(s, ctx, r)),
        Request::ScheduleKeyDeletion(r) => json(keys::schedule_key_deletion(state, ctx, r).await),
        Request::CancelKeyDeletion(r) => json(keys::cancel_key_deletion(state, ctx, r).await),
        Request::CreateAlias(r) => json(aliases::create_alias(state, ctx, r).await),
        Request::UpdateAlias(r) => json(aliases::update_alias(state, ctx, r).await),
        Request::DeleteAlias(r) => json(aliases::delete_alias(state, ctx, r).await),
        Request::ListAliases(r) => json(aliases::list_aliases(s, ctx, r)),
        Request::TagResource(r) => json(tags::tag_resource(state, ctx, r).await),
        Request::UntagResource(r) => json(tags::untag_resource(state, ctx, r).await),
        Request::ListResourceTags(r) => json(tags::list_resource_tags(s, ctx, r)),
        Request::Encrypt(r) => json(crypto_ops::encrypt(s, ctx, r)),
        Request::Decrypt(r) => json(crypto_ops::decrypt(s, ctx, r).await),
        Request::ReEncrypt(r) => json(crypto_ops::re_encrypt(s, ctx, r).await),
        Request::GenerateDataKey(r) => json(data_keys::generate_data_key(s, ctx, r)),
        Request::GenerateDataKeyWithoutPlaintext(r) => {
            json(data_keys::generate_data_key_without_plaintext(s, ctx, r))
        }
        Request::GenerateDataKeyPair(r) => json(data_keys::generate_data_key_pair(s, ctx, r).await),
        Request::GenerateDataKeyPairWithoutPlaintext(r) => {
            json(data_keys::generate_data_key_pair_without_plaintext(s, ctx, r).await)
        }
        Request::GenerateRandom(r) => json(data_keys::generate_random(r)),
        Request::GetPublicKey(r) => json(crypto_ops::get_public_key(s, ctx, r)),
        Request::Sign(r) => json(crypto_ops::sign(s, ctx, r).await),
        Request::Verify(r) => json(crypto_ops::verify(s, ctx, r).await),
        Request::GenerateMac(r) => json(crypto_ops::generate_mac(s, ctx, r)),
        Request::VerifyMac(r) => json(crypto_ops::verify_mac(s, ctx, r)),
        Request::DeriveSharedSecret(r) => json(crypto_ops::derive_shared_secret(s, ctx, r).await),
        Request::Encapsulate(r) => json(crypto_ops::encapsulate(s, ctx, r).await),
        Request::Decapsulate(r) => json(crypto_ops::decapsulate(s, ctx, r).await),
        Request::GetKeyPolicy(r) => json(access::get_key_policy(s, ctx, r)),
        Request::PutKeyPolicy(r) => json(access::put_key_policy(state, ctx, r).await),
        Request::ListKeyPolicies(r) => json(access::list_key_policies(s, ctx, r)),
        Request::CreateGrant(r) => json(access::create_grant(state, ctx, r).await),
        Request::ListGrants(r) => json(access::list_grants(s, ctx, r)),
        Request::ListRetirableGrants(r) => json(access::list_retirable_grants(s, ctx, r)),
        Request::RetireGrant(r) => json(access::retire_grant(state, ctx, r).await),
        Request::RevokeGrant(r) => json(access::revoke_grant(state, ctx, r).await),
        Request::EnableKeyRotation(r) => json(lifecycle::enable_key_rotation(state, ctx, r).await),
        Request::DisableKeyRotation(r) => {
            json(lifecycle::disable_key_rotation(state, ctx, r).await)
        }
        Request::GetKeyRotationStatus(r) => json(lifecycle::get_key_rotation_status(s, ctx, r)),
        Request::RotateKeyOnDemand(r) => json(lifecycle::rotate_key_on_demand(state, ctx, r).await),
        Request::ListKeyRotations(r) => json(lifecycle::list_key_rotations(s, ctx, r)),
        Request::ReplicateKey(r) => json(lifecycle::replicate_key(state, ctx, r).await),
        Request::UpdatePrimaryRegion(r) => {
            json(lifecycle::update_primary_region(state, ctx, r).await)
        }
        Request::GetParametersForImport(r) => {
            json(import::get_parameters_for_import(state, ctx, r).await)
        }
        Request::ImportKeyMaterial(r) => json(import::import_key_material(state, ctx, r).await),
        Request::DeleteImportedKeyMaterial(r) => {
            json(import::delete_imported_key_material(state, ctx, r).await)
        }
    }
}

/// The identity-policy checks of operations on no key, and on aliases
/// (whose keys the handlers authorize against their key policies).
fn authorize_keyless(ctx: &Ctx, request: &Request) -> Result<(), KmsError> {
    let alias = |name: &str| ctx.scope.alias_arn(name);
    match request {
        Request::CreateKey(_)
        | Request::ListKeys(_)
        | Request::ListAliases(_)
        | Request::GenerateRandom(_)
        | Request::ListRetirableGrants(_) => authorize_account(ctx, ctx.access.action, "*"),
        Request::CreateAlias(r) => authorize_account(ctx, ctx.access.action, &alias(&r.alias_name)),
        Request::UpdateAlias(r) => authorize_account(ctx, ctx.access.action, &alias(&r.alias_name)),
        Request::DeleteAlias(r) => authorize_account(ctx, ctx.access.action, &alias(&r.alias_name)),
        _ => Ok(()),
    }
}
