//! cwlogs-ship as a process against an in-process cwlogs-mock: the JSON report, timestamps from
//! the input, and the exit status for success, undeliverable input, a writer stopped by a fatal
//! error, and bad invocations.

use mock_server::{Config, MockServer};
use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_cwlogs-ship");

/// Runs cwlogs-ship with `args` and `stdin`, with dummy credentials and nothing from the caller's
/// AWS configuration. Blocking, so it runs on tokio's blocking pool.
async fn run(args: Vec<String>, stdin: String) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args(&args)
            .env_clear()
            .env("AWS_ACCESS_KEY_ID", "AKIDCLI")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cwlogs-ship starts");
        let mut input = child.stdin.take().expect("stdin");
        // A broken pipe (the process exited early on bad arguments) is part of what is tested.
        let _ = input.write_all(stdin.as_bytes());
        drop(input);
        child.wait_with_output().expect("cwlogs-ship runs")
    })
    .await
    .expect("blocking task")
}

fn args(endpoint: &str, group: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "--log-group",
        group,
        "--log-stream",
        "s",
        "--endpoint-url",
        endpoint,
        "--region",
        "eu-west-1",
        "--report",
        "json",
        "--flush-timeout",
        "30",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v
}

fn report(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.trim().lines().count(), 1, "one JSON line: {stdout}");
    serde_json::from_str(stdout.trim()).expect("JSON report")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ships_lines_with_timestamps_from_the_input_and_exits_zero() {
    let mock = MockServer::start(Config::default()).await.expect("mock");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let mut input = String::new();
    for i in 0..1_000 {
        input.push_str(&format!("{} line {i}\r\n", now - 1_000 + i));
    }
    input.push('\n'); // an empty line: skipped, not an error
    input.push_str(&format!("{} ancient\n", now - 20 * 24 * 3_600_000)); // too old for AWS

    let out = run(
        args(
            &mock.endpoint(),
            "cli-ok",
            &["--create", "--timestamp", "prefix-ms"],
        ),
        input,
    )
    .await;

    let r = report(&out);
    assert!(
        out.status.success(),
        "{r} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(r["lines_read"], 1_002);
    assert_eq!(r["events_read"], 1_001);
    assert_eq!(r["empty_lines_skipped"], 1);
    assert_eq!(r["timestamp_fallbacks"], 0);
    assert_eq!(r["delivered"], 1_000);
    assert_eq!(r["rejected"], 1);
    assert_eq!(r["rejected_by_reason"]["too_old"], 1);
    assert_eq!(r["dropped"], 0);
    assert_eq!(r["undelivered"], 0);
    assert_eq!(r["ok"], true);
    let stream = mock
        .state()
        .store
        .group("cli-ok")
        .and_then(|g| g.stream("s"))
        .expect("stream created");
    let state = stream.lock();
    assert_eq!(state.events.len(), 1_000);
    assert_eq!(&*state.events[0].message, "line 0");
    assert_eq!(state.events[0].timestamp, now - 1_000);
}

/// `ms` since the epoch as an RFC 3339 UTC timestamp with milliseconds.
fn rfc3339(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1_000 % 60,
        ms_of_day % 1_000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc3339_timestamps_are_read_and_unreadable_lines_are_named() {
    let mock = MockServer::start(Config::default()).await.expect("mock");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let first = now - 60_000;
    let input = format!(
        "{} INFO one\n{} INFO two\nno timestamp here\n{} INFO three\n",
        rfc3339(first),
        rfc3339(first + 1),
        rfc3339(first + 2)
    );
    let out = run(
        args(
            &mock.endpoint(),
            "cli-rfc3339",
            &["--create", "--timestamp", "prefix-rfc3339"],
        ),
        input,
    )
    .await;
    let r = report(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{r} {stderr}");
    assert_eq!(r["delivered"], 4);
    assert_eq!(r["timestamp_fallbacks"], 1);
    assert!(
        stderr.contains("stdin line 3: no RFC 3339 date"),
        "the unreadable line is named: {stderr}"
    );
    let stream = mock
        .state()
        .store
        .group("cli-rfc3339")
        .and_then(|g| g.stream("s"))
        .expect("stream created");
    let state = stream.lock();
    let stamped: Vec<(i64, &str)> = state
        .events
        .iter()
        .filter(|e| &*e.message != "no timestamp here")
        .map(|e| (e.timestamp, &*e.message))
        .collect();
    assert_eq!(stamped.len(), 3);
    assert_eq!(stamped[0].0, first);
    assert!(stamped[0].1.ends_with(" INFO one"), "{}", stamped[0].1);
    assert_eq!(stamped[2].0, first + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeliverable_lines_exit_one_with_the_reason() {
    let mock = MockServer::start(Config::default()).await.expect("mock");
    // No --create, and the group does not exist.
    let out = run(args(&mock.endpoint(), "missing", &[]), "a\nb\n".into()).await;
    assert_eq!(out.status.code(), Some(1));
    let r = report(&out);
    assert_eq!(r["ok"], false);
    assert_eq!(r["delivered"], 0);
    assert_eq!(r["dropped_by_reason"]["log_group_not_found"], 2, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_mode_on_a_token_enforcing_mock_exits_one_with_the_fatal() {
    let mock = MockServer::start(Config {
        token_mode: mock_server::TokenMode::Strict,
        ..Config::default()
    })
    .await
    .expect("mock");
    let input: String = (0..2_000).map(|i| format!("line {i}\n")).collect();
    // Twenty batches of 100 for one stream: every put after the first needs a token.
    let out = run(
        args(
            &mock.endpoint(),
            "cli-strict",
            &[
                "--create",
                "--token-mode",
                "concurrent",
                "--max-batch-events",
                "100",
            ],
        ),
        input,
    )
    .await;

    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&out);
    assert_eq!(r["ok"], false);
    let fatal = r["fatal"].as_str().expect("the fatal error in the report");
    assert!(fatal.starts_with("InvalidSequenceTokenException: "), "{r}");
    assert!(fatal.contains("Sequential"), "{r}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("run again with --token-mode sequential"),
        "the cure in the CLI's own flags: {stderr}"
    );
    assert_eq!(r["events_read"], 2_000);
    let delivered = r["delivered"].as_u64().expect("delivered");
    let dropped = r["dropped"].as_u64().expect("dropped");
    let undelivered = r["undelivered"].as_u64().expect("undelivered");
    // Every line is accounted for; what was not delivered is reported, none silently lost.
    assert_eq!(delivered + dropped + undelivered, 2_000, "{r}");
    // Shutdown gives up the events the stopped writer kept, under the reason that says why.
    assert_eq!(r["dropped_by_reason"]["stopped"], dropped, "{r}");
    assert!(delivered < 2_000, "{r}");
    assert_eq!(r["rejected"], 0, "{r}");
    let stored = mock
        .state()
        .store
        .group("cli-strict")
        .and_then(|g| g.stream("s"))
        .expect("stream created")
        .lock()
        .events
        .len() as u64;
    assert_eq!(stored, delivered, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_invocations_exit_two() {
    let mock = MockServer::start(Config::default()).await.expect("mock");
    let out = run(
        args(&mock.endpoint(), "g", &["--timestamp", "yesterday"]),
        String::new(),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));

    let out = run(
        args(
            &mock.endpoint(),
            "g",
            &["--create", "/nonexistent/input.log"],
        ),
        String::new(),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
