//! The crate's one error type.

use token_core::Event;

/// Everything that can go wrong when building a [`Shipper`](crate::Shipper) or handing it an event.
///
/// Every error from `send`/`try_send` hands the event back, so that the caller loses nothing it
/// was not told about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// token-core refused the writer configuration, or a push for a reason this version of the
    /// adapter does not name (the event, if any, is inside: see [`Error::into_event`]).
    #[error("token-core: {0}")]
    Core(#[source] token_core::Error),
    /// The builder was given no log stream.
    #[error("no log stream configured")]
    NoStreams,
    /// The builder was given the same log stream twice; two writers on one stream would only
    /// compete for it.
    #[error("log stream {0:?} configured twice")]
    DuplicateStream(String),
    /// `build` was called outside a tokio runtime, so the writer tasks cannot be spawned.
    #[error("Shipper::build must be called from within a tokio runtime")]
    NoRuntime,
    /// The event was addressed to a stream this shipper does not write.
    #[error("log stream {stream:?} is not one of this shipper's streams")]
    UnknownStream {
        /// The stream asked for.
        stream: String,
        /// The event, handed back.
        event: Event,
    },
    /// The buffer is full: `try_send` never waits, and `send` only waits when the shipper was
    /// built with [`block_when_full`](crate::ShipperBuilder::block_when_full).
    #[error("the buffer of log stream {stream:?} is full")]
    Full {
        /// The stream whose buffer is full.
        stream: String,
        /// The event, handed back.
        event: Event,
    },
    /// The shipper is shutting down (or its writer has closed): no more events are accepted.
    #[error("log stream {stream:?} is closed")]
    Closed {
        /// The stream.
        stream: String,
        /// The event, handed back.
        event: Event,
    },
    /// The message is empty; AWS rejects a whole batch for one empty message.
    #[error("empty log messages are not accepted")]
    EmptyMessage {
        /// The event, handed back.
        event: Event,
    },
    /// The event alone is larger than the stream's whole buffer.
    #[error("the event is larger than the whole buffer")]
    TooLargeForBuffer {
        /// The event, handed back.
        event: Event,
    },
}

impl Error {
    /// The event a failed `send`/`try_send` handed back, if the error came from one.
    pub fn into_event(self) -> Option<Event> {
        match self {
            Error::UnknownStream { event, .. }
            | Error::Full { event, .. }
            | Error::Closed { event, .. }
            | Error::EmptyMessage { event }
            | Error::TooLargeForBuffer { event } => Some(event),
            Error::Core(inner) => inner.into_event(),
            Error::NoStreams | Error::DuplicateStream(_) | Error::NoRuntime => None,
        }
    }

    /// Converts a refused push into this crate's error, keeping the event.
    pub(crate) fn from_push(stream: &str, err: token_core::Error) -> Error {
        match err {
            token_core::Error::BufferFull { event } => Error::Full {
                stream: stream.to_owned(),
                event,
            },
            token_core::Error::Closed { event } => Error::Closed {
                stream: stream.to_owned(),
                event,
            },
            token_core::Error::EmptyMessage { event } => Error::EmptyMessage { event },
            token_core::Error::TooLargeForBuffer { event } => Error::TooLargeForBuffer { event },
            other => Error::Core(other),
        }
    }
}
