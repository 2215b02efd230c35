//! From an SDK result to a token-core [`Outcome`]: the only place that interprets the SDK.
//!
//! The adapter never retries or decides anything itself; it only has to tell token-core, as
//! precisely as the SDK allows, what happened to a request. Three questions matter:
//!
//! 1. Did the service answer? A modeled error or an error code is an answer; so is an HTTP status
//!    whose body could not be read.
//! 2. If it did not answer, may the request have reached it? A timeout, or a connection that broke
//!    after the request was written, may have been applied ([`Outcome::Unknown`]); a failure to
//!    build, sign, resolve or connect surely was not ([`Outcome::NotSent`]). The difference is what
//!    lets token-core count a possible duplicate only when one is possible.
//! 3. For an error code the operation does not model (`Unhandled`), what class is it? The Rust SDK
//!    derives the code from `x-amzn-errortype`, then the body's `code`, then `__type`, with any
//!    `namespace#` prefix and `:suffix` removed (CLOUDWATCH.md §1.5), so `.code()` is the bare name.

use aws_sdk_cloudwatchlogs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatchlogs::operation::create_log_group::{
    CreateLogGroupError, CreateLogGroupOutput,
};
use aws_sdk_cloudwatchlogs::operation::create_log_stream::{
    CreateLogStreamError, CreateLogStreamOutput,
};
use aws_sdk_cloudwatchlogs::operation::put_log_events::{PutLogEventsError, PutLogEventsOutput};
use aws_sdk_cloudwatchlogs::operation::put_retention_policy::{
    PutRetentionPolicyError, PutRetentionPolicyOutput,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::DispatchFailure;
use token_core::{Missing, Outcome, RejectedInfo};

/// The SDK's error type for one operation, with the raw HTTP response type the SDK uses.
type OpError<E> = SdkError<E, HttpResponse>;

/// Error codes every AWS SDK classifies as throttling (CLOUDWATCH.md §5; identical in botocore,
/// the Rust SDK and JS v3). `LimitExceededException` is among them: on PutLogEvents it is not
/// modeled, and when it appears it is a rate limit, so token-core should cool down and resend.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Codes for a server-side failure worth retrying after a backoff.
const SERVER_ERROR_CODES: &[&str] = &[
    "InternalServerException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Codes that mean the caller's identity or permissions are wrong: resending cannot help.
const CREDENTIAL_CODE_PREFIXES: &[&str] = &[
    "AccessDenied",
    "UnrecognizedClient",
    "InvalidClientTokenId",
    "InvalidSignature",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "NotAuthorized",
    "AuthFailure",
    "OptInRequired",
];

/// Maps the result of a `PutLogEvents` call.
pub fn put_log_events(result: &Result<PutLogEventsOutput, OpError<PutLogEventsError>>) -> Outcome {
    match result {
        Ok(output) => Outcome::Accepted {
            next_sequence_token: output.next_sequence_token().map(str::to_owned),
            rejected: output
                .rejected_log_events_info()
                .map(|info| RejectedInfo {
                    too_new_start_index: index(info.too_new_log_event_start_index()),
                    too_old_end_index: index(info.too_old_log_event_end_index()),
                    expired_end_index: index(info.expired_log_event_end_index()),
                })
                .unwrap_or(RejectedInfo::NONE),
        },
        Err(err) => from_sdk_error(err, |e| match e {
            PutLogEventsError::DataAlreadyAcceptedException(x) => {
                Some(Outcome::DataAlreadyAccepted {
                    expected: expected_token(x.expected_sequence_token(), x.message()),
                })
            }
            PutLogEventsError::InvalidSequenceTokenException(x) => {
                Some(Outcome::InvalidSequenceToken {
                    expected: expected_token(x.expected_sequence_token(), x.message()),
                })
            }
            PutLogEventsError::InvalidParameterException(x) => Some(invalid_parameter(x.message())),
            PutLogEventsError::ResourceNotFoundException(x) => Some(Outcome::ResourceNotFound {
                what: missing_from_message(x.message()),
            }),
            PutLogEventsError::ServiceUnavailableException(_) => Some(Outcome::ServiceUnavailable),
            PutLogEventsError::UnrecognizedClientException(x) => {
                Some(fatal("UnrecognizedClientException", x.message()))
            }
            // `Unhandled` and variants added by later SDK versions: classify by code.
            _ => None,
        }),
    }
}

/// Maps the result of a `CreateLogGroup` call.
pub fn create_log_group(
    result: &Result<CreateLogGroupOutput, OpError<CreateLogGroupError>>,
) -> Outcome {
    match result {
        Ok(_) => Outcome::Created,
        Err(err) => from_sdk_error(err, |e| match e {
            CreateLogGroupError::InvalidParameterException(x) => {
                Some(invalid_parameter(x.message()))
            }
            // Modeled here, LimitExceeded means "the account has as many log groups as it may":
            // waiting does not clear it, unlike the rate limit the same code means elsewhere.
            CreateLogGroupError::LimitExceededException(x) => {
                Some(fatal("LimitExceededException", x.message()))
            }
            // A concurrent change to the same group: transient, so retry after a backoff.
            CreateLogGroupError::OperationAbortedException(_) => Some(Outcome::ServiceUnavailable),
            CreateLogGroupError::ResourceAlreadyExistsException(_) => Some(Outcome::AlreadyExists),
            CreateLogGroupError::ServiceUnavailableException(_) => {
                Some(Outcome::ServiceUnavailable)
            }
            _ => None,
        }),
    }
}

/// Maps the result of a `CreateLogStream` call.
pub fn create_log_stream(
    result: &Result<CreateLogStreamOutput, OpError<CreateLogStreamError>>,
) -> Outcome {
    match result {
        Ok(_) => Outcome::Created,
        Err(err) => from_sdk_error(err, |e| match e {
            CreateLogStreamError::InvalidParameterException(x) => {
                Some(invalid_parameter(x.message()))
            }
            CreateLogStreamError::ResourceAlreadyExistsException(_) => Some(Outcome::AlreadyExists),
            // Creating a stream can only miss its group, whatever the message says.
            CreateLogStreamError::ResourceNotFoundException(_) => Some(Outcome::ResourceNotFound {
                what: Missing::LogGroup,
            }),
            CreateLogStreamError::ServiceUnavailableException(_) => {
                Some(Outcome::ServiceUnavailable)
            }
            _ => None,
        }),
    }
}

/// Maps the result of a `PutRetentionPolicy` call.
pub fn put_retention_policy(
    result: &Result<PutRetentionPolicyOutput, OpError<PutRetentionPolicyError>>,
) -> Outcome {
    match result {
        Ok(_) => Outcome::Created,
        Err(err) => from_sdk_error(err, |e| match e {
            PutRetentionPolicyError::InvalidParameterException(x) => {
                Some(invalid_parameter(x.message()))
            }
            PutRetentionPolicyError::OperationAbortedException(_) => {
                Some(Outcome::ServiceUnavailable)
            }
            PutRetentionPolicyError::ResourceNotFoundException(_) => {
                Some(Outcome::ResourceNotFound {
                    what: Missing::LogGroup,
                })
            }
            PutRetentionPolicyError::ServiceUnavailableException(_) => {
                Some(Outcome::ServiceUnavailable)
            }
            _ => None,
        }),
    }
}

/// The part every operation shares: SDK error kinds, then error codes, then HTTP status.
fn from_sdk_error<E>(err: &OpError<E>, modeled: impl FnOnce(&E) -> Option<Outcome>) -> Outcome
where
    E: ProvideErrorMetadata,
{
    match err {
        // Building, signing or resolving credentials failed: nothing went on the wire.
        SdkError::ConstructionFailure(_) => Outcome::NotSent,
        // The operation or attempt timeout fired; the request may be at the service already.
        SdkError::TimeoutError(_) => Outcome::Unknown,
        SdkError::DispatchFailure(failure) => dispatch_failure(failure),
        // The service answered but its body could not be read: go by the status alone.
        SdkError::ResponseError(e) => from_status(e.raw().status().as_u16()),
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            modeled(e.err()).unwrap_or_else(|| from_code(e.err().code(), e.err().message(), status))
        }
        // `SdkError` is non-exhaustive; a kind this version does not know may have been sent.
        _ => Outcome::Unknown,
    }
}

/// Classifies an error by its code, for codes the operation does not model.
fn from_code(code: Option<&str>, message: Option<&str>, status: u16) -> Outcome {
    let Some(code) = code else {
        return from_status(status);
    };
    if THROTTLING_CODES.contains(&code) {
        return Outcome::Throttled;
    }
    if code == "ServiceUnavailableException" || code == "ServiceUnavailable" {
        return Outcome::ServiceUnavailable;
    }
    if SERVER_ERROR_CODES.contains(&code) {
        return Outcome::ServerError { status };
    }
    if CREDENTIAL_CODE_PREFIXES.iter().any(|p| code.starts_with(p)) {
        return fatal(code, message);
    }
    match code {
        // The same meanings as the modeled variants, in case an operation does not model them.
        "InvalidParameterException" | "ValidationException" => invalid_parameter(message),
        "ResourceNotFoundException" => Outcome::ResourceNotFound {
            what: missing_from_message(message),
        },
        "ResourceAlreadyExistsException" => Outcome::AlreadyExists,
        "InvalidSequenceTokenException" => Outcome::InvalidSequenceToken {
            expected: expected_token(None, message),
        },
        "DataAlreadyAcceptedException" => Outcome::DataAlreadyAccepted {
            expected: expected_token(None, message),
        },
        // An unknown code: a server fault is still worth a retry, a client fault is not.
        _ => match from_status(status) {
            Outcome::Fatal { .. } | Outcome::Accepted { .. } => fatal(code, message),
            other => other,
        },
    }
}

/// Classifies a response by HTTP status alone (no readable error code).
fn from_status(status: u16) -> Outcome {
    match status {
        // A success whose body could not be read: the service did apply the request. Without its
        // token, a Sequential writer learns the next one from the next InvalidSequenceToken.
        200..=299 => Outcome::accepted(None),
        // The service timed out reading the request, so it did not apply it.
        408 => Outcome::ServerError { status },
        429 => Outcome::Throttled,
        503 => Outcome::ServiceUnavailable,
        500..=599 => Outcome::ServerError { status },
        _ => Outcome::Fatal {
            code: format!("HTTP {status}"),
            message: format!("unexpected HTTP status {status} without a readable error code"),
        },
    }
}

/// A dispatch failure: `NotSent` only when the request provably never reached a connection.
///
/// The SDK reports two different things as a dispatch failure: errors of the HTTP client, and
/// errors of the steps just before it (identity and credentials, auth scheme selection, signing,
/// endpoint resolution, interceptors), which the orchestrator wraps as `ConnectorError::other`.
/// Only errors recognised as one of those, or as a failure to connect, count as not sent; anything
/// else may have been written to the socket, so it is `Unknown` (at worst a needless "possible
/// duplicate", never a missed one).
fn dispatch_failure(failure: &DispatchFailure) -> Outcome {
    // A "user" error is hyper refusing the request before writing it (e.g. an invalid URI).
    if failure.is_user() {
        return Outcome::NotSent;
    }
    let Some(connector_error) = failure.as_connector_error() else {
        return Outcome::Unknown;
    };
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(connector_error);
    while let Some(err) = next {
        if surely_before_sending(err) {
            return Outcome::NotSent;
        }
        next = err.source();
    }
    // Read timeouts, resets, incomplete messages: the request may have been applied.
    Outcome::Unknown
}

/// Whether this one error (not its sources) proves the request was never sent.
fn surely_before_sending(err: &(dyn std::error::Error + 'static)) -> bool {
    use aws_credential_types::provider::error::CredentialsError;
    use aws_smithy_runtime_api::client::dns::ResolveDnsError;
    use aws_smithy_runtime_api::client::endpoint::error::ResolveEndpointError;
    use aws_smithy_runtime_api::client::interceptors::error::InterceptorError;
    use std::io::ErrorKind;

    if let Some(e) = err.downcast_ref::<hyper_util::client::legacy::Error>() {
        // hyper-util tags errors from establishing the connection (DNS, TCP, TLS, connect
        // timeout): the request had nowhere to go yet.
        return e.is_connect();
    }
    if let Some(e) = err.downcast_ref::<std::io::Error>() {
        // Only possible while connecting; a reset or EOF later may follow a written request.
        return matches!(
            e.kind(),
            ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable
        );
    }
    err.is::<ResolveDnsError>()
        || err.is::<CredentialsError>()
        || err.is::<ResolveEndpointError>()
        || err.is::<InterceptorError>()
        // aws-smithy-runtime keeps this type private; its name is the only handle on it. It means
        // no auth scheme had an identity (e.g. no credentials configured at all).
        || format!("{err:?}").starts_with("NoMatchingAuthSchemeError")
}

/// A wire index (`i32`) as token-core's `usize`; a negative index is not a valid answer.
fn index(wire: Option<i32>) -> Option<usize> {
    wire.and_then(|i| usize::try_from(i).ok())
}

/// `expectedSequenceToken`: the modeled field, else the token at the end of AWS's message
/// ("…The next expected sequenceToken is: 4959…" / "…can be sent with sequenceToken: 4959…").
/// AWS writes `null` when the stream expects no token.
fn expected_token(field: Option<&str>, message: Option<&str>) -> Option<String> {
    let raw = match field {
        Some(f) => f.trim(),
        None => {
            let message = message?;
            let (_, tail) = message.rsplit_once(':')?;
            tail.trim().trim_end_matches('.')
        }
    };
    if raw.is_empty() || raw == "null" {
        None
    } else {
        Some(raw.to_owned())
    }
}

/// Which resource a ResourceNotFoundException names, from AWS's fixed messages.
fn missing_from_message(message: Option<&str>) -> Missing {
    let message = message.unwrap_or_default().to_ascii_lowercase();
    if message.contains("log stream") {
        Missing::LogStream
    } else if message.contains("log group") {
        Missing::LogGroup
    } else {
        Missing::Unknown
    }
}

fn invalid_parameter(message: Option<&str>) -> Outcome {
    Outcome::InvalidParameter {
        message: message.unwrap_or_default().to_owned(),
    }
}

fn fatal(code: &str, message: Option<&str>) -> Outcome {
    Outcome::Fatal {
        code: code.to_owned(),
        message: message.unwrap_or_default().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_token_prefers_the_field_and_falls_back_to_the_message() {
        assert_eq!(
            expected_token(Some("4959"), Some("…is: 1")),
            Some("4959".into())
        );
        assert_eq!(
            expected_token(
                None,
                Some(
                    "The given sequenceToken is invalid. The next expected sequenceToken is: 4959"
                )
            ),
            Some("4959".into())
        );
        assert_eq!(
            expected_token(None, Some("The next expected sequenceToken is: null")),
            None
        );
        assert_eq!(expected_token(Some("null"), None), None);
        assert_eq!(expected_token(None, None), None);
        assert_eq!(expected_token(None, Some("no colon here")), None);
    }

    #[test]
    fn missing_resource_is_read_from_aws_messages() {
        assert_eq!(
            missing_from_message(Some("The specified log group does not exist.")),
            Missing::LogGroup
        );
        assert_eq!(
            missing_from_message(Some("The specified log stream does not exist.")),
            Missing::LogStream
        );
        assert_eq!(missing_from_message(Some("gone")), Missing::Unknown);
        assert_eq!(missing_from_message(None), Missing::Unknown);
    }

    #[test]
    fn negative_wire_indices_are_ignored() {
        assert_eq!(index(Some(-1)), None);
        assert_eq!(index(Some(3)), Some(3));
    }

    #[test]
    fn codes_without_a_modeled_variant_are_classified() {
        assert_eq!(
            from_code(Some("ThrottlingException"), None, 400),
            Outcome::Throttled
        );
        assert_eq!(
            from_code(Some("LimitExceededException"), None, 400),
            Outcome::Throttled
        );
        assert!(matches!(
            from_code(Some("AccessDeniedException"), Some("no"), 400),
            Outcome::Fatal { code, .. } if code == "AccessDeniedException"
        ));
        assert_eq!(
            from_code(Some("SomethingNew"), None, 502),
            Outcome::ServerError { status: 502 }
        );
        assert!(matches!(
            from_code(Some("SomethingNew"), None, 400),
            Outcome::Fatal { .. }
        ));
        assert!(matches!(
            from_code(Some("SomethingNew"), None, 200),
            Outcome::Fatal { .. }
        ));
        assert_eq!(from_code(None, None, 429), Outcome::Throttled);
    }
}
