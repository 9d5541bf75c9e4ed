//! Key lifecycle operations: rotation (EnableKeyRotation, DisableKeyRotation,
//! GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations), multi-Region
//! keys (ReplicateKey, UpdatePrimaryRegion) and imported key material
//! (GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial).

use serde::{Deserialize, Serialize};

use super::validate::{Validate, Validator};
use super::{
    Blob, ExpirationModelType, KeyMetadata, RotationType, Tag, Timestamp, WrappingAlgorithmSpec,
    WrappingKeySpec,
};

/// `EnableKeyRotation` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EnableKeyRotationRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// 90-2560 (default 365).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<i32>,
}

impl Validate for EnableKeyRotationRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.range(
            "rotationPeriodInDays",
            self.rotation_period_in_days.map(i64::from),
            90,
            2560,
        );
    }
}

/// An input that names only a key: DisableKeyRotation,
/// GetKeyRotationStatus, RotateKeyOnDemand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KeyOnlyRequest {
    /// Key id or key ARN.
    pub key_id: String,
}

impl Validate for KeyOnlyRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
    }
}

/// `GetKeyRotationStatus` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyRotationStatusResponse {
    /// Whether automatic rotation is on.
    pub key_rotation_enabled: bool,
    /// The key's ARN.
    pub key_id: String,
    /// When enabled: the period.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rotation_period_in_days: Option<i32>,
    /// When enabled: the next automatic rotation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_rotation_date: Option<Timestamp>,
    /// When an on-demand rotation is in progress.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub on_demand_rotation_start_date: Option<Timestamp>,
}

/// An output that names only a key (`RotateKeyOnDemand`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdResponse {
    /// The key's ARN.
    pub key_id: String,
}

/// `ListKeyRotations` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListKeyRotationsRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// `ALL_KEY_MATERIAL` or `ROTATIONS_ONLY` (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_key_material: Option<String>,
    /// Page size, 1-1000 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Validate for ListKeyRotationsRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        if let Some(m) = &self.include_key_material
            && m != "ALL_KEY_MATERIAL"
            && m != "ROTATIONS_ONLY"
        {
            v.fail(
                "includeKeyMaterial",
                Some(m),
                "Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]",
            );
        }
        v.range("limit", self.limit.map(i64::from), 1, 1000);
        v.marker("marker", &self.marker);
    }
}

/// One entry of `ListKeyRotations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationsListEntry {
    /// The key's ARN.
    pub key_id: String,
    /// Identifier of the material (64 hex digits).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_material_id: Option<String>,
    /// `CURRENT`, `NON_CURRENT` or `PENDING_ROTATION`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_material_state: Option<String>,
    /// Imported material: its description.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_material_description: Option<String>,
    /// Imported material: `IMPORTED`, or `PENDING_IMPORT` once deleted or
    /// expired.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub import_state: Option<String>,
    /// Imported material: whether it expires.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expiration_model: Option<ExpirationModelType>,
    /// Imported material that expires: when.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub valid_to: Option<Timestamp>,
    /// When the rotation completed (absent for the first material).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rotation_date: Option<Timestamp>,
    /// How (absent for the first material).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rotation_type: Option<RotationType>,
}

/// `ListKeyRotations` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsResponse {
    /// This page.
    pub rotations: Vec<RotationsListEntry>,
    /// Where the next page starts, when `Truncated`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}

/// `ReplicateKey` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReplicateKeyRequest {
    /// The primary key: id or ARN.
    pub key_id: String,
    /// Where the replica goes (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_region: Option<String>,
    /// The replica's key policy (default: AWS's default policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Skips the policy lockout safety check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
    /// The replica's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The replica's tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

impl Validate for ReplicateKeyRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("replicaRegion", &self.replica_region);
        v.opt_length("replicaRegion", &self.replica_region, 1, 32);
        v.opt_length("policy", &self.policy, 1, 131_072);
        v.opt_length("description", &self.description, 0, 8192);
        v.tags("tags", &self.tags);
    }
}

/// `ReplicateKey` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateKeyResponse {
    /// The new replica.
    pub replica_key_metadata: KeyMetadata,
    /// Its key policy.
    pub replica_policy: String,
    /// Its tags.
    pub replica_tags: Vec<Tag>,
}

/// `UpdatePrimaryRegion` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdatePrimaryRegionRequest {
    /// The current primary key: id or ARN.
    pub key_id: String,
    /// The region of the replica that becomes primary (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
}

impl Validate for UpdatePrimaryRegionRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("primaryRegion", &self.primary_region);
        v.opt_length("primaryRegion", &self.primary_region, 1, 32);
    }
}

/// `GetParametersForImport` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetParametersForImportRequest {
    /// Key id or key ARN of an EXTERNAL-origin key.
    pub key_id: String,
    /// How the material will be wrapped (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrapping_algorithm: Option<WrappingAlgorithmSpec>,
    /// The wrapping key's size (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrapping_key_spec: Option<WrappingKeySpec>,
}

impl Validate for GetParametersForImportRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("wrappingAlgorithm", &self.wrapping_algorithm);
        v.required("wrappingKeySpec", &self.wrapping_key_spec);
    }
}

/// `GetParametersForImport` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportResponse {
    /// The key's ARN.
    pub key_id: String,
    /// Pass to ImportKeyMaterial.
    pub import_token: Blob,
    /// DER SubjectPublicKeyInfo of the wrapping key.
    pub public_key: Blob,
    /// When the token and wrapping key expire (24 hours).
    pub parameters_valid_to: Timestamp,
}

/// `ImportKeyMaterial` input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImportKeyMaterialRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// From GetParametersForImport (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_token: Option<Blob>,
    /// The wrapped material (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_key_material: Option<Blob>,
    /// When the material expires (with KEY_MATERIAL_EXPIRES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    /// Whether the material expires (default KEY_MATERIAL_EXPIRES when
    /// `ValidTo` is set, else KEY_MATERIAL_DOES_NOT_EXPIRE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModelType>,
    /// `NEW_KEY_MATERIAL` or `EXISTING_KEY_MATERIAL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_type: Option<String>,
    /// A description of the material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_description: Option<String>,
    /// Which material to reimport.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

impl Validate for ImportKeyMaterialRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("importToken", &self.import_token);
        v.opt_blob("importToken", &self.import_token, 1, 6144);
        v.required("encryptedKeyMaterial", &self.encrypted_key_material);
        v.opt_blob(
            "encryptedKeyMaterial",
            &self.encrypted_key_material,
            1,
            6144,
        );
        if let Some(t) = &self.import_type
            && t != "NEW_KEY_MATERIAL"
            && t != "EXISTING_KEY_MATERIAL"
        {
            v.fail(
                "importType",
                Some(t),
                "Member must satisfy enum value set: [NEW_KEY_MATERIAL, EXISTING_KEY_MATERIAL]",
            );
        }
        v.opt_length(
            "keyMaterialDescription",
            &self.key_material_description,
            0,
            256,
        );
        if let Some(d) = &self.key_material_description
            && !d
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || ":/_.-".contains(c))
        {
            v.fail(
                "keyMaterialDescription",
                Some(d),
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_\\s.-]+$",
            );
        }
        v.opt_length("keyMaterialId", &self.key_material_id, 64, 64);
    }
}

/// `ImportKeyMaterial` and `DeleteImportedKeyMaterial` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMaterialResponse {
    /// The key's ARN.
    pub key_id: String,
    /// The material's id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_material_id: Option<String>,
}

/// `DeleteImportedKeyMaterial` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteImportedKeyMaterialRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Which material (default: the current one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

impl Validate for DeleteImportedKeyMaterialRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.opt_length("keyMaterialId", &self.key_material_id, 64, 64);
    }
}
