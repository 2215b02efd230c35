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

mod paging_property {
    //! Paging through FilterLogEvents, with any limit and time range, returns exactly the events a
    //! plain sort of everything selects, in AWS's order: the early stop at `limit + 1` events per
    //! stream and the binary search for the page token must never drop or repeat one.

    use mock_server::{ApiRequest, Config, State};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const NOW: i64 = 1_700_000_000_000;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn pages_join_to_the_sorted_selection(
            batches in prop::collection::vec((0usize..3, prop::collection::vec(0i64..40, 1..30)), 1..12),
            limit in 1i64..25,
            range in proptest::option::of((0i64..20, 20i64..45)),
        ) {
            let state = State::new(Config::default());
            let call = |op: &str, body: Value| state.decide(&ApiRequest::json(op, body), NOW);
            call("CreateLogGroup", json!({"logGroupName": "g"}));
            for s in ["a", "b", "c"] {
                call("CreateLogStream", json!({"logGroupName": "g", "logStreamName": s}));
            }
            let mut all = Vec::new();
            let mut n = 0;
            for (stream, mut offsets) in batches {
                offsets.sort_unstable();
                let name = ["a", "b", "c"][stream];
                let events: Vec<Value> = offsets.iter().map(|o| {
                    n += 1;
                    all.push((NOW - 1_000 + o, n, name.to_owned(), format!("m{n}")));
                    json!({"timestamp": NOW - 1_000 + o, "message": format!("m{n}")})
                }).collect();
                let put = call("PutLogEvents", json!({"logGroupName": "g", "logStreamName": name, "logEvents": events}));
                prop_assert_eq!(put.status, 200, "{}", put.body);
            }
            // Expected: selected by range, in timestamp then arrival order (one ingestion time).
            all.retain(|(ts, ..)| range.is_none_or(|(s, e)| *ts >= NOW - 1_000 + s && *ts < NOW - 1_000 + e));
            all.sort_by_key(|(ts, n, ..)| (*ts, *n));
            let expected: Vec<String> = all.into_iter().map(|(_, _, _, m)| m).collect();

            let mut got = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..1_000 {
                let mut body = json!({"logGroupName": "g", "limit": limit});
                if let Some((s, e)) = range {
                    body["startTime"] = json!(NOW - 1_000 + s);
                    body["endTime"] = json!(NOW - 1_000 + e);
                }
                if let Some(t) = &token {
                    body["nextToken"] = json!(t);
                }
                let page: Value = serde_json::from_str(&call("FilterLogEvents", body).body).unwrap();
                let events = page["events"].as_array().unwrap();
                prop_assert!(events.len() <= limit as usize);
                got.extend(events.iter().map(|e| e["message"].as_str().unwrap().to_owned()));
                match page["nextToken"].as_str() {
                    Some(t) => token = Some(t.to_owned()),
                    None => break,
                }
            }
            prop_assert_eq!(got, expected);
        }
    }
}
