//! GetLogEvents through the real SDK: time window, limit, head or tail, `f/` and `b/` tokens.

use crate::support::{create_stream, event, start, Harness, NOW};
use mock_server::TokenMode;

async fn seed(h: &Harness, n: i64) {
    create_stream(&h.client, "g", "s").await;
    let mut req = h
        .client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s");
    for i in 0..n {
        req = req.log_events(event(NOW - 1000 + i, &format!("m{i}")));
    }
    req.send().await.unwrap();
}

fn msgs(
    out: &aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsOutput,
) -> Vec<String> {
    out.events()
        .iter()
        .map(|e| e.message().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn default_reads_from_the_tail_and_head_reads_from_the_start() {
    let h = start(TokenMode::Current).await;
    seed(&h, 5).await;
    let tail = h
        .client
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(msgs(&tail), ["m3", "m4"]);
    let head = h
        .client
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .limit(2)
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    assert_eq!(msgs(&head), ["m0", "m1"]);
    let e = &head.events()[0];
    assert_eq!(e.timestamp(), Some(NOW - 1000));
    assert_eq!(e.ingestion_time(), Some(NOW));
    for t in [
        head.next_forward_token().unwrap(),
        head.next_backward_token().unwrap(),
    ] {
        assert!(t.starts_with("f/") || t.starts_with("b/"));
        assert!(t.ends_with("/s"));
        assert_eq!(t.len(), 2 + 56 + 2);
        assert!(t[2..58].bytes().all(|b| b.is_ascii_digit()));
    }
}

#[tokio::test]
async fn forward_paging_ends_with_the_token_echoed() {
    let h = start(TokenMode::Current).await;
    seed(&h, 5).await;
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages < 10, "paging must end");
        let out = h
            .client
            .get_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .limit(2)
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        all.extend(msgs(&out));
        let next = out.next_forward_token().unwrap().to_owned();
        if Some(&next) == token.as_ref() {
            assert!(out.events().is_empty());
            break;
        }
        token = Some(next);
    }
    assert_eq!(all, ["m0", "m1", "m2", "m3", "m4"]);
}

#[tokio::test]
async fn backward_paging_walks_to_the_head() {
    let h = start(TokenMode::Current).await;
    seed(&h, 5).await;
    let first = h
        .client
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .limit(2)
        .send()
        .await
        .unwrap();
    let mut pages = vec![msgs(&first)];
    let mut token = first.next_backward_token().unwrap().to_owned();
    for _ in 0..10 {
        let out = h
            .client
            .get_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .limit(2)
            .next_token(&token)
            .send()
            .await
            .unwrap();
        let next = out.next_backward_token().unwrap().to_owned();
        if out.events().is_empty() {
            assert_eq!(next, token, "the token is echoed at the head");
            break;
        }
        pages.push(msgs(&out));
        token = next;
    }
    assert_eq!(pages, [vec!["m3", "m4"], vec!["m1", "m2"], vec!["m0"]]);
}

#[tokio::test]
async fn start_time_is_inclusive_and_end_time_exclusive() {
    let h = start(TokenMode::Current).await;
    seed(&h, 5).await;
    let out = h
        .client
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .start_time(NOW - 999)
        .end_time(NOW - 997)
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    assert_eq!(msgs(&out), ["m1", "m2"]);
}

#[tokio::test]
async fn errors() {
    let h = start(TokenMode::Current).await;
    seed(&h, 1).await;
    let err = h
        .client
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(
        err.meta().message(),
        Some("The specified log stream does not exist.")
    );
    let err = h
        .client
        .get_log_events()
        .log_group_name("missing")
        .log_stream_name("s")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        err.meta().message(),
        Some("The specified log group does not exist.")
    );
    for bad in [0, 10_001] {
        let err = h
            .client
            .get_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .limit(bad)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(err.is_invalid_parameter_exception(), "{bad}");
    }
    let err = h
        .client
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .next_token("f/123/s")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
}
