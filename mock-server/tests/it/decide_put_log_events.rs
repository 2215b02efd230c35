//! The pure decision function (no sockets) on every PutLogEvents rule, at AWS's exact boundaries.

use mock_server::{ApiRequest, ApiResponse};
use mock_server::{Config, State, TokenMode};
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000_000;
const HOUR: i64 = 60 * 60 * 1000;
const DAY: i64 = 24 * HOUR;

fn call(state: &State, op: &str, body: Value) -> ApiResponse {
    state.decide(&ApiRequest::json(op, body), NOW)
}

fn state_with_stream(mode: TokenMode) -> State {
    let state = State::new(Config {
        token_mode: mode,
        ..Config::default()
    });
    assert_eq!(
        call(&state, "CreateLogGroup", json!({"logGroupName": "g"})).status,
        200
    );
    assert_eq!(
        call(
            &state,
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": "s"})
        )
        .status,
        200
    );
    state
}

fn put(state: &State, events: Value) -> ApiResponse {
    call(
        state,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": events}),
    )
}

fn body(resp: &ApiResponse) -> Value {
    serde_json::from_str(&resp.body).expect("JSON body")
}

fn assert_error(resp: &ApiResponse, error_type: &str, message: &str) {
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert_eq!(resp.error_type, Some(error_type.to_owned()).as_deref());
    assert_eq!(body(resp)["message"], message, "{}", resp.body);
}

fn stored(state: &State) -> usize {
    state
        .store
        .require_stream("g", "s")
        .expect("stream")
        .lock()
        .events
        .len()
}

#[test]
fn empty_batch_is_a_validation_error() {
    let s = state_with_stream(TokenMode::Current);
    assert_error(
        &put(&s, json!([])),
        "InvalidParameterException",
        "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
}

#[test]
fn empty_message_names_its_one_based_index() {
    let s = state_with_stream(TokenMode::Current);
    assert_error(
        &put(&s, json!([{"timestamp": NOW, "message": "a"}, {"timestamp": NOW, "message": ""}])),
        "InvalidParameterException",
        "1 validation error detected: Value '' at 'logEvents.2.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
}

#[test]
fn missing_timestamp_is_null() {
    let s = state_with_stream(TokenMode::Current);
    assert_error(
        &put(&s, json!([{"message": "a"}])),
        "InvalidParameterException",
        "1 validation error detected: Value null at 'logEvents.1.member.timestamp' failed to satisfy constraint: Member must not be null",
    );
}

#[test]
fn ten_thousand_events_pass_and_one_more_fails() {
    let s = state_with_stream(TokenMode::Current);
    let events: Vec<Value> = (0..10_000)
        .map(|_| json!({"timestamp": NOW, "message": "x"}))
        .collect();
    assert_eq!(put(&s, Value::Array(events.clone())).status, 200);
    assert_eq!(stored(&s), 10_000);
    let mut more = events;
    more.push(json!({"timestamp": NOW, "message": "x"}));
    let resp = put(&s, Value::Array(more));
    assert_eq!(resp.error_type, Some("InvalidParameterException"));
    assert!(body(&resp)["message"]
        .as_str()
        .unwrap()
        .ends_with("at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000"));
    assert_eq!(stored(&s), 10_000);
}

/// `n` events whose messages and overhead add up to exactly `total` bytes.
fn batch_of_bytes(n: usize, total: usize) -> Value {
    let per = total / n - 26;
    let mut events: Vec<Value> = (0..n)
        .map(|_| json!({"timestamp": NOW, "message": "m".repeat(per)}))
        .collect();
    let rest = total - n * (per + 26);
    events[0]["message"] = Value::from("m".repeat(per + rest));
    Value::Array(events)
}

#[test]
fn batch_of_exactly_1_048_576_bytes_passes_and_one_more_byte_fails() {
    let s = state_with_stream(TokenMode::Current);
    assert_eq!(put(&s, batch_of_bytes(8, 1_048_576)).status, 200);
    assert_error(
        &put(&s, batch_of_bytes(8, 1_048_577)),
        "InvalidParameterException",
        "Upload too large: 1048577 bytes exceeds limit of 1048576",
    );
}

#[test]
fn event_size_counts_the_26_byte_overhead() {
    let s = state_with_stream(TokenMode::Current);
    // One event of 1,048,576 - 26 message bytes is the largest allowed.
    assert_eq!(put(&s, batch_of_bytes(1, 1_048_576)).status, 200);
    assert_error(
        &put(&s, batch_of_bytes(1, 1_048_577)),
        "InvalidParameterException",
        "Log event too large: 1048577 bytes exceeds limit of 1048576",
    );
}

#[test]
fn legacy_event_limit_is_configurable() {
    let mut config = Config::default();
    config.limits.max_event_bytes = 262_144;
    let s = State::new(config);
    call(&s, "CreateLogGroup", json!({"logGroupName": "g"}));
    call(
        &s,
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
    );
    assert_eq!(put(&s, batch_of_bytes(1, 262_144)).status, 200);
    assert_error(
        &put(&s, batch_of_bytes(1, 262_145)),
        "InvalidParameterException",
        "Log event too large: 262145 bytes exceeds limit of 262144",
    );
}

#[test]
fn events_out_of_order_store_nothing() {
    let s = state_with_stream(TokenMode::Current);
    assert_error(
        &put(
            &s,
            json!([{"timestamp": NOW, "message": "b"}, {"timestamp": NOW - 1, "message": "a"}]),
        ),
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
    );
    assert_eq!(stored(&s), 0);
    // Equal timestamps are in order.
    assert_eq!(
        put(
            &s,
            json!([{"timestamp": NOW, "message": "a"}, {"timestamp": NOW, "message": "b"}])
        )
        .status,
        200
    );
}

#[test]
fn a_span_of_exactly_24_hours_passes_and_one_ms_more_fails() {
    let s = state_with_stream(TokenMode::Current);
    let ok = json!([{"timestamp": NOW - DAY, "message": "a"}, {"timestamp": NOW, "message": "b"}]);
    assert_eq!(put(&s, ok).status, 200);
    let bad =
        json!([{"timestamp": NOW - DAY - 1, "message": "a"}, {"timestamp": NOW, "message": "b"}]);
    assert_error(
        &put(&s, bad),
        "InvalidParameterException",
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
    );
}

#[test]
fn the_span_is_measured_over_valid_events_only() {
    let s = state_with_stream(TokenMode::Current);
    // The first event is too old and dropped; the rest span less than 24 h.
    let resp = put(
        &s,
        json!([{"timestamp": NOW - 15 * DAY, "message": "old"}, {"timestamp": NOW - HOUR, "message": "a"}, {"timestamp": NOW, "message": "b"}]),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        body(&resp)["rejectedLogEventsInfo"],
        json!({"tooOldLogEventEndIndex": 1})
    );
}

#[test]
fn two_hours_ahead_is_accepted_and_one_ms_more_is_too_new() {
    let s = state_with_stream(TokenMode::Current);
    let resp = put(
        &s,
        json!([{"timestamp": NOW, "message": "now"}, {"timestamp": NOW + 2 * HOUR, "message": "edge"}, {"timestamp": NOW + 2 * HOUR + 1, "message": "new"}]),
    );
    assert_eq!(resp.status, 200);
    // The start index is inclusive: the first too-new event.
    assert_eq!(
        body(&resp)["rejectedLogEventsInfo"],
        json!({"tooNewLogEventStartIndex": 2})
    );
    assert_eq!(stored(&s), 2);
}

#[test]
fn fourteen_days_back_is_accepted_and_one_ms_more_is_too_old() {
    let s = state_with_stream(TokenMode::Current);
    let resp = put(
        &s,
        json!([{"timestamp": NOW - 14 * DAY - 1, "message": "old"}, {"timestamp": NOW - 14 * DAY, "message": "edge"}]),
    );
    assert_eq!(resp.status, 200);
    // The end index is exclusive: one too-old event at index 0 gives 1.
    assert_eq!(
        body(&resp)["rejectedLogEventsInfo"],
        json!({"tooOldLogEventEndIndex": 1})
    );
    assert_eq!(stored(&s), 1);
    assert!(body(&resp)["nextSequenceToken"].as_str().unwrap().len() == 56);
}

#[test]
fn events_older_than_retention_are_expired() {
    let s = state_with_stream(TokenMode::Current);
    let r = call(
        &s,
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 1}),
    );
    assert_eq!(r.status, 200);
    let resp = put(
        &s,
        json!([
            {"timestamp": NOW - 15 * DAY, "message": "too old"},
            {"timestamp": NOW - DAY - 1, "message": "expired"},
            {"timestamp": NOW - DAY, "message": "edge"},
            {"timestamp": NOW + 3 * HOUR, "message": "too new"}
        ]),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        body(&resp)["rejectedLogEventsInfo"],
        json!({"tooOldLogEventEndIndex": 1, "expiredLogEventEndIndex": 2, "tooNewLogEventStartIndex": 3})
    );
    assert_eq!(stored(&s), 1);
}

#[test]
fn stored_events_get_the_ingestion_time() {
    let s = state_with_stream(TokenMode::Current);
    put(&s, json!([{"timestamp": NOW - 5, "message": "a"}]));
    let stream = s.store.require_stream("g", "s").unwrap();
    let state = stream.lock();
    assert_eq!(state.events[0].ingestion_time, NOW);
    assert_eq!(state.last_ingestion_time, Some(NOW));
}

#[test]
fn missing_group_and_missing_stream_differ() {
    let s = state_with_stream(TokenMode::Current);
    let e = json!([{"timestamp": NOW, "message": "a"}]);
    assert_error(
        &call(
            &s,
            "PutLogEvents",
            json!({"logGroupName": "nope", "logStreamName": "s", "logEvents": e}),
        ),
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    );
    assert_error(
        &call(
            &s,
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "nope", "logEvents": e}),
        ),
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    );
}

#[test]
fn missing_required_members_are_listed_together() {
    let s = state_with_stream(TokenMode::Current);
    let resp = call(&s, "PutLogEvents", json!({}));
    assert_error(
        &resp,
        "InvalidParameterException",
        "3 validation errors detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null; Value null at 'logStreamName' failed to satisfy constraint: Member must not be null; Value null at 'logEvents' failed to satisfy constraint: Member must not be null",
    );
}

#[test]
fn retention_accepts_only_aws_values() {
    let s = state_with_stream(TokenMode::Current);
    for days in [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ] {
        let r = call(
            &s,
            "PutRetentionPolicy",
            json!({"logGroupName": "g", "retentionInDays": days}),
        );
        assert_eq!(r.status, 200, "{days}");
    }
    for days in [0, 2, 4, 366, 3654, -1] {
        let r = call(
            &s,
            "PutRetentionPolicy",
            json!({"logGroupName": "g", "retentionInDays": days}),
        );
        assert_eq!(r.error_type, Some("InvalidParameterException"), "{days}");
        assert!(body(&r)["message"].as_str().unwrap().contains(&format!(
            "Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30,"
        )));
    }
}

#[test]
fn wrong_member_types_are_serialization_errors() {
    let s = state_with_stream(TokenMode::Current);
    let r = call(
        &s,
        "PutLogEvents",
        json!({"logGroupName": 5, "logStreamName": "s", "logEvents": []}),
    );
    assert_eq!(r.error_type, Some("SerializationException"));
    let r = call(
        &s,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": "x", "message": "a"}]}),
    );
    assert_eq!(r.error_type, Some("SerializationException"));
    let r = call(
        &s,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": {"a": 1}}),
    );
    assert_eq!(r.error_type, Some("SerializationException"));
}
