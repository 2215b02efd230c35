//! TagResource, UntagResource, ListTagsForResource and the deprecated TagLogGroup, UntagLogGroup,
//! ListTagsLogGroup. Only log groups are taggable here (destinations are not modelled).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{require_group, Ctx, OpResult};
use crate::protocol::errors::ApiError;
use crate::protocol::names;
use crate::service::store::{GroupSettings, LogGroup};

/// Most tags one resource can carry.
pub(super) const MAX_TAGS: usize = 50;

fn resolve_arn(ctx: &Ctx<'_>, arn: &str) -> Result<Arc<LogGroup>, ApiError> {
    let name = names::group_name_from_resource_arn(arn)
        .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid resource ARN: {arn}")))?;
    require_group(ctx, name)
}

fn add_tags(
    ctx: &Ctx<'_>,
    group: &LogGroup,
    resource: &str,
    tags: &[(&str, &str)],
) -> Result<(), ApiError> {
    ctx.state
        .store
        .update_settings(group, |settings| merge_tags(settings, resource, tags))
}

fn merge_tags(
    settings: &mut GroupSettings,
    resource: &str,
    tags: &[(&str, &str)],
) -> Result<(), ApiError> {
    let mut merged = settings.tags.clone();
    for (k, v) in tags {
        merged.insert((*k).to_owned(), (*v).to_owned());
    }
    if merged.len() > MAX_TAGS {
        return Err(ApiError::client(
            "TooManyTagsException",
            format!("A resource can have no more than {MAX_TAGS} tags."),
        )
        .with_member("resourceName", resource));
    }
    settings.tags = merged;
    Ok(())
}

fn tags_value(group: &LogGroup) -> Value {
    let tags: Map<String, Value> = group
        .settings()
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    json!({ "tags": tags })
}

pub(super) fn tag_resource(ctx: &Ctx<'_>) -> OpResult {
    let arn = ctx.members.string("resourceArn")?.unwrap_or_default();
    let tags = ctx.members.string_map("tags")?.unwrap_or_default();
    let group = resolve_arn(ctx, arn)?;
    add_tags(ctx, &group, arn, &tags)?;
    Ok(Value::Null)
}

pub(super) fn untag_resource(ctx: &Ctx<'_>) -> OpResult {
    let arn = ctx.members.string("resourceArn")?.unwrap_or_default();
    let keys = ctx.members.string_list("tagKeys")?.unwrap_or_default();
    let group = resolve_arn(ctx, arn)?;
    remove_tags(ctx, &group, &keys);
    Ok(Value::Null)
}

pub(super) fn list_tags_for_resource(ctx: &Ctx<'_>) -> OpResult {
    let arn = ctx.members.string("resourceArn")?.unwrap_or_default();
    let group = resolve_arn(ctx, arn)?;
    Ok(tags_value(&group))
}

fn group_name<'a>(ctx: &Ctx<'a>) -> Result<&'a str, ApiError> {
    Ok(ctx.members.string("logGroupName")?.unwrap_or_default())
}

pub(super) fn tag_log_group(ctx: &Ctx<'_>) -> OpResult {
    let name = group_name(ctx)?;
    let tags = ctx.members.string_map("tags")?.unwrap_or_default();
    let group = require_group(ctx, name)?;
    add_tags(ctx, &group, name, &tags)?;
    Ok(Value::Null)
}

pub(super) fn untag_log_group(ctx: &Ctx<'_>) -> OpResult {
    let name = group_name(ctx)?;
    let keys = ctx.members.string_list("tags")?.unwrap_or_default();
    let group = require_group(ctx, name)?;
    remove_tags(ctx, &group, &keys);
    Ok(Value::Null)
}

pub(super) fn list_tags_log_group(ctx: &Ctx<'_>) -> OpResult {
    let group = require_group(ctx, group_name(ctx)?)?;
    Ok(tags_value(&group))
}

fn remove_tags(ctx: &Ctx<'_>, group: &LogGroup, keys: &[&str]) {
    ctx.state.store.update_settings(group, |settings| {
        for k in keys {
            settings.tags.remove(*k);
        }
    });
}
