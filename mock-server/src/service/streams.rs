//! CreateLogStream, DeleteLogStream and DescribeLogStreams.

use serde_json::{Map, Value};

use super::{
    group_choice_error, group_name_or_identifier, invalid_next_token, put_opt, require_group, Ctx,
    OpResult,
};
use crate::protocol::errors::ApiError;
use crate::protocol::tokens;
use crate::service::store::LogStream;

const PAGE_KIND: &str = "dls";

fn group_and_stream<'a>(ctx: &Ctx<'a>) -> Result<(&'a str, &'a str), ApiError> {
    let m = &ctx.members;
    let group = m.string("logGroupName")?;
    let stream = m.string("logStreamName")?;
    Ok((group.unwrap_or_default(), stream.unwrap_or_default()))
}

pub(super) fn create_log_stream(ctx: &Ctx<'_>) -> OpResult {
    let (group, stream) = group_and_stream(ctx)?;
    let group = require_group(ctx, group)?;
    ctx.state.store.create_stream(&group, stream, ctx.now)?;
    Ok(Value::Null)
}

pub(super) fn delete_log_stream(ctx: &Ctx<'_>) -> OpResult {
    let (group, stream) = group_and_stream(ctx)?;
    let group = require_group(ctx, group)?;
    ctx.state.store.delete_stream(&group, stream)?;
    Ok(Value::Null)
}

/// The sort key of a stream under `orderBy`; also what `nextToken` carries.
fn sort_key(stream: &LogStream, by_time: bool) -> String {
    if by_time {
        // Streams without events sort as time 0; fixed width keeps string order numeric.
        let t = stream.lock().last_event_timestamp.unwrap_or(0).max(0);
        format!("{t:020}/{}", stream.name)
    } else {
        stream.name.clone()
    }
}

pub(super) fn describe_log_streams(ctx: &Ctx<'_>) -> OpResult {
    let m = &ctx.members;
    let group = group_name_or_identifier(m)?;
    let prefix = m.string("logStreamNamePrefix")?;
    let order_by = m.string("orderBy")?;
    let descending = m.boolean("descending")?.unwrap_or(false);
    let next_token = m.string("nextToken")?;
    let limit = m.integer("limit")?;
    let group = group.ok_or_else(|| group_choice_error(m))?;
    let by_time = order_by == Some("LastEventTime");
    if by_time && prefix.is_some() {
        return Err(ApiError::invalid_parameter(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let after = match next_token {
        Some(t) => Some(tokens::parse_page_token(PAGE_KIND, t).ok_or_else(invalid_next_token)?),
        None => None,
    };
    let group = require_group(ctx, group)?;

    let mut keyed: Vec<(String, std::sync::Arc<LogStream>)> = group
        .streams()
        .into_iter()
        .filter(|s| prefix.is_none_or(|p| s.name.starts_with(p)))
        .map(|s| (sort_key(&s, by_time), s))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if descending {
        keyed.reverse();
    }
    let limit = usize::try_from(limit.unwrap_or(50)).unwrap_or(50);
    let mut rest = keyed.into_iter().filter(|(k, _)| match after.as_deref() {
        None => true,
        Some(a) if descending => k.as_str() < a,
        Some(a) => k.as_str() > a,
    });
    let page: Vec<_> = rest.by_ref().take(limit).collect();
    let more = rest.next().is_some();

    let mut out = Map::new();
    out.insert(
        "logStreams".into(),
        Value::Array(
            page.iter()
                .map(|(_, s)| describe_stream(ctx, &group.name, s))
                .collect(),
        ),
    );
    if more {
        if let Some((key, _)) = page.last() {
            out.insert(
                "nextToken".into(),
                tokens::page_token(PAGE_KIND, key).into(),
            );
        }
    }
    Ok(Value::Object(out))
}

fn describe_stream(ctx: &Ctx<'_>, group: &str, stream: &LogStream) -> Value {
    let state = stream.lock();
    let mut s = Map::new();
    s.insert("logStreamName".into(), stream.name.clone().into());
    s.insert("creationTime".into(), stream.creation_time.into());
    put_opt(&mut s, "firstEventTimestamp", state.first_event_timestamp);
    put_opt(&mut s, "lastEventTimestamp", state.last_event_timestamp);
    put_opt(&mut s, "lastIngestionTime", state.last_ingestion_time);
    if state.accepted_puts > 0 {
        s.insert(
            "uploadSequenceToken".into(),
            tokens::sequence_token(stream.id, state.accepted_puts).into(),
        );
    }
    s.insert("arn".into(), ctx.arns.stream(group, &stream.name).into());
    // AWS has reported 0 for streams since 2019 (CLOUDWATCH.md §2).
    s.insert("storedBytes".into(), 0.into());
    Value::Object(s)
}
