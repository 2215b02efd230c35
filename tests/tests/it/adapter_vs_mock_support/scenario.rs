//! One case of the tier: who writes what, in which token mode, against which quotas and faults.
//!
//! A scenario is plain data, so that proptest can generate and shrink it and a failure can print it
//! in full. Everything a run needs (the mock's configuration, each shipper's writer configuration,
//! every event's message and timestamp) is derived from it here, so the runner and the invariants
//! agree on what was sent without sharing state.

use mock_server::{Fault, FaultRule, FaultsConfig};
use mock_server::{ThrottleConfig, ThrottlePreset};
use sdk_adapter::{
    BufferConfig, Event, Limits, OverflowPolicy, RetryBudget, RetryPolicy, TokenMode, UnixMillis,
    WriterConfig,
};
use std::fmt;
use std::time::Duration;

/// The log group every case writes to.
pub const GROUP: &str = "tier2";

/// One attempt of a request: short, so that a latency fault above it becomes an unknown outcome.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(250);

/// How long the oldest buffered event waits before its batch is sent.
const LINGER_MS: i64 = 20;

/// Events this old are refused by token-core before they cost a request (AWS keeps 14 days).
const ANCIENT_AGE_MS: i64 = 15 * 24 * 3_600_000;

/// Which token semantics the mock enforces and which token mode the shippers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The legacy service (tokens enforced) written in Sequential mode.
    StrictSequential,
    /// Today's service written in Sequential mode (which must work against both).
    CurrentSequential,
    /// Today's service written in Concurrent mode with this many puts in flight per stream.
    CurrentConcurrent {
        /// Most PutLogEvents in flight per stream and shipper.
        max_in_flight: usize,
    },
}

impl Mode {
    /// Whether the mock enforces sequence tokens.
    pub fn strict(self) -> bool {
        matches!(self, Mode::StrictSequential)
    }

    /// Whether the shippers keep one put in flight and carry tokens.
    pub fn sequential(self) -> bool {
        !matches!(self, Mode::CurrentConcurrent { .. })
    }

    fn token_mode(self) -> TokenMode {
        match self {
            Mode::StrictSequential | Mode::CurrentSequential => TokenMode::Sequential,
            Mode::CurrentConcurrent { max_in_flight } => TokenMode::Concurrent { max_in_flight },
        }
    }

    fn mock_token_mode(self) -> mock_server::TokenMode {
        if self.strict() {
            mock_server::TokenMode::Strict
        } else {
            mock_server::TokenMode::Current
        }
    }
}

/// The mock's request-rate quotas (mock-server/README.md, "Throttling").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quotas {
    /// Nothing throttled.
    Off,
    /// Today's quotas.
    Aws,
    /// The pre-2023 quotas, with 5 PutLogEvents per second per stream in strict mode.
    Legacy,
}

/// What one fault rule does when it fires (a subset of the mock's `fault.kind`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 400 ThrottlingException, nothing stored.
    Throttle,
    /// 503 ServiceUnavailableException, nothing stored.
    ServiceUnavailable,
    /// 500 InternalServerException, nothing stored.
    InternalError,
    /// The connection is closed before anything is stored.
    ResetBeforeCommit,
    /// The put is stored, then the connection is closed without an answer.
    LostResponse,
    /// The put waits uniformly in `min_ms..=max_ms` before being decided normally; above
    /// [`REQUEST_TIMEOUT`] the shipper has given up on it and it may still be stored.
    Latency {
        /// Shortest wait.
        min_ms: u64,
        /// Longest wait.
        max_ms: u64,
    },
}

impl FaultKind {
    /// The mock's fault.
    fn fault(self) -> Fault {
        match self {
            FaultKind::Throttle => Fault::Throttle,
            FaultKind::ServiceUnavailable => Fault::ServiceUnavailable,
            FaultKind::InternalError => Fault::InternalError,
            FaultKind::ResetBeforeCommit => Fault::ResetBeforeCommit,
            FaultKind::LostResponse => Fault::LostResponse,
            FaultKind::Latency { min_ms, max_ms } => Fault::Latency {
                ms: None,
                min_ms: Some(min_ms),
                max_ms: Some(max_ms),
            },
        }
    }

    /// Whether a put this fault fired on can have been stored.
    pub fn may_store(self) -> bool {
        matches!(self, FaultKind::LostResponse | FaultKind::Latency { .. })
    }

    fn label(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::ServiceUnavailable => "service-unavailable",
            FaultKind::InternalError => "internal-error",
            FaultKind::ResetBeforeCommit => "reset-before-commit",
            FaultKind::LostResponse => "lost-response",
            FaultKind::Latency { .. } => "latency",
        }
    }
}

/// One rule of a recoverable fault plan, on PutLogEvents only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultSpec {
    /// What happens.
    pub kind: FaultKind,
    /// Chance in percent that an eligible put fires the rule.
    pub percent: u8,
    /// When set, the rule fires once, on the first eligible put from this one on.
    pub nth: Option<u64>,
}

/// How the service behaves towards PutLogEvents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// Some puts fail (at most a fraction of them): every event must be delivered in the end.
    Recovering(Vec<FaultSpec>),
    /// Every put fails this way: the shutdown must still end with a report that accounts for
    /// every event, by its deadline.
    FailsEveryPut {
        /// How every put fails.
        kind: FaultKind,
        /// The writers drop a batch after this many retries; `None` leaves only the deadline.
        give_up_after: Option<u32>,
    },
}

impl Service {
    /// Whether the service lets every event through in the end.
    pub fn recovers(&self) -> bool {
        matches!(self, Service::Recovering(_))
    }
}

/// What a full buffer does to `send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// `send` waits for room (`block_when_full`): nothing is dropped.
    Block {
        /// Events each stream's writer buffers.
        max_events: usize,
    },
    /// The oldest unsent events are dropped to make room (reported as `buffer_full`).
    DropOldest {
        /// Events each stream's writer buffers.
        max_events: usize,
    },
}

/// One case: `shippers` separate shippers (as separate processes would run them) each write
/// `events` events to each of `streams` streams of [`GROUP`], interleaving the streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Token semantics of the mock and token mode of the shippers.
    pub mode: Mode,
    /// The mock's throttle preset.
    pub quotas: Quotas,
    /// The fault plan.
    pub service: Service,
    /// What a full buffer does.
    pub overflow: Overflow,
    /// Whether the group and streams exist before the shippers start; when not, the first put
    /// finds them missing and the shippers create them.
    pub precreate: bool,
    /// Separate shippers, each with its own client and credentials.
    pub shippers: usize,
    /// Streams every shipper writes to.
    pub streams: usize,
    /// Events each shipper sends to each stream.
    pub events: usize,
    /// Most events per PutLogEvents.
    pub batch_events: usize,
    /// Padding bytes after each message's identity, for batches of different byte sizes.
    pub pad: usize,
    /// Milliseconds between the timestamps of a shipper's consecutive events on a stream (0 gives
    /// equal timestamps, whose send order the stable sort must keep).
    pub step_ms: i64,
    /// When set, every event whose index is a multiple of it is 15 days old: token-core rejects
    /// it locally as too old, and it must never be stored.
    pub ancient_every: Option<usize>,
    /// The seed of every random fault decision of the mock.
    pub fault_seed: u64,
    /// The jitter seed of the first shipper's writers (the others add their index).
    pub writer_seed: u64,
}

impl Scenario {
    /// The name of stream `j`.
    pub fn stream_name(j: usize) -> String {
        format!("stream-{j}")
    }

    /// The message of shipper `k`'s event `i` on stream `j`: its identity, then padding.
    pub fn message(&self, k: usize, j: usize, i: usize) -> String {
        let mut m = format!("k{k} s{j} n{i:06}");
        if self.pad > 0 {
            m.push(' ');
            m.extend(std::iter::repeat_n('x', self.pad));
        }
        m
    }

    /// Shipper, stream and index of a stored message, or `None` if no shipper sent it.
    pub fn identify(message: &str) -> Option<(usize, usize, usize)> {
        let mut parts = message.split(' ');
        let k = parts.next()?.strip_prefix('k')?.parse().ok()?;
        let j = parts.next()?.strip_prefix('s')?.parse().ok()?;
        let i = parts.next()?.strip_prefix('n')?.parse().ok()?;
        Some((k, j, i))
    }

    /// Whether event `i` (of any shipper and stream) is one token-core must reject as too old.
    pub fn is_ancient(&self, i: usize) -> bool {
        self.ancient_every
            .is_some_and(|every| i.is_multiple_of(every))
    }

    /// Ancient events each shipper sends to each stream.
    pub fn ancient_count(&self) -> u64 {
        (0..self.events).filter(|&i| self.is_ancient(i)).count() as u64
    }

    /// The timestamp of event `i`, given the case's base time (a little in the past): ordered by
    /// index, so that send order and timestamp order agree.
    pub fn timestamp(&self, i: usize, base: UnixMillis) -> UnixMillis {
        if self.is_ancient(i) {
            base.minus_ms(ANCIENT_AGE_MS)
        } else {
            UnixMillis(base.as_millis() + self.step_ms * i as i64)
        }
    }

    /// Shipper `k`'s event `i` on stream `j`.
    pub fn event(&self, k: usize, j: usize, i: usize, base: UnixMillis) -> Event {
        Event::new(self.timestamp(i, base), self.message(k, j, i))
    }

    /// How long the shutdown may take: long when the service recovers (a stuck run fails on the
    /// counts, not on a timer), short when it never does.
    pub fn shutdown_deadline(&self) -> Duration {
        if self.service.recovers() {
            Duration::from_secs(30)
        } else {
            Duration::from_millis(1_500)
        }
    }

    /// The mock's configuration: token mode, quotas and the fault plan.
    pub fn mock_config(&self) -> mock_server::Config {
        mock_server::Config {
            token_mode: self.mode.mock_token_mode(),
            throttle: ThrottleConfig {
                preset: match self.quotas {
                    Quotas::Off => ThrottlePreset::Off,
                    Quotas::Aws => ThrottlePreset::Aws,
                    Quotas::Legacy => ThrottlePreset::Legacy,
                },
                ..ThrottleConfig::default()
            },
            faults: self.fault_plan(),
            ..mock_server::Config::default()
        }
    }

    /// The fault plan, every rule on PutLogEvents.
    pub fn fault_plan(&self) -> FaultsConfig {
        let rule = |index: usize, kind: FaultKind| FaultRule {
            name: Some(format!("{index}-{}", kind.label())),
            operation: Some("PutLogEvents".to_owned()),
            log_group_name: None,
            log_stream_name: None,
            probability: None,
            nth: None,
            times: None,
            priority: None,
            fault: kind.fault(),
        };
        let rules = match &self.service {
            Service::Recovering(specs) => specs
                .iter()
                .enumerate()
                .map(|(index, spec)| FaultRule {
                    probability: Some(f64::from(spec.percent) / 100.0),
                    nth: spec.nth,
                    ..rule(index, spec.kind)
                })
                .collect(),
            Service::FailsEveryPut { kind, .. } => vec![rule(0, *kind)],
        };
        FaultsConfig {
            preset: None,
            seed: self.fault_seed,
            rules,
        }
    }

    /// The writer configuration of shipper `k` (its streams' names are set by the builder).
    pub fn writer_config(&self, k: usize) -> WriterConfig {
        let (max_events, overflow) = match self.overflow {
            // block_when_full turns the policy into Reject and makes `send` wait.
            Overflow::Block { max_events } => (max_events, OverflowPolicy::Reject),
            Overflow::DropOldest { max_events } => (max_events, OverflowPolicy::DropOldest),
        };
        let give_up_after = match self.service {
            Service::FailsEveryPut { give_up_after, .. } => give_up_after,
            Service::Recovering(_) => None,
        };
        WriterConfig {
            token_mode: self.mode.token_mode(),
            limits: Limits {
                max_batch_events: self.batch_events,
                ..Limits::default()
            },
            linger_ms: LINGER_MS,
            buffer: BufferConfig {
                max_events,
                overflow,
                ..BufferConfig::default()
            },
            // Small delays and a quickly refilled budget keep a case short; the budget still
            // bounds how hard a failing mock is hit.
            retry: RetryPolicy {
                base_ms: 5,
                cap_ms: 100,
                throttle_base_ms: 20,
                budget: RetryBudget {
                    max_retries: 100,
                    refill_interval_ms: 5,
                    ..RetryBudget::default()
                },
                max_retries_per_batch: give_up_after,
            },
            seed: self.writer_seed.wrapping_add(1_000 * k as u64),
            ..WriterConfig::new(GROUP, Self::stream_name(0))
        }
    }

    /// Whether send must wait for room rather than drop.
    pub fn blocks_when_full(&self) -> bool {
        matches!(self.overflow, Overflow::Block { .. })
    }
}

/// A readable account of the case, printed with every failure.
impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} shipper(s) x {} stream(s) x {} events, {:?}, quotas {:?}, {:?}",
            self.shippers, self.streams, self.events, self.mode, self.quotas, self.overflow
        )?;
        writeln!(
            f,
            "batches of <= {} events, {} padding bytes, timestamps {} ms apart, ancient every {:?}",
            self.batch_events, self.pad, self.step_ms, self.ancient_every
        )?;
        writeln!(
            f,
            "service: {:?}, group and streams {}",
            self.service,
            if self.precreate {
                "created first"
            } else {
                "created by the shippers"
            }
        )?;
        let plan = serde_json::to_string(&self.fault_plan()).unwrap_or_default();
        write!(
            f,
            "mock fault seed {} (plan {plan}), writer seed {}",
            self.fault_seed, self.writer_seed
        )
    }
}
