//! PutRetentionPolicy and DeleteRetentionPolicy.

use serde_json::Value;

use super::{require_group, Ctx, OpResult};
use crate::protocol::members::{quote, Members, Violations};

/// The only retention periods AWS accepts, in days.
pub(super) const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Records a `retentionInDays` that is not one of [`RETENTION_DAYS`] (the model types it as any
/// integer; AWS's message lists the values it accepts).
pub(super) fn check_days(m: &Members<'_>, v: &mut Violations) {
    let Ok(Some(days)) = m.integer("retentionInDays") else {
        return;
    };
    if !RETENTION_DAYS.contains(&days) {
        let allowed: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
        v.push(
            &quote(&days.to_string()),
            "retentionInDays",
            &format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        );
    }
}

pub(super) fn put_retention_policy(ctx: &Ctx<'_>) -> OpResult {
    let m = &ctx.members;
    let name = m.string("logGroupName")?;
    let days = m.integer("retentionInDays")?;
    let group = require_group(ctx, name.unwrap_or_default())?;
    ctx.state
        .store
        .update_settings(&group, |s| s.retention_in_days = days);
    Ok(Value::Null)
}

pub(super) fn delete_retention_policy(ctx: &Ctx<'_>) -> OpResult {
    let name = ctx.members.string("logGroupName")?;
    let group = require_group(ctx, name.unwrap_or_default())?;
    ctx.state
        .store
        .update_settings(&group, |s| s.retention_in_days = None);
    Ok(Value::Null)
}
