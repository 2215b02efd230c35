//! Events as the caller pushes them and as they travel in a request.

use crate::time::UnixMillis;
use core::fmt;

/// One log event pushed by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When the event happened, in milliseconds since the epoch.
    pub timestamp: UnixMillis,
    /// The message; must not be empty (AWS rejects the whole batch for one empty message).
    pub message: String,
}

impl Event {
    /// An event with the given timestamp and message.
    pub fn new(timestamp: impl Into<UnixMillis>, message: impl Into<String>) -> Self {
        Self {
            timestamp: timestamp.into(),
            message: message.into(),
        }
    }
}

/// The identity the writer gives every event it accepts; reports name events by these ids.
///
/// Ids increase by one per accepted event (a split event takes one id per part), starting at 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u64);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event#{}", self.0)
    }
}

/// The contiguous ids one `push` produced: one id, or one per part of a split event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventIds {
    first: u64,
    count: u64,
}

impl EventIds {
    pub(crate) fn new(first: u64, count: u64) -> Self {
        Self { first, count }
    }

    /// The first id (the only one unless the event was split).
    pub fn first(&self) -> EventId {
        EventId(self.first)
    }

    /// How many ids: 1, or the number of parts of a split event.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Always false: a successful push produces at least one id.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether `id` is one of these ids.
    pub fn contains(&self, id: EventId) -> bool {
        id.0 >= self.first && id.0 - self.first < self.count
    }

    /// Every id, in order.
    pub fn iter(&self) -> impl Iterator<Item = EventId> {
        (self.first..self.first + self.count).map(EventId)
    }
}

/// One event as it is sent in a PutLogEvents request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// The event's timestamp, in milliseconds since the epoch.
    pub timestamp: UnixMillis,
    /// The message, never empty and never larger than the per-event limit.
    pub message: String,
}
