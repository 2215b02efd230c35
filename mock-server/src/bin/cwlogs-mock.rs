//! The `cwlogs-mock` binary: parses flags, starts [`mock_server::MockServer`], waits for Ctrl-C or
//! SIGTERM.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use mock_server::ThrottlePreset;
use mock_server::{Config, MockServer, TokenMode};

/// The port the binary listens on when neither a flag nor the config file names one.
const DEFAULT_PORT: u16 = 4588;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TokenModeArg {
    Current,
    Strict,
}

/// `--max-stored-bytes` as given: a cap, or none. A wrapper because clap reads a bare
/// `Option<Option<_>>` field as a flag whose value may be left out.
#[derive(Debug, Clone, Copy)]
struct StoredBytesCap(Option<u64>);

fn parse_stored_bytes_cap_arg(text: &str) -> Result<StoredBytesCap, String> {
    mock_server::parse_stored_bytes_cap(text).map(StoredBytesCap)
}

/// A CloudWatch Logs server on the real wire protocol, for tests and CI.
#[derive(Debug, Parser)]
#[command(name = "cwlogs-mock", version)]
struct Args {
    /// Port to listen on (0 picks a free one) [default: 4588].
    #[arg(long, env = "CWLOGS_MOCK_PORT")]
    port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long, env = "CWLOGS_MOCK_BIND")]
    bind: Option<IpAddr>,
    /// Sequence-token semantics: `current` (AWS since 2023) or `strict` (legacy) [default: current].
    #[arg(long, value_enum)]
    token_mode: Option<TokenModeArg>,
    /// Region shown in ARNs of unsigned requests [default: us-east-1].
    #[arg(long)]
    region: Option<String>,
    /// Account id shown in ARNs [default: 123456789012].
    #[arg(long)]
    account_id: Option<String>,
    /// Configuration file, TOML or (with a .json name) JSON. Flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Request-rate quotas: `off` (none), `aws` (today's) or `legacy` (pre-2023, with 5/s per
    /// stream in strict mode) [default: off, so that a suite passes on a slow machine as on a fast
    /// one; quotas are opt-in]. Single rates can be overridden in the config file.
    #[arg(long, value_name = "PRESET")]
    throttle: Option<ThrottlePreset>,
    /// Start with a named fault preset: `flaky` or `chaos` (rules in the config file are added).
    #[arg(long, value_name = "NAME")]
    fault_preset: Option<String>,
    /// Seed of every random fault decision [default: 0].
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
    /// Load the store from this file at start, journal every change before acknowledging it
    /// (PATH.journal), save on clean shutdown. A corrupt file stops the start and is left untouched.
    #[arg(long, value_name = "PATH")]
    state_file: Option<PathBuf>,
    /// When an answer may acknowledge a change: `always` (after fdatasync), `os` (after the OS
    /// has it; survives SIGKILL) or `periodic` (at once, flushed every save interval) [default: os].
    #[arg(long, value_name = "MODE")]
    durability: Option<mock_server::Durability>,
    /// How often to check the journal for compaction (and flush it, with `periodic`), in
    /// milliseconds [default: 30000].
    #[arg(long, value_name = "MS")]
    state_save_interval_ms: Option<u64>,
    /// Strict mode: accept a put whose token was superseded less than this many ms ago, as the
    /// legacy service sometimes did for racing writers [default: 0, exactly one racer wins].
    #[arg(long, value_name = "MS")]
    legacy_race_window_ms: Option<u64>,
    /// Hide events from GetLogEvents/FilterLogEvents for this many ms after ingestion
    /// (eventual consistency) [default: 0].
    #[arg(long, value_name = "MS")]
    visibility_delay_ms: Option<u64>,
    /// Refuse puts (ServiceQuotaExceededException) once the store holds this many message bytes;
    /// 0 or `none` for no cap [default: 1073741824, 1 GiB].
    #[arg(long, value_name = "BYTES", value_parser = parse_stored_bytes_cap_arg)]
    max_stored_bytes: Option<StoredBytesCap>,
    /// Also answer the admin API under this host name (repeatable; adds to admin.allowed_hosts).
    /// IP addresses, localhost, names without a dot and names under .internal or .local are
    /// always accepted.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    /// Log output format.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

impl Args {
    fn into_config(self) -> Result<Config, mock_server::Error> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        config.port = self
            .port
            .or((config.port != 0).then_some(config.port))
            .unwrap_or(DEFAULT_PORT);
        if let Some(bind) = self.bind {
            config.bind = bind;
        }
        if let Some(mode) = self.token_mode {
            config.token_mode = match mode {
                TokenModeArg::Current => TokenMode::Current,
                TokenModeArg::Strict => TokenMode::Strict,
            };
        }
        if let Some(ms) = self.legacy_race_window_ms {
            config.legacy_race_window_ms = ms;
        }
        if let Some(ms) = self.visibility_delay_ms {
            config.visibility_delay_ms = ms;
        }
        if let Some(StoredBytesCap(cap)) = self.max_stored_bytes {
            config.limits.max_stored_bytes = cap;
        }
        if let Some(region) = self.region {
            config.region = region;
        }
        if let Some(account) = self.account_id {
            config.account_id = account;
        }
        if let Some(preset) = self.throttle {
            config.throttle.preset = preset;
        }
        if let Some(preset) = self.fault_preset {
            config.faults.preset = Some(preset);
        }
        if let Some(seed) = self.fault_seed {
            config.faults.seed = seed;
        }
        if let Some(path) = self.state_file {
            config.state.file = Some(path);
        }
        if let Some(durability) = self.durability {
            config.state.durability = durability;
        }
        if let Some(ms) = self.state_save_interval_ms {
            config.state.save_interval_ms = ms;
        }
        config.admin.allowed_hosts.extend(self.allowed_hosts);
        Ok(config)
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        // Colour only for a person at a terminal: CI logs and files captured from a pipe must not
        // fill with escape codes. NO_COLOR (https://no-color.org) turns it off at a terminal too.
        LogFormat::Text => builder.with_ansi(colour_on_stderr()).init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Whether text logs on stderr may carry ANSI colour codes.
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    std::io::stderr().is_terminal() && !no_color
}

/// The signals that stop the server, registered before the endpoint is printed so that a SIGTERM
/// sent right after it is never lost to the default action (which would kill the process without
/// a clean shutdown).
struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Self {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            match (self.interrupt, self.terminate) {
                (Some(mut i), Some(mut t)) => {
                    tokio::select! {
                        _ = i.recv() => {}
                        _ = t.recv() => {}
                    }
                }
                (Some(mut i), None) => {
                    i.recv().await;
                }
                (None, Some(mut t)) => {
                    t.recv().await;
                }
                (None, None) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The first line of stdout. The first word after "listening on" stays the URL a local client
/// uses (scripts read it); a wildcard bind is named next to it, since that URL alone hides it.
fn listening_line(
    endpoint: &str,
    bound: std::net::SocketAddr,
    mode: TokenMode,
    region: &str,
) -> String {
    let wildcard = if bound.ip().is_unspecified() {
        format!(", bound to {bound} on every interface")
    } else {
        String::new()
    };
    format!("cwlogs-mock listening on {endpoint} (token mode {mode:?}, region {region}{wildcard})")
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    init_logging(args.log_format);
    let config = match args.into_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cwlogs-mock: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mode = config.token_mode;
    let region = config.region.clone();
    let server = match MockServer::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cwlogs-mock: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let signals = StopSignals::install();
    let endpoint = server.endpoint();
    if server.local_addr().ip().is_unspecified() {
        tracing::warn!(
            bind = %server.local_addr(),
            "listening on every interface: anyone who can reach this machine can read, write and \
             wipe the store; the admin API still refuses browsers (Host, Origin and JSON checks)"
        );
    }
    // Stdout carries only these two lines, so scripts can read the endpoint from the first one.
    // Write errors are ignored: a caller that closed the pipe after reading the endpoint must not
    // bring the server down (println! would panic on EPIPE).
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            listening_line(&endpoint, server.local_addr(), mode, &region)
        );
        let _ = writeln!(
            out,
            "try: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws logs describe-log-groups --endpoint-url {endpoint} --region {region}"
        );
        let _ = out.flush();
    }
    signals.wait().await;
    tracing::info!("stopping");
    match server.shutdown().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cwlogs-mock: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_named_after_the_local_endpoint() {
        let line = listening_line(
            "http://127.0.0.1:4588",
            "0.0.0.0:4588".parse().unwrap(),
            TokenMode::Current,
            "us-east-1",
        );
        assert_eq!(
            line,
            "cwlogs-mock listening on http://127.0.0.1:4588 (token mode Current, region \
             us-east-1, bound to 0.0.0.0:4588 on every interface)"
        );
        let loopback = listening_line(
            "http://127.0.0.1:4588",
            "127.0.0.1:4588".parse().unwrap(),
            TokenMode::Strict,
            "eu-west-1",
        );
        assert!(!loopback.contains("bound to"), "{loopback}");
    }
}
