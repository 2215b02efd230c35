//! The load tool's arguments and their validation.
//!
//! Every limit is checked before a single connection is opened, so a mistyped flag ends in one
//! clear message instead of a run full of `InvalidParameterException`s or a panic.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;

/// PutLogEvents allows at most this many events per batch.
pub const MAX_BATCH_EVENTS: usize = 10_000;
/// PutLogEvents allows at most this many bytes per batch, counting 26 bytes per event.
pub const MAX_BATCH_BYTES: usize = 1_048_576;
/// The per-event overhead the service counts on top of the UTF-8 message bytes.
pub const EVENT_OVERHEAD: usize = 26;
/// The longest run the tool accepts, warm-up included; timestamps are fixed at the start (or at
/// most an hour behind the send time), and an hour keeps them well inside the service's 14-day
/// window.
pub const MAX_RUN: Duration = Duration::from_secs(3600);
/// The most memory the pre-built request bodies may take.
pub const MAX_PREBUILT_BYTES: usize = 1 << 30;

/// Command-line arguments of `cwlogs-load`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "cwlogs-load",
    about = "Drive a CloudWatch Logs endpoint on loopback with raw awsJson1_1 PutLogEvents requests",
    long_about = "Drive a CloudWatch Logs endpoint (cwlogs-mock, moto, LocalStack, ...) on a loopback \
address with raw awsJson1_1 PutLogEvents requests over N keep-alive HTTP/1.1 connections, then \
report requests/s, events/s, MB/s, latency percentiles, errors by __type and the tool's own CPU time.

Loopback only: an endpoint that does not resolve to 127.0.0.0/8 or ::1 is refused before anything is sent. The tool sends as fast as the server answers, with signatures that are only SigV4-shaped, and its latency and server-CPU figures assume the server is on this machine; aimed at a shared or real service it would be a flood of rejected requests, not a measurement."
)]
pub struct Args {
    /// Base URL of the endpoint, e.g. http://127.0.0.1:4566 (plain HTTP on a loopback address).
    #[arg(long, env = "CWLOGS_LOAD_ENDPOINT")]
    pub endpoint: String,
    /// Concurrent keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Distinct log streams; connection i writes to stream i mod N. Defaults to one per connection.
    #[arg(long, conflicts_with = "shared_stream")]
    pub streams: Option<usize>,
    /// Every connection writes to one shared stream (same as --streams 1).
    #[arg(long)]
    pub shared_stream: bool,
    /// Events per PutLogEvents batch (1-10000).
    #[arg(long, default_value_t = 100)]
    pub events_per_batch: usize,
    /// UTF-8 bytes per event message (ASCII, so also characters).
    #[arg(long, default_value_t = 200)]
    pub event_bytes: usize,
    /// Measured duration in seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Warm-up in seconds: requests are sent but not counted.
    #[arg(long, default_value_t = 0.0)]
    pub warmup: f64,
    /// Stop after this many PutLogEvents requests in total (warm-up included), or at the end of
    /// the duration, whichever comes first.
    #[arg(long)]
    pub requests: Option<u64>,
    /// Carry nextSequenceToken per stream (and adopt expectedSequenceToken after a token error),
    /// for servers that enforce the legacy token protocol.
    #[arg(long)]
    pub sequence_tokens: bool,
    /// Log group to write to (created if missing).
    #[arg(long, default_value = "cwlogs-load")]
    pub group: String,
    /// Prefix of the stream names: PREFIX-0, PREFIX-1, ... (created if missing).
    #[arg(long, default_value = "load")]
    pub stream_prefix: String,
    /// Different pre-built batches per stream, sent in turn, so a server does not see one body
    /// repeated.
    #[arg(long, default_value_t = 4)]
    pub distinct_batches: usize,
    /// Spread the events of each batch evenly over this many milliseconds after the run's start
    /// (0: every event has the start time), or, with --live-timestamps, over the milliseconds
    /// before the batch's send time. With a spread, every batch after the first starts before the
    /// last one stored ends, as with several writers on one stream or a batch sent again: the
    /// store must insert into the middle of the stream.
    #[arg(long, default_value_t = 0)]
    pub spread_ms: u64,
    /// Stamp each batch when it is sent, its last event at the send time and the others spread
    /// before it over --spread-ms, as a shipper batching what it just read does (default: every
    /// batch keeps the stamps of the run's start).
    #[arg(long)]
    pub live_timestamps: bool,
    /// Make every --late-every'th batch of each connection this many milliseconds late: stamped
    /// that far before its send time, so it lands behind events already stored, as from a writer
    /// that buffered or retried. Implies --live-timestamps.
    #[arg(long, default_value_t = 0)]
    pub late_ms: u64,
    /// With --late-ms: which batches are late (every Nth of each connection).
    #[arg(long, default_value_t = 4)]
    pub late_every: u64,
    /// Every Nth request of each connection sends its previous body again, byte for byte, as a
    /// shipper retrying a put whose answer it lost does (the events are stored twice; with
    /// --sequence-tokens a strict server answers DataAlreadyAcceptedException).
    #[arg(long)]
    pub repeat_every: Option<u64>,
    /// Length in seconds of the intervals the report's throughput over time is counted in.
    #[arg(long, default_value_t = 5.0)]
    pub interval: f64,
    /// Region put in the SigV4-shaped credential scope.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Access key id put in the SigV4-shaped credential scope.
    #[arg(long, default_value = "AKIDCWLOGSLOAD")]
    pub access_key_id: String,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Worker threads of the tool's runtime.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Also report the CPU time and resident memory of this process (the server) over the
    /// measured window.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A validated run plan.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Where to connect.
    pub addr: SocketAddr,
    /// The value of the `Host` header.
    pub host: String,
    /// The endpoint as given.
    pub endpoint: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Distinct streams (1 means shared).
    pub streams: usize,
    /// Events per batch.
    pub events_per_batch: usize,
    /// Bytes per event message.
    pub event_bytes: usize,
    /// Measured window.
    pub duration: Duration,
    /// Uncounted warm-up before the window.
    pub warmup: Duration,
    /// Optional cap on the number of requests.
    pub requests: Option<u64>,
    /// Whether tokens are carried.
    pub sequence_tokens: bool,
    /// Log group name.
    pub group: String,
    /// Stream name prefix.
    pub stream_prefix: String,
    /// Pre-built batches per stream.
    pub distinct_batches: usize,
    /// Milliseconds over which each batch's events are spread.
    pub spread_ms: u64,
    /// Whether batches are stamped at send time.
    pub live_timestamps: bool,
    /// How late the late batches are (0: none).
    pub late_ms: u64,
    /// Which batches of a connection are late (every Nth).
    pub late_every: u64,
    /// Every Nth request of a connection repeats the previous body.
    pub repeat_every: Option<u64>,
    /// Length of the throughput-over-time intervals.
    pub interval: Duration,
    /// Credential-scope region.
    pub region: String,
    /// Credential-scope access key id.
    pub access_key_id: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Runtime worker threads.
    pub threads: usize,
    /// Server process to observe.
    pub server_pid: Option<u32>,
}

impl LoadConfig {
    /// The name of stream `i`.
    pub fn stream_name(&self, i: usize) -> String {
        if self.streams == 1 {
            format!("{}-shared", self.stream_prefix)
        } else {
            format!("{}-{i}", self.stream_prefix)
        }
    }

    /// The service-counted size of one batch: message bytes plus 26 per event.
    pub fn batch_bytes(&self) -> usize {
        self.events_per_batch * (self.event_bytes + EVENT_OVERHEAD)
    }
}

fn seconds(name: &str, v: f64) -> anyhow::Result<Duration> {
    if !v.is_finite() || v < 0.0 {
        bail!("--{name} must be a non-negative number of seconds, got {v}");
    }
    Duration::try_from_secs_f64(v).with_context(|| format!("--{name} {v} is out of range"))
}

/// Parses `http://HOST:PORT[/]` and resolves it to a loopback socket address.
///
/// Anything that does not resolve to a loopback address is an error: the tool is a local capacity
/// tool (see the module docs of [`crate::load`] for why), so the check happens here, before any
/// connection is opened, rather than being left to the user.
pub fn parse_endpoint(endpoint: &str) -> anyhow::Result<(SocketAddr, String)> {
    let rest = match endpoint.split_once("://") {
        Some(("http", rest)) => rest,
        Some((scheme, _)) => bail!(
            "--endpoint {endpoint}: scheme {scheme:?} is not supported; the load tool speaks plain \
             HTTP to a loopback server"
        ),
        None => bail!("--endpoint {endpoint}: expected http://HOST:PORT"),
    };
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') || authority.contains('@') {
        bail!("--endpoint {endpoint}: expected http://HOST:PORT with no path");
    }
    let with_port = if authority.ends_with(']') || !authority.contains(':') {
        format!("{authority}:80")
    } else {
        authority.to_owned()
    };
    let addrs: Vec<SocketAddr> = with_port
        .to_socket_addrs()
        .with_context(|| format!("--endpoint {endpoint}: cannot resolve {with_port}"))?
        .collect();
    // Load is only ever aimed at a server on this machine: refuse anything else outright.
    let Some(addr) = addrs.iter().copied().find(|a| a.ip().is_loopback()) else {
        bail!(
            "--endpoint {endpoint}: {with_port} is not a loopback address; the load tool only \
             targets servers on this machine (127.0.0.0/8 or ::1)"
        );
    };
    Ok((addr, authority.to_owned()))
}

impl TryFrom<&Args> for LoadConfig {
    type Error = anyhow::Error;

    fn try_from(a: &Args) -> anyhow::Result<Self> {
        let (addr, host) = parse_endpoint(&a.endpoint)?;
        if !(1..=1024).contains(&a.connections) {
            bail!("--connections must be 1-1024, got {}", a.connections);
        }
        let streams = if a.shared_stream {
            1
        } else {
            a.streams.unwrap_or(a.connections)
        };
        if streams == 0 || streams > a.connections {
            bail!(
                "--streams must be 1-{} (at most one per connection), got {streams}",
                a.connections
            );
        }
        if !(1..=MAX_BATCH_EVENTS).contains(&a.events_per_batch) {
            bail!(
                "--events-per-batch must be 1-{MAX_BATCH_EVENTS}, got {}",
                a.events_per_batch
            );
        }
        if a.event_bytes == 0 || a.event_bytes > MAX_BATCH_BYTES - EVENT_OVERHEAD {
            bail!(
                "--event-bytes must be 1-{}, got {}",
                MAX_BATCH_BYTES - EVENT_OVERHEAD,
                a.event_bytes
            );
        }
        let batch = a.events_per_batch * (a.event_bytes + EVENT_OVERHEAD);
        if batch > MAX_BATCH_BYTES {
            bail!(
                "a batch of {} events of {} bytes counts {batch} bytes (26 per event included), \
                 over the PutLogEvents limit of {MAX_BATCH_BYTES}",
                a.events_per_batch,
                a.event_bytes
            );
        }
        let duration = seconds("duration", a.duration)?;
        let warmup = seconds("warmup", a.warmup)?;
        if duration.is_zero() {
            bail!("--duration must be greater than 0");
        }
        if duration
            .checked_add(warmup)
            .is_none_or(|total| total > MAX_RUN)
        {
            bail!(
                "--warmup plus --duration must be at most {} s",
                MAX_RUN.as_secs()
            );
        }
        if a.requests == Some(0) {
            bail!("--requests must be at least 1");
        }
        // A batch may span at most 24 h; an hour keeps every event well inside 2 h ahead.
        if a.spread_ms > 3_600_000 {
            bail!(
                "--spread-ms must be at most 3600000 (1 h), got {}",
                a.spread_ms
            );
        }
        if a.late_ms > 3_600_000 {
            bail!("--late-ms must be at most 3600000 (1 h), got {}", a.late_ms);
        }
        if a.late_every == 0 {
            bail!("--late-every must be at least 1");
        }
        if a.repeat_every.is_some_and(|n| n < 2) {
            bail!("--repeat-every must be at least 2 (every request a repeat would send one body forever)");
        }
        let interval = seconds("interval", a.interval)?;
        if interval < Duration::from_millis(100) {
            bail!("--interval must be at least 0.1 s, got {}", a.interval);
        }
        if !(1..=64).contains(&a.distinct_batches) {
            bail!(
                "--distinct-batches must be 1-64, got {}",
                a.distinct_batches
            );
        }
        let prebuilt = streams
            .saturating_mul(a.distinct_batches)
            .saturating_mul(batch + 64 + a.group.len() + a.stream_prefix.len());
        if prebuilt > MAX_PREBUILT_BYTES {
            bail!(
                "pre-built bodies would take about {} MiB (streams x distinct batches x batch \
                 size), over the {} MiB cap: lower --streams or --distinct-batches",
                prebuilt >> 20,
                MAX_PREBUILT_BYTES >> 20
            );
        }
        let timeout = seconds("timeout", a.timeout)?;
        if timeout.is_zero() {
            bail!("--timeout must be greater than 0");
        }
        if !(1..=64).contains(&a.threads) {
            bail!("--threads must be 1-64, got {}", a.threads);
        }
        if a.group.is_empty() || a.group.len() > 512 {
            bail!("--group must be 1-512 bytes");
        }
        // Leave room for "-shared" or "-1023" within the service's 512-byte stream name limit.
        if a.stream_prefix.is_empty() || a.stream_prefix.len() > 500 {
            bail!("--stream-prefix must be 1-500 bytes");
        }
        if a.stream_prefix.contains([':', '*']) {
            bail!("--stream-prefix may not contain ':' or '*' (not allowed in stream names)");
        }
        for (flag, v) in [("region", &a.region), ("access-key-id", &a.access_key_id)] {
            if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                bail!("--{flag} must be non-empty ASCII letters, digits or '-', got {v:?}");
            }
        }
        Ok(LoadConfig {
            addr,
            host,
            endpoint: a.endpoint.clone(),
            connections: a.connections,
            streams,
            events_per_batch: a.events_per_batch,
            event_bytes: a.event_bytes,
            duration,
            warmup,
            requests: a.requests,
            sequence_tokens: a.sequence_tokens,
            group: a.group.clone(),
            stream_prefix: a.stream_prefix.clone(),
            distinct_batches: a.distinct_batches,
            spread_ms: a.spread_ms,
            live_timestamps: a.live_timestamps || a.late_ms > 0,
            late_ms: a.late_ms,
            late_every: a.late_every,
            repeat_every: a.repeat_every,
            interval,
            region: a.region.clone(),
            access_key_id: a.access_key_id.clone(),
            timeout,
            threads: a.threads,
            server_pid: a.server_pid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut v = vec!["cwlogs-load", "--endpoint", "http://127.0.0.1:9"];
        v.extend_from_slice(extra);
        Args::try_parse_from(v).expect("clap accepts")
    }

    fn err(extra: &[&str]) -> String {
        LoadConfig::try_from(&args(extra))
            .expect_err("rejected")
            .to_string()
    }

    #[test]
    fn defaults_are_valid() {
        let c = LoadConfig::try_from(&args(&[])).expect("valid");
        assert_eq!(c.streams, 4);
        assert_eq!(c.batch_bytes(), 100 * 226);
        assert_eq!(c.stream_name(3), "load-3");
    }

    #[test]
    fn late_batches_imply_live_timestamps() {
        let c = LoadConfig::try_from(&args(&["--late-ms", "3000"])).expect("valid");
        assert!(c.live_timestamps);
        assert_eq!(c.late_every, 4);
        let c = LoadConfig::try_from(&args(&[])).expect("valid");
        assert!(!c.live_timestamps);
        assert_eq!(c.interval, Duration::from_secs(5));
    }

    #[test]
    fn shared_stream_has_one_name() {
        let c = LoadConfig::try_from(&args(&["--shared-stream"])).expect("valid");
        assert_eq!(c.streams, 1);
        assert_eq!(c.stream_name(0), "load-shared");
    }

    #[test]
    fn rejects_bad_arguments_with_a_message() {
        assert!(err(&["--events-per-batch", "0"]).contains("--events-per-batch"));
        assert!(err(&["--events-per-batch", "10001"]).contains("--events-per-batch"));
        assert!(err(&["--events-per-batch", "10000", "--event-bytes", "200"]).contains("limit"));
        assert!(err(&["--duration", "0"]).contains("--duration"));
        assert!(err(&["--duration", "NaN"]).contains("--duration"));
        assert!(err(&["--duration=-1"]).contains("--duration"));
        assert!(err(&["--duration", "4000"]).contains("at most"));
        assert!(err(&["--duration", "1e19", "--warmup", "1e19"]).contains("at most"));
        assert!(err(&["--duration", "1e30"]).contains("--duration"));
        assert!(err(&["--event-bytes", "18446744073709551615"]).contains("--event-bytes"));
        assert!(err(&["--connections", "0"]).contains("--connections"));
        assert!(err(&["--streams", "5"]).contains("--streams"));
        assert!(err(&["--requests", "0"]).contains("--requests"));
        assert!(err(&["--stream-prefix", "a:b"]).contains("':'"));
        assert!(err(&["--region", "us east"]).contains("--region"));
        assert!(err(&["--late-ms", "3600001"]).contains("--late-ms"));
        assert!(err(&["--late-every", "0"]).contains("--late-every"));
        assert!(err(&["--repeat-every", "1"]).contains("--repeat-every"));
        assert!(err(&["--interval", "0.01"]).contains("--interval"));
    }

    #[test]
    fn endpoints_must_be_plain_http_on_loopback() {
        assert!(parse_endpoint("http://127.0.0.1:4566").is_ok());
        assert!(parse_endpoint("http://localhost:4566/").is_ok());
        assert!(parse_endpoint("http://[::1]:4566").is_ok());
        assert_eq!(parse_endpoint("http://127.0.0.1").expect("ok").0.port(), 80);
        assert!(parse_endpoint("https://127.0.0.1:1").is_err());
        assert!(parse_endpoint("127.0.0.1:1").is_err());
        assert!(parse_endpoint("http://127.0.0.1:1/path").is_err());
        assert!(parse_endpoint("http://192.0.2.1:80")
            .unwrap_err()
            .to_string()
            .contains("loopback"));
    }
}
