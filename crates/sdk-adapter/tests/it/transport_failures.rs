//! Failures without an answer from the service: was the request possibly applied (Unknown) or
//! surely not sent (NotSent)? Scripted connectors and credential failures (no socket) run on
//! tokio's paused clock; the real sockets over loopback run on the real clock, since a paused
//! clock would auto-advance to their timeouts while the kernel still has the answer on its way.

use crate::support::{failing_transport, loopback_client};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::retry::{ErrorKind, RetryConfig};
use aws_smithy_types::timeout::TimeoutConfig;
use sdk_adapter::mapping;
use std::io;
use std::time::Duration;
use token_core::Outcome;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

async fn put(client: &Client) -> Outcome {
    let event = InputLogEvent::builder()
        .timestamp(1)
        .message("m")
        .build()
        .expect("event");
    mapping::put_log_events(
        &client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .log_events(event)
            .send()
            .await,
    )
}

fn io_error(kind: io::ErrorKind) -> Option<ConnectorError> {
    Some(ConnectorError::io(Box::new(io::Error::from(kind))))
}

// ----- scripted connectors, virtual time -----

#[tokio::test(start_paused = true)]
async fn operation_timeout_is_unknown() {
    // The connector never answers; the SDK's operation timeout fires on tokio's paused clock.
    let client = failing_transport(|| None, Duration::from_secs(30));
    assert_eq!(put(&client).await, Outcome::Unknown);
}

#[tokio::test(start_paused = true)]
async fn reset_after_connecting_is_unknown() {
    let client = failing_transport(
        || io_error(io::ErrorKind::ConnectionReset),
        Duration::from_secs(5),
    );
    assert_eq!(put(&client).await, Outcome::Unknown);
    let client = failing_transport(
        || io_error(io::ErrorKind::UnexpectedEof),
        Duration::from_secs(5),
    );
    assert_eq!(put(&client).await, Outcome::Unknown);
}

#[tokio::test(start_paused = true)]
async fn refused_connection_is_not_sent() {
    let client = failing_transport(
        || io_error(io::ErrorKind::ConnectionRefused),
        Duration::from_secs(5),
    );
    assert_eq!(put(&client).await, Outcome::NotSent);
}

#[tokio::test(start_paused = true)]
async fn connector_timeout_is_unknown() {
    let client = failing_transport(
        || {
            Some(ConnectorError::timeout(
                "HTTP read timeout occurred after 2s".into(),
            ))
        },
        Duration::from_secs(5),
    );
    assert_eq!(put(&client).await, Outcome::Unknown);
}

#[tokio::test(start_paused = true)]
async fn user_error_is_not_sent() {
    let client = failing_transport(
        || Some(ConnectorError::user("invalid URI".into())),
        Duration::from_secs(5),
    );
    assert_eq!(put(&client).await, Outcome::NotSent);
}

#[tokio::test(start_paused = true)]
async fn other_connector_errors_are_unknown() {
    let client = failing_transport(
        || {
            Some(ConnectorError::other(
                "incomplete message".into(),
                Some(ErrorKind::TransientError),
            ))
        },
        Duration::from_secs(5),
    );
    assert_eq!(put(&client).await, Outcome::Unknown);
}

#[tokio::test(start_paused = true)]
async fn missing_credentials_fail_before_sending() {
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(RetryConfig::disabled())
        .build();
    let client = Client::from_conf(config);
    assert_eq!(put(&client).await, Outcome::NotSent);
}

// ----- real sockets over loopback -----

fn no_retries(client: &Client, timeout: Duration) -> Client {
    Client::from_conf(
        client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build())
            .build(),
    )
}

#[tokio::test]
async fn closed_port_is_not_sent() {
    // Bind and release a port so that nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = no_retries(
        &loopback_client(&format!("http://127.0.0.1:{port}")),
        Duration::from_secs(10),
    );
    assert_eq!(put(&client).await, Outcome::NotSent);
}

#[tokio::test]
async fn connection_closed_after_the_request_is_unknown() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        // Read the request, then hang up without answering: it may have been applied.
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buf = vec![0u8; 64 * 1024];
        let _ = socket.read(&mut buf).await;
        drop(socket);
    });
    let client = no_retries(
        &loopback_client(&format!("http://{addr}")),
        Duration::from_secs(10),
    );
    assert_eq!(put(&client).await, Outcome::Unknown);
    server.await.expect("server task");
}

#[tokio::test]
async fn hung_connection_times_out_as_unknown() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buf = vec![0u8; 64 * 1024];
        let _ = socket.read(&mut buf).await;
        // Hold the connection open, never answering, until the test is done.
        let _ = release_rx.await;
    });
    let client = no_retries(
        &loopback_client(&format!("http://{addr}")),
        Duration::from_millis(300),
    );
    assert_eq!(put(&client).await, Outcome::Unknown);
    let _ = release_tx.send(());
    server.await.expect("server task");
}

#[derive(Debug)]
struct BrokenCredentials;

impl aws_credential_types::provider::ProvideCredentials for BrokenCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::provider_error(
                "the credentials endpoint is down",
            ),
        ))
    }
}

#[tokio::test(start_paused = true)]
async fn failing_credentials_provider_fails_before_sending() {
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .credentials_provider(BrokenCredentials)
        .retry_config(RetryConfig::disabled())
        .build();
    assert_eq!(put(&Client::from_conf(config)).await, Outcome::NotSent);
}
