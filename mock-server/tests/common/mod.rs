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
    config.throttle.preset = mock_server::throttle::ThrottlePreset::Off;
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
