//! The discrete-event world: writers, the mock's decision, faults and a virtual clock.
//!
//! Actions (a push, a close, a request reaching the mock, an answer reaching a writer, a request
//! timeout, a background put) wait in a queue ordered by virtual time, then by a seeded tie-break,
//! so actions at the same instant interleave in a reproducible but arbitrary order. Besides the
//! queue, every writer has the deadline its `poll_timeout` gave after its last input; the clock
//! jumps to whichever comes first. After every input to a writer, its requests, reports and
//! deadline are drained, as token-core's drive contract asks.

use super::faults::FaultKind;
use super::record::{Commit, Fate, Owner, Pushed, WriterTrace};
use super::rng::SimRng;
use super::scenario::{
    EventSpec, Existing, MockTokens, Mode, Scenario, SimLimits, Size, Text, When, DAY_MS, HOUR_MS,
    T0,
};
use super::service::{api_request, outcome_of, stored_range, BackgroundPut, Service};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use token_core::{
    AutoCreate, BufferConfig, Error, Event, EventId, LogEvents, Outcome, OverflowPolicy, Report,
    Request, RequestId, RequestKind, RetryBudget, RetryPolicy, StreamWriter, TokenMode, UnixMillis,
    WriterConfig,
};

/// Something that happens at a virtual instant.
#[derive(Debug)]
enum Action {
    /// Writer `w` pushes its next event.
    Push(usize),
    /// Writer `w` is closed.
    Close(usize),
    /// A request reaches the mock and is decided.
    Arrive(usize, RequestId),
    /// An answer reaches the writer; `decided_at` is when the mock decided it (`None` when the
    /// answer was made up on the way: an injected error or a broken connection).
    Answer {
        writer: usize,
        id: RequestId,
        outcome: Outcome,
        decided_at: Option<i64>,
    },
    /// The writer's request timeout for this request.
    Timeout(usize, RequestId),
    /// The background writer of a stream makes its `k`-th put.
    Background(usize, u32),
}

/// A request the simulation carries.
struct InFlight {
    kind: RequestKind,
    fault: Option<FaultKind>,
    /// The writer has had its answer (or its timeout): anything later is dropped, as a driver that
    /// gave up on the call would.
    answered: bool,
}

/// The whole simulated world of one case, and, once run, what it observed.
pub struct World {
    /// The scenario it runs.
    pub scenario: Scenario,
    /// The mock's decision and store.
    pub service: Service,
    /// The writers under test.
    pub writers: Vec<StreamWriter>,
    /// What each writer did.
    pub traces: Vec<WriterTrace>,
    /// Per stream, every event the mock committed, in commit order.
    pub commits: Vec<Vec<Commit>>,
    /// Events a committed put rejected (too old, too new, expired) in an answer the writer never
    /// saw: if DataAlreadyAccepted later proves that put, the writer reports them delivered
    /// (`Report::Delivered`).
    pub rejected_unseen: BTreeSet<(usize, EventId)>,
    /// Events of a batch that a strict stream answered DataAlreadyAccepted although none of them
    /// was ever stored, because the batch had the token and the very messages of the last batch
    /// it accepted (CLOUDWATCH.md §3.1: a replay is recognised by its messages). Only repeated
    /// marker texts make such twins here; the writer reports them delivered.
    pub twin_replays: BTreeSet<(usize, EventId)>,
    /// Per stream, the puts the strict mock accepted although an earlier put that moved the
    /// stream's token on had carried the same token: two racers that both won, which only the
    /// legacy race window allows (CLOUDWATCH.md §3.1). Not counted against the current mock,
    /// which ignores tokens.
    pub raced_puts: Vec<u64>,
    /// Per stream, the accepted puts (writers' and the background writer's) that moved the token
    /// on: what the mock counts as `accepted_puts`.
    pub token_advances: Vec<u64>,
    /// Problems seen while running (limit breaches, unexpected answers, a hang).
    pub violations: Vec<String>,
    /// The virtual clock, ms.
    pub now: i64,
    /// Inputs processed.
    pub steps: u64,
    /// What happened, step by step, when asked for (`CWLOGS_SIM_TRACE` set): for reading a failing
    /// case, not for checking.
    pub log: Option<Vec<String>>,
    rng: SimRng,
    queue: BTreeMap<(i64, u64, u64), Action>,
    seq: u64,
    next_event: Vec<usize>,
    deadlines: Vec<Option<i64>>,
    in_flight: BTreeMap<(usize, RequestId), InFlight>,
    puts_in_flight: Vec<usize>,
    /// Per stream, the tokens accepted puts carried so far (for `raced_puts`).
    tokens_accepted: Vec<BTreeSet<Option<String>>>,
    /// Batches whose last attempt ended retryably: their next send is paid from the budget.
    awaiting_resend: Vec<BTreeSet<(EventId, usize)>>,
}

/// The `WriterConfig` of writer `w` in `scenario`.
pub fn writer_config(scenario: &Scenario, w: usize) -> WriterConfig {
    let spec = &scenario.writers[w];
    let stream = &scenario.streams[spec.stream];
    let l = scenario.limits;
    let r = spec.retry;
    WriterConfig {
        limits: token_core::Limits {
            max_batch_bytes: l.max_batch_bytes,
            max_batch_events: l.max_batch_events,
            max_event_bytes: l.max_event_bytes,
            ..token_core::Limits::default()
        },
        token_mode: match spec.mode {
            Mode::Sequential => TokenMode::Sequential,
            Mode::Concurrent(n) => TokenMode::Concurrent { max_in_flight: n },
        },
        linger_ms: spec.linger_ms,
        buffer: spec
            .buffer
            .map_or(BufferConfig::default(), |b| BufferConfig {
                max_events: b.max_events,
                overflow: b.overflow,
                ..BufferConfig::default()
            }),
        oversize: spec.oversize,
        auto_create: AutoCreate {
            log_group: spec.creates_missing,
            log_stream: spec.creates_missing,
        },
        retention_days: scenario.groups[stream.group].retention_days,
        retry: RetryPolicy {
            base_ms: r.base_ms,
            cap_ms: 2_000,
            throttle_base_ms: r.throttle_base_ms,
            budget: RetryBudget {
                max_retries: r.max_retries,
                refund_per_success_milli: r.refund_milli,
                refill_interval_ms: r.refill_ms,
            },
            max_retries_per_batch: r.per_batch,
        },
        dropped_marker: spec.marker.then(|| format!("w{w} dropped {{n}} events")),
        seed: scenario.seed ^ (w as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ..WriterConfig::new(
            Scenario::group_name(stream.group),
            Scenario::stream_name(spec.stream),
        )
    }
}

/// The message of event `i` of writer `w`, of the size asked for (exactly, even with multi-byte
/// characters: the last bytes are ASCII when a character would not fit).
///
/// The text is a run of numbered segments naming the event, so that every part a split can cut
/// from it holds a whole segment and no two events, or parts, have the same text. That matters on
/// a strict mock: a batch sent with the token of the last accepted batch and the same messages
/// gets DataAlreadyAccepted (CLOUDWATCH.md §3.1), which would make a different event with equal
/// text look delivered. An oversized message gets two more segments' worth of bytes, so its last
/// part is long enough too.
pub fn message(w: usize, i: usize, spec: &EventSpec, limits: &SimLimits) -> String {
    let segment = |k: usize| match spec.text {
        Text::Ascii => format!("w{w}e{i}.{k}|"),
        Text::Utf8 => format!("w{w}e{i}.{k}😀|"),
    };
    let longest = segment(99).len();
    let max = limits.max_message_bytes();
    let mut target = match spec.size {
        Size::Bytes(n) => n,
        Size::NearLimit(delta) => usize::try_from(max as i64 + delta).unwrap_or(1),
        Size::Times(k) => max * k + 7,
    }
    .max(segment(0).len());
    if target > max {
        target += 2 * longest;
    }
    let mut text = String::with_capacity(target);
    for k in 0.. {
        for c in segment(k).chars() {
            if text.len() >= target {
                return text;
            }
            text.push(if text.len() + c.len_utf8() <= target {
                c
            } else {
                '.'
            });
        }
    }
    text
}

/// An event's timestamp when pushed at `at`.
pub fn timestamp(at: i64, when: When, retention_days: Option<u32>) -> i64 {
    match when {
        When::Recent(ms) => at - ms,
        When::AgeEdge(ms) => at - 14 * DAY_MS + ms,
        When::RetentionEdge(ms) => match retention_days {
            Some(days) => at - i64::from(days) * DAY_MS + ms,
            None => at - ms,
        },
        When::TooOld => at - 15 * DAY_MS,
        When::FutureEdge(ms) => at + 2 * HOUR_MS - ms,
        When::TooNew => at + 3 * HOUR_MS,
    }
}

/// Why a PutLogEvents request breaks a limit, if it does.
pub fn limit_breach(events: &LogEvents, limits: &SimLimits) -> Option<String> {
    if events.is_empty() {
        return Some("an empty batch".into());
    }
    if events.len() > limits.max_batch_events {
        return Some(format!(
            "{} events > {}",
            events.len(),
            limits.max_batch_events
        ));
    }
    if let Some(e) = events.iter().find(|e| e.message.is_empty()) {
        return Some(format!("an empty message at {}", e.timestamp));
    }
    if let Some(e) = events
        .iter()
        .find(|e| e.message.len() + 26 > limits.max_event_bytes)
    {
        return Some(format!(
            "an event of {} B > {}",
            e.message.len() + 26,
            limits.max_event_bytes
        ));
    }
    if events.batch_bytes() > limits.max_batch_bytes {
        return Some(format!(
            "a batch of {} B > {}",
            events.batch_bytes(),
            limits.max_batch_bytes
        ));
    }
    if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        return Some("events out of chronological order".into());
    }
    let first = events.first().map_or(0, |e| e.timestamp.0);
    let last = events.last().map_or(0, |e| e.timestamp.0);
    if last - first > DAY_MS {
        return Some(format!("a span of {} ms > 24 h", last - first));
    }
    None
}

impl World {
    /// A world for `scenario`, with the resources that exist at start created.
    pub fn new(scenario: Scenario) -> Self {
        let service = Service::new(
            scenario.mock_tokens,
            scenario.race_window_ms,
            scenario.limits,
        );
        let writers: Vec<StreamWriter> = (0..scenario.writers.len())
            .map(|w| StreamWriter::new(writer_config(&scenario, w)).expect("valid writer config"))
            .collect();
        let n = writers.len();
        let mut world = World {
            rng: SimRng::new(scenario.seed),
            service,
            traces: (0..n).map(|_| WriterTrace::default()).collect(),
            commits: vec![Vec::new(); scenario.streams.len()],
            raced_puts: vec![0; scenario.streams.len()],
            token_advances: vec![0; scenario.streams.len()],
            tokens_accepted: vec![BTreeSet::new(); scenario.streams.len()],
            violations: Vec::new(),
            rejected_unseen: BTreeSet::new(),
            twin_replays: BTreeSet::new(),
            now: T0,
            steps: 0,
            log: std::env::var_os("CWLOGS_SIM_TRACE").map(|_| Vec::new()),
            queue: BTreeMap::new(),
            seq: 0,
            next_event: vec![0; n],
            deadlines: vec![None; n],
            in_flight: BTreeMap::new(),
            puts_in_flight: vec![0; n],
            awaiting_resend: vec![BTreeSet::new(); n],
            writers,
            scenario,
        };
        world.provision();
        world.schedule_start();
        world
    }

    fn provision(&mut self) {
        let before = T0 - 60_000;
        for (s, stream) in self.scenario.streams.iter().enumerate() {
            let group = Scenario::group_name(stream.group);
            let mut steps = Vec::new();
            if stream.existing != Existing::Neither {
                steps.push(("CreateLogGroup", json!({ "logGroupName": group })));
                if let Some(days) = self.scenario.groups[stream.group].retention_days {
                    steps.push((
                        "PutRetentionPolicy",
                        json!({ "logGroupName": group, "retentionInDays": days }),
                    ));
                }
            }
            if stream.existing == Existing::Both {
                let name = Scenario::stream_name(s);
                steps.push((
                    "CreateLogStream",
                    json!({ "logGroupName": group, "logStreamName": name }),
                ));
            }
            for (operation, body) in steps {
                if let Err(e) = self.service.provision(operation, body, before) {
                    self.violations.push(e);
                }
            }
        }
    }

    fn schedule_start(&mut self) {
        for w in 0..self.writers.len() {
            match self.scenario.writers[w].events.first() {
                Some(first) => {
                    let at = T0 + self.gap(first.gap_ms);
                    self.schedule(at, Action::Push(w));
                }
                None => {
                    let at = T0 + self.scenario.writers[w].close_after_ms;
                    self.schedule(at, Action::Close(w));
                }
            }
        }
        for s in 0..self.scenario.streams.len() {
            if let Some(bg) = self.scenario.streams[s].background {
                if bg.puts > 0 {
                    self.schedule(T0 + bg.every_ms, Action::Background(s, 0));
                }
            }
        }
    }

    /// A push gap: on 100 ms ticks in lockstep, so that writers send at the same instants.
    fn gap(&self, ms: i64) -> i64 {
        if self.scenario.network.lockstep {
            (ms + 99) / 100 * 100
        } else {
            ms
        }
    }

    fn latency(&mut self) -> i64 {
        let n = self.scenario.network;
        if n.lockstep {
            n.min_latency_ms
        } else {
            self.rng.between(n.min_latency_ms, n.max_latency_ms)
        }
    }

    fn schedule(&mut self, at: i64, action: Action) {
        let tie = self.rng.next_u64();
        self.seq += 1;
        self.queue.insert((at, tie, self.seq), action);
    }

    /// Runs until every writer is closed and nothing is in flight, or until `max_steps` inputs;
    /// a case that needs more is reported as a hang.
    pub fn run(&mut self, max_steps: u64) {
        loop {
            let queued = self.queue.keys().next().map(|k| k.0);
            let deadline = self
                .deadlines
                .iter()
                .enumerate()
                .filter_map(|(w, d)| d.map(|at| (at, w)))
                .min();
            let take_queue = match (queued, deadline) {
                (None, None) => break,
                (Some(q), Some((d, _))) => q <= d,
                (Some(_), None) => true,
                (None, Some(_)) => false,
            };
            if self.steps >= max_steps {
                self.violations.push(format!(
                    "no end after {max_steps} steps (virtual time +{} ms): writers {}",
                    self.now - T0,
                    self.describe_writers()
                ));
                return;
            }
            self.steps += 1;
            if take_queue {
                let Some(((at, _, _), action)) = self.queue.pop_first() else {
                    break;
                };
                self.now = self.now.max(at);
                self.act(action);
            } else if let Some((at, w)) = deadline {
                self.now = self.now.max(at);
                let now = UnixMillis(self.now);
                self.writers[w].handle_timeout(now);
                self.drain(w, None);
            }
        }
        for w in 0..self.writers.len() {
            if !self.writers[w].is_closed() {
                self.violations.push(format!(
                    "writer {w} never finished: nothing left to wait for, but {} (a hang)",
                    self.describe_writer(w)
                ));
            }
        }
    }

    fn describe_writer(&self, w: usize) -> String {
        let writer = &self.writers[w];
        format!(
            "closed={} buffered={} in_flight={} deadline={:?} stopped={}",
            writer.is_closed(),
            writer.buffered_events(),
            writer.in_flight_events(),
            writer.poll_timeout(),
            writer.is_stopped()
        )
    }

    fn describe_writers(&self) -> String {
        (0..self.writers.len())
            .map(|w| format!("[{w}: {}]", self.describe_writer(w)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Push(w) => self.push(w),
            Action::Close(w) => {
                self.writers[w].close(UnixMillis(self.now));
                self.drain(w, None);
            }
            Action::Arrive(w, id) => self.arrive(w, id),
            Action::Answer {
                writer,
                id,
                outcome,
                decided_at,
            } => self.answer(writer, id, outcome, decided_at),
            Action::Timeout(w, id) => self.answer(w, id, Outcome::Unknown, None),
            Action::Background(s, k) => self.background(s, k),
        }
    }

    fn push(&mut self, w: usize) {
        let i = self.next_event[w];
        self.next_event[w] += 1;
        let spec = self.scenario.writers[w].events[i];
        let stream = self.scenario.writers[w].stream;
        let retention = self.scenario.groups[self.scenario.streams[stream].group].retention_days;
        let text = message(w, i, &spec, &self.scenario.limits);
        let ts = timestamp(self.now, spec.when, retention);
        let now = UnixMillis(self.now);
        note(&mut self.log, self.now, || {
            format!("writer {w} pushes #{i} at {ts}: {text:?}")
        });
        match self.writers[w].push(Event::new(ts, text.clone()), now) {
            Ok(ids) => self.traces[w].pushes.push(Pushed {
                ids,
                timestamp: ts,
                message: text,
                at: self.now,
            }),
            Err(Error::BufferFull { .. } | Error::TooLargeForBuffer { .. })
                if self.scenario.writers[w]
                    .buffer
                    .is_some_and(|b| b.overflow == OverflowPolicy::Reject) =>
            {
                self.traces[w].refused += 1;
            }
            Err(e) => self
                .violations
                .push(format!("writer {w} refused push #{i}: {e:?}")),
        }
        if spec.flush {
            self.writers[w].flush(now);
        }
        self.drain(w, None);
        let spec = &self.scenario.writers[w];
        match spec.events.get(i + 1) {
            Some(next) => {
                let at = self.now + self.gap(next.gap_ms);
                self.schedule(at, Action::Push(w));
            }
            None => {
                let at = self.now + spec.close_after_ms;
                self.schedule(at, Action::Close(w));
            }
        }
    }

    /// Drains writer `w` after an input: requests, then reports, then its deadline.
    fn drain(&mut self, w: usize, decided_at: Option<i64>) {
        let mut requests = Vec::new();
        while let Some(request) = self.writers[w].poll_request() {
            requests.push(request);
        }
        let mut reports = Vec::new();
        while let Some(report) = self.writers[w].poll_report() {
            reports.push(report);
        }
        self.deadlines[w] = self.writers[w].poll_timeout().map(|d| d.at.0);
        for request in requests {
            self.send(w, request);
        }
        for report in reports {
            self.record(w, report, decided_at);
        }
    }

    fn send(&mut self, w: usize, request: Request) {
        if let RequestKind::PutLogEvents { events, .. } = &request.kind {
            if let Some(breach) = limit_breach(events, &self.scenario.limits) {
                self.violations.push(format!(
                    "writer {w} sent {} breaking a limit: {breach}",
                    request.id
                ));
            }
            let trace = &mut self.traces[w];
            for (id, e) in events.ids().iter().zip(events.iter()) {
                let sent = (e.timestamp.0, e.message.clone());
                if let Some(before) = trace.sent.insert(*id, sent.clone()) {
                    if before != sent {
                        self.violations.push(format!(
                            "writer {w} sent {id} as {sent:?} after sending it as {before:?}"
                        ));
                    }
                }
            }
            self.puts_in_flight[w] += 1;
            trace.max_puts_in_flight = trace.max_puts_in_flight.max(self.puts_in_flight[w]);
            if let Some(key) = events.ids().first().map(|first| (*first, events.len())) {
                if self.awaiting_resend[w].remove(&key) {
                    trace.budgeted_resends += 1;
                    *trace.resends_per_batch.entry(key).or_default() += 1;
                }
            }
        }
        let fault = self.scenario.faults.pick(&mut self.rng);
        note(&mut self.log, self.now, || {
            format!(
                "writer {w} sends {} {}, fault {fault:?}",
                request.id,
                describe(&request.kind)
            )
        });
        let timeout = self.scenario.network.timeout_ms;
        let there = self.latency();
        match fault {
            Some(kind @ (FaultKind::Throttle | FaultKind::Unavailable | FaultKind::Internal)) => {
                let back = self.latency();
                let outcome = kind.error_answer().map_or(Outcome::Unknown, |a| {
                    outcome_of(request.kind.operation(), &a)
                });
                self.schedule(
                    self.now + there + back,
                    Action::Answer {
                        writer: w,
                        id: request.id,
                        outcome,
                        decided_at: None,
                    },
                );
            }
            Some(FaultKind::ResetBeforeCommit) => self.schedule(
                self.now + there,
                Action::Answer {
                    writer: w,
                    id: request.id,
                    outcome: Outcome::Unknown,
                    decided_at: None,
                },
            ),
            Some(FaultKind::SlowResponse) => {
                let late = self.rng.between(1, self.scenario.network.slow_extra_ms);
                self.schedule(self.now + timeout + late, Action::Arrive(w, request.id));
            }
            Some(FaultKind::LostResponse) | None => {
                self.schedule(self.now + there, Action::Arrive(w, request.id));
            }
        }
        self.schedule(self.now + timeout, Action::Timeout(w, request.id));
        self.in_flight.insert(
            (w, request.id),
            InFlight {
                kind: request.kind,
                fault,
                answered: false,
            },
        );
    }

    fn arrive(&mut self, w: usize, id: RequestId) {
        let Some(sent) = self.in_flight.get(&(w, id)) else {
            return;
        };
        let operation = sent.kind.operation();
        let Some(api) = api_request(&sent.kind) else {
            self.violations.push(format!(
                "writer {w} sent a request of an unknown kind: {:?}",
                sent.kind
            ));
            return;
        };
        let answer = self.service.decide(&api, self.now);
        let body = answer.body.clone();
        note(&mut self.log, self.now, || {
            format!("writer {w}'s {id} arrives; the mock answers {body}")
        });
        let expected_error = match (operation, answer.error_type) {
            (_, None) => true,
            ("PutLogEvents", Some(code)) => matches!(
                code,
                "ResourceNotFoundException"
                    | "InvalidSequenceTokenException"
                    | "DataAlreadyAcceptedException"
            ),
            (_, Some(code)) => {
                matches!(
                    code,
                    "ResourceNotFoundException" | "ResourceAlreadyExistsException"
                )
            }
        };
        if !expected_error {
            self.violations.push(format!(
                "the mock refused writer {w}'s {operation} ({id}): {}",
                answer.body
            ));
        }
        // The token of an accepted put that moved the stream's token on, counted once `sent` is
        // no longer borrowed.
        let mut advanced_with = None;
        if let RequestKind::PutLogEvents {
            events,
            log_group,
            log_stream,
            sequence_token,
        } = &sent.kind
        {
            // A strict stream takes no new token from a put it stored nothing of (CLOUDWATCH.md
            // §3.1): the next put rightly carries the same one, which is no race.
            let advanced = self.scenario.mock_tokens == MockTokens::Current
                || !stored_range(&answer, events.len()).is_empty();
            if answer.error_type.is_none() && advanced {
                advanced_with = Some(sequence_token.clone());
            }
            if answer.error_type == Some("DataAlreadyAcceptedException") {
                let stream = self.scenario.writers[w].stream;
                let never_stored = !self.commits[stream]
                    .iter()
                    .any(|c| matches!(c.owner, Owner::Writer(o, id) if o == w && events.ids().contains(&id)));
                if never_stored {
                    let messages: Vec<String> = events.iter().map(|e| e.message.clone()).collect();
                    if self.service.last_batch(log_group, log_stream) == Some(messages) {
                        self.twin_replays
                            .extend(events.ids().iter().map(|id| (w, *id)));
                    } else {
                        self.violations.push(format!(
                            "the mock answered DataAlreadyAccepted to writer {w}'s {id}, which was never stored"
                        ));
                    }
                }
            }
            if answer.error_type.is_none() {
                let stream = self.scenario.writers[w].stream;
                let stored = stored_range(&answer, events.len());
                for (i, id) in events.ids().iter().enumerate() {
                    if stored.contains(&i) {
                        self.commits[stream].push(Commit {
                            owner: Owner::Writer(w, *id),
                            timestamp: events[i].timestamp.0,
                            message: events[i].message.clone(),
                        });
                    } else if matches!(
                        sent.fault,
                        Some(FaultKind::LostResponse | FaultKind::SlowResponse)
                    ) {
                        self.rejected_unseen.insert((w, *id));
                    }
                }
            }
        }
        let outcome = if sent.fault == Some(FaultKind::LostResponse) {
            Outcome::Unknown
        } else {
            outcome_of(operation, &answer)
        };
        if let Some(token) = advanced_with {
            self.note_token_advanced(self.scenario.writers[w].stream, token);
        }
        let back = self.latency();
        self.schedule(
            self.now + back,
            Action::Answer {
                writer: w,
                id,
                outcome,
                decided_at: Some(self.now),
            },
        );
    }

    fn answer(&mut self, w: usize, id: RequestId, outcome: Outcome, decided_at: Option<i64>) {
        let Some(sent) = self.in_flight.get_mut(&(w, id)) else {
            return;
        };
        if sent.answered {
            return;
        }
        sent.answered = true;
        note(&mut self.log, self.now, || {
            format!("writer {w} gets {outcome:?} for {id}")
        });
        if let RequestKind::PutLogEvents { events, .. } = &sent.kind {
            self.puts_in_flight[w] -= 1;
            let retryable = matches!(
                outcome,
                Outcome::Throttled
                    | Outcome::ServiceUnavailable
                    | Outcome::ServerError { .. }
                    | Outcome::Unknown
                    | Outcome::NotSent
            );
            if retryable {
                if let Some(first) = events.ids().first() {
                    self.awaiting_resend[w].insert((*first, events.len()));
                }
            }
        }
        let success = match (&outcome, sent.kind.operation()) {
            (_, "PutRetentionPolicy") => false,
            (Outcome::Accepted { .. } | Outcome::DataAlreadyAccepted { .. }, _) => true,
            (Outcome::Created | Outcome::AlreadyExists, _) => true,
            _ => false,
        };
        if success {
            self.traces[w].successes += 1;
        }
        self.writers[w].handle_response(id, outcome, UnixMillis(self.now));
        self.drain(w, decided_at);
    }

    fn background(&mut self, s: usize, k: u32) {
        let group = Scenario::group_name(self.scenario.streams[s].group);
        let stream = Scenario::stream_name(s);
        let text = format!("bg:{s}:{k}");
        match self
            .service
            .background_put(&group, &stream, &text, self.now)
        {
            Ok(BackgroundPut::Stored { token }) => {
                self.note_token_advanced(s, token);
                self.commits[s].push(Commit {
                    owner: Owner::Background,
                    timestamp: self.now,
                    message: text,
                });
            }
            Ok(BackgroundPut::NoStream) => {}
            Err(e) => self.violations.push(e),
        }
        if let Some(bg) = self.scenario.streams[s].background {
            if k + 1 < bg.puts {
                self.schedule(self.now + bg.every_ms, Action::Background(s, k + 1));
            }
        }
    }

    /// Counts a put that moved stream `s`'s token on, and whether the token it carried had already
    /// moved it on once.
    fn note_token_advanced(&mut self, s: usize, token: Option<String>) {
        self.token_advances[s] += 1;
        if self.scenario.mock_tokens == MockTokens::Strict
            && !self.tokens_accepted[s].insert(token.clone())
        {
            self.raced_puts[s] += 1;
            note(&mut self.log, self.now, || {
                format!(
                    "stream {s} accepted a second put with token {:?}: the legacy race window",
                    token.as_deref().map(|t| &t[t.len().saturating_sub(4)..])
                )
            });
        }
    }

    fn record(&mut self, w: usize, report: Report, decided_at: Option<i64>) {
        note(&mut self.log, self.now, || {
            format!("writer {w} reports {report:?}")
        });
        let now = self.now;
        let trace = &mut self.traces[w];
        let mut end = |ids: Vec<EventId>, fate: Fate, violations: &mut Vec<String>| {
            for id in ids {
                if let Some(before) = trace.fates.insert(id, fate.clone()) {
                    violations.push(format!(
                        "writer {w}: {id} ended twice: {before:?}, then {fate:?}"
                    ));
                }
            }
        };
        match report {
            Report::Delivered { ids } => end(ids, Fate::Delivered, &mut self.violations),
            Report::Rejected { ids, reason, by } => {
                let decided_at = match by {
                    token_core::Rejector::Local => now,
                    token_core::Rejector::Service => decided_at.unwrap_or_else(|| {
                        self.violations.push(format!(
                            "writer {w} reported a rejection by the service without an answer from it"
                        ));
                        now
                    }),
                };
                end(
                    ids,
                    Fate::Rejected {
                        reason,
                        by,
                        decided_at,
                    },
                    &mut self.violations,
                );
            }
            Report::Dropped { ids, reason } => {
                end(ids, Fate::Dropped(reason), &mut self.violations)
            }
            Report::PossibleDuplicate { ids } => trace.possible_duplicates.extend(ids),
            Report::Truncated { id, .. } => {
                trace.truncated.insert(id);
            }
            Report::MarkerQueued { id, .. } => {
                trace.markers.insert(id);
            }
            Report::Fatal { code, message } => trace.fatal.push(format!("{code}: {message}")),
            // Split parts are known from the push; created resources from the store.
            _ => {}
        }
    }
}

/// A request in one line, for the trace.
fn describe(kind: &RequestKind) -> String {
    match kind {
        RequestKind::PutLogEvents {
            events,
            sequence_token,
            ..
        } => format!(
            "PutLogEvents {:?} token {:?}",
            events.ids().iter().map(|id| id.0).collect::<Vec<_>>(),
            sequence_token
                .as_deref()
                .map(|t| &t[t.len().saturating_sub(4)..])
        ),
        other => other.operation().to_owned(),
    }
}

/// Adds a line to the trace, when one is kept.
fn note(log: &mut Option<Vec<String>>, now: i64, line: impl FnOnce() -> String) {
    if let Some(log) = log {
        log.push(format!("+{} ms: {}", now - T0, line()));
    }
}
