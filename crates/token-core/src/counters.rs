//! Cumulative counters, readable at any time.

/// Requests issued, by operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestCounts {
    /// PutLogEvents requests, resends included.
    pub put_log_events: u64,
    /// CreateLogGroup requests.
    pub create_log_group: u64,
    /// CreateLogStream requests.
    pub create_log_stream: u64,
    /// PutRetentionPolicy requests.
    pub put_retention_policy: u64,
}

impl RequestCounts {
    /// All requests.
    pub fn total(&self) -> u64 {
        self.put_log_events
            + self.create_log_group
            + self.create_log_stream
            + self.put_retention_policy
    }
}

/// Resends, by what caused them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryCounts {
    /// After a throttle.
    pub throttled: u64,
    /// After ServiceUnavailable or another 5xx.
    pub server_error: u64,
    /// After an unknown outcome (sent, no answer).
    pub unknown_outcome: u64,
    /// After a failure before sending.
    pub not_sent: u64,
    /// After InvalidSequenceToken (the same batch with the expected token).
    pub token_conflict: u64,
    /// Halves sent while bisecting a batch the service called invalid.
    pub bisect: u64,
    /// Replays after creating a missing group or stream.
    pub after_create: u64,
}

impl RetryCounts {
    /// The retries the retry budget pays for (throttle, server error, unknown, not sent).
    pub fn budgeted(&self) -> u64 {
        self.throttled + self.server_error + self.unknown_outcome + self.not_sent
    }
}

/// Everything the writer counted since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Requests issued, by operation.
    pub requests: RequestCounts,
    /// Resends, by cause.
    pub retries: RetryCounts,
    /// InvalidSequenceTokenException answers.
    pub token_conflicts: u64,
    /// DataAlreadyAcceptedException answers (each counted the batch delivered).
    pub data_already_accepted: u64,
    /// Events given an id (split parts and markers count one each).
    pub events_accepted: u64,
    /// Events the service stored.
    pub events_delivered: u64,
    /// Message bytes the service stored (UTF-8, without the 26-byte overhead).
    pub bytes_delivered: u64,
    /// Events rejected, locally or by the service.
    pub events_rejected: u64,
    /// Events dropped.
    pub events_dropped: u64,
    /// Events reported as possible duplicates.
    pub events_possible_duplicate: u64,
    /// Oversized events that were split.
    pub events_split: u64,
    /// Oversized events that were truncated.
    pub events_truncated: u64,
    /// "N events dropped" markers queued.
    pub markers_queued: u64,
    /// Pushes refused with an error (event handed back).
    pub pushes_refused: u64,
    /// Answers to requests the writer no longer waited for (ignored).
    pub stale_responses: u64,
}
