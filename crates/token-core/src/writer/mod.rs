//! The stream writer: inputs in, requests/reports/deadlines out. See the crate docs for the drive
//! contract.
//!
//! This module holds the state and the public surface; the decisions live in the submodules:
//! [`admit`] (what a push does to the buffer), [`engine`] (when to cut and send a batch),
//! [`outcomes`] (what each answer to a PutLogEvents means) and [`provision`] (creating a missing
//! group or stream).

mod admit;
mod engine;
mod outcomes;
mod provision;

use crate::batch::{self, Batch, Stale};
use crate::buffer::{Buffer, Pending};
use crate::config::{OverflowPolicy, OversizePolicy, TokenMode, WriterConfig};
use crate::counters::Counters;
use crate::error::Error;
use crate::event::{Event, EventId, EventIds};
use crate::limits::EVENT_OVERHEAD_BYTES;
use crate::outcome::{Missing, Outcome, RejectedInfo};
use crate::oversize;
use crate::report::{DropReason, RejectReason, Rejector, Report};
use crate::request::{Request, RequestId, RequestKind};
use crate::retry::backoff::Backoff;
use crate::retry::budget::{Budget, Empty};
use crate::retry::classify::{classify, Class, RetryCause};
use crate::rng::SplitMix64;
use crate::time::{Deadline, DeadlineReason, UnixMillis};
use crate::validate::Window;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How many times one batch may find its group or stream missing before it is dropped: a create
/// that "succeeds" while puts keep failing must not loop forever.
const MAX_SETUPS_PER_BATCH: u32 = 3;

/// Whether the writer may send PutLogEvents, and if not, what it waits for.
#[derive(Debug)]
enum Gate {
    /// Sending as capacity allows.
    Open,
    /// Waiting before any send (backoff, throttle cool-down, token conflict, empty budget).
    Waiting {
        until: UnixMillis,
        reason: DeadlineReason,
    },
    /// Creating a missing group or stream; batches wait in the resend queue.
    Provisioning(Provisioning),
    /// A fatal error: nothing more is sent.
    Stopped,
}

/// The creation steps, in the order they can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetupStep {
    CreateGroup,
    PutRetention,
    CreateStream,
}

#[derive(Debug)]
struct Provisioning {
    step: SetupStep,
    state: StepState,
    /// CreateLogGroup was already tried in this round, so a missing group again means failure.
    group_tried: bool,
}

/// What the current creation step waits for.
#[derive(Debug)]
enum StepState {
    AwaitingResponse(RequestId),
    RetryAt {
        at: UnixMillis,
        reason: DeadlineReason,
    },
}

/// What an issued request was for.
#[derive(Debug)]
enum InFlight {
    Put(Batch),
    Setup(SetupStep),
}

/// The sans-IO writer of one CloudWatch Logs stream. See the [crate docs](crate) for the drive loop.
#[derive(Debug)]
pub struct StreamWriter {
    config: WriterConfig,
    window: Window,
    /// Largest message that fits one event and one batch.
    max_message_bytes: usize,
    max_in_flight: usize,
    sequential: bool,
    backoff: Backoff,
    throttle_backoff: Backoff,
    budget: Budget,
    rng: SplitMix64,

    /// The latest `now` seen: time never runs backwards inside the writer.
    now: UnixMillis,
    next_event: u64,
    next_request: u64,
    next_batch: u64,

    buffer: Buffer,
    /// Events with ids below this were flushed: send them without waiting for linger.
    flush_until: u64,
    resend: BTreeMap<(u64, usize), Batch>,
    in_flight: BTreeMap<RequestId, InFlight>,
    puts_in_flight: usize,
    gate: Gate,
    /// Sequential mode: the token for the next put (`None`: send none).
    token: Option<String>,
    consecutive_failures: u32,
    consecutive_conflicts: u32,
    dropped_since_marker: u64,
    /// Queued markers not yet ended. A dropped marker is not announced by another marker: while
    /// the stream cannot be written, each marker would be dropped in turn and announce the last.
    markers: BTreeSet<EventId>,
    closing: bool,

    requests: VecDeque<Request>,
    reports: VecDeque<Report>,
    counters: Counters,
    stale: Stale,
}

impl StreamWriter {
    /// A writer for the configured stream, or [`Error::InvalidConfig`].
    pub fn new(config: WriterConfig) -> Result<StreamWriter, Error> {
        config.validate()?;
        let limits = &config.limits;
        let max_message_bytes =
            limits.max_event_bytes.min(limits.max_batch_bytes) - EVENT_OVERHEAD_BYTES;
        let (max_in_flight, sequential) = match config.token_mode {
            TokenMode::Sequential => (1, true),
            TokenMode::Concurrent { max_in_flight } => (max_in_flight, false),
        };
        let r = config.retry;
        Ok(StreamWriter {
            window: Window::new(limits, config.retention_days),
            max_message_bytes,
            max_in_flight,
            sequential,
            backoff: Backoff {
                base_ms: r.base_ms,
                cap_ms: r.cap_ms,
            },
            throttle_backoff: Backoff {
                base_ms: r.throttle_base_ms,
                cap_ms: r.cap_ms,
            },
            budget: Budget::new(r.budget),
            rng: SplitMix64::new(config.seed),
            now: UnixMillis(i64::MIN),
            next_event: 0,
            next_request: 0,
            next_batch: 0,
            buffer: Buffer::default(),
            flush_until: 0,
            resend: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            puts_in_flight: 0,
            gate: Gate::Open,
            token: None,
            consecutive_failures: 0,
            consecutive_conflicts: 0,
            dropped_since_marker: 0,
            markers: BTreeSet::new(),
            closing: false,
            requests: VecDeque::new(),
            reports: VecDeque::new(),
            counters: Counters::default(),
            stale: Vec::new(),
            config,
        })
    }

    // ----- inputs -----

    /// Accepts an event at `now`.
    ///
    /// Returns the id(s) the event will be reported under: one, or one per part when an oversized
    /// event is split. An accepted event may already be finished: rejected locally (too new, too
    /// old, expired) or dropped (overflow policy, oversize policy), with a report. Errors hand the
    /// event back: an empty message, a full buffer under [`OverflowPolicy::Reject`], an event
    /// larger than the whole buffer, or a closed writer.
    pub fn push(&mut self, event: Event, now: UnixMillis) -> Result<EventIds, Error> {
        self.advance(now);
        if event.message.is_empty() {
            self.counters.pushes_refused += 1;
            return Err(Error::EmptyMessage { event });
        }
        if self.closing {
            self.counters.pushes_refused += 1;
            return Err(Error::Closed { event });
        }
        if let Some(reason) = self.window.check(event.timestamp, self.now) {
            let id = self.alloc_ids(1);
            self.reject(vec![EventId(id)], reason, Rejector::Local);
            return Ok(EventIds::new(id, 1));
        }
        let ids = if event.message.len() > self.max_message_bytes {
            self.push_oversized(event)?
        } else {
            let size = event.message.len() + EVENT_OVERHEAD_BYTES;
            if !self.make_room(1, size) {
                return self.overflow(event, size);
            }
            let id = self.alloc_ids(1);
            self.buffer.push_back(Pending {
                id: EventId(id),
                timestamp: event.timestamp,
                arrival: self.now,
                message: event.message,
            });
            EventIds::new(id, 1)
        };
        if self.can_send() && self.batch_due() {
            self.drive();
        }
        Ok(ids)
    }

    /// Feeds the outcome of request `id` at `now`. Answers to requests the writer no longer waits
    /// for (unknown or already answered ids) are counted and ignored.
    pub fn handle_response(&mut self, id: RequestId, outcome: Outcome, now: UnixMillis) {
        self.advance(now);
        match self.in_flight.remove(&id) {
            None => self.counters.stale_responses += 1,
            Some(InFlight::Put(batch)) => {
                self.puts_in_flight -= 1;
                self.on_put_outcome(batch, classify(outcome));
            }
            Some(InFlight::Setup(step)) => self.on_setup_outcome(id, step, classify(outcome)),
        }
        self.drive();
    }

    /// Lets time pass to `now`: call it when the deadline from [`poll_timeout`](Self::poll_timeout)
    /// is reached (calling it early or often is harmless).
    pub fn handle_timeout(&mut self, now: UnixMillis) {
        self.advance(now);
        self.drive();
    }

    /// Sends every event pushed so far without waiting for linger (still within every limit, and
    /// still one request at a time in Sequential mode).
    pub fn flush(&mut self, now: UnixMillis) {
        self.advance(now);
        self.flush_until = self.next_event;
        self.drive();
    }

    /// Refuses further pushes and sends everything buffered. The writer is
    /// [closed](Self::is_closed) once every event has its terminal report. If the writer stopped
    /// on a fatal error, unsent events are dropped with [`DropReason::Stopped`].
    pub fn close(&mut self, now: UnixMillis) {
        self.advance(now);
        self.closing = true;
        self.flush_until = self.next_event;
        self.drive();
    }

    /// Takes back every event not currently in flight (buffered or waiting for a resend), reporting
    /// them dropped with [`DropReason::TakenBack`]. Use it to give up with a deadline, or after a
    /// fatal error, without losing the events.
    pub fn take_unsent(&mut self) -> Vec<(EventId, Event)> {
        let mut out: Vec<(EventId, Event)> = Vec::with_capacity(self.buffered_events());
        for (_, mut batch) in std::mem::take(&mut self.resend) {
            self.report_if_maybe_stored(&mut batch);
            for (id, e) in batch.ids().iter().zip(batch.events()) {
                out.push((*id, Event::new(e.timestamp, e.message.clone())));
            }
        }
        for p in self.buffer.drain_all() {
            out.push((p.id, Event::new(p.timestamp, p.message)));
        }
        if !out.is_empty() {
            let ids = out.iter().map(|(id, _)| *id).collect();
            self.drop_events(ids, DropReason::TakenBack);
        }
        if let Gate::Provisioning(p) = &self.gate {
            // Nothing waits for the resource any more; a create still in flight is answered later.
            if matches!(p.state, StepState::RetryAt { .. }) {
                self.gate = Gate::Open;
            }
        }
        out
    }

    // ----- outputs -----

    /// The next request to send, if any. Drain until `None` after every input.
    #[must_use]
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    /// The next report, if any. Drain until `None` after every input.
    #[must_use]
    pub fn poll_report(&mut self) -> Option<Report> {
        self.reports.pop_front()
    }

    /// Whether [`poll_request`](Self::poll_request) or [`poll_report`](Self::poll_report) has
    /// something to give. A driver that accepts pushes on one thread and drains on another (a
    /// task woken by the pushes) asks this after a push, so that it wakes the draining side only
    /// when a push produced output, not for every event.
    #[must_use]
    pub fn has_output(&self) -> bool {
        !self.requests.is_empty() || !self.reports.is_empty()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next, and why; `None` when the writer
    /// waits only for pushes or responses.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Deadline> {
        let mut best: Option<Deadline> = None;
        let mut offer = |at: UnixMillis, reason: DeadlineReason| {
            if best.is_none_or(|b| at < b.at) {
                best = Some(Deadline { at, reason });
            }
        };
        match &self.gate {
            Gate::Waiting { until, reason } => offer(*until, *reason),
            Gate::Provisioning(Provisioning {
                state: StepState::RetryAt { at, reason },
                ..
            }) => offer(*at, *reason),
            Gate::Open => {
                if self.has_capacity() && self.resend.is_empty() {
                    if let Some(front) = self.buffer.front() {
                        // Capacity is free, so a batch already due is due now: an input that only
                        // moved time on (a push refused by a full buffer or rejected as too old)
                        // did not send it, and no response is coming that would.
                        let at = if self.batch_due() {
                            self.now
                        } else {
                            front.arrival.plus_ms(self.config.linger_ms)
                        };
                        offer(at, DeadlineReason::Linger);
                    }
                }
            }
            Gate::Provisioning(_) | Gate::Stopped => {}
        }
        best
    }

    // ----- read access -----

    /// Cumulative counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Events held and not in flight: buffered, or waiting for a resend.
    pub fn buffered_events(&self) -> usize {
        self.buffer.len() + self.resend.values().map(Batch::len).sum::<usize>()
    }

    /// Events in PutLogEvents requests awaiting an answer.
    pub fn in_flight_events(&self) -> usize {
        self.in_flight
            .values()
            .map(|f| match f {
                InFlight::Put(b) => b.len(),
                InFlight::Setup(_) => 0,
            })
            .sum()
    }

    /// Nothing buffered, nothing to resend, nothing in flight.
    pub fn is_idle(&self) -> bool {
        self.buffer.is_empty() && self.resend.is_empty() && self.in_flight.is_empty()
    }

    /// `close` was called and every event has its terminal report.
    pub fn is_closed(&self) -> bool {
        self.closing && self.is_idle()
    }

    /// Whether a fatal error stopped the writer.
    pub fn is_stopped(&self) -> bool {
        matches!(self.gate, Gate::Stopped)
    }

    /// The sequence token the next PutLogEvents will carry (Sequential mode; always `None` in
    /// Concurrent mode).
    pub fn sequence_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The configuration the writer runs with.
    pub fn config(&self) -> &WriterConfig {
        &self.config
    }

    // ----- push helpers -----

    pub(super) fn advance(&mut self, now: UnixMillis) {
        if now > self.now {
            self.now = now;
        }
    }

    pub(super) fn alloc_ids(&mut self, n: u64) -> u64 {
        let first = self.next_event;
        self.next_event += n;
        self.counters.events_accepted += n;
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_output_says_whether_a_poll_would_give_something() {
        let now = UnixMillis(1_700_000_000_000);
        let mut config = WriterConfig::new("g", "s");
        config.limits.max_batch_events = 2;
        let mut writer = StreamWriter::new(config).unwrap();
        assert!(!writer.has_output());

        // One event only lingers; the second fills a batch, which is due at once.
        writer.push(Event::new(now, "a"), now).unwrap();
        assert!(!writer.has_output());
        writer.push(Event::new(now, "b"), now).unwrap();
        assert!(writer.has_output());

        while writer.poll_request().is_some() {}
        while writer.poll_report().is_some() {}
        assert!(!writer.has_output());

        // A report alone counts too: an event far too old is rejected on push.
        writer.push(Event::new(UnixMillis(0), "old"), now).unwrap();
        assert!(writer.has_output());
        assert!(writer.poll_request().is_none());
        assert!(writer.poll_report().is_some());
        assert!(!writer.has_output());
    }

    #[test]
    fn a_writer_can_move_to_another_thread() {
        // Drivers keep writers inside async tasks that may migrate between threads.
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<StreamWriter>();
        assert_send_sync::<Request>();
        assert_send_sync::<Report>();
    }
}
