//! Shared test helpers: a scripted fake CloudWatch Logs service (strict legacy-token mode and
//! today's token-ignoring mode), seeded fault presets, a simulator with a virtual clock that jumps
//! to the next deadline, and a ledger that checks every event's fate.
#![allow(dead_code)] // each test file uses a different part of the helpers

use std::collections::{BTreeMap, BTreeSet};
use token_core::limits::{Limits, DAY_MS, HOUR_MS};
use token_core::*;

/// A fixed "now" far from the epoch, so that 14-day windows fit on both sides.
pub const T0: UnixMillis = UnixMillis(1_700_000_000_000);

/// A config for tests: Sequential unless changed, no linger, creating resources.
pub fn config() -> WriterConfig {
    WriterConfig {
        linger_ms: 0,
        token_mode: TokenMode::Sequential,
        seed: 42,
        ..WriterConfig::new("group", "stream")
    }
}

pub fn writer(config: WriterConfig) -> StreamWriter {
    StreamWriter::new(config).expect("valid config")
}

/// Everything one input produced.
#[derive(Debug, Default)]
pub struct Drained {
    pub requests: Vec<Request>,
    pub reports: Vec<Report>,
}

impl Drained {
    pub fn puts(&self) -> Vec<&Request> {
        self.requests
            .iter()
            .filter(|r| matches!(r.kind, RequestKind::PutLogEvents { .. }))
            .collect()
    }

    pub fn delivered(&self) -> Vec<EventId> {
        self.reports
            .iter()
            .flat_map(|r| match r {
                Report::Delivered { ids } => ids.clone(),
                _ => Vec::new(),
            })
            .collect()
    }
}

pub fn drain(w: &mut StreamWriter) -> Drained {
    let mut d = Drained::default();
    while let Some(r) = w.poll_request() {
        d.requests.push(r);
    }
    while let Some(r) = w.poll_report() {
        d.reports.push(r);
    }
    d
}

/// The events and token of a PutLogEvents request; panics on any other kind.
pub fn put_of(r: &Request) -> (&LogEvents, Option<&str>) {
    match &r.kind {
        RequestKind::PutLogEvents {
            events,
            sequence_token,
            ..
        } => (events, sequence_token.as_deref()),
        other => panic!("expected PutLogEvents, got {other:?}"),
    }
}

pub fn messages(events: &LogEvents) -> Vec<String> {
    events.iter().map(|e| e.message.clone()).collect()
}

pub fn ids(v: impl IntoIterator<Item = u64>) -> Vec<EventId> {
    v.into_iter().map(EventId).collect()
}

// ---------------------------------------------------------------------------------------------
// Ledger: the fate of every event.

/// How an event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    Rejected(RejectReason, Rejector),
    Dropped(DropReason),
}

/// Records reports and fails on any event that ends twice.
#[derive(Debug, Default)]
pub struct Ledger {
    pub accepted: BTreeSet<EventId>,
    pub fate: BTreeMap<EventId, Fate>,
    pub delivered_order: Vec<EventId>,
    pub possible_duplicates: BTreeSet<EventId>,
    pub markers: Vec<EventId>,
    pub fatal: Vec<(String, String)>,
    pub errors: Vec<String>,
}

impl Ledger {
    pub fn accept(&mut self, ids: EventIds) {
        self.accepted.extend(ids.iter());
    }

    fn end(&mut self, id: EventId, fate: Fate) {
        if let Some(previous) = self.fate.insert(id, fate.clone()) {
            self.errors
                .push(format!("{id} ended twice: {previous:?} then {fate:?}"));
        }
        if !self.accepted.contains(&id) {
            self.errors
                .push(format!("{id} reported but never accepted"));
        }
    }

    pub fn record(&mut self, report: &Report) {
        match report {
            Report::Delivered { ids } => {
                for id in ids {
                    self.end(*id, Fate::Delivered);
                    self.delivered_order.push(*id);
                }
            }
            Report::Rejected { ids, reason, by } => {
                for id in ids {
                    self.end(*id, Fate::Rejected(reason.clone(), *by));
                }
            }
            Report::Dropped { ids, reason } => {
                for id in ids {
                    self.end(*id, Fate::Dropped(reason.clone()));
                }
            }
            Report::PossibleDuplicate { ids } => self.possible_duplicates.extend(ids),
            Report::MarkerQueued { id, .. } => {
                self.accepted.insert(*id);
                self.markers.push(*id);
            }
            Report::Fatal { code, message } => self.fatal.push((code.clone(), message.clone())),
            _ => {}
        }
    }

    /// Ids accepted that have no terminal report yet.
    pub fn open(&self) -> Vec<EventId> {
        self.accepted
            .iter()
            .filter(|id| !self.fate.contains_key(id))
            .copied()
            .collect()
    }

    pub fn count(&self, pred: impl Fn(&Fate) -> bool) -> usize {
        self.fate.values().filter(|f| pred(f)).count()
    }
}

// ---------------------------------------------------------------------------------------------
// A tiny seeded generator for the fake service's faults (independent of the writer's).

#[derive(Debug, Clone)]
pub struct Rng(token_core::SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(token_core::SplitMix64::new(seed ^ 0xA076_1D64_78BD_642F))
    }

    pub fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        percent > 0 && self.next() % 100 < percent
    }
}

// ---------------------------------------------------------------------------------------------
// The fake service.

/// Token semantics of the fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSemantics {
    /// Before January 2023: tokens enforced, DataAlreadyAccepted on a replayed batch.
    Strict,
    /// Today: tokens ignored, a token still returned.
    Current,
}

/// Seeded fault probabilities, in percent, per request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    pub throttle: u64,
    pub unavailable: u64,
    pub server_error: u64,
    pub not_sent: u64,
    /// Applied, then the answer is lost (Unknown).
    pub lost_after_commit: u64,
    /// Lost before being applied (Unknown).
    pub lost_before_commit: u64,
}

impl Faults {
    pub fn none() -> Self {
        Self::default()
    }

    /// Occasional 5xx and failures before sending.
    pub fn flaky() -> Self {
        Faults {
            unavailable: 5,
            server_error: 5,
            not_sent: 5,
            ..Self::default()
        }
    }

    /// A service that throttles a third of all calls.
    pub fn throttled() -> Self {
        Faults {
            throttle: 33,
            ..Self::default()
        }
    }

    /// Answers lost in transit, both before and after the request was applied.
    pub fn lost_responses() -> Self {
        Faults {
            lost_after_commit: 10,
            lost_before_commit: 5,
            ..Self::default()
        }
    }

    /// Everything at once.
    pub fn chaos() -> Self {
        Faults {
            throttle: 10,
            unavailable: 5,
            server_error: 3,
            not_sent: 3,
            lost_after_commit: 5,
            lost_before_commit: 3,
        }
    }
}

#[derive(Debug, Default)]
pub struct Stream {
    pub stored: Vec<(i64, String)>,
    next_token: Option<String>,
    counter: u64,
    last_batch: Option<(Option<String>, Vec<String>)>,
}

/// A scripted CloudWatch Logs: validates every PutLogEvents limit like AWS and records breaches.
#[derive(Debug)]
pub struct FakeService {
    pub semantics: TokenSemantics,
    pub limits: Limits,
    pub faults: Faults,
    rng: Rng,
    pub groups: BTreeMap<String, BTreeMap<String, Stream>>,
    pub retention: BTreeMap<String, u32>,
    /// Limit breaches seen in requests: each is a writer bug.
    pub violations: Vec<String>,
    pub calls: BTreeMap<&'static str, u64>,
    /// Messages containing this are refused with InvalidParameterException (as if malformed).
    pub poison: Option<String>,
    /// Scripted answers per operation, used (without applying the request) before anything else.
    pub script: BTreeMap<&'static str, std::collections::VecDeque<Outcome>>,
}

impl FakeService {
    pub fn new(semantics: TokenSemantics, faults: Faults, seed: u64) -> Self {
        Self {
            semantics,
            limits: Limits::default(),
            faults,
            rng: Rng::new(seed),
            groups: BTreeMap::new(),
            retention: BTreeMap::new(),
            violations: Vec::new(),
            calls: BTreeMap::new(),
            poison: None,
            script: BTreeMap::new(),
        }
    }

    /// The next `times` calls of `operation` get `outcome` without being applied.
    pub fn script(mut self, operation: &'static str, outcome: Outcome, times: usize) -> Self {
        let q = self.script.entry(operation).or_default();
        q.extend(std::iter::repeat_n(outcome, times));
        self
    }

    /// A service where `group`/`stream` already exist.
    pub fn with_stream(mut self, group: &str, stream: &str) -> Self {
        self.groups
            .entry(group.to_owned())
            .or_default()
            .entry(stream.to_owned())
            .or_default();
        self
    }

    pub fn stream(&self, group: &str, stream: &str) -> Option<&Stream> {
        self.groups.get(group)?.get(stream)
    }

    pub fn stored(&self, group: &str, stream: &str) -> Vec<String> {
        self.stream(group, stream)
            .map(|s| s.stored.iter().map(|(_, m)| m.clone()).collect())
            .unwrap_or_default()
    }

    /// Answers one request at `now`, with faults.
    pub fn answer(&mut self, kind: &RequestKind, now: UnixMillis) -> Outcome {
        *self.calls.entry(kind.operation()).or_default() += 1;
        if let RequestKind::PutLogEvents { events, .. } = kind {
            self.check_limits(events);
        }
        if let Some(outcome) = self
            .script
            .get_mut(kind.operation())
            .and_then(|q| q.pop_front())
        {
            return outcome;
        }
        let f = self.faults;
        if self.rng.chance(f.not_sent) {
            return Outcome::NotSent;
        }
        if self.rng.chance(f.throttle) {
            return Outcome::Throttled;
        }
        if self.rng.chance(f.unavailable) {
            return Outcome::ServiceUnavailable;
        }
        if self.rng.chance(f.server_error) {
            return Outcome::ServerError { status: 500 };
        }
        if self.rng.chance(f.lost_before_commit) {
            return Outcome::Unknown;
        }
        let outcome = self.apply(kind, now);
        if self.rng.chance(f.lost_after_commit) {
            return Outcome::Unknown;
        }
        outcome
    }

    fn check_limits(&mut self, events: &LogEvents) {
        let l = &self.limits;
        let mut v = Vec::new();
        if events.is_empty() {
            v.push("empty batch".to_owned());
        }
        if events.len() > l.max_batch_events {
            v.push(format!("{} events", events.len()));
        }
        if events.batch_bytes() > l.max_batch_bytes {
            v.push(format!("{} bytes", events.batch_bytes()));
        }
        if events.windows(2).any(|w| w[0].timestamp > w[1].timestamp) {
            v.push("not chronological".to_owned());
        }
        if let (Some(first), Some(last)) = (events.first(), events.last()) {
            if last.timestamp.since(first.timestamp) > l.max_batch_span_ms {
                v.push("span over 24 h".to_owned());
            }
        }
        for e in events.iter() {
            if e.message.is_empty() {
                v.push("empty message".to_owned());
            }
            if e.message.len() + 26 > l.max_event_bytes {
                v.push(format!("event of {} bytes", e.message.len() + 26));
            }
        }
        self.violations.extend(v);
    }

    fn apply(&mut self, kind: &RequestKind, now: UnixMillis) -> Outcome {
        match kind {
            RequestKind::CreateLogGroup { log_group } => {
                if self.groups.contains_key(log_group) {
                    Outcome::AlreadyExists
                } else {
                    self.groups.insert(log_group.clone(), BTreeMap::new());
                    Outcome::Created
                }
            }
            RequestKind::PutRetentionPolicy {
                log_group,
                retention_days,
            } => {
                if !self.groups.contains_key(log_group) {
                    return Outcome::ResourceNotFound {
                        what: Missing::LogGroup,
                    };
                }
                self.retention.insert(log_group.clone(), *retention_days);
                Outcome::Created
            }
            RequestKind::CreateLogStream {
                log_group,
                log_stream,
            } => match self.groups.get_mut(log_group) {
                None => Outcome::ResourceNotFound {
                    what: Missing::LogGroup,
                },
                Some(g) if g.contains_key(log_stream) => Outcome::AlreadyExists,
                Some(g) => {
                    g.insert(log_stream.clone(), Stream::default());
                    Outcome::Created
                }
            },
            RequestKind::PutLogEvents {
                log_group,
                log_stream,
                events,
                sequence_token,
            } => self.put(
                log_group,
                log_stream,
                events,
                sequence_token.as_deref(),
                now,
            ),
            other => panic!("unexpected request {other:?}"),
        }
    }

    fn put(
        &mut self,
        group: &str,
        stream: &str,
        events: &LogEvents,
        token: Option<&str>,
        now: UnixMillis,
    ) -> Outcome {
        let semantics = self.semantics;
        let limits = self.limits.clone();
        let retention = self.retention.get(group).copied();
        let poison = self.poison.clone();
        let Some(g) = self.groups.get_mut(group) else {
            return Outcome::ResourceNotFound {
                what: Missing::LogGroup,
            };
        };
        let Some(s) = g.get_mut(stream) else {
            return Outcome::ResourceNotFound {
                what: Missing::LogStream,
            };
        };
        if let Some(p) = &poison {
            if events.iter().any(|e| e.message.contains(p.as_str())) {
                return Outcome::InvalidParameter {
                    message: "1 validation error detected: poisoned event".to_owned(),
                };
            }
        }
        let msgs: Vec<String> = events.iter().map(|e| e.message.clone()).collect();
        if semantics == TokenSemantics::Strict && token != s.next_token.as_deref() {
            let same_batch =
                matches!(&s.last_batch, Some((t, m)) if t.as_deref() == token && *m == msgs);
            return if same_batch {
                Outcome::DataAlreadyAccepted {
                    expected: s.next_token.clone(),
                }
            } else {
                Outcome::InvalidSequenceToken {
                    expected: s.next_token.clone(),
                }
            };
        }
        // rejectedLogEventsInfo, with AWS's index semantics.
        let n = events.len();
        let too_new_start = events
            .iter()
            .position(|e| e.timestamp > now.plus_ms(limits.max_future_ms));
        let too_old_end = events
            .iter()
            .rposition(|e| e.timestamp < now.minus_ms(limits.max_age_ms))
            .map(|i| i + 1);
        let expired_end = retention.and_then(|days| {
            events
                .iter()
                .rposition(|e| e.timestamp < now.minus_ms(i64::from(days) * DAY_MS))
                .map(|i| i + 1)
        });
        let mut stored_any = false;
        for (i, e) in events.iter().enumerate() {
            let bad = too_new_start.is_some_and(|s| i >= s)
                || too_old_end.is_some_and(|t| i < t)
                || expired_end.is_some_and(|t| i < t);
            if !bad {
                s.stored.push((e.timestamp.0, e.message.clone()));
                stored_any = true;
            }
        }
        let _ = n;
        if stored_any || semantics == TokenSemantics::Current {
            s.counter += 1;
            let token = format!("49{:054}", s.counter);
            s.last_batch = Some((token_or_none(s.next_token.as_deref()), msgs));
            s.next_token = Some(token);
        }
        Outcome::Accepted {
            next_sequence_token: if stored_any || semantics == TokenSemantics::Current {
                s.next_token.clone()
            } else {
                None
            },
            rejected: RejectedInfo {
                too_new_start_index: too_new_start,
                too_old_end_index: too_old_end,
                expired_end_index: expired_end,
            },
        }
    }
}

fn token_or_none(t: Option<&str>) -> Option<String> {
    t.map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// The simulator: several writers, one fake service, a virtual clock.

pub struct SimWriter {
    pub writer: StreamWriter,
    pub ledger: Ledger,
    pub group: String,
    pub stream: String,
    /// Most PutLogEvents this writer had in flight at once.
    pub max_puts_in_flight: usize,
    puts_in_flight: usize,
    /// The message each event id was last sent with.
    pub sent: BTreeMap<EventId, String>,
}

/// A response on its way back.
struct InTransit {
    at: UnixMillis,
    writer: usize,
    id: RequestId,
    put: bool,
    outcome: Outcome,
}

pub struct Sim {
    pub now: UnixMillis,
    pub service: FakeService,
    pub writers: Vec<SimWriter>,
    /// Round-trip time of every request.
    pub latency_ms: i64,
    transit: Vec<InTransit>,
    pub steps: u64,
}

impl Sim {
    pub fn new(service: FakeService) -> Self {
        Self {
            now: T0,
            service,
            writers: Vec::new(),
            latency_ms: 20,
            transit: Vec::new(),
            steps: 0,
        }
    }

    pub fn add_writer(&mut self, config: WriterConfig) -> usize {
        let group = config.log_group.clone();
        let stream = config.log_stream.clone();
        self.writers.push(SimWriter {
            writer: writer(config),
            ledger: Ledger::default(),
            group,
            stream,
            max_puts_in_flight: 0,
            puts_in_flight: 0,
            sent: BTreeMap::new(),
        });
        self.writers.len() - 1
    }

    pub fn push(
        &mut self,
        w: usize,
        timestamp: UnixMillis,
        message: impl Into<String>,
    ) -> Result<EventIds, Error> {
        let now = self.now;
        let sw = &mut self.writers[w];
        let r = sw.writer.push(Event::new(timestamp, message), now);
        if let Ok(ids) = &r {
            sw.ledger.accept(*ids);
        }
        self.pump();
        r
    }

    pub fn flush(&mut self, w: usize) {
        let now = self.now;
        self.writers[w].writer.flush(now);
        self.pump();
    }

    pub fn close_all(&mut self) {
        let now = self.now;
        for sw in &mut self.writers {
            sw.writer.close(now);
        }
        self.pump();
    }

    /// Drains every writer's outputs: requests go to the service (answered after the latency),
    /// reports go to the ledgers.
    pub fn pump(&mut self) {
        loop {
            let mut any = false;
            for (i, sw) in self.writers.iter_mut().enumerate() {
                while let Some(req) = sw.writer.poll_request() {
                    any = true;
                    let put = matches!(req.kind, RequestKind::PutLogEvents { .. });
                    if let RequestKind::PutLogEvents { events, .. } = &req.kind {
                        for (id, e) in events.ids().iter().zip(events.iter()) {
                            sw.sent.insert(*id, e.message.clone());
                        }
                    }
                    if put {
                        sw.puts_in_flight += 1;
                        sw.max_puts_in_flight = sw.max_puts_in_flight.max(sw.puts_in_flight);
                    }
                    let outcome = self.service.answer(&req.kind, self.now);
                    self.transit.push(InTransit {
                        at: self.now.plus_ms(self.latency_ms),
                        writer: i,
                        id: req.id,
                        put,
                        outcome,
                    });
                }
                while let Some(rep) = sw.writer.poll_report() {
                    sw.ledger.record(&rep);
                }
            }
            if !any {
                return;
            }
        }
    }

    /// The next instant something happens: a response arrives or a deadline is due.
    fn next_event_time(&self) -> Option<UnixMillis> {
        let responses = self.transit.iter().map(|t| t.at);
        let deadlines = self
            .writers
            .iter()
            .filter_map(|sw| sw.writer.poll_timeout().map(|d| d.at));
        responses.chain(deadlines).min()
    }

    /// Advances the virtual clock to the next event and handles it. False when nothing is pending.
    pub fn step(&mut self) -> bool {
        let Some(at) = self.next_event_time() else {
            return false;
        };
        self.steps += 1;
        self.now = self.now.max(at);
        let now = self.now;
        // Responses in the order they were sent.
        let mut due = Vec::new();
        let mut i = 0;
        while i < self.transit.len() {
            if self.transit[i].at <= now {
                due.push(self.transit.remove(i));
            } else {
                i += 1;
            }
        }
        for t in due {
            let sw = &mut self.writers[t.writer];
            if t.put {
                sw.puts_in_flight -= 1;
            }
            sw.writer.handle_response(t.id, t.outcome, now);
            self.pump();
        }
        for w in 0..self.writers.len() {
            if matches!(self.writers[w].writer.poll_timeout(), Some(d) if d.at <= now) {
                self.writers[w].writer.handle_timeout(now);
                self.pump();
            }
        }
        true
    }

    /// Runs until nothing is pending, or panics after `max_steps` (a livelock).
    pub fn run(&mut self, max_steps: u64) {
        let start = self.steps;
        while self.step() {
            assert!(
                self.steps - start < max_steps,
                "no quiescence after {max_steps} steps"
            );
        }
    }

    /// Advances the clock by `ms`, handling everything due on the way.
    pub fn advance(&mut self, ms: i64) {
        let target = self.now.plus_ms(ms);
        while let Some(at) = self.next_event_time() {
            if at > target {
                break;
            }
            self.step();
        }
        self.now = self.now.max(target);
        let now = self.now;
        for sw in &mut self.writers {
            sw.writer.handle_timeout(now);
        }
        self.pump();
    }

    /// Closes every writer and runs to the end; asserts the universal invariants.
    pub fn finish(&mut self, max_steps: u64) {
        self.close_all();
        self.run(max_steps);
        for (i, sw) in self.writers.iter().enumerate() {
            assert!(sw.writer.is_closed(), "writer {i} not closed");
            assert!(
                sw.ledger.errors.is_empty(),
                "writer {i}: {:?}",
                sw.ledger.errors
            );
            assert!(
                sw.ledger.open().is_empty(),
                "writer {i}: events without an end: {:?}",
                sw.ledger.open()
            );
        }
        assert!(
            self.service.violations.is_empty(),
            "limit breaches: {:?}",
            self.service.violations
        );
    }
}

/// Timestamps around `T0`.
pub fn ts(offset_ms: i64) -> UnixMillis {
    T0.plus_ms(offset_ms)
}

pub const H: i64 = HOUR_MS;
pub const D: i64 = DAY_MS;
