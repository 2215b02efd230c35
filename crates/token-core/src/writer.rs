//! The stream writer: inputs in, requests/reports/deadlines out. See the crate docs for the drive
//! contract.

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
use std::collections::{BTreeMap, VecDeque};

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
    /// Consecutive failed attempts of the current step, for its backoff.
    failures: u32,
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
        for (_, batch) in std::mem::take(&mut self.resend) {
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
                        let at = front.arrival.plus_ms(self.config.linger_ms);
                        // A linger that already expired is not a deadline: the batch is sent as
                        // soon as capacity frees, which a response (not a timeout) signals.
                        if at > self.now && !self.batch_due() {
                            offer(at, DeadlineReason::Linger);
                        }
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

    fn advance(&mut self, now: UnixMillis) {
        if now > self.now {
            self.now = now;
        }
    }

    fn alloc_ids(&mut self, n: u64) -> u64 {
        let first = self.next_event;
        self.next_event += n;
        self.counters.events_accepted += n;
        first
    }

    /// Frees room for `events` more events of `bytes` total under the overflow policy; false when
    /// they still do not fit.
    #[inline]
    fn make_room(&mut self, events: usize, bytes: usize) -> bool {
        let cap = self.config.buffer;
        let fits =
            |b: &Buffer| b.len() + events <= cap.max_events && b.bytes() + bytes <= cap.max_bytes;
        if fits(&self.buffer) {
            return true;
        }
        if cap.overflow != OverflowPolicy::DropOldest
            || bytes > cap.max_bytes
            || events > cap.max_events
        {
            return false;
        }
        let mut dropped = Vec::new();
        while !fits(&self.buffer) {
            match self.buffer.pop_front() {
                Some(p) => dropped.push(p.id),
                None => break,
            }
        }
        self.drop_events(dropped, DropReason::BufferFull);
        fits(&self.buffer)
    }

    /// The buffer cannot take the event: apply the overflow policy.
    fn overflow(&mut self, event: Event, bytes: usize) -> Result<EventIds, Error> {
        let cap = self.config.buffer;
        if bytes > cap.max_bytes {
            self.counters.pushes_refused += 1;
            return Err(Error::TooLargeForBuffer { event });
        }
        match cap.overflow {
            OverflowPolicy::Reject => {
                self.counters.pushes_refused += 1;
                Err(Error::BufferFull { event })
            }
            OverflowPolicy::DropNewest | OverflowPolicy::DropOldest => {
                let id = self.alloc_ids(1);
                self.drop_events(vec![EventId(id)], DropReason::BufferFull);
                Ok(EventIds::new(id, 1))
            }
        }
    }

    #[cold]
    fn push_oversized(&mut self, event: Event) -> Result<EventIds, Error> {
        let max = self.max_message_bytes;
        match self.config.oversize {
            OversizePolicy::Drop => {
                let id = self.alloc_ids(1);
                self.drop_events(vec![EventId(id)], DropReason::Oversize);
                Ok(EventIds::new(id, 1))
            }
            OversizePolicy::Truncate => {
                let original_bytes = event.message.len();
                let kept = oversize::floor_char_boundary(&event.message, max);
                let size = kept + EVENT_OVERHEAD_BYTES;
                if !self.make_room(1, size) {
                    // Hand back the event as the caller pushed it, not the cut version.
                    return self.overflow(event, size);
                }
                let mut event = event;
                event.message.truncate(kept);
                let id = self.alloc_ids(1);
                self.counters.events_truncated += 1;
                self.reports.push_back(Report::Truncated {
                    id: EventId(id),
                    original_bytes,
                });
                self.buffer.push_back(Pending {
                    id: EventId(id),
                    timestamp: event.timestamp,
                    arrival: self.now,
                    message: event.message,
                });
                Ok(EventIds::new(id, 1))
            }
            OversizePolicy::Split => {
                let timestamp = event.timestamp;
                let parts = oversize::split(event.message, max);
                let bytes: usize = parts.iter().map(|p| p.len() + EVENT_OVERHEAD_BYTES).sum();
                if !self.make_room(parts.len(), bytes) {
                    return self.overflow(Event::new(timestamp, parts.concat()), bytes);
                }
                let n = parts.len() as u64;
                let first = self.alloc_ids(n);
                self.counters.events_split += 1;
                self.reports.push_back(Report::Split {
                    ids: (first..first + n).map(EventId).collect(),
                });
                for (i, message) in parts.into_iter().enumerate() {
                    self.buffer.push_back(Pending {
                        id: EventId(first + i as u64),
                        timestamp,
                        arrival: self.now,
                        message,
                    });
                }
                Ok(EventIds::new(first, n))
            }
        }
    }

    // ----- reports -----

    fn reject(&mut self, ids: Vec<EventId>, reason: RejectReason, by: Rejector) {
        if ids.is_empty() {
            return;
        }
        self.counters.events_rejected += ids.len() as u64;
        self.reports.push_back(Report::Rejected { ids, reason, by });
    }

    fn drop_events(&mut self, ids: Vec<EventId>, reason: DropReason) {
        if ids.is_empty() {
            return;
        }
        let n = ids.len() as u64;
        self.counters.events_dropped += n;
        if reason != DropReason::TakenBack {
            self.dropped_since_marker += n;
        }
        self.reports.push_back(Report::Dropped { ids, reason });
    }

    fn deliver(&mut self, batch: &Batch, rejected: RejectedInfo) {
        let n = batch.len();
        let ids = batch.ids();
        let events = batch.events();
        // AWS's semantics: too-new from its start index on (inclusive); too-old and expired up to
        // their end index (exclusive). Indexes beyond the batch are clamped, never trusted.
        let new_from = rejected.too_new_start_index.unwrap_or(n).min(n);
        let old_to = rejected.too_old_end_index.unwrap_or(0).min(n);
        let expired_to = rejected.expired_end_index.unwrap_or(0).min(n);
        let mut delivered = Vec::with_capacity(n);
        let (mut too_new, mut too_old, mut expired) = (Vec::new(), Vec::new(), Vec::new());
        let mut bytes = 0u64;
        for (i, (id, e)) in ids.iter().zip(events).enumerate() {
            if i >= new_from {
                too_new.push(*id);
            } else if i < old_to {
                too_old.push(*id);
            } else if i < expired_to {
                expired.push(*id);
            } else {
                bytes += e.message.len() as u64;
                delivered.push(*id);
            }
        }
        self.reject(too_old, RejectReason::TooOld, Rejector::Service);
        self.reject(expired, RejectReason::Expired, Rejector::Service);
        self.reject(too_new, RejectReason::TooNew, Rejector::Service);
        if !delivered.is_empty() {
            self.counters.events_delivered += delivered.len() as u64;
            self.counters.bytes_delivered += bytes;
            self.reports.push_back(Report::Delivered { ids: delivered });
        }
    }

    // ----- the engine -----

    fn has_capacity(&self) -> bool {
        self.puts_in_flight < self.max_in_flight
    }

    fn can_send(&self) -> bool {
        matches!(self.gate, Gate::Open) && self.has_capacity()
    }

    /// Whether the front of the buffer must be sent now: a full batch is waiting, the oldest event
    /// lingered long enough, a flush covers it, or the writer is closing.
    #[inline]
    fn batch_due(&self) -> bool {
        let Some(front) = self.buffer.front() else {
            return false;
        };
        let limits = &self.config.limits;
        self.closing
            || front.id.0 < self.flush_until
            || self.buffer.len() >= limits.max_batch_events
            || self.buffer.bytes() >= limits.max_batch_bytes
            || self.now >= front.arrival.plus_ms(self.config.linger_ms)
    }

    /// Does everything that can be done at `self.now`: opens expired gates, retries creation steps,
    /// and sends batches while capacity allows.
    fn drive(&mut self) {
        loop {
            match &mut self.gate {
                Gate::Waiting { until, .. } if *until <= self.now => self.gate = Gate::Open,
                Gate::Provisioning(p) => {
                    if let StepState::RetryAt { at, .. } = p.state {
                        if at <= self.now {
                            let step = p.step;
                            self.retry_setup(step);
                        }
                    }
                }
                Gate::Stopped if self.closing => self.drop_unsent(DropReason::Stopped),
                _ => {}
            }
            if !self.can_send() {
                return;
            }
            let mut batch = if let Some((_, b)) = self.resend.pop_first() {
                b
            } else if self.batch_due() {
                match self.cut() {
                    Some(b) => b,
                    None => continue,
                }
            } else {
                return;
            };
            if batch.needs_budget {
                match self.budget.withdraw(self.now) {
                    Ok(()) => batch.needs_budget = false,
                    Err(Empty::Until(at)) => {
                        self.resend.insert(batch.key(), batch);
                        self.gate = Gate::Waiting {
                            until: at,
                            reason: DeadlineReason::RetryBudget,
                        };
                        continue;
                    }
                    Err(Empty::Forever) => {
                        self.drop_events(batch.ids().to_vec(), DropReason::RetriesExhausted);
                        continue;
                    }
                }
            }
            self.send_put(batch);
        }
    }

    /// Cuts the next batch, queueing a dropped-events marker first when one is due.
    fn cut(&mut self) -> Option<Batch> {
        if self.dropped_since_marker > 0 {
            self.queue_marker();
        }
        let seq = self.next_batch;
        self.next_batch += 1;
        let batch = batch::cut(
            &mut self.buffer,
            &self.config.limits,
            &self.window,
            self.now,
            seq,
            &mut self.stale,
        );
        if !self.stale.is_empty() {
            let stale = std::mem::take(&mut self.stale);
            for reason in [
                RejectReason::TooOld,
                RejectReason::Expired,
                RejectReason::TooNew,
            ] {
                let ids: Vec<EventId> = stale
                    .iter()
                    .filter(|(_, r)| *r == reason)
                    .map(|(id, _)| *id)
                    .collect();
                self.reject(ids, reason, Rejector::Local);
            }
        }
        batch
    }

    fn queue_marker(&mut self) {
        let Some(template) = &self.config.dropped_marker else {
            self.dropped_since_marker = 0;
            return;
        };
        let dropped = self.dropped_since_marker;
        self.dropped_since_marker = 0;
        let mut message = template.replace("{n}", &dropped.to_string());
        message.truncate(oversize::floor_char_boundary(
            &message,
            self.max_message_bytes,
        ));
        if message.is_empty() {
            return;
        }
        let id = EventId(self.alloc_ids(1));
        self.counters.markers_queued += 1;
        self.reports.push_back(Report::MarkerQueued { id, dropped });
        // At the front, so that it goes out with the next batch: "delivery resumes here".
        self.buffer.push_front(Pending {
            id,
            timestamp: self.now,
            arrival: self.now,
            message,
        });
    }

    fn send_put(&mut self, mut batch: Batch) {
        if batch.awaiting_replay {
            batch.awaiting_replay = false;
            self.counters.retries.after_create += 1;
        }
        let sequence_token = if self.sequential {
            self.token.clone()
        } else {
            batch.token_override.clone()
        };
        let id = self.next_request_id();
        self.requests.push_back(Request {
            id,
            kind: RequestKind::PutLogEvents {
                log_group: self.config.log_group.clone(),
                log_stream: self.config.log_stream.clone(),
                events: batch.log_events(),
                sequence_token,
            },
        });
        self.counters.requests.put_log_events += 1;
        self.puts_in_flight += 1;
        self.in_flight.insert(id, InFlight::Put(batch));
    }

    fn next_request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        id
    }

    fn requeue(&mut self, batch: Batch) {
        self.resend.insert(batch.key(), batch);
    }

    /// Waits before the next send; a longer wait already in place is kept.
    fn wait(&mut self, delay: i64, reason: DeadlineReason) {
        let until = self.now.plus_ms(delay);
        match &self.gate {
            Gate::Open => self.gate = Gate::Waiting { until, reason },
            Gate::Waiting { until: current, .. } if *current < until => {
                self.gate = Gate::Waiting { until, reason }
            }
            _ => {}
        }
    }

    fn on_success(&mut self) {
        self.budget.deposit(self.now);
        self.consecutive_failures = 0;
    }

    fn on_put_outcome(&mut self, mut batch: Batch, class: Class) {
        match class {
            Class::Success {
                next_sequence_token,
                rejected,
            } => {
                self.on_success();
                self.consecutive_conflicts = 0;
                if self.sequential && next_sequence_token.is_some() {
                    // Absent when every event was rejected: the stream's token did not move.
                    self.token = next_sequence_token;
                }
                if batch.maybe_stored {
                    // Sequential: a strict service would have answered DataAlreadyAccepted had the
                    // lost attempt landed, but today's service ignores the identical token and may
                    // have stored the batch twice. Say so rather than claim exactly-once.
                    self.report_possible_duplicate(&mut batch);
                }
                self.deliver(&batch, rejected);
            }
            Class::AlreadyExists => {
                self.on_success();
                self.deliver(&batch, RejectedInfo::NONE);
            }
            Class::AlreadyAccepted { expected } => {
                // A lost answer's batch was stored: it is delivered, and `expected` is what the
                // stream wants next.
                self.on_success();
                self.consecutive_conflicts = 0;
                self.counters.data_already_accepted += 1;
                if self.sequential {
                    self.token = expected;
                }
                self.deliver(&batch, RejectedInfo::NONE);
            }
            Class::TokenConflict { expected } => {
                self.counters.token_conflicts += 1;
                self.counters.retries.token_conflict += 1;
                self.consecutive_conflicts += 1;
                if self.sequential {
                    self.token = expected;
                } else {
                    batch.token_override = expected;
                }
                self.requeue(batch);
                // The first conflict is a stale token: resend at once. Repeated conflicts mean
                // another writer on the stream: back off with jitter instead of racing it.
                if self.consecutive_conflicts >= 2 {
                    let delay = self
                        .backoff
                        .delay(self.consecutive_conflicts - 1, &mut self.rng);
                    self.wait(delay, DeadlineReason::TokenConflict);
                }
            }
            Class::NotFound(what) => self.on_not_found(batch, what),
            Class::Retry(cause) => self.on_retryable(batch, cause),
            Class::Invalid { message } => {
                if batch.len() <= 1 {
                    self.reject(
                        batch.ids().to_vec(),
                        RejectReason::InvalidParameter { message },
                        Rejector::Service,
                    );
                } else {
                    // Bisect: the halves that are fine get delivered, the bad event is isolated.
                    let (left, right) = batch.halves();
                    self.counters.retries.bisect += 2;
                    self.requeue(left);
                    self.requeue(right);
                }
            }
            Class::Fatal { code, message } => {
                self.requeue(batch);
                self.stop(code, message);
            }
        }
    }

    fn count_retry(&mut self, cause: RetryCause) {
        let r = &mut self.counters.retries;
        match cause {
            RetryCause::Throttled => r.throttled += 1,
            RetryCause::ServerError => r.server_error += 1,
            RetryCause::Unknown => r.unknown_outcome += 1,
            RetryCause::NotSent => r.not_sent += 1,
        }
    }

    fn delay_for(&mut self, cause: RetryCause, failures: u32) -> (i64, DeadlineReason) {
        if cause == RetryCause::Throttled {
            (
                self.throttle_backoff.delay(failures, &mut self.rng),
                DeadlineReason::ThrottleCooldown,
            )
        } else {
            (
                self.backoff.delay(failures, &mut self.rng),
                DeadlineReason::Backoff,
            )
        }
    }

    fn on_retryable(&mut self, mut batch: Batch, cause: RetryCause) {
        batch.retries += 1;
        if matches!(self.config.retry.max_retries_per_batch, Some(max) if batch.retries > max) {
            self.drop_events(batch.ids().to_vec(), DropReason::RetriesExhausted);
            return;
        }
        self.count_retry(cause);
        self.consecutive_failures += 1;
        if cause == RetryCause::Unknown {
            batch.maybe_stored = true;
            if !self.sequential {
                // Today's service does not deduplicate: the resend may store the batch twice.
                self.report_possible_duplicate(&mut batch);
            }
        }
        batch.needs_budget = true;
        self.requeue(batch);
        let (delay, reason) = self.delay_for(cause, self.consecutive_failures);
        self.wait(delay, reason);
    }

    fn report_possible_duplicate(&mut self, batch: &mut Batch) {
        if batch.duplicate_reported {
            return;
        }
        batch.duplicate_reported = true;
        self.counters.events_possible_duplicate += batch.len() as u64;
        self.reports.push_back(Report::PossibleDuplicate {
            ids: batch.ids().to_vec(),
        });
    }

    fn stop(&mut self, code: String, message: String) {
        if matches!(self.gate, Gate::Stopped) {
            return;
        }
        self.gate = Gate::Stopped;
        self.reports.push_back(Report::Fatal { code, message });
    }

    fn drop_unsent(&mut self, reason: DropReason) {
        let mut ids: Vec<EventId> = Vec::new();
        for (_, batch) in std::mem::take(&mut self.resend) {
            ids.extend_from_slice(batch.ids());
        }
        ids.extend(self.buffer.drain_all().map(|p| p.id));
        self.drop_events(ids, reason);
    }

    // ----- creating missing resources -----

    fn on_not_found(&mut self, mut batch: Batch, what: Missing) {
        batch.setups += 1;
        if batch.setups > MAX_SETUPS_PER_BATCH {
            self.drop_events(batch.ids().to_vec(), DropReason::ResourceNotFound { what });
            return;
        }
        if matches!(self.gate, Gate::Provisioning(_) | Gate::Stopped) {
            // Another batch already started creating (or the writer stopped): wait with it.
            batch.awaiting_replay = true;
            self.requeue(batch);
            return;
        }
        let auto = self.config.auto_create;
        let first = match what {
            Missing::LogGroup if auto.log_group => SetupStep::CreateGroup,
            Missing::LogStream if auto.log_stream => SetupStep::CreateStream,
            Missing::Unknown if auto.log_stream => SetupStep::CreateStream,
            Missing::Unknown if auto.log_group => SetupStep::CreateGroup,
            _ => {
                self.drop_events(batch.ids().to_vec(), DropReason::ResourceNotFound { what });
                return;
            }
        };
        batch.awaiting_replay = true;
        self.requeue(batch);
        self.gate = Gate::Provisioning(Provisioning {
            step: first,
            state: StepState::RetryAt {
                at: self.now,
                reason: DeadlineReason::Backoff,
            },
            group_tried: false,
            failures: 0,
        });
        self.issue_setup(first);
    }

    fn issue_setup(&mut self, step: SetupStep) {
        let id = self.next_request_id();
        let group = self.config.log_group.clone();
        let kind = match step {
            SetupStep::CreateGroup => {
                self.counters.requests.create_log_group += 1;
                RequestKind::CreateLogGroup { log_group: group }
            }
            SetupStep::PutRetention => {
                self.counters.requests.put_retention_policy += 1;
                RequestKind::PutRetentionPolicy {
                    log_group: group,
                    retention_days: self.config.retention_days.unwrap_or(1),
                }
            }
            SetupStep::CreateStream => {
                self.counters.requests.create_log_stream += 1;
                RequestKind::CreateLogStream {
                    log_group: group,
                    log_stream: self.config.log_stream.clone(),
                }
            }
        };
        self.requests.push_back(Request { id, kind });
        self.in_flight.insert(id, InFlight::Setup(step));
        if let Gate::Provisioning(p) = &mut self.gate {
            if p.step != step {
                p.failures = 0;
            }
            p.step = step;
            p.state = StepState::AwaitingResponse(id);
            if step == SetupStep::CreateGroup {
                p.group_tried = true;
            }
        }
    }

    /// A backoff of a creation step ended: pay for the retry, then send it.
    fn retry_setup(&mut self, step: SetupStep) {
        match self.budget.withdraw(self.now) {
            Ok(()) => self.issue_setup(step),
            Err(Empty::Until(at)) => {
                if let Gate::Provisioning(p) = &mut self.gate {
                    p.state = StepState::RetryAt {
                        at,
                        reason: DeadlineReason::RetryBudget,
                    };
                }
            }
            Err(Empty::Forever) => self.fail_setup(DropReason::RetriesExhausted),
        }
    }

    /// The step after `done` succeeded, or `None` when the stream should now exist.
    fn step_after(&self, done: SetupStep, created_group: bool) -> Option<SetupStep> {
        let auto = self.config.auto_create;
        match done {
            SetupStep::CreateGroup if created_group && self.config.retention_days.is_some() => {
                Some(SetupStep::PutRetention)
            }
            // A new group has no streams: create ours even if only group creation was enabled
            // would be surprising, so respect the flag.
            SetupStep::CreateGroup | SetupStep::PutRetention => {
                auto.log_stream.then_some(SetupStep::CreateStream)
            }
            SetupStep::CreateStream => None,
        }
    }

    fn on_setup_outcome(&mut self, id: RequestId, step: SetupStep, class: Class) {
        let Gate::Provisioning(p) = &self.gate else {
            return; // stopped or abandoned meanwhile: nothing waits for this answer
        };
        if !matches!(p.state, StepState::AwaitingResponse(waiting) if waiting == id) {
            self.counters.stale_responses += 1;
            return;
        }
        let group_tried = p.group_tried;
        let next = match (step, class) {
            (_, Class::Retry(cause)) => {
                self.count_retry(cause);
                self.consecutive_failures += 1;
                let failures = self.consecutive_failures;
                let (delay, reason) = self.delay_for(cause, failures);
                if let Gate::Provisioning(p) = &mut self.gate {
                    p.failures += 1;
                    p.state = StepState::RetryAt {
                        at: self.now.plus_ms(delay),
                        reason,
                    };
                }
                self.drive_setup_now();
                return;
            }
            (_, Class::Fatal { code, message }) => {
                self.stop(code, message);
                return;
            }
            (SetupStep::CreateGroup, Class::Success { .. }) => {
                self.on_success();
                self.reports.push_back(Report::ResourceCreated {
                    what: Missing::LogGroup,
                });
                self.step_after(step, true)
            }
            (SetupStep::CreateStream, Class::Success { .. }) => {
                self.on_success();
                self.reports.push_back(Report::ResourceCreated {
                    what: Missing::LogStream,
                });
                None
            }
            (SetupStep::CreateGroup | SetupStep::CreateStream, Class::AlreadyExists) => {
                self.on_success();
                self.step_after(step, false)
            }
            // A retention policy is a nicety: whatever it answers, carry on to the stream.
            (SetupStep::PutRetention, _) => self.step_after(step, false),
            (SetupStep::CreateStream, Class::NotFound(_)) => {
                if self.config.auto_create.log_group && !group_tried {
                    Some(SetupStep::CreateGroup)
                } else {
                    self.fail_setup(DropReason::ResourceNotFound {
                        what: Missing::LogGroup,
                    });
                    return;
                }
            }
            (_, Class::Invalid { message }) => {
                self.fail_setup(DropReason::CreateFailed { message });
                return;
            }
            (_, other) => {
                self.fail_setup(DropReason::CreateFailed {
                    message: format!("unexpected answer to {step:?}: {other:?}"),
                });
                return;
            }
        };
        match next {
            Some(step) => self.issue_setup(step),
            None => self.gate = Gate::Open, // the waiting batches replay from the resend queue
        }
    }

    /// A zero backoff should not wait for a timeout call.
    fn drive_setup_now(&mut self) {
        if let Gate::Provisioning(Provisioning {
            step,
            state: StepState::RetryAt { at, .. },
            ..
        }) = &self.gate
        {
            if *at <= self.now {
                let step = *step;
                self.retry_setup(step);
            }
        }
    }

    /// Creation failed: the batches waiting for it are dropped; later batches try again.
    fn fail_setup(&mut self, reason: DropReason) {
        self.gate = Gate::Open;
        let waiting: Vec<(u64, usize)> = self
            .resend
            .iter()
            .filter(|(_, b)| b.awaiting_replay)
            .map(|(k, _)| *k)
            .collect();
        let mut ids = Vec::new();
        for key in waiting {
            if let Some(b) = self.resend.remove(&key) {
                ids.extend_from_slice(b.ids());
            }
        }
        self.drop_events(ids, reason);
    }
}
