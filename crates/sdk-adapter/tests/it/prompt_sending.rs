//! A push wakes the stream's task only when the task has work (see `shipper.rs`): these tests
//! check, on tokio's paused clock, that every kind of work a push can create is still picked up
//! without a flush or shutdown to force it: a full batch at once, a lingering event when its
//! linger ends, and a due batch after the answer to the request in flight.

use crate::support::{now_ms, ok_put};
use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use sdk_adapter::{AutoCreate, Event, Shipper, TokenMode, WriterConfig};
use std::time::Duration;
use tokio::time::Instant;

/// Sequential writer, batches of `batch` events, `linger_ms` of linger, creating nothing (the
/// scripts answer only puts).
fn config(batch: usize, linger_ms: i64) -> WriterConfig {
    let mut config = WriterConfig {
        token_mode: TokenMode::Sequential,
        linger_ms,
        auto_create: AutoCreate {
            log_group: false,
            log_stream: false,
        },
        ..WriterConfig::new("g", "s")
    };
    config.limits.max_batch_events = batch;
    config
}

/// Lets the shipper's tasks run for `ms` of virtual time.
async fn run_for(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// A shipper whose task already sleeps with nothing to do, so that only a push can wake it (on
/// the test's single thread, pushes made before the task first runs would be seen anyway).
async fn idle_shipper(client: Client, config: WriterConfig) -> Shipper {
    let shipper = Shipper::builder(client, "g")
        .stream("s")
        .writer_config(config)
        .build()
        .expect("shipper");
    run_for(1).await;
    shipper
}

#[tokio::test(start_paused = true)]
async fn a_full_batch_is_sent_without_waiting_for_linger() {
    let rule = mock!(Client::put_log_events).then_http_response(ok_put);
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
    let shipper = idle_shipper(client, config(10, 3_600_000)).await;

    for i in 0..10 {
        shipper
            .try_send(Event::new(now_ms(), format!("line {i}")))
            .expect("room");
    }
    run_for(1).await;

    assert_eq!(rule.num_calls(), 1);
    assert_eq!(shipper.report().total.delivered, 10);
}

#[tokio::test(start_paused = true)]
async fn a_lingering_event_is_sent_when_its_linger_ends() {
    let rule = mock!(Client::put_log_events).then_http_response(ok_put);
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
    let shipper = idle_shipper(client, config(10, 5_000)).await;

    shipper
        .try_send(Event::new(now_ms(), "first"))
        .expect("room");
    run_for(4_000).await;
    // A second event lingers behind the first: it must not push the deadline back.
    shipper
        .try_send(Event::new(now_ms(), "second"))
        .expect("room");
    assert_eq!(rule.num_calls(), 0, "sent before the linger ended");
    run_for(1_100).await;

    assert_eq!(rule.num_calls(), 1);
    assert_eq!(shipper.report().total.delivered, 2);
}

#[tokio::test(start_paused = true)]
async fn events_pushed_during_a_request_go_out_after_its_answer() {
    let rule = mock!(Client::put_log_events).then_http_response(ok_put);
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
    let shipper = idle_shipper(client, config(10, 3_600_000)).await;

    // Thirty events in one go: the first full batch leaves at once; the other two become due
    // while it is in flight (Sequential: one at a time), which wakes nobody, and must follow
    // its answer, one after the other, still long before their linger.
    for i in 0..30 {
        shipper
            .try_send(Event::new(now_ms(), format!("line {i}")))
            .expect("room");
    }
    run_for(1).await;

    assert_eq!(rule.num_calls(), 3);
    assert_eq!(shipper.report().total.delivered, 30);
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(60))
        .await;
    assert_eq!(report.total.delivered, 30);
    assert!(report.finished_in_time);
}
