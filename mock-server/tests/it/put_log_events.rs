//! PutLogEvents validation and partial rejection through the real SDK (the boundaries themselves
//! are covered on the pure decision in `decide_put_log_events.rs`).

use crate::support::{create_stream, event, messages, start, Harness, NOW};
use aws_sdk_cloudwatchlogs::operation::put_log_events::{PutLogEventsError, PutLogEventsOutput};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use mock_server::TokenMode;

const HOUR: i64 = 3_600_000;

async fn put(
    h: &Harness,
    group: &str,
    stream: &str,
    events: Vec<InputLogEvent>,
) -> Result<PutLogEventsOutput, PutLogEventsError> {
    h.client
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .map_err(|e| e.into_service_error())
}

fn invalid_parameter_message(err: &PutLogEventsError) -> &str {
    let PutLogEventsError::InvalidParameterException(e) = err else {
        panic!("expected InvalidParameterException, got {err:?}");
    };
    e.message().unwrap_or_default()
}

#[tokio::test]
async fn batch_rules_reject_the_whole_batch_with_aws_messages() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;

    let err = put(&h, "g", "s", vec![]).await.unwrap_err();
    assert!(invalid_parameter_message(&err).contains("Value '[]' at 'logEvents'"));

    let err = put(&h, "g", "s", vec![event(NOW, "ok"), event(NOW, "")])
        .await
        .unwrap_err();
    assert!(invalid_parameter_message(&err).contains("'logEvents.2.member.message'"));

    let many: Vec<_> = (0..10_001).map(|_| event(NOW, "x")).collect();
    let err = put(&h, "g", "s", many).await.unwrap_err();
    assert!(invalid_parameter_message(&err)
        .ends_with("Member must have length less than or equal to 10000"));

    let big = "x".repeat(1_048_576 - 26 + 1);
    let err = put(&h, "g", "s", vec![event(NOW, &big)]).await.unwrap_err();
    assert_eq!(
        invalid_parameter_message(&err),
        "Log event too large: 1048577 bytes exceeds limit of 1048576"
    );

    let half = "x".repeat(600_000);
    let err = put(&h, "g", "s", vec![event(NOW, &half), event(NOW, &half)])
        .await
        .unwrap_err();
    assert_eq!(
        invalid_parameter_message(&err),
        "Upload too large: 1200052 bytes exceeds limit of 1048576"
    );

    let err = put(&h, "g", "s", vec![event(NOW, "b"), event(NOW - 1, "a")])
        .await
        .unwrap_err();
    assert_eq!(
        invalid_parameter_message(&err),
        "Log events in a single PutLogEvents request must be in chronological order."
    );

    let err = put(
        &h,
        "g",
        "s",
        vec![event(NOW - 25 * HOUR, "a"), event(NOW, "b")],
    )
    .await
    .unwrap_err();
    assert_eq!(
        invalid_parameter_message(&err),
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
    );

    assert!(
        messages(&h.client, "g", "s").await.is_empty(),
        "nothing of a refused batch is stored"
    );
}

#[tokio::test]
async fn missing_group_and_stream_are_resource_not_found() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;
    let err = put(&h, "nope", "s", vec![event(NOW, "a")])
        .await
        .unwrap_err();
    let PutLogEventsError::ResourceNotFoundException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.message(), Some("The specified log group does not exist."));
    let err = put(&h, "g", "nope", vec![event(NOW, "a")])
        .await
        .unwrap_err();
    let PutLogEventsError::ResourceNotFoundException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        e.message(),
        Some("The specified log stream does not exist.")
    );
}

#[tokio::test]
async fn too_old_too_new_and_expired_events_are_dropped_and_reported() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;
    h.client
        .put_retention_policy()
        .log_group_name("g")
        .retention_in_days(1)
        .send()
        .await
        .unwrap();
    let out = put(
        &h,
        "g",
        "s",
        vec![
            event(NOW - 15 * 24 * HOUR, "too old"),
            event(NOW - 2 * 24 * HOUR, "expired"),
            event(NOW - HOUR, "kept 1"),
            event(NOW, "kept 2"),
            event(NOW + 3 * HOUR, "too new"),
        ],
    )
    .await
    .unwrap();
    let info = out.rejected_log_events_info().expect("rejections reported");
    assert_eq!(info.too_old_log_event_end_index(), Some(1));
    assert_eq!(info.expired_log_event_end_index(), Some(2));
    assert_eq!(info.too_new_log_event_start_index(), Some(4));
    assert_eq!(messages(&h.client, "g", "s").await, ["kept 1", "kept 2"]);
}
