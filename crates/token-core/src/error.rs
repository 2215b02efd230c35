//! The crate's one error type.

use crate::event::Event;
use core::fmt;

/// Everything that can go wrong when configuring a writer or pushing an event.
///
/// Errors from `push` hand the event back, so that the caller loses nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value cannot work; `field` names it.
    InvalidConfig {
        /// The offending field, e.g. `"linger_ms"`.
        field: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The message is empty; AWS would reject the whole batch for it.
    EmptyMessage {
        /// The event, handed back.
        event: Event,
    },
    /// The buffer is at its cap and the overflow policy is `Reject`.
    BufferFull {
        /// The event, handed back.
        event: Event,
    },
    /// The event alone is larger than the buffer's byte cap, so it can never be buffered.
    TooLargeForBuffer {
        /// The event, handed back.
        event: Event,
    },
    /// `close` was called; no more events are accepted.
    Closed {
        /// The event, handed back.
        event: Event,
    },
}

impl Error {
    /// The event a failed push handed back, if this error came from `push`.
    pub fn into_event(self) -> Option<Event> {
        match self {
            Error::InvalidConfig { .. } => None,
            Error::EmptyMessage { event }
            | Error::BufferFull { event }
            | Error::TooLargeForBuffer { event }
            | Error::Closed { event } => Some(event),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidConfig { field, reason } => {
                write!(f, "invalid configuration: {field} {reason}")
            }
            Error::EmptyMessage { .. } => f.write_str("empty log messages are not accepted"),
            Error::BufferFull { .. } => f.write_str("the buffer is full"),
            Error::TooLargeForBuffer { .. } => {
                f.write_str("the event is larger than the whole buffer")
            }
            Error::Closed { .. } => f.write_str("the writer is closed"),
        }
    }
}

impl std::error::Error for Error {}
