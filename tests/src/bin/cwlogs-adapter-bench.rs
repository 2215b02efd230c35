//! `cwlogs-adapter-bench`: the sdk-adapter's end-to-end throughput into one stream, against the
//! ceiling of a plain SDK loop, on a CloudWatch Logs endpoint on loopback (normally cwlogs-mock).
//!
//! - `--mode sdk-loop`: the ceiling. Maximal batches (as many events as fit in 1 MiB counting 26
//!   bytes each, at most 10,000) are built before the clock starts and sent back to back with
//!   `PutLogEvents`, one in flight, no tokens.
//! - `--mode sequential` / `--mode concurrent`: the same events, pre-built, pushed through a
//!   `Shipper` (token-core Sequential, or Concurrent with `--in-flight` batches) that waits for
//!   room instead of dropping; the clock stops when `shutdown` reports everything delivered.
//!
//! - `--mode full-buffer`: the adapter's memory with a full buffer. The shipper points at an
//!   endpoint that never answers successfully (normally a closed loopback port), `try_send` fills
//!   its buffer until `Full`, and the process's resident memory is read before and after.
//!
//! Both sides use the same SDK client configuration, so the ratio is the adapter's own cost.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use clap::{Parser, ValueEnum};
use cwlogs_tests::load::config::{
    parse_endpoint, EVENT_OVERHEAD, MAX_BATCH_BYTES, MAX_BATCH_EVENTS,
};
use cwlogs_tests::load::cpu::rss_bytes;
use cwlogs_tests::load::wire::now_millis;
use sdk_adapter::{Error as ShipError, Event, OverflowPolicy, Shipper, TokenMode, WriterConfig};

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// A plain SDK loop sending pre-built maximal batches back to back.
    SdkLoop,
    /// The shipper with token-core's Sequential token mode.
    Sequential,
    /// The shipper with token-core's Concurrent token mode.
    Concurrent,
    /// The shipper's resident memory once its buffer is full (default caps).
    FullBuffer,
}

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "cwlogs-adapter-bench",
    about = "sdk-adapter throughput vs a plain SDK loop, one stream"
)]
struct Args {
    /// Base URL of the endpoint (plain HTTP on a loopback address).
    #[arg(long)]
    endpoint: String,
    /// What to measure.
    #[arg(long, value_enum)]
    mode: Mode,
    /// Events to deliver (1 to 10,000,000).
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Bytes per event message.
    #[arg(long, default_value_t = 200)]
    event_bytes: usize,
    /// Batches in flight in concurrent mode.
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
    /// Log group (created if missing).
    #[arg(long, default_value = "cwlogs-adapter-bench")]
    group: String,
    /// Log stream (created if missing).
    #[arg(long, default_value = "bench")]
    stream: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cwlogs-adapter-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn validate(a: &Args) -> anyhow::Result<()> {
    parse_endpoint(&a.endpoint)?;
    if !(1..=10_000_000).contains(&a.events) {
        bail!("--events must be 1-10000000, got {}", a.events);
    }
    if a.event_bytes == 0 || a.event_bytes > MAX_BATCH_BYTES - EVENT_OVERHEAD {
        bail!(
            "--event-bytes must be 1-{}, got {}",
            MAX_BATCH_BYTES - EVENT_OVERHEAD,
            a.event_bytes
        );
    }
    if !(1..=64).contains(&a.in_flight) {
        bail!("--in-flight must be 1-64, got {}", a.in_flight);
    }
    if !(1..=3600).contains(&a.timeout) {
        bail!("--timeout must be 1-3600 seconds, got {}", a.timeout);
    }
    Ok(())
}

fn client(endpoint: &str) -> Client {
    let creds =
        aws_credential_types::Credentials::from_keys("AKIDADAPTERBENCH", "not-a-secret", None);
    let conf = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(conf)
}

/// The message of event `i`: a unique tag padded to exactly `bytes` ASCII bytes.
fn message(i: usize, bytes: usize) -> String {
    let mut m = String::with_capacity(bytes);
    m.push_str("adapter-bench ");
    m.push_str(&i.to_string());
    m.push(' ');
    // The tag is ASCII, so cutting at any byte keeps the string valid.
    m.truncate(bytes);
    let pad = bytes - m.len();
    m.push_str(&"x".repeat(pad));
    m
}

async fn create(client: &Client, group: &str, stream: &str) -> anyhow::Result<()> {
    // An existing group or stream from an earlier run is fine.
    if let Err(e) = client.create_log_group().log_group_name(group).send().await {
        if !e
            .as_service_error()
            .is_some_and(|s| s.is_resource_already_exists_exception())
        {
            return Err(anyhow::Error::new(e).context("CreateLogGroup"));
        }
    }
    if let Err(e) = client
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
    {
        if !e
            .as_service_error()
            .is_some_and(|s| s.is_resource_already_exists_exception())
        {
            return Err(anyhow::Error::new(e).context("CreateLogStream"));
        }
    }
    Ok(())
}

/// What one mode measured.
#[derive(Default)]
struct Outcome {
    seconds: f64,
    delivered: u64,
    undelivered: u64,
    requests: u64,
    /// Full-buffer mode: events buffered when the shipper said `Full`.
    buffered: u64,
    /// Full-buffer mode: resident memory before and after filling the buffer.
    rss: Option<(u64, u64)>,
}

async fn sdk_loop(client: &Client, a: &Args, ts: i64) -> anyhow::Result<Outcome> {
    let per_batch = (MAX_BATCH_BYTES / (a.event_bytes + EVENT_OVERHEAD)).min(MAX_BATCH_EVENTS);
    let mut batches = Vec::with_capacity(a.events.div_ceil(per_batch));
    let mut i = 0;
    while i < a.events {
        let n = per_batch.min(a.events - i);
        let batch = (i..i + n)
            .map(|k| {
                InputLogEvent::builder()
                    .timestamp(ts)
                    .message(message(k, a.event_bytes))
                    .build()
                    .context("building an InputLogEvent")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        batches.push(batch);
        i += n;
    }
    let requests = batches.len() as u64;
    let start = Instant::now();
    for batch in batches {
        client
            .put_log_events()
            .log_group_name(&a.group)
            .log_stream_name(&a.stream)
            .set_log_events(Some(batch))
            .send()
            .await
            .context("PutLogEvents")?;
    }
    Ok(Outcome {
        seconds: start.elapsed().as_secs_f64(),
        delivered: a.events as u64,
        requests,
        ..Outcome::default()
    })
}

async fn shipper(client: Client, a: &Args, ts: i64) -> anyhow::Result<Outcome> {
    let mut config = WriterConfig::new(a.group.clone(), a.stream.clone());
    config.token_mode = match a.mode {
        Mode::Sequential => TokenMode::Sequential,
        _ => TokenMode::Concurrent {
            max_in_flight: a.in_flight,
        },
    };
    let shipper = Shipper::builder(client, a.group.clone())
        .stream(a.stream.clone())
        .writer_config(config)
        .block_when_full(true)
        .build()
        .context("building the shipper")?;
    let events: Vec<Event> = (0..a.events)
        .map(|k| Event::new(ts, message(k, a.event_bytes)))
        .collect();
    let start = Instant::now();
    for e in events {
        shipper.send(e).await.context("Shipper::send")?;
    }
    let report = shipper
        .shutdown(tokio::time::Instant::now() + Duration::from_secs(a.timeout))
        .await;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Outcome {
        seconds,
        delivered: report.total.delivered,
        undelivered: report.total.undelivered,
        requests: report.total.requests,
        ..Outcome::default()
    })
}

async fn full_buffer(client: Client, a: &Args, ts: i64) -> anyhow::Result<Outcome> {
    let mut config = WriterConfig::new(a.group.clone(), a.stream.clone());
    // Reject (rather than drop) at the cap, so `try_send` says exactly when the buffer is full.
    config.buffer.overflow = OverflowPolicy::Reject;
    let shipper = Shipper::builder(client, a.group.clone())
        .stream(a.stream.clone())
        .writer_config(config)
        .build()
        .context("building the shipper")?;
    let pid = std::process::id();
    let before = rss_bytes(pid).context("reading VmRSS")?;
    let start = Instant::now();
    let mut buffered = 0u64;
    // Bounded by --events: a shipper whose cap is larger than that is reported as not full.
    while (buffered as usize) < a.events {
        match shipper.try_send(Event::new(ts, message(buffered as usize, a.event_bytes))) {
            Ok(_) => buffered += 1,
            Err(ShipError::Full { .. }) => break,
            Err(e) => return Err(anyhow::Error::new(e).context("Shipper::try_send")),
        }
    }
    let after = rss_bytes(pid).context("reading VmRSS")?;
    let seconds = start.elapsed().as_secs_f64();
    let report = shipper
        .shutdown(tokio::time::Instant::now() + Duration::from_millis(200))
        .await;
    Ok(Outcome {
        seconds,
        delivered: report.total.delivered,
        undelivered: report.total.undelivered,
        requests: report.total.requests,
        buffered,
        rss: Some((before, after)),
    })
}

fn run(a: &Args) -> anyhow::Result<()> {
    validate(a)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let out = rt.block_on(async {
        let client = client(&a.endpoint);
        // Full-buffer mode points at an endpoint that does not answer: nothing to create there.
        if a.mode != Mode::FullBuffer {
            create(&client, &a.group, &a.stream).await?;
        }
        let ts = now_millis() as i64;
        let work = async {
            match a.mode {
                Mode::SdkLoop => sdk_loop(&client, a, ts).await,
                Mode::FullBuffer => full_buffer(client.clone(), a, ts).await,
                _ => shipper(client.clone(), a, ts).await,
            }
        };
        tokio::time::timeout(Duration::from_secs(a.timeout), work)
            .await
            .with_context(|| format!("not finished within --timeout {} s", a.timeout))?
    })?;
    let eps = if out.seconds > 0.0 {
        out.delivered as f64 / out.seconds
    } else {
        0.0
    };
    let mode = match a.mode {
        Mode::SdkLoop => "sdk-loop",
        Mode::Sequential => "sequential",
        Mode::Concurrent => "concurrent",
        Mode::FullBuffer => "full-buffer",
    };
    let (rss_before, rss_after) = out.rss.unzip();
    let per_event = match out.rss {
        Some((b, a)) if out.buffered > 0 => Some(a.saturating_sub(b) as f64 / out.buffered as f64),
        _ => None,
    };
    if a.json {
        let v = serde_json::json!({
            "mode": mode,
            "events": a.events,
            "event_bytes": a.event_bytes,
            "in_flight": if a.mode == Mode::Concurrent { Some(a.in_flight) } else { None },
            "seconds": out.seconds,
            "events_per_s": eps,
            "delivered": out.delivered,
            "undelivered": out.undelivered,
            "requests": out.requests,
            "buffered": out.buffered,
            "rss_before_bytes": rss_before,
            "rss_after_bytes": rss_after,
            "rss_bytes_per_buffered_event": per_event,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if let Some(per) = per_event {
        println!(
            "{mode}: {} events of {} B buffered until Full; VmRSS {} -> {} bytes = {per:.1} bytes per buffered event",
            out.buffered,
            a.event_bytes,
            rss_before.unwrap_or(0),
            rss_after.unwrap_or(0)
        );
    } else {
        println!(
            "{mode}: {} events of {} B in {:.3} s = {eps:.0} events/s ({} delivered, {} undelivered, {} requests)",
            a.events, a.event_bytes, out.seconds, out.delivered, out.undelivered, out.requests
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_the_exact_size() {
        assert_eq!(message(12345, 200).len(), 200);
        assert_eq!(message(12345, 3), "ada");
    }

    #[test]
    fn arguments_are_checked() {
        let parse = |extra: &[&str]| {
            let mut v = vec![
                "x",
                "--endpoint",
                "http://127.0.0.1:9",
                "--mode",
                "sdk-loop",
            ];
            v.extend_from_slice(extra);
            validate(&Args::try_parse_from(v).expect("clap accepts"))
        };
        assert!(parse(&[]).is_ok());
        assert!(parse(&["--events", "0"]).is_err());
        assert!(parse(&["--event-bytes", "0"]).is_err());
        assert!(parse(&["--event-bytes", "18446744073709551615"]).is_err());
        assert!(parse(&["--timeout", "0"]).is_err());
        assert!(parse(&["--in-flight", "0"]).is_err());
    }
}
