//! A scenario: everything one simulated case is made of, as plain data that proptest generates and
//! shrinks, and that prints as a summary a person can read when a case fails.

use super::faults::FaultPlan;
use std::fmt;
use token_core::{OverflowPolicy, OversizePolicy};

/// The virtual instant the simulation starts at: far from the epoch, so that 14-day windows fit.
pub const T0: i64 = 1_700_000_000_000;
/// One day, in milliseconds.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// One hour, in milliseconds.
pub const HOUR_MS: i64 = 60 * 60 * 1000;

/// Which sequence-token semantics the mock runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockTokens {
    /// Legacy AWS: tokens enforced, DataAlreadyAccepted on a replay.
    Strict,
    /// Today's AWS: tokens ignored.
    Current,
}

/// The PutLogEvents limits shared by the mock and every writer: small, so that batches fill up,
/// events split, and requests sit right at the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimLimits {
    /// Largest event, message bytes plus 26.
    pub max_event_bytes: usize,
    /// Largest batch, message bytes plus 26 per event.
    pub max_batch_bytes: usize,
    /// Most events in one batch.
    pub max_batch_events: usize,
}

impl SimLimits {
    /// The largest message that fits one event and one batch.
    pub fn max_message_bytes(&self) -> usize {
        self.max_event_bytes.min(self.max_batch_bytes) - 26
    }
}

/// How a log group is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSpec {
    /// The group's retention in days (one of AWS's values), given to every writer of the group too.
    pub retention_days: Option<u32>,
}

/// What exists of a stream before the writers start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// The group and the stream exist.
    Both,
    /// The group exists, the stream does not.
    GroupOnly,
    /// Neither exists (if another stream of the group creates the group first, only the stream
    /// is missing).
    Neither,
}

/// Another party appending to a stream: one event per put, always with the right token, so in
/// strict mode each of its puts moves the token under the writers' feet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Background {
    /// Virtual milliseconds between its puts.
    pub every_ms: i64,
    /// How many puts it makes (it skips a put while the stream does not exist).
    pub puts: u32,
}

/// One log stream of the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec {
    /// Index into [`Scenario::groups`].
    pub group: usize,
    /// What exists at start.
    pub existing: Existing,
    /// A background writer on this stream, if any.
    pub background: Option<Background>,
}

/// The writer's token mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One put in flight, tokens carried.
    Sequential,
    /// Tokens ignored, up to this many puts in flight.
    Concurrent(usize),
}

/// When an event happened, relative to the virtual instant it is pushed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Up to this many ms before the push.
    Recent(i64),
    /// 14 days minus this many ms before the push: valid when pushed, may age out before it lands.
    AgeEdge(i64),
    /// The group's retention minus this many ms before the push (like `Recent` without retention).
    RetentionEdge(i64),
    /// 15 days before the push: too old.
    TooOld,
    /// 2 h minus this many ms after the push: valid, and more so as time passes.
    FutureEdge(i64),
    /// 3 h after the push: too new.
    TooNew,
}

/// How large an event's message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// This many bytes (at least one segment naming the event).
    Bytes(usize),
    /// The largest message that fits, plus this (negative: below the limit, positive: over it).
    NearLimit(i64),
    /// This many times the largest message, plus a few bytes: several parts when split.
    Times(usize),
}

/// Which characters fill a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// ASCII only.
    Ascii,
    /// A mix of 1- to 4-byte UTF-8 characters.
    Utf8,
}

/// One event a writer pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpec {
    /// Virtual ms after the previous push (or the start) at which it is pushed.
    pub gap_ms: i64,
    /// Its timestamp relative to the push.
    pub when: When,
    /// Its message size.
    pub size: Size,
    /// Its characters.
    pub text: Text,
    /// Whether the writer is flushed right after this push.
    pub flush: bool,
}

/// The buffer caps of a writer, when they are meant to be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferSpec {
    /// Most events waiting to be batched.
    pub max_events: usize,
    /// What a push does when the cap is reached.
    pub overflow: OverflowPolicy,
}

/// The retry settings of a writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySpec {
    /// Upper bound of the first backoff, ms.
    pub base_ms: i64,
    /// Upper bound of the first throttle cool-down, ms.
    pub throttle_base_ms: i64,
    /// Retries in the budget at start.
    pub max_retries: u32,
    /// Thousandths of a retry refunded per success.
    pub refund_milli: u32,
    /// One retry refilled every this many ms; 0: never.
    pub refill_ms: i64,
    /// Most retries of one batch.
    pub per_batch: Option<u32>,
}

/// One `StreamWriter` of the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterSpec {
    /// Index into [`Scenario::streams`].
    pub stream: usize,
    /// Token mode.
    pub mode: Mode,
    /// Linger, ms.
    pub linger_ms: i64,
    /// Oversize policy.
    pub oversize: OversizePolicy,
    /// Small buffer caps, or the defaults.
    pub buffer: Option<BufferSpec>,
    /// Retry settings.
    pub retry: RetrySpec,
    /// Whether it creates a missing group and stream.
    pub creates_missing: bool,
    /// Whether it queues a "N dropped" marker event after drops.
    pub marker: bool,
    /// The events it pushes, in order.
    pub events: Vec<EventSpec>,
    /// Virtual ms after its last push at which it is closed.
    pub close_after_ms: i64,
}

/// Latencies and timeouts of the simulated network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// Shortest one-way latency, ms (at least 1).
    pub min_latency_ms: i64,
    /// Longest one-way latency, ms.
    pub max_latency_ms: i64,
    /// The writer's request timeout, ms: longer than any normal round trip.
    pub timeout_ms: i64,
    /// How much later than the timeout a slow request arrives, at most, ms.
    pub slow_extra_ms: i64,
    /// Lockstep: every latency is `min_latency_ms` and pushes fall on 100 ms ticks, so puts of
    /// different writers reach a stream at the same virtual instant, in a seeded order (a race;
    /// with [`Scenario::race_window_ms`] on a strict mock, a race both racers may win).
    pub lockstep: bool,
}

/// One whole simulated case.
#[derive(Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Seed of every random draw of the run (faults, latencies, tie-breaks, writers' jitter).
    pub seed: u64,
    /// The mock's token semantics.
    pub mock_tokens: MockTokens,
    /// The strict mock's legacy race window (`Config::legacy_race_window_ms`): a put carrying the
    /// token the last accepted put superseded less than this many ms ago is accepted too, as the
    /// pre-2023 service documented (CLOUDWATCH.md §3.1). 0: the token is a strict compare-and-set.
    /// Always 0 with the current mock, which ignores tokens.
    pub race_window_ms: u64,
    /// Limits shared by the mock and the writers.
    pub limits: SimLimits,
    /// Log groups.
    pub groups: Vec<GroupSpec>,
    /// Log streams.
    pub streams: Vec<StreamSpec>,
    /// Writers.
    pub writers: Vec<WriterSpec>,
    /// Request-level faults.
    pub faults: FaultPlan,
    /// The network.
    pub network: Network,
}

impl Scenario {
    /// The log group name of group `g`.
    pub fn group_name(g: usize) -> String {
        format!("/sim/g{g}")
    }

    /// The log stream name of stream `s`.
    pub fn stream_name(s: usize) -> String {
        format!("s{s}")
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.limits;
        let n = &self.network;
        writeln!(
            f,
            "seed {:#x}, mock {:?} tokens{}, {} group(s), {} stream(s), {} writer(s)",
            self.seed,
            self.mock_tokens,
            if self.race_window_ms > 0 {
                format!(" with a LEGACY RACE WINDOW of {} ms", self.race_window_ms)
            } else {
                String::new()
            },
            self.groups.len(),
            self.streams.len(),
            self.writers.len()
        )?;
        writeln!(
            f,
            "  limits: event {} B, batch {} B / {} events (largest message {} B)",
            l.max_event_bytes,
            l.max_batch_bytes,
            l.max_batch_events,
            l.max_message_bytes()
        )?;
        writeln!(
            f,
            "  network: latency {}..={} ms, timeout {} ms, slow arrivals up to timeout+{} ms{}",
            n.min_latency_ms,
            n.max_latency_ms,
            n.timeout_ms,
            n.slow_extra_ms,
            if n.lockstep {
                ", LOCKSTEP (writers' puts arrive together)"
            } else {
                ""
            }
        )?;
        writeln!(f, "  faults: {}", self.faults)?;
        for (g, group) in self.groups.iter().enumerate() {
            let retention = group
                .retention_days
                .map_or("no retention".to_owned(), |d| format!("retention {d} d"));
            writeln!(f, "  group {}: {retention}", Self::group_name(g))?;
        }
        for (s, stream) in self.streams.iter().enumerate() {
            write!(
                f,
                "  stream {} in {}: {:?} exist at start",
                Self::stream_name(s),
                Self::group_name(stream.group),
                stream.existing
            )?;
            if let Some(bg) = stream.background {
                write!(
                    f,
                    ", background writer {} puts every {} ms",
                    bg.puts, bg.every_ms
                )?;
            }
            writeln!(f)?;
        }
        for (w, writer) in self.writers.iter().enumerate() {
            let r = &writer.retry;
            writeln!(
                f,
                "  writer {w} on {}: {:?}, linger {} ms, oversize {:?}, buffer {}, {}creates missing, {}marker, \
                 retry base {}/{} ms budget {} +{}‰/success {}, per batch {:?}; closes {} ms after its last push; pushes {} event(s):",
                Self::stream_name(writer.stream),
                writer.mode,
                writer.linger_ms,
                writer.oversize,
                writer
                    .buffer
                    .map_or("default".to_owned(), |b| format!("{} events {:?}", b.max_events, b.overflow)),
                if writer.creates_missing { "" } else { "never " },
                if writer.marker { "" } else { "no " },
                r.base_ms,
                r.throttle_base_ms,
                r.max_retries,
                r.refund_milli,
                if r.refill_ms > 0 { format!("+1 every {} ms", r.refill_ms) } else { "never refilled".to_owned() },
                r.per_batch,
                writer.close_after_ms,
                writer.events.len()
            )?;
            for (i, e) in writer.events.iter().enumerate() {
                writeln!(
                    f,
                    "    #{i}: +{} ms, {:?}, {:?} {:?}{}",
                    e.gap_ms,
                    e.when,
                    e.size,
                    e.text,
                    if e.flush { ", then flush" } else { "" }
                )?;
            }
        }
        Ok(())
    }
}

/// proptest prints the failing (shrunk) input with `Debug`: make that the readable summary.
impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n{self}")
    }
}
