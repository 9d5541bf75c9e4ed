//! TagResource, UntagResource, ListResourceTags.

use std::sync::Arc;

use kms_protocol::ops::{
    EmptyResponse, KeyState, ListResourceTagsRequest, ListResourceTagsResponse, Tag,
    TagResourceRequest, UntagResourceRequest,
};

use super::{Allow, Ctx, arn_of, find_key};
use crate::error::KmsError;
use crate::state::AppState;
use crate::store::Change;

/// Most tags a key may carry (AWS's quota).
pub const MAX_TAGS_PER_KEY: usize = 50;

/// Checks tags about to be added to a key that has `existing` tags.
pub fn check_new_tags(tags: &[Tag], existing: usize) -> Result<(), KmsError> {
    if let Some(t) = tags.iter().find(|t| t.tag_key.starts_with("aws:")) {
        return Err(KmsError::Tag(format!(
            "Tag key {} uses the reserved prefix aws:",
            t.tag_key
        )));
    }
    if existing + tags.len() > MAX_TAGS_PER_KEY {
        return Err(KmsError::LimitExceeded(format!(
            "A key can have at most {MAX_TAGS_PER_KEY} tags."
        )));
    }
    Ok(())
}

fn check_taggable(entry: &crate::registry::KeyEntry) -> Result<(), KmsError> {
    if entry.record.state == KeyState::PendingDeletion {
        return Err(KmsError::InvalidState(format!(
            "{} is pending deletion.",
            arn_of(entry)
        )));
    }
    Ok(())
}

/// `TagResource`: adds tags, overwriting values of existing tag keys.
pub async fn tag_resource(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: TagResourceRequest,
) -> Result<EmptyResponse, KmsError> {
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            check_taggable(&entry)?;
            let tags = req.tags.unwrap_or_default();
            let new: Vec<Tag> = tags
                .iter()
                .filter(|t| !entry.tags.contains_key(&t.tag_key))
                .cloned()
                .collect();
            check_new_tags(&tags, 0)?;
            check_new_tags(&new, entry.tags.len())?;
            let changes = tags
                .into_iter()
                .map(|t| Change::PutTag {
                    scope: entry.record.scope.clone(),
                    key_id: entry.record.key_id.clone(),
                    tag_key: t.tag_key,
                    tag_value: t.tag_value,
                })
                .collect();
            Ok((changes, EmptyResponse {}))
        })
        .await
}

/// `UntagResource`: removing a tag key the key does not have is not an error.
pub async fn untag_resource(
    state: &Arc<AppState>,
    ctx: &Ctx,
    req: UntagResourceRequest,
) -> Result<EmptyResponse, KmsError> {
    let ctx = ctx.clone();
    state
        .commit(move |registry| {
            let entry = find_key(registry, &ctx, &req.key_id, Allow::KeysOnly)?;
            check_taggable(&entry)?;
            let changes = req
                .tag_keys
                .unwrap_or_default()
                .into_iter()
                .map(|k| Change::DeleteTag {
                    scope: entry.record.scope.clone(),
                    key_id: entry.record.key_id.clone(),
                    tag_key: k,
                })
                .collect();
            Ok((changes, EmptyResponse {}))
        })
        .await
}

/// `ListResourceTags`: pages in tag key order; the marker is the last tag key.
pub fn list_resource_tags(
    state: &AppState,
    ctx: &Ctx,
    req: ListResourceTagsRequest,
) -> Result<ListResourceTagsResponse, KmsError> {
    let entry = find_key(&state.registry, ctx, &req.key_id, Allow::KeysOnly)?;
    let limit = usize::try_from(req.limit.unwrap_or(50)).unwrap_or(50);
    let mut rest = entry
        .tags
        .iter()
        .filter(|(k, _)| req.marker.as_ref().is_none_or(|m| k.as_str() > m.as_str()));
    let page: Vec<Tag> = rest
        .by_ref()
        .take(limit)
        .map(|(k, v)| Tag {
            tag_key: k.clone(),
            tag_value: v.clone(),
        })
        .collect();
    let truncated = rest.next().is_some();
    Ok(ListResourceTagsResponse {
        next_marker: if truncated {
            page.last().map(|t| t.tag_key.clone())
        } else {
            None
        },
        tags: page,
        truncated,
    })
}
