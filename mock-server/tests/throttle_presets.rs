//! Throttling presets seen through the real Rust SDK: a burst over a quota gets the real
//! ThrottlingException, and the SDK's own standard retry strategy then gets every call through.

mod faults_support;

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

    // 100 at once against 25/s with a 25 burst: most must be refused.
    let throttled = describe_burst(&plain_client(&endpoint), 100).await;
    assert!(throttled >= 50, "only {throttled} of 100 throttled");

    // With the SDK's standard retries (on a fresh server, so the bucket starts full and the
    // SDK's retry budget of 100 throttle retries is not spent on an already empty bucket), a burst
    // over the quota completes, and the mock's stats show that it was throttled on the way.
    let server = start(config(ThrottlePreset::Aws, TokenMode::Current)).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "s").await;
    let throttled = describe_burst(&retrying_client(&endpoint), 30).await;
    assert_eq!(throttled, 0, "the SDK's retries should absorb the burst");
    let s = stats(server.local_addr()).await;
    let op = &s["operations"]["DescribeLogStreams"];
    assert_eq!(op["successes"], 30);
    assert!(op["throttled"].as_u64().unwrap() >= 1, "{op}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn legacy_preset_limits_describe_to_five_per_second() {
    let server = start(config(ThrottlePreset::Legacy, TokenMode::Current)).await;
    let endpoint = server.endpoint();
    create_stream(&endpoint, "g", "s").await;
    let throttled = describe_burst(&plain_client(&endpoint), 20).await;
    assert!(throttled >= 10, "only {throttled} of 20 throttled");
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
    // Sequential puts with the right token; the bucket holds 5, so one of the first 30 is refused
    // unless the machine takes 200 ms per put.
    for i in 0..30 {
        let result = client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("busy")
            .set_sequence_token(token.clone())
            .log_events(event(now_ms(), &format!("m{i}")))
            .send()
            .await;
        match result {
            Ok(out) => token = out.next_sequence_token().map(str::to_owned),
            Err(e) => {
                refusal = Some(e);
                break;
            }
        }
    }
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
