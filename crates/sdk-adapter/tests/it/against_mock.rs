//! The shipper against a real cwlogs-mock over loopback: exactly once and in order in Sequential
//! mode on the strict mock (plain, throttled, and under a fault plan), nothing lost in Concurrent
//! mode on the current mock with duplicates matching the report, Concurrent mode on the strict
//! mock stopped by a fatal error that says to use Sequential (no event lost), and shutdown
//! accounting while the mock fails.
//!
//! Read-back uses the mock's oracle (`GET /_mock/events`), which is not throttled and returns
//! every stored event in storage order; one test reads back with GetLogEvents as a client would.

use crate::support::{loopback_client, now_ms};
use mock_server::{Config, MockServer};
use mock_server::{Fault, FaultRule, FaultsConfig};
use mock_server::{ThrottleConfig, ThrottlePreset};
use sdk_adapter::{DeliveryReport, Event, Shipper, ShipperBuilder, TokenMode, WriterConfig};
use std::collections::BTreeMap;
use std::time::Duration;
use token_core::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const GROUP: &str = "adapter-tests";
const STREAM: &str = "one";

fn message(i: usize) -> String {
    format!("event {i:07}")
}

/// Where a message came from: its index, or `None` for a line the test did not send.
fn index_of(message: &str) -> Option<usize> {
    message.strip_prefix("event ")?.parse().ok()
}

async fn start(config: Config) -> MockServer {
    MockServer::start(config).await.expect("mock starts")
}

/// A shipper on `mock` with small batches, so that a run has a few hundred requests.
fn shipper_on(mock: &MockServer, token_mode: TokenMode) -> ShipperBuilder {
    shipper_with_batches(mock, token_mode, 500)
}

fn shipper_with_batches(mock: &MockServer, token_mode: TokenMode, batch: usize) -> ShipperBuilder {
    Shipper::builder(loopback_client(&mock.endpoint()), GROUP)
        .stream(STREAM)
        .writer_config(WriterConfig {
            token_mode,
            limits: Limits {
                max_batch_events: batch,
                ..Limits::default()
            },
            linger_ms: 50,
            seed: 7,
            ..WriterConfig::new(GROUP, STREAM)
        })
        .request_timeout(Duration::from_secs(10))
        .block_when_full(true)
}

/// Sends `n` events, then shuts down with a generous deadline (the mock is local; a stuck run
/// fails on the counts, not on a timer).
async fn ship(shipper: &Shipper, n: usize) -> DeliveryReport {
    let ts = now_ms();
    for i in 0..n {
        shipper
            .send(Event::new(ts, message(i)))
            .await
            .expect("send");
    }
    shipper
        .shutdown(Instant::now() + Duration::from_secs(120))
        .await
}

/// A GET on the mock's admin API; the raw HTTP answer.
async fn admin_get(mock: &MockServer, path: &str) -> String {
    let addr = mock.local_addr();
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    socket
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut raw = Vec::new();
    socket.read_to_end(&mut raw).await.expect("read answer");
    String::from_utf8(raw).expect("utf-8 answer")
}

/// Every stored message of the stream, in storage order, from the mock's oracle.
async fn stored(mock: &MockServer) -> Vec<String> {
    let text = admin_get(
        mock,
        &format!("/_mock/events?logGroupName={GROUP}&logStreamName={STREAM}"),
    )
    .await;
    let (head, body) = text.split_once("\r\n\r\n").expect("http answer");
    assert!(head.starts_with("HTTP/1.1 200"), "oracle answered {head}");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let json: serde_json::Value = serde_json::from_str(&body).expect("oracle json");
    json["events"]
        .as_array()
        .expect("events array")
        .iter()
        .map(|e| e["message"].as_str().expect("message").to_owned())
        .collect()
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&tail[..size]);
        rest = &tail[size + 2..];
    }
    out
}

fn assert_exactly_once_in_order(stored: &[String], n: usize) {
    assert_eq!(stored.len(), n, "stored count");
    for (i, m) in stored.iter().enumerate() {
        assert_eq!(index_of(m), Some(i), "position {i} holds {m:?}");
    }
}

/// How many times each index is stored.
fn copies(stored: &[String]) -> BTreeMap<usize, u64> {
    let mut by = BTreeMap::new();
    for m in stored {
        *by.entry(index_of(m).expect("one of ours")).or_default() += 1;
    }
    by
}

async fn create_group_and_stream(mock: &MockServer) {
    let client = loopback_client(&mock.endpoint());
    client
        .create_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .expect("CreateLogGroup");
    client
        .create_log_stream()
        .log_group_name(GROUP)
        .log_stream_name(STREAM)
        .send()
        .await
        .expect("CreateLogStream");
}

fn strict() -> Config {
    Config {
        token_mode: mock_server::TokenMode::Strict,
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    }
}

fn rule(name: &str, fault: Fault, probability: Option<f64>, nth: Option<u64>) -> FaultRule {
    FaultRule {
        name: Some(name.to_owned()),
        operation: Some("PutLogEvents".to_owned()),
        log_group_name: None,
        log_stream_name: None,
        probability,
        nth,
        times: None,
        priority: None,
        fault,
    }
}

/// Lost responses, resets before commit, 503s and throttles: each once at a fixed call, and then
/// at random (seeded) on about one PutLogEvents in five overall.
fn fault_plan(seed: u64, with_resets: bool) -> FaultsConfig {
    let mut rules = vec![
        rule("lost-3rd", Fault::LostResponse, None, Some(3)),
        rule("503-5th", Fault::ServiceUnavailable, None, Some(5)),
        rule("throttle-7th", Fault::Throttle, None, Some(7)),
        rule("lost", Fault::LostResponse, Some(0.05), None),
        rule("503", Fault::ServiceUnavailable, Some(0.05), None),
        rule("throttle", Fault::Throttle, Some(0.05), None),
    ];
    if with_resets {
        rules.push(rule("reset-4th", Fault::ResetBeforeCommit, None, Some(4)));
        rules.push(rule("reset", Fault::ResetBeforeCommit, Some(0.05), None));
    }
    FaultsConfig {
        preset: None,
        seed,
        rules,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_100k_on_the_strict_mock_exactly_once_in_order() {
    let mock = start(strict()).await;
    let shipper = shipper_on(&mock, TokenMode::Sequential)
        .build()
        .expect("shipper");

    let report = ship(&shipper, 100_000).await;

    assert_eq!(report.total.delivered, 100_000, "{report:#?}");
    assert!(report.total.is_complete());
    assert_exactly_once_in_order(&stored(&mock).await, 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_100k_throttled_exactly_once_in_order() {
    // The legacy per-stream quota (raised from 5/s so that the test stays short).
    let mock = start(Config {
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Legacy,
            put_log_events_per_stream: Some(10.0),
            ..ThrottleConfig::default()
        },
        // Whether the quota bites depends on how fast this machine sends 50 puts (a loaded debug
        // build may not beat 10 per second), so one throttle is also planted on the 3rd put: the
        // test always sees at least one, and usually the quota's too.
        faults: FaultsConfig {
            preset: None,
            seed: 13,
            rules: vec![rule("throttle-3rd", Fault::Throttle, None, Some(3))],
        },
        ..strict()
    })
    .await;
    // 50 puts against 10 per second: on a fast machine the burst allowance runs out and throttles follow.
    let shipper = shipper_with_batches(&mock, TokenMode::Sequential, 2_000)
        .build()
        .expect("shipper");

    let report = ship(&shipper, 100_000).await;

    assert_eq!(report.total.delivered, 100_000, "{report:#?}");
    let counters = &shipper.counters()[STREAM];
    assert!(
        counters.retries.throttled > 0,
        "no throttle seen: {counters:#?}"
    );
    assert_exactly_once_in_order(&stored(&mock).await, 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_100k_under_faults_exactly_once_in_order() {
    let mock = start(Config {
        faults: fault_plan(11, true),
        ..strict()
    })
    .await;
    let shipper = shipper_on(&mock, TokenMode::Sequential)
        .build()
        .expect("shipper");

    let report = ship(&shipper, 100_000).await;

    assert_eq!(report.total.delivered, 100_000, "{report:#?}");
    let c = &shipper.counters()[STREAM];
    assert!(
        c.retries.unknown_outcome >= 2,
        "lost/reset not seen: {c:#?}"
    );
    assert!(c.retries.server_error >= 1, "503 not seen: {c:#?}");
    assert!(c.retries.throttled >= 1, "throttle not seen: {c:#?}");
    // A lost response is proved delivered by DataAlreadyAccepted on the resend.
    assert!(c.data_already_accepted >= 1, "{c:#?}");
    assert_exactly_once_in_order(&stored(&mock).await, 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_on_the_current_mock_loses_nothing_and_reports_every_duplicate() {
    // Lost responses (stored, unanswered), 503s and throttles (surely not stored): every possible
    // duplicate the shipper reports is a real one.
    let mock = start(Config {
        faults: fault_plan(12, false),
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    })
    .await;
    // The group and stream exist before the first put: a lost response on a put the mock refused
    // (the stream not created yet) would be a possible duplicate that cannot have happened.
    create_group_and_stream(&mock).await;
    let shipper = shipper_on(&mock, TokenMode::Concurrent { max_in_flight: 4 })
        .build()
        .expect("shipper");

    let report = ship(&shipper, 100_000).await;

    assert_eq!(report.total.delivered, 100_000, "{report:#?}");
    let stored = stored(&mock).await;
    let copies = copies(&stored);
    assert_eq!(copies.len(), 100_000, "an event is missing");
    // token-core reports each resent event once, however many times its batch was lost, so the
    // comparison is with the events the stream holds more than once.
    let stored_again = copies.values().filter(|&&c| c > 1).count() as u64;
    assert!(stored_again > 0, "the plan loses at least one response");
    assert_eq!(
        report.total.possible_duplicates, stored_again,
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_with_resets_loses_nothing_and_over_reports_duplicates_only() {
    // A reset before commit is indistinguishable from a lost response on the client side, so its
    // batch is a *possible* duplicate that did not happen: reported >= held twice.
    let mock = start(Config {
        faults: fault_plan(13, true),
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    })
    .await;
    let shipper = shipper_on(&mock, TokenMode::Concurrent { max_in_flight: 4 })
        .build()
        .expect("shipper");

    let report = ship(&shipper, 100_000).await;

    assert_eq!(report.total.delivered, 100_000, "{report:#?}");
    let copies = copies(&stored(&mock).await);
    assert_eq!(copies.len(), 100_000, "an event is missing");
    let stored_again = copies.values().filter(|&&c| c > 1).count() as u64;
    assert!(
        report.total.possible_duplicates >= stored_again,
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_while_the_mock_fails_accounts_for_every_event() {
    // Every PutLogEvents from the 4th on fails with 503 or a lost response.
    let failing = |name: &str, fault| FaultRule {
        times: Some(u64::MAX),
        ..rule(name, fault, None, Some(4))
    };
    let mock = start(Config {
        faults: FaultsConfig {
            preset: None,
            seed: 5,
            rules: vec![
                FaultRule {
                    probability: Some(0.5),
                    ..failing("lost", Fault::LostResponse)
                },
                failing("down", Fault::ServiceUnavailable),
            ],
        },
        ..strict()
    })
    .await;
    let shipper = Shipper::builder(loopback_client(&mock.endpoint()), GROUP)
        .stream(STREAM)
        .writer_config(WriterConfig {
            token_mode: TokenMode::Sequential,
            limits: Limits {
                max_batch_events: 100,
                ..Limits::default()
            },
            buffer: sdk_adapter::BufferConfig {
                max_events: 2_000,
                overflow: sdk_adapter::OverflowPolicy::DropOldest,
                ..sdk_adapter::BufferConfig::default()
            },
            linger_ms: 20,
            ..WriterConfig::new(GROUP, STREAM)
        })
        .request_timeout(Duration::from_secs(2))
        .build()
        .expect("shipper");

    let mut sent = 0u64;
    let ts = now_ms();
    // Too old for AWS: rejected locally, before costing a request.
    shipper
        .send(Event::new(
            ts.minus_ms(15 * 24 * 3_600_000),
            "event 9999999",
        ))
        .await
        .expect("send");
    sent += 1;
    for i in 0..5_000 {
        shipper
            .send(Event::new(ts, message(i)))
            .await
            .expect("send");
        sent += 1;
    }
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(2))
        .await;

    let t = &report.total;
    assert_eq!(t.accepted, sent, "{report:#?}");
    assert_eq!(
        t.delivered + t.undelivered + t.rejected_total() + t.dropped_total(),
        sent,
        "{report:#?}"
    );
    assert_eq!(t.rejected.get("too_old"), Some(&1));
    assert!(t.dropped_total() > 0, "{report:#?}");
    assert!(t.undelivered > 0, "{report:#?}");
    assert!(!report.finished_in_time);
    // What the report calls delivered is in the stream, once each.
    let stored = stored(&mock).await;
    let copies = copies(&stored);
    assert!(
        copies.values().all(|&c| c == 1),
        "strict mode stored a duplicate"
    );
    assert!(
        stored.len() as u64 >= t.delivered,
        "reported {} delivered, stream holds {}",
        t.delivered,
        stored.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_on_the_strict_mock_stops_with_a_fatal_that_names_sequential() {
    // Concurrent mode never sends a token, so a token-enforcing service refuses every put after
    // the first: token-core stops the writer with a fatal error and keeps the events.
    let mock = start(strict()).await;
    create_group_and_stream(&mock).await;
    // 1,000 events in batches of 100: ten batches, four in flight, all for one stream.
    let shipper = shipper_with_batches(&mock, TokenMode::Concurrent { max_in_flight: 4 }, 100)
        .build()
        .expect("shipper");
    let sent = 1_000;
    let ts = now_ms();
    for i in 0..sent {
        shipper
            .send(Event::new(ts, message(i)))
            .await
            .expect("a stopped writer still keeps events while it has room");
    }

    // flush returns once the writer has stopped: nothing is dropped yet.
    let flushed = shipper
        .flush(Instant::now() + Duration::from_secs(60))
        .await;
    let t = &flushed.total;
    let fatal = t.fatal.as_deref().expect("a fatal error in the report");
    assert!(
        fatal.starts_with("InvalidSequenceTokenException: "),
        "{fatal}"
    );
    assert!(fatal.contains("Sequential"), "{fatal}");
    assert_eq!(t.delivered + t.undelivered, sent as u64, "{flushed:#?}");
    assert_eq!(t.rejected_total() + t.dropped_total(), 0, "{flushed:#?}");
    assert!(
        t.undelivered > 0,
        "more than one batch was sent: {flushed:#?}"
    );
    assert!(shipper.counters()[STREAM].token_conflicts >= 1);

    // Shutdown gives up the kept events as dropped "stopped": every event is still accounted
    // for, and the stream holds exactly the delivered ones, once each.
    let report = shipper
        .shutdown(Instant::now() + Duration::from_secs(60))
        .await;
    let t = &report.total;
    assert_eq!(t.fatal.as_deref(), Some(fatal));
    assert_eq!(t.undelivered, 0, "{report:#?}");
    assert_eq!(
        t.delivered + t.dropped.get("stopped").copied().unwrap_or(0),
        sent as u64,
        "{report:#?}"
    );
    assert_eq!(t.dropped_total(), t.dropped["stopped"], "{report:#?}");
    let stored = stored(&mock).await;
    assert_eq!(stored.len() as u64, t.delivered, "{report:#?}");
    assert!(copies(&stored).values().all(|&c| c == 1), "stored twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_back_with_get_log_events() {
    let mock = start(strict()).await;
    let shipper = shipper_on(&mock, TokenMode::Sequential)
        .build()
        .expect("shipper");
    let report = ship(&shipper, 2_500).await;
    assert_eq!(report.total.delivered, 2_500);

    // A plain SDK client with its default retries: GetLogEvents is quota-limited on the mock.
    let client = loopback_client(&mock.endpoint());
    let mut messages = Vec::new();
    let mut token: Option<String> = None;
    // Bounded: 2,500 events in pages of 1,000, plus the empty page that ends the walk.
    for _ in 0..10 {
        let page = client
            .get_log_events()
            .log_group_name(GROUP)
            .log_stream_name(STREAM)
            .start_from_head(true)
            .limit(1_000)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("GetLogEvents");
        messages.extend(
            page.events()
                .iter()
                .filter_map(|e| e.message().map(str::to_owned)),
        );
        let next = page.next_forward_token().map(str::to_owned);
        if next == token {
            break;
        }
        token = next;
    }
    assert_exactly_once_in_order(&messages, 2_500);
}
