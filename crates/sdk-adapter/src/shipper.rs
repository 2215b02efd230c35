//! The cloneable handle, its builder, and the background task that drives one writer.
//!
//! Each stream has a token-core [`StreamWriter`] behind a short-lived `std::sync::Mutex` (never
//! held across an `.await`), so that `try_send` can push and learn the result at once without a
//! round trip through a channel. One task per stream drains the writer's outputs, sends each
//! request in its own task (so Concurrent mode really has several in flight), feeds every answer
//! back, and sleeps until the writer's next deadline. Streams never share a task, so a throttled
//! stream does not hold up another.
//!
//! A push wakes the task only when the task has something to do: the push produced a request or a
//! report, or brought a deadline earlier than the one the task sleeps until (the first event of a
//! linger). Most pushes only buffer, and waking the task for each of them cost a cross-thread
//! wake-up per event that the request in flight had to share the cores with.

use crate::error::Error;
use crate::mapping;
use crate::report::{DeliveryReport, Tally};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use token_core::{
    Counters, Event, EventIds, Outcome, OverflowPolicy, Request, RequestId, RequestKind,
    StreamWriter, UnixMillis, WriterConfig,
};
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tracing::Instrument;

/// The default per-request timeout: long enough for a 1 MiB upload on a slow link, short enough
/// that a hung connection is noticed and handed to token-core as an unknown outcome.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the writers keep delivering after the last handle was dropped without
/// [`Shipper::shutdown`].
pub const DROP_GRACE: Duration = Duration::from_secs(10);

/// Builds a [`Shipper`]. Start with [`Shipper::builder`].
#[derive(Debug)]
pub struct ShipperBuilder {
    client: Client,
    log_group: String,
    streams: Vec<String>,
    config: Option<WriterConfig>,
    request_timeout: Duration,
    block_when_full: bool,
}

impl ShipperBuilder {
    /// Adds a log stream to write (at least one is needed; the first is the default for
    /// [`Shipper::send`]).
    pub fn stream(mut self, log_stream: impl Into<String>) -> Self {
        self.streams.push(log_stream.into());
        self
    }

    /// The token-core configuration every stream's writer starts from: limits, token mode,
    /// linger, buffer caps and overflow policy, auto-create, retention, retry policy, seed.
    /// Its `log_group` and `log_stream` fields are replaced by the shipper's; each stream's seed
    /// is offset by its position so that streams do not back off in lockstep.
    pub fn writer_config(mut self, config: WriterConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The timeout of one request (one attempt: the SDK's own retries are disabled). A request
    /// that times out is reported to token-core as [`Outcome::Unknown`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Makes [`Shipper::send`] wait for room when a buffer is full, instead of applying the
    /// configured overflow policy. The writers then run with [`OverflowPolicy::Reject`] and
    /// `send` retries whenever a writer makes progress; [`Shipper::try_send`] still never waits
    /// and returns [`Error::Full`].
    pub fn block_when_full(mut self, block: bool) -> Self {
        self.block_when_full = block;
        self
    }

    /// Creates the writers and spawns one task per stream on the current tokio runtime.
    pub fn build(self) -> Result<Shipper, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        if self.streams.is_empty() {
            return Err(Error::NoStreams);
        }
        let client = sdk_client_for_token_core(&self.client, self.request_timeout);
        let clock = Clock::start();
        let (progress, _) = watch::channel(0u64);
        let progress = Arc::new(progress);
        let template = self
            .config
            .unwrap_or_else(|| WriterConfig::new(self.log_group.clone(), self.streams[0].clone()));
        let mut streams = BTreeMap::new();
        let mut order = Vec::with_capacity(self.streams.len());
        for (i, name) in self.streams.iter().enumerate() {
            if streams.contains_key(name) {
                return Err(Error::DuplicateStream(name.clone()));
            }
            let mut config = template.clone();
            config.log_group.clone_from(&self.log_group);
            config.log_stream.clone_from(name);
            config.seed = template.seed.wrapping_add(i as u64);
            if self.block_when_full {
                config.buffer.overflow = OverflowPolicy::Reject;
            }
            let writer = StreamWriter::new(config).map_err(Error::Core)?;
            let stream = Arc::new(Stream {
                name: name.clone(),
                state: Mutex::new(State {
                    writer,
                    tally: Tally::default(),
                    task_sleeps_until: None,
                }),
                wake: Notify::new(),
            });
            streams.insert(name.clone(), stream);
            order.push(name.clone());
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = Vec::with_capacity(streams.len());
        for stream in streams.values() {
            // The span marks everything the task and its requests emit as the shipper's own, so
            // that `ShipperLayer` never ships it (its name is `layer::INTERNAL_SPAN`).
            let span = tracing::info_span!("sdk_adapter_internal", log_stream = %stream.name);
            tasks.push(
                runtime.spawn(
                    drive(
                        Arc::clone(stream),
                        client.clone(),
                        clock,
                        Arc::clone(&progress),
                        stop_rx.clone(),
                    )
                    .instrument(span),
                ),
            );
        }
        Ok(Shipper {
            inner: Arc::new(Inner {
                log_group: self.log_group,
                default_stream: order.swap_remove(0),
                streams,
                clock,
                progress,
                stop: stop_tx,
                tasks: Mutex::new(tasks),
                block_when_full: self.block_when_full,
            }),
        })
    }
}

/// A cheap, cloneable handle to the background writers of one log group's streams.
///
/// Dropping every handle without [`shutdown`](Shipper::shutdown) closes the writers and lets the
/// tasks deliver what they still can in the background for [`DROP_GRACE`], with no report; call
/// `shutdown` to wait for delivery with a deadline and learn what became of every event.
#[derive(Debug, Clone)]
pub struct Shipper {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    log_group: String,
    default_stream: String,
    streams: BTreeMap<String, Arc<Stream>>,
    clock: Clock,
    /// Bumped by every task after every step; whoever waits for room or for a flush re-checks.
    progress: Arc<watch::Sender<u64>>,
    /// Set when a shutdown deadline passes: the tasks abandon what is still in flight.
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    block_when_full: bool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: nobody can push any more, so let the writers finish what they
        // hold, for at most DROP_GRACE. The tasks stop when the stop sender is dropped, so it is
        // moved into a timer task; without a runtime (dropped outside one) they stop at once.
        let now = self.clock.now();
        for stream in self.streams.values() {
            stream.lock().writer.close(now);
            stream.wake.notify_one();
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (replacement, _) = watch::channel(true);
            let stop = std::mem::replace(&mut self.stop, replacement);
            runtime.spawn(async move {
                tokio::time::sleep(DROP_GRACE).await;
                stop.send_replace(true);
            });
        }
    }
}

#[derive(Debug)]
struct Stream {
    name: String,
    state: Mutex<State>,
    /// Wakes the stream's task after a push, flush or close.
    wake: Notify,
}

#[derive(Debug)]
struct State {
    writer: StreamWriter,
    tally: Tally,
    /// The deadline the stream's task last armed its timer for (`None`: it waits only for answers
    /// and wakes). A push that brings an earlier deadline must wake the task; one that does not
    /// can leave it asleep.
    task_sleeps_until: Option<UnixMillis>,
}

impl State {
    /// Whether the stream's task must look at the writer after a push: the push produced output
    /// to drain, or a deadline earlier than the one the task sleeps until.
    fn task_has_work(&self) -> bool {
        self.writer.has_output()
            || is_earlier(
                self.writer.poll_timeout().map(|d| d.at),
                self.task_sleeps_until,
            )
    }

    /// Folds every pending report into the tally; true if there was one.
    fn drain_reports(&mut self) -> bool {
        let mut any = false;
        while let Some(report) = self.writer.poll_report() {
            self.tally.record(&report);
            any = true;
        }
        any
    }
}

impl Stream {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves the writer consistent between inputs
        // (token-core's methods do not unwind half-way through on valid input), so keep going.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stream's tally with counters brought up to date.
    fn tally(&self) -> Tally {
        let mut st = self.lock();
        // Inputs from handles (push, flush, close) produce reports too; fold them in here as well
        // as in the task, so that a report taken after the task stopped misses none.
        st.drain_reports();
        let mut tally = st.tally.clone();
        tally.sync_counters(st.writer.counters());
        tally
    }
}

impl Shipper {
    /// Starts building a shipper that writes to `log_group` with `client`.
    ///
    /// The client keeps the caller's credentials, region and endpoint (including
    /// `AWS_ENDPOINT_URL`); the shipper only disables the SDK's retries and sets a per-request
    /// timeout on its own copy, so that token-core is the only retry authority.
    pub fn builder(client: Client, log_group: impl Into<String>) -> ShipperBuilder {
        ShipperBuilder {
            client,
            log_group: log_group.into(),
            streams: Vec::new(),
            config: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            block_when_full: false,
        }
    }

    /// The log group this shipper writes to.
    pub fn log_group(&self) -> &str {
        &self.inner.log_group
    }

    /// The log streams this shipper writes to, by name.
    pub fn streams(&self) -> impl Iterator<Item = &str> {
        self.inner.streams.keys().map(String::as_str)
    }

    /// Sends an event to the default (first) stream; see [`send_to`](Self::send_to).
    pub async fn send(&self, event: Event) -> Result<EventIds, Error> {
        self.send_to(&self.inner.default_stream, event).await
    }

    /// Hands an event to the writer of `log_stream`. When its buffer is full and the shipper was
    /// built with [`block_when_full`](ShipperBuilder::block_when_full), waits until there is
    /// room; otherwise it behaves like [`try_send_to`](Self::try_send_to). It never waits on a
    /// writer that stopped on a fatal error (its buffer would never drain): that returns
    /// [`Error::Full`] at once, and the report names the fatal error.
    ///
    /// Returns the id(s) token-core gave the event. An accepted event may still end up rejected
    /// (too old, too new) or dropped (overflow policy): the report says so.
    pub async fn send_to(&self, log_stream: &str, event: Event) -> Result<EventIds, Error> {
        // The first attempt needs no subscription: only a full buffer makes `send` wait, and the
        // attempts after subscribing below catch any progress made in between.
        let mut event = match self.try_send_to(log_stream, event) {
            Err(Error::Full { event: back, .. })
                if self.inner.block_when_full && !self.is_stopped(log_stream) =>
            {
                back
            }
            other => return other,
        };
        loop {
            // Subscribing before the attempt means a step of the writer between the attempt and
            // the wait is not missed.
            let mut progress = self.inner.progress.subscribe();
            match self.try_send_to(log_stream, event) {
                Err(Error::Full { event: back, .. })
                    if self.inner.block_when_full && !self.is_stopped(log_stream) =>
                {
                    event = back;
                    if progress.changed().await.is_err() {
                        // Unreachable while `self` holds the sender; treat it as closed.
                        return Err(Error::Closed {
                            stream: log_stream.to_owned(),
                            event,
                        });
                    }
                }
                other => return other,
            }
        }
    }

    /// Whether the writer of `log_stream` stopped on a fatal error: its buffer will not drain
    /// before shutdown, so waiting for room would wait forever.
    fn is_stopped(&self, log_stream: &str) -> bool {
        self.inner
            .streams
            .get(log_stream)
            .is_some_and(|s| s.lock().writer.is_stopped())
    }

    /// Sends an event to the default (first) stream without waiting; see
    /// [`try_send_to`](Self::try_send_to).
    pub fn try_send(&self, event: Event) -> Result<EventIds, Error> {
        self.try_send_to(&self.inner.default_stream, event)
    }

    /// Hands an event to the writer of `log_stream` without ever waiting. A full buffer under the
    /// `Reject` policy (or `block_when_full`) returns [`Error::Full`] with the event.
    pub fn try_send_to(&self, log_stream: &str, event: Event) -> Result<EventIds, Error> {
        let Some(stream) = self.inner.streams.get(log_stream) else {
            return Err(Error::UnknownStream {
                stream: log_stream.to_owned(),
                event,
            });
        };
        let (result, wake) = {
            let mut st = stream.lock();
            let result = st.writer.push(event, self.inner.clock.now());
            let wake = result.is_ok() && st.task_has_work();
            (result, wake)
        };
        if wake {
            stream.wake.notify_one();
        }
        result.map_err(|e| Error::from_push(&stream.name, e))
    }

    /// Sends everything pushed so far without waiting for linger, and waits until all of it has
    /// a final outcome or `deadline` passes, whichever comes first. Writers keep running after
    /// the deadline; the report says what was still undelivered when it was taken.
    pub async fn flush(&self, deadline: Instant) -> DeliveryReport {
        let now = self.inner.clock.now();
        for stream in self.inner.streams.values() {
            stream.lock().writer.flush(now);
            stream.wake.notify_one();
        }
        self.wait_until(deadline, |w| w.is_idle() || w.is_stopped())
            .await;
        self.report()
    }

    /// Refuses further events, sends everything buffered, and waits until every event has a final
    /// outcome or `deadline` passes. At the deadline, requests still in flight are abandoned and
    /// their events, with everything still buffered, are reported as undelivered: the report
    /// always satisfies `delivered + rejected + dropped + undelivered = accepted`.
    ///
    /// Later calls on any clone of this handle return `Error::Closed` for new events and an
    /// up-to-date report for `flush`/`shutdown`.
    pub async fn shutdown(&self, deadline: Instant) -> DeliveryReport {
        let now = self.inner.clock.now();
        for stream in self.inner.streams.values() {
            stream.lock().writer.close(now);
            stream.wake.notify_one();
        }
        self.wait_until(deadline, StreamWriter::is_closed).await;
        // Whatever is left is abandoned: stop the tasks (and their requests) and wait for them,
        // so that no answer arrives after the report is taken.
        self.inner.stop.send_replace(true);
        let tasks = std::mem::take(
            &mut *self
                .inner
                .tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for task in tasks {
            // A task that panicked has nothing more to report; the counters are still exact.
            let _ = task.await;
        }
        self.report()
    }

    /// What became of the events so far, per stream and in total (a snapshot; it does not wait).
    pub fn report(&self) -> DeliveryReport {
        let streams = self
            .inner
            .streams
            .iter()
            .map(|(name, s)| (name.clone(), s.tally()))
            .collect();
        DeliveryReport::new(self.inner.log_group.clone(), streams)
    }

    /// A snapshot of every stream's token-core counters, by stream name.
    pub fn counters(&self) -> BTreeMap<String, Counters> {
        self.inner
            .streams
            .iter()
            .map(|(name, s)| (name.clone(), *s.lock().writer.counters()))
            .collect()
    }

    /// Waits until `done` holds for every writer, or until `deadline`.
    async fn wait_until(&self, deadline: Instant, done: impl Fn(&StreamWriter) -> bool) {
        loop {
            // After a shutdown no task is left to make progress: answer at once.
            if *self.inner.stop.borrow() {
                return;
            }
            let mut progress = self.inner.progress.subscribe();
            let all_done = self.inner.streams.values().all(|s| done(&s.lock().writer));
            if all_done {
                return;
            }
            match tokio::time::timeout_at(deadline, progress.changed()).await {
                Ok(Ok(())) => {}
                // Deadline reached (or, impossibly, the sender is gone).
                Ok(Err(_)) | Err(_) => return,
            }
        }
    }
}

/// A copy of the caller's client with the SDK's retries disabled (token-core retries) and an
/// operation timeout (a hung connection must become an unknown outcome, not a hung writer).
fn sdk_client_for_token_core(client: &Client, request_timeout: Duration) -> Client {
    let config = client.config();
    let timeouts = config
        .timeout_config()
        .map(TimeoutConfig::to_builder)
        .unwrap_or_default()
        .operation_timeout(request_timeout)
        .operation_attempt_timeout(request_timeout)
        .build();
    Client::from_conf(
        config
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .build(),
    )
}

/// Wall-clock milliseconds for token-core, advanced by tokio's monotonic clock: read once, then
/// never jumping backwards, and virtual under `tokio::time::pause` in tests.
#[derive(Debug, Clone, Copy)]
struct Clock {
    wall_at_start: i64,
    start: Instant,
}

impl Clock {
    fn start() -> Clock {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Clock {
            wall_at_start: wall,
            start: Instant::now(),
        }
    }

    fn now(&self) -> UnixMillis {
        let elapsed = i64::try_from(self.start.elapsed().as_millis()).unwrap_or(i64::MAX);
        UnixMillis(self.wall_at_start.saturating_add(elapsed))
    }

    fn instant_of(&self, at: UnixMillis) -> Instant {
        let ms = u64::try_from(at.since(UnixMillis(self.wall_at_start))).unwrap_or(0);
        self.start + Duration::from_millis(ms)
    }
}

/// The task of one stream: drain the writer, send its requests, feed back answers and deadlines.
async fn drive(
    stream: Arc<Stream>,
    client: Client,
    clock: Clock,
    progress: Arc<watch::Sender<u64>>,
    mut stop: watch::Receiver<bool>,
) {
    let (answers_tx, mut answers) = mpsc::unbounded_channel::<(RequestId, Outcome)>();
    let mut in_flight = JoinSet::new();
    // Which request each request task carries, so that a task that panicked (a bug in a
    // dependency) still gets its request answered, as an unknown outcome, instead of leaving the
    // writer waiting for an answer that never comes.
    let mut carried: HashMap<tokio::task::Id, RequestId> = HashMap::new();
    loop {
        let (requests, deadline, closed) = {
            let mut st = stream.lock();
            let mut requests = Vec::new();
            loop {
                let mut any = false;
                while let Some(r) = st.writer.poll_request() {
                    requests.push(r);
                    any = true;
                }
                any |= st.drain_reports();
                if !any {
                    break;
                }
            }
            let deadline = st.writer.poll_timeout();
            // Pushes from now on compare against this deadline to decide whether to wake us.
            st.task_sleeps_until = deadline.map(|d| d.at);
            (requests, deadline, st.writer.is_closed())
        };
        progress.send_modify(|n| *n = n.wrapping_add(1));
        for request in requests {
            let client = client.clone();
            let answers = answers_tx.clone();
            let id = request.id;
            let handle = in_flight.spawn(
                async move {
                    let Request { id, kind } = request;
                    let outcome = execute(&client, kind).await;
                    // The receiver is gone only when the task stopped; the answer no longer
                    // matters.
                    let _ = answers.send((id, outcome));
                }
                .in_current_span(),
            );
            carried.insert(handle.id(), id);
        }
        if closed {
            return;
        }
        let sleep_until = deadline.map(|d| clock.instant_of(d.at));
        tokio::select! {
            Some((id, outcome)) = answers.recv() => {
                stream.lock().writer.handle_response(id, outcome, clock.now());
            }
            () = sleep_or_never(sleep_until) => {
                stream.lock().writer.handle_timeout(clock.now());
            }
            () = stream.wake.notified() => {}
            // Reap finished request tasks so the set does not grow.
            Some(joined) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                match joined {
                    Ok((task, ())) => {
                        carried.remove(&task);
                    }
                    Err(err) => {
                        if let Some(id) = carried.remove(&err.id()) {
                            stream.lock().writer.handle_response(id, Outcome::Unknown, clock.now());
                        }
                    }
                }
            }
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}

/// Whether deadline `next` comes before `armed`, the one a timer is set for (`None`: no deadline,
/// i.e. later than any).
fn is_earlier(next: Option<UnixMillis>, armed: Option<UnixMillis>) -> bool {
    match (next, armed) {
        (Some(next), Some(armed)) => next < armed,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

async fn sleep_or_never(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Sends one request through the SDK and maps the result. The SDK's retries are off, so this is
/// exactly one attempt.
async fn execute(client: &Client, kind: RequestKind) -> Outcome {
    match kind {
        RequestKind::PutLogEvents {
            log_group,
            log_stream,
            events,
            sequence_token,
        } => {
            let mut input = Vec::with_capacity(events.len());
            for e in events.iter() {
                match InputLogEvent::builder()
                    .timestamp(e.timestamp.as_millis())
                    .message(e.message.clone())
                    .build()
                {
                    Ok(event) => input.push(event),
                    // Both required fields are set above, so this cannot happen; if it did, the
                    // request is malformed and must not be resent as is.
                    Err(err) => {
                        return Outcome::InvalidParameter {
                            message: err.to_string(),
                        }
                    }
                }
            }
            let result = client
                .put_log_events()
                .log_group_name(log_group)
                .log_stream_name(log_stream)
                .set_log_events(Some(input))
                .set_sequence_token(sequence_token)
                .send()
                .await;
            mapping::put_log_events(&result)
        }
        RequestKind::CreateLogGroup { log_group } => {
            let result = client
                .create_log_group()
                .log_group_name(log_group)
                .send()
                .await;
            mapping::create_log_group(&result)
        }
        RequestKind::CreateLogStream {
            log_group,
            log_stream,
        } => {
            let result = client
                .create_log_stream()
                .log_group_name(log_group)
                .log_stream_name(log_stream)
                .send()
                .await;
            mapping::create_log_stream(&result)
        }
        RequestKind::PutRetentionPolicy {
            log_group,
            retention_days,
        } => {
            let Ok(days) = i32::try_from(retention_days) else {
                return Outcome::InvalidParameter {
                    message: format!("retention of {retention_days} days is out of range"),
                };
            };
            let result = client
                .put_retention_policy()
                .log_group_name(log_group)
                .retention_in_days(days)
                .send()
                .await;
            mapping::put_retention_policy(&result)
        }
        // A request kind added to token-core after this adapter: refuse it loudly rather than
        // guess, so the writer stops instead of looping.
        other => Outcome::Fatal {
            code: "UnsupportedRequest".to_owned(),
            message: format!("sdk-adapter cannot send {}", other.operation()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_earlier_deadline_needs_the_task() {
        let (a, b) = (UnixMillis(1_000), UnixMillis(2_000));
        assert!(is_earlier(Some(a), Some(b)));
        assert!(
            is_earlier(Some(a), None),
            "a first deadline is earlier than none"
        );
        assert!(!is_earlier(Some(b), Some(a)));
        assert!(
            !is_earlier(Some(a), Some(a)),
            "the timer already fires then"
        );
        assert!(!is_earlier(None, Some(a)));
        assert!(!is_earlier(None, None));
    }
}
