//! Helpers shared by the integration tests: a server on a free loopback port and an SDK client
//! pointed at it with static test credentials.

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use std::sync::Arc;

use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use mock_server::{Config, ManualClock, MockServer, TokenMode};

/// A fixed "now" for tests that pin the clock: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000_000;

/// A running server and a client for it.
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
    let client = client_for(&server.endpoint());
    Harness {
        server,
        client,
        clock,
    }
}

/// An SDK client for `endpoint` with static credentials, a region and SDK retries disabled (so
/// that every error the server sends reaches the test).
pub fn client_for(endpoint: &str) -> Client {
    let conf = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "tests"))
        .endpoint_url(endpoint)
        .retry_config(aws_sdk_cloudwatchlogs::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

/// One input event.
pub fn event(timestamp: i64, message: &str) -> InputLogEvent {
    InputLogEvent::builder()
        .timestamp(timestamp)
        .message(message)
        .build()
        .expect("timestamp and message are set")
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

/// A raw HTTP/1.1 answer.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

/// Sends one raw HTTP/1.1 request (`Connection: close`) and reads the whole answer; `None` when
/// the server closed the connection without answering.
pub async fn raw_http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<RawResponse> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.ok()?;
    // The server may answer (e.g. 413) before reading a large body; ignore a failed write.
    let _ = stream.write_all(body).await;
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(RawResponse {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// A signed-looking awsJson1_1 request for `operation` with `body`.
pub async fn api_call(addr: std::net::SocketAddr, operation: &str, body: &str) -> RawResponse {
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
