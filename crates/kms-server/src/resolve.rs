//! From a `KeyId` parameter to the (scope, key or alias) it names.
//!
//! Accepts the four forms AWS accepts: key id, key ARN, alias name
//! (`alias/...`) and alias ARN. An ARN may name another account (cross-account
//! use); it must name the request's region, since a key is only reachable
//! through the endpoint of its own region.

use kms_protocol::ids::KeyIdentifier;

use crate::error::KmsError;
use crate::store::Scope;

/// What a `KeyId` parameter names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A key by id.
    Key {
        /// Where it lives.
        scope: Scope,
        /// Its id.
        key_id: String,
    },
    /// An alias by name (`alias/...`).
    Alias {
        /// Where it lives.
        scope: Scope,
        /// `alias/...`.
        name: String,
    },
}

/// Parses a `KeyId` parameter relative to the caller's scope.
pub fn parse_key_ref(input: &str, caller: &Scope) -> Result<KeyRef, KmsError> {
    let parsed = KeyIdentifier::parse(input).map_err(|e| {
        if input.starts_with("arn:") {
            KmsError::InvalidArn(format!("Invalid arn {input}: {e}"))
        } else {
            KmsError::NotFound(format!("Invalid keyId {input}"))
        }
    })?;
    let in_region = |region: &str, account: &str| -> Result<Scope, KmsError> {
        if region != caller.region {
            return Err(KmsError::NotFound(format!(
                "Invalid arn {input}: the key is in region {region}, not {}",
                caller.region
            )));
        }
        Ok(Scope::new(account, region))
    };
    Ok(match parsed {
        KeyIdentifier::KeyId(id) => KeyRef::Key {
            scope: caller.clone(),
            key_id: id.as_str().to_owned(),
        },
        KeyIdentifier::AliasName(name) => KeyRef::Alias {
            scope: caller.clone(),
            name: name.as_str().to_owned(),
        },
        KeyIdentifier::KeyArn(arn) => KeyRef::Key {
            scope: in_region(arn.region(), arn.account())?,
            key_id: arn.key_id().as_str().to_owned(),
        },
        KeyIdentifier::AliasArn(arn) => KeyRef::Alias {
            scope: in_region(arn.region(), arn.account())?,
            name: arn.alias().as_str().to_owned(),
        },
    })
}
