//! Throttling presets seen through the real Rust SDK: a burst over a quota gets the real
//! ThrottlingException, exactly one second's worth is admitted, and the SDK's own standard retry
//! strategy then gets every call through.
//!
//! The counts are exact on any machine because the server's quotas refill on a monotonic clock the
//! test holds still (`ManualMonotonic`): nothing refills unless the test moves it.

use std::sync::Arc;

use crate::support::*;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use futures_join::join_all;
use mock_server::{Config, MockServer, TokenMode};
use mock_server::{ThrottleConfig, ThrottlePreset};
use still::AdvanceOnThrottle;

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

/// The quotas' clock held still: nothing refills unless the test moves it.
mod still {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use mock_server::{ApiRequest, ApiResponse, Hook, ManualMonotonic};

    /// A pipeline hook that, once armed, moves the server's quota clock one second on each time the
    /// server answers `operation` with a ThrottlingException, as if the SDK's backoff had lasted
    /// that long.
    ///
    /// The hook runs before the answer is sent, so the retry of that call always meets a bucket
    /// refilled to one second's worth. A burst smaller than that therefore gets every retry
    /// through on its first attempt, whatever else of the burst took tokens meanwhile.
    pub struct AdvanceOnThrottle {
        /// The clock the server's buckets refill on.
        pub clock: Arc<ManualMonotonic>,
        operation: &'static str,
        armed: AtomicBool,
    }

    impl AdvanceOnThrottle {
        /// A hook for `operation` on a clock standing an hour past its origin.
        pub fn new(operation: &'static str) -> Self {
            Self {
                clock: Arc::new(ManualMonotonic::new(Duration::from_secs(3600))),
                operation,
                armed: AtomicBool::new(false),
            }
        }

        /// Starts advancing the clock on throttles.
        pub fn arm(&self) {
            self.armed.store(true, Ordering::SeqCst);
        }
    }

    impl Hook for AdvanceOnThrottle {
        fn answered(&self, request: &ApiRequest, response: &ApiResponse) {
            if self.armed.load(Ordering::SeqCst)
                && request.operation == self.operation
                && response.error_type == Some("ThrottlingException")
            {
                self.clock.advance(Duration::from_secs(1));
            }
        }
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

/// A server with `preset` and `mode` whose quotas refill on a clock held still, and whose answers
/// go through an [`AdvanceOnThrottle`] hook for `operation` (not armed yet), and a stream `g`/`s`.
async fn start_with_hook(
    preset: ThrottlePreset,
    mode: TokenMode,
    operation: &'static str,
) -> (MockServer, Arc<AdvanceOnThrottle>) {
    let hook = Arc::new(AdvanceOnThrottle::new(operation));
    let server = MockServer::builder(config(preset, mode))
        .monotonic_clock(Arc::clone(&hook.clock) as Arc<dyn mock_server::Monotonic>)
        .hook(Arc::clone(&hook) as Arc<dyn mock_server::Hook>)
        .start()
        .await
        .expect("server starts");
    create_stream_at(&server.endpoint(), "g", "s").await;
    (server, hook)
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

/// The mock's counters for `operation`: (successes, throttled).
async fn counted(server: &MockServer, operation: &str) -> (u64, u64) {
    let s = stats(server.local_addr()).await;
    let op = &s["operations"][operation];
    (
        op["successes"].as_u64().unwrap_or(0),
        op["throttled"].as_u64().unwrap_or(0),
    )
}

/// A DescribeLogStreams quota of `rate` per second: a burst of `burst` admits exactly one second's
/// worth, then a burst of `retried` (smaller than a second's worth) through the SDK's standard
/// retries is throttled at least once and still completes.
async fn describe_quota_is_one_seconds_worth(preset: ThrottlePreset, rate: usize, retried: usize) {
    let (server, hook) = start_with_hook(preset, TokenMode::Current, "DescribeLogStreams").await;
    let endpoint = server.endpoint();

    let burst = 2 * rate;
    let throttled = describe_burst(&plain_client(&endpoint), burst).await;
    // The burst got exactly the second's worth, and not one more.
    assert_eq!(burst - throttled, rate, "{preset} admitted");
    assert_eq!(
        counted(&server, "DescribeLogStreams").await,
        (rate as u64, throttled as u64)
    );

    // From an empty bucket, with time passing only while the SDK backs off: the first call the
    // server sees is throttled, and every call completes through the SDK's own retries.
    hook.arm();
    assert_eq!(
        describe_burst(&retrying_client(&endpoint), retried).await,
        0,
        "the SDK's retries absorb the throttles"
    );
    let (successes, throttled_after) = counted(&server, "DescribeLogStreams").await;
    assert_eq!(successes, (rate + retried) as u64);
    let retried_throttles = throttled_after - throttled as u64;
    // Each call is throttled at most once: its retry meets a refilled bucket.
    assert!(
        (1..=retried as u64).contains(&retried_throttles),
        "{retried_throttles} throttles for {retried} calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aws_preset_admits_25_describes_per_second_and_the_sdk_retry_gets_through() {
    describe_quota_is_one_seconds_worth(ThrottlePreset::Aws, 25, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn legacy_preset_admits_5_describes_per_second_and_the_sdk_retry_gets_through() {
    describe_quota_is_one_seconds_worth(ThrottlePreset::Legacy, 5, 3).await;
}

/// PutLogEvents per account at `rate` per second (current tokens, so no per-stream quota):
/// exactly one second's worth is admitted, the next put gets the real `Rate exceeded`, and the
/// SDK's retry of a put then succeeds and stores it once.
async fn put_account_quota_is_one_seconds_worth(preset: ThrottlePreset, rate: usize) {
    let (server, hook) = start_with_hook(preset, TokenMode::Current, "PutLogEvents").await;
    let endpoint = server.endpoint();
    let client = plain_client(&endpoint);
    // All but the last few tokens are taken by puts to another stream (the quota is the
    // account's); the puts under test then meet the edge exactly.
    create_stream_at(&endpoint, "g", "drain").await;
    let over_the_wire = 3;
    let drained = rate - over_the_wire;
    assert_eq!(
        put_concurrently(&client, "drain", drained).await,
        drained,
        "{preset}"
    );

    let mut admitted = 0;
    let mut refusal = None;
    for i in 0..over_the_wire + 2 {
        match client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .log_events(event(now_ms(), &format!("m{i}")))
            .send()
            .await
        {
            Ok(_) => admitted += 1,
            Err(e) => {
                refusal = Some(e);
                break;
            }
        }
    }
    assert_eq!(admitted, over_the_wire, "{preset}: {rate} per second");
    let err = refusal.expect("the put past one second's worth is refused");
    assert_eq!(code(&err).as_deref(), Some("ThrottlingException"));
    assert_eq!(
        err.as_service_error().and_then(|e| e.message()),
        Some("Rate exceeded")
    );

    hook.arm();
    retrying_client(&endpoint)
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(now_ms(), "after the throttle"))
        .send()
        .await
        .expect("the SDK retries the throttle once the bucket refills");
    // One throttle on the plain put, one on the retried put's first attempt, none after.
    assert_eq!(
        counted(&server, "PutLogEvents").await,
        ((drained + over_the_wire + 1) as u64, 2)
    );
    let stored = stored_messages(server.local_addr(), "g", "s").await;
    assert_eq!(stored, ["m0", "m1", "m2", "after the throttle"]);
}

#[tokio::test]
async fn aws_preset_admits_5000_puts_per_second_per_account() {
    put_account_quota_is_one_seconds_worth(ThrottlePreset::Aws, 5000).await;
}

#[tokio::test]
async fn legacy_preset_admits_1500_puts_per_second_per_account() {
    put_account_quota_is_one_seconds_worth(ThrottlePreset::Legacy, 1500).await;
}

/// Puts `count` one-event batches to `g`/`stream`, 50 at a time; returns how many were admitted.
async fn put_concurrently(
    client: &aws_sdk_cloudwatchlogs::Client,
    stream: &str,
    count: usize,
) -> usize {
    let mut admitted = 0;
    for chunk in (0..count).collect::<Vec<_>>().chunks(50) {
        let calls = chunk
            .iter()
            .map(|i| {
                let c = client.clone();
                let (stream, message) = (stream.to_owned(), format!("drain{i}"));
                async move {
                    c.put_log_events()
                        .log_group_name("g")
                        .log_stream_name(stream)
                        .log_events(event(now_ms(), &message))
                        .send()
                        .await
                        .is_ok()
                }
            })
            .collect();
        admitted += join_all(calls).await.into_iter().filter(|ok| *ok).count();
    }
    admitted
}

/// Puts `count` batches of one event to `g`/`stream` in a row with `client`, each with the token
/// the previous one returned (`token` is updated); returns how many were admitted before the first
/// refusal, and that refusal.
async fn put_in_sequence(
    client: &aws_sdk_cloudwatchlogs::Client,
    stream: &str,
    token: &mut Option<String>,
    count: usize,
) -> (
    usize,
    Option<
        aws_sdk_cloudwatchlogs::error::SdkError<
            aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError,
            aws_sdk_cloudwatchlogs::config::http::HttpResponse,
        >,
    >,
) {
    for i in 0..count {
        match client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name(stream)
            .set_sequence_token(token.clone())
            .log_events(event(now_ms(), &format!("{stream}{i}")))
            .send()
            .await
        {
            Ok(out) => *token = out.next_sequence_token().map(str::to_owned),
            Err(e) => return (i, Some(e)),
        }
    }
    (count, None)
}

#[tokio::test]
async fn legacy_preset_admits_5_puts_per_second_per_stream_in_strict_mode_and_names_the_stream() {
    let (server, hook) =
        start_with_hook(ThrottlePreset::Legacy, TokenMode::Strict, "PutLogEvents").await;
    let endpoint = server.endpoint();
    create_stream_at(&endpoint, "g", "busy").await;
    let client = plain_client(&endpoint);

    // The stream's 5 go through and the sixth is refused.
    let mut token = None;
    let (admitted, refusal) = put_in_sequence(&client, "busy", &mut token, 10).await;
    assert_eq!(admitted, 5);
    let err = refusal.expect("a put over 5/s per stream is throttled");
    assert_eq!(code(&err).as_deref(), Some("ThrottlingException"));
    assert_eq!(
        err.as_service_error().and_then(|e| e.message()),
        Some("Rate exceeded for logStreamName busy")
    );
    // The quota is the stream's, not the account's (1,500/s): another stream is not held back.
    let (admitted_elsewhere, _) = put_in_sequence(&client, "s", &mut None, 3).await;
    assert_eq!(admitted_elsewhere, 3);

    // The refused put stored nothing and did not move the token: the SDK's retry of the same put
    // (same token) succeeds once the stream's bucket refills.
    hook.arm();
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
    assert_eq!(counted(&server, "PutLogEvents").await, (5 + 3 + 1, 2));
    let stored = stored_messages(server.local_addr(), "g", "busy").await;
    assert_eq!(
        stored,
        [
            "busy0",
            "busy1",
            "busy2",
            "busy3",
            "busy4",
            "after the throttle"
        ]
    );
}

#[tokio::test]
async fn aws_preset_has_no_per_stream_quota_even_with_strict_tokens() {
    let (server, _hook) =
        start_with_hook(ThrottlePreset::Aws, TokenMode::Strict, "PutLogEvents").await;
    // Twice the legacy per-stream quota to one stream with nothing refilling: all admitted.
    let (admitted, refusal) =
        put_in_sequence(&plain_client(&server.endpoint()), "s", &mut None, 10).await;
    assert!(refusal.is_none(), "{refusal:?}");
    assert_eq!(admitted, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn off_preset_never_throttles() {
    let server = start_server(config(ThrottlePreset::Off, TokenMode::Current)).await;
    let endpoint = server.endpoint();
    create_stream_at(&endpoint, "g", "s").await;
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
    let server = start_server(config).await;
    let endpoint = server.endpoint();
    create_stream_at(&endpoint, "g", "s").await;
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
    let server = start_server(config).await;
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
