//! Counters a test can assert on: per operation and per stream, as JSON (`GET /_mock/stats`) and in
//! the Prometheus text format (`GET /_mock/metrics`).
//!
//! Everything is counted in one place of the request pipeline so that the numbers add up: every
//! request is one `requests`, and exactly one of `successes` or an entry of `errors` (faults that
//! close the connection count under their own pseudo-type, see [`CONNECTION_CLOSED`]).

use crate::catalogue::{Operation, OPERATION_COUNT};
use crate::chaos::{lock, shard_of};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

/// The pseudo error type counted when the connection was closed instead of answered
/// (`reset_before_commit`, `lost_response`).
pub(crate) const CONNECTION_CLOSED: &str = "ConnectionClosed";

/// The key every request for an operation the mock does not know is counted under. Client-chosen
/// names would otherwise each get their own entry (and Prometheus label), so random targets could
/// grow the counters without bound.
pub(crate) const UNKNOWN_OPERATION: &str = "UnknownOperation";

/// Counters of one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OperationStats {
    /// Requests received.
    pub requests: u64,
    /// Requests answered with HTTP 2xx.
    pub successes: u64,
    /// Requests answered with an error, by `__type`.
    pub errors: BTreeMap<String, u64>,
    /// Requests answered with `ThrottlingException` (by a quota or by a fault).
    pub throttled: u64,
}

/// Counters of one log stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StreamStats {
    /// Events stored.
    pub events_stored: u64,
    /// Bytes stored (UTF-8 message bytes).
    pub bytes_stored: u64,
    /// Accepted PutLogEvents calls (including the background writer's).
    pub puts: u64,
    /// InvalidSequenceTokenException answers.
    pub token_conflicts: u64,
    /// DataAlreadyAcceptedException answers.
    pub data_already_accepted: u64,
    /// Faults fired on requests to this stream, by rule name.
    pub faults_fired: BTreeMap<String, u64>,
}

/// A consistent copy of every counter, as served by `GET /_mock/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatsSnapshot {
    /// By operation name.
    pub operations: BTreeMap<String, OperationStats>,
    /// By log group, then log stream.
    pub streams: BTreeMap<String, BTreeMap<String, StreamStats>>,
    /// Every fault fired, by rule name, including those on requests that name no stream.
    pub faults_fired: BTreeMap<String, u64>,
    /// Connections accepted, and those the mock closed rather than the client.
    pub connections: ConnectionStats,
}

/// Counters of the connections, for tests of slow and stuck clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionStats {
    /// Connections accepted.
    pub accepted: u64,
    /// Closed for not completing a request head in time (`limits.header_read_timeout_ms`).
    pub header_timeouts: u64,
    /// Closed for not sending a request body in time (`limits.body_read_timeout_ms`).
    pub body_timeouts: u64,
    /// Closed for sending no new request in time (`limits.idle_timeout_ms`).
    pub idle_timeouts: u64,
    /// Closed to make room for a new client while every slot was taken.
    pub evicted: u64,
}

/// What happened to a connection, as [`Stats::record_connection`] counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionEvent {
    /// Accepted.
    Accepted,
    /// Closed by the header-read limit.
    HeaderTimeout,
    /// Closed by the body-read limit.
    BodyTimeout,
    /// Closed by the idle limit.
    IdleTimeout,
    /// Closed to make room.
    Evicted,
}

/// How many shards the per-stream counters are spread over: requests to different streams
/// rarely take the same lock, and a snapshot takes each of them once.
const STREAM_SHARDS: usize = 16;

/// The counters of one operation, as the request path updates them: successes in an atomic, and
/// errors by type behind a lock only error answers take. The number of requests and of throttles
/// are derived from these in a snapshot, so that a snapshot taken while requests are counted still
/// adds up (`requests` = `successes` + every error).
#[derive(Debug, Default)]
struct LiveOperation {
    successes: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
}

/// Per-stream counters: group, then stream.
type StreamShard = HashMap<String, HashMap<String, StreamStats>>;

/// The live counters of a mock.
///
/// Nothing on the request path takes a lock that every request shares: a success is one atomic
/// add in its operation's slot, a put's counters take the lock of one of 16 shards chosen by its
/// stream, and only error answers and fired faults take a lock of their own. No lock is held
/// across I/O.
#[derive(Debug)]
pub(crate) struct Stats {
    /// By [`Operation`] (its position in [`Operation::ALL`]), then one slot for operations the
    /// model does not have ([`UNKNOWN_OPERATION`]).
    operations: Vec<LiveOperation>,
    streams: Vec<Mutex<StreamShard>>,
    faults_fired: Mutex<BTreeMap<String, u64>>,
    connections: [AtomicU64; 5],
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            operations: (0..=OPERATION_COUNT)
                .map(|_| LiveOperation::default())
                .collect(),
            streams: (0..STREAM_SHARDS).map(|_| Mutex::default()).collect(),
            faults_fired: Mutex::default(),
            connections: Default::default(),
        }
    }
}

impl Stats {
    /// Empty counters.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sets every counter back to zero.
    pub(crate) fn reset(&self) {
        for op in &self.operations {
            op.successes.store(0, Ordering::Relaxed);
            lock(&op.errors).clear();
        }
        for shard in &self.streams {
            lock(shard).clear();
        }
        lock(&self.faults_fired).clear();
        for c in &self.connections {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// A copy of every counter.
    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let mut snap = StatsSnapshot::default();
        let names = Operation::ALL
            .iter()
            .map(|op| op.name())
            .chain([UNKNOWN_OPERATION]);
        for (name, live) in names.zip(&self.operations) {
            let successes = live.successes.load(Ordering::Relaxed);
            let errors = lock(&live.errors).clone();
            if successes == 0 && errors.is_empty() {
                continue;
            }
            let failed: u64 = errors.values().sum();
            let throttled = errors
                .get(crate::chaos::throttle::Throttled::ERROR_TYPE)
                .copied()
                .unwrap_or(0);
            snap.operations.insert(
                name.to_owned(),
                OperationStats {
                    requests: successes + failed,
                    successes,
                    errors,
                    throttled,
                },
            );
        }
        for shard in &self.streams {
            for (group, streams) in lock(shard).iter() {
                let into = snap.streams.entry(group.clone()).or_default();
                for (stream, stats) in streams {
                    into.insert(stream.clone(), stats.clone());
                }
            }
        }
        snap.faults_fired = lock(&self.faults_fired).clone();
        let [accepted, header_timeouts, body_timeouts, idle_timeouts, evicted] = self
            .connections
            .each_ref()
            .map(|c| c.load(Ordering::Relaxed));
        snap.connections = ConnectionStats {
            accepted,
            header_timeouts,
            body_timeouts,
            idle_timeouts,
            evicted,
        };
        snap
    }

    /// Counts one finished request of `operation`: a success when `error_type` is `None`, otherwise
    /// an error of that `__type` (and a throttle when it is `ThrottlingException`). An operation
    /// that is not in the service model is counted under [`UNKNOWN_OPERATION`]; one of the model's
    /// that the mock does not implement yet under its own name, so users see what they miss.
    pub(crate) fn record_request(&self, operation: Option<Operation>, error_type: Option<&str>) {
        let slot = operation.map_or(OPERATION_COUNT, |op| op as usize);
        let live = &self.operations[slot];
        match error_type {
            None => {
                live.successes.fetch_add(1, Ordering::Relaxed);
            }
            Some(t) => count(&mut lock(&live.errors), t),
        }
    }

    /// Counts one accepted put of `events` events and `bytes` message bytes to a stream.
    pub(crate) fn record_put(&self, group: &str, stream: &str, events: u64, bytes: u64) {
        self.with_stream(group, stream, |s| {
            s.puts += 1;
            s.events_stored += events;
            s.bytes_stored += bytes;
        });
    }

    /// Counts an InvalidSequenceTokenException answer for a stream.
    pub(crate) fn record_token_conflict(&self, group: &str, stream: &str) {
        self.with_stream(group, stream, |s| s.token_conflicts += 1);
    }

    /// Counts a DataAlreadyAcceptedException answer for a stream.
    pub(crate) fn record_data_already_accepted(&self, group: &str, stream: &str) {
        self.with_stream(group, stream, |s| s.data_already_accepted += 1);
    }

    /// Counts a fault fired by `rule`, on a stream when the request named one.
    pub(crate) fn record_fault(&self, rule: &str, stream: Option<(&str, &str)>) {
        count(&mut lock(&self.faults_fired), rule);
        if let Some((group, stream)) = stream {
            self.with_stream(group, stream, |s| count(&mut s.faults_fired, rule));
        }
    }

    /// Counts a connection event.
    pub(crate) fn record_connection(&self, event: ConnectionEvent) {
        let index = match event {
            ConnectionEvent::Accepted => 0,
            ConnectionEvent::HeaderTimeout => 1,
            ConnectionEvent::BodyTimeout => 2,
            ConnectionEvent::IdleTimeout => 3,
            ConnectionEvent::Evicted => 4,
        };
        self.connections[index].fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `f` on a stream's counters under its shard's lock, creating them at zero.
    fn with_stream(&self, group: &str, stream: &str, f: impl FnOnce(&mut StreamStats)) {
        let shard = &self.streams[shard_of(&(group, stream), STREAM_SHARDS)];
        let mut shard = lock(shard);
        // Look up by reference first: the names are copied only for a stream's first count.
        if let Some(stats) = shard.get_mut(group).and_then(|g| g.get_mut(stream)) {
            f(stats);
            return;
        }
        f(shard
            .entry(group.to_owned())
            .or_default()
            .entry(stream.to_owned())
            .or_default());
    }
}

/// Adds one to `key`'s count, copying the key only the first time.
fn count(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

impl StatsSnapshot {
    /// The snapshot as a JSON value (the body of `GET /_mock/stats`).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        // Serialising maps of strings and integers cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The snapshot in the Prometheus text exposition format (version 0.0.4).
    pub(crate) fn to_prometheus(&self) -> String {
        let mut out = String::new();
        let mut family = |name: &str, help: &str, samples: Vec<(String, u64)>| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        };
        let ops = |f: &dyn Fn(&OperationStats) -> u64| {
            self.operations
                .iter()
                .map(|(op, s)| (format!("operation=\"{}\"", escape(op)), f(s)))
                .collect::<Vec<_>>()
        };
        family(
            "cwlogs_mock_requests_total",
            "Requests received, by operation.",
            ops(&|s| s.requests),
        );
        family(
            "cwlogs_mock_successes_total",
            "Requests answered with HTTP 2xx, by operation.",
            ops(&|s| s.successes),
        );
        family(
            "cwlogs_mock_throttled_total",
            "Requests answered with ThrottlingException, by operation.",
            ops(&|s| s.throttled),
        );
        family(
            "cwlogs_mock_errors_total",
            "Requests answered with an error, by operation and error type.",
            self.operations
                .iter()
                .flat_map(|(op, s)| {
                    s.errors.iter().map(move |(t, n)| {
                        (
                            format!("operation=\"{}\",type=\"{}\"", escape(op), escape(t)),
                            *n,
                        )
                    })
                })
                .collect(),
        );
        let streams = |f: &dyn Fn(&StreamStats) -> u64| {
            self.streams
                .iter()
                .flat_map(|(g, streams)| {
                    streams
                        .iter()
                        .map(move |(s, st)| (stream_labels(g, s), f(st)))
                })
                .collect::<Vec<_>>()
        };
        family(
            "cwlogs_mock_stream_events_stored_total",
            "Events stored, by stream.",
            streams(&|s| s.events_stored),
        );
        family(
            "cwlogs_mock_stream_bytes_stored_total",
            "Message bytes stored, by stream.",
            streams(&|s| s.bytes_stored),
        );
        family(
            "cwlogs_mock_stream_puts_total",
            "Accepted PutLogEvents calls, by stream.",
            streams(&|s| s.puts),
        );
        family(
            "cwlogs_mock_stream_token_conflicts_total",
            "InvalidSequenceTokenException answers, by stream.",
            streams(&|s| s.token_conflicts),
        );
        family(
            "cwlogs_mock_stream_data_already_accepted_total",
            "DataAlreadyAcceptedException answers, by stream.",
            streams(&|s| s.data_already_accepted),
        );
        family(
            "cwlogs_mock_faults_fired_total",
            "Faults fired, by rule name.",
            self.faults_fired
                .iter()
                .map(|(rule, n)| (format!("rule=\"{}\"", escape(rule)), *n))
                .collect(),
        );
        let c = &self.connections;
        family(
            "cwlogs_mock_connections_total",
            "Connections accepted, and closed by the mock, by event.",
            [
                ("accepted", c.accepted),
                ("header_timeout", c.header_timeouts),
                ("body_timeout", c.body_timeouts),
                ("idle_timeout", c.idle_timeouts),
                ("evicted", c.evicted),
            ]
            .into_iter()
            .map(|(event, n)| (format!("event=\"{event}\""), n))
            .collect(),
        );
        out
    }
}

fn stream_labels(group: &str, stream: &str) -> String {
    format!(
        "log_group=\"{}\",log_stream=\"{}\"",
        escape(group),
        escape(stream)
    )
}

/// Escapes a Prometheus label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Stats {
        let stats = Stats::new();
        stats.record_request(Some(Operation::PutLogEvents), None);
        stats.record_request(Some(Operation::PutLogEvents), Some("ThrottlingException"));
        stats.record_request(
            Some(Operation::PutLogEvents),
            Some("InvalidSequenceTokenException"),
        );
        stats.record_put("g", "s", 3, 30);
        stats.record_token_conflict("g", "s");
        stats.record_data_already_accepted("g", "s");
        stats.record_fault("lose", Some(("g", "s")));
        stats.record_fault("slow-describe", None);
        stats
    }

    #[test]
    fn counters_add_up_per_operation_and_stream() {
        let snap = sample().snapshot();
        let put = &snap.operations["PutLogEvents"];
        assert_eq!(put.requests, 3);
        assert_eq!(put.successes, 1);
        assert_eq!(put.throttled, 1);
        assert_eq!(put.errors["InvalidSequenceTokenException"], 1);
        let s = &snap.streams["g"]["s"];
        assert_eq!((s.events_stored, s.bytes_stored, s.puts), (3, 30, 1));
        assert_eq!((s.token_conflicts, s.data_already_accepted), (1, 1));
        assert_eq!(s.faults_fired["lose"], 1);
        assert_eq!(snap.faults_fired["slow-describe"], 1);
    }

    #[test]
    fn json_uses_camel_case_names() {
        let json = sample().snapshot().to_json();
        assert_eq!(json["operations"]["PutLogEvents"]["throttled"], 1);
        assert_eq!(json["streams"]["g"]["s"]["eventsStored"], 3);
        assert_eq!(json["streams"]["g"]["s"]["dataAlreadyAccepted"], 1);
        assert_eq!(json["streams"]["g"]["s"]["faultsFired"]["lose"], 1);
    }

    #[test]
    fn prometheus_text_has_help_type_and_escaped_labels() {
        let stats = sample();
        stats.record_put("a\"b", "x\\y\nz", 1, 1);
        let text = stats.snapshot().to_prometheus();
        assert!(text.contains("# TYPE cwlogs_mock_requests_total counter"));
        assert!(text.contains("cwlogs_mock_requests_total{operation=\"PutLogEvents\"} 3"));
        assert!(text.contains(
            "cwlogs_mock_errors_total{operation=\"PutLogEvents\",type=\"ThrottlingException\"} 1"
        ));
        assert!(text.contains(
            "cwlogs_mock_stream_events_stored_total{log_group=\"g\",log_stream=\"s\"} 3"
        ));
        assert!(text.contains(r#"log_group="a\"b",log_stream="x\\y\nz""#));
        assert!(text.contains("cwlogs_mock_faults_fired_total{rule=\"lose\"} 1"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            value.parse::<u64>().unwrap();
        }
    }

    #[test]
    fn unknown_operations_share_one_entry() {
        let stats = Stats::new();
        for op in ["Nope1", "Nope2", "", "putlogevents"] {
            stats.record_request(Operation::from_name(op), Some("UnknownOperationException"));
        }
        stats.record_request(Some(Operation::GetLogEvents), None);
        let snap = stats.snapshot();
        let names: Vec<&str> = snap.operations.keys().map(String::as_str).collect();
        assert_eq!(names, ["GetLogEvents", UNKNOWN_OPERATION]);
        assert_eq!(snap.operations[UNKNOWN_OPERATION].requests, 4);
    }

    #[test]
    fn operations_are_counted_in_their_own_slot() {
        // The slot of an operation is its position in `Operation::ALL`.
        for (i, op) in Operation::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i, "{}", op.name());
        }
        let stats = Stats::new();
        for op in Operation::ALL {
            stats.record_request(Some(op), None);
        }
        let snap = stats.snapshot();
        assert_eq!(snap.operations.len(), OPERATION_COUNT);
        assert!(snap
            .operations
            .values()
            .all(|s| s.requests == 1 && s.successes == 1));
    }

    #[test]
    fn counts_from_many_threads_add_up() {
        let stats = std::sync::Arc::new(Stats::new());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let stats = stats.clone();
                std::thread::spawn(move || {
                    for i in 0..1_000 {
                        let error = (i % 10 == 0).then_some("ThrottlingException");
                        stats.record_request(Some(Operation::PutLogEvents), error);
                        stats.record_put("g", &format!("s{}", i % 7), 2, 20);
                        stats.record_connection(ConnectionEvent::Accepted);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let snap = stats.snapshot();
        let put = &snap.operations["PutLogEvents"];
        assert_eq!(
            (put.requests, put.successes, put.throttled),
            (4_000, 3_600, 400)
        );
        let puts: u64 = snap.streams["g"].values().map(|s| s.puts).sum();
        let events: u64 = snap.streams["g"].values().map(|s| s.events_stored).sum();
        assert_eq!((puts, events, snap.streams["g"].len()), (4_000, 8_000, 7));
        assert_eq!(snap.connections.accepted, 4_000);
    }

    #[test]
    fn reset_empties_everything() {
        let stats = sample();
        stats.reset();
        assert_eq!(stats.snapshot(), StatsSnapshot::default());
    }
}
