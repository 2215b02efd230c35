//! The writer and the mock must agree on what a valid batch is: every limit token-core batches and
//! pre-validates under is probed on the mock's decision logic (`mock_server::State`, default
//! configuration, current token mode) at the limit, where the mock must accept, and one past it,
//! where it must refuse or reject exactly as the service does. A limit changed on one side only
//! fails here, instead of showing up as a writer that wastes requests or a mock that lets through
//! batches AWS would refuse.

use mock_server::{ApiRequest, ApiResponse, Config, State};
use serde_json::{json, Value};
use token_core::limits::EVENT_OVERHEAD_BYTES;
use token_core::Limits;

/// The mock's wall clock for every request here (2023-11-14T22:13:20Z).
const NOW: i64 = 1_700_000_000_000;

/// A mock in its default configuration with one group and stream.
fn mock() -> State {
    let state = State::new(Config::default());
    for (op, body) in [
        ("CreateLogGroup", json!({"logGroupName": "g"})),
        (
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": "s"}),
        ),
    ] {
        let answer = state.decide(&ApiRequest::json(op, body), NOW);
        assert_eq!(answer.status, 200, "{op}: {}", answer.body);
    }
    state
}

/// PutLogEvents of `events` (timestamp, message) to the stream.
fn put(state: &State, events: &[(i64, String)]) -> ApiResponse {
    let events: Vec<Value> = events
        .iter()
        .map(|(t, m)| json!({"timestamp": t, "message": m}))
        .collect();
    state.decide(
        &ApiRequest::json(
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": events}),
        ),
        NOW,
    )
}

fn body(answer: &ApiResponse) -> Value {
    serde_json::from_str(&answer.body).expect("JSON answer")
}

/// Accepted with every event stored: 200 and no `rejectedLogEventsInfo`.
fn assert_all_stored(answer: &ApiResponse, what: &str) {
    assert_eq!(answer.status, 200, "{what}: {}", answer.body);
    assert!(
        body(answer).get("rejectedLogEventsInfo").is_none(),
        "{what}: {}",
        answer.body
    );
}

/// Refused as a whole with InvalidParameterException whose message contains `text`.
fn assert_refused(answer: &ApiResponse, text: &str, what: &str) {
    assert_eq!(answer.status, 400, "{what}: {}", answer.body);
    assert_eq!(
        answer.error_type,
        Some("InvalidParameterException"),
        "{what}: {}",
        answer.body
    );
    assert!(answer.body.contains(text), "{what}: {}", answer.body);
}

/// A message whose event size (UTF-8 bytes plus the per-event overhead) is `size`.
fn message_of_size(size: usize) -> String {
    "x".repeat(size - EVENT_OVERHEAD_BYTES)
}

#[test]
fn the_per_event_overhead_is_the_services_26_bytes() {
    assert_eq!(Limits::event_size(""), 26);
    assert_eq!(EVENT_OVERHEAD_BYTES, 26);
}

#[test]
fn the_largest_event_the_writer_sends_is_the_largest_the_mock_takes() {
    let max = Limits::default().max_event_bytes;
    let state = mock();
    assert_all_stored(
        &put(&state, &[(NOW, message_of_size(max))]),
        "an event of max_event_bytes",
    );
    assert_refused(
        &put(&state, &[(NOW, message_of_size(max + 1))]),
        "Log event too large",
        "an event one byte larger",
    );
}

#[test]
fn the_largest_batch_the_writer_sends_is_the_largest_the_mock_takes() {
    let max = Limits::default().max_batch_bytes;
    // Four events filling the batch exactly, each well under the event limit.
    let quarter = max / 4;
    assert_eq!(quarter * 4, max, "the probe assumes a limit divisible by 4");
    let full: Vec<(i64, String)> = (0..4).map(|_| (NOW, message_of_size(quarter))).collect();
    let state = mock();
    assert_all_stored(&put(&state, &full), "a batch of max_batch_bytes");
    let mut over = full;
    over[3].1.push('x');
    assert_refused(
        &put(&state, &over),
        "Upload too large",
        "a batch one byte larger",
    );
}

#[test]
fn the_most_events_the_writer_batches_is_the_most_the_mock_takes() {
    let max = Limits::default().max_batch_events;
    let state = mock();
    let full: Vec<(i64, String)> = (0..max).map(|_| (NOW, "e".to_owned())).collect();
    assert_all_stored(&put(&state, &full), "a batch of max_batch_events");
    let over: Vec<(i64, String)> = (0..=max).map(|_| (NOW, "e".to_owned())).collect();
    assert_refused(
        &put(&state, &over),
        "logEvents",
        "a batch of one event more",
    );
}

#[test]
fn the_widest_batch_the_writer_sends_is_the_widest_the_mock_takes() {
    let span = Limits::default().max_batch_span_ms;
    let state = mock();
    let first = NOW - span;
    assert_all_stored(
        &put(&state, &[(first, "a".into()), (first + span, "b".into())]),
        "a batch spanning max_batch_span_ms",
    );
    assert_refused(
        &put(
            &state,
            &[(first - 1, "a".into()), (first + span, "b".into())],
        ),
        "cannot span more than 24 hours",
        "a batch one millisecond wider",
    );
}

#[test]
fn the_writers_future_window_is_the_mocks() {
    let ahead = Limits::default().max_future_ms;
    let state = mock();
    assert_all_stored(
        &put(&state, &[(NOW + ahead, "edge".into())]),
        "an event max_future_ms ahead",
    );
    let answer = put(&state, &[(NOW + ahead + 1, "past the edge".into())]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        body(&answer)["rejectedLogEventsInfo"],
        json!({"tooNewLogEventStartIndex": 0}),
        "an event one millisecond further ahead"
    );
}

#[test]
fn the_writers_age_window_is_the_mocks() {
    let age = Limits::default().max_age_ms;
    let state = mock();
    assert_all_stored(
        &put(&state, &[(NOW - age, "edge".into())]),
        "an event max_age_ms old",
    );
    let answer = put(&state, &[(NOW - age - 1, "past the edge".into())]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        body(&answer)["rejectedLogEventsInfo"],
        json!({"tooOldLogEventEndIndex": 1}),
        "an event one millisecond older"
    );
}

#[test]
fn the_mocks_configured_limits_are_the_writers_defaults() {
    let writer = Limits::default();
    let mock = mock_server::Limits::default();
    assert_eq!(mock.max_event_bytes, writer.max_event_bytes);
    assert_eq!(mock.max_batch_bytes, writer.max_batch_bytes);
    assert_eq!(mock.max_batch_events, writer.max_batch_events);
}
