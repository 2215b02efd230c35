//! The pure decision with the realism knobs: the legacy race window, read visibility delay and the
//! store's byte cap.

use mock_server::{ApiRequest, ApiResponse};
use mock_server::{Config, State, TokenMode};
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000_000;

fn call(state: &State, op: &str, body: Value, now: i64) -> ApiResponse {
    state.decide(&ApiRequest::json(op, body), now)
}

fn state(config: Config) -> State {
    let s = State::new(config);
    call(&s, "CreateLogGroup", json!({"logGroupName": "g"}), NOW);
    call(
        &s,
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
        NOW,
    );
    s
}

fn put(s: &State, token: Option<&str>, message: &str, now: i64) -> ApiResponse {
    let mut body = json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": NOW, "message": message}]});
    if let Some(t) = token {
        body["sequenceToken"] = t.into();
    }
    call(s, "PutLogEvents", body, now)
}

fn token(resp: &ApiResponse) -> String {
    let v: Value = serde_json::from_str(&resp.body).unwrap();
    v["nextSequenceToken"].as_str().expect("token").to_owned()
}

#[test]
fn without_a_window_the_superseded_token_is_refused() {
    let s = state(Config {
        token_mode: TokenMode::Strict,
        ..Config::default()
    });
    let t1 = token(&put(&s, None, "a", NOW));
    let _t2 = token(&put(&s, Some(&t1), "b", NOW));
    assert_eq!(
        put(&s, Some(&t1), "c", NOW).error_type,
        Some("InvalidSequenceTokenException")
    );
}

#[test]
fn within_the_window_a_racer_with_the_superseded_token_gets_in() {
    let s = state(Config {
        token_mode: TokenMode::Strict,
        legacy_race_window_ms: 100,
        ..Config::default()
    });
    let t1 = token(&put(&s, None, "a", NOW));
    let t2 = token(&put(&s, Some(&t1), "b", NOW));
    // A second writer that also read t1 races in within 99 ms.
    let r = put(&s, Some(&t1), "c", NOW + 99);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(token(&r) > t2);
    // Outside the window the superseded token is refused again.
    let t3 = token(&r);
    assert_eq!(
        put(&s, Some(&t2), "e", NOW + 400).error_type,
        Some("InvalidSequenceTokenException")
    );
    assert_eq!(put(&s, Some(&t3), "f", NOW + 400).status, 200);
}

#[test]
fn reads_hide_events_younger_than_the_visibility_delay() {
    let s = state(Config {
        visibility_delay_ms: 1_000,
        ..Config::default()
    });
    put(&s, None, "a", NOW);
    let get = |now| {
        let r = call(
            &s,
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true}),
            now,
        );
        serde_json::from_str::<Value>(&r.body).unwrap()["events"]
            .as_array()
            .unwrap()
            .len()
    };
    let filter = |now| {
        let r = call(&s, "FilterLogEvents", json!({"logGroupName": "g"}), now);
        serde_json::from_str::<Value>(&r.body).unwrap()["events"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!((get(NOW + 999), filter(NOW + 999)), (0, 0));
    assert_eq!((get(NOW + 1_000), filter(NOW + 1_000)), (1, 1));
}

#[test]
fn the_store_cap_refuses_puts_that_do_not_fit_and_deletes_make_room() {
    let mut config = Config::default();
    config.limits.max_stored_bytes = Some(10);
    let s = state(config);
    assert_eq!(put(&s, None, "12345", NOW).status, 200);
    assert_eq!(put(&s, None, "12345", NOW).status, 200);
    let r = put(&s, None, "1", NOW);
    assert_eq!(r.error_type, Some("ServiceQuotaExceededException"));
    assert_eq!(s.store.total_stored_bytes(), 10);
    call(
        &s,
        "DeleteLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
        NOW,
    );
    assert_eq!(s.store.total_stored_bytes(), 0);
    call(
        &s,
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
        NOW,
    );
    assert_eq!(put(&s, None, "1", NOW).status, 200);
}
