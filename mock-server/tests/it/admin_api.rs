//! Every admin endpoint over real HTTP, with good and bad input. Bad input gets a 400 (or 404/405)
//! whose `error` member says what is wrong, and never changes anything.

use crate::support::*;
use mock_server::{Config, MockServer, TokenMode};
use mock_server::{ThrottleConfig, ThrottlePreset};
use serde_json::json;

async fn server() -> MockServer {
    let server = start_server(Config {
        token_mode: TokenMode::Strict,
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    })
    .await;
    create_stream_at(&server.endpoint(), "g", "s").await;
    server
}

async fn put_one(server: &MockServer, message: &str) {
    plain_client(&server.endpoint())
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(now_ms(), message))
        .send()
        .await
        .expect("put");
}

fn error_of(answer: &HttpAnswer) -> String {
    answer.json()["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error member: {}", answer.body))
        .to_owned()
}

#[tokio::test]
async fn health_says_ok() {
    let server = server().await;
    let answer = http(server.local_addr(), "GET", "/_mock/health", "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["status"], "ok");
    assert!(answer.content_type.starts_with("application/json"));
}

#[tokio::test]
async fn events_lists_the_stream_in_order_and_refuses_bad_queries() {
    let server = server().await;
    let addr = server.local_addr();
    put_one(&server, "one").await;
    assert_eq!(stored_messages(addr, "g", "s").await, ["one"]);

    let missing = http(addr, "GET", "/_mock/events?logGroupName=g", "").await;
    assert_eq!(missing.status, 400);
    assert!(error_of(&missing).contains("logStreamName"));
    let unknown = http(
        addr,
        "GET",
        "/_mock/events?logGroupName=g&logStreamName=nope",
        "",
    )
    .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn stats_and_metrics_count_requests_streams_and_faults() {
    let server = server().await;
    let addr = server.local_addr();
    put_one(&server, "hello").await;
    // A stale (absent) token on a non-empty stream is a conflict in strict mode.
    let _ = plain_client(&server.endpoint())
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(now_ms(), "conflict"))
        .send()
        .await
        .expect_err("token conflict");

    let s = stats(addr).await;
    let put = &s["operations"]["PutLogEvents"];
    assert_eq!(put["requests"], 2);
    assert_eq!(put["successes"], 1);
    assert_eq!(put["errors"]["InvalidSequenceTokenException"], 1);
    assert_eq!(put["throttled"], 0);
    let stream = &s["streams"]["g"]["s"];
    assert_eq!(stream["eventsStored"], 1);
    assert_eq!(stream["bytesStored"], 5);
    assert_eq!(stream["puts"], 1);
    assert_eq!(stream["tokenConflicts"], 1);
    assert_eq!(stream["dataAlreadyAccepted"], 0);

    let metrics = http(addr, "GET", "/_mock/metrics", "").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.content_type.starts_with("text/plain"));
    assert!(metrics
        .body
        .contains("cwlogs_mock_requests_total{operation=\"PutLogEvents\"} 2"));
    assert!(metrics
        .body
        .contains("cwlogs_mock_stream_token_conflicts_total{log_group=\"g\",log_stream=\"s\"} 1"));
    // Admin calls are not API requests: they are not counted, and never throttled.
    assert!(s["operations"].get("").is_none());
}

#[tokio::test]
async fn unknown_operations_are_counted_under_one_name() {
    let server = server().await;
    let addr = server.local_addr();
    // Starts from empty counters (server() created a stream).
    assert_eq!(http(addr, "POST", "/_mock/reset", "").await.status, 200);
    let targets = [
        "Logs_20140328.Random1",
        "Logs_20140328.Random2",
        "Other.Random3",
        "Logs_20140328.putlogevents",
    ];
    for target in targets {
        let answer = http_with(addr, "POST", "/", &[("X-Amz-Target", target)], "{}").await;
        assert_eq!(answer.status, 400, "{target}");
        assert_eq!(
            answer.header("x-amzn-errortype"),
            Some("UnknownOperationException")
        );
    }
    // No target at all is unknown too.
    let _ = http(addr, "POST", "/", "{}").await;

    let s = stats(addr).await;
    let operations = s["operations"].as_object().expect("an operations map");
    let names: Vec<&str> = operations.keys().map(String::as_str).collect();
    assert_eq!(names, ["UnknownOperation"], "{s}");
    let unknown = &operations["UnknownOperation"];
    assert_eq!(unknown["requests"], 5);
    assert_eq!(unknown["errors"]["UnknownOperationException"], 5);

    let metrics = http(addr, "GET", "/_mock/metrics", "").await.body;
    assert!(metrics.contains("cwlogs_mock_requests_total{operation=\"UnknownOperation\"} 5"));
    assert!(!metrics.contains("Random"), "{metrics}");
}

#[tokio::test]
async fn faults_can_be_read_replaced_and_cleared_and_bad_plans_are_refused() {
    let server = server().await;
    let addr = server.local_addr();
    let empty = http(addr, "GET", "/_mock/faults", "").await;
    assert_eq!(empty.json(), json!({"seed": 0, "rules": []}));

    let plan = json!({"seed": 9, "rules": [{"name": "x", "operation": "PutLogEvents",
        "logGroupName": "g", "logStreamName": "s", "probability": 0.5, "nth": 2, "times": 3,
        "priority": 1, "fault": {"kind": "latency", "minMs": 1, "maxMs": 2}}]});
    let put = http(addr, "PUT", "/_mock/faults", &plan.to_string()).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json(), plan);
    assert_eq!(http(addr, "GET", "/_mock/faults", "").await.json(), plan);

    for (body, needle) in [
        ("{", "invalid fault plan"),
        (r#"{"rules":[{"fault":{"kind":"explode"}}]}"#, "explode"),
        (
            r#"{"rules":[{"probability":2,"fault":{"kind":"throttle"}}]}"#,
            "rules[0].probability",
        ),
        (
            r#"{"rules":[{"nth":0,"fault":{"kind":"throttle"}}]}"#,
            "nth",
        ),
        (
            r#"{"rules":[{"fault":{"kind":"error","type":"X","status":700}}]}"#,
            "status",
        ),
        (r#"{"rules":[{"fault":{"kind":"latency"}}]}"#, "minMs"),
        (r#"{"seeds":1}"#, "seeds"),
    ] {
        let bad = http(addr, "PUT", "/_mock/faults", body).await;
        assert_eq!(bad.status, 400, "{body}");
        let message = error_of(&bad);
        assert!(message.contains(needle), "{body}: {message}");
    }
    // Refused plans changed nothing.
    assert_eq!(http(addr, "GET", "/_mock/faults", "").await.json(), plan);

    let cleared = http(addr, "DELETE", "/_mock/faults", "").await;
    assert_eq!(cleared.status, 200);
    assert_eq!(
        http(addr, "GET", "/_mock/faults", "").await.json(),
        json!({"seed": 0, "rules": []})
    );
}

#[tokio::test]
async fn an_error_fault_with_a_status_outside_400_to_599_is_refused() {
    let server = server().await;
    let addr = server.local_addr();
    for status in [100, 200, 204, 302, 399, 600] {
        let body =
            format!(r#"{{"rules":[{{"fault":{{"kind":"error","type":"X","status":{status}}}}}]}}"#);
        let bad = http(addr, "PUT", "/_mock/faults", &body).await;
        assert_eq!(bad.status, 400, "{body}: {}", bad.body);
        assert_eq!(
            error_of(&bad),
            format!("rules[0].fault.status must be an HTTP error status (400-599), got {status}")
        );
    }
    for status in [400, 429, 500, 599] {
        let body =
            format!(r#"{{"rules":[{{"fault":{{"kind":"error","type":"X","status":{status}}}}}]}}"#);
        let good = http(addr, "PUT", "/_mock/faults", &body).await;
        assert_eq!(good.status, 200, "{body}: {}", good.body);
    }
}

#[tokio::test]
async fn writers_are_started_listed_and_bad_specs_refused() {
    let server = server().await;
    let addr = server.local_addr();
    for (body, needle) in [
        (r#"{"logGroupName":"g"}"#, "logStreamName"),
        (
            r#"{"logGroupName":"g","logStreamName":"s","ratePerSec":-1,"durationMs":10}"#,
            "ratePerSec",
        ),
        (
            r#"{"logGroupName":"g","logStreamName":"s","ratePerSec":1,"durationMs":0}"#,
            "durationMs",
        ),
        (
            r#"{"logGroupName":"g","logStreamName":"nope","ratePerSec":1,"durationMs":10}"#,
            "does not exist",
        ),
        ("not json", "invalid writer"),
    ] {
        let bad = http(addr, "POST", "/_mock/writers", body).await;
        assert_eq!(bad.status, 400, "{body}");
        assert!(error_of(&bad).contains(needle), "{body}: {}", bad.body);
    }
    let ok = http(
        addr,
        "POST",
        "/_mock/writers",
        r#"{"logGroupName":"g","logStreamName":"s","ratePerSec":10,"durationMs":50}"#,
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let started = ok.json();
    assert_eq!(started["id"], 1);
    assert_eq!(started["logStreamName"], "s");
    let list = http(addr, "GET", "/_mock/writers", "").await.json();
    assert_eq!(list["writers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn throttle_rates_can_be_read_and_replaced() {
    let server = server().await;
    let addr = server.local_addr();
    let rates = http(addr, "GET", "/_mock/throttle", "").await;
    assert_eq!(rates.json(), json!({"per_account": {}}));
    let set = http(
        addr,
        "PUT",
        "/_mock/throttle",
        r#"{"per_account":{"DescribeLogGroups":0}}"#,
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let err = plain_client(&server.endpoint())
        .describe_log_groups()
        .send()
        .await
        .expect_err("a zero rate refuses everything");
    assert_eq!(code(&err).as_deref(), Some("ThrottlingException"));
    let bad = http(
        addr,
        "PUT",
        "/_mock/throttle",
        r#"{"per_account":{"X":-1}}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(error_of(&bad).contains(">= 0"));
    let unknown = http(addr, "PUT", "/_mock/throttle", r#"{"rate":1}"#).await;
    assert_eq!(unknown.status, 400);
    assert!(error_of(&unknown).contains("rate"));
}

#[tokio::test]
async fn reset_empties_store_stats_and_fault_plan() {
    let server = server().await;
    let addr = server.local_addr();
    put_one(&server, "before").await;
    set_faults(addr, r#"{"rules":[{"fault":{"kind":"throttle"}}]}"#).await;

    let reset = http(addr, "POST", "/_mock/reset", "").await;
    assert_eq!(reset.status, 200);
    assert_eq!(reset.json()["status"], "reset");

    assert_eq!(
        http(addr, "GET", "/_mock/faults", "").await.json()["rules"],
        json!([])
    );
    assert_eq!(stats(addr).await["operations"], json!({}));
    let groups = plain_client(&server.endpoint())
        .describe_log_groups()
        .send()
        .await
        .expect("no fault, no groups");
    assert!(groups.log_groups().is_empty());
}

#[tokio::test]
async fn unknown_endpoints_and_methods_say_what_exists() {
    let server = server().await;
    let addr = server.local_addr();
    let unknown = http(addr, "GET", "/_mock/nothing", "").await;
    assert_eq!(unknown.status, 404);
    assert!(error_of(&unknown).contains("known:"));
    let wrong = http(addr, "GET", "/_mock/reset", "").await;
    assert_eq!(wrong.status, 405);
    assert!(error_of(&wrong).contains("GET is not allowed"));
}

#[tokio::test]
async fn health_and_events_answer_405_to_other_methods() {
    let server = server().await;
    let addr = server.local_addr();
    for (method, path) in [
        ("POST", "/_mock/health"),
        ("DELETE", "/_mock/health"),
        ("PUT", "/_mock/events"),
        ("POST", "/_mock/events?logGroupName=g&logStreamName=s"),
    ] {
        let wrong = http(addr, method, path, "").await;
        assert_eq!(wrong.status, 405, "{method} {path}: {}", wrong.body);
        let endpoint = path.split('?').next().unwrap_or(path);
        assert_eq!(
            error_of(&wrong),
            format!("{method} is not allowed on {endpoint}")
        );
    }
}

#[tokio::test]
async fn admin_calls_are_never_throttled_or_faulted() {
    let server = start_server(Config {
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Aws,
            ..ThrottleConfig::default()
        },
        ..Config::default()
    })
    .await;
    let addr = server.local_addr();
    set_faults(
        addr,
        r#"{"rules":[{"fault":{"kind":"reset_before_commit"}}]}"#,
    )
    .await;
    for _ in 0..50 {
        assert_eq!(http(addr, "GET", "/_mock/health", "").await.status, 200);
        assert_eq!(http(addr, "GET", "/_mock/stats", "").await.status, 200);
    }
}
