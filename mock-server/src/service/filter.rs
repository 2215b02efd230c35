//! FilterLogEvents: events of several streams of one group, merged in AWS's order (timestamp, then
//! ingestion time, then the order they were accepted in), filtered by time and pattern, paged with
//! an opaque `nextToken` that carries the position of the last event returned.

use serde_json::{json, Value};

use super::{group_choice_error, group_name_or_identifier, invalid_next_token, Ctx, OpResult};
use crate::protocol::errors::ApiError;
use crate::protocol::tokens;
use crate::service::filter_pattern::FilterPattern;

const PAGE_KIND: &str = "fle";
const MAX_EVENTS: usize = 10_000;

type Key = (i64, i64, u64);

fn parse_key(text: &str) -> Option<Key> {
    let mut it = text.split(':');
    let key = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    it.next().is_none().then_some(key)
}

/// AWS's event ids are 56 digits; this one is unique and sorts like the event.
fn event_id(timestamp: i64, seq: u64) -> String {
    format!("{:020}{seq:036}", timestamp.max(0))
}

pub(super) fn filter_log_events(ctx: &Ctx<'_>) -> OpResult {
    let m = &ctx.members;
    let group = group_name_or_identifier(m)?;
    let stream_names = m.string_list("logStreamNames")?;
    let prefix = m.string("logStreamNamePrefix")?;
    let start = m.long("startTime")?;
    let end = m.long("endTime")?;
    let pattern = m.string("filterPattern")?;
    let next_token = m.string("nextToken")?;
    let limit = m.integer("limit")?;
    let group = group.ok_or_else(|| group_choice_error(m))?;
    if stream_names.is_some() && prefix.is_some() {
        return Err(ApiError::invalid_parameter(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    let matcher =
        FilterPattern::parse(pattern.unwrap_or("")).map_err(ApiError::invalid_parameter)?;
    let after = match next_token {
        Some(t) => Some(
            tokens::parse_page_token(PAGE_KIND, t)
                .as_deref()
                .and_then(parse_key)
                .ok_or_else(invalid_next_token)?,
        ),
        None => None,
    };
    let limit = limit.map_or(MAX_EVENTS, |l| usize::try_from(l).unwrap_or(MAX_EVENTS));
    let group = ctx.state.store.require_group(group)?;

    let visible_until = ctx
        .now
        .saturating_sub(i64::try_from(ctx.state.config.visibility_delay_ms).unwrap_or(i64::MAX));
    let mut found: Vec<(Key, String, String)> = Vec::new();
    for stream in group.streams() {
        let selected = match (&stream_names, prefix) {
            (Some(list), _) => list.contains(&stream.name.as_str()),
            (None, Some(p)) => stream.name.starts_with(p),
            (None, None) => true,
        };
        if !selected {
            continue;
        }
        let state = stream.lock();
        // Streams are in timestamp order: start at the first event the time range or the page
        // token lets in (a binary search, not a scan from the head on every page), and stop at
        // the end of the range, or once `limit + 1` events are found and the timestamp moves on
        // (the page's events all sort before that point, whatever the order within a timestamp).
        let from = start.into_iter().chain(after.map(|a| a.0)).max();
        let first = from.map_or(0, |t| state.events.position_of_timestamp(t));
        let enough = limit.saturating_add(1);
        let mut taken = 0usize;
        let mut cutoff = None;
        for e in state.events.iter_from(first) {
            if end.is_some_and(|en| e.timestamp >= en) || cutoff.is_some_and(|c| e.timestamp > c) {
                break;
            }
            let key = (e.timestamp, e.ingestion_time, e.seq);
            if after.is_some_and(|a| key <= a)
                || e.ingestion_time > visible_until
                || !matcher.matches(&e.message)
            {
                continue;
            }
            found.push((key, stream.name.clone(), e.message.to_string()));
            taken += 1;
            if taken == enough {
                cutoff = Some(e.timestamp);
            }
        }
    }
    found.sort_by_key(|e| e.0);
    let more = found.len() > limit;
    found.truncate(limit);

    let events: Vec<Value> = found
        .iter()
        .map(|((ts, ingested, seq), stream, message)| {
            json!({
                "logStreamName": stream,
                "timestamp": ts,
                "message": message,
                "ingestionTime": ingested,
                "eventId": event_id(*ts, *seq),
            })
        })
        .collect();
    let mut out = json!({ "events": events, "searchedLogStreams": [] });
    if more {
        if let (Some(((ts, ingested, seq), _, _)), Some(obj)) = (found.last(), out.as_object_mut())
        {
            obj.insert(
                "nextToken".into(),
                tokens::page_token(PAGE_KIND, &format!("{ts}:{ingested}:{seq}")).into(),
            );
        }
    }
    Ok(out)
}
