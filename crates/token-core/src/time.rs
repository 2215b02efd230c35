//! Time as the writer sees it: a number the caller passes in, never a clock it reads.
//!
//! Every input carries `now`; every output that waits carries the instant it waits for and why.
//! Keeping time a plain value is what makes identical inputs give identical outputs.

use core::fmt;

/// Milliseconds since the Unix epoch, the unit CloudWatch Logs uses for timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// The epoch itself.
    pub const ZERO: UnixMillis = UnixMillis(0);

    /// The raw number of milliseconds.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant moved forward by `ms` milliseconds, saturating instead of overflowing.
    pub const fn plus_ms(self, ms: i64) -> UnixMillis {
        UnixMillis(self.0.saturating_add(ms))
    }

    /// This instant moved backward by `ms` milliseconds, saturating instead of overflowing.
    pub const fn minus_ms(self, ms: i64) -> UnixMillis {
        UnixMillis(self.0.saturating_sub(ms))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later).
    pub const fn since(self, earlier: UnixMillis) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

impl From<i64> for UnixMillis {
    fn from(ms: i64) -> Self {
        UnixMillis(ms)
    }
}

/// The next instant at which the writer wants [`handle_timeout`](crate::StreamWriter::handle_timeout),
/// and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// When to call `handle_timeout`.
    pub at: UnixMillis,
    /// What the writer is waiting for.
    pub reason: DeadlineReason,
}

/// Why the writer asked to be woken up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DeadlineReason {
    /// The oldest buffered event has waited the configured linger time: send a batch.
    Linger,
    /// Backing off after a server error, a lost response or a request that was not sent.
    Backoff,
    /// Cooling down after the service throttled us.
    ThrottleCooldown,
    /// Backing off after repeated sequence-token conflicts (another writer on the stream).
    TokenConflict,
    /// The retry budget is empty: waiting for it to refill before retrying.
    RetryBudget,
}
