//! The legacy race window and the ingestion (visibility) delay, through the real SDK.

use std::sync::Arc;

use crate::support::*;
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError;
use aws_sdk_cloudwatchlogs::Client;
use mock_server::{Config, ManualClock, MockServer, TokenMode};
use mock_server::{ThrottleConfig, ThrottlePreset};

fn config() -> Config {
    Config {
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    }
}

async fn put(
    client: &Client,
    token: Option<&str>,
    message: &str,
) -> Result<Option<String>, PutLogEventsError> {
    client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .set_sequence_token(token.map(str::to_owned))
        .log_events(event(now_ms(), message))
        .send()
        .await
        .map(|out| out.next_sequence_token().map(str::to_owned))
        .map_err(|e| e.into_service_error())
}

async fn strict_with_window(window_ms: u64) -> MockServer {
    let server = start_server(Config {
        token_mode: TokenMode::Strict,
        legacy_race_window_ms: window_ms,
        ..config()
    })
    .await;
    create_stream_at(&server.endpoint(), "g", "s").await;
    server
}

#[tokio::test]
async fn within_the_race_window_two_puts_with_the_same_token_both_succeed() {
    // A window far longer than the test, so the outcome cannot depend on the machine's speed.
    let server = strict_with_window(60_000).await;
    let client = plain_client(&server.endpoint());
    let t1 = put(&client, None, "first")
        .await
        .expect("first")
        .expect("token");
    put(&client, Some(&t1), "writer A").await.expect("A wins");
    put(&client, Some(&t1), "writer B")
        .await
        .expect("B raced with the same token and also succeeds, as the legacy service allowed");
    let stored = stored_messages(server.local_addr(), "g", "s").await;
    assert_eq!(stored, ["first", "writer A", "writer B"]);
}

#[tokio::test]
async fn without_a_race_window_the_token_is_a_strict_compare_and_set() {
    let server = strict_with_window(0).await;
    let client = plain_client(&server.endpoint());
    let t1 = put(&client, None, "first")
        .await
        .expect("first")
        .expect("token");
    put(&client, Some(&t1), "writer A").await.expect("A wins");
    match put(&client, Some(&t1), "writer B").await {
        Err(PutLogEventsError::InvalidSequenceTokenException(e)) => {
            assert!(e.expected_sequence_token().is_some())
        }
        other => panic!("expected InvalidSequenceTokenException, got {other:?}"),
    }
    let s = stats(server.local_addr()).await;
    assert_eq!(s["streams"]["g"]["s"]["tokenConflicts"], 1);
}

#[tokio::test]
async fn a_replay_inside_the_race_window_is_still_already_accepted() {
    let server = strict_with_window(60_000).await;
    let client = plain_client(&server.endpoint());
    let t1 = put(&client, None, "first")
        .await
        .expect("first")
        .expect("token");
    let batch = event(now_ms(), "same batch");
    let send = || {
        client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .sequence_token(&t1)
            .log_events(batch.clone())
            .send()
    };
    send().await.expect("stored");
    let err = send().await.expect_err("a resend is not a race");
    assert!(
        err.into_service_error()
            .is_data_already_accepted_exception(),
        "same token and same messages is DataAlreadyAccepted"
    );
    assert_eq!(
        stored_messages(server.local_addr(), "g", "s").await.len(),
        2
    );
}

#[tokio::test]
async fn events_become_visible_to_get_and_filter_only_after_the_delay() {
    const NOW: i64 = 1_700_000_000_000;
    let clock = Arc::new(ManualClock::new(NOW));
    let server = MockServer::builder(Config {
        visibility_delay_ms: 5_000,
        ..config()
    })
    .clock(clock.clone())
    .start()
    .await
    .expect("server starts");
    let addr = server.local_addr();
    create_stream_at(&server.endpoint(), "g", "s").await;
    let client = plain_client(&server.endpoint());
    client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(NOW, "hidden for a while"))
        .send()
        .await
        .expect("accepted at once");

    let visible = |client: Client| async move {
        let got = client
            .get_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .start_from_head(true)
            .send()
            .await
            .expect("get")
            .events()
            .len();
        let filtered = client
            .filter_log_events()
            .log_group_name("g")
            .send()
            .await
            .expect("filter")
            .events()
            .len();
        (got, filtered)
    };
    assert_eq!(visible(client.clone()).await, (0, 0));
    // The assertion endpoint sees what is stored regardless.
    assert_eq!(
        stored_messages(addr, "g", "s").await,
        ["hidden for a while"]
    );

    clock.advance(4_999);
    assert_eq!(visible(client.clone()).await, (0, 0));
    clock.advance(1);
    assert_eq!(visible(client.clone()).await, (1, 1));
}
