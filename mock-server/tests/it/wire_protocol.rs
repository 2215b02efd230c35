//! The awsJson1_1 envelope on raw HTTP: headers, error bodies, unknown operations, malformed
//! bodies, the body cap.

use crate::support::{api_call, raw_http, start, start_with};
use mock_server::{Config, TokenMode};

#[tokio::test]
async fn success_has_content_type_and_request_id() {
    let h = start(TokenMode::Current).await;
    let r = api_call(
        h.server.local_addr(),
        "CreateLogGroup",
        r#"{"logGroupName":"g"}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
    assert_eq!(r.header("x-amzn-requestid").map(str::len), Some(36));
    assert_eq!(r.header("x-amzn-errortype"), None);
    assert_eq!(r.body, "{}");
    // The region of the credential scope is used in ARNs.
    let r = api_call(h.server.local_addr(), "DescribeLogGroups", "{}").await;
    assert_eq!(
        r.json()["logGroups"][0]["arn"],
        "arn:aws:logs:ap-south-1:123456789012:log-group:g:*"
    );
    // Absent members are omitted, never null.
    assert!(!r.body.contains("null"));
    assert!(!r.body.contains("nextToken"));
}

#[tokio::test]
async fn errors_have_bare_type_first_and_message_last_with_the_header() {
    let h = start(TokenMode::Current).await;
    let addr = h.server.local_addr();
    api_call(addr, "CreateLogGroup", r#"{"logGroupName":"g"}"#).await;
    let r = api_call(addr, "CreateLogGroup", r#"{"logGroupName":"g"}"#).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("ResourceAlreadyExistsException")
    );
    assert_eq!(
        r.body,
        r#"{"__type":"ResourceAlreadyExistsException","message":"The specified log group already exists"}"#
    );
    assert_eq!(r.header("content-length"), Some("94"));
}

#[tokio::test]
async fn strict_token_errors_carry_the_expected_token_between_type_and_message() {
    let h = start(TokenMode::Strict).await;
    let addr = h.server.local_addr();
    api_call(addr, "CreateLogGroup", r#"{"logGroupName":"g"}"#).await;
    api_call(
        addr,
        "CreateLogStream",
        r#"{"logGroupName":"g","logStreamName":"s"}"#,
    )
    .await;
    let put = r#"{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1700000000000,"message":"a"}]}"#;
    let first = api_call(addr, "PutLogEvents", put).await.json();
    let token = first["nextSequenceToken"].as_str().unwrap().to_owned();
    let r = api_call(addr, "PutLogEvents", put).await;
    let expected = format!(
        r#"{{"__type":"DataAlreadyAcceptedException","expectedSequenceToken":"{token}","message":"The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: {token}"}}"#
    );
    assert_eq!(r.body, expected);
}

#[tokio::test]
async fn unknown_or_missing_targets_are_unknown_operation() {
    let h = start(TokenMode::Current).await;
    let addr = h.server.local_addr();
    let r = api_call(addr, "DescribeEverything", "{}").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("UnknownOperationException")
    );
    assert_eq!(r.json()["__type"], "UnknownOperationException");
    let r = raw_http(addr, "POST", "/", &[], b"{}").await.unwrap();
    assert_eq!(r.json()["__type"], "UnknownOperationException");
    let r = raw_http(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "Other_2020.PutLogEvents")],
        b"{}",
    )
    .await
    .unwrap();
    assert_eq!(r.json()["__type"], "UnknownOperationException");
    // The operation's name alone, without the service's `Logs_20140328.` prefix, names nothing.
    for bare in ["PutLogEvents", "DescribeLogGroups"] {
        let r = raw_http(addr, "POST", "/", &[("X-Amz-Target", bare)], b"{}")
            .await
            .unwrap();
        assert_eq!(r.status, 400, "{bare}");
        assert_eq!(r.json()["__type"], "UnknownOperationException", "{bare}");
    }
    let r = raw_http(
        addr,
        "GET",
        "/",
        &[("X-Amz-Target", "Logs_20140328.DescribeLogGroups")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(r.json()["__type"], "UnknownOperationException");
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_serialization_errors() {
    let h = start(TokenMode::Current).await;
    let addr = h.server.local_addr();
    let r = api_call(addr, "CreateLogGroup", "{not json").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "SerializationException");
    let r = api_call(addr, "CreateLogGroup", "[]").await;
    assert_eq!(r.json()["__type"], "SerializationException");
    let r = api_call(addr, "DescribeLogGroups", r#"{"limit":"5"}"#).await;
    assert_eq!(r.json()["__type"], "SerializationException");
    assert_eq!(
        r.json()["message"],
        "STRING_VALUE can not be converted to an Integer"
    );
    // An empty body reads as `{}`.
    let r = api_call(addr, "DescribeLogGroups", "").await;
    assert_eq!(r.status, 200);
    // Missing required members.
    let r = api_call(addr, "CreateLogGroup", "{}").await;
    assert_eq!(
        r.body,
        r#"{"__type":"InvalidParameterException","message":"1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"}"#
    );
}

#[tokio::test]
async fn an_empty_next_token_is_the_captured_validation_error() {
    let h = start(TokenMode::Current).await;
    let r = api_call(
        h.server.local_addr(),
        "DescribeLogGroups",
        r#"{"nextToken":""}"#,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"__type":"InvalidParameterException","message":"1 validation error detected: Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1"}"#
    );
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused_without_buffering() {
    let mut config = Config::default();
    config.limits.max_body_bytes = 2 * 1024 * 1024;
    let h = start_with(config).await;
    let big = vec![b' '; 2 * 1024 * 1024 + 1];
    let r = api_call(
        h.server.local_addr(),
        "PutLogEvents",
        std::str::from_utf8(&big).unwrap(),
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["__type"], "RequestEntityTooLargeException");
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("RequestEntityTooLargeException")
    );
}
