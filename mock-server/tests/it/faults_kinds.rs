//! Every fault kind seen through the real Rust SDK, and seed reproducibility.
//!
//! Quotas are off here so that only the fault plan decides what fails.

use std::time::{Duration, Instant};

use crate::support::*;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use mock_server::{Config, MockServer, TokenMode};
use mock_server::{ThrottleConfig, ThrottlePreset};

fn config(mode: TokenMode) -> Config {
    Config {
        token_mode: mode,
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    }
}

async fn server_with_stream(mode: TokenMode) -> MockServer {
    let server = start_server(config(mode)).await;
    create_stream_at(&server.endpoint(), "g", "s").await;
    server
}

/// One DescribeLogGroups; the error code when it fails.
async fn describe(client: &aws_sdk_cloudwatchlogs::Client) -> Result<(), Option<String>> {
    client
        .describe_log_groups()
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e))
}

async fn put(
    client: &aws_sdk_cloudwatchlogs::Client,
    message: &str,
) -> Result<
    aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsOutput,
    aws_sdk_cloudwatchlogs::error::SdkError<
        aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError,
    >,
> {
    client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(now_ms(), message))
        .send()
        .await
}

fn one_rule(operation: &str, times: u32, fault: &str) -> String {
    format!(
        r#"{{"rules":[{{"name":"under-test","operation":"{operation}","times":{times},"fault":{fault}}}]}}"#
    )
}

async fn fired(server: &MockServer) -> u64 {
    stats(server.local_addr()).await["faultsFired"]["under-test"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn throttle_fault_is_the_real_throttle_and_the_sdk_retries_it() {
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    let endpoint = server.endpoint();
    set_faults(
        addr,
        &one_rule("DescribeLogGroups", 1, r#"{"kind":"throttle"}"#),
    )
    .await;
    let err = plain_client(&endpoint)
        .describe_log_groups()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(code(&err).as_deref(), Some("ThrottlingException"));
    assert_eq!(err.message(), Some("Rate exceeded"));

    set_faults(
        addr,
        &one_rule("DescribeLogGroups", 2, r#"{"kind":"throttle"}"#),
    )
    .await;
    describe(&retrying_client(&endpoint))
        .await
        .expect("the SDK retries two throttles");
    // Stats count across plan replacements: one fire for the plain client, two retried.
    assert_eq!(fired(&server).await, 3);
}

#[tokio::test]
async fn service_unavailable_is_a_503_the_sdk_retries() {
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    let endpoint = server.endpoint();
    set_faults(
        addr,
        &one_rule("DescribeLogGroups", 1, r#"{"kind":"service_unavailable"}"#),
    )
    .await;
    let raw = http_with(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "Logs_20140328.DescribeLogGroups")],
        "{}",
    )
    .await;
    assert_eq!(raw.status, 503);
    assert_eq!(raw.json()["__type"], "ServiceUnavailableException");

    set_faults(
        addr,
        &one_rule("DescribeLogGroups", 1, r#"{"kind":"service_unavailable"}"#),
    )
    .await;
    assert_eq!(
        describe(&plain_client(&endpoint)).await,
        Err(Some("ServiceUnavailableException".into()))
    );
    set_faults(
        addr,
        &one_rule("DescribeLogGroups", 2, r#"{"kind":"service_unavailable"}"#),
    )
    .await;
    describe(&retrying_client(&endpoint))
        .await
        .expect("503 is retried");
    // Raw call, plain client, then two retried by the SDK.
    assert_eq!(fired(&server).await, 4);
}

#[tokio::test]
async fn internal_error_is_a_500_the_sdk_retries() {
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    let endpoint = server.endpoint();
    set_faults(
        addr,
        &one_rule("DescribeLogGroups", 1, r#"{"kind":"internal_error"}"#),
    )
    .await;
    assert_eq!(
        describe(&plain_client(&endpoint)).await,
        Err(Some("InternalServerException".into()))
    );
    set_faults(
        addr,
        &one_rule("DescribeLogGroups", 2, r#"{"kind":"internal_error"}"#),
    )
    .await;
    describe(&retrying_client(&endpoint))
        .await
        .expect("500 is retried");
    let s = stats(addr).await;
    assert_eq!(
        s["operations"]["DescribeLogGroups"]["errors"]["InternalServerException"],
        3
    );
}

#[tokio::test]
async fn custom_errors_reach_the_sdk_and_are_retried_only_if_the_sdk_says_so() {
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    let endpoint = server.endpoint();
    let denied = r#"{"kind":"error","type":"AccessDeniedException","status":400,"message":"no"}"#;
    set_faults(addr, &one_rule("DescribeLogGroups", 5, denied)).await;
    let err = retrying_client(&endpoint)
        .describe_log_groups()
        .send()
        .await
        .expect_err("not retryable");
    assert_eq!(code(&err).as_deref(), Some("AccessDeniedException"));
    assert_eq!(err.message(), Some("no"));
    assert_eq!(fired(&server).await, 1, "the SDK did not retry it");

    // LimitExceededException is on every SDK's throttling list (CLOUDWATCH.md §5).
    let limit = r#"{"kind":"error","type":"LimitExceededException","message":"slow down"}"#;
    set_faults(addr, &one_rule("DescribeLogGroups", 2, limit)).await;
    describe(&retrying_client(&endpoint))
        .await
        .expect("retried as a throttle");
    assert_eq!(fired(&server).await, 1 + 2);
}

#[tokio::test]
async fn latency_delays_the_answer_and_the_call_still_succeeds() {
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    set_faults(
        addr,
        &one_rule("PutLogEvents", 1, r#"{"kind":"latency","ms":150}"#),
    )
    .await;
    let started = Instant::now();
    put(&plain_client(&server.endpoint()), "late")
        .await
        .expect("stored");
    // A lower bound only: the fault sleeps at least this long; a slow machine only adds to it.
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(stored_messages(addr, "g", "s").await, ["late"]);
}

#[tokio::test]
async fn reset_before_commit_stores_nothing_and_a_retry_stores_once() {
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    let endpoint = server.endpoint();
    set_faults(
        addr,
        &one_rule("PutLogEvents", 1, r#"{"kind":"reset_before_commit"}"#),
    )
    .await;
    let err = put(&plain_client(&endpoint), "first")
        .await
        .expect_err("connection reset");
    assert!(err.as_service_error().is_none(), "{err:?}");
    assert!(stored_messages(addr, "g", "s").await.is_empty());

    set_faults(
        addr,
        &one_rule("PutLogEvents", 1, r#"{"kind":"reset_before_commit"}"#),
    )
    .await;
    put(&retrying_client(&endpoint), "second")
        .await
        .expect("the SDK retries a connection closed before any answer");
    assert_eq!(stored_messages(addr, "g", "s").await, ["second"]);
    let s = stats(addr).await;
    assert_eq!(
        s["operations"]["PutLogEvents"]["errors"]["ConnectionClosed"],
        2
    );
}

#[tokio::test]
async fn lost_response_stores_and_in_current_mode_a_retry_duplicates() {
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    let endpoint = server.endpoint();
    set_faults(
        addr,
        &one_rule("PutLogEvents", 1, r#"{"kind":"lost_response"}"#),
    )
    .await;
    let err = put(&plain_client(&endpoint), "once")
        .await
        .expect_err("no answer");
    assert!(err.as_service_error().is_none(), "{err:?}");
    assert_eq!(stored_messages(addr, "g", "s").await, ["once"]);

    // Today's service ignores tokens, so nothing can tell a resend from a new batch: the SDK's own
    // retry stores the batch a second time. This is why writers need to know about lost answers.
    set_faults(
        addr,
        &one_rule("PutLogEvents", 1, r#"{"kind":"lost_response"}"#),
    )
    .await;
    put(&retrying_client(&endpoint), "twice")
        .await
        .expect("the SDK retries");
    assert_eq!(
        stored_messages(addr, "g", "s").await,
        ["once", "twice", "twice"]
    );
    let s = stats(addr).await;
    assert_eq!(s["streams"]["g"]["s"]["eventsStored"], 3);
    assert_eq!(s["streams"]["g"]["s"]["faultsFired"]["under-test"], 2);
}

#[tokio::test]
async fn slow_response_stores_at_once_and_answers_after_the_client_gave_up() {
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    set_faults(
        addr,
        &one_rule("PutLogEvents", 1, r#"{"kind":"slow_response","ms":60000}"#),
    )
    .await;
    // The answer is a minute away, so the client surely gives up first however slow this machine
    // is, and a store seen within the bounded wait below came before the answer. The client may
    // give up before the server has even read the request on a loaded machine, so the store is
    // waited for (not read once): what is proved is the order, not the speed.
    let client = impatient_client(&server.endpoint(), Duration::from_millis(1000));
    let err = put(&client, "slow")
        .await
        .expect_err("the attempt times out");
    assert!(err.as_service_error().is_none(), "{err:?}");
    // Bounded (5 s of reads), far less than the minute the answer waits.
    assert_eq!(stored_messages_once_any(addr, "g", "s").await, ["slow"]);
}

#[tokio::test]
async fn shutdown_does_not_wait_for_a_pending_slow_response_at_its_default_delay() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    // No `ms`: the default delay, which outlasts the 60 s read timeout of botocore and the CLI.
    set_faults(
        addr,
        &one_rule("PutLogEvents", 1, r#"{"kind":"slow_response"}"#),
    )
    .await;
    let body = format!(
        r#"{{"logGroupName":"g","logStreamName":"s","logEvents":[{{"timestamp":{},"message":"slow"}}]}}"#,
        now_ms()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: Logs_20140328.PutLogEvents\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    // The put is committed before its answer is delayed; wait (bounded) until it is.
    assert_eq!(stored_messages_once_any(addr, "g", "s").await, ["slow"]);

    // Shutdown gives open connections a short grace, not the answer's whole delay.
    tokio::time::timeout(Duration::from_secs(60), server.shutdown())
        .await
        .expect("shutdown returns long before the 90 s answer")
        .expect("clean shutdown");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the connection is closed once the server has stopped");
    // Closed without an answer (a reset is as good as an end of stream here).
    assert!(read.is_err() || answer.is_empty(), "{answer:?}");
}

/// Runs 60 DescribeLogGroups and returns which ones failed, by index.
async fn failures(endpoint: &str) -> Vec<usize> {
    let client = plain_client(endpoint);
    let mut failed = Vec::new();
    for i in 0..60 {
        if describe(&client).await.is_err() {
            failed.push(i);
        }
    }
    failed
}

#[tokio::test]
async fn the_same_seed_and_requests_give_the_same_faults() {
    let plan = |seed: u64| {
        format!(
            r#"{{"seed":{seed},"rules":[
                {{"name":"t","probability":0.3,"fault":{{"kind":"throttle"}}}},
                {{"name":"u","probability":0.2,"fault":{{"kind":"service_unavailable"}}}}]}}"#
        )
    };
    let a = server_with_stream(TokenMode::Current).await;
    set_faults(a.local_addr(), &plan(7)).await;
    let first = failures(&a.endpoint()).await;
    assert!(!first.is_empty() && first.len() < 60, "{first:?}");

    // Replacing the plan restarts its counters: the same run again gives the same faults.
    set_faults(a.local_addr(), &plan(7)).await;
    assert_eq!(failures(&a.endpoint()).await, first);

    // Another server, same seed: same faults. Another seed: different ones.
    let b = server_with_stream(TokenMode::Current).await;
    set_faults(b.local_addr(), &plan(7)).await;
    assert_eq!(failures(&b.endpoint()).await, first);
    set_faults(b.local_addr(), &plan(8)).await;
    assert_ne!(failures(&b.endpoint()).await, first);
}

#[tokio::test]
async fn presets_from_the_config_file_are_reproducible_too() {
    let config = || {
        let mut c = Config::from_toml("[faults]\npreset = \"chaos\"\nseed = 11\n").expect("TOML");
        c.throttle.preset = ThrottlePreset::Off;
        c
    };
    let a = start_server(config()).await;
    let b = start_server(config()).await;
    let fa = failures(&a.endpoint()).await;
    let fb = failures(&b.endpoint()).await;
    assert_eq!(fa, fb);
    assert!(!fa.is_empty(), "chaos fails some of 60 calls");
    let plan = http(a.local_addr(), "GET", "/_mock/faults", "")
        .await
        .json();
    assert_eq!(plan["seed"], 11);
    assert_eq!(plan["rules"][0]["name"], "chaos-throttle");
}

#[tokio::test]
async fn faults_on_streams_that_do_not_exist_count_only_in_the_totals() {
    // Issue 20: 20,000 faulted puts to invented stream names grew `/_mock/stats` to 18.8 MB, one
    // entry per name. Now only existing streams get an entry.
    let server = server_with_stream(TokenMode::Current).await;
    let addr = server.local_addr();
    let plan =
        r#"{"rules":[{"name":"always","operation":"PutLogEvents","fault":{"kind":"throttle"}}]}"#;
    assert_eq!(http(addr, "PUT", "/_mock/faults", plan).await.status, 200);
    for i in 0..50 {
        let body = format!(
            r#"{{"logGroupName":"g","logStreamName":"invented-{i}","logEvents":[{{"timestamp":{},"message":"m"}}]}}"#,
            now_ms()
        );
        let answer = api_call(addr, "PutLogEvents", &body).await;
        assert_eq!(answer.status, 400, "{}", answer.body);
    }
    let existing = format!(
        r#"{{"logGroupName":"g","logStreamName":"s","logEvents":[{{"timestamp":{},"message":"m"}}]}}"#,
        now_ms()
    );
    assert_eq!(api_call(addr, "PutLogEvents", &existing).await.status, 400);
    let stats = http(addr, "GET", "/_mock/stats", "").await.json();
    assert_eq!(stats["faultsFired"]["always"], 51, "{stats}");
    let streams = stats["streams"]["g"].as_object().expect("group g");
    assert_eq!(streams.keys().collect::<Vec<_>>(), ["s"], "{stats}");
    assert_eq!(streams["s"]["faultsFired"]["always"], 1);
}
