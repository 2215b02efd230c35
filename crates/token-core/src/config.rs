//! Everything a writer is told once, at construction.
//!
//! [`WriterConfig::new`] gives today's AWS behaviour and safe defaults; override fields with struct
//! update syntax. [`WriterConfig::validate`] (called by [`StreamWriter::new`](crate::StreamWriter::new))
//! refuses values that would make the writer spin or never send.

use crate::error::Error;
use crate::limits::{Limits, EVENT_OVERHEAD_BYTES};

/// How the writer uses sequence tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMode {
    /// Legacy-safe: at most one PutLogEvents in flight; no token on the first put, then the
    /// `nextSequenceToken` of each response; `expectedSequenceToken` adopted on conflicts.
    /// Works against both the legacy (token-enforcing) and today's service.
    Sequential,
    /// Today's service (tokens ignored since January 2023): never send a token, keep up to
    /// `max_in_flight` batches in flight. Batches retried after an error may land out of order.
    /// A service that still enforces tokens answers InvalidSequenceToken, which no resend without
    /// a token can fix: the writer then stops with [`Report::Fatal`](crate::Report::Fatal),
    /// keeping its events, and says to use `Sequential`.
    Concurrent {
        /// Most PutLogEvents requests in flight at once (at least 1).
        max_in_flight: usize,
    },
}

/// What to do with a push when the buffer is at its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowPolicy {
    /// Refuse the push and hand the event back in [`Error::BufferFull`].
    Reject,
    /// Accept the push, give it an id, and report it dropped at once.
    DropNewest,
    /// Drop the oldest buffered (not yet sent) events until the new one fits.
    DropOldest,
}

/// What to do with an event larger than the per-event limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OversizePolicy {
    /// Split it at UTF-8 character boundaries into several events with the same timestamp.
    Split,
    /// Keep the longest prefix that fits, cut at a UTF-8 character boundary.
    Truncate,
    /// Drop it, with a report.
    Drop,
}

/// The caps on events held and not yet sent, and what happens when they are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferConfig {
    /// Most events waiting to be batched.
    pub max_events: usize,
    /// Most bytes waiting to be batched, counted like AWS (message bytes + 26 per event).
    pub max_bytes: usize,
    /// What a push does when either cap would be exceeded.
    pub overflow: OverflowPolicy,
}

impl Default for BufferConfig {
    fn default() -> Self {
        Self {
            max_events: 100_000,
            max_bytes: 32 * 1024 * 1024,
            overflow: OverflowPolicy::DropOldest,
        }
    }
}

/// Which missing resources the writer creates when PutLogEvents says they do not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoCreate {
    /// Create the log group (and then the stream) on ResourceNotFound.
    pub log_group: bool,
    /// Create the log stream on ResourceNotFound.
    pub log_stream: bool,
}

impl Default for AutoCreate {
    fn default() -> Self {
        Self {
            log_group: true,
            log_stream: true,
        }
    }
}

/// The retry budget: a token bucket shared by every retry of a throttled, failed or lost request,
/// so that a failing service is not hammered however many batches wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudget {
    /// Retries available at start, and the most that can be saved up.
    pub max_retries: u32,
    /// Thousandths of a retry earned back by each successful request (100 = one retry per ten).
    pub refund_per_success_milli: u32,
    /// One retry earned back every this many milliseconds; 0 means never (then an empty budget
    /// drops the batch with [`DropReason::RetriesExhausted`](crate::DropReason::RetriesExhausted)).
    pub refill_interval_ms: i64,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self {
            max_retries: 10,
            refund_per_success_milli: 100,
            refill_interval_ms: 1_000,
        }
    }
}

/// How the writer retries: capped exponential backoff with full jitter, plus a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Upper bound of the first delay, in milliseconds (doubles per consecutive failure).
    pub base_ms: i64,
    /// Cap on the upper bound of any delay, in milliseconds.
    pub cap_ms: i64,
    /// Upper bound of the first delay after a throttle, in milliseconds.
    pub throttle_base_ms: i64,
    /// The shared retry budget.
    pub budget: RetryBudget,
    /// Most retries of one batch before it is dropped; `None` leaves only the budget as bound.
    pub max_retries_per_batch: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_ms: 100,
            cap_ms: 20_000,
            throttle_base_ms: 500,
            budget: RetryBudget::default(),
            max_retries_per_batch: None,
        }
    }
}

/// Everything one [`StreamWriter`](crate::StreamWriter) is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterConfig {
    /// The log group written to.
    pub log_group: String,
    /// The log stream written to.
    pub log_stream: String,
    /// The service limits batches must respect.
    pub limits: Limits,
    /// Sequence-token handling.
    pub token_mode: TokenMode,
    /// How long, in milliseconds, the oldest buffered event may wait before a batch is sent.
    pub linger_ms: i64,
    /// Buffer caps and overflow policy.
    pub buffer: BufferConfig,
    /// What to do with events over the per-event limit.
    pub oversize: OversizePolicy,
    /// Which missing resources to create.
    pub auto_create: AutoCreate,
    /// The log group's retention, in days: older events are rejected locally, and an auto-created
    /// group gets this retention policy.
    pub retention_days: Option<u32>,
    /// Backoff and budget.
    pub retry: RetryPolicy,
    /// When set, after events were dropped a marker event is queued before the next batch; `{n}` in
    /// the text is replaced by the number of events dropped since the last marker.
    pub dropped_marker: Option<String>,
    /// Seed of the jitter generator: identical seeds and inputs give identical outputs.
    pub seed: u64,
}

impl WriterConfig {
    /// Defaults for writing `log_stream` in `log_group` on today's service: no tokens, one batch
    /// in flight, 1 s linger, splitting oversized events, creating missing resources.
    pub fn new(log_group: impl Into<String>, log_stream: impl Into<String>) -> Self {
        Self {
            log_group: log_group.into(),
            log_stream: log_stream.into(),
            limits: Limits::default(),
            token_mode: TokenMode::Concurrent { max_in_flight: 1 },
            linger_ms: 1_000,
            buffer: BufferConfig::default(),
            oversize: OversizePolicy::Split,
            auto_create: AutoCreate::default(),
            retention_days: None,
            retry: RetryPolicy::default(),
            dropped_marker: None,
            seed: 0,
        }
    }

    /// Checks that the values can work together; [`StreamWriter::new`](crate::StreamWriter::new)
    /// calls this.
    pub fn validate(&self) -> Result<(), Error> {
        let bad =
            |field: &'static str, reason: &'static str| Err(Error::InvalidConfig { field, reason });
        if self.log_group.is_empty() {
            return bad("log_group", "must not be empty");
        }
        if self.log_stream.is_empty() {
            return bad("log_stream", "must not be empty");
        }
        let l = &self.limits;
        // Splitting must always make progress, so a part must hold any one UTF-8 character.
        if l.max_event_bytes < EVENT_OVERHEAD_BYTES + 4 {
            return bad(
                "limits.max_event_bytes",
                "must leave room for a 4-byte character after the 26-byte overhead",
            );
        }
        if l.max_batch_bytes < EVENT_OVERHEAD_BYTES + 4 {
            return bad(
                "limits.max_batch_bytes",
                "must leave room for a 4-byte character after the 26-byte overhead",
            );
        }
        if l.max_batch_events == 0 {
            return bad("limits.max_batch_events", "must be at least 1");
        }
        if l.max_batch_span_ms < 0 || l.max_future_ms < 0 || l.max_age_ms < 0 {
            return bad("limits", "spans and ages must not be negative");
        }
        if let TokenMode::Concurrent { max_in_flight: 0 } = self.token_mode {
            return bad("token_mode.max_in_flight", "must be at least 1");
        }
        if self.linger_ms < 0 {
            return bad("linger_ms", "must not be negative");
        }
        if self.buffer.max_events == 0 {
            return bad("buffer.max_events", "must be at least 1");
        }
        if self.buffer.max_bytes <= EVENT_OVERHEAD_BYTES {
            return bad(
                "buffer.max_bytes",
                "must exceed the 26-byte per-event overhead",
            );
        }
        let r = &self.retry;
        if r.base_ms < 0 || r.throttle_base_ms < 0 || r.cap_ms < 0 {
            return bad("retry", "delays must not be negative");
        }
        if r.budget.refill_interval_ms < 0 {
            return bad("retry.budget.refill_interval_ms", "must not be negative");
        }
        if self.retention_days == Some(0) {
            return bad("retention_days", "must be at least 1 day when set");
        }
        if matches!(&self.dropped_marker, Some(m) if m.is_empty()) {
            return bad("dropped_marker", "must not be empty when set");
        }
        Ok(())
    }
}
