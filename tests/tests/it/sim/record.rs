//! What the simulation observed, kept for the invariants: every push and its ids, every report with
//! the instant its decision was made, every request sent and every commit the mock made.

use std::collections::{BTreeMap, BTreeSet};
use token_core::{DropReason, EventId, EventIds, RejectReason, Rejector};

/// One push a writer accepted.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The ids it was given (several when it was split).
    pub ids: EventIds,
    /// Its timestamp, ms.
    pub timestamp: i64,
    /// Its message as pushed.
    pub message: String,
    /// The virtual instant of the push.
    pub at: i64,
}

/// How an event ended, with what is needed to judge the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Reported delivered.
    Delivered,
    /// Reported rejected; `decided_at` is the writer's `now` for a local rejection and the instant
    /// the mock decided for a rejection by the service.
    Rejected {
        /// Why.
        reason: RejectReason,
        /// Who decided.
        by: Rejector,
        /// When it was decided.
        decided_at: i64,
    },
    /// Reported dropped.
    Dropped(DropReason),
}

/// Everything observed of one writer.
#[derive(Debug, Default)]
pub struct WriterTrace {
    /// Accepted pushes, in push order.
    pub pushes: Vec<Pushed>,
    /// Pushes the writer handed back (full buffer under the Reject policy).
    pub refused: usize,
    /// The terminal report of every id.
    pub fates: BTreeMap<EventId, Fate>,
    /// Ids reported as possible duplicates.
    pub possible_duplicates: BTreeSet<EventId>,
    /// Ids of dropped-events markers the writer queued.
    pub markers: BTreeSet<EventId>,
    /// Ids reported truncated.
    pub truncated: BTreeSet<EventId>,
    /// Every event id sent in a PutLogEvents, with the timestamp and message it was sent with.
    pub sent: BTreeMap<EventId, (i64, String)>,
    /// Puts whose answer is pending, the most at any time.
    pub max_puts_in_flight: usize,
    /// PutLogEvents sends paid from the retry budget (a resend after a throttle, a 5xx or an
    /// unknown outcome).
    pub budgeted_resends: u64,
    /// Budget-paid resends per batch (keyed by first id and length).
    pub resends_per_batch: BTreeMap<(EventId, usize), u32>,
    /// Successful answers that may have refunded the budget.
    pub successes: u64,
    /// Reports of fatal errors.
    pub fatal: Vec<String>,
}

/// Who put a stored event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A simulated writer, and the event's id in it.
    Writer(usize, EventId),
    /// The stream's background writer.
    Background,
}

/// One event the mock committed, as the simulation saw it leave in the committed request.
#[derive(Debug, Clone)]
pub struct Commit {
    /// Who sent it.
    pub owner: Owner,
    /// Its timestamp.
    pub timestamp: i64,
    /// Its message.
    pub message: String,
}
