//! Key lifecycle operations: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription,
//! EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, GetKeyLastUsage.

use serde::{Deserialize, Serialize};

use super::validate::{Validate, Validator};
use super::{
    EncapsulationAlgorithmSpec, EncryptionAlgorithmSpec, ExpirationModelType,
    KeyAgreementAlgorithmSpec, KeyLastUsageTrackingOperation, KeyManagerType, KeySpec, KeyState,
    KeyUsageType, MacAlgorithmSpec, MultiRegionKeyType, OriginType, SigningAlgorithmSpec, Tag,
    Timestamp,
};

/// `CreateKey` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateKeyRequest {
    /// Key policy document (JSON); stored, not yet enforced by kms-server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Free-form description, 0-8192 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Intended use; defaults per key spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<KeyUsageType>,
    /// Deprecated synonym of `KeySpec`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<KeySpec>,
    /// Type of key material; defaults to `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<KeySpec>,
    /// `AWS_KMS` (default) or `EXTERNAL` (material imported later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<OriginType>,
    /// Custom key store (not supported by kms-server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    /// Skip the policy lockout check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
    /// Tags to attach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Create a multi-Region primary key (`mrk-` id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<bool>,
    /// External key store key id (not supported by kms-server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_key_id: Option<String>,
}

impl Validate for CreateKeyRequest {
    fn check(&self, v: &mut Validator) {
        if let Some(p) = &self.policy {
            v.length("policy", p, 1, 131_072);
        }
        v.opt_length("description", &self.description, 0, 8192);
        v.opt_length("customKeyStoreId", &self.custom_key_store_id, 1, 64);
        v.opt_length("xksKeyId", &self.xks_key_id, 1, 128);
        v.tags("tags", &self.tags);
    }
}

/// `CreateKey` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyResponse {
    /// The new key.
    pub key_metadata: KeyMetadata,
}

/// A request that names one key and nothing else (`EnableKey`, `DisableKey`,
/// `CancelKeyDeletion`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyIdRequest {
    /// Key id, key ARN, or (where the operation allows) alias name or ARN.
    pub key_id: String,
}

impl Validate for KeyIdRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
    }
}

/// `EnableKey` input.
pub type EnableKeyRequest = KeyIdRequest;
/// `DisableKey` input.
pub type DisableKeyRequest = KeyIdRequest;
/// `CancelKeyDeletion` input.
pub type CancelKeyDeletionRequest = KeyIdRequest;

/// The body of operations that return nothing (`{}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyResponse {}

/// `DescribeKey` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeKeyRequest {
    /// Key id, key ARN, alias name or alias ARN.
    pub key_id: String,
    /// Grant tokens (accepted, not yet used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
}

impl Validate for DescribeKeyRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.grant_tokens(&self.grant_tokens);
    }
}

/// `DescribeKey` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeKeyResponse {
    /// The key.
    pub key_metadata: KeyMetadata,
}

/// `GetKeyLastUsage` output (the input is a [`super::KeyOnlyRequest`]: key
/// id or key ARN, no alias).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyLastUsageResponse {
    /// The key's id.
    pub key_id: String,
    /// The last successful cryptographic operation; every member is absent
    /// (an empty object) when the key has not been used since
    /// `TrackingStartDate`.
    #[serde(default)]
    pub key_last_usage: KeyLastUsageData,
    /// Since when usage is recorded for this key: the later of its creation
    /// and the start of tracking.
    pub tracking_start_date: Timestamp,
    /// When the key was created.
    pub key_creation_date: Timestamp,
}

/// The last successful cryptographic operation with a key (`KeyLastUsageData`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyLastUsageData {
    /// Which operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<KeyLastUsageTrackingOperation>,
    /// When (whole seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The `eventID` of the operation's audit (CloudTrail) record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_trail_event_id: Option<String>,
    /// The operation's request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_request_id: Option<String>,
}

/// `ListKeys` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListKeysRequest {
    /// Page size, 1-1000 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Validate for ListKeysRequest {
    fn check(&self, v: &mut Validator) {
        v.range("limit", self.limit.map(i64::from), 1, 1000);
        v.marker("marker", &self.marker);
    }
}

/// One entry of `ListKeys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// Key id.
    pub key_id: String,
    /// Key ARN.
    pub key_arn: String,
}

/// `ListKeys` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    /// This page.
    pub keys: Vec<KeyListEntry>,
    /// Where the next page starts, when `Truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}

/// `UpdateKeyDescription` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateKeyDescriptionRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// New description, 0-8192 characters (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Validate for UpdateKeyDescriptionRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("description", &self.description);
        v.opt_length("description", &self.description, 0, 8192);
    }
}

/// `ScheduleKeyDeletion` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ScheduleKeyDeletionRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Waiting period, 7-30 days (default 30). The model allows 1-365; the
    /// service itself enforces 7-30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_window_in_days: Option<i32>,
}

impl Validate for ScheduleKeyDeletionRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.range(
            "pendingWindowInDays",
            self.pending_window_in_days.map(i64::from),
            1,
            365,
        );
    }
}

/// `ScheduleKeyDeletion` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse {
    /// Key ARN.
    pub key_id: String,
    /// When the key will be deleted.
    pub deletion_date: Timestamp,
    /// `PendingDeletion`.
    pub key_state: KeyState,
    /// The waiting period applied.
    pub pending_window_in_days: i32,
}

/// `CancelKeyDeletion` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelKeyDeletionResponse {
    /// Key ARN.
    pub key_id: String,
}

/// Everything `DescribeKey` tells about a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// Owning account.
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    /// Key id (a UUID, or `mrk-` + 32 hex digits for multi-Region keys).
    pub key_id: String,
    /// Key ARN.
    pub arn: String,
    /// Creation time.
    pub creation_date: Timestamp,
    /// Whether the key state is `Enabled`.
    pub enabled: bool,
    /// Description (empty string when none was given).
    pub description: String,
    /// Intended use.
    pub key_usage: KeyUsageType,
    /// Current state.
    pub key_state: KeyState,
    /// Scheduled deletion time, when `PendingDeletion`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub deletion_date: Option<Timestamp>,
    /// Expiry of imported material.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub valid_to: Option<Timestamp>,
    /// Where the material came from.
    pub origin: OriginType,
    /// Whether imported material expires (EXTERNAL keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expiration_model: Option<ExpirationModelType>,
    /// `CUSTOMER` or `AWS`.
    pub key_manager: KeyManagerType,
    /// Deprecated synonym of `KeySpec`.
    pub customer_master_key_spec: KeySpec,
    /// Type of key material.
    pub key_spec: KeySpec,
    /// Encryption algorithms (encryption keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithmSpec>>,
    /// Signing algorithms (signing keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signing_algorithms: Option<Vec<SigningAlgorithmSpec>>,
    /// Key agreement algorithms (key agreement keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_agreement_algorithms: Option<Vec<KeyAgreementAlgorithmSpec>>,
    /// Key encapsulation algorithms (ENCAPSULATE_DECAPSULATE keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub encapsulation_algorithms: Option<Vec<EncapsulationAlgorithmSpec>>,
    /// MAC algorithms (HMAC keys only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mac_algorithms: Option<Vec<MacAlgorithmSpec>>,
    /// Whether this is a multi-Region key.
    pub multi_region: bool,
    /// Primary and replicas, for multi-Region keys.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub multi_region_configuration: Option<MultiRegionConfiguration>,
    /// Waiting period, when `PendingDeletion`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pending_deletion_window_in_days: Option<i32>,
    /// Id of the current key material (64 hex digits).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub current_key_material_id: Option<String>,
}

/// The primary and replicas of a multi-Region key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionConfiguration {
    /// Whether this key is the primary or a replica.
    pub multi_region_key_type: MultiRegionKeyType,
    /// The primary key.
    pub primary_key: MultiRegionKey,
    /// The replicas.
    pub replica_keys: Vec<MultiRegionKey>,
}

/// One key of a multi-Region set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionKey {
    /// Its ARN.
    pub arn: String,
    /// Its Region.
    pub region: String,
}
