//! Access operations: key policies (GetKeyPolicy, PutKeyPolicy,
//! ListKeyPolicies) and grants (CreateGrant, ListGrants, ListRetirableGrants,
//! RetireGrant, RevokeGrant).

use serde::{Deserialize, Serialize};

use super::validate::{Validate, Validator};
use super::{EncryptionContext, GrantOperation, Timestamp};

/// `GetKeyPolicy` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetKeyPolicyRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Always `default` (optional since 2024).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
}

impl Validate for GetKeyPolicyRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.opt_length("policyName", &self.policy_name, 1, 128);
    }
}

/// `GetKeyPolicy` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyResponse {
    /// The policy document.
    pub policy: String,
    /// `default`.
    pub policy_name: String,
}

/// `PutKeyPolicy` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PutKeyPolicyRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Always `default` (optional since 2024).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// The policy document (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Skips the check that the caller can still change the policy afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

impl Validate for PutKeyPolicyRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.opt_length("policyName", &self.policy_name, 1, 128);
        v.required("policy", &self.policy);
        v.opt_length("policy", &self.policy, 1, 131_072);
    }
}

/// `ListKeyPolicies` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListKeyPoliciesRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Page size, 1-1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Validate for ListKeyPoliciesRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.range("limit", self.limit.map(i64::from), 1, 1000);
        v.marker("marker", &self.marker);
    }
}

/// `ListKeyPolicies` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyPoliciesResponse {
    /// `["default"]`.
    pub policy_names: Vec<String>,
    /// Always `false`.
    pub truncated: bool,
}

/// Grant constraints on the encryption context of the requests a grant allows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GrantConstraints {
    /// The request's context must contain these pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<EncryptionContext>,
    /// The request's context must be exactly these pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<EncryptionContext>,
}

/// `CreateGrant` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateGrantRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Who the grant is for (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_principal: Option<String>,
    /// Who may retire it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    /// What it allows (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<GrantOperation>>,
    /// Encryption-context constraints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<GrantConstraints>,
    /// Grant tokens of grants not yet consistent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Name for idempotent retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for CreateGrantRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("granteePrincipal", &self.grantee_principal);
        v.opt_length("granteePrincipal", &self.grantee_principal, 1, 256);
        v.opt_length("retiringPrincipal", &self.retiring_principal, 1, 256);
        v.required("operations", &self.operations);
        v.grant_tokens(&self.grant_tokens);
        v.opt_length("name", &self.name, 1, 256);
        if let Some(name) = &self.name
            && !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":/_-".contains(&b))
        {
            v.fail(
                "name",
                Some(name),
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            );
        }
        if let Some(c) = &self.constraints {
            v.encryption_context(
                "constraints.encryptionContextSubset",
                &c.encryption_context_subset,
            );
            v.encryption_context(
                "constraints.encryptionContextEquals",
                &c.encryption_context_equals,
            );
        }
    }
}

/// `CreateGrant` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantResponse {
    /// Usable at once in `GrantTokens`.
    pub grant_token: String,
    /// The grant's id.
    pub grant_id: String,
}

/// One grant as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantListEntry {
    /// The key's ARN.
    pub key_id: String,
    /// Grant id.
    pub grant_id: String,
    /// Name, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Creation time.
    pub creation_date: Timestamp,
    /// Grantee.
    pub grantee_principal: String,
    /// Retiring principal, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retiring_principal: Option<String>,
    /// `arn:aws:iam::<account>:root` of the account that created it.
    pub issuing_account: String,
    /// Allowed operations.
    pub operations: Vec<GrantOperation>,
    /// Constraints, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub constraints: Option<GrantConstraints>,
}

/// `ListGrants` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListGrantsRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Page size, 1-1000 (default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// Only this grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// Only grants for this grantee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_principal: Option<String>,
}

impl Validate for ListGrantsRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.range("limit", self.limit.map(i64::from), 1, 1000);
        v.marker("marker", &self.marker);
        v.opt_length("grantId", &self.grant_id, 1, 128);
        v.opt_length("granteePrincipal", &self.grantee_principal, 1, 256);
    }
}

/// `ListGrants` and `ListRetirableGrants` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListGrantsResponse {
    /// This page.
    pub grants: Vec<GrantListEntry>,
    /// Where the next page starts, when `Truncated`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}

/// `ListRetirableGrants` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListRetirableGrantsRequest {
    /// The retiring principal (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    /// Page size, 1-1000 (default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Validate for ListRetirableGrantsRequest {
    fn check(&self, v: &mut Validator) {
        v.required("retiringPrincipal", &self.retiring_principal);
        v.opt_length("retiringPrincipal", &self.retiring_principal, 1, 256);
        v.range("limit", self.limit.map(i64::from), 1, 1000);
        v.marker("marker", &self.marker);
    }
}

/// `RetireGrant` input: a grant token, or a key and grant id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RetireGrantRequest {
    /// The grant's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_token: Option<String>,
    /// Key ARN (with `GrantId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Grant id (with `KeyId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for RetireGrantRequest {
    fn check(&self, v: &mut Validator) {
        v.opt_length("grantToken", &self.grant_token, 1, 8192);
        v.opt_length("keyId", &self.key_id, 1, 2048);
        v.opt_length("grantId", &self.grant_id, 1, 128);
    }
}

/// `RevokeGrant` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RevokeGrantRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Grant id (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// Check permissions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl Validate for RevokeGrantRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("grantId", &self.grant_id);
        v.opt_length("grantId", &self.grant_id, 1, 128);
    }
}
