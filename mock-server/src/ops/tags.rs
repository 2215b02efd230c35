//! TagResource, UntagResource, ListTagsForResource and the deprecated TagLogGroup, UntagLogGroup,
//! ListTagsLogGroup. Only log groups are taggable here (destinations are not modelled).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{require_group, Ctx, OpResult};
use crate::api_error::ApiError;
use crate::input::Violations;
use crate::names;
use crate::store::LogGroup;

/// Most tags one resource can carry.
pub const MAX_TAGS: usize = 50;
const TAG_KEY_PATTERN: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$";
const TAG_VALUE_PATTERN: &str = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";

fn is_tag_chars(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphanumeric()
            || c.is_whitespace()
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    })
}

fn render_map(tags: &[(&str, &str)]) -> String {
    let inner: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Records the model violations of a tag map at `member`: 1–50 entries, keys 1–128 characters,
/// values 0–256, both of the tag alphabet.
pub(crate) fn check_tag_map(v: &mut Violations, member: &str, tags: &[(&str, &str)]) {
    let shown = render_map(tags);
    v.list_length(member, &shown, tags.len(), 1, MAX_TAGS);
    let bad_key = tags.iter().any(|(k, _)| {
        let n = k.encode_utf16().count();
        !(1..=128).contains(&n) || !is_tag_chars(k)
    });
    if bad_key {
        v.push(
            &format!("'{shown}'"),
            member,
            &format!("Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: {TAG_KEY_PATTERN}]"),
        );
    }
    let bad_value = tags
        .iter()
        .any(|(_, val)| val.encode_utf16().count() > 256 || !is_tag_chars(val));
    if bad_value {
        v.push(
            &format!("'{shown}'"),
            member,
            &format!("Map values must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: {TAG_VALUE_PATTERN}]"),
        );
    }
}

fn check_key_list(v: &mut Violations, member: &str, keys: &[&str], min: usize) {
    v.list_length(
        member,
        &format!("[{}]", keys.join(", ")),
        keys.len(),
        min,
        MAX_TAGS,
    );
}

/// Reads `resourceArn` and finds the log group it names.
fn group_from_arn(ctx: &Ctx<'_>, v: &mut Violations) -> Result<Option<String>, ApiError> {
    let arn = ctx.members.string("resourceArn")?;
    if let Some(a) = v.required("resourceArn", arn) {
        v.length("resourceArn", a, 1, 1011);
    }
    Ok(arn.map(str::to_owned))
}

fn resolve_arn(ctx: &Ctx<'_>, arn: &str) -> Result<Arc<LogGroup>, ApiError> {
    let name = names::group_name_from_resource_arn(arn)
        .ok_or_else(|| ApiError::invalid_parameter(format!("Invalid resource ARN: {arn}")))?;
    require_group(ctx, name)
}

fn add_tags(group: &LogGroup, resource: &str, tags: &[(&str, &str)]) -> Result<(), ApiError> {
    let mut settings = group.settings();
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
    let mut v = Violations::new();
    let arn = group_from_arn(ctx, &mut v)?;
    let tags = ctx.members.string_map("tags")?;
    if let Some(t) = v.required("tags", tags.as_ref()) {
        check_tag_map(&mut v, "tags", t);
    }
    v.finish()?;
    let arn = arn.unwrap_or_default();
    let group = resolve_arn(ctx, &arn)?;
    add_tags(&group, &arn, &tags.unwrap_or_default())?;
    Ok(Value::Null)
}

pub(super) fn untag_resource(ctx: &Ctx<'_>) -> OpResult {
    let mut v = Violations::new();
    let arn = group_from_arn(ctx, &mut v)?;
    let keys = ctx.members.string_list("tagKeys")?;
    if let Some(k) = v.required("tagKeys", keys.as_ref()) {
        check_key_list(&mut v, "tagKeys", k, 0);
    }
    v.finish()?;
    let group = resolve_arn(ctx, &arn.unwrap_or_default())?;
    let mut settings = group.settings();
    for k in keys.unwrap_or_default() {
        settings.tags.remove(k);
    }
    Ok(Value::Null)
}

pub(super) fn list_tags_for_resource(ctx: &Ctx<'_>) -> OpResult {
    let mut v = Violations::new();
    let arn = group_from_arn(ctx, &mut v)?;
    v.finish()?;
    let group = resolve_arn(ctx, &arn.unwrap_or_default())?;
    Ok(tags_value(&group))
}

fn group_name<'a>(ctx: &Ctx<'a>, v: &mut Violations) -> Result<&'a str, ApiError> {
    let name = ctx.members.string("logGroupName")?;
    if let Some(n) = v.required("logGroupName", name) {
        names::check_group_name(v, "logGroupName", n);
    }
    Ok(name.unwrap_or_default())
}

pub(super) fn tag_log_group(ctx: &Ctx<'_>) -> OpResult {
    let mut v = Violations::new();
    let name = group_name(ctx, &mut v)?;
    let tags = ctx.members.string_map("tags")?;
    if let Some(t) = v.required("tags", tags.as_ref()) {
        check_tag_map(&mut v, "tags", t);
    }
    v.finish()?;
    let group = require_group(ctx, name)?;
    add_tags(&group, name, &tags.unwrap_or_default())?;
    Ok(Value::Null)
}

pub(super) fn untag_log_group(ctx: &Ctx<'_>) -> OpResult {
    let mut v = Violations::new();
    let name = group_name(ctx, &mut v)?;
    let keys = ctx.members.string_list("tags")?;
    if let Some(k) = v.required("tags", keys.as_ref()) {
        check_key_list(&mut v, "tags", k, 1);
    }
    v.finish()?;
    let group = require_group(ctx, name)?;
    let mut settings = group.settings();
    for k in keys.unwrap_or_default() {
        settings.tags.remove(k);
    }
    Ok(Value::Null)
}

pub(super) fn list_tags_log_group(ctx: &Ctx<'_>) -> OpResult {
    let mut v = Violations::new();
    let name = group_name(ctx, &mut v)?;
    v.finish()?;
    let group = require_group(ctx, name)?;
    Ok(tags_value(&group))
}
