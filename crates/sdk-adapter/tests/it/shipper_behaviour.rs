//! The shipper against scripted SDK clients on tokio's paused clock: retries belong to token-core,
//! hung requests become unknown outcomes, streams progress independently, full buffers, shutdown
//! accounting and fatal errors.

use crate::support::{error_body, failing_transport, now_ms, ok_put, scripted, wire};
use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use sdk_adapter::{
    AutoCreate, BufferConfig, DeliveryReport, Error, Event, OverflowPolicy, Shipper, TokenMode,
    WriterConfig,
};
use std::time::Duration;
use tokio::time::Instant;

/// A writer configuration for today's service, creating nothing (these scripts answer only puts).
fn config(token_mode: TokenMode) -> WriterConfig {
    WriterConfig {
        token_mode,
        auto_create: AutoCreate {
            log_group: false,
            log_stream: false,
        },
        ..WriterConfig::new("g", "s")
    }
}

fn assert_accounts_for_everything(report: &DeliveryReport) {
    let t = &report.total;
    assert_eq!(
        t.delivered + t.rejected_total() + t.dropped_total() + t.undelivered,
        t.accepted,
        "{report:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn sdk_retries_are_off_and_token_core_retries() {
    // A client with the SDK's default (standard) retries: the shipper must turn them off, or the
    // SDK would answer the 503 itself and token-core would see a single request.
    let rule = mock!(Client::put_log_events)
        .sequence()
        .http_response(|| wire(503, &error_body("ServiceUnavailableException", "busy")))
        .http_response(ok_put)
        .build();
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::Sequential, &[&rule]);
    let shipper = Shipper::builder(client, "g")
        .stream("s")
        .writer_config(config(TokenMode::Sequential))
        .build()
        .expect("shipper");

    shipper
        .send(Event::new(now_ms(), "one"))
        .await
        .expect("send");
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(600))
        .await;

    assert_eq!(report.total.delivered, 1, "{report:#?}");
    let counters = &shipper.counters()["s"];
    assert_eq!(counters.requests.put_log_events, 2);
    assert_eq!(counters.retries.server_error, 1);
    assert_eq!(report.total.retries, 1);
    assert!(report.finished_in_time);
}

#[tokio::test(start_paused = true)]
async fn a_hung_request_times_out_as_unknown_and_is_accounted_for() {
    let client = failing_transport(|| None, Duration::from_secs(3600));
    let shipper = Shipper::builder(client, "g")
        .stream("s")
        .writer_config(config(TokenMode::Concurrent { max_in_flight: 2 }))
        .request_timeout(Duration::from_secs(5))
        .build()
        .expect("shipper");

    shipper
        .send(Event::new(now_ms(), "one"))
        .await
        .expect("send");
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(60))
        .await;

    let counters = &shipper.counters()["s"];
    assert!(counters.retries.unknown_outcome >= 1, "{counters:#?}");
    assert_eq!(report.total.delivered, 0);
    assert!(!report.finished_in_time);
    assert_accounts_for_everything(&report);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_stream_does_not_hold_up_another() {
    let slow = mock!(Client::put_log_events)
        .match_requests(|r| r.log_stream_name() == Some("slow"))
        .then_http_response(|| wire(400, &error_body("ThrottlingException", "Rate exceeded")));
    let fast = mock!(Client::put_log_events)
        .match_requests(|r| r.log_stream_name() == Some("fast"))
        .then_http_response(ok_put);
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&slow, &fast]);
    let shipper = Shipper::builder(client, "g")
        .stream("slow")
        .stream("fast")
        .writer_config(config(TokenMode::Sequential))
        .build()
        .expect("shipper");

    for i in 0..10 {
        shipper
            .send_to("slow", Event::new(now_ms(), format!("slow {i}")))
            .await
            .expect("send");
        shipper
            .send_to("fast", Event::new(now_ms(), format!("fast {i}")))
            .await
            .expect("send");
    }
    let report = shipper
        .flush(Instant::now() + Duration::from_secs(30))
        .await;

    assert_eq!(report.streams["fast"].delivered, 10, "{report:#?}");
    assert_eq!(report.streams["fast"].undelivered, 0);
    assert_eq!(report.streams["slow"].delivered, 0);
    assert!(shipper.counters()["slow"].retries.throttled >= 1);
    assert!(!report.finished_in_time);
    assert_accounts_for_everything(&report);
}

#[tokio::test(start_paused = true)]
async fn try_send_never_waits_and_hands_the_event_back() {
    let rule = mock!(Client::put_log_events).then_http_response(ok_put);
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
    let shipper = Shipper::builder(client, "g")
        .stream("s")
        .writer_config(WriterConfig {
            // A long linger keeps both events buffered, so the buffer stays full.
            linger_ms: 3_600_000,
            buffer: BufferConfig {
                max_events: 2,
                overflow: OverflowPolicy::Reject,
                ..BufferConfig::default()
            },
            ..config(TokenMode::Sequential)
        })
        .build()
        .expect("shipper");

    shipper.try_send(Event::new(now_ms(), "a")).expect("room");
    shipper.try_send(Event::new(now_ms(), "b")).expect("room");
    match shipper.try_send(Event::new(now_ms(), "c")) {
        Err(Error::Full { stream, event }) => {
            assert_eq!(stream, "s");
            assert_eq!(event.message, "c");
        }
        other => panic!("expected Full, got {other:?}"),
    }
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(60))
        .await;
    assert_eq!(report.total.delivered, 2);
    assert_eq!(shipper.counters()["s"].pushes_refused, 1);
}

#[tokio::test(start_paused = true)]
async fn send_waits_for_room_when_blocking() {
    let rule = mock!(Client::put_log_events).then_http_response(ok_put);
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
    let shipper = Shipper::builder(client, "g")
        .stream("s")
        .writer_config(WriterConfig {
            buffer: BufferConfig {
                max_events: 3,
                overflow: OverflowPolicy::DropNewest,
                ..BufferConfig::default()
            },
            ..config(TokenMode::Sequential)
        })
        .block_when_full(true)
        .build()
        .expect("shipper");

    for i in 0..50 {
        shipper
            .send(Event::new(now_ms(), format!("line {i}")))
            .await
            .expect("send waits instead of failing");
    }
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(600))
        .await;

    assert_eq!(report.total.delivered, 50, "{report:#?}");
    assert_eq!(report.total.dropped_total(), 0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_against_a_failing_service_accounts_for_every_event() {
    let rule = mock!(Client::put_log_events)
        .then_http_response(|| wire(503, &error_body("ServiceUnavailableException", "down")));
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
    let shipper = Shipper::builder(client, "g")
        .stream("s")
        .writer_config(WriterConfig {
            buffer: BufferConfig {
                max_events: 100,
                overflow: OverflowPolicy::DropNewest,
                ..BufferConfig::default()
            },
            ..config(TokenMode::Concurrent { max_in_flight: 2 })
        })
        .build()
        .expect("shipper");

    let mut sent = 0u64;
    // Too old for AWS: rejected locally.
    shipper
        .send(Event::new(
            now_ms().minus_ms(15 * 24 * 3_600_000),
            "ancient",
        ))
        .await
        .expect("send");
    sent += 1;
    for i in 0..300 {
        shipper
            .send(Event::new(now_ms(), format!("line {i}")))
            .await
            .expect("send");
        sent += 1;
    }
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(30))
        .await;

    let t = &report.total;
    assert_eq!(t.accepted, sent);
    assert_eq!(t.delivered, 0);
    assert_eq!(t.rejected.get("too_old"), Some(&1));
    assert!(t.dropped_total() > 0, "{report:#?}");
    assert!(t.undelivered > 0, "{report:#?}");
    assert_eq!(
        t.delivered + t.rejected_total() + t.dropped_total() + t.undelivered,
        sent
    );
    assert!(!report.finished_in_time);

    // Later calls answer at once with the same accounting (virtual time would not move otherwise).
    let asked = Instant::now();
    let again = shipper.flush(asked + Duration::from_secs(3600)).await;
    assert_eq!(again.total, report.total);
    // On the paused clock: no waiting for a deadline nobody can meet.
    assert_eq!(asked.elapsed(), Duration::ZERO);
    let again = shipper
        .shutdown(Instant::now() + Duration::from_secs(3600))
        .await;
    assert_eq!(again.total, report.total);

    // After shutdown nothing more is accepted, and the event comes back.
    match shipper.try_send(Event::new(now_ms(), "late")) {
        Err(e @ Error::Closed { .. }) => assert_eq!(e.into_event().expect("event").message, "late"),
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_fatal_error_stops_the_writer_and_flush_returns() {
    let rule = mock!(Client::put_log_events)
        .then_http_response(|| wire(400, &error_body("AccessDeniedException", "not you")));
    let shipper = Shipper::builder(scripted(&[&rule]), "g")
        .stream("s")
        .writer_config(config(TokenMode::Sequential))
        .build()
        .expect("shipper");

    shipper
        .send(Event::new(now_ms(), "one"))
        .await
        .expect("send");
    let report = shipper
        .flush(Instant::now() + Duration::from_secs(3600))
        .await;
    assert_eq!(
        report.total.fatal.as_deref(),
        Some("AccessDeniedException: not you")
    );
    assert!(!report.total.is_complete());

    // Shutdown drops what the stopped writer still holds, with a reason.
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(10))
        .await;
    assert_eq!(report.total.dropped.get("stopped"), Some(&1), "{report:#?}");
    assert_accounts_for_everything(&report);
}

#[tokio::test(start_paused = true)]
async fn events_for_an_unknown_stream_come_back() {
    let rule = mock!(Client::put_log_events).then_http_response(ok_put);
    let shipper = Shipper::builder(scripted(&[&rule]), "g")
        .stream("s")
        .build()
        .expect("shipper");
    match shipper.try_send_to("other", Event::new(now_ms(), "x")) {
        Err(Error::UnknownStream { stream, event }) => {
            assert_eq!(stream, "other");
            assert_eq!(event.message, "x");
        }
        other => panic!("expected UnknownStream, got {other:?}"),
    }
    assert!(matches!(
        shipper.try_send(Event::new(now_ms(), "")),
        Err(Error::EmptyMessage { .. })
    ));
}

#[tokio::test]
async fn building_needs_streams_and_distinct_names() {
    let rule = mock!(Client::put_log_events).then_http_response(ok_put);
    assert!(matches!(
        Shipper::builder(scripted(&[&rule]), "g").build(),
        Err(Error::NoStreams)
    ));
    assert!(matches!(
        Shipper::builder(scripted(&[&rule]), "g")
            .stream("a")
            .stream("a")
            .build(),
        Err(Error::DuplicateStream(name)) if name == "a"
    ));
    assert!(matches!(
        Shipper::builder(scripted(&[&rule]), "").stream("a").build(),
        Err(Error::Core(_))
    ));
}

#[test]
fn building_outside_a_runtime_is_an_error() {
    let rule = mock!(Client::put_log_events).then_http_response(ok_put);
    let client = scripted(&[&rule]);
    assert!(matches!(
        Shipper::builder(client, "g").stream("s").build(),
        Err(Error::NoRuntime)
    ));
}

#[tokio::test(start_paused = true)]
async fn dropping_every_handle_still_delivers_within_the_grace() {
    let rule = mock!(Client::put_log_events)
        .sequence()
        .http_response(|| wire(503, &error_body("ServiceUnavailableException", "busy")))
        .http_response(ok_put)
        .build();
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::Sequential, &[&rule]);
    let shipper = Shipper::builder(client, "g")
        .stream("s")
        .writer_config(config(TokenMode::Sequential))
        .build()
        .expect("shipper");
    shipper
        .send(Event::new(now_ms(), "last words"))
        .await
        .expect("send");
    let observer = shipper.clone();
    drop(shipper);
    // One clone left: nothing happens yet beyond the usual linger. Drop it too, then let virtual
    // time run past the grace.
    let counters_before = observer.counters()["s"];
    assert_eq!(counters_before.events_delivered, 0);
    let report_handle = observer.report();
    assert_eq!(report_handle.total.accepted, 1);
    drop(observer);
    tokio::time::sleep(sdk_adapter::DROP_GRACE * 2).await;
    // The rule was consumed twice: the 503 and the resend that succeeded.
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn send_does_not_wait_on_a_stopped_writer() {
    let rule = mock!(Client::put_log_events)
        .then_http_response(|| wire(400, &error_body("AccessDeniedException", "not you")));
    let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, &[&rule]);
    let shipper = Shipper::builder(client, "g")
        .stream("s")
        .writer_config(WriterConfig {
            buffer: BufferConfig {
                max_events: 2,
                ..BufferConfig::default()
            },
            ..config(TokenMode::Sequential)
        })
        .block_when_full(true)
        .build()
        .expect("shipper");

    // The first batch meets the fatal error; the next events fill the buffer of a stopped writer.
    let mut full = None;
    for i in 0..10 {
        if let Err(e) = shipper
            .send(Event::new(now_ms(), format!("line {i}")))
            .await
        {
            full = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert!(matches!(full, Some(Error::Full { .. })), "{full:?}");
    assert!(shipper.report().total.fatal.is_some());
}
