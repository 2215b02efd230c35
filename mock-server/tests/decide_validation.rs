//! The pure decision function on the model constraints of the other operations, at their exact
//! boundaries: name lengths and alphabets, `limit` ranges, tag counts, mutually exclusive members.

use mock_server::wire::{ApiRequest, ApiResponse};
use mock_server::{Config, State};
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000_000;

fn call(state: &State, op: &str, body: Value) -> ApiResponse {
    state.decide(&ApiRequest::json(op, body), NOW)
}

fn message(resp: &ApiResponse) -> String {
    serde_json::from_str::<Value>(&resp.body).unwrap()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn seeded() -> State {
    let s = State::new(Config::default());
    call(&s, "CreateLogGroup", json!({"logGroupName": "g"}));
    call(
        &s,
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
    );
    s
}

#[test]
fn group_names_of_512_pass_and_513_fail() {
    let s = State::new(Config::default());
    let ok = "a".repeat(512);
    assert_eq!(
        call(&s, "CreateLogGroup", json!({"logGroupName": ok})).status,
        200
    );
    let long = "a".repeat(513);
    let r = call(&s, "CreateLogGroup", json!({"logGroupName": long}));
    assert_eq!(r.error_type, Some("InvalidParameterException"));
    assert_eq!(
        message(&r),
        format!("1 validation error detected: Value '{long}' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512")
    );
    let r = call(&s, "CreateLogGroup", json!({"logGroupName": ""}));
    assert_eq!(
        message(&r),
        "2 validation errors detected: Value '' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+; Value '' at 'logGroupName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    for bad in ["a b", "a:b", "a*b", "é"] {
        let r = call(&s, "CreateLogGroup", json!({"logGroupName": bad}));
        assert_eq!(r.error_type, Some("InvalidParameterException"), "{bad}");
    }
    for good in ["/a/b", "a.b-c_d#e", "A1"] {
        assert_eq!(
            call(&s, "CreateLogGroup", json!({"logGroupName": good})).status,
            200,
            "{good}"
        );
    }
    for reserved in ["aws/x", "AWS/x", "Aws/"] {
        let r = call(&s, "CreateLogGroup", json!({"logGroupName": reserved}));
        assert_eq!(
            message(&r),
            "Log groups starting with AWS/ are reserved for AWS."
        );
    }
}

#[test]
fn stream_names_allow_anything_but_colon_and_star() {
    let s = seeded();
    for good in ["a b", "é/ü", "x".repeat(512).as_str()] {
        let r = call(
            &s,
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": good}),
        );
        assert_eq!(r.status, 200, "{good}: {}", r.body);
    }
    for bad in ["a:b", "a*", "", &"x".repeat(513)] {
        let r = call(
            &s,
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": bad}),
        );
        assert_eq!(r.error_type, Some("InvalidParameterException"), "{bad}");
    }
}

#[test]
fn describe_limits_are_1_to_50() {
    let s = seeded();
    for (op, body) in [
        ("DescribeLogGroups", json!({})),
        ("DescribeLogStreams", json!({"logGroupName": "g"})),
    ] {
        for (limit, ok) in [(0, false), (1, true), (50, true), (51, false)] {
            let mut b = body.clone();
            b["limit"] = limit.into();
            let r = call(&s, op, b);
            assert_eq!(r.status == 200, ok, "{op} limit {limit}: {}", r.body);
        }
    }
    let r = call(&s, "DescribeLogGroups", json!({"limit": 51}));
    assert_eq!(
        message(&r),
        "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"
    );
}

#[test]
fn event_read_limits_are_1_to_10000() {
    let s = seeded();
    for (op, body) in [
        (
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s"}),
        ),
        ("FilterLogEvents", json!({"logGroupName": "g"})),
    ] {
        for (limit, ok) in [(0, false), (1, true), (10_000, true), (10_001, false)] {
            let mut b = body.clone();
            b["limit"] = limit.into();
            assert_eq!(call(&s, op, b).status == 200, ok, "{op} limit {limit}");
        }
    }
}

#[test]
fn order_by_is_an_enum() {
    let s = seeded();
    let r = call(
        &s,
        "DescribeLogStreams",
        json!({"logGroupName": "g", "orderBy": "Name"}),
    );
    assert_eq!(
        message(&r),
        "1 validation error detected: Value 'Name' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
    );
}

#[test]
fn group_name_and_identifier_are_exclusive() {
    let s = seeded();
    for op in ["DescribeLogStreams", "FilterLogEvents"] {
        let r = call(
            &s,
            op,
            json!({"logGroupName": "g", "logGroupIdentifier": "g", "logStreamName": "s"}),
        );
        assert_eq!(r.error_type, Some("InvalidParameterException"), "{op}");
        let r = call(&s, op, json!({"logStreamName": "s"}));
        assert_eq!(r.error_type, Some("InvalidParameterException"), "{op}");
        let r = call(
            &s,
            op,
            json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:123456789012:log-group:g", "logStreamName": "s"}),
        );
        assert_eq!(r.status, 200, "{op}: {}", r.body);
    }
}

#[test]
fn fifty_tags_pass_and_fifty_one_fail() {
    let s = State::new(Config::default());
    let tags = |n: usize| -> Value {
        Value::Object(
            (0..n)
                .map(|i| (format!("k{i}"), Value::from("v")))
                .collect(),
        )
    };
    assert_eq!(
        call(
            &s,
            "CreateLogGroup",
            json!({"logGroupName": "a", "tags": tags(50)})
        )
        .status,
        200
    );
    let r = call(
        &s,
        "CreateLogGroup",
        json!({"logGroupName": "b", "tags": tags(51)}),
    );
    assert_eq!(r.error_type, Some("InvalidParameterException"));
    let r = call(
        &s,
        "TagLogGroup",
        json!({"logGroupName": "a", "tags": {"one": "more"}}),
    );
    assert_eq!(r.error_type, Some("TooManyTagsException"));
    let key = "k".repeat(128);
    assert_eq!(
        call(
            &s,
            "TagLogGroup",
            json!({"logGroupName": "a", "tags": {key.clone(): "v"}})
        )
        .error_type,
        Some("TooManyTagsException")
    );
    let long_key = "k".repeat(129);
    let r = call(
        &s,
        "TagLogGroup",
        json!({"logGroupName": "a", "tags": {long_key: "v"}}),
    );
    assert_eq!(r.error_type, Some("InvalidParameterException"));
    let r = call(
        &s,
        "TagLogGroup",
        json!({"logGroupName": "a", "tags": {"k": "v".repeat(257)}}),
    );
    assert_eq!(r.error_type, Some("InvalidParameterException"));
}

#[test]
fn prefix_and_pattern_are_exclusive() {
    let s = seeded();
    let r = call(
        &s,
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "g", "logGroupNamePattern": "g"}),
    );
    assert_eq!(r.error_type, Some("InvalidParameterException"));
    let r = call(
        &s,
        "FilterLogEvents",
        json!({"logGroupName": "g", "logStreamNames": ["s"], "logStreamNamePrefix": "s"}),
    );
    assert_eq!(r.error_type, Some("InvalidParameterException"));
}
