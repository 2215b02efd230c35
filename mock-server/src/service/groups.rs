//! CreateLogGroup, DeleteLogGroup and DescribeLogGroups.

use serde_json::{json, Map, Value};

use super::{invalid_next_token, put_opt, Ctx, OpResult};
use crate::protocol::errors::ApiError;
use crate::protocol::names;
use crate::protocol::tokens;
use crate::service::store::{GroupSettings, LogGroup};

const PAGE_KIND: &str = "dlg";

pub(super) fn create_log_group(ctx: &Ctx<'_>) -> OpResult {
    let m = &ctx.members;
    let name = m.string("logGroupName")?;
    let kms_key_id = m.string("kmsKeyId")?;
    let tags = m.string_map("tags")?;
    let class = m.string("logGroupClass")?;
    let protection = m.boolean("deletionProtectionEnabled")?;

    let name = name.unwrap_or_default();
    names::check_group_name_not_reserved(name)?;

    let settings = GroupSettings {
        retention_in_days: None,
        tags: tags
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        kms_key_id: kms_key_id.map(str::to_owned),
        log_group_class: class.unwrap_or("STANDARD").to_owned(),
        deletion_protection_enabled: protection.unwrap_or(false),
    };
    ctx.state.store.create_group(name, ctx.now, settings)?;
    Ok(Value::Null)
}

pub(super) fn delete_log_group(ctx: &Ctx<'_>) -> OpResult {
    let name = ctx.members.string("logGroupName")?;
    ctx.state.store.delete_group(name.unwrap_or_default())?;
    Ok(Value::Null)
}

pub(super) fn describe_log_groups(ctx: &Ctx<'_>) -> OpResult {
    let m = &ctx.members;
    let prefix = m.string("logGroupNamePrefix")?;
    let pattern = m.string("logGroupNamePattern")?;
    let limit = m.integer("limit")?;
    let next_token = m.string("nextToken")?;
    let class = m.string("logGroupClass")?;
    let identifiers = m.string_list("logGroupIdentifiers")?;
    if prefix.is_some() && pattern.is_some() {
        return Err(ApiError::invalid_parameter(
            "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.",
        ));
    }
    let after = match next_token {
        Some(t) => Some(tokens::parse_page_token(PAGE_KIND, t).ok_or_else(invalid_next_token)?),
        None => None,
    };

    let limit = usize::try_from(limit.unwrap_or(50)).unwrap_or(50);
    let mut selected = ctx.state.store.groups().into_iter().filter(|g| {
        prefix.is_none_or(|p| g.name.starts_with(p))
            && pattern.is_none_or(|p| g.name.contains(p))
            && class.is_none_or(|c| g.settings().log_group_class == c)
            && identifiers.as_ref().is_none_or(|ids| {
                ids.iter()
                    .any(|id| names::group_name_from_identifier(id) == g.name)
            })
            && after.as_deref().is_none_or(|a| g.name.as_str() > a)
    });
    let page: Vec<_> = selected.by_ref().take(limit).collect();
    let more = selected.next().is_some();

    let mut out = Map::new();
    out.insert(
        "logGroups".into(),
        Value::Array(page.iter().map(|g| describe_group(ctx, g)).collect()),
    );
    if more {
        if let Some(last) = page.last() {
            out.insert(
                "nextToken".into(),
                tokens::page_token(PAGE_KIND, &last.name).into(),
            );
        }
    }
    Ok(Value::Object(out))
}

fn describe_group(ctx: &Ctx<'_>, group: &LogGroup) -> Value {
    let settings = group.settings().clone();
    let mut g = Map::new();
    g.insert("logGroupName".into(), group.name.clone().into());
    g.insert("creationTime".into(), group.creation_time.into());
    put_opt(&mut g, "retentionInDays", settings.retention_in_days);
    g.insert("metricFilterCount".into(), 0.into());
    g.insert("arn".into(), ctx.arns.group_star(&group.name).into());
    g.insert("storedBytes".into(), group.stored_bytes().into());
    put_opt(&mut g, "kmsKeyId", settings.kms_key_id);
    g.insert("logGroupClass".into(), settings.log_group_class.into());
    g.insert("logGroupArn".into(), ctx.arns.group(&group.name).into());
    if settings.deletion_protection_enabled {
        g.insert("deletionProtectionEnabled".into(), json!(true));
    }
    Value::Object(g)
}
