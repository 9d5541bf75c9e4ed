//! Tag operations: TagResource, UntagResource, ListResourceTags.

use serde::{Deserialize, Serialize};

use super::validate::{Validate, Validator};

/// A key tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    /// 1-128 characters.
    pub tag_key: String,
    /// 0-256 characters.
    pub tag_value: String,
}

/// `TagResource` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TagResourceRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Tags to add or overwrite (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

impl Validate for TagResourceRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("tags", &self.tags);
        v.tags("tags", &self.tags);
    }
}

/// `UntagResource` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UntagResourceRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Tag keys to remove (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_keys: Option<Vec<String>>,
}

impl Validate for UntagResourceRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.required("tagKeys", &self.tag_keys);
        for k in self.tag_keys.iter().flatten() {
            v.length("tagKeys.member", k, 1, 128);
        }
    }
}

/// `ListResourceTags` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListResourceTagsRequest {
    /// Key id or key ARN.
    pub key_id: String,
    /// Page size, 1-1000 (default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `NextMarker` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl Validate for ListResourceTagsRequest {
    fn check(&self, v: &mut Validator) {
        v.length("keyId", &self.key_id, 1, 2048);
        v.range("limit", self.limit.map(i64::from), 1, 1000);
        v.marker("marker", &self.marker);
    }
}

/// `ListResourceTags` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsResponse {
    /// This page.
    pub tags: Vec<Tag>,
    /// Where the next page starts, when `Truncated`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_marker: Option<String>,
    /// Whether more pages follow.
    pub truncated: bool,
}
