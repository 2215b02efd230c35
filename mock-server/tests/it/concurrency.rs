//! Concurrent writers: many tasks on one stream in strict mode (each retrying with
//! `expectedSequenceToken`) and many streams at once. Afterwards every accepted event is stored
//! exactly once and GetLogEvents returns them in order.

use std::collections::HashMap;

use crate::support::{create_stream, event, start, NOW};
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError;
use aws_sdk_cloudwatchlogs::Client;
use mock_server::TokenMode;

const WRITERS: usize = 8;
const BATCHES: usize = 10;
const EVENTS_PER_BATCH: usize = 3;
/// Upper bound on attempts per batch: with `WRITERS` racers, a batch loses at most a few rounds.
const MAX_ATTEMPTS: usize = 20 * WRITERS * BATCHES;

/// Puts `BATCHES` batches to `stream`, adopting the expected token after every refusal. Returns
/// how many attempts it needed in total.
async fn writer(client: Client, stream: String, id: usize) -> usize {
    let mut token: Option<String> = None;
    let mut attempts = 0;
    for b in 0..BATCHES {
        loop {
            attempts += 1;
            assert!(attempts <= MAX_ATTEMPTS, "writer {id} did not finish");
            let mut req = client
                .put_log_events()
                .log_group_name("g")
                .log_stream_name(&stream)
                .set_sequence_token(token.clone());
            for e in 0..EVENTS_PER_BATCH {
                req = req.log_events(event(NOW - 1_000 + b as i64, &format!("w{id}-b{b}-e{e}")));
            }
            match req.send().await.map_err(|e| e.into_service_error()) {
                Ok(out) => {
                    token = out.next_sequence_token().map(str::to_owned);
                    break;
                }
                Err(PutLogEventsError::InvalidSequenceTokenException(e)) => {
                    token = e.expected_sequence_token().map(str::to_owned);
                }
                Err(PutLogEventsError::DataAlreadyAcceptedException(e)) => {
                    // Our batch is already in; carry on with the next one.
                    token = e.expected_sequence_token().map(str::to_owned);
                    break;
                }
                Err(other) => panic!("writer {id}: unexpected {other:?}"),
            }
        }
    }
    attempts
}

/// Reads a whole stream from the head, page by page, until the forward token is echoed.
async fn read_all(client: &Client, stream: &str) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let page = client
            .get_log_events()
            .log_group_name("g")
            .log_stream_name(stream)
            .start_from_head(true)
            .limit(50)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        out.extend(
            page.events()
                .iter()
                .map(|e| (e.timestamp().unwrap(), e.message().unwrap().to_owned())),
        );
        let next = page.next_forward_token().map(str::to_owned);
        if next == token {
            return out;
        }
        token = next;
    }
    panic!("paging did not end");
}

fn assert_exactly_once_in_order(events: &[(i64, String)], writers: &[usize]) {
    assert_eq!(events.len(), writers.len() * BATCHES * EVENTS_PER_BATCH);
    assert!(
        events.windows(2).all(|w| w[0].0 <= w[1].0),
        "timestamps in order"
    );
    let mut seen: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for (_, m) in events {
        let parts: Vec<usize> = m
            .split('-')
            .map(|p| p[1..].parse().expect("w<i>-b<j>-e<k>"))
            .collect();
        seen.entry(parts[0]).or_default().push((parts[1], parts[2]));
    }
    for w in writers {
        let expected: Vec<(usize, usize)> = (0..BATCHES)
            .flat_map(|b| (0..EVENTS_PER_BATCH).map(move |e| (b, e)))
            .collect();
        assert_eq!(
            seen.get(w),
            Some(&expected),
            "writer {w}: every event once, in its order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_on_one_strict_stream_store_every_event_once_in_order() {
    let h = start(TokenMode::Strict).await;
    create_stream(&h.client, "g", "hot").await;
    let tasks: Vec<_> = (0..WRITERS)
        .map(|id| tokio::spawn(writer(h.client.clone(), "hot".into(), id)))
        .collect();
    let mut attempts = 0;
    for t in tasks {
        attempts += t.await.unwrap();
    }
    // Racing on one token, some attempts must have lost.
    assert!(attempts >= WRITERS * BATCHES);
    let events = read_all(&h.client, "hot").await;
    assert_exactly_once_in_order(&events, &(0..WRITERS).collect::<Vec<_>>());
    // The server's own view agrees with the client's.
    let stream = h.server.state().store.require_stream("g", "hot").unwrap();
    assert_eq!(stream.lock().accepted_puts as usize, WRITERS * BATCHES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_on_many_streams_do_not_interfere() {
    let h = start(TokenMode::Strict).await;
    const STREAMS: usize = 16;
    for s in 0..STREAMS {
        create_stream(&h.client, "g", &format!("s{s}")).await;
    }
    let tasks: Vec<_> = (0..STREAMS)
        .map(|s| tokio::spawn(writer(h.client.clone(), format!("s{s}"), s)))
        .collect();
    for t in tasks {
        let attempts = t.await.unwrap();
        // Alone on its stream, a writer never needs a retry.
        assert_eq!(attempts, BATCHES);
    }
    for s in 0..STREAMS {
        let events = read_all(&h.client, &format!("s{s}")).await;
        assert_exactly_once_in_order(&events, &[s]);
    }
}
