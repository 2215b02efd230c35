//! The run itself: set up the group and streams, then drive every connection until the deadline.
//!
//! Each connection is one task that owns a hyper HTTP/1.1 client connection and keeps exactly
//! one request in flight, which is what a log shipper's sender does and what makes latency
//! meaningful. Tasks keep private tallies and merge them once at the end, so the hot path
//! touches no shared state except, in token mode, its stream's token and, with `--requests`,
//! one atomic ticket counter.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::config::LoadConfig;
use super::cpu::{cpu_times, rss_bytes, CpuTimes};
use super::histogram::Histogram;
use super::report::{ProcessUsage, Report};
use super::wire::{self, PutBody, SignedHeaders};

const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");

/// What every connection task shares, read-only except for the tokens and the ticket counter.
struct Shared {
    cfg: LoadConfig,
    headers: SignedHeaders,
    content_type: HeaderValue,
    put_target: HeaderValue,
    /// Pre-built batches, per stream.
    bodies: Vec<Vec<PutBody>>,
    /// nextSequenceToken per stream, used only with `--sequence-tokens`.
    tokens: Vec<Mutex<Option<String>>>,
    /// Requests started so far, used only with `--requests`.
    issued: AtomicU64,
    measure_start: Instant,
    deadline: Instant,
    /// Whole intervals in the measured window.
    intervals: usize,
}

/// One connection's counts, merged into the report at the end.
#[derive(Debug, Default)]
pub struct Tally {
    /// Successful PutLogEvents requests in the measured window.
    pub ok: u64,
    /// Failed requests (any cause) in the measured window.
    pub failed: u64,
    /// Events in successful requests.
    pub events: u64,
    /// Message bytes in successful requests.
    pub payload_bytes: u64,
    /// Request body bytes of successful requests.
    pub body_bytes: u64,
    /// Successful responses that carried `rejectedLogEventsInfo`.
    pub rejected_responses: u64,
    /// Connections re-opened after the server closed one or a request failed.
    pub reconnects: u64,
    /// Failures by error type.
    pub errors: BTreeMap<String, u64>,
    /// Latency of every measured request, successful or not, in microseconds.
    pub latency: Histogram,
    /// Successful requests answered in each whole interval of the measured window, in order
    /// (answers after the last whole interval are counted in `ok` only).
    pub per_interval: Vec<u64>,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.ok += o.ok;
        self.failed += o.failed;
        self.events += o.events;
        self.payload_bytes += o.payload_bytes;
        self.body_bytes += o.body_bytes;
        self.rejected_responses += o.rejected_responses;
        self.reconnects += o.reconnects;
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.latency.merge(&o.latency);
        if self.per_interval.len() < o.per_interval.len() {
            self.per_interval.resize(o.per_interval.len(), 0);
        }
        for (mine, theirs) in self.per_interval.iter_mut().zip(o.per_interval) {
            *mine += theirs;
        }
    }

    fn fail(&mut self, kind: String) {
        self.failed += 1;
        *self.errors.entry(kind).or_default() += 1;
    }
}

type Sender = SendRequest<Full<Bytes>>;

async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<Sender> {
    let tcp = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    // Small responses must not wait for Nagle's delayed-ACK dance.
    tcp.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(async move {
        // The connection ends when the sender is dropped or the server closes it; either way
        // the worker notices on its next request.
        let _ = conn.await;
    });
    Ok(sender)
}

fn request(
    headers: &SignedHeaders,
    content_type: &HeaderValue,
    target: HeaderValue,
    body: Bytes,
) -> anyhow::Result<Request<Full<Bytes>>> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/")
        .body(Full::new(body))?;
    let h = req.headers_mut();
    h.insert(HOST, headers.host.clone());
    h.insert(CONTENT_TYPE, content_type.clone());
    h.insert(X_AMZ_TARGET, target);
    h.insert(X_AMZ_DATE, headers.amz_date.clone());
    h.insert(AUTHORIZATION, headers.authorization.clone());
    Ok(req)
}

async fn exchange(
    sender: &mut Sender,
    req: Request<Full<Bytes>>,
) -> Result<(StatusCode, Bytes), hyper::Error> {
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    // Reading the whole body is what lets the connection be reused.
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

fn transport_kind(e: &hyper::Error) -> String {
    if e.is_incomplete_message() {
        "ConnectionClosed".into()
    } else if e.is_canceled() {
        "Canceled".into()
    } else if e.is_timeout() {
        "Timeout".into()
    } else {
        "TransportError".into()
    }
}

/// Creates the group and every stream, treating ResourceAlreadyExistsException as success so
/// that runs can be repeated against the same server.
async fn setup(cfg: &LoadConfig, headers: &SignedHeaders) -> anyhow::Result<()> {
    let mut sender = connect(cfg.addr).await?;
    let content_type = HeaderValue::from_static(wire::CONTENT_TYPE);
    let mut calls = vec![(
        "CreateLogGroup",
        format!("{{\"logGroupName\":{}}}", wire::json_string(&cfg.group)),
    )];
    for i in 0..cfg.streams {
        calls.push((
            "CreateLogStream",
            format!(
                "{{\"logGroupName\":{},\"logStreamName\":{}}}",
                wire::json_string(&cfg.group),
                wire::json_string(&cfg.stream_name(i))
            ),
        ));
    }
    for (op, body) in calls {
        let target = HeaderValue::from_str(&format!("{}{op}", wire::TARGET_PREFIX))?;
        // Servers that close after each response (HTTP/1.0 style) need a fresh connection.
        if sender.ready().await.is_err() {
            sender = connect(cfg.addr).await?;
        }
        let req = request(headers, &content_type, target, Bytes::from(body))?;
        let (status, body) = tokio::time::timeout(cfg.timeout, exchange(&mut sender, req))
            .await
            .with_context(|| format!("{op} timed out after {:?}", cfg.timeout))?
            .with_context(|| format!("{op} failed"))?;
        if !status.is_success() {
            let kind = wire::error_type(status.as_u16(), &body);
            if kind != "ResourceAlreadyExistsException" {
                bail!(
                    "{op} answered {status} {kind}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
        }
    }
    Ok(())
}

async fn worker(shared: Arc<Shared>, index: usize) -> Tally {
    let cfg = &shared.cfg;
    let stream = index % cfg.streams;
    let bodies = &shared.bodies[stream];
    // Connections that share a stream start at different batches.
    let mut next = index / cfg.streams;
    let mut tally = Tally {
        per_interval: vec![0; shared.intervals],
        ..Tally::default()
    };
    let mut conn: Option<Sender> = None;
    let mut connected_before = false;
    // This connection's requests so far, and the body of the last one (for --repeat-every).
    let mut sent: u64 = 0;
    let mut previous: Option<Bytes> = None;
    loop {
        if Instant::now() >= shared.deadline {
            break;
        }
        if let Some(max) = cfg.requests {
            if shared.issued.fetch_add(1, Ordering::Relaxed) >= max {
                break;
            }
        }
        if let Some(s) = conn.as_mut() {
            if s.ready().await.is_err() {
                conn = None;
            }
        }
        if conn.is_none() {
            match connect(cfg.addr).await {
                Ok(s) => {
                    if connected_before {
                        tally.reconnects += 1;
                    }
                    connected_before = true;
                    conn = Some(s);
                }
                Err(_) => {
                    if Instant::now() >= shared.measure_start {
                        tally.fail("ConnectError".into());
                    }
                    // A refused connect returns at once; pause so a dead server is not spun on.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(sender) = conn.as_mut() else {
            continue;
        };
        let repeat = cfg.repeat_every.is_some_and(|n| sent % n == n - 1);
        let body = match previous.as_ref().filter(|_| repeat) {
            Some(body) => body.clone(),
            None => {
                let batch = &bodies[next % bodies.len()];
                next += 1;
                let token = if cfg.sequence_tokens {
                    shared.tokens[stream]
                        .lock()
                        .map(|t| t.clone())
                        .unwrap_or(None)
                } else {
                    None
                };
                let first_ms = cfg.live_timestamps.then(|| {
                    let late = if cfg.late_ms > 0 && sent % cfg.late_every == cfg.late_every - 1 {
                        cfg.late_ms
                    } else {
                        0
                    };
                    // The last event at the send time, the others spread before it.
                    wire::now_millis().saturating_sub(cfg.spread_ms + late)
                });
                batch.render(token.as_deref(), first_ms)
            }
        };
        sent += 1;
        if cfg.repeat_every.is_some() {
            previous = Some(body.clone());
        }
        let body_len = body.len() as u64;
        let req = match request(
            &shared.headers,
            &shared.content_type,
            shared.put_target.clone(),
            body,
        ) {
            Ok(r) => r,
            Err(e) => {
                tally.fail(format!("RequestBuildError: {e}"));
                break;
            }
        };
        let started = Instant::now();
        let result = tokio::time::timeout(cfg.timeout, exchange(sender, req)).await;
        let latency = started.elapsed();
        let measured = started >= shared.measure_start;
        let outcome = match result {
            Err(_) => Err("Timeout".to_owned()),
            Ok(Err(e)) => Err(transport_kind(&e)),
            Ok(Ok(r)) => Ok(r),
        };
        match outcome {
            Err(kind) => {
                // The connection's state is unknown after a transport failure: start afresh.
                conn = None;
                if measured {
                    tally.fail(kind);
                }
            }
            Ok((status, resp)) if status.is_success() => {
                if cfg.sequence_tokens {
                    if let Some(t) = wire::string_member(&resp, "nextSequenceToken") {
                        if let Ok(mut slot) = shared.tokens[stream].lock() {
                            *slot = Some(t);
                        }
                    }
                }
                if measured {
                    let since = Instant::now().saturating_duration_since(shared.measure_start);
                    let slot = (since.as_secs_f64() / cfg.interval.as_secs_f64()) as usize;
                    if let Some(n) = tally.per_interval.get_mut(slot) {
                        *n += 1;
                    }
                    tally.ok += 1;
                    tally.events += cfg.events_per_batch as u64;
                    tally.payload_bytes += (cfg.events_per_batch * cfg.event_bytes) as u64;
                    tally.body_bytes += body_len;
                    if contains(&resp, b"rejectedLogEventsInfo") {
                        tally.rejected_responses += 1;
                    }
                }
            }
            Ok((status, resp)) => {
                let kind = wire::error_type(status.as_u16(), &resp);
                if cfg.sequence_tokens
                    && (kind == "InvalidSequenceTokenException"
                        || kind == "DataAlreadyAcceptedException")
                {
                    // The server says which token it expects (absent for an empty stream).
                    let expected = wire::string_member(&resp, "expectedSequenceToken");
                    if let Ok(mut slot) = shared.tokens[stream].lock() {
                        *slot = expected;
                    }
                }
                if measured {
                    tally.fail(kind);
                }
            }
        }
        if measured {
            tally.latency.record(latency.as_micros() as u64);
        }
    }
    tally
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn usage(pid: Option<u32>) -> Option<(CpuTimes, Option<u64>)> {
    let cpu = cpu_times(pid).ok()?;
    let rss = pid.and_then(|p| rss_bytes(p).ok());
    Some((cpu, rss))
}

/// Runs the whole load test described by `cfg` and returns its report.
pub async fn run(cfg: LoadConfig) -> anyhow::Result<Report> {
    let unix_secs = wire::now_millis() / 1000;
    let headers = SignedHeaders::new(&cfg.host, &cfg.access_key_id, &cfg.region, unix_secs)?;
    setup(&cfg, &headers)
        .await
        .with_context(|| format!("creating the log group and streams at {}", cfg.endpoint))?;

    // Every event is stamped with the start time, or spread over `spread_ms` after it: valid for
    // the service (within 2 h ahead and 14 days back for the whole bounded run) and
    // non-decreasing within each batch. With live timestamps the worker re-stamps each batch
    // when it sends it, keeping these offsets.
    let timestamp = wire::now_millis();
    let bodies: Vec<Vec<PutBody>> = (0..cfg.streams)
        .map(|s| {
            let name = cfg.stream_name(s);
            (0..cfg.distinct_batches)
                .map(|b| {
                    wire::put_body(
                        &cfg.group,
                        &name,
                        b,
                        cfg.events_per_batch,
                        cfg.event_bytes,
                        timestamp,
                        cfg.spread_ms,
                    )
                })
                .collect()
        })
        .collect();
    let avg_body = bodies[0][0].whole.len();
    let tokens = (0..cfg.streams).map(|_| Mutex::new(None)).collect();

    let start = Instant::now();
    let measure_start = start + cfg.warmup;
    let shared = Arc::new(Shared {
        headers,
        content_type: HeaderValue::from_static(wire::CONTENT_TYPE),
        put_target: HeaderValue::from_str(&format!("{}PutLogEvents", wire::TARGET_PREFIX))?,
        bodies,
        tokens,
        issued: AtomicU64::new(0),
        measure_start,
        deadline: measure_start + cfg.duration,
        intervals: (cfg.duration.as_secs_f64() / cfg.interval.as_secs_f64()).floor() as usize,
        cfg: cfg.clone(),
    });
    let mut tasks = Vec::with_capacity(cfg.connections);
    for i in 0..cfg.connections {
        tasks.push(tokio::spawn(worker(shared.clone(), i)));
    }
    // The server's CPU time at each interval boundary, so the report can say whether its cost
    // per request grew over the run (a figure that does not depend on how much of the machine
    // the server got, unlike throughput on a shared machine).
    // It stops with the workers: a run that ends early (`--requests`) must not wait out the
    // rest of `--duration` for boundaries no request will cross.
    let samples: Arc<Mutex<Vec<CpuTimes>>> = Arc::default();
    let sampler = cfg.server_pid.map(|pid| {
        let intervals = shared.intervals;
        let interval = cfg.interval;
        let samples = samples.clone();
        tokio::spawn(async move {
            for k in 0..=intervals {
                let at = measure_start + interval.mul_f64(k as f64);
                tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                match cpu_times(Some(pid)) {
                    Ok(t) => samples.lock().unwrap_or_else(|e| e.into_inner()).push(t),
                    Err(_) => break,
                }
            }
        })
    });
    tokio::time::sleep_until(tokio::time::Instant::from_std(measure_start)).await;
    let client_before = usage(None);
    let server_before = cfg.server_pid.and_then(|p| usage(Some(p)));
    let window_start = Instant::now();

    let mut tally = Tally::default();
    for t in tasks {
        tally.merge(t.await.context("a connection task panicked")?);
    }
    let window = window_start.elapsed();
    if let Some(task) = sampler {
        task.abort();
    }
    let server_cpu_per_interval: Vec<CpuTimes> = samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .windows(2)
        .map(|w| w[1].since(&w[0]))
        .collect();
    let client_after = usage(None);
    let server_after = cfg.server_pid.and_then(|p| usage(Some(p)));

    let diff = |before: Option<(CpuTimes, Option<u64>)>, after: Option<(CpuTimes, Option<u64>)>| {
        let (b, rss_b) = before?;
        let (a, rss_a) = after?;
        Some(ProcessUsage {
            cpu: a.since(&b),
            rss_before: rss_b,
            rss_after: rss_a,
        })
    };
    Ok(Report {
        client: diff(client_before, client_after),
        server: diff(server_before, server_after),
        window,
        avg_body_bytes: avg_body,
        server_cpu_per_interval,
        tally,
        cfg,
    })
}
