//! Where "now" comes from: the only module of the mock that reads a clock.
//!
//! Two clocks, passed in like any other dependency:
//! - a [`Clock`], wall-clock milliseconds: the server asks it once per request and passes the value
//!   down, so tests can pin time and the rules that depend on it (2 h in the future, 14 days in the
//!   past, retention, 24 h span) are reproducible;
//! - a [`Monotonic`] clock for request-rate quotas, which refill with elapsed time. It is separate
//!   so that a test pinning the wall clock still sees buckets refill, and a test that wants exact
//!   throttle counts can hold the buckets still with [`ManualMonotonic`] instead.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch, the unit CloudWatch Logs uses.
pub trait Clock: Send + Sync + 'static {
    /// The current time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        // A clock before 1970 is a broken host; answering 0 keeps the server up.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to, for tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self {
            now: AtomicI64::new(now_ms),
        }
    }

    /// Moves the clock to `now_ms`.
    pub fn set(&self, now_ms: i64) {
        self.now.store(now_ms, Ordering::SeqCst);
    }

    /// Moves the clock forward by `delta_ms`.
    pub fn advance(&self, delta_ms: i64) {
        self.now.fetch_add(delta_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// A source of monotonic time: how long since a fixed moment of the clock's choosing.
pub trait Monotonic: Send + Sync + 'static {
    /// Time elapsed since the clock's origin; never goes back.
    fn elapsed(&self) -> Duration;
}

/// The system's monotonic clock, counted from when this value was made.
#[derive(Debug, Clone, Copy)]
pub struct SystemMonotonic {
    origin: Instant,
}

impl SystemMonotonic {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemMonotonic {
    fn default() -> Self {
        Self::new()
    }
}

impl Monotonic for SystemMonotonic {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A monotonic clock that only moves when told to, for tests that count throttles exactly.
#[derive(Debug, Default)]
pub struct ManualMonotonic {
    nanos: AtomicU64,
}

impl ManualMonotonic {
    /// A clock standing at `elapsed` past its origin.
    pub fn new(elapsed: Duration) -> Self {
        Self {
            nanos: AtomicU64::new(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)),
        }
    }

    /// Moves the clock forward by `delta` (saturating).
    pub fn advance(&self, delta: Duration) {
        let delta = u64::try_from(delta.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(delta))
            });
    }
}

impl Monotonic for ManualMonotonic {
    fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}
