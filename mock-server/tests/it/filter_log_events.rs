//! FilterLogEvents through the real SDK: stream selection, time range, patterns, order, paging.

use crate::support::{create_stream, event, start, Harness, NOW};
use mock_server::TokenMode;

async fn put(h: &Harness, stream: &str, events: &[(i64, &str)]) {
    let mut req = h
        .client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name(stream);
    for (ts, m) in events {
        req = req.log_events(event(*ts, m));
    }
    req.send().await.unwrap();
}

async fn seed(h: &Harness) {
    create_stream(&h.client, "g", "app-1").await;
    create_stream(&h.client, "g", "app-2").await;
    create_stream(&h.client, "g", "db").await;
    put(
        h,
        "app-1",
        &[(NOW - 30, "ERROR disk full"), (NOW - 10, "INFO started")],
    )
    .await;
    put(
        h,
        "app-2",
        &[
            (NOW - 20, "WARN slow request"),
            (NOW - 10, "ERROR timeout talking to db"),
        ],
    )
    .await;
    put(
        h,
        "db",
        &[
            (NOW - 25, r#"{"level":"error","latency":250}"#),
            (NOW - 5, r#"{"level":"info","latency":5}"#),
        ],
    )
    .await;
}

async fn filter(
    h: &Harness,
    f: impl FnOnce(aws_sdk_cloudwatchlogs::operation::filter_log_events::builders::FilterLogEventsFluentBuilder) -> aws_sdk_cloudwatchlogs::operation::filter_log_events::builders::FilterLogEventsFluentBuilder,
) -> Vec<String> {
    let out = f(h.client.filter_log_events().log_group_name("g"))
        .send()
        .await
        .unwrap();
    out.events()
        .iter()
        .map(|e| e.message().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn events_of_every_stream_come_in_timestamp_order_with_ids() {
    let h = start(TokenMode::Current).await;
    seed(&h).await;
    let out = h
        .client
        .filter_log_events()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    let got: Vec<(i64, String)> = out
        .events()
        .iter()
        .map(|e| {
            (
                e.timestamp().unwrap(),
                e.log_stream_name().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (NOW - 30, "app-1".into()),
            (NOW - 25, "db".into()),
            (NOW - 20, "app-2".into()),
            (NOW - 10, "app-1".into()),
            (NOW - 10, "app-2".into()),
            (NOW - 5, "db".into()),
        ]
    );
    for e in out.events() {
        assert_eq!(e.event_id().unwrap().len(), 56);
        assert_eq!(e.ingestion_time(), Some(NOW));
    }
    assert!(out.next_token().is_none());
}

#[tokio::test]
async fn term_patterns() {
    let h = start(TokenMode::Current).await;
    seed(&h).await;
    assert_eq!(
        filter(&h, |b| b.filter_pattern("ERROR")).await,
        ["ERROR disk full", "ERROR timeout talking to db"]
    );
    assert_eq!(
        filter(&h, |b| b.filter_pattern("ERROR -disk")).await,
        ["ERROR timeout talking to db"]
    );
    assert_eq!(
        filter(&h, |b| b.filter_pattern("\"slow request\"")).await,
        ["WARN slow request"]
    );
    assert_eq!(
        filter(&h, |b| b.filter_pattern("?WARN ?INFO")).await,
        ["WARN slow request", "INFO started"]
    );
    assert_eq!(
        filter(&h, |b| b.filter_pattern("{ $.latency > 100 }")).await,
        [r#"{"level":"error","latency":250}"#]
    );
    assert_eq!(
        filter(&h, |b| b.filter_pattern(r#"{ $.level = "info" }"#)).await,
        [r#"{"level":"info","latency":5}"#]
    );
}

#[tokio::test]
async fn stream_selection_and_time_range() {
    let h = start(TokenMode::Current).await;
    seed(&h).await;
    assert_eq!(filter(&h, |b| b.log_stream_names("db")).await.len(), 2);
    assert_eq!(
        filter(&h, |b| b.log_stream_name_prefix("app-")).await.len(),
        4
    );
    assert_eq!(
        filter(&h, |b| b.start_time(NOW - 25).end_time(NOW - 10)).await,
        [r#"{"level":"error","latency":250}"#, "WARN slow request"]
    );
    let err = h
        .client
        .filter_log_events()
        .log_group_name("g")
        .log_stream_names("db")
        .log_stream_name_prefix("app")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    let err = h
        .client
        .filter_log_events()
        .log_group_name("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    let err = h
        .client
        .filter_log_events()
        .log_group_name("g")
        .filter_pattern("{ $.level = ")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
}

#[tokio::test]
async fn paging_with_next_token_returns_everything_once() {
    let h = start(TokenMode::Current).await;
    seed(&h).await;
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let out = h
            .client
            .filter_log_events()
            .log_group_name("g")
            .limit(4)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        all.extend(
            out.events()
                .iter()
                .map(|e| e.event_id().unwrap().to_owned()),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(all.len(), 6);
    let mut dedup = all.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 6);
}
