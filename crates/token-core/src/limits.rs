//! The PutLogEvents limits a batch must respect, with today's AWS values as defaults.

/// Bytes AWS adds to every event when it sizes a batch.
pub const EVENT_OVERHEAD_BYTES: usize = 26;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 60 * 60 * 1000;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The limits one PutLogEvents request must stay within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum batch size: the sum of UTF-8 message bytes plus [`EVENT_OVERHEAD_BYTES`] per event.
    pub max_batch_bytes: usize,
    /// Maximum number of events in one batch.
    pub max_batch_events: usize,
    /// Maximum size of one event, counted like the batch (message bytes plus the overhead).
    pub max_event_bytes: usize,
    /// Maximum span, in milliseconds, between the oldest and newest event of one batch.
    pub max_batch_span_ms: i64,
    /// How far, in milliseconds, an event may lie in the future of `now` (AWS: 2 h).
    pub max_future_ms: i64,
    /// How old, in milliseconds, an event may be relative to `now` (AWS: 14 days).
    pub max_age_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_batch_bytes: 1_048_576,
            max_batch_events: 10_000,
            max_event_bytes: 1_048_576,
            max_batch_span_ms: DAY_MS,
            max_future_ms: 2 * HOUR_MS,
            max_age_ms: 14 * DAY_MS,
        }
    }
}

impl Limits {
    /// The limits of the service before April 2025, when one event could be at most 256 KB.
    pub fn legacy_256k_events() -> Self {
        Self {
            max_event_bytes: 262_144,
            ..Self::default()
        }
    }

    /// The size AWS charges a message against the batch limit.
    pub fn event_size(message: &str) -> usize {
        message.len() + EVENT_OVERHEAD_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_size_counts_utf8_bytes_plus_overhead() {
        assert_eq!(Limits::event_size("a"), 27);
        // "é" is two bytes in UTF-8, not one character.
        assert_eq!(Limits::event_size("é"), 28);
    }

    #[test]
    fn defaults_are_todays_aws_limits() {
        let limits = Limits::default();
        assert_eq!(limits.max_batch_bytes, 1_048_576);
        assert_eq!(limits.max_batch_events, 10_000);
        assert_eq!(limits.max_batch_span_ms, 86_400_000);
        assert_eq!(Limits::legacy_256k_events().max_event_bytes, 262_144);
    }
}
