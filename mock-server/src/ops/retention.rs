//! PutRetentionPolicy and DeleteRetentionPolicy.

use serde_json::Value;

use super::{require_group, Ctx, OpResult};
use crate::input::{quote, Violations};
use crate::names;

/// The only retention periods AWS accepts, in days.
pub const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub(super) fn put_retention_policy(ctx: &Ctx<'_>) -> OpResult {
    let m = &ctx.members;
    let name = m.string("logGroupName")?;
    let days = m.integer("retentionInDays")?;
    let mut v = Violations::new();
    if let Some(n) = v.required("logGroupName", name) {
        names::check_group_name(&mut v, "logGroupName", n);
    }
    if let Some(d) = v.required("retentionInDays", days) {
        if !RETENTION_DAYS.contains(&d) {
            let allowed: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
            v.push(
                &quote(&d.to_string()),
                "retentionInDays",
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }
    v.finish()?;
    let group = require_group(ctx, name.unwrap_or_default())?;
    group.settings().retention_in_days = days;
    Ok(Value::Null)
}

pub(super) fn delete_retention_policy(ctx: &Ctx<'_>) -> OpResult {
    let name = ctx.members.string("logGroupName")?;
    let mut v = Violations::new();
    if let Some(n) = v.required("logGroupName", name) {
        names::check_group_name(&mut v, "logGroupName", n);
    }
    v.finish()?;
    let group = require_group(ctx, name.unwrap_or_default())?;
    group.settings().retention_in_days = None;
    Ok(Value::Null)
}
