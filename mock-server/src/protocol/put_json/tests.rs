//! The fast path must read exactly what the general `Value` path reads, or decline.
//!
//! Bodies are generated as raw JSON text (so that duplicates, `null`s, escapes, wrong types and
//! unknown members can appear), then read both ways; and whole decisions are compared between a
//! request that took the fast path and the same request forced onto the general path.

use proptest::prelude::*;
use serde_json::json;

use super::PutLogEventsBody;
use crate::config::{Config, TokenMode};
use crate::protocol::envelope::ApiRequest;
use crate::protocol::members::Members;
use crate::protocol::put_input::PutInput;
use crate::service::State;

const NOW: i64 = 1_700_000_000_000;
const TARGET: &str = "Logs_20140328.PutLogEvents";

/// Whether the general path reads `text` (parsed as an object) exactly as `fast` does.
fn general_agrees(text: &str, fast: &PutLogEventsBody) -> bool {
    let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) else {
        return false;
    };
    PutInput::from_members(&Members::new(&map)) == Ok(fast.input())
}

fn request(text: &str) -> ApiRequest {
    ApiRequest::new(Some(TARGET), None, text.as_bytes())
}

#[test]
fn an_sdk_shaped_body_takes_the_fast_path_and_reads_the_same() {
    let text = json!({
        "logGroupName": "/app/web",
        "logStreamName": "s-1",
        "sequenceToken": "4959",
        "logEvents": [
            {"timestamp": NOW, "message": "plain"},
            {"timestamp": NOW + 1, "message": "tab\tquote\" slash\\ é \u{1F600}"},
            {"message": "", "timestamp": 0},
        ],
    })
    .to_string();
    let fast = PutLogEventsBody::parse(text.clone()).expect("fast path takes it");
    assert!(general_agrees(&text, &fast));
    let input = fast.input();
    let events = input.log_events.as_deref().unwrap();
    assert_eq!(events[1].message, Some("tab\tquote\" slash\\ é \u{1F600}"));
    assert_eq!(fast.str_member("logGroupName"), Some("/app/web"));
    assert_eq!(fast.str_member("logEvents"), None);
    assert!(request(&text).took_fast_path());
}

#[test]
fn unusual_shapes_are_left_to_the_general_path() {
    for text in [
        r#"{"logGroupName":"g","other":1}"#,
        r#"{"logGroupName":"g","logGroupName":"h"}"#,
        r#"{"logGroupName":null}"#,
        r#"{"log\u0047roupName":"g"}"#,
        r#"{"logGroupName":"g\/h"}"#,
        r#"{"logGroupName":5}"#,
        r#"{"logEvents":{}}"#,
        r#"{"logEvents":[null]}"#,
        r#"{"logEvents":[{"timestamp":1.0,"message":"m"}]}"#,
        r#"{"logEvents":[{"timestamp":9223372036854775808,"message":"m"}]}"#,
        r#"{"logEvents":[{"timestamp":-0,"message":"m"}]}"#,
        r#"{"logEvents":[{"timestamp":1,"message":"m","x":1}]}"#,
        r#"{"logEvents":[{"timestamp":1,"timestamp":2,"message":"m"}]}"#,
        r#"{"logEvents":[{"timestamp":1,"message":7}]}"#,
        r#"{"logGroupName":"g"} x"#,
        r#"{"logGroupName":"g""#,
        "[]",
        "",
    ] {
        assert!(
            PutLogEventsBody::parse(text.to_owned()).is_none(),
            "fast path took {text}"
        );
        assert!(!request(text).took_fast_path(), "{text}");
    }
}

/// One member of a generated object: its key and its value as JSON text.
type Member = (String, String);

fn json_text(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// A name: most often `usual` (which exists in [`mock`]), else anything, escaped or of a wrong type.
fn name_value(usual: &'static str) -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        4 => Just((json_text(usual), true)),
        3 => "[a-z0-9/._#-]{0,8}".prop_map(|s| (json_text(&s), true)),
        1 => Just(("\"a\\/b\"".to_owned(), false)),
        1 => prop_oneof![
            Just("null"), Just("3"), Just("true"), Just("[]"), Just("{}")
        ]
        .prop_map(|v| (v.to_owned(), false)),
    ]
}

fn message_value() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        6 => "[ -~]{0,12}".prop_map(|s| (json_text(&s), true)),
        3 => any::<String>().prop_map(|s| (json_text(&s), true)),
        1 => "[a-z]{0,4}".prop_map(|s| (format!("\"\\u00e9{s}\\ud83d\\ude00\""), true)),
        1 => prop_oneof![Just("null"), Just("12"), Just("false"), Just("[\"x\"]")]
            .prop_map(|v| (v.to_owned(), false)),
    ]
}

fn timestamp_value() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        8 => (-(20 * 86_400_000i64)..(3 * 3_600_000i64)).prop_map(|d| ((NOW + d).to_string(), true)),
        1 => any::<i64>().prop_map(|t| (t.to_string(), true)),
        1 => Just(("-1".to_owned(), true)),
        1 => prop_oneof![
            Just("1.5"), Just("1e3"), Just("-0"), Just("18446744073709551616"),
            Just("\"1\""), Just("null")
        ]
        .prop_map(|v| (v.to_owned(), false)),
    ]
}

/// An event object: its members (in generated order), and whether the fast path must take it.
fn event() -> impl Strategy<Value = (String, bool)> {
    let members = (
        proptest::option::weighted(0.95, timestamp_value()),
        proptest::option::weighted(0.95, message_value()),
        proptest::option::weighted(0.05, Just(("extra".to_owned(), "1".to_owned()))),
        any::<bool>(),
    );
    prop_oneof![
        30 => members.prop_map(|(ts, msg, extra, swap)| {
            let mut fields: Vec<Member> = Vec::new();
            let mut clean = true;
            if let Some((v, ok)) = ts {
                clean &= ok;
                fields.push(("timestamp".into(), v));
            }
            if let Some((v, ok)) = msg {
                clean &= ok;
                fields.push(("message".into(), v));
            }
            if swap {
                fields.reverse();
            }
            if let Some(extra) = extra {
                clean = false;
                fields.push(extra);
            }
            (object(&fields), clean)
        }),
        1 => prop_oneof![Just("null"), Just("1"), Just("\"e\"")].prop_map(|v| (v.to_owned(), false)),
    ]
}

fn object(members: &[Member]) -> String {
    let inner: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_text(k)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A whole body and whether every member has the shape the fast path takes.
fn body() -> impl Strategy<Value = (String, bool)> {
    let events = prop_oneof![
        12 => proptest::collection::vec(event(), 0..6).prop_map(|items| {
            let clean = items.iter().all(|(_, ok)| *ok);
            let texts: Vec<String> = items.into_iter().map(|(t, _)| t).collect();
            (format!("[{}]", texts.join(",")), clean)
        }),
        1 => prop_oneof![Just("null"), Just("{}"), Just("\"x\"")].prop_map(|v| (v.to_owned(), false)),
    ];
    (
        proptest::option::weighted(0.95, name_value("g")),
        proptest::option::weighted(0.95, name_value("s")),
        proptest::option::weighted(0.3, name_value("")),
        proptest::option::weighted(0.95, events),
        proptest::option::weighted(
            0.05,
            Just(("logGroupName".to_owned(), "\"dup\"".to_owned())),
        ),
        proptest::option::weighted(
            0.05,
            Just(("unknownMember".to_owned(), "[1,{}]".to_owned())),
        ),
    )
        .prop_map(|(group, stream, token, events, dup, unknown)| {
            let mut members: Vec<Member> = Vec::new();
            let mut clean = true;
            // A second logGroupName is only a duplicate when the first one is there; alone it
            // is an ordinary member the fast path must take.
            let duplicates_group = group.is_some() && dup.is_some();
            for (key, value) in [
                ("logGroupName", group),
                ("logStreamName", stream),
                ("sequenceToken", token),
                ("logEvents", events),
            ] {
                if let Some((v, ok)) = value {
                    clean &= ok;
                    members.push((key.to_owned(), v));
                }
            }
            if duplicates_group || unknown.is_some() {
                clean = false;
            }
            members.extend([dup, unknown].into_iter().flatten());
            (object(&members), clean)
        })
}

/// A mock with group `g` and stream `s` (and nothing else), in the given token mode.
fn mock(mode: TokenMode) -> State {
    let state = State::new(Config {
        token_mode: mode,
        ..Config::default()
    });
    let create = |op: &str, body: serde_json::Value| {
        let answer = state.decide(&ApiRequest::json(op, body), NOW);
        assert!(!answer.is_error(), "{answer:?}");
    };
    create("CreateLogGroup", json!({"logGroupName": "g"}));
    create(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
    );
    state
}

fn stored(state: &State) -> Vec<crate::service::store::StoredEvent> {
    state
        .store
        .require_stream("g", "s")
        .map(|s| s.lock().events.to_vec())
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fast_and_general_readings_agree((text, clean) in body()) {
        let fast = PutLogEventsBody::parse(text.clone());
        // Shapes the fast path is for must take it, or the fast path is dead code.
        prop_assert_eq!(fast.is_some(), clean, "{}", text);
        if let Some(fast) = fast {
            prop_assert!(general_agrees(&text, &fast), "{}", text);
        }
    }

    #[test]
    fn fast_and_general_decisions_agree((text, _) in body(), strict in any::<bool>()) {
        let mode = if strict { TokenMode::Strict } else { TokenMode::Current };
        let (a, b) = (mock(mode), mock(mode));
        let fast = request(&text);
        let slow = request(&text).without_fast_path();
        prop_assert!(!slow.took_fast_path());
        for name in ["logGroupName", "logStreamName", "sequenceToken", "logEvents", "other"] {
            prop_assert_eq!(fast.str_member(name), slow.str_member(name));
        }
        prop_assert_eq!(fast.put_input(), slow.put_input());
        // Twice: the second put of the same batch exercises replay detection in strict mode.
        for _ in 0..2 {
            prop_assert_eq!(a.decide(&fast, NOW), b.decide(&slow, NOW), "{}", text);
        }
        prop_assert_eq!(stored(&a), stored(&b));
        prop_assert_eq!(&*fast.body, &*slow.body);
    }
}
