//! Cutting the buffer into batches that respect every PutLogEvents limit, and the batch a request
//! carries (kept, shared, for resends and bisection).
//!
//! A batch takes events from the front of the buffer, in push order, while the count, the byte
//! size (message bytes + 26 each) and the timestamp span stay within the limits; then it is sorted
//! by timestamp with a stable sort, so ties keep push order. Taking in push order first keeps
//! batches FIFO: an old event is never overtaken by batches of newer ones.

use crate::buffer::{Buffer, Pending};
use crate::event::{EventId, LogEvent};
use crate::limits::Limits;
use crate::report::RejectReason;
use crate::request::LogEvents;
use crate::time::UnixMillis;
use crate::validate::Window;
use core::ops::Range;
use std::sync::Arc;

/// Events in flight or waiting for a resend, with what their attempts so far taught us.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    /// Cut order; halves of a bisected batch share it and sort by their start.
    pub(crate) seq: u64,
    events: Arc<[LogEvent]>,
    ids: Arc<[EventId]>,
    range: Range<usize>,
    /// Resends after throttles, server errors and lost answers.
    pub(crate) retries: u32,
    /// Times the batch found its group or stream missing.
    pub(crate) setups: u32,
    /// The next send must be paid from the retry budget.
    pub(crate) needs_budget: bool,
    /// The next send replays the batch after creating a resource (counted once).
    pub(crate) awaiting_replay: bool,
    /// PossibleDuplicate was already reported for it.
    pub(crate) duplicate_reported: bool,
    /// An attempt ended with an unknown outcome: it may have been stored already.
    pub(crate) maybe_stored: bool,
}

impl Batch {
    fn new(seq: u64, events: Arc<[LogEvent]>, ids: Arc<[EventId]>) -> Self {
        let range = 0..events.len();
        Self {
            seq,
            events,
            ids,
            range,
            retries: 0,
            setups: 0,
            needs_budget: false,
            awaiting_replay: false,
            duplicate_reported: false,
            maybe_stored: false,
        }
    }

    /// Where it sorts among batches waiting for a resend.
    pub(crate) fn key(&self) -> (u64, usize) {
        (self.seq, self.range.start)
    }

    pub(crate) fn len(&self) -> usize {
        self.range.len()
    }

    pub(crate) fn ids(&self) -> &[EventId] {
        &self.ids[self.range.clone()]
    }

    pub(crate) fn log_events(&self) -> LogEvents {
        LogEvents::new(
            Arc::clone(&self.events),
            Arc::clone(&self.ids),
            self.range.clone(),
        )
    }

    pub(crate) fn events(&self) -> &[LogEvent] {
        &self.events[self.range.clone()]
    }

    /// Two halves sharing this batch's storage; each starts with a clean retry history except
    /// what concerns the events themselves.
    pub(crate) fn halves(self) -> (Batch, Batch) {
        let mid = self.range.start + self.range.len() / 2;
        let mut left = self.clone();
        left.range = self.range.start..mid;
        let mut right = self;
        right.range = mid..right.range.end;
        (left, right)
    }
}

/// Events the cut refused because they aged out while buffered.
pub(crate) type Stale = Vec<(EventId, RejectReason)>;

/// Cuts one batch from the front of `buffer`. Events that aged out of the window while waiting are
/// moved to `stale`. Returns `None` when nothing sendable is left.
pub(crate) fn cut(
    buffer: &mut Buffer,
    limits: &Limits,
    window: &Window,
    now: UnixMillis,
    seq: u64,
    stale: &mut Stale,
) -> Option<Batch> {
    let max_events = limits.max_batch_events;
    let mut taken: Vec<Pending> = Vec::with_capacity(buffer.len().min(max_events));
    let mut bytes = 0usize;
    let mut min_ts = UnixMillis(i64::MAX);
    let mut max_ts = UnixMillis(i64::MIN);
    while let Some(front) = buffer.front() {
        if let Some(reason) = window.check(front.timestamp, now) {
            let p = buffer.pop_front()?;
            stale.push((p.id, reason));
            continue;
        }
        let size = front.size();
        let lo = min_ts.min(front.timestamp);
        let hi = max_ts.max(front.timestamp);
        if taken.len() == max_events
            || bytes + size > limits.max_batch_bytes
            || hi.since(lo) > limits.max_batch_span_ms
        {
            break;
        }
        min_ts = lo;
        max_ts = hi;
        bytes += size;
        taken.extend(buffer.pop_front());
    }
    if taken.is_empty() {
        return None;
    }
    // Stable: equal timestamps keep push order. Already-sorted input (the common case) costs one pass.
    if !taken.is_sorted_by_key(|p| p.timestamp) {
        taken.sort_by_key(|p| p.timestamp);
    }
    let ids: Arc<[EventId]> = taken.iter().map(|p| p.id).collect();
    let events: Arc<[LogEvent]> = taken
        .into_iter()
        .map(|p| LogEvent {
            timestamp: p.timestamp,
            message: p.message,
        })
        .collect();
    Some(Batch::new(seq, events, ids))
}
