//! Strict (legacy, pre-2023) sequence tokens through the real SDK: parsed errors and their
//! `expected_sequence_token()`.

use crate::support::{create_stream, event, messages, start, NOW};
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError;
use mock_server::TokenMode;

async fn put(
    h: &crate::support::Harness,
    token: Option<&str>,
    msgs: &[&str],
) -> Result<String, PutLogEventsError> {
    let mut req = h
        .client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .set_sequence_token(token.map(str::to_owned));
    for m in msgs {
        req = req.log_events(event(NOW, m));
    }
    req.send()
        .await
        .map(|o| o.next_sequence_token().expect("token returned").to_owned())
        .map_err(|e| e.into_service_error())
}

#[tokio::test]
async fn first_put_needs_no_token_and_later_puts_need_the_returned_one() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let t1 = put(&h, None, &["a"]).await.unwrap();
    assert_eq!(t1.len(), 56);
    assert!(t1.bytes().all(|b| b.is_ascii_digit()));
    let t2 = put(&h, Some(&t1), &["b"]).await.unwrap();
    assert!(t2 > t1, "tokens grow");
    let t3 = put(&h, Some(&t2), &["c"]).await.unwrap();
    assert!(t3 > t2);
    assert_eq!(messages(&h.client, "g", "s").await, ["a", "b", "c"]);

    // DescribeLogStreams shows the token the next put needs.
    let out = h
        .client
        .describe_log_streams()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.log_streams()[0].upload_sequence_token(),
        Some(t3.as_str())
    );
}

#[tokio::test]
async fn a_missing_token_on_a_used_stream_is_invalid_with_the_expected_one() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let t1 = put(&h, None, &["a"]).await.unwrap();
    let err = put(&h, None, &["b"]).await.unwrap_err();
    let PutLogEventsError::InvalidSequenceTokenException(e) = &err else {
        panic!("expected InvalidSequenceToken, got {err:?}");
    };
    assert_eq!(e.expected_sequence_token(), Some(t1.as_str()));
    assert_eq!(
        e.message(),
        Some(
            format!("The given sequenceToken is invalid. The next expected sequenceToken is: {t1}")
                .as_str()
        )
    );
    // Retrying with the expected token works.
    put(&h, e.expected_sequence_token(), &["b"]).await.unwrap();
    assert_eq!(messages(&h.client, "g", "s").await, ["a", "b"]);
}

#[tokio::test]
async fn a_token_on_an_empty_stream_is_invalid_and_says_null() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let bogus = "49000000000000000000000000000000000000000000000000000001";
    let err = put(&h, Some(bogus), &["a"]).await.unwrap_err();
    assert!(err.is_invalid_sequence_token_exception());
    let PutLogEventsError::InvalidSequenceTokenException(e) = &err else {
        unreachable!()
    };
    assert_eq!(e.expected_sequence_token(), None);
    assert!(e.message().unwrap().ends_with("is: null"));
}

#[tokio::test]
async fn a_wrong_token_is_invalid() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let t1 = put(&h, None, &["a"]).await.unwrap();
    let t2 = put(&h, Some(&t1), &["b"]).await.unwrap();
    let err = put(&h, Some("garbage"), &["c"]).await.unwrap_err();
    let PutLogEventsError::InvalidSequenceTokenException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.expected_sequence_token(), Some(t2.as_str()));
}

#[tokio::test]
async fn replaying_the_last_batch_with_its_token_is_data_already_accepted() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let t1 = put(&h, None, &["a"]).await.unwrap();
    let t2 = put(&h, Some(&t1), &["b", "c"]).await.unwrap();

    let err = put(&h, Some(&t1), &["b", "c"]).await.unwrap_err();
    let PutLogEventsError::DataAlreadyAcceptedException(e) = &err else {
        panic!("expected DataAlreadyAccepted, got {err:?}");
    };
    assert_eq!(e.expected_sequence_token(), Some(t2.as_str()));
    assert_eq!(
        e.message(),
        Some(format!("The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: {t2}").as_str())
    );
    // Retrying the same replay keeps failing the same way, and nothing is stored twice.
    assert!(put(&h, Some(&t1), &["b", "c"])
        .await
        .unwrap_err()
        .is_data_already_accepted_exception());
    assert_eq!(messages(&h.client, "g", "s").await, ["a", "b", "c"]);
}

#[tokio::test]
async fn replaying_the_first_batch_without_a_token_is_data_already_accepted() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let t1 = put(&h, None, &["a"]).await.unwrap();
    let err = put(&h, None, &["a"]).await.unwrap_err();
    let PutLogEventsError::DataAlreadyAcceptedException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.expected_sequence_token(), Some(t1.as_str()));
}

#[tokio::test]
async fn the_old_token_with_different_events_is_invalid() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let t1 = put(&h, None, &["a"]).await.unwrap();
    let t2 = put(&h, Some(&t1), &["b"]).await.unwrap();
    let err = put(&h, Some(&t1), &["different"]).await.unwrap_err();
    let PutLogEventsError::InvalidSequenceTokenException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.expected_sequence_token(), Some(t2.as_str()));
}

#[tokio::test]
async fn a_batch_with_every_event_rejected_returns_no_token_and_keeps_the_stream_empty() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let out = h
        .client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(NOW - 15 * 24 * 3_600_000, "old"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.next_sequence_token(), None);
    assert_eq!(
        out.rejected_log_events_info()
            .unwrap()
            .too_old_log_event_end_index(),
        Some(1)
    );
    // The stream still expects no token.
    put(&h, None, &["a"]).await.unwrap();
}

#[tokio::test]
async fn tokens_of_one_stream_are_not_valid_for_another() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    create_stream(&h.client, "g", "other").await;
    let t1 = put(&h, None, &["a"]).await.unwrap();
    let other_first = h
        .client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("other")
        .log_events(event(NOW, "x"))
        .send()
        .await
        .unwrap();
    let err = h
        .client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("other")
        .sequence_token(&t1)
        .log_events(event(NOW, "y"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let PutLogEventsError::InvalidSequenceTokenException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        e.expected_sequence_token(),
        other_first.next_sequence_token()
    );
}

#[tokio::test]
async fn two_racers_with_one_token_exactly_one_wins() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "s").await;
    let t1 = put(&h, None, &["first"]).await.unwrap();
    for round in 0..10 {
        let expected = h
            .client
            .describe_log_streams()
            .log_group_name("g")
            .send()
            .await
            .unwrap()
            .log_streams()[0]
            .upload_sequence_token()
            .unwrap()
            .to_owned();
        let a = format!("a{round}");
        let b = format!("b{round}");
        let (batch_a, batch_b) = ([a.as_str()], [b.as_str()]);
        let (ra, rb) = tokio::join!(
            put(&h, Some(&expected), &batch_a),
            put(&h, Some(&expected), &batch_b)
        );
        let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {ra:?} {rb:?}");
        let loser = if ra.is_ok() { rb } else { ra };
        assert!(loser.unwrap_err().is_invalid_sequence_token_exception());
    }
    let _ = t1;
    assert_eq!(messages(&h.client, "g", "s").await.len(), 11);
}
