//! Helpers shared by the behaviour modules: scripted SDK clients, raw wire responses, failing
//! transports and a client for a real endpoint over loopback.

use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_mocks::{mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use std::sync::Arc;
use std::time::Duration;

/// A client answering from `rules` in order, with the SDK's retries off (as the shipper runs it),
/// so that each call is exactly one scripted answer.
pub fn scripted(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_cloudwatchlogs, RuleMode::Sequential, rules, |b| b
        .retry_config(RetryConfig::disabled()))
}

/// A raw awsJson1_1 response, as CloudWatch Logs (and cwlogs-mock) writes it.
pub fn wire(status: u16, body: &str) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("valid status"),
        SdkBody::from(body.to_owned()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.1");
    response
        .headers_mut()
        .insert("x-amzn-requestid", "00000000-0000-0000-0000-000000000000");
    response
}

/// A successful PutLogEvents answer.
pub fn ok_put() -> HttpResponse {
    wire(200, r#"{"nextSequenceToken":"1"}"#)
}

/// An AWS error body: `{"__type":"<code>","message":"<message>"}`.
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "__type": code, "message": message }).to_string()
}

/// A connector whose every call ends with `make()`'s result, or never ends when it is `None`.
#[derive(Clone)]
pub struct FailingConnector {
    make: Arc<dyn Fn() -> Option<ConnectorError> + Send + Sync>,
}

impl std::fmt::Debug for FailingConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FailingConnector")
    }
}

impl HttpConnector for FailingConnector {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        match (self.make)() {
            Some(err) => HttpConnectorFuture::ready(Err(err)),
            None => HttpConnectorFuture::new(std::future::pending()),
        }
    }
}

/// A client whose transport fails every call with `make()` (or hangs when it returns `None`), with
/// the SDK's retries off and `timeout` as the operation timeout.
pub fn failing_transport(
    make: impl Fn() -> Option<ConnectorError> + Send + Sync + 'static,
    timeout: Duration,
) -> Client {
    let connector = FailingConnector {
        make: Arc::new(make),
    };
    let http = http_client_fn(move |_, _| SharedHttpConnector::new(connector.clone()));
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .with_test_defaults_v2()
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build())
        .build();
    Client::from_conf(config)
}

/// A client for a real endpoint over loopback, with dummy credentials and the SDK's defaults
/// otherwise (the shipper disables retries on its own copy).
pub fn loopback_client(endpoint: &str) -> Client {
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDTEST", "secret", None, None, "tests",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// The wall clock in milliseconds since the epoch, as the shipper reads it.
pub fn now_ms() -> sdk_adapter::UnixMillis {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    sdk_adapter::UnixMillis(since_epoch.as_millis() as i64)
}
