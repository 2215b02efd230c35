//! GetLogEvents: one stream, a time window (`startTime` inclusive, `endTime` exclusive), read from
//! the head or the tail, paged with `f/…/s` and `b/…/s` tokens.
//!
//! A token is a position between events. Reading forward returns events at or after it; reading
//! backward returns the events just before it. When a read finds nothing, the token that was sent is
//! echoed back, which is how clients know they reached the end (CLOUDWATCH.md §2).

use serde_json::{json, Value};

use super::{group_choice_error, group_name_or_identifier, invalid_next_token, Ctx, OpResult};
use crate::protocol::tokens::{self, Direction};
use crate::service::store::StoredEvent;

/// Most events one page returns by default and at most.
const MAX_EVENTS: usize = 10_000;
/// Most bytes (message + 26 per event) one page returns.
const MAX_PAGE_BYTES: usize = 1_048_576;

pub(super) fn get_log_events(ctx: &Ctx<'_>) -> OpResult {
    let m = &ctx.members;
    let group = group_name_or_identifier(m)?;
    let stream = m.string("logStreamName")?;
    let start = m.long("startTime")?;
    let end = m.long("endTime")?;
    let next_token = m.string("nextToken")?;
    let limit = m.integer("limit")?;
    let from_head = m.boolean("startFromHead")?.unwrap_or(false);
    let group = group.ok_or_else(|| group_choice_error(m))?;
    let stream = ctx
        .state
        .store
        .require_stream(group, stream.unwrap_or_default())?;
    let limit = limit.map_or(MAX_EVENTS, |l| usize::try_from(l).unwrap_or(MAX_EVENTS));

    let state = stream.lock();
    let events = &state.events;
    let (direction, position) = match next_token {
        Some(t) => tokens::parse_events_token(t, stream.id).ok_or_else(invalid_next_token)?,
        None if from_head => (Direction::Forward, 0),
        None => (Direction::Backward, events.len() as u64),
    };
    let position = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(events.len());
    let visible_until = ctx
        .now
        .saturating_sub(i64::try_from(ctx.state.config.visibility_delay_ms).unwrap_or(i64::MAX));
    let in_window = |e: &StoredEvent| {
        start.is_none_or(|s| e.timestamp >= s)
            && end.is_none_or(|en| e.timestamp < en)
            && e.ingestion_time <= visible_until
    };

    let mut picked: Vec<usize> = Vec::new();
    let mut bytes = 0usize;
    let mut take = |i: usize, e: &StoredEvent| -> bool {
        let size = e.message.len() + 26;
        if picked.len() >= limit || (bytes + size > MAX_PAGE_BYTES && !picked.is_empty()) {
            return false;
        }
        bytes += size;
        picked.push(i);
        true
    };
    match direction {
        Direction::Forward => {
            // One walk over the chunks, not a position lookup per event.
            for (i, e) in (position..).zip(events.iter_from(position)) {
                if in_window(e) && !take(i, e) {
                    break;
                }
            }
        }
        Direction::Backward => {
            for i in (0..position).rev() {
                let e = &events[i];
                if in_window(e) && !take(i, e) {
                    break;
                }
            }
            picked.reverse();
        }
    }

    let (forward, backward) = match (picked.first(), picked.last()) {
        (Some(&first), Some(&last)) => (
            tokens::events_token(Direction::Forward, stream.id, (last + 1) as u64),
            tokens::events_token(Direction::Backward, stream.id, first as u64),
        ),
        _ => {
            let here_f = tokens::events_token(Direction::Forward, stream.id, position as u64);
            let here_b = tokens::events_token(Direction::Backward, stream.id, position as u64);
            match (next_token, direction) {
                (Some(t), Direction::Forward) => (t.to_owned(), here_b),
                (Some(t), Direction::Backward) => (here_f, t.to_owned()),
                (None, _) => (here_f, here_b),
            }
        }
    };
    let out: Vec<Value> = picked
        .iter()
        .map(|&i| {
            let e = &events[i];
            json!({
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
            })
        })
        .collect();
    Ok(json!({
        "events": out,
        "nextForwardToken": forward,
        "nextBackwardToken": backward,
    }))
}
