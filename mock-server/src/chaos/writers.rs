//! Background writers: emulate another process appending to a stream.
//!
//! Before 2023, two processes writing to one stream kept stealing each other's sequence token; a
//! writer that handles that well is exactly what the mock must let people test. A background writer
//! appends one event at a time to a given stream at a given rate for a given time, through the store
//! like any client but always holding the right token, so in strict mode every one of its puts moves
//! the stream's expected token and the client under test sees real `InvalidSequenceTokenException`s.
//!
//! A writer reaches the store only through [`StreamAppender`]; the server's is [`StoreAppender`],
//! and unit tests give writers one of their own. Writers are started with `POST /_mock/writers`, listed with
//! `GET /_mock/writers`, and stopped by `POST /_mock/reset` or when the server stops.

use crate::chaos::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Highest accepted rate: a background writer is a neighbour, not a load generator.
pub(crate) const MAX_RATE_PER_SEC: f64 = 10_000.0;
/// Longest accepted run, one hour: longer is almost certainly a typo in milliseconds.
pub(crate) const MAX_DURATION_MS: u64 = 3_600_000;

/// Most writers `GET /_mock/writers` remembers; the oldest that have ended are forgotten first.
pub(crate) const HISTORY: usize = 256;

/// Why a writer was not started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WriterRefusal {
    /// The spec is wrong or names a stream that does not exist (400).
    Invalid(String),
    /// As many writers as allowed are running (429).
    TooMany(String),
}

/// What to write: the body of `POST /_mock/writers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WriterSpec {
    /// The log group of the stream to write to; it must exist.
    pub log_group_name: String,
    /// The stream to write to; it must exist.
    pub log_stream_name: String,
    /// Events (one per put) per second, above 0 and at most 10,000.
    pub rate_per_sec: f64,
    /// How long to write, in milliseconds (1 to 3,600,000).
    pub duration_ms: u64,
}

impl WriterSpec {
    /// Parses and validates a spec; the error says which field is wrong and why.
    pub(crate) fn from_json(body: &[u8]) -> Result<Self, String> {
        let spec: WriterSpec =
            serde_json::from_slice(body).map_err(|e| format!("invalid writer: {e}"))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks the values the types cannot.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.log_group_name.is_empty() || self.log_stream_name.is_empty() {
            return Err("logGroupName and logStreamName must not be empty".into());
        }
        if !(self.rate_per_sec.is_finite()
            && self.rate_per_sec > 0.0
            && self.rate_per_sec <= MAX_RATE_PER_SEC)
        {
            return Err(format!(
                "ratePerSec must be above 0 and at most {MAX_RATE_PER_SEC}, got {}",
                self.rate_per_sec
            ));
        }
        if self.duration_ms == 0 || self.duration_ms > MAX_DURATION_MS {
            return Err(format!(
                "durationMs must be between 1 and {MAX_DURATION_MS}, got {}",
                self.duration_ms
            ));
        }
        Ok(())
    }
}

/// How a background writer reaches the store.
pub(crate) trait StreamAppender: Send + Sync + 'static {
    /// Whether the log group and stream exist (checked when a writer starts).
    fn stream_exists(&self, group: &str, stream: &str) -> bool;

    /// Stores one event with `message`, stamped now, as a put carrying the right token would: the
    /// stream's expected token advances in strict mode. The error says why it could not be stored
    /// (for example, the stream was deleted).
    fn append(&self, group: &str, stream: &str, message: String) -> Result<(), String>;
}

/// The server's [`StreamAppender`]: each event is a real PutLogEvents decided by the store, carrying
/// the stream's expected token (read just before), so it goes through every validation rule and
/// advances the token exactly like a competing client would. Its puts are not throttled and not
/// faulted (it is a neighbour, not the client under test) but are counted in the stream's stats.
pub(crate) struct StoreAppender {
    /// The decision state (config and store).
    pub state: Arc<crate::service::State>,
    /// The server's clock, for timestamps and ingestion times.
    pub clock: Arc<dyn crate::clock::Clock>,
    /// Where the puts are counted.
    pub stats: Arc<crate::chaos::stats::Stats>,
}

impl StreamAppender for StoreAppender {
    fn stream_exists(&self, group: &str, stream: &str) -> bool {
        self.state.store.require_stream(group, stream).is_ok()
    }

    fn append(&self, group: &str, stream: &str, message: String) -> Result<(), String> {
        // A client's put may win the race between reading the token and putting; adopting the
        // new token and trying again is what a real competing writer does. Three tries bound it.
        for _ in 0..3 {
            let log_stream = self
                .state
                .store
                .require_stream(group, stream)
                .map_err(|e| e.message.unwrap_or_else(|| e.error_type.to_owned()))?;
            let token = {
                let st = log_stream.lock();
                (st.accepted_puts > 0).then(|| {
                    crate::protocol::tokens::sequence_token(log_stream.id, st.accepted_puts)
                })
            };
            let now = self.clock.now_ms();
            let mut body = serde_json::json!({
                "logGroupName": group,
                "logStreamName": stream,
                "logEvents": [{ "timestamp": now, "message": message }],
            });
            if let Some(token) = token {
                body["sequenceToken"] = token.into();
            }
            let request = crate::protocol::envelope::ApiRequest::json("PutLogEvents", body);
            let decision = self.state.decision(&request, now);
            match decision.response.error_type {
                None => {
                    // Counted from the decision's own account of what it stored, as any put is.
                    if let Some(stored) = decision.stored {
                        self.stats
                            .record_put(group, stream, stored.events, stored.bytes);
                    }
                    return Ok(());
                }
                Some("InvalidSequenceTokenException") => continue,
                Some(other) => return Err(format!("{other}: {}", decision.response.body)),
            }
        }
        Err("lost the sequence-token race three times in a row".into())
    }
}

/// Where a writer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WriterState {
    /// Still writing.
    Running,
    /// Wrote for its whole duration.
    Finished,
    /// Stopped early because an append failed; see `error`.
    Failed,
    /// Stopped by a reset or by the server stopping.
    Stopped,
}

/// What `GET /_mock/writers` shows for each writer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WriterStatus {
    /// Unique id, in start order.
    pub id: u64,
    /// What it was asked to do.
    #[serde(flatten)]
    pub spec: WriterSpec,
    /// Events stored so far.
    pub appended: u64,
    /// Running, finished, failed or stopped.
    pub state: WriterState,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug)]
struct Running {
    status: Arc<Mutex<WriterStatus>>,
    task: tokio::task::JoinHandle<()>,
}

/// Every background writer of one server.
#[derive(Debug, Default)]
pub(crate) struct BackgroundWriters {
    next_id: AtomicU64,
    writers: Mutex<Vec<Running>>,
}

impl BackgroundWriters {
    /// No writers.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Starts a writer for `spec` on the current tokio runtime. Refused (with the reason) if the
    /// stream does not exist, or if `max_running` writers are running already.
    pub(crate) fn start(
        &self,
        spec: WriterSpec,
        appender: Arc<dyn StreamAppender>,
        max_running: usize,
    ) -> Result<WriterStatus, WriterRefusal> {
        spec.validate().map_err(WriterRefusal::Invalid)?;
        if !appender.stream_exists(&spec.log_group_name, &spec.log_stream_name) {
            return Err(WriterRefusal::Invalid(format!(
                "log stream {:?} in log group {:?} does not exist; create it first",
                spec.log_stream_name, spec.log_group_name
            )));
        }
        let mut writers = lock(&self.writers);
        let running = writers
            .iter()
            .filter(|w| lock(&w.status).state == WriterState::Running)
            .count();
        if running >= max_running {
            return Err(WriterRefusal::TooMany(format!(
                "{running} background writers are running, the most allowed \
                 (admin.max_writers = {max_running}); wait for one to finish or POST /_mock/reset"
            )));
        }
        // Keep the history bounded: forget the oldest writers that have ended.
        while writers.len() >= HISTORY {
            match writers
                .iter()
                .position(|w| lock(&w.status).state != WriterState::Running)
            {
                Some(oldest) => {
                    writers.remove(oldest);
                }
                None => break,
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let status = Arc::new(Mutex::new(WriterStatus {
            id,
            spec: spec.clone(),
            appended: 0,
            state: WriterState::Running,
            error: None,
        }));
        let task = tokio::spawn(run(spec, Arc::clone(&status), appender));
        let first = lock(&status).clone();
        writers.push(Running { status, task });
        Ok(first)
    }

    /// The status of every writer started since the last reset, in start order.
    pub(crate) fn list(&self) -> Vec<WriterStatus> {
        lock(&self.writers)
            .iter()
            .map(|w| lock(&w.status).clone())
            .collect()
    }

    /// Stops every writer and forgets them.
    pub(crate) fn stop_all(&self) {
        for writer in lock(&self.writers).drain(..) {
            writer.task.abort();
            let mut status = lock(&writer.status);
            if status.state == WriterState::Running {
                status.state = WriterState::Stopped;
            }
        }
    }
}

impl Drop for BackgroundWriters {
    fn drop(&mut self) {
        self.stop_all();
    }
}

async fn run(
    spec: WriterSpec,
    status: Arc<Mutex<WriterStatus>>,
    appender: Arc<dyn StreamAppender>,
) {
    // A rate so small that its period outlasts the run writes one event; capping the period keeps
    // the arithmetic of the interval (and `Duration` itself) in range for any accepted rate.
    let period = Duration::try_from_secs_f64(1.0 / spec.rate_per_sec)
        .unwrap_or(Duration::MAX)
        .min(Duration::from_millis(spec.duration_ms + 1));
    let end = tokio::time::Instant::now() + Duration::from_millis(spec.duration_ms);
    let mut ticks = tokio::time::interval(period);
    // A stalled runtime should not make the neighbour burst: it keeps its pace, as a real one would.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let id = lock(&status).id;
    let mut n: u64 = 0;
    loop {
        let tick = ticks.tick().await;
        if tick >= end {
            break;
        }
        n += 1;
        let message = format!("background writer {id} event {n}");
        match appender.append(&spec.log_group_name, &spec.log_stream_name, message) {
            Ok(()) => lock(&status).appended += 1,
            Err(reason) => {
                let mut st = lock(&status);
                st.state = WriterState::Failed;
                st.error = Some(reason);
                return;
            }
        }
    }
    lock(&status).state = WriterState::Finished;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder {
        stored: Mutex<Vec<String>>,
        fail_after: Option<usize>,
    }

    impl StreamAppender for Recorder {
        fn stream_exists(&self, group: &str, stream: &str) -> bool {
            group == "g" && stream == "s"
        }

        fn append(&self, _: &str, _: &str, message: String) -> Result<(), String> {
            let mut stored = lock(&self.stored);
            if self.fail_after.is_some_and(|n| stored.len() >= n) {
                return Err("The specified log stream does not exist.".into());
            }
            stored.push(message);
            Ok(())
        }
    }

    fn spec(rate: f64, ms: u64) -> WriterSpec {
        WriterSpec {
            log_group_name: "g".into(),
            log_stream_name: "s".into(),
            rate_per_sec: rate,
            duration_ms: ms,
        }
    }

    async fn wait_done(writers: &BackgroundWriters) -> WriterStatus {
        // Bounded: 10 s at most.
        for _ in 0..1000 {
            let status = writers.list().pop().unwrap();
            if status.state != WriterState::Running {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("writer still running");
    }

    #[test]
    fn specs_parse_from_the_documented_json_and_bad_ones_say_why() {
        let ok = WriterSpec::from_json(
            br#"{"logGroupName":"g","logStreamName":"s","ratePerSec":20,"durationMs":500}"#,
        )
        .unwrap();
        assert_eq!(ok, spec(20.0, 500));
        for (body, needle) in [
            (
                &br#"{"logGroupName":"g","logStreamName":"s","ratePerSec":0,"durationMs":5}"#[..],
                "ratePerSec",
            ),
            (
                br#"{"logGroupName":"g","logStreamName":"s","ratePerSec":1,"durationMs":0}"#,
                "durationMs",
            ),
            (
                br#"{"logGroupName":"","logStreamName":"s","ratePerSec":1,"durationMs":5}"#,
                "empty",
            ),
            (
                br#"{"logGroupName":"g","ratePerSec":1,"durationMs":5}"#,
                "logStreamName",
            ),
            (
                br#"{"logGroupName":"g","logStreamName":"s","ratePerSec":1,"durationMs":5,"x":1}"#,
                "unknown field",
            ),
            (b"[]", "invalid writer"),
        ] {
            let err = WriterSpec::from_json(body).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[tokio::test]
    async fn a_writer_appends_at_its_rate_then_finishes() {
        let writers = BackgroundWriters::new();
        let recorder = Arc::new(Recorder::default());
        let started = writers
            .start(spec(200.0, 100), recorder.clone(), 16)
            .unwrap();
        assert_eq!((started.id, started.state), (1, WriterState::Running));
        let done = wait_done(&writers).await;
        assert_eq!(done.state, WriterState::Finished);
        let stored = lock(&recorder.stored).clone();
        assert_eq!(done.appended as usize, stored.len());
        // About 20 events; a loaded machine may manage fewer, never many more.
        assert!((1..=21).contains(&stored.len()), "{}", stored.len());
        assert_eq!(stored[0], "background writer 1 event 1");
    }

    #[tokio::test]
    async fn a_tiny_rate_writes_once_and_finishes() {
        let writers = BackgroundWriters::new();
        let recorder = Arc::new(Recorder::default());
        writers
            .start(spec(1e-300, 20), recorder.clone(), 16)
            .unwrap();
        let done = wait_done(&writers).await;
        assert_eq!((done.state, done.appended), (WriterState::Finished, 1));
    }

    #[tokio::test]
    async fn a_failed_append_stops_the_writer_with_the_reason() {
        let writers = BackgroundWriters::new();
        let recorder = Arc::new(Recorder {
            fail_after: Some(2),
            ..Recorder::default()
        });
        writers.start(spec(500.0, 5_000), recorder, 16).unwrap();
        let done = wait_done(&writers).await;
        assert_eq!(done.state, WriterState::Failed);
        assert_eq!(done.appended, 2);
        assert!(done.error.unwrap().contains("does not exist"));
    }

    #[tokio::test]
    async fn unknown_streams_are_refused_and_reset_stops_writers() {
        let writers = BackgroundWriters::new();
        let recorder = Arc::new(Recorder::default());
        let mut other = spec(1.0, 10);
        other.log_stream_name = "nope".into();
        let err = writers.start(other, recorder.clone(), 16).unwrap_err();
        assert!(
            matches!(&err, WriterRefusal::Invalid(m) if m.contains("does not exist")),
            "{err:?}"
        );
        writers.start(spec(1.0, 60_000), recorder, 16).unwrap();
        writers.stop_all();
        assert!(writers.list().is_empty());
    }

    #[tokio::test]
    async fn running_writers_are_capped_and_ended_ones_forgotten_first() {
        let writers = BackgroundWriters::new();
        let recorder = Arc::new(Recorder::default());
        writers
            .start(spec(1.0, 60_000), recorder.clone(), 2)
            .unwrap();
        writers
            .start(spec(1.0, 60_000), recorder.clone(), 2)
            .unwrap();
        let err = writers
            .start(spec(1.0, 60_000), recorder.clone(), 2)
            .unwrap_err();
        assert!(
            matches!(&err, WriterRefusal::TooMany(m) if m.contains("admin.max_writers = 2")),
            "{err:?}"
        );
        // Ended writers do not count against the cap, and the history stays bounded.
        writers.stop_all();
        for _ in 0..HISTORY + 2 {
            writers.start(spec(1e-300, 1), recorder.clone(), 2).unwrap();
            let _ = wait_done(&writers).await;
        }
        assert!(writers.list().len() <= HISTORY);
    }
}
