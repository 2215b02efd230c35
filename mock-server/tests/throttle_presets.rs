//! Throttling presets seen through the real Rust SDK: a burst over a quota gets the real
//! ThrottlingException, and the SDK's own standard retry strategy then gets every call through.

mod faults_support;

use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use faults_support::*;
use futures_join::join_all;
use mock_server::throttle::{ThrottleConfig, ThrottlePreset};
use mock_server::{Config, TokenMode};

/// A tiny `join_all` so the tests need no extra dependency.
mod futures_join {
    use std::future::Future;

    /// Runs every future concurrently on the current runtime and collects the results in order.
    pub async fn join_all<F>(futures: Vec<F>) -> Vec<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            out.push(h.await.expect("task"));
        }
        out
    }
}

fn config(preset: ThrottlePreset, mode: TokenMode) -> Config {
    Config {
        token_mode: mode,
        throttle: ThrottleConfig {
            preset,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    }
}

/// The most requests a bucket of `rate` per second (holding one second's worth, full at the start)
/// can admit while `window` passes: the burst plus what refills meanwhile.
///
/// The mock's buckets read the machine's clock, so how many of a burst get through depends on how
/// fast this machine sends it. Asserting against this bound, with `window` measured around the whole
/// burst (every check the server made falls inside it), holds at any speed: on a fast machine it is
/// as strict as a fixed count, and a slow one only lets more through legitimately.
fn most_admitted(rate: f64, window: Duration) -> usize {
    // Truncation is the point: a fraction of a token admits nothing.
    (rate + rate * window.as_secs_f64()).floor() as usize
}

/// Fires `n` DescribeLogStreams at once with `client`; returns how many failed with
/// ThrottlingException (any other error fails the test) and how long the whole burst took.
async fn describe_burst_timed(
    client: &aws_sdk_cloudwatchlogs::Client,
    n: usize,
) -> (usize, Duration) {
    let started = Instant::now();
    let throttled = describe_burst(client, n).await;
    (throttled, started.elapsed())
}

/// Fires `n` DescribeLogStreams at once with `client`; returns how many failed with
/// ThrottlingException (any other error fails the test).
async fn describe_burst(client: &aws_sdk_cloudwatchlogs::Client, n: usize) -> usize {
    let calls = (0..n)
        .map(|_| {
            let c = client.clone();
            async move {
                c.describe_log_streams()
                    .log_group_name("g")
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| code(&e))
            }
        })
        .collect();
    let results = join_all(calls).await;
    results
        .iter()
        .filter(|r| match r {
            Ok(()) => false,
            Err(code) => {
                assert_eq!(code.as_deref(), Some("ThrottlingException"));
                true
            }
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aws_preset_throttles_a_describe_burst_and_the_sdk_retry_gets_through() {
    let server = start(config(ThrottlePreset::Aws, TokenMode::Current)).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "s").await;

    // 100 at once against 25/s with a 25 burst: all but the burst and what refilled meanwhile must
    // be refused (on any machine that sends them within 3 s, most of them).
    let (throttled, took) = describe_burst_timed(&plain_client(&endpoint), 100).await;
    let most = most_admitted(25.0, took);
    assert!(
        100 - throttled <= most,
        "{} of 100 admitted in {took:?}; a 25/s bucket admits at most {most}",
        100 - throttled
    );

    // With the SDK's standard retries (on a fresh server, so the bucket starts full and the
    // SDK's retry budget of 100 throttle retries is not spent on an already empty bucket), a burst
    // over the quota completes, and the mock's stats show that it was throttled on the way.
    let server = start(config(ThrottlePreset::Aws, TokenMode::Current)).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "s").await;
    let (throttled, took) = describe_burst_timed(&retrying_client(&endpoint), 30).await;
    assert_eq!(throttled, 0, "the SDK's retries should absorb the burst");
    let s = stats(server.local_addr()).await;
    let op = &s["operations"]["DescribeLogStreams"];
    assert_eq!(op["successes"], 30);
    // Every first attempt the bucket could not admit in that time was throttled (on a machine that
    // sends the 30 within 0.2 s, at least one).
    let must_throttle = 30usize.saturating_sub(most_admitted(25.0, took)) as u64;
    assert!(
        op["throttled"].as_u64().unwrap() >= must_throttle,
        "{op}, burst took {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn legacy_preset_limits_describe_to_five_per_second() {
    let server = start(config(ThrottlePreset::Legacy, TokenMode::Current)).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "s").await;
    // The bound, not a fixed count: how many refilled during the burst depends on this machine.
    let (throttled, took) = describe_burst_timed(&plain_client(&endpoint), 20).await;
    let most = most_admitted(5.0, took);
    assert!(
        20 - throttled <= most,
        "{} of 20 admitted in {took:?}; a 5/s bucket admits at most {most}",
        20 - throttled
    );
    // A fresh server (full bucket): 8 at once is 3 over the burst, and the SDK's retries absorb it.
    let server = start(config(ThrottlePreset::Legacy, TokenMode::Current)).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "s").await;
    assert_eq!(describe_burst(&retrying_client(&endpoint), 8).await, 0);
}

#[tokio::test]
async fn legacy_preset_limits_puts_per_stream_in_strict_mode_and_names_the_stream() {
    let server = start(config(ThrottlePreset::Legacy, TokenMode::Strict)).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "busy").await;
    let client = plain_client(&endpoint);
    let mut token: Option<String> = None;
    let mut refusal = None;
    // Sequential puts with the right token; the bucket holds 5 and refills 5/s, so a put is refused
    // as soon as they come faster than one per 200 ms. The 200 bound (not 30) keeps a loaded debug
    // build, which may take longer than that for a few puts, from running out of puts first; the
    // count admitted is then checked against the time they took.
    let started = Instant::now();
    let mut admitted = 0;
    for i in 0..200 {
        let result = client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("busy")
            .set_sequence_token(token.clone())
            .log_events(event(now_ms(), &format!("m{i}")))
            .send()
            .await;
        match result {
            Ok(out) => {
                token = out.next_sequence_token().map(str::to_owned);
                admitted += 1;
            }
            Err(e) => {
                refusal = Some(e);
                break;
            }
        }
    }
    let took = started.elapsed();
    assert!(
        admitted <= most_admitted(5.0, took),
        "{admitted} puts admitted in {took:?}"
    );
    let err = refusal.expect("a put over 5/s per stream is throttled");
    assert_eq!(code(&err).as_deref(), Some("ThrottlingException"));
    let message = err
        .as_service_error()
        .and_then(|e| e.message())
        .map(str::to_owned);
    assert_eq!(
        message.as_deref(),
        Some("Rate exceeded for logStreamName busy")
    );

    // The refused put stored nothing and did not move the token: the SDK's retry of the same put
    // (same token) succeeds.
    let retried = retrying_client(&endpoint)
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("busy")
        .set_sequence_token(token)
        .log_events(event(now_ms(), "after the throttle"))
        .send()
        .await
        .expect("the SDK retries the throttle until the bucket refills");
    assert!(retried.next_sequence_token().is_some());
    let stored = stored_messages(server.local_addr(), "g", "busy").await;
    assert_eq!(
        stored.last().map(String::as_str),
        Some("after the throttle")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn off_preset_never_throttles() {
    let server = start(config(ThrottlePreset::Off, TokenMode::Current)).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "s").await;
    assert_eq!(describe_burst(&plain_client(&endpoint), 100).await, 0);
    let s = stats(server.local_addr()).await;
    assert_eq!(s["operations"]["DescribeLogStreams"]["throttled"], 0);
    assert_eq!(s["operations"]["DescribeLogStreams"]["successes"], 100);
}

#[tokio::test]
async fn config_file_overrides_single_rates() {
    let config = Config::from_toml(
        "[throttle]\npreset = \"off\"\n[throttle.per_account]\nGetLogEvents = 0.1\n",
    )
    .expect("valid TOML");
    let server = start(config).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "s").await;
    let client = plain_client(&endpoint);
    let get = || {
        client
            .get_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .send()
    };
    get().await.expect("the first call fits the burst of one");
    let err = get()
        .await
        .expect_err("the second call in the same second is refused");
    assert_eq!(code(&err).as_deref(), Some("ThrottlingException"));
    // The bucket refills in 10 s: a raw call now shows the exact wire answer, with a retry hint.
    let raw = http_with(
        server.local_addr(),
        "POST",
        "/",
        &[
            ("X-Amz-Target", "Logs_20140328.GetLogEvents"),
            // Same access key as the SDK clients: quotas are per caller identity.
            ("Authorization", SIGNED_AS_TEST_CLIENTS),
        ],
        r#"{"logGroupName":"g","logStreamName":"s"}"#,
    )
    .await;
    assert_eq!(raw.status, 400);
    assert_eq!(
        raw.body,
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
    );
    assert_eq!(raw.header("x-amzn-errortype"), Some("ThrottlingException"));
    let hint: u64 = raw
        .header("x-amz-retry-after")
        .expect("a retry hint")
        .parse()
        .expect("milliseconds");
    assert!((1..=10_000).contains(&hint), "{hint}");

    // Operations without an override follow the preset (off).
    assert_eq!(describe_burst(&client, 30).await, 0);
}

#[tokio::test]
async fn a_json_config_file_sets_quotas_and_the_fault_plan() {
    let dir = std::env::temp_dir().join(format!("cwlogs-mock-json-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mock.json");
    std::fs::write(
        &path,
        r#"{"token_mode": "strict",
            "throttle": {"preset": "legacy", "per_account": {"DescribeLogGroups": 0}},
            "faults": {"seed": 3, "rules": [{"name": "slow-get", "operation": "GetLogEvents",
                       "fault": {"kind": "latency", "ms": 1}}]}}"#,
    )
    .unwrap();
    let config = Config::from_file(&path).expect("valid JSON config");
    let _ = std::fs::remove_dir_all(&dir);
    let server = start(config).await;
    let addr = server.local_addr();
    let plan = http(addr, "GET", "/_mock/faults", "").await.json();
    assert_eq!(plan["seed"], 3);
    assert_eq!(plan["rules"][0]["name"], "slow-get");
    let rates = http(addr, "GET", "/_mock/throttle", "").await.json();
    assert_eq!(rates["per_account"]["DescribeLogGroups"], 0.0);
    assert_eq!(rates["per_account"]["DescribeLogStreams"], 5.0);
    let err = plain_client(&server.endpoint())
        .describe_log_groups()
        .send()
        .await
        .expect_err("rate 0 refuses everything");
    assert_eq!(code(&err).as_deref(), Some("ThrottlingException"));

    // A bad section is refused when the server starts, naming the section and the problem.
    let mut bad = Config::default();
    bad.faults.preset = Some("gentle".into());
    let err = mock_server::MockServer::start(bad)
        .await
        .expect_err("refused");
    assert!(
        err.to_string().contains("faults: unknown fault preset"),
        "{err}"
    );
    let mut bad = Config::default();
    bad.throttle.per_account.insert("PutLogEvents".into(), -1.0);
    let err = mock_server::MockServer::start(bad)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("throttle:"), "{err}");
}
