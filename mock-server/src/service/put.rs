//! PutLogEvents: validation with AWS's messages (CLOUDWATCH.md §4), the two token modes (§3) and
//! `rejectedLogEventsInfo`.
//!
//! The order of the checks is not documented by AWS; the mock uses: model constraints → event too
//! large → upload too large → chronological order → group/stream exist → time-based rejection
//! (too new, too old, expired) → 24 h span over the events that remain → sequence token → store.
//! Every check that can fail the whole request runs before the token is looked at, so a bad batch
//! never consumes or reveals a token transition.

use serde_json::{Map, Value};

use super::validate;
use super::{State, Stored};
use crate::config::TokenMode;
use crate::protocol::errors::ApiError;
use crate::protocol::members::Violations;
use crate::protocol::put_input::{EventInput, PutInput};
use crate::protocol::tokens;
use crate::service::store::{AcceptedBatch, Change, StoredEvent};

/// Bytes AWS adds to every event's message when sizing a batch.
pub(super) const EVENT_OVERHEAD_BYTES: usize = 26;
/// How far in the future an event may be (2 h), inclusive.
pub(super) const MAX_FUTURE_MS: i64 = 2 * 60 * 60 * 1000;
/// How far in the past an event may be (14 days), inclusive.
pub(super) const MAX_AGE_MS: i64 = 14 * 24 * 60 * 60 * 1000;
/// Longest span of one batch (24 h), inclusive.
pub(super) const MAX_SPAN_MS: i64 = 24 * 60 * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// One event of a batch that passed the model checks.
struct InputEvent<'a> {
    timestamp: i64,
    message: &'a str,
}

/// Which events of a chronological batch are dropped for their time, as AWS reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Rejections {
    /// Index of the first event more than 2 h in the future (inclusive start), if any.
    pub too_new_start: Option<usize>,
    /// End (exclusive) of the prefix of events older than 14 days, if any.
    pub too_old_end: Option<usize>,
    /// End (exclusive) of the prefix of events older than the group's retention, if any.
    pub expired_end: Option<usize>,
}

impl Rejections {
    /// Classifies `timestamps` (chronological) against `now` and the group's retention.
    pub(super) fn classify(timestamps: &[i64], now: i64, retention_days: Option<i64>) -> Self {
        let too_new_start = timestamps.iter().position(|&t| t > now + MAX_FUTURE_MS);
        let too_old = timestamps
            .iter()
            .take_while(|&&t| t < now - MAX_AGE_MS)
            .count();
        let expired = retention_days.map_or(0, |days| {
            timestamps
                .iter()
                .take_while(|&&t| t < now - days.saturating_mul(DAY_MS))
                .count()
        });
        Self {
            too_new_start,
            too_old_end: (too_old > 0).then_some(too_old),
            // An event both too old and expired is reported as too old; expired covers the rest.
            expired_end: (expired > too_old).then_some(expired),
        }
    }

    /// The half-open range of events that are stored.
    pub(super) fn valid_range(&self, len: usize) -> std::ops::Range<usize> {
        let start = self
            .too_old_end
            .unwrap_or(0)
            .max(self.expired_end.unwrap_or(0));
        let end = self.too_new_start.unwrap_or(len);
        start..end.max(start)
    }

    fn to_json(self) -> Option<Value> {
        let mut info = Map::new();
        if let Some(i) = self.too_new_start {
            info.insert("tooNewLogEventStartIndex".into(), i.into());
        }
        if let Some(i) = self.too_old_end {
            info.insert("tooOldLogEventEndIndex".into(), i.into());
        }
        if let Some(i) = self.expired_end {
            info.insert("expiredLogEventEndIndex".into(), i.into());
        }
        (!info.is_empty()).then_some(Value::Object(info))
    }
}

pub(super) fn put_log_events<'a>(
    mock: &State,
    input: &PutInput<'a>,
    now: i64,
) -> Result<(Value, Stored), ApiError> {
    let limits = &mock.config.limits;
    let group_name = input.log_group_name;
    let stream_name = input.log_stream_name;
    let token = input.sequence_token;

    let mut v = Violations::new();
    let strict = mock.config.token_mode == TokenMode::Strict;
    validate::put_log_events(input, limits.max_batch_events, strict, &mut v);
    v.finish()?;
    let events: &[EventInput<'a>] = input.log_events.as_deref().unwrap_or_default();
    // From here on every event has both members (a missing one is a violation above).
    let events: Vec<InputEvent<'a>> = events
        .iter()
        .map(|e| InputEvent {
            timestamp: e.timestamp.unwrap_or_default(),
            message: e.message.unwrap_or_default(),
        })
        .collect();

    let mut total = 0usize;
    for e in &events {
        let size = e.message.len() + EVENT_OVERHEAD_BYTES;
        if size > limits.max_event_bytes {
            return Err(ApiError::invalid_parameter(format!(
                "Log event too large: {size} bytes exceeds limit of {}",
                limits.max_event_bytes
            )));
        }
        total += size;
    }
    if total > limits.max_batch_bytes {
        return Err(ApiError::invalid_parameter(format!(
            "Upload too large: {total} bytes exceeds limit of {}",
            limits.max_batch_bytes
        )));
    }
    if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        return Err(ApiError::invalid_parameter(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }

    let group = mock.store.require_group(group_name.unwrap_or_default())?;
    let stream = group
        .stream(stream_name.unwrap_or_default())
        .ok_or_else(ApiError::stream_not_found)?;
    let retention = group.settings().retention_in_days;

    let timestamps: Vec<i64> = events.iter().map(|e| e.timestamp).collect();
    let rejections = Rejections::classify(&timestamps, now, retention);
    let valid = rejections.valid_range(events.len());
    if let (Some(first), Some(last)) = (
        timestamps.get(valid.start),
        valid.end.checked_sub(1).and_then(|i| timestamps.get(i)),
    ) {
        if valid.start < valid.end && last - first > MAX_SPAN_MS {
            return Err(ApiError::invalid_parameter(
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
            ));
        }
    }

    // The events are built before the stream's lock is taken: copying a batch's messages is most
    // of a put's work, and under the lock it would serialize every writer of a shared stream.
    // Only their sequence numbers, the order of acceptance, are given under the lock.
    let mut new_events: Vec<StoredEvent> = events[valid.clone()]
        .iter()
        .map(|e| StoredEvent {
            timestamp: e.timestamp,
            ingestion_time: now,
            message: Box::from(e.message),
            seq: 0,
        })
        .collect();

    let mut state = stream.lock();
    if strict {
        let expected = (state.accepted_puts > 0)
            .then(|| tokens::sequence_token(stream.id, state.accepted_puts));
        if token != expected.as_deref() {
            let replay = state.last_batch.as_ref().is_some_and(|b| {
                b.token.as_deref() == token
                    && b.messages.len() == events.len()
                    && b.messages.iter().zip(&events).all(|(a, e)| a == e.message)
            });
            let window = i64::try_from(mock.config.legacy_race_window_ms).unwrap_or(i64::MAX);
            let raced_in_window = !replay
                && window > 0
                && state
                    .superseded_token
                    .as_ref()
                    .is_some_and(|(t, at)| token == Some(t.as_str()) && now - at < window);
            if !raced_in_window {
                return Err(match (&expected, replay) {
                    (Some(exp), true) => ApiError::data_already_accepted(exp),
                    _ => ApiError::invalid_sequence_token(expected.as_deref()),
                });
            }
        }
    }

    let stored_bytes: u64 = events[valid.clone()]
        .iter()
        .map(|e| e.message.len() as u64)
        .sum();
    let cap = limits.max_stored_bytes;
    if !mock.store.reserve_bytes(stored_bytes, cap) {
        return Err(ApiError::client(
            "ServiceQuotaExceededException",
            format!(
                "cwlogs-mock stores at most {} bytes of messages (--max-stored-bytes; 0 or none \
                 for no cap); delete log groups or streams to make room",
                cap.unwrap_or_default()
            ),
        ));
    }

    let stored = valid.len();
    if stored > 0 {
        let first_seq = mock.store.reserve_event_seqs(stored as u64);
        for (e, seq) in new_events.iter_mut().zip(first_seq..) {
            e.seq = seq;
        }
    }
    // Legacy AWS did not advance (or return) the token when every event was rejected
    // (CLOUDWATCH.md §3.1); today's AWS always answers with one.
    let advance = stored > 0 || !strict;
    if advance {
        if strict && state.accepted_puts > 0 {
            state.superseded_token =
                Some((tokens::sequence_token(stream.id, state.accepted_puts), now));
        }
        state.accepted_puts += 1;
        if strict {
            state.last_batch = Some(AcceptedBatch {
                token: token.map(str::to_owned),
                messages: events.iter().map(|e| e.message.to_owned()).collect(),
            });
        }
    }
    if stored > 0 || advance {
        // Reported before the events move into the stream, under the stream's lock (so the log
        // holds this stream's puts in the order they were accepted).
        state.lsn = mock.store.record(&Change::Append {
            group: &group.name,
            stream: &stream.name,
            stream_id: stream.id,
            events: &new_events,
            accepted_puts: state.accepted_puts,
            last_batch: state.last_batch.as_ref(),
        });
        state.append(new_events);
    }

    let mut out = Map::new();
    if advance {
        out.insert(
            "nextSequenceToken".into(),
            tokens::sequence_token(stream.id, state.accepted_puts).into(),
        );
    }
    if let Some(info) = rejections.to_json() {
        out.insert("rejectedLogEventsInfo".into(), info);
    }
    let stored = Stored {
        events: stored as u64,
        bytes: stored_bytes,
    };
    Ok((Value::Object(out), stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn boundaries_of_time_rejection() {
        let r = Rejections::classify(&[NOW - MAX_AGE_MS, NOW + MAX_FUTURE_MS], NOW, None);
        assert_eq!(r, Rejections::default());
        let r = Rejections::classify(
            &[NOW - MAX_AGE_MS - 1, NOW, NOW + MAX_FUTURE_MS + 1],
            NOW,
            None,
        );
        assert_eq!(r.too_old_end, Some(1));
        assert_eq!(r.too_new_start, Some(2));
        assert_eq!(r.valid_range(3), 1..2);
    }

    #[test]
    fn expired_is_reported_after_too_old() {
        let r = Rejections::classify(&[NOW - MAX_AGE_MS - 1, NOW - 2 * DAY_MS, NOW], NOW, Some(1));
        assert_eq!(r.too_old_end, Some(1));
        assert_eq!(r.expired_end, Some(2));
        assert_eq!(r.valid_range(3), 2..3);
    }
}
