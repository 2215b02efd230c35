//! Every way the service can answer, through the real SDK deserializers (scripted wire responses)
//! and through modeled errors, mapped to token-core outcomes.
//!
//! Every test here runs on tokio's paused clock (virtual time): the answers are scripted in process
//! by aws-smithy-mocks, no socket is opened, and a paused clock auto-advances whenever the runtime
//! is idle, so no test waits on the wall clock. None of the tests in this file uses a real socket,
//! so none is left on the real clock; the mappings that need real sockets over loopback (a closed
//! port, a connection closed after the request, a hung connection) are in
//! `transport_failures.rs`, whose real-socket tests stay on the real clock because a paused clock
//! would fire their timeouts before the kernel delivers anything.

use crate::support::{error_body, scripted, wire};
use aws_sdk_cloudwatchlogs::error::ErrorMetadata;
use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupError;
use aws_sdk_cloudwatchlogs::operation::create_log_stream::CreateLogStreamError;
use aws_sdk_cloudwatchlogs::operation::put_log_events::{PutLogEventsError, PutLogEventsOutput};
use aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyError;
use aws_sdk_cloudwatchlogs::types::error::{
    DataAlreadyAcceptedException, InvalidParameterException, InvalidSequenceTokenException,
    LimitExceededException, OperationAbortedException, ResourceAlreadyExistsException,
    ResourceNotFoundException, ServiceUnavailableException, UnrecognizedClientException,
};
use aws_sdk_cloudwatchlogs::types::{InputLogEvent, RejectedLogEventsInfo};
use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_mocks::mock;
use sdk_adapter::mapping;
use token_core::{Missing, Outcome, RejectedInfo};

const TOKEN: &str = "49613091897100174663800395107016604379691865278635293858";

async fn put(client: &Client) -> Outcome {
    let event = InputLogEvent::builder()
        .timestamp(1)
        .message("m")
        .build()
        .expect("event");
    mapping::put_log_events(
        &client
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .log_events(event)
            .send()
            .await,
    )
}

/// PutLogEvents answered with this raw HTTP response.
async fn put_wire(status: u16, body: &str) -> Outcome {
    let body = body.to_owned();
    let rule = mock!(Client::put_log_events).then_http_response(move || wire(status, &body));
    put(&scripted(&[&rule])).await
}

/// PutLogEvents answered with this modeled (already deserialized) error.
async fn put_modeled(make: impl Fn() -> PutLogEventsError + Send + Sync + 'static) -> Outcome {
    let rule = mock!(Client::put_log_events).then_error(make);
    put(&scripted(&[&rule])).await
}

async fn create_group_wire(status: u16, body: &str) -> Outcome {
    let body = body.to_owned();
    let rule = mock!(Client::create_log_group).then_http_response(move || wire(status, &body));
    let client = scripted(&[&rule]);
    mapping::create_log_group(&client.create_log_group().log_group_name("g").send().await)
}

async fn create_stream_wire(status: u16, body: &str) -> Outcome {
    let body = body.to_owned();
    let rule = mock!(Client::create_log_stream).then_http_response(move || wire(status, &body));
    let client = scripted(&[&rule]);
    mapping::create_log_stream(
        &client
            .create_log_stream()
            .log_group_name("g")
            .log_stream_name("s")
            .send()
            .await,
    )
}

async fn retention_wire(status: u16, body: &str) -> Outcome {
    let body = body.to_owned();
    let rule = mock!(Client::put_retention_policy).then_http_response(move || wire(status, &body));
    let client = scripted(&[&rule]);
    mapping::put_retention_policy(
        &client
            .put_retention_policy()
            .log_group_name("g")
            .retention_in_days(7)
            .send()
            .await,
    )
}

// ----- PutLogEvents successes -----

#[tokio::test(start_paused = true)]
async fn put_success_carries_the_token_and_rejected_ranges() {
    let body = format!(
        r#"{{"nextSequenceToken":"{TOKEN}","rejectedLogEventsInfo":{{"tooOldLogEventEndIndex":1,"tooNewLogEventStartIndex":3,"expiredLogEventEndIndex":0}}}}"#
    );
    assert_eq!(
        put_wire(200, &body).await,
        Outcome::Accepted {
            next_sequence_token: Some(TOKEN.into()),
            rejected: RejectedInfo {
                too_new_start_index: Some(3),
                too_old_end_index: Some(1),
                expired_end_index: Some(0),
            },
        }
    );
}

#[tokio::test(start_paused = true)]
async fn put_success_with_an_empty_body_is_accepted_without_token() {
    assert_eq!(put_wire(200, "{}").await, Outcome::accepted(None));
    assert_eq!(put_wire(200, "").await, Outcome::accepted(None));
}

#[tokio::test(start_paused = true)]
async fn put_success_with_an_unreadable_body_is_still_accepted() {
    // The status proves the service applied the batch; only the token is lost.
    assert_eq!(put_wire(200, "{not json").await, Outcome::accepted(None));
}

#[tokio::test(start_paused = true)]
async fn modeled_put_success_maps_rejected_info() {
    let rule = mock!(Client::put_log_events).then_output(|| {
        PutLogEventsOutput::builder()
            .rejected_log_events_info(
                RejectedLogEventsInfo::builder()
                    .too_old_log_event_end_index(2)
                    .build(),
            )
            .build()
    });
    assert_eq!(
        put(&scripted(&[&rule])).await,
        Outcome::Accepted {
            next_sequence_token: None,
            rejected: RejectedInfo {
                too_old_end_index: Some(2),
                ..RejectedInfo::NONE
            },
        }
    );
}

// ----- PutLogEvents modeled errors, on the wire -----

#[tokio::test(start_paused = true)]
async fn invalid_sequence_token_adopts_the_expected_token() {
    let body = format!(
        r#"{{"__type":"InvalidSequenceTokenException","expectedSequenceToken":"{TOKEN}","message":"The given sequenceToken is invalid. The next expected sequenceToken is: {TOKEN}"}}"#
    );
    assert_eq!(
        put_wire(400, &body).await,
        Outcome::InvalidSequenceToken {
            expected: Some(TOKEN.into())
        }
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_sequence_token_on_an_empty_stream_expects_none() {
    let body = error_body(
        "InvalidSequenceTokenException",
        "The given sequenceToken is invalid. The next expected sequenceToken is: null",
    );
    assert_eq!(
        put_wire(400, &body).await,
        Outcome::InvalidSequenceToken { expected: None }
    );
}

#[tokio::test(start_paused = true)]
async fn data_already_accepted_carries_the_next_token() {
    let body = format!(
        r#"{{"__type":"DataAlreadyAcceptedException","expectedSequenceToken":"{TOKEN}","message":"The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: {TOKEN}"}}"#
    );
    assert_eq!(
        put_wire(400, &body).await,
        Outcome::DataAlreadyAccepted {
            expected: Some(TOKEN.into())
        }
    );
}

#[tokio::test(start_paused = true)]
async fn data_already_accepted_without_the_field_reads_the_message() {
    let body = error_body(
        "DataAlreadyAcceptedException",
        &format!("The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: {TOKEN}"),
    );
    assert_eq!(
        put_wire(400, &body).await,
        Outcome::DataAlreadyAccepted {
            expected: Some(TOKEN.into())
        }
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_parameter_keeps_aws_message() {
    let message = "Log events in a single PutLogEvents request must be in chronological order.";
    assert_eq!(
        put_wire(400, &error_body("InvalidParameterException", message)).await,
        Outcome::InvalidParameter {
            message: message.into()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn resource_not_found_tells_group_from_stream() {
    let group = error_body(
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    );
    let stream = error_body(
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    );
    let other = error_body("ResourceNotFoundException", "Not here.");
    assert_eq!(
        put_wire(400, &group).await,
        Outcome::ResourceNotFound {
            what: Missing::LogGroup
        }
    );
    assert_eq!(
        put_wire(400, &stream).await,
        Outcome::ResourceNotFound {
            what: Missing::LogStream
        }
    );
    assert_eq!(
        put_wire(400, &other).await,
        Outcome::ResourceNotFound {
            what: Missing::Unknown
        }
    );
}

#[tokio::test(start_paused = true)]
async fn service_unavailable_is_its_own_outcome() {
    let body = error_body(
        "ServiceUnavailableException",
        "The service cannot complete the request.",
    );
    assert_eq!(put_wire(503, &body).await, Outcome::ServiceUnavailable);
}

#[tokio::test(start_paused = true)]
async fn unrecognized_client_is_fatal() {
    let body = error_body(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    assert_eq!(
        put_wire(400, &body).await,
        Outcome::Fatal {
            code: "UnrecognizedClientException".into(),
            message: "The security token included in the request is invalid.".into()
        }
    );
}

// ----- PutLogEvents modeled errors, already deserialized -----

#[tokio::test(start_paused = true)]
async fn every_modeled_put_error_variant_maps() {
    let cases: Vec<(fn() -> PutLogEventsError, Outcome)> = vec![
        (
            || {
                PutLogEventsError::DataAlreadyAcceptedException(
                    DataAlreadyAcceptedException::builder()
                        .expected_sequence_token("7")
                        .build(),
                )
            },
            Outcome::DataAlreadyAccepted {
                expected: Some("7".into()),
            },
        ),
        (
            || {
                PutLogEventsError::InvalidSequenceTokenException(
                    InvalidSequenceTokenException::builder()
                        .expected_sequence_token("8")
                        .build(),
                )
            },
            Outcome::InvalidSequenceToken {
                expected: Some("8".into()),
            },
        ),
        (
            || {
                PutLogEventsError::InvalidParameterException(
                    InvalidParameterException::builder().message("bad").build(),
                )
            },
            Outcome::InvalidParameter {
                message: "bad".into(),
            },
        ),
        (
            || {
                PutLogEventsError::ResourceNotFoundException(
                    ResourceNotFoundException::builder()
                        .message("The specified log stream does not exist.")
                        .build(),
                )
            },
            Outcome::ResourceNotFound {
                what: Missing::LogStream,
            },
        ),
        (
            || {
                PutLogEventsError::ServiceUnavailableException(
                    ServiceUnavailableException::builder().build(),
                )
            },
            Outcome::ServiceUnavailable,
        ),
        (
            || {
                PutLogEventsError::UnrecognizedClientException(
                    UnrecognizedClientException::builder()
                        .message("who")
                        .build(),
                )
            },
            Outcome::Fatal {
                code: "UnrecognizedClientException".into(),
                message: "who".into(),
            },
        ),
    ];
    for (make, expected) in cases {
        assert_eq!(put_modeled(make).await, expected);
    }
}

// ----- Unhandled codes, on the wire -----

#[tokio::test(start_paused = true)]
async fn throttling_exception_is_throttled() {
    let body = error_body("ThrottlingException", "Rate exceeded");
    assert_eq!(put_wire(400, &body).await, Outcome::Throttled);
}

#[tokio::test(start_paused = true)]
async fn per_stream_throttle_message_is_throttled() {
    let body = error_body("ThrottlingException", "Rate exceeded for logStreamName s");
    assert_eq!(put_wire(400, &body).await, Outcome::Throttled);
}

#[tokio::test(start_paused = true)]
async fn limit_exceeded_on_put_is_throttled() {
    let body = error_body("LimitExceededException", "Resource limit exceeded.");
    assert_eq!(put_wire(400, &body).await, Outcome::Throttled);
}

#[tokio::test(start_paused = true)]
async fn every_sdk_throttle_code_is_throttled() {
    for code in [
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    ] {
        assert_eq!(
            put_wire(400, &error_body(code, "slow down")).await,
            Outcome::Throttled,
            "{code}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn namespaced_type_and_error_type_header_are_sanitised_by_the_sdk() {
    let body = error_body("com.amazonaws.logs#ThrottlingException", "Rate exceeded");
    assert_eq!(put_wire(400, &body).await, Outcome::Throttled);

    // The header wins over the body in the Rust SDK (CLOUDWATCH.md §1.5).
    let rule = mock!(Client::put_log_events).then_http_response(|| {
        let mut r = wire(400, &error_body("SomethingElse", "Rate exceeded"));
        r.headers_mut().insert(
            "x-amzn-errortype",
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/",
        );
        r
    });
    assert_eq!(put(&scripted(&[&rule])).await, Outcome::Throttled);
}

#[tokio::test(start_paused = true)]
async fn access_denied_is_fatal_with_its_code() {
    for code in [
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClient",
        "InvalidSignatureException",
        "ExpiredTokenException",
    ] {
        let outcome = put_wire(400, &error_body(code, "no")).await;
        assert_eq!(
            outcome,
            Outcome::Fatal {
                code: code.into(),
                message: "no".into()
            }
        );
    }
}

#[tokio::test(start_paused = true)]
async fn unhandled_codes_map_through_the_modeled_api() {
    // An Unhandled error built in code, as a future SDK might surface one.
    let outcome = put_modeled(|| {
        PutLogEventsError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    })
    .await;
    assert_eq!(outcome, Outcome::Throttled);
}

#[tokio::test(start_paused = true)]
async fn server_errors_map_by_code_then_status() {
    assert_eq!(
        put_wire(500, &error_body("InternalServerException", "oops")).await,
        Outcome::ServerError { status: 500 }
    );
    assert_eq!(
        put_wire(400, &error_body("RequestTimeoutException", "slow")).await,
        Outcome::ServerError { status: 400 }
    );
    assert_eq!(
        put_wire(502, "<html>bad gateway</html>").await,
        Outcome::ServerError { status: 502 }
    );
    assert_eq!(put_wire(503, "").await, Outcome::ServiceUnavailable);
    assert_eq!(
        put_wire(504, "").await,
        Outcome::ServerError { status: 504 }
    );
    assert_eq!(
        put_wire(500, &error_body("SomethingNew", "x")).await,
        Outcome::ServerError { status: 500 }
    );
}

#[tokio::test(start_paused = true)]
async fn http_429_without_a_known_code_is_throttled() {
    assert_eq!(put_wire(429, "").await, Outcome::Throttled);
}

#[tokio::test(start_paused = true)]
async fn unknown_client_error_code_is_fatal() {
    assert_eq!(
        put_wire(400, &error_body("SomethingNew", "what")).await,
        Outcome::Fatal {
            code: "SomethingNew".into(),
            message: "what".into()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn validation_exception_is_an_invalid_parameter() {
    assert_eq!(
        put_wire(
            400,
            &error_body("ValidationException", "1 validation error")
        )
        .await,
        Outcome::InvalidParameter {
            message: "1 validation error".into()
        }
    );
}

// ----- CreateLogGroup -----

#[tokio::test(start_paused = true)]
async fn create_log_group_outcomes() {
    assert_eq!(create_group_wire(200, "").await, Outcome::Created);
    assert_eq!(
        create_group_wire(
            400,
            &error_body(
                "ResourceAlreadyExistsException",
                "The specified log group already exists"
            )
        )
        .await,
        Outcome::AlreadyExists
    );
    assert_eq!(
        create_group_wire(400, &error_body("InvalidParameterException", "bad name")).await,
        Outcome::InvalidParameter {
            message: "bad name".into()
        }
    );
    // The modeled LimitExceeded is the log-group count limit: waiting does not clear it.
    assert_eq!(
        create_group_wire(400, &error_body("LimitExceededException", "too many")).await,
        Outcome::Fatal {
            code: "LimitExceededException".into(),
            message: "too many".into()
        }
    );
    assert_eq!(
        create_group_wire(400, &error_body("OperationAbortedException", "conflict")).await,
        Outcome::ServiceUnavailable
    );
    assert_eq!(
        create_group_wire(503, &error_body("ServiceUnavailableException", "")).await,
        Outcome::ServiceUnavailable
    );
    assert_eq!(
        create_group_wire(400, &error_body("ThrottlingException", "Rate exceeded")).await,
        Outcome::Throttled
    );
}

#[tokio::test(start_paused = true)]
async fn every_modeled_create_log_group_variant_maps() {
    let cases: Vec<(fn() -> CreateLogGroupError, Outcome)> = vec![
        (
            || {
                CreateLogGroupError::InvalidParameterException(
                    InvalidParameterException::builder().message("m").build(),
                )
            },
            Outcome::InvalidParameter {
                message: "m".into(),
            },
        ),
        (
            || {
                CreateLogGroupError::LimitExceededException(
                    LimitExceededException::builder().message("m").build(),
                )
            },
            Outcome::Fatal {
                code: "LimitExceededException".into(),
                message: "m".into(),
            },
        ),
        (
            || {
                CreateLogGroupError::OperationAbortedException(
                    OperationAbortedException::builder().build(),
                )
            },
            Outcome::ServiceUnavailable,
        ),
        (
            || {
                CreateLogGroupError::ResourceAlreadyExistsException(
                    ResourceAlreadyExistsException::builder().build(),
                )
            },
            Outcome::AlreadyExists,
        ),
        (
            || {
                CreateLogGroupError::ServiceUnavailableException(
                    ServiceUnavailableException::builder().build(),
                )
            },
            Outcome::ServiceUnavailable,
        ),
    ];
    for (make, expected) in cases {
        let rule = mock!(Client::create_log_group).then_error(make);
        let client = scripted(&[&rule]);
        let outcome =
            mapping::create_log_group(&client.create_log_group().log_group_name("g").send().await);
        assert_eq!(outcome, expected);
    }
}

// ----- CreateLogStream -----

#[tokio::test(start_paused = true)]
async fn create_log_stream_outcomes() {
    assert_eq!(create_stream_wire(200, "{}").await, Outcome::Created);
    assert_eq!(
        create_stream_wire(
            400,
            &error_body(
                "ResourceAlreadyExistsException",
                "The specified log stream already exists"
            )
        )
        .await,
        Outcome::AlreadyExists
    );
    // Creating a stream can only miss its group.
    assert_eq!(
        create_stream_wire(
            400,
            &error_body(
                "ResourceNotFoundException",
                "The specified log group does not exist."
            )
        )
        .await,
        Outcome::ResourceNotFound {
            what: Missing::LogGroup
        }
    );
    assert_eq!(
        create_stream_wire(400, &error_body("InvalidParameterException", "bad")).await,
        Outcome::InvalidParameter {
            message: "bad".into()
        }
    );
    assert_eq!(
        create_stream_wire(503, &error_body("ServiceUnavailableException", "")).await,
        Outcome::ServiceUnavailable
    );
}

#[tokio::test(start_paused = true)]
async fn every_modeled_create_log_stream_variant_maps() {
    let cases: Vec<(fn() -> CreateLogStreamError, Outcome)> = vec![
        (
            || {
                CreateLogStreamError::InvalidParameterException(
                    InvalidParameterException::builder().message("m").build(),
                )
            },
            Outcome::InvalidParameter {
                message: "m".into(),
            },
        ),
        (
            || {
                CreateLogStreamError::ResourceAlreadyExistsException(
                    ResourceAlreadyExistsException::builder().build(),
                )
            },
            Outcome::AlreadyExists,
        ),
        (
            || {
                CreateLogStreamError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().build(),
                )
            },
            Outcome::ResourceNotFound {
                what: Missing::LogGroup,
            },
        ),
        (
            || {
                CreateLogStreamError::ServiceUnavailableException(
                    ServiceUnavailableException::builder().build(),
                )
            },
            Outcome::ServiceUnavailable,
        ),
    ];
    for (make, expected) in cases {
        let rule = mock!(Client::create_log_stream).then_error(make);
        let client = scripted(&[&rule]);
        let outcome = mapping::create_log_stream(
            &client
                .create_log_stream()
                .log_group_name("g")
                .log_stream_name("s")
                .send()
                .await,
        );
        assert_eq!(outcome, expected);
    }
}

// ----- PutRetentionPolicy -----

#[tokio::test(start_paused = true)]
async fn put_retention_policy_outcomes() {
    assert_eq!(retention_wire(200, "").await, Outcome::Created);
    assert_eq!(
        retention_wire(
            400,
            &error_body(
                "ResourceNotFoundException",
                "The specified log group does not exist."
            )
        )
        .await,
        Outcome::ResourceNotFound {
            what: Missing::LogGroup
        }
    );
    assert_eq!(
        retention_wire(400, &error_body("InvalidParameterException", "days")).await,
        Outcome::InvalidParameter {
            message: "days".into()
        }
    );
    assert_eq!(
        retention_wire(400, &error_body("OperationAbortedException", "busy")).await,
        Outcome::ServiceUnavailable
    );
    assert_eq!(
        retention_wire(503, &error_body("ServiceUnavailableException", "")).await,
        Outcome::ServiceUnavailable
    );
}

#[tokio::test(start_paused = true)]
async fn every_modeled_put_retention_policy_variant_maps() {
    let cases: Vec<(fn() -> PutRetentionPolicyError, Outcome)> = vec![
        (
            || {
                PutRetentionPolicyError::InvalidParameterException(
                    InvalidParameterException::builder().message("m").build(),
                )
            },
            Outcome::InvalidParameter {
                message: "m".into(),
            },
        ),
        (
            || {
                PutRetentionPolicyError::OperationAbortedException(
                    OperationAbortedException::builder().build(),
                )
            },
            Outcome::ServiceUnavailable,
        ),
        (
            || {
                PutRetentionPolicyError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().build(),
                )
            },
            Outcome::ResourceNotFound {
                what: Missing::LogGroup,
            },
        ),
        (
            || {
                PutRetentionPolicyError::ServiceUnavailableException(
                    ServiceUnavailableException::builder().build(),
                )
            },
            Outcome::ServiceUnavailable,
        ),
    ];
    for (make, expected) in cases {
        let rule = mock!(Client::put_retention_policy).then_error(make);
        let client = scripted(&[&rule]);
        let outcome = mapping::put_retention_policy(
            &client
                .put_retention_policy()
                .log_group_name("g")
                .retention_in_days(7)
                .send()
                .await,
        );
        assert_eq!(outcome, expected);
    }
}
