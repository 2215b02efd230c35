//! cwlogs-ship: ships lines from stdin and/or files to a CloudWatch Logs stream, one event per
//! line, and reports what became of them.
//!
//! Exit status: 0 when every line was delivered or rejected by AWS's own rules (too old, too new,
//! expired, invalid); 1 when anything was dropped, left undelivered at the deadline, or a fatal
//! error stopped the writer; 2 for bad arguments or unreadable input.

use aws_config::meta::region::RegionProviderChain;
use aws_config::BehaviorVersion;
use clap::{Parser, ValueEnum};
use sdk_adapter::ship::{parse_line, ReadCounts, ShipReport, TimestampMode};
use sdk_adapter::{AutoCreate, Limits, Shipper, TokenMode, UnixMillis, WriterConfig};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::time::Instant;

/// Ship lines to a CloudWatch Logs stream, one event per line.
#[derive(Debug, Parser)]
#[command(name = "cwlogs-ship", version)]
struct Args {
    /// The log group to write to.
    #[arg(long)]
    log_group: String,
    /// The log stream to write to.
    #[arg(long)]
    log_stream: String,
    /// The service endpoint, e.g. http://127.0.0.1:4566 for cwlogs-mock (default: the SDK's
    /// usual resolution, including AWS_ENDPOINT_URL).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The region (default: the SDK's usual resolution, else us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// Create the log group and stream when they do not exist.
    #[arg(long)]
    create: bool,
    /// Sequence-token handling: `sequential` works with the legacy and today's service (one request
    /// in flight); `concurrent` is for today's service (tokens ignored, several in flight).
    #[arg(long, value_enum, default_value_t = Mode::Sequential)]
    token_mode: Mode,
    /// Most events per PutLogEvents request (AWS allows 10,000; smaller batches mean smaller
    /// resends after a failure).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    max_batch_events: u64,
    /// Most PutLogEvents requests in flight in concurrent mode.
    #[arg(long, default_value_t = 4)]
    max_in_flight: usize,
    /// Where timestamps come from: `now`, `prefix-ms` (a leading epoch-ms number and a space,
    /// removed), `prefix-rfc3339` (a leading RFC 3339 / ISO 8601 timestamp with a UTC offset, kept
    /// in the message) or `json-field=NAME` (a field of a JSON line: epoch ms or RFC 3339). A line
    /// without a readable timestamp is named on stderr (the first 10), counted, and stamped now.
    #[arg(long, default_value = "now")]
    timestamp: TimestampMode,
    /// `json` prints the report as one JSON object on stdout; `text` (default) prints it readably.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    report: ReportFormat,
    /// Seconds to wait at end of input for everything to be delivered.
    #[arg(long, default_value_t = 60.0)]
    flush_timeout: f64,
    /// Seconds before one request is given up as an unknown outcome.
    #[arg(long, default_value_t = 20.0)]
    request_timeout: f64,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Files to read, in order; `-` is stdin. Without files, stdin is read.
    files: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Sequential,
    Concurrent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

/// How often progress is printed on stderr once a run lasts that long.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cwlogs-ship: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let (Some(flush_timeout), Some(request_timeout)) = (
        seconds(args.flush_timeout),
        seconds(args.request_timeout).filter(|d| !d.is_zero()),
    ) else {
        eprintln!("cwlogs-ship: timeouts must be positive numbers of seconds");
        return ExitCode::from(2);
    };
    let token_mode = match args.token_mode {
        Mode::Sequential => TokenMode::Sequential,
        Mode::Concurrent => TokenMode::Concurrent {
            max_in_flight: args.max_in_flight.max(1),
        },
    };

    let region = RegionProviderChain::first_try(args.region.clone().map(aws_config::Region::new))
        .or_default_provider()
        .or_else("us-east-1");
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let client = aws_sdk_cloudwatchlogs::Client::new(&loader.load().await);

    let config = WriterConfig {
        token_mode,
        limits: Limits {
            // Bounded to 1..=10,000 by the parser, so the conversion cannot fail.
            max_batch_events: usize::try_from(args.max_batch_events).unwrap_or(10_000),
            ..Limits::default()
        },
        auto_create: AutoCreate {
            log_group: args.create,
            log_stream: args.create,
        },
        ..WriterConfig::new(args.log_group.clone(), args.log_stream.clone())
    };
    let shipper = match Shipper::builder(client, &args.log_group)
        .stream(&args.log_stream)
        .writer_config(config)
        .request_timeout(request_timeout)
        // Reading a file or a pipe can wait; losing lines to an overflow policy cannot be undone.
        .block_when_full(true)
        .build()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cwlogs-ship: {e}");
            return ExitCode::from(2);
        }
    };

    let started = Instant::now();
    let mut progress = Progress::new(args.quiet, started);
    let mut counts = ReadCounts::default();
    let inputs = if args.files.is_empty() {
        vec!["-".to_owned()]
    } else {
        args.files.clone()
    };
    for input in &inputs {
        let result = if input == "-" {
            ship_from(
                tokio::io::stdin(),
                "stdin",
                &shipper,
                &args.timestamp,
                &mut counts,
                &mut progress,
            )
            .await
        } else {
            match tokio::fs::File::open(input).await {
                Ok(file) => {
                    ship_from(
                        file,
                        input,
                        &shipper,
                        &args.timestamp,
                        &mut counts,
                        &mut progress,
                    )
                    .await
                }
                Err(e) => Err(e),
            }
        };
        if let Err(e) = result {
            eprintln!("cwlogs-ship: cannot read {input}: {e}");
            // Report what was shipped so far, but the run failed.
            let report = finish(&shipper, flush_timeout, &mut progress, counts).await;
            print_report(&report, args.report);
            return ExitCode::from(2);
        }
    }

    let report = finish(&shipper, flush_timeout, &mut progress, counts).await;
    print_report(&report, args.report);
    if let Some(hint) = hint_for(&report, args.token_mode) {
        eprintln!("cwlogs-ship: {hint}");
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// How many lines without a readable timestamp are named on stderr; the rest are only counted.
const FALLBACKS_NAMED: u64 = 10;

/// Reads lines from one input (`name` for messages) and sends each as an event.
async fn ship_from(
    input: impl AsyncRead + Unpin,
    name: &str,
    shipper: &Shipper,
    mode: &TimestampMode,
    counts: &mut ReadCounts,
    progress: &mut Progress,
) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(256 * 1024, input);
    let mut buf = Vec::with_capacity(1024);
    let mut line_number = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).await? == 0 {
            return Ok(());
        }
        counts.lines += 1;
        line_number += 1;
        let mut line = buf.as_slice();
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest;
        }
        if let Some(rest) = line.strip_suffix(b"\r") {
            line = rest;
        }
        // Invalid UTF-8 is replaced rather than lost: CloudWatch Logs only stores UTF-8.
        let text = String::from_utf8_lossy(line);
        let Some(parsed) = parse_line(&text, mode, wall_now()) else {
            counts.empty += 1;
            continue;
        };
        counts.events += 1;
        if let Some(why) = &parsed.timestamp_fallback {
            counts.timestamp_fallbacks += 1;
            if counts.timestamp_fallbacks <= FALLBACKS_NAMED {
                eprintln!(
                    "cwlogs-ship: {name} line {line_number}: {why}; stamped with the read time"
                );
                if counts.timestamp_fallbacks == FALLBACKS_NAMED {
                    eprintln!(
                        "cwlogs-ship: further lines without a readable timestamp are only counted"
                    );
                }
            }
        }
        match shipper.send(parsed.event).await {
            Ok(_) => {}
            // With blocking sends only an event larger than the whole buffer, or any event once a
            // fatal error stopped the writer, gets here; count it against success.
            Err(e) => {
                counts.refused += 1;
                // A stopped writer refuses every line; a few examples say enough.
                if counts.refused <= 3 {
                    progress.note(&format!("line {} refused: {e}", counts.lines));
                }
            }
        }
        if counts.lines.is_multiple_of(4096) {
            progress.tick(shipper, counts);
        }
    }
}

/// Sends what is left and waits for it, printing progress while waiting.
async fn finish(
    shipper: &Shipper,
    flush_timeout: Duration,
    progress: &mut Progress,
    counts: ReadCounts,
) -> ShipReport {
    let deadline = Instant::now() + flush_timeout;
    // Flush in slices so that a long wait shows progress; the final shutdown gets what is left.
    loop {
        let slice_end = (Instant::now() + PROGRESS_EVERY).min(deadline);
        let report = shipper.flush(slice_end).await;
        progress.tick(shipper, &counts);
        let t = &report.total;
        if t.undelivered == 0 || t.fatal.is_some() || Instant::now() >= deadline {
            break;
        }
    }
    let report = shipper.shutdown(deadline).await;
    ShipReport::new(counts, &report)
}

/// What to do next, in this tool's own flags, when the report's fatal error has a known cure: the
/// library's message names `TokenMode`, which a shell user does not type.
fn hint_for(report: &ShipReport, mode: Mode) -> Option<&'static str> {
    let fatal = report.fatal.as_deref()?;
    (mode == Mode::Concurrent && fatal.starts_with("InvalidSequenceTokenException")).then_some(
        "this endpoint enforces sequence tokens, which --token-mode concurrent never sends: \
         run again with --token-mode sequential",
    )
}

fn print_report(report: &ShipReport, format: ReportFormat) {
    match format {
        ReportFormat::Json => match serde_json::to_string(report) {
            Ok(json) => println!("{json}"),
            Err(e) => eprintln!("cwlogs-ship: cannot encode the report: {e}"),
        },
        ReportFormat::Text => println!("{report}"),
    }
}

/// Progress lines on stderr, at most every [`PROGRESS_EVERY`], and only once a run lasts that
/// long: short runs stay quiet.
struct Progress {
    quiet: bool,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(quiet: bool, started: Instant) -> Self {
        Self {
            quiet,
            started,
            last: started,
        }
    }

    fn tick(&mut self, shipper: &Shipper, counts: &ReadCounts) {
        if self.quiet || self.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last = Instant::now();
        let t = shipper.report().total;
        eprintln!(
            "cwlogs-ship: {:.0}s: read {} lines, delivered {}, rejected {}, dropped {}, pending {}, requests {}, retries {}",
            self.started.elapsed().as_secs_f64(),
            counts.lines,
            t.delivered,
            t.rejected_total(),
            t.dropped_total(),
            t.undelivered,
            t.requests,
            t.retries
        );
    }

    fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("cwlogs-ship: {message}");
        }
    }
}

fn seconds(s: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(s).ok()
}

fn wall_now() -> UnixMillis {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    UnixMillis(ms)
}
