//! Durable storage of keys, key material versions, aliases, tags, grants and
//! each key's last use.
//!
//! The server serves every read from memory ([`crate::registry`]); the store
//! is written first, in one transaction per request, and read in full only at
//! start-up. It holds key material only as records sealed under the root key.
//!
//! Everything is scoped by [`Scope`] (account, region) so that one server can
//! host many accounts and regions, and material is versioned so that rotation
//! can add versions without touching old ciphertexts.

mod sqlite;

pub use sqlite::SqliteStore;

use std::collections::BTreeMap;
use std::sync::Arc;

use kms_protocol::ids::partition_of_region;
use kms_protocol::ops::{
    GrantOperation, KeyLastUsageTrackingOperation, KeySpec, KeyState, KeyUsageType, OriginType,
};

use crate::crypto::KeyMaterial;

/// The account and region a resource lives in.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Scope {
    /// 12-digit account id.
    pub account: String,
    /// Region name, e.g. `us-east-1`.
    pub region: String,
}

impl Scope {
    /// A scope.
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Scope {
            account: account.into(),
            region: region.into(),
        }
    }

    /// The ARN of a key in this scope.
    pub fn key_arn(&self, key_id: &str) -> String {
        format!(
            "arn:{}:kms:{}:{}:key/{key_id}",
            partition_of_region(&self.region),
            self.region,
            self.account
        )
    }

    /// The ARN of an alias (`alias/...`) in this scope.
    pub fn alias_arn(&self, alias_name: &str) -> String {
        format!(
            "arn:{}:kms:{}:{}:{alias_name}",
            partition_of_region(&self.region),
            self.region,
            self.account
        )
    }
}

/// The stored metadata of a key (everything but material and tags).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    /// Where it lives.
    pub scope: Scope,
    /// Key id (UUID or `mrk-` id).
    pub key_id: String,
    /// Type of material.
    pub spec: KeySpec,
    /// Use.
    pub usage: KeyUsageType,
    /// Origin of the material.
    pub origin: OriginType,
    /// Current state.
    pub state: KeyState,
    /// Description.
    pub description: String,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
    /// Scheduled deletion time, ms since the epoch, when `PendingDeletion`.
    pub deletion_ms: Option<i64>,
    /// Waiting period, when `PendingDeletion`.
    pub pending_window_days: Option<i32>,
    /// Whether this is a multi-Region key.
    pub multi_region: bool,
    /// Key policy document, stored for the policy engine to come.
    pub policy: Option<String>,
    /// Material version that encrypts (0 when there is no material yet).
    pub current_version: u32,
    /// ARN of the principal that created it.
    pub created_by: String,
    /// Lifecycle state added after the first schema (stored as JSON).
    pub extra: KeyExtra,
}

/// Key attributes beyond the first schema's columns, stored as one JSON
/// column so that new lifecycle features need no table migration.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct KeyExtra {
    /// Automatic rotation, when enabled.
    pub rotation: Option<RotationSettings>,
    /// Every rotation so far, oldest first.
    pub rotations: Vec<RotationEvent>,
    /// An AWS managed key (`alias/aws/<service>`): not deletable, rotates yearly.
    pub aws_managed: bool,
    /// For multi-Region keys: the primary's region and every replica region.
    pub multi_region: Option<MultiRegionInfo>,
    /// Stores before `imported` kept the one imported material here: its
    /// expiry (ms since the epoch)... Read from old records only, and moved
    /// into `imported` by [`KeyExtra::upgrade`]; never written.
    #[serde(skip_serializing)]
    pub material_expires_ms: Option<i64>,
    /// ...and its fingerprint (see `material_expires_ms`).
    #[serde(skip_serializing)]
    pub material_fingerprint: Option<String>,
    /// For keys with imported material: every material imported, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imported: Vec<ImportedMaterial>,
}

impl KeyExtra {
    /// Moves an older store's single import record into `imported` as
    /// material version 1 (the store does this as it reads a key).
    pub fn upgrade(&mut self) {
        let expires_ms = self.material_expires_ms.take();
        if let Some(fingerprint) = self.material_fingerprint.take()
            && self.imported.is_empty()
        {
            self.imported.push(ImportedMaterial {
                version: 1,
                fingerprint,
                description: None,
                expires_ms,
                pending_rotation: false,
            });
        }
    }

    /// The import record of a material version.
    pub fn import(&self, version: u32) -> Option<&ImportedMaterial> {
        self.imported.iter().find(|m| m.version == version)
    }
}

/// One material imported into a key. Whether the key holds it right now is
/// whether its version has material in the store (deleted and expired
/// material leaves its record, so the same material can come back).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportedMaterial {
    /// Its material version.
    pub version: u32,
    /// A keyed fingerprint, to recognise the same material imported again.
    pub fingerprint: String,
    /// `KeyMaterialDescription`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it expires, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<i64>,
    /// Imported as new material that RotateKeyOnDemand has not made current.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending_rotation: bool,
}

/// Automatic rotation settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RotationSettings {
    /// 90-2560 days.
    pub period_days: i32,
    /// When the next automatic rotation is due, ms since the epoch.
    pub next_ms: i64,
}

/// One rotation of a key's material.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RotationEvent {
    /// The material version it made current.
    pub version: u32,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// `RotateKeyOnDemand` rather than the schedule.
    pub on_demand: bool,
}

/// The members of a multi-Region key family, as every member records them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MultiRegionInfo {
    /// The primary key's region.
    pub primary_region: String,
    /// Every replica's region.
    pub replica_regions: Vec<String>,
}

/// One grant on a key (stored as JSON; its fields are AWS's).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GrantRecord {
    /// The key's scope.
    pub scope: Scope,
    /// The key's id.
    pub key_id: String,
    /// 64 hex digits.
    pub grant_id: String,
    /// The token `CreateGrant` returned (idempotent retries return it again).
    pub token: String,
    /// Name given for idempotency.
    pub name: Option<String>,
    /// Who may use it.
    pub grantee: String,
    /// Who may retire it.
    pub retiring: Option<String>,
    /// What it allows.
    pub operations: Vec<GrantOperation>,
    /// The request's context must contain these pairs.
    pub context_subset: Option<BTreeMap<String, String>>,
    /// The request's context must be exactly these pairs.
    pub context_equals: Option<BTreeMap<String, String>>,
    /// Account that created it.
    pub issuing_account: String,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
}

/// One alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasRecord {
    /// Where it lives.
    pub scope: Scope,
    /// `alias/...`.
    pub name: String,
    /// Key id it points at.
    pub target_key_id: String,
    /// Creation time, ms.
    pub created_ms: i64,
    /// Last update time, ms.
    pub updated_ms: i64,
}

/// One change to the store; a request's changes are applied atomically.
#[derive(Debug, Clone)]
pub enum Change {
    /// Insert or replace a key's metadata.
    PutKey(KeyRecord),
    /// Add a material version. `material` is the unsealed form for the
    /// in-memory registry; only `sealed` is written.
    PutMaterial {
        /// Key scope.
        scope: Scope,
        /// Key id.
        key_id: String,
        /// Version number.
        version: u32,
        /// Sealed under the root key.
        sealed: Vec<u8>,
        /// Unsealed, for memory only.
        material: Arc<KeyMaterial>,
    },
    /// Remove one material version (imported material deleted or expired).
    DeleteMaterial {
        /// Key scope.
        scope: Scope,
        /// Key id.
        key_id: String,
        /// Version.
        version: u32,
    },
    /// Remove a key with its material, tags, grants and aliases.
    DeleteKey {
        /// Key scope.
        scope: Scope,
        /// Key id.
        key_id: String,
    },
    /// Insert or replace an alias.
    PutAlias(AliasRecord),
    /// Remove an alias.
    DeleteAlias {
        /// Alias scope.
        scope: Scope,
        /// `alias/...`.
        name: String,
    },
    /// Insert or replace a tag.
    PutTag {
        /// Key scope.
        scope: Scope,
        /// Key id.
        key_id: String,
        /// Tag key.
        tag_key: String,
        /// Tag value.
        tag_value: String,
    },
    /// Insert or replace a grant.
    PutGrant(GrantRecord),
    /// Remove a grant (retired or revoked).
    DeleteGrant {
        /// Key scope.
        scope: Scope,
        /// Key id.
        key_id: String,
        /// Grant id.
        grant_id: String,
    },
    /// Remove a tag (no error when absent).
    DeleteTag {
        /// Key scope.
        scope: Scope,
        /// Key id.
        key_id: String,
        /// Tag key.
        tag_key: String,
    },
}

/// A sealed material version as stored.
#[derive(Debug, Clone)]
pub struct SealedMaterial {
    /// Key scope.
    pub scope: Scope,
    /// Key id.
    pub key_id: String,
    /// Version.
    pub version: u32,
    /// Sealed bytes.
    pub sealed: Vec<u8>,
}

/// One tag as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRecord {
    /// Key scope.
    pub scope: Scope,
    /// Key id.
    pub key_id: String,
    /// Tag key.
    pub tag_key: String,
    /// Tag value.
    pub tag_value: String,
}

/// A key's last successful cryptographic operation (`GetKeyLastUsage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUsage {
    /// Which operation.
    pub operation: KeyLastUsageTrackingOperation,
    /// When, ms since the epoch (lifecycle clock).
    pub at_ms: i64,
    /// The `eventID` of the request's audit record.
    pub event_id: String,
    /// The request's `x-amzn-RequestId`.
    pub request_id: String,
}

/// One key's [`LastUsage`] as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    /// Key scope.
    pub scope: Scope,
    /// Key id.
    pub key_id: String,
    /// Its last use.
    pub usage: LastUsage,
}

/// Everything in the store, read at start-up.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// All keys.
    pub keys: Vec<KeyRecord>,
    /// All sealed materials.
    pub materials: Vec<SealedMaterial>,
    /// All aliases.
    pub aliases: Vec<AliasRecord>,
    /// All tags.
    pub tags: Vec<TagRecord>,
    /// All grants.
    pub grants: Vec<GrantRecord>,
    /// Every key's last use, where recorded.
    pub usage: Vec<UsageRecord>,
    /// Since when the store records last use, ms since the epoch (0: always).
    pub usage_tracking_start_ms: i64,
}

/// A store failure; its detail goes to the log, never to the client.
#[derive(Debug)]
pub struct StoreError(pub String);

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "store error: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// Durable storage. Implementations must make `apply` atomic and durable
/// before returning: the caller acknowledges the request right after.
pub trait Store: Send + Sync + 'static {
    /// Applies `changes` in one transaction.
    fn apply(&self, changes: &[Change]) -> Result<(), StoreError>;
    /// Records keys' last use in one transaction, each only if its key still
    /// exists and the record is not older than the stored one. Called in
    /// batches off the request path (see [`crate::usage`]).
    fn save_usage(&self, records: &[UsageRecord]) -> Result<(), StoreError>;
    /// Reads everything.
    fn load(&self) -> Result<Snapshot, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_record_from_before_per_material_imports_reads_as_version_one() {
        let mut extra: KeyExtra = serde_json::from_str(
            r#"{"rotation":null,"rotations":[],"aws_managed":false,"multi_region":null,
                "material_expires_ms":1700000000000,"material_fingerprint":"ab12"}"#,
        )
        .unwrap();
        extra.upgrade();
        let v1 = ImportedMaterial {
            version: 1,
            fingerprint: "ab12".into(),
            description: None,
            expires_ms: Some(1_700_000_000_000),
            pending_rotation: false,
        };
        assert_eq!(extra.imported, vec![v1.clone()]);
        assert_eq!(extra.import(1), Some(&v1));
        assert_eq!(extra.import(2), None);
        let text = serde_json::to_string(&extra).unwrap();
        assert!(!text.contains("material_fingerprint"), "{text}");
        assert!(!text.contains("material_expires_ms"), "{text}");
        let mut back: KeyExtra = serde_json::from_str(&text).unwrap();
        back.upgrade();
        assert_eq!(back, extra);
        let mut fresh = KeyExtra::default();
        fresh.upgrade();
        assert!(fresh.imported.is_empty());
    }
}
