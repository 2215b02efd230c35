//! Helpers for the throttling, fault, admin, state-file and background-writer tests: a server on a
//! loopback port, SDK clients with and without the SDK's own retries, and a tiny HTTP/1.1 client for
//! the admin API (raw, so that the tests see exactly the status and body the mock sends).

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_cloudwatchlogs::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_cloudwatchlogs::config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use mock_server::{Config, MockServer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An `Authorization` header naming the access key the SDK clients here use (unverified by the
/// mock, which only reads the credential scope).
pub const SIGNED_AS_TEST_CLIENTS: &str = "AWS4-HMAC-SHA256 \
    Credential=AKIDFAULTS/20231114/eu-west-2/logs/aws4_request, SignedHeaders=host, Signature=00";

/// Starts a server with `config` (system clock, free loopback port).
pub async fn start(config: Config) -> MockServer {
    MockServer::start(config).await.expect("server starts")
}

fn builder(endpoint: &str) -> aws_sdk_cloudwatchlogs::config::Builder {
    aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .credentials_provider(Credentials::new(
            "AKIDFAULTS",
            "secret",
            None,
            None,
            "tests",
        ))
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

/// Creates a group (if needed) and a stream, through a retrying client so quotas cannot fail it.
pub async fn create_stream(endpoint: &str, group: &str, stream: &str) {
    let client = retrying_client(endpoint);
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

/// An answer of the admin API.
#[derive(Debug)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: String,
    /// Every header, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl HttpAnswer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl HttpAnswer {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request with `Connection: close`; the answer is read to the end.
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
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let extra: String = extra.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         {extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("answer within 10 s")
        .expect("read");
    let text = String::from_utf8(raw).expect("utf-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect();
    let content_type = headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    HttpAnswer {
        status,
        content_type,
        headers,
        body: body.to_owned(),
    }
}

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
