//! A background writer shares a stream with the client under test: in strict mode every one of its
//! puts moves the stream's token, so the client sees the real InvalidSequenceTokenException, adopts
//! the expected token and carries on; in current mode nobody notices.

use std::time::Duration;

use crate::support::*;
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError;
use mock_server::{Config, TokenMode};
use mock_server::{ThrottleConfig, ThrottlePreset};
use serde_json::Value;

fn config(mode: TokenMode) -> Config {
    Config {
        token_mode: mode,
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    }
}

async fn writers(addr: std::net::SocketAddr) -> Value {
    let answer = http(addr, "GET", "/_mock/writers", "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["writers"].clone()
}

/// Waits (bounded: 10 s) until the first writer has appended at least `n` events.
async fn wait_appended(addr: std::net::SocketAddr, n: u64) {
    for _ in 0..1000 {
        if writers(addr).await[0]["appended"].as_u64().unwrap_or(0) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the background writer did not append {n} events");
}

/// Waits (bounded: 10 s) until the first writer has stopped; returns its status.
async fn wait_finished(addr: std::net::SocketAddr) -> Value {
    for _ in 0..1000 {
        let w = writers(addr).await[0].clone();
        if w["state"] != "running" {
            return w;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the background writer did not finish");
}

#[tokio::test]
async fn in_strict_mode_the_neighbour_steals_the_token_and_the_client_recovers() {
    let server = start_server(config(TokenMode::Strict)).await;
    let addr = server.local_addr();
    create_stream_at(&server.endpoint(), "g", "shared").await;
    let client = plain_client(&server.endpoint());
    let put = |token: Option<String>, message: String| {
        client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("shared")
            .set_sequence_token(token)
            .log_events(event(now_ms(), &message))
            .send()
    };
    let mut token = put(None, "client 0".into())
        .await
        .expect("first put")
        .next_sequence_token()
        .map(str::to_owned);

    let started = http(
        addr,
        "POST",
        "/_mock/writers",
        r#"{"logGroupName":"g","logStreamName":"shared","ratePerSec":100,"durationMs":300}"#,
    )
    .await;
    assert_eq!(started.status, 201, "{}", started.body);
    assert_eq!(started.json()["state"], "running");
    wait_appended(addr, 1).await;

    // Our token is stale now: a real conflict, with the token to use instead.
    let err = put(token.clone(), "client 1".into())
        .await
        .expect_err("the neighbour advanced the token");
    let expected = match err.into_service_error() {
        PutLogEventsError::InvalidSequenceTokenException(e) => e
            .expected_sequence_token()
            .expect("the expected token")
            .to_owned(),
        other => panic!("expected InvalidSequenceTokenException, got {other:?}"),
    };
    assert_ne!(Some(&expected), token.as_ref());

    // A writer that adopts expectedSequenceToken gets every event in while the neighbour writes
    // (bounded: at most 100 attempts for 5 events).
    token = Some(expected);
    let mut delivered = 1;
    for _ in 0..100 {
        if delivered == 6 {
            break;
        }
        match put(token.clone(), format!("client {delivered}")).await {
            Ok(out) => {
                token = out.next_sequence_token().map(str::to_owned);
                delivered += 1;
            }
            Err(e) => match e.into_service_error() {
                PutLogEventsError::InvalidSequenceTokenException(e) => {
                    token = e.expected_sequence_token().map(str::to_owned)
                }
                other => panic!("{other:?}"),
            },
        }
    }
    assert_eq!(delivered, 6);

    let finished = wait_finished(addr).await;
    assert_eq!(finished["state"], "finished");
    let neighbour = finished["appended"].as_u64().unwrap();
    let stored = stored_messages(addr, "g", "shared").await;
    let ours: Vec<_> = stored.iter().filter(|m| m.starts_with("client")).collect();
    assert_eq!(ours.len(), 6, "each of our events exactly once: {stored:?}");
    assert_eq!(
        stored.len() as u64,
        6 + neighbour,
        "and every one of the neighbour's"
    );

    let s = stats(addr).await;
    let stream = &s["streams"]["g"]["shared"];
    assert!(stream["tokenConflicts"].as_u64().unwrap() >= 1, "{stream}");
    assert_eq!(stream["puts"].as_u64().unwrap(), 6 + neighbour);
}

#[tokio::test]
async fn in_current_mode_the_neighbour_writes_without_conflicts() {
    let server = start_server(config(TokenMode::Current)).await;
    let addr = server.local_addr();
    create_stream_at(&server.endpoint(), "g", "shared").await;
    let started = http(
        addr,
        "POST",
        "/_mock/writers",
        r#"{"logGroupName":"g","logStreamName":"shared","ratePerSec":200,"durationMs":100}"#,
    )
    .await;
    assert_eq!(started.status, 201, "{}", started.body);
    wait_appended(addr, 1).await;
    plain_client(&server.endpoint())
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("shared")
        .sequence_token("any token at all")
        .log_events(event(now_ms(), "mine"))
        .send()
        .await
        .expect("tokens are ignored today");
    let finished = wait_finished(addr).await;
    assert_eq!(finished["state"], "finished");
    let stored = stored_messages(addr, "g", "shared").await;
    assert_eq!(
        stored.len() as u64,
        1 + finished["appended"].as_u64().unwrap()
    );
    assert!(stored[0].starts_with("background writer 1 event 1"));
}

#[tokio::test]
async fn a_writer_stops_with_the_reason_when_its_stream_is_deleted() {
    let server = start_server(config(TokenMode::Strict)).await;
    let addr = server.local_addr();
    create_stream_at(&server.endpoint(), "g", "doomed").await;
    let started = http(
        addr,
        "POST",
        "/_mock/writers",
        r#"{"logGroupName":"g","logStreamName":"doomed","ratePerSec":100,"durationMs":60000}"#,
    )
    .await;
    assert_eq!(started.status, 201, "{}", started.body);
    wait_appended(addr, 1).await;
    plain_client(&server.endpoint())
        .delete_log_stream()
        .log_group_name("g")
        .log_stream_name("doomed")
        .send()
        .await
        .expect("deleted");
    let stopped = wait_finished(addr).await;
    assert_eq!(stopped["state"], "failed");
    assert!(
        stopped["error"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{stopped}"
    );
}
