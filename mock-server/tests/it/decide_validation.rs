//! The pure decision function on the model constraints of the other operations, at their exact
//! boundaries: name lengths and alphabets, `limit` ranges, tag counts, mutually exclusive members.

use mock_server::{ApiRequest, ApiResponse};
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

/// How a request exactly at a limit must be answered: it passes the rule under test, so it either
/// succeeds or fails for a reason that is not a model violation (a 1-character `nextToken` the mock
/// never issued, an ARN of the longest allowed length naming no group).
enum AtLimit {
    Succeeds,
    FailsOtherwise(&'static str, String),
}

/// One model constraint at its edge: `at_limit` sits exactly on the bound, `past_limit` one step
/// beyond it and must be refused with `message`.
struct Edge {
    rule: &'static str,
    op: &'static str,
    at_limit: Value,
    expect_at_limit: AtLimit,
    past_limit: Value,
    message: String,
}

/// The text AWS gives a single model violation.
fn one_violation(shown: &str, member: &str, constraint: &str) -> String {
    format!("1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: {constraint}")
}

fn at_most(max: usize) -> String {
    format!("Member must have length less than or equal to {max}")
}

fn at_least(min: usize) -> String {
    format!("Member must have length greater than or equal to {min}")
}

const NOT_NEGATIVE: &str = "Member must have value greater than or equal to 0";

/// `n` distinct stream names, rendered as AWS renders a list in a violation.
fn stream_names(n: usize) -> (Value, String) {
    let names: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    let shown = format!("'[{}]'", names.join(", "));
    (json!(names), shown)
}

/// `n` group identifiers (AWS does not echo this list in the violation, it shows `[...]`).
fn group_identifiers(n: usize) -> Value {
    json!((0..n).map(|i| format!("g{i}")).collect::<Vec<_>>())
}

/// A log-group ARN of exactly `len` characters.
fn arn_of_length(len: usize) -> String {
    let prefix = "arn:aws:logs:us-east-1:123456789012:log-group:";
    format!("{prefix}{}", "x".repeat(len - prefix.len()))
}

fn edges() -> Vec<Edge> {
    let (names_100, _) = stream_names(100);
    let (names_101, shown_101) = stream_names(101);
    let arn_1012 = arn_of_length(1012);
    let tag_value_257 = "v".repeat(257);
    let mut edges = vec![
        Edge {
            rule: "filterPattern at most 1024",
            op: "FilterLogEvents",
            at_limit: json!({"logGroupName": "g", "filterPattern": "a".repeat(1024)}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupName": "g", "filterPattern": "a".repeat(1025)}),
            message: one_violation(&format!("'{}'", "a".repeat(1025)), "filterPattern", &at_most(1024)),
        },
        Edge {
            rule: "logStreamNames at most 100",
            op: "FilterLogEvents",
            at_limit: json!({"logGroupName": "g", "logStreamNames": names_100}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupName": "g", "logStreamNames": names_101}),
            message: one_violation(&shown_101, "logStreamNames", &at_most(100)),
        },
        Edge {
            rule: "logStreamNames at least 1",
            op: "FilterLogEvents",
            at_limit: json!({"logGroupName": "g", "logStreamNames": ["s"]}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupName": "g", "logStreamNames": []}),
            message: one_violation("'[]'", "logStreamNames", &at_least(1)),
        },
        Edge {
            rule: "logGroupIdentifiers at most 50",
            op: "DescribeLogGroups",
            at_limit: json!({"logGroupIdentifiers": group_identifiers(50)}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupIdentifiers": group_identifiers(51)}),
            message: one_violation("'[...]'", "logGroupIdentifiers", &at_most(50)),
        },
        Edge {
            rule: "logGroupIdentifiers at least 1",
            op: "DescribeLogGroups",
            at_limit: json!({"logGroupIdentifiers": group_identifiers(1)}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupIdentifiers": []}),
            message: one_violation("'[...]'", "logGroupIdentifiers", &at_least(1)),
        },
        Edge {
            rule: "logGroupNamePattern at most 512",
            op: "DescribeLogGroups",
            at_limit: json!({"logGroupNamePattern": "a".repeat(512)}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupNamePattern": "a".repeat(513)}),
            message: one_violation(&format!("'{}'", "a".repeat(513)), "logGroupNamePattern", &at_most(512)),
        },
        Edge {
            rule: "kmsKeyId at most 256",
            op: "CreateLogGroup",
            at_limit: json!({"logGroupName": "kms-at-limit", "kmsKeyId": "k".repeat(256)}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupName": "kms-past-limit", "kmsKeyId": "k".repeat(257)}),
            message: one_violation(&format!("'{}'", "k".repeat(257)), "kmsKeyId", &at_most(256)),
        },
        Edge {
            rule: "resourceArn at most 1011",
            op: "ListTagsForResource",
            at_limit: json!({"resourceArn": arn_of_length(1011)}),
            // The length rule lets it through; no group has a 965-character name.
            expect_at_limit: AtLimit::FailsOtherwise(
                "ResourceNotFoundException",
                "The specified log group does not exist.".to_owned(),
            ),
            past_limit: json!({"resourceArn": arn_1012}),
            message: one_violation(&format!("'{arn_1012}'"), "resourceArn", &at_most(1011)),
        },
        Edge {
            rule: "a tag value of at most 256",
            op: "CreateLogGroup",
            at_limit: json!({"logGroupName": "tag-at-limit", "tags": {"k": "v".repeat(256)}}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupName": "tag-past-limit", "tags": {"k": tag_value_257}}),
            message: one_violation(
                &format!("'{{k={tag_value_257}}}'"),
                "tags",
                "Map values must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$]",
            ),
        },
        Edge {
            rule: "an event timestamp of at least 0",
            op: "PutLogEvents",
            // Timestamp 0 passes the model and is then dropped as too old, with a 200.
            at_limit: json!({"logGroupName": "g", "logStreamName": "s",
                             "logEvents": [{"timestamp": 0, "message": "epoch"}]}),
            expect_at_limit: AtLimit::Succeeds,
            past_limit: json!({"logGroupName": "g", "logStreamName": "s",
                               "logEvents": [{"timestamp": -1, "message": "before"}]}),
            message: one_violation("'-1'", "logEvents.1.member.timestamp", NOT_NEGATIVE),
        },
    ];
    let stream = json!({"logGroupName": "g", "logStreamName": "s"});
    let group = json!({"logGroupName": "g"});
    for (op, base) in [("GetLogEvents", &stream), ("FilterLogEvents", &group)] {
        for member in ["startTime", "endTime"] {
            let with = |t: i64| {
                let mut b = base.clone();
                b[member] = t.into();
                b
            };
            edges.push(Edge {
                rule: "a time bound of at least 0",
                op,
                at_limit: with(0),
                expect_at_limit: AtLimit::Succeeds,
                past_limit: with(-1),
                message: one_violation("'-1'", member, NOT_NEGATIVE),
            });
        }
    }
    for (op, base) in [
        ("GetLogEvents", &stream),
        ("FilterLogEvents", &group),
        ("DescribeLogGroups", &json!({})),
        ("DescribeLogStreams", &group),
    ] {
        let with = |t: &str| {
            let mut b = base.clone();
            b["nextToken"] = t.into();
            b
        };
        edges.push(Edge {
            rule: "a nextToken of at least 1 character",
            op,
            // One character passes the model; the mock never issued it.
            at_limit: with("x"),
            expect_at_limit: AtLimit::FailsOtherwise(
                "InvalidParameterException",
                "The specified nextToken is invalid.".to_owned(),
            ),
            past_limit: with(""),
            message: one_violation("''", "nextToken", &at_least(1)),
        });
    }
    edges
}

#[test]
fn each_rule_passes_at_its_limit_and_refuses_one_past_it() {
    let s = seeded();
    for edge in edges() {
        let r = call(&s, edge.op, edge.at_limit.clone());
        match &edge.expect_at_limit {
            AtLimit::Succeeds => {
                assert_eq!(r.status, 200, "{} ({}): {}", edge.rule, edge.op, r.body);
            }
            AtLimit::FailsOtherwise(error_type, text) => {
                assert_eq!(
                    r.error_type,
                    Some(*error_type),
                    "{} ({})",
                    edge.rule,
                    edge.op
                );
                assert_eq!(&message(&r), text, "{} ({})", edge.rule, edge.op);
            }
        }
        let r = call(&s, edge.op, edge.past_limit.clone());
        assert_eq!(r.status, 400, "{} ({}): {}", edge.rule, edge.op, r.body);
        assert_eq!(
            r.error_type,
            Some("InvalidParameterException"),
            "{} ({})",
            edge.rule,
            edge.op
        );
        assert_eq!(message(&r), edge.message, "{} ({})", edge.rule, edge.op);
    }
}
