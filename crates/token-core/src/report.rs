//! Reports: what became of events, and what went wrong.
//!
//! Every id a push returned ends in exactly one terminal report ([`Report::Delivered`],
//! [`Report::Rejected`] or [`Report::Dropped`]); the others annotate.

use crate::event::EventId;
use crate::outcome::Missing;

/// Something the caller should know about events or the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Report {
    /// Terminal: the service stored these events. One case the protocol leaves open: a
    /// DataAlreadyAccepted answer carries no `rejectedLogEventsInfo`, so when it proves that an
    /// attempt whose answer was lost was accepted, events that attempt had rejected (they aged out
    /// of the time window in flight) are reported delivered with the rest of the batch.
    Delivered {
        /// The events, in send order.
        ids: Vec<EventId>,
    },
    /// Terminal: these events were refused, locally or by the service, and will not be sent again.
    Rejected {
        /// The events.
        ids: Vec<EventId>,
        /// Why.
        reason: RejectReason,
        /// Whether the writer decided it without sending, or the service said so.
        by: Rejector,
    },
    /// Terminal: the writer gave up on these events. If they were reported as
    /// [`PossibleDuplicate`](Report::PossibleDuplicate) before, an attempt whose answer was lost may
    /// still have stored them.
    Dropped {
        /// The events.
        ids: Vec<EventId>,
        /// Why.
        reason: DropReason,
    },
    /// Annotation: these events were resent after an outcome that may have stored them already,
    /// so they may be stored twice (today's service does not deduplicate). Concurrent mode reports
    /// it when it resends; Sequential mode only when the resend is accepted without a
    /// DataAlreadyAccepted that would have proved the first attempt landed, or when a token conflict
    /// after such an outcome means no DataAlreadyAccepted can prove it any more. Both report it before
    /// [`Dropped`](Report::Dropped) when they give up on events after such an outcome, since the
    /// lost attempt may have stored them.
    PossibleDuplicate {
        /// The events.
        ids: Vec<EventId>,
    },
    /// Annotation: one pushed event was too large and became these parts, in order.
    Split {
        /// The ids of the parts.
        ids: Vec<EventId>,
    },
    /// Annotation: this event was cut to the per-event limit.
    Truncated {
        /// The event.
        id: EventId,
        /// Its message size before the cut, in bytes.
        original_bytes: usize,
    },
    /// Annotation: the writer queued a "N events dropped" marker event with this id.
    MarkerQueued {
        /// The marker's id; it ends in a terminal report like any event.
        id: EventId,
        /// How many drops it announces.
        dropped: u64,
    },
    /// The writer created a resource.
    ResourceCreated {
        /// Which one.
        what: Missing,
    },
    /// The service answered with an error retrying cannot fix; the writer stopped sending.
    /// Events not yet delivered stay buffered: take them back with
    /// [`take_unsent`](crate::StreamWriter::take_unsent), or `close` to drop them.
    Fatal {
        /// The error code.
        code: String,
        /// The error message.
        message: String,
    },
}

/// Why events were rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectReason {
    /// More than `max_future_ms` (2 h) ahead of `now`.
    TooNew,
    /// Older than `max_age_ms` (14 days).
    TooOld,
    /// Older than the log group's retention.
    Expired,
    /// The service answered InvalidParameterException for this event alone.
    InvalidParameter {
        /// AWS's message.
        message: String,
    },
}

/// Who decided a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejector {
    /// The writer, before sending.
    Local,
    /// The service, in `rejectedLogEventsInfo` or an InvalidParameterException.
    Service,
}

/// Why events were dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// The buffer was at its cap (overflow policy `DropNewest` or `DropOldest`).
    BufferFull,
    /// Larger than the per-event limit under `OversizePolicy::Drop`.
    Oversize,
    /// The group or stream does not exist and the writer may not (or could not) create it.
    ResourceNotFound {
        /// Which one.
        what: Missing,
    },
    /// Creating the group or stream failed with an error other than "already exists".
    CreateFailed {
        /// The service's message.
        message: String,
    },
    /// The batch used up its retries (per-batch cap, or an empty budget that never refills).
    RetriesExhausted,
    /// The writer stopped on a fatal error and was closed with these events unsent.
    Stopped,
    /// The caller took these events back with `take_unsent`.
    TakenBack,
}
