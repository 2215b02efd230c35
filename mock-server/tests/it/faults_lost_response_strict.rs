//! The case DataAlreadyAccepted exists for, end to end with the real SDK, in strict token mode: a
//! put is stored (and the token advanced) but its answer never arrives; the client resends the same
//! batch with the same token and is told the batch was already accepted; the stream holds it once.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::support::*;
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use mock_server::{Config, MockServer, TokenMode};
use mock_server::{ThrottleConfig, ThrottlePreset};

async fn strict_server() -> MockServer {
    let server = start_server(Config {
        token_mode: TokenMode::Strict,
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    })
    .await;
    create_stream_at(&server.endpoint(), "g", "s").await;
    server
}

async fn put(
    client: &Client,
    token: Option<&str>,
    batch: &[InputLogEvent],
) -> Result<Option<String>, aws_sdk_cloudwatchlogs::error::SdkError<PutLogEventsError>> {
    client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .set_sequence_token(token.map(str::to_owned))
        .set_log_events(Some(batch.to_vec()))
        .send()
        .await
        .map(|out| out.next_sequence_token().map(str::to_owned))
}

fn batch(prefix: &str) -> Vec<InputLogEvent> {
    // Each batch starts after the previous one ends: the stream orders events by timestamp, and a
    // fast server answers well within a batch's 3 ms span, which would interleave two batches.
    static NEXT: AtomicI64 = AtomicI64::new(0);
    let now = now_ms();
    let previous_end = NEXT
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |end| {
            Some(end.max(now) + 3)
        })
        .unwrap_or(now);
    let start = previous_end.max(now);
    (0..3)
        .map(|i| event(start + i, &format!("{prefix}-{i}")))
        .collect()
}

/// Puts the first batch (no token on a new stream) and returns the token for the next one.
async fn first_put(client: &Client) -> String {
    put(client, None, &batch("a"))
        .await
        .expect("first put")
        .expect("a next token")
}

fn expect_already_accepted(
    err: aws_sdk_cloudwatchlogs::error::SdkError<PutLogEventsError>,
) -> String {
    match err.into_service_error() {
        PutLogEventsError::DataAlreadyAcceptedException(e) => e
            .expected_sequence_token()
            .expect("the token to use next")
            .to_owned(),
        other => panic!("expected DataAlreadyAcceptedException, got {other:?}"),
    }
}

#[tokio::test]
async fn lost_response_then_resend_with_the_same_token_is_already_accepted_and_stored_once() {
    let server = strict_server().await;
    let addr = server.local_addr();
    let client = plain_client(&server.endpoint());
    let token = first_put(&client).await;

    // The second put is committed, then the connection closes without an answer.
    set_faults(
        addr,
        r#"{"rules":[{"name":"lose","operation":"PutLogEvents","nth":1,"fault":{"kind":"lost_response"}}]}"#,
    )
    .await;
    let b = batch("b");
    let err = put(&client, Some(&token), &b)
        .await
        .expect_err("the answer is lost");
    assert!(
        err.as_service_error().is_none(),
        "a transport error, not an answer: {err:?}"
    );

    // The client cannot know whether it was stored, so it resends the same batch, same token.
    let next = expect_already_accepted(
        put(&client, Some(&token), &b)
            .await
            .expect_err("already accepted"),
    );

    // Exactly once, and the token from the error lets the writer carry on.
    let stored = stored_messages(addr, "g", "s").await;
    assert_eq!(stored, ["a-0", "a-1", "a-2", "b-0", "b-1", "b-2"]);
    put(&client, Some(&next), &batch("c"))
        .await
        .expect("the expected token from DataAlreadyAccepted is the right one");
    assert_eq!(stored_messages(addr, "g", "s").await.len(), 9);

    let s = stats(addr).await;
    let stream = &s["streams"]["g"]["s"];
    assert_eq!(stream["dataAlreadyAccepted"], 1);
    assert_eq!(stream["faultsFired"]["lose"], 1);
    assert_eq!(stream["eventsStored"], 9);
    assert_eq!(stream["puts"], 3);
}

#[tokio::test]
async fn client_timeout_on_a_slow_answer_then_resend_is_already_accepted_and_stored_once() {
    let server = strict_server().await;
    let addr = server.local_addr();
    let patient = plain_client(&server.endpoint());
    let token = first_put(&patient).await;

    // Stored at once; the answer would come only after 5 s, long after the client gave up.
    set_faults(
        addr,
        r#"{"rules":[{"name":"slow","operation":"PutLogEvents","nth":1,"fault":{"kind":"slow_response","ms":5000}}]}"#,
    )
    .await;
    let impatient = impatient_client(&server.endpoint(), Duration::from_millis(300));
    let b = batch("b");
    let err = put(&impatient, Some(&token), &b)
        .await
        .expect_err("the client times out");
    assert!(err.as_service_error().is_none(), "{err:?}");

    expect_already_accepted(
        put(&patient, Some(&token), &b)
            .await
            .expect_err("already accepted"),
    );
    assert_eq!(
        stored_messages(addr, "g", "s").await,
        ["a-0", "a-1", "a-2", "b-0", "b-1", "b-2"]
    );
}

#[tokio::test]
async fn with_sdk_retries_the_resend_happens_inside_the_sdk_and_surfaces_as_already_accepted() {
    let server = strict_server().await;
    let addr = server.local_addr();
    let client = retrying_client(&server.endpoint());
    let token = first_put(&client).await;
    set_faults(
        addr,
        r#"{"rules":[{"operation":"PutLogEvents","nth":1,"fault":{"kind":"lost_response"}}]}"#,
    )
    .await;
    // The SDK retries the transport error with the identical request; the mock recognises the
    // replay, and DataAlreadyAccepted (not retryable) is what the caller sees: proof of delivery.
    expect_already_accepted(
        put(&client, Some(&token), &batch("b"))
            .await
            .expect_err("already accepted"),
    );
    assert_eq!(stored_messages(addr, "g", "s").await.len(), 6);
}
