//! CreateLogStream, DeleteLogStream and DescribeLogStreams through the real SDK.

use crate::support::{create_stream, event, start, NOW};
use aws_sdk_cloudwatchlogs::types::OrderBy;
use mock_server::TokenMode;

#[tokio::test]
#[allow(deprecated)] // storedBytes of streams is deprecated; the mock must still send AWS's 0.
async fn a_new_stream_has_only_the_fields_aws_fills() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;
    let out = h
        .client
        .describe_log_streams()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    let s = &out.log_streams()[0];
    assert_eq!(s.log_stream_name(), Some("s"));
    assert_eq!(s.creation_time(), Some(NOW));
    assert_eq!(s.first_event_timestamp(), None);
    assert_eq!(s.last_event_timestamp(), None);
    assert_eq!(s.last_ingestion_time(), None);
    assert_eq!(s.upload_sequence_token(), None);
    assert_eq!(s.stored_bytes(), Some(0));
    assert_eq!(
        s.arn(),
        Some("arn:aws:logs:eu-west-2:123456789012:log-group:g:log-stream:s")
    );
    assert!(out.next_token().is_none());
}

#[tokio::test]
#[allow(deprecated)] // storedBytes of streams is deprecated; the mock must still send AWS's 0.
async fn after_a_put_the_event_fields_are_filled() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;
    h.clock.advance(5);
    h.client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(NOW - 10, "a"))
        .log_events(event(NOW - 3, "b"))
        .send()
        .await
        .unwrap();
    let out = h
        .client
        .describe_log_streams()
        .log_group_identifier("arn:aws:logs:eu-west-2:123456789012:log-group:g")
        .send()
        .await
        .unwrap();
    let s = &out.log_streams()[0];
    assert_eq!(s.first_event_timestamp(), Some(NOW - 10));
    assert_eq!(s.last_event_timestamp(), Some(NOW - 3));
    assert_eq!(s.last_ingestion_time(), Some(NOW + 5));
    assert_eq!(s.upload_sequence_token().map(str::len), Some(56));
    assert_eq!(s.stored_bytes(), Some(0));
}

#[tokio::test]
async fn create_and_delete_errors() {
    let h = start(TokenMode::Current).await;
    let err = h
        .client
        .create_log_stream()
        .log_group_name("missing")
        .log_stream_name("s")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(
        err.meta().message(),
        Some("The specified log group does not exist.")
    );

    create_stream(&h.client, "g", "s").await;
    let err = h
        .client
        .create_log_stream()
        .log_group_name("g")
        .log_stream_name("s")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_already_exists_exception());
    assert_eq!(
        err.meta().message(),
        Some("The specified log stream already exists")
    );

    let err = h
        .client
        .create_log_stream()
        .log_group_name("g")
        .log_stream_name("bad:name")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    assert_eq!(
        err.meta().message(),
        Some("1 validation error detected: Value 'bad:name' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*")
    );

    h.client
        .delete_log_stream()
        .log_group_name("g")
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    let err = h
        .client
        .delete_log_stream()
        .log_group_name("g")
        .log_stream_name("s")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(
        err.meta().message(),
        Some("The specified log stream does not exist.")
    );
}

async fn names(
    h: &crate::support::Harness,
    order: Option<OrderBy>,
    descending: bool,
    prefix: Option<&str>,
    limit: i32,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..20 {
        let page = h
            .client
            .describe_log_streams()
            .log_group_name("g")
            .set_order_by(order.clone())
            .descending(descending)
            .set_log_stream_name_prefix(prefix.map(str::to_owned))
            .limit(limit)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        assert!(page.log_streams().len() <= limit as usize);
        out.extend(
            page.log_streams()
                .iter()
                .map(|s| s.log_stream_name().unwrap().to_owned()),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return out;
        }
    }
    panic!("pagination did not end");
}

#[tokio::test]
async fn ordering_prefix_descending_and_pages() {
    let h = start(TokenMode::Current).await;
    for (name, ts) in [("b", NOW - 1), ("a", NOW - 3), ("c", NOW - 2), ("ab", NOW)] {
        create_stream(&h.client, "g", name).await;
        h.client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name(name)
            .log_events(event(ts, "x"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(names(&h, None, false, None, 1).await, ["a", "ab", "b", "c"]);
    assert_eq!(names(&h, None, true, None, 3).await, ["c", "b", "ab", "a"]);
    assert_eq!(names(&h, None, false, Some("a"), 1).await, ["a", "ab"]);
    assert_eq!(
        names(&h, Some(OrderBy::LastEventTime), false, None, 2).await,
        ["a", "c", "b", "ab"]
    );
    assert_eq!(
        names(&h, Some(OrderBy::LastEventTime), true, None, 1).await,
        ["ab", "b", "c", "a"]
    );
}

#[tokio::test]
async fn prefix_with_last_event_time_is_refused() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;
    let err = h
        .client
        .describe_log_streams()
        .log_group_name("g")
        .order_by(OrderBy::LastEventTime)
        .log_stream_name_prefix("s")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    assert_eq!(
        err.meta().message(),
        Some("Cannot order by LastEventTime with a logStreamNamePrefix.")
    );
}

#[tokio::test]
async fn limits_and_missing_group() {
    let h = start(TokenMode::Current).await;
    create_stream(&h.client, "g", "s").await;
    for bad in [0, 51] {
        let err = h
            .client
            .describe_log_streams()
            .log_group_name("g")
            .limit(bad)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(err.is_invalid_parameter_exception(), "{bad}");
    }
    let err = h
        .client
        .describe_log_streams()
        .log_group_name("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    let err = h
        .client
        .describe_log_streams()
        .log_group_name("g")
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
}
