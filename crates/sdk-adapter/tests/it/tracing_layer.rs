//! The tracing layer ships the application's events and never the shipper's own activity, even
//! with every level enabled (the SDK and hyper log plenty while sending).

use crate::support::ok_put;
use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use sdk_adapter::{AutoCreate, Shipper, ShipperLayer, TokenMode, WriterConfig};
use std::time::Duration;
use tokio::time::Instant;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test(start_paused = true)]
async fn application_events_are_shipped_and_the_shippers_own_are_not() {
    // Only the expected line is answered with success; anything else would get the mock's dummy
    // 418 and never count as delivered.
    let expected = format!("INFO {}: hello from the app user=7", module_path!());
    let rule = mock!(Client::put_log_events)
        .match_requests(move |r| {
            r.log_events().len() == 1 && r.log_events()[0].message() == expected
        })
        .then_http_response(ok_put);
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
    let shipper = Shipper::builder(client, "g")
        .stream("app")
        .writer_config(WriterConfig {
            token_mode: TokenMode::Sequential,
            auto_create: AutoCreate {
                log_group: false,
                log_stream: false,
            },
            ..WriterConfig::new("g", "app")
        })
        .build()
        .expect("shipper");
    let subscriber =
        tracing_subscriber::registry().with(ShipperLayer::new(shipper.clone()).to_stream("app"));
    let _guard = tracing::subscriber::set_default(subscriber);

    tracing::info!(user = 7, "hello from the app");
    tracing::info!(target: "aws_smithy_runtime::client", "the SDK's own event");
    tracing::info_span!("sdk_adapter_internal").in_scope(|| tracing::warn!("inside the shipper"));
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(60))
        .await;

    assert_eq!(report.total.accepted, 1, "{report:#?}");
    assert_eq!(report.total.delivered, 1, "{report:#?}");
    assert_eq!(rule.num_calls(), 1);
}
