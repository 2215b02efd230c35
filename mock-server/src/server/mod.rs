//! The HTTP side and the composition root: a hyper 1 server that turns HTTP requests into
//! [`ApiRequest`]s, runs them through the [`Pipeline`] and writes the answers back, and
//! [`MockServerBuilder::start`], which wires the layers below into one running server.
//!
//! Routing, in order:
//! 1. paths under `/_mock/` (and the drop-in `/moto-api/` and `/_localstack/` ones) go to the
//!    admin API ([`crate::admin`]);
//! 2. everything else is a CloudWatch Logs request: the body is read up to
//!    [`crate::config::Limits::max_body_bytes`] (a larger `Content-Length` is refused before
//!    reading, a body that grows past it while streaming is refused when it does), then the
//!    pipeline decides. An [`Outcome::Close`] ends the connection without an answer, which is how
//!    hyper 1 reacts to a service error.
//!
//! [`MockServer`] owns the listener task: it binds at start, exposes [`MockServer::endpoint`], and
//! stops on [`MockServer::shutdown`] (graceful: open connections finish their current request) or
//! on drop (immediate).
//!
//! # One PutLogEvents request, from the socket to the store and back
//!
//! Down, each layer once, in the order control reaches them (not the order of the crate's layer
//! table: the server decodes with protocol before it hands a typed request to the pipeline, and
//! the pipeline reaches chaos only through its [`Hook`] trait objects). Calls into the ground,
//! `config/` and `clock.rs`, are reads of plain data; the service reading the typed request and
//! building [`ApiError`]s uses protocol's types, not its decoding.
//!
//! 1. **server** — [`accept_loop`] accepts and finds the connection a slot (`limits.max_connections`,
//!    shedding the longest-waiting connection when all are taken, `connections.rs`);
//!    `serve_connection` runs hyper's HTTP/1.1 on it under the header, body and idle limits; [`route`] sees a path that is not an admin
//!    one (`/_mock/`, `/moto-api/`, `/_localstack/`), copies `X-Amz-Target` and `Authorization`,
//!    and `read_body` reads the body under its cap.
//! 2. **protocol** — [`ApiRequest::new`] (`protocol/envelope.rs`) strips `Logs_20140328.`, reads
//!    the SigV4 credential scope (region, access key), names the operation once through the
//!    catalogue (`Operation::from_name`, a lookup in the generated table, not a visit of its own),
//!    and for PutLogEvents hands the text to the fast path (`protocol/put_json.rs`), which reads
//!    the members without building a `serde_json::Value` tree. Control returns to `route`, which
//!    holds a typed request and no longer looks at bytes.
//! 3. **pipeline** — [`Pipeline::handle`] reads the wall clock once and offers the request to each
//!    [`Hook`] in order (`Hook::before_decision`).
//! 4. **chaos** — `Controls::before_decision` (`chaos/controls.rs`): the fault plan draws
//!    (`FaultInjector::decide`, seeded), then the quotas (`Throttler::check`, on the monotonic
//!    clock). It answers in the pipeline's own [`Before`](crate::pipeline::Before): go on, delay, answer now (a throttle or
//!    an injected error, which skips steps 5–6) or close; an [`After`](crate::pipeline::After) for the answer (lose it,
//!    delay it) is kept under the request id for step 6.
//! 5. **service** — [`State::decision`] (`service/mod.rs`) takes the typed input
//!    (`ApiRequest::put_input`) to `put::put_log_events`, which validates it against the
//!    catalogue's input shape (`service/validate.rs`), then checks the batch rules the model cannot
//!    express (event and batch sizes, chronological order), finds the group and stream
//!    (`service/store.rs`), sets aside too-old, too-new and expired events and checks the 24-hour
//!    span of the rest, locks the stream, checks the token in strict mode, reserves the stored
//!    bytes, appends (`StreamState::append`) and builds the answer. It returns a
//!    [`Decision`](crate::service::Decision): the answer, and what it stored (`Stored`: events,
//!    bytes).
//!
//! Back up, each layer once:
//!
//! 6. **chaos** — `Controls::after_decision` counts the put from `Decision::stored` (never by
//!    re-reading the answer) and token conflicts from its error type, and returns the `After`
//!    kept in step 4 (deliver, delay, or drop: committed but unanswered).
//! 7. **pipeline** — `Pipeline::answer` tells every hook (`Hook::answered`, where chaos counts the
//!    request under its `Operation` for `/_mock/stats`) and returns [`Outcome::Answer`].
//! 8. **server** — `route` turns the [`ApiResponse`] (already encoded by the service or by
//!    `ApiError::into_response`) into an HTTP answer with `to_http` (`Content-Type`,
//!    `x-amzn-RequestId`, `X-Amzn-ErrorType`, extra headers such as `x-amz-retry-after`), and
//!    hyper writes it.
//!
//! Requests that never reach the pipeline (a body past the cap, a method other than POST) are
//! answered through `Pipeline::answer` directly (step 7), so hooks and stats see them too.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

mod connections;

use crate::admin::{Admin, AdminRequest, AdminResponse, Headers};
use crate::chaos::controls::Controls;
use crate::chaos::stats::{ConnectionEvent, Stats};
use crate::clock::{Clock, Monotonic, SystemClock, SystemMonotonic};
use crate::config::{Config, TokenMode};
use crate::persistence::durable::Durable;
use crate::persistence::journal::Journal;
use crate::pipeline::{Hook, Hooks, Outcome, Pipeline};
use crate::protocol::envelope::{ApiRequest, ApiResponse, CONTENT_TYPE as AMZ_JSON};
use crate::protocol::errors::ApiError;
use crate::service::State;
use crate::Error;
use connections::{connection_cap, Connections, Entry, Expiry, Timeouts, Tracked};

/// How long [`MockServer::shutdown`] lets open connections finish before closing them.
const GRACE: Duration = Duration::from_secs(5);

/// A running mock server. Dropping it stops it.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    served: Arc<Served>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    persistence: Option<Durable>,
}

/// What the accept loop serves: the pipeline for API requests and the admin API for `/_mock/`.
struct Served {
    pipeline: Pipeline,
    admin: Admin,
    /// The open connections, to shed one when the slots run out.
    connections: Arc<Connections>,
    /// The header-read and idle limits of the configuration.
    timeouts: Timeouts,
    /// `limits.body_read_timeout_ms`, `None` when off.
    body_timeout: Option<Duration>,
    /// With a state file: the journal every answer waits on, so nothing acknowledged is lost.
    journal: Option<Arc<Journal>>,
}

impl Served {
    fn stats(&self) -> &Stats {
        &self.admin.controls.stats
    }

    /// Waits until every change so far is as durable as configured (at once without a state
    /// file); the message of the 503 that replaces the answer when the journal cannot be written.
    async fn durable(&self) -> Result<(), String> {
        match &self.journal {
            Some(journal) => journal.durable().await.map_err(|reason| {
                format!("cwlogs-mock: the change is in memory but not durable: {reason}")
            }),
            None => Ok(()),
        }
    }

    /// Counts a body that did not arrive in time, and closes its connection.
    fn body_timed_out(&self) -> CloseConnection {
        self.stats().record_connection(ConnectionEvent::BodyTimeout);
        tracing::debug!("request body not complete in time; closing the connection");
        CloseConnection
    }
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served")
            .field("pipeline", &self.pipeline)
            .finish_non_exhaustive()
    }
}

/// Options for starting a [`MockServer`] beyond its [`Config`].
pub struct MockServerBuilder {
    config: Config,
    clock: Arc<dyn Clock>,
    monotonic: Arc<dyn Monotonic>,
    extra_hooks: Vec<Arc<dyn Hook>>,
}

impl std::fmt::Debug for MockServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServerBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MockServerBuilder {
    /// Uses `clock` instead of the system clock (tests pin time with [`crate::ManualClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `monotonic` for the request-rate quotas instead of the system's monotonic clock (tests
    /// that count throttles exactly hold it still with [`crate::ManualMonotonic`]).
    pub fn monotonic_clock(mut self, monotonic: Arc<dyn Monotonic>) -> Self {
        self.monotonic = monotonic;
        self
    }

    /// Adds a hook after the ones the configuration asks for.
    pub fn hook(mut self, hook: Arc<dyn Hook>) -> Self {
        self.extra_hooks.push(hook);
        self
    }

    /// Binds the listener and starts serving.
    pub async fn start(self) -> Result<MockServer, Error> {
        self.config.validate()?;
        let addr = SocketAddr::new(self.config.bind, self.config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                addr: addr.to_string(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let state = Arc::new(State::new(self.config));
        // Load before serving: a corrupt file stops the start (and is never saved over), and so
        // does a path that cannot be written.
        let mut persistence = match state.config.state.file.clone() {
            Some(path) => {
                let config = state.config.state.clone();
                let for_open = Arc::clone(&state);
                let opened =
                    tokio::task::spawn_blocking(move || Durable::open(&config, &path, for_open))
                        .await
                        .map_err(|e| Error::InvalidConfig(format!("state file: {e}")))??;
                Some(opened)
            }
            None => None,
        };
        let controls = Arc::new(
            Controls::new(
                state.config.throttle.rates(),
                state
                    .config
                    .faults
                    .plan()
                    .map_err(|e| Error::InvalidConfig(format!("faults: {e}")))?,
                state.config.token_mode == TokenMode::Strict,
                self.monotonic,
            )
            .counting_faults_for({
                let state = Arc::clone(&state);
                move |group, stream| {
                    state
                        .store
                        .group(group)
                        .is_some_and(|g| g.stream(stream).is_some())
                }
            }),
        );
        // The controls run first, so that they count every answer and their faults act before
        // any hook a test adds.
        let mut hooks = Hooks::new();
        hooks.push(Arc::clone(&controls) as Arc<dyn Hook>);
        for hook in self.extra_hooks {
            hooks.push(hook);
        }
        if let Some(durable) = persistence.as_mut() {
            durable.spawn_compactor(
                Duration::from_millis(state.config.state.save_interval_ms),
                state.config.state.compact_above_bytes,
            );
        }
        let journal = persistence.as_ref().map(|d| Arc::clone(d.journal()));
        let admin = Admin {
            state: Arc::clone(&state),
            clock: Arc::clone(&self.clock),
            controls,
        };
        let timeouts = Timeouts::from_limits(&state.config.limits);
        let body_timeout = Some(state.config.limits.body_read_timeout_ms)
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        let served = Arc::new(Served {
            pipeline: Pipeline {
                state,
                clock: self.clock,
                hooks,
            },
            admin,
            connections: Arc::new(Connections::default()),
            timeouts,
            body_timeout,
            journal,
        });
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&served), rx));
        tracing::info!(%addr, "cwlogs-mock listening");
        Ok(MockServer {
            addr,
            served,
            shutdown,
            task: Some(task),
            persistence,
        })
    }
}

impl MockServer {
    /// Starts a server with `config` and the system clock.
    pub async fn start(config: Config) -> Result<Self, Error> {
        Self::builder(config).start().await
    }

    /// A builder for options beyond the configuration.
    pub fn builder(config: Config) -> MockServerBuilder {
        MockServerBuilder {
            config,
            clock: Arc::new(SystemClock),
            monotonic: Arc::new(SystemMonotonic::new()),
            extra_hooks: Vec::new(),
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL to give SDKs and the CLI, e.g. `http://127.0.0.1:4588`. A wildcard bind
    /// address is shown as loopback, which is where a local client reaches it.
    pub fn endpoint(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            match self.addr {
                SocketAddr::V4(_) => "127.0.0.1".to_owned(),
                SocketAddr::V6(_) => "[::1]".to_owned(),
            }
        } else {
            match self.addr {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            }
        };
        format!("http://{ip}:{}", self.addr.port())
    }

    /// The same as [`MockServer::endpoint`], named as wiremock names it.
    pub fn uri(&self) -> String {
        self.endpoint()
    }

    /// The state (configuration and store) the server decides on.
    pub fn state(&self) -> &Arc<State> {
        &self.served.pipeline.state
    }

    /// Stops accepting, lets open connections finish their current request (up to 5 s), and
    /// waits until everything has stopped.
    /// With a state file, the store is saved one last time once everything has stopped.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        let _ = self.shutdown.send(true);
        self.served.admin.controls.writers.stop_all();
        let stopped = match self.task.take() {
            Some(task) => task.await.map_err(|e| Error::Shutdown(e.to_string())),
            None => Ok(()),
        };
        if let Some(durable) = self.persistence.take() {
            durable.close().await?;
        }
        stopped
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        // Writers hold the pipeline; stop them so nothing keeps writing after the server is gone.
        self.served.admin.controls.writers.stop_all();
        if let Some(task) = self.task.take() {
            // Aborting drops the listener and the set of connection tasks, which aborts them too.
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, served: Arc<Served>, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let configured = served.pipeline.state.config.limits.max_connections;
    let cap = connection_cap(configured);
    if cap < configured {
        tracing::info!(
            configured,
            cap,
            "connection cap lowered below the open-file limit"
        );
    }
    let slots = Arc::new(Semaphore::new(cap));
    let mut accept_errors = AcceptErrors::default();
    loop {
        // Accept first, then find the connection a slot: at the cap, the connection that has
        // waited longest without a request in service makes room, so stalled clients cannot lock
        // out a working one. Only when every connection is serving does the new one wait.
        let (stream, peer) = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_errors.note(&e);
                    // Out of file descriptors and similar: back off briefly instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // Ask one waiting connection to make room, and ask again while none frees a slot
                // (the one asked may have started a request meanwhile and declined).
                served.connections.shed_one();
                let mut retry = tokio::time::interval(Duration::from_millis(50));
                retry.tick().await;
                let slot = loop {
                    tokio::select! {
                        _ = stop.changed() => break None,
                        slot = Arc::clone(&slots).acquire_owned() => break slot.ok(),
                        _ = retry.tick() => {
                            served.connections.shed_one();
                        }
                    }
                };
                match slot {
                    Some(slot) => slot,
                    None => break,
                }
            }
        };
        served.stats().record_connection(ConnectionEvent::Accepted);
        let entry = served.connections.open();
        let served = Arc::clone(&served);
        let stop = stop.clone();
        connections.spawn(async move {
            serve_connection(stream, peer, entry, served, stop).await;
            drop(slot);
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = tokio::time::timeout(GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

/// Failed accepts, logged at most once a second: out of descriptors, the kernel reports the same
/// error for every pending client (issue 20 saw ~100 identical lines a second).
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<tokio::time::Instant>,
    suppressed: u64,
}

impl AcceptErrors {
    fn note(&mut self, error: &std::io::Error) {
        let now = tokio::time::Instant::now();
        if self
            .last_logged
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            self.suppressed += 1;
            return;
        }
        tracing::warn!(%error, suppressed = self.suppressed, "accept failed");
        self.last_logged = Some(now);
        self.suppressed = 0;
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    entry: Entry,
    served: Arc<Served>,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::clone(entry.activity());
    let io = TokioIo::new(Tracked::new(stream, Arc::clone(&activity)));
    let service = {
        let served = Arc::clone(&served);
        let activity = Arc::clone(&activity);
        service_fn(move |req| {
            let served = Arc::clone(&served);
            let serving = activity.serving();
            async move {
                let answer = route(&served, req).await;
                drop(serving);
                answer
            }
        })
    };
    let conn = http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let timeouts = served.timeouts;
    let mut stopping = false;
    let result = loop {
        let check = activity.next_check(&timeouts, tokio::time::Instant::now());
        tokio::select! {
            r = conn.as_mut() => break r,
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = activity.evicted() => {
                if activity.confirm_shed() {
                    served.stats().record_connection(ConnectionEvent::Evicted);
                    tracing::debug!(%peer, "connection closed to make room for a new client");
                    return;
                }
            }
            _ = sleep_until(check) => {
                if let Some(expiry) = activity.expired(&timeouts, tokio::time::Instant::now()) {
                    let event = match expiry {
                        Expiry::Header => ConnectionEvent::HeaderTimeout,
                        Expiry::Idle => ConnectionEvent::IdleTimeout,
                    };
                    served.stats().record_connection(event);
                    tracing::debug!(%peer, ?expiry, "connection closed by a timeout");
                    return;
                }
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended");
    }
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The service error that makes hyper close the connection without an answer.
#[derive(Debug)]
struct CloseConnection;

impl std::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed without an answer on purpose")
    }
}

impl std::error::Error for CloseConnection {}

async fn route(
    served: &Served,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, CloseConnection> {
    let path = req.uri().path().to_owned();
    if crate::admin::is_admin_path(&path) {
        return admin(served, req).await;
    }
    let pipeline = &served.pipeline;
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let target = header("x-amz-target");
    let authorization = header("authorization");
    let is_post = req.method() == hyper::Method::POST;
    let limit = pipeline.state.config.limits.max_body_bytes;
    let body = read_body(req, limit, served.body_timeout).await;

    let (request, early) = match body {
        Ok(bytes) => {
            let request = ApiRequest::new(target.as_deref(), authorization.as_deref(), &bytes);
            // The service only answers `POST /`; other methods cannot name an operation.
            let early = (!is_post).then(ApiError::unknown_operation);
            (request, early)
        }
        Err(BodyError::TimedOut) => return Err(served.body_timed_out()),
        Err(BodyError::Refused(e)) => (
            ApiRequest::new(target.as_deref(), authorization.as_deref(), b""),
            Some(e),
        ),
    };
    let outcome = match early {
        Some(e) => pipeline.answer(&request, e.into_response()),
        None => pipeline.handle(&request).await,
    };
    match outcome {
        Outcome::Answer(mut response) => {
            // The answer says the change is accepted: it must be as durable as configured
            // first. A journal that cannot be written turns the answer into a 503.
            if let Err(message) = served.durable().await {
                response = ApiError::service_unavailable(message).into_response();
            }
            tracing::debug!(
                operation = %request.operation,
                status = response.status,
                error = response.error_type.unwrap_or(""),
                "answered"
            );
            Ok(to_http(&request.request_id, response))
        }
        Outcome::Close => {
            tracing::debug!(operation = %request.operation, "closing without an answer");
            Err(CloseConnection)
        }
    }
}

/// Why a request body was not read.
enum BodyError {
    /// Refused with an answer (too large, unreadable).
    Refused(ApiError),
    /// Not complete within `limits.body_read_timeout_ms`: the connection is closed unanswered.
    TimedOut,
}

async fn read_body(
    req: Request<Incoming>,
    limit: usize,
    timeout: Option<Duration>,
) -> Result<Bytes, BodyError> {
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::Refused(ApiError::body_too_large(limit)));
    }
    let collect = Limited::new(req.into_body(), limit).collect();
    let collected = match timeout {
        Some(timeout) => match tokio::time::timeout(timeout, collect).await {
            Ok(collected) => collected,
            Err(_) => return Err(BodyError::TimedOut),
        },
        None => collect.await,
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(BodyError::Refused(ApiError::body_too_large(limit)))
        }
        // The client went away or sent a broken body; it will not read this answer anyway.
        Err(_) => Err(BodyError::Refused(ApiError::serialization(None))),
    }
}

fn to_http(request_id: &str, response: ApiResponse) -> Response<Full<Bytes>> {
    let mut http = Response::new(Full::new(Bytes::from(response.body)));
    *http.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = http.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(AMZ_JSON));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    if let Some(t) = response.error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(t));
    }
    for (name, value) in &response.headers {
        if let (Ok(n), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    http
}

async fn admin(
    served: &Served,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, CloseConnection> {
    let admin = &served.admin;
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let header = |name: hyper::header::HeaderName| {
        req.headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let host = header(hyper::header::HOST);
    let origin = header(hyper::header::ORIGIN);
    let content_type = header(CONTENT_TYPE);
    let limit = admin.state.config.limits.max_body_bytes;
    let mut answer = match read_body(req, limit, served.body_timeout).await {
        Ok(body) => crate::admin::handle(
            admin,
            &AdminRequest {
                method: &method,
                path: &path,
                query: &query,
                body: &body,
                headers: Headers {
                    host: host.as_deref(),
                    origin: origin.as_deref(),
                    content_type: content_type.as_deref(),
                },
            },
        ),
        Err(BodyError::TimedOut) => return Err(served.body_timed_out()),
        Err(BodyError::Refused(e)) => AdminResponse::error(
            e.status,
            e.message.unwrap_or_else(|| "unreadable body".into()),
        ),
    };
    // A reset is a change like any other: acknowledged only once as durable as configured.
    if answer.status < 300 {
        if let Err(message) = served.durable().await {
            answer = AdminResponse::error(503, message);
        }
    }
    let mut http = Response::new(Full::new(Bytes::from(answer.body)));
    *http.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::NOT_FOUND);
    http.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    Ok(http)
}
