//! Helpers shared by the integration tests: servers on a free loopback port (with the clock pinned
//! for the semantic tests, or the system clock for the fault, throttle and state-file tests), SDK
//! clients with and without the SDK's own retries, the one raw HTTP/1.1 client the admin and
//! wire-protocol tests use (raw, so that a test sees exactly the status and body the mock sends), and
//! reads through the mock's oracle.

#![allow(dead_code)] // Not every helper is used by every configuration of the tests.

#[cfg(feature = "cli")]
pub mod binary;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_cloudwatchlogs::config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use mock_server::{Config, ManualClock, MockServer, TokenMode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The access key of every SDK client here (the mock reads only the credential scope, never the
/// signature).
const ACCESS_KEY: &str = "AKIDTEST";

/// An `Authorization` header naming [`ACCESS_KEY`], for raw requests that must count against the
/// same account as the SDK clients.
pub const SIGNED_AS_TEST_CLIENTS: &str = "AWS4-HMAC-SHA256 \
    Credential=AKIDTEST/20231114/eu-west-2/logs/aws4_request, SignedHeaders=host, Signature=00";

// ---- Servers ----

/// A fixed "now" for tests that pin the clock: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000_000;

/// A running server with its clock pinned, and a client for it.
pub struct Harness {
    pub server: MockServer,
    pub client: Client,
    pub clock: Arc<ManualClock>,
}

/// Starts a server in `mode` with its clock pinned at [`NOW`].
pub async fn start(mode: TokenMode) -> Harness {
    start_with(Config {
        token_mode: mode,
        ..Config::default()
    })
    .await
}

/// Starts a server with `config` and its clock pinned at [`NOW`]. Throttling is switched off: these
/// tests are about the service's semantics, and the realistic quotas would throttle a fast test.
pub async fn start_with(mut config: Config) -> Harness {
    config.throttle.preset = mock_server::ThrottlePreset::Off;
    let clock = Arc::new(ManualClock::new(NOW));
    let server = MockServer::builder(config)
        .clock(clock.clone())
        .start()
        .await
        .expect("server starts");
    let client = plain_client(&server.endpoint());
    Harness {
        server,
        client,
        clock,
    }
}

/// Starts a server with `config` as given (system clock, free loopback port).
pub async fn start_server(config: Config) -> MockServer {
    MockServer::start(config).await.expect("server starts")
}

// ---- SDK clients ----

fn builder(endpoint: &str) -> aws_sdk_cloudwatchlogs::config::Builder {
    aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .credentials_provider(Credentials::new(ACCESS_KEY, "secret", None, None, "tests"))
        .endpoint_url(endpoint)
}
/// A client whose every error reaches the test: the SDK's retries are off.
pub fn plain_client(endpoint: &str) -> Client {
    Client::from_conf(
        builder(endpoint)
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

/// A client with the SDK's standard retry strategy (its classifiers decide what is retried), with
/// short backoffs and enough attempts to outlast a burst, so the tests stay fast.
///
/// Each client gets its own retry partition: the SDK's retry budget (500 tokens, 5 per throttle
/// retry) is otherwise shared by every client of the process, and tests running in parallel would
/// drain it for each other.
pub fn retrying_client(endpoint: &str) -> Client {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let retry = RetryConfig::standard()
        .with_max_attempts(10)
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(500));
    let partition = RetryPartition::new(format!(
        "cwlogs-mock-tests-{}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    Client::from_conf(
        builder(endpoint)
            .retry_config(retry)
            .retry_partition(partition)
            .build(),
    )
}

/// A client without retries that gives up on an attempt after `timeout`.
pub fn impatient_client(endpoint: &str, timeout: Duration) -> Client {
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(timeout)
        .build();
    Client::from_conf(
        builder(endpoint)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .build(),
    )
}

// ---- Events and streams ----

/// One input event.
pub fn event(timestamp: i64, message: &str) -> InputLogEvent {
    InputLogEvent::builder()
        .timestamp(timestamp)
        .message(message)
        .build()
        .expect("timestamp and message are set")
}

/// Now, in ms since the epoch (events must be within the service's accepted window).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// Creates a group and a stream.
pub async fn create_stream(client: &Client, group: &str, stream: &str) {
    if let Err(e) = client.create_log_group().log_group_name(group).send().await {
        let e = e.into_service_error();
        assert!(e.is_resource_already_exists_exception(), "{e:?}");
    }
    client
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .expect("stream created");
}

/// Creates a group (if needed) and a stream through a retrying client, so that quotas cannot fail
/// it.
pub async fn create_stream_at(endpoint: &str, group: &str, stream: &str) {
    create_stream(&retrying_client(endpoint), group, stream).await;
}

/// The messages of a stream, read from the head with GetLogEvents.
pub async fn messages(client: &Client, group: &str, stream: &str) -> Vec<String> {
    let out = client
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .start_from_head(true)
        .send()
        .await
        .expect("get");
    out.events()
        .iter()
        .map(|e| e.message().unwrap_or_default().to_owned())
        .collect()
}

// ---- Raw HTTP ----

/// An HTTP/1.1 answer as the mock sent it.
#[derive(Debug)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header (empty when absent).
    pub content_type: String,
    /// Every header, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl HttpAnswer {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one raw HTTP/1.1 request (`Connection: close`, exactly the headers given plus `Host` and
/// `Content-Length`) and reads the whole answer; `None` when the server closed the connection
/// without answering. Bounded: an answer not complete within 10 s fails the test.
pub async fn raw_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<HttpAnswer> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    // `Host` is the address unless the test sends its own.
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.ok()?;
    // The server may answer (e.g. 413) before reading a large body; ignore a failed write.
    let _ = stream.write_all(body).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await
        .expect("answer within 10 s");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let content_type = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Some(HttpAnswer {
        status,
        content_type,
        headers,
        body: body.to_owned(),
    })
}

/// A signed-looking awsJson1_1 request for `operation` with `body`.
pub async fn api_call(addr: SocketAddr, operation: &str, body: &str) -> HttpAnswer {
    let target = format!("Logs_20140328.{operation}");
    raw_http(
        addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", target.as_str()),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/ap-south-1/logs/aws4_request, SignedHeaders=host, Signature=0"),
        ],
        body.as_bytes(),
    )
    .await
    .expect("an answer")
}

/// One request with a JSON body to the admin API (or any path), answered.
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> HttpAnswer {
    http_with(addr, method, path, &[], body).await
}

/// Like [`http`], with extra request headers (e.g. `X-Amz-Target` for a raw API call).
pub async fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> HttpAnswer {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    raw_http(addr, method, path, &headers, body.as_bytes())
        .await
        .expect("an answer, not a closed connection")
}

// ---- The oracle and the admin API ----

/// The messages stored in a stream, from `GET /_mock/events` (unthrottled, unaffected by faults
/// and by the visibility delay).
pub async fn stored_messages(addr: SocketAddr, group: &str, stream: &str) -> Vec<String> {
    let answer = http(
        addr,
        "GET",
        &format!("/_mock/events?logGroupName={group}&logStreamName={stream}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["message"].as_str().expect("message").to_owned())
        .collect()
}

/// The messages of a stream once it holds any, for a put whose answer comes late or never while
/// the events are already committed. Bounded: 100 reads, 50 ms apart.
pub async fn stored_messages_once_any(addr: SocketAddr, group: &str, stream: &str) -> Vec<String> {
    let mut stored = Vec::new();
    for _ in 0..100 {
        stored = stored_messages(addr, group, stream).await;
        if !stored.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stored
}

/// `GET /_mock/stats`.
pub async fn stats(addr: SocketAddr) -> Value {
    let answer = http(addr, "GET", "/_mock/stats", "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// `PUT /_mock/faults` with `plan`, asserting it was accepted.
pub async fn set_faults(addr: SocketAddr, plan: &str) {
    let answer = http(addr, "PUT", "/_mock/faults", plan).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The error code of an SDK error, whatever the operation.
pub fn code<E, R>(err: &aws_sdk_cloudwatchlogs::error::SdkError<E, R>) -> Option<String>
where
    E: aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned)
}
