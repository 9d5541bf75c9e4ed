//! Alias operations: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::validate::{Validate, Validator};

/// `CreateAlias` and `UpdateAlias` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateAliasRequest {
    /// `alias/<name>`.
    pub alias_name: String,
    /// Key id or key ARN (not an alias).
    pub target_key_id: String,
}

/// `UpdateAlias` input (same members as `CreateAlias`).
pub type UpdateAliasRequest = CreateAliasRequest;

impl Validate for CreateAliasRequest {
    fn check(&self, v: &mut Validator) {
        v.length("aliasName", &self.alias_name, 1, 256);
        if !self.alias_name.is_empty() {
            v.alias_pattern("aliasName", &self.alias_name);
        }
        v.length("targetKeyId", &self.target_key_id, 1, 2048);
    }
}

/// `DeleteAlias` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteAliasRequest {
    /// `alias/<name>`.
    pub alias_name: String,
}

impl Validate for DeleteAliasRequest {
    fn check(&self, v: &mut Validator) {
        v.length("aliasName", &self.alias_name, 1, 256);
        if !self.alias_name.is_empty() {
            v.alias_pattern("aliasName", &self.alias_name);
        }
    }
}

/// `ListAliases` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListAliasesRequest {
    /// Only aliases of this key (key id or key ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Page size, 1-1000 (default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Validate for ListAliasesRequest {
    fn check(&self, v: &mut Validator) {
        v.opt_length("keyId", &self.key_id, 1, 2048);
        v.range("limit", self.limit.map(i64::from), 1, 1000);
        v.marker("marker", &self.marker);
    }
}

/// One alias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// `alias/<name>`.
    pub alias_name: String,
    /// Alias ARN.
    pub alias_arn: String,
    /// Key id of the target key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub target_key_id: Option<String>,
    /// Creation time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub creation_date: Option<Timestamp>,
    /// Last `UpdateAlias` time.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_updated_date: Option<Timestamp>,
}

/// `ListAliases` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// This page.
    pub aliases: Vec<AliasListEntry>,
    /// Where the next page starts, when `Truncated`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}
