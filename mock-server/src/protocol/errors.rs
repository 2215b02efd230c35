//! AWS-shaped errors: the `__type`, extra members and `message` that a client of the mock sees.
//!
//! Constructors carry AWS's exact texts (CLOUDWATCH.md §1.4, §3, §4) so that call sites cannot drift
//! from them. Where the real text has never been observed the constructor's doc says so.

use crate::catalogue::Operation;

/// An error answer to one API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The bare error code, e.g. `InvalidParameterException`.
    pub error_type: &'static str,
    /// Modeled members between `__type` and `message`, in order.
    pub extra: Vec<(&'static str, String)>,
    /// The human-readable message; `None` sends no `message` member.
    pub message: Option<String>,
    /// The HTTP status: 400 for client errors, 503 for ServiceUnavailable.
    pub status: u16,
}

impl ApiError {
    /// A client (400) error with a message.
    pub fn client(error_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            error_type,
            extra: Vec::new(),
            message: Some(message.into()),
            status: 400,
        }
    }

    /// `InvalidParameterException` with the given message.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::client("InvalidParameterException", message)
    }

    /// `ResourceNotFoundException` for a missing log group.
    pub fn group_not_found() -> Self {
        Self::client(
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        )
    }

    /// `ResourceNotFoundException` for a missing log stream.
    pub fn stream_not_found() -> Self {
        Self::client(
            "ResourceNotFoundException",
            "The specified log stream does not exist.",
        )
    }

    /// `ResourceAlreadyExistsException` for a log group (no trailing period, as AWS sends it).
    pub fn group_exists() -> Self {
        Self::client(
            "ResourceAlreadyExistsException",
            "The specified log group already exists",
        )
    }

    /// `ResourceAlreadyExistsException` for a log stream (no trailing period, as AWS sends it).
    pub fn stream_exists() -> Self {
        Self::client(
            "ResourceAlreadyExistsException",
            "The specified log stream already exists",
        )
    }

    /// `InvalidSequenceTokenException`; `expected` is `None` when the stream expects no token, and
    /// then the message ends in `null` and no `expectedSequenceToken` member is sent.
    pub fn invalid_sequence_token(expected: Option<&str>) -> Self {
        let shown = expected.unwrap_or("null");
        Self {
            error_type: "InvalidSequenceTokenException",
            extra: expected
                .map(|t| vec![("expectedSequenceToken", t.to_owned())])
                .unwrap_or_default(),
            message: Some(format!(
                "The given sequenceToken is invalid. The next expected sequenceToken is: {shown}"
            )),
            status: 400,
        }
    }

    /// `DataAlreadyAcceptedException` naming the token for the next batch.
    pub fn data_already_accepted(expected: &str) -> Self {
        Self {
            error_type: "DataAlreadyAcceptedException",
            extra: vec![("expectedSequenceToken", expected.to_owned())],
            message: Some(format!(
                "The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: {expected}"
            )),
            status: 400,
        }
    }

    /// `SerializationException`, AWS's answer to a body that is not the JSON it expects.
    pub fn serialization(message: Option<String>) -> Self {
        Self {
            error_type: "SerializationException",
            extra: Vec::new(),
            message,
            status: 400,
        }
    }

    /// `UnknownOperationException` for a target that is not a CloudWatch Logs operation.
    /// AWS sends this code without a message.
    pub fn unknown_operation() -> Self {
        Self {
            error_type: "UnknownOperationException",
            extra: Vec::new(),
            message: None,
            status: 400,
        }
    }

    /// `ServiceUnavailableException` (503, so that every SDK retries it).
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self {
            error_type: "ServiceUnavailableException",
            extra: Vec::new(),
            message: Some(message.into()),
            status: 503,
        }
    }

    /// The body is larger than the mock reads (413). Not an AWS text: the real service's front end
    /// refuses oversized requests before CloudWatch Logs sees them.
    pub fn body_too_large(limit: usize) -> Self {
        Self {
            error_type: "RequestEntityTooLargeException",
            extra: Vec::new(),
            message: Some(format!("Request body exceeds the limit of {limit} bytes")),
            status: 413,
        }
    }

    /// `UnknownOperationException` for an operation of the service model that the mock does not
    /// implement yet: the code a client gets for an unknown target (so no SDK retries it), with a
    /// message that says what is missing.
    pub fn not_implemented(operation: Operation) -> Self {
        Self {
            error_type: "UnknownOperationException",
            extra: Vec::new(),
            message: Some(format!(
                "cwlogs-mock does not implement {} yet",
                operation.name()
            )),
            status: 400,
        }
    }

    /// Adds a modeled member that goes between `__type` and `message`.
    pub fn with_member(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    /// The compact JSON body: `__type` first, extra members, `message` last.
    pub fn body(&self) -> String {
        // Written by hand rather than through a JSON map, whose key order depends on serde_json's
        // features; AWS's order is part of the wire format.
        let mut body = String::with_capacity(64);
        body.push_str("{\"__type\":");
        body.push_str(&json_string(self.error_type));
        for (name, value) in &self.extra {
            body.push(',');
            body.push_str(&json_string(name));
            body.push(':');
            body.push_str(&json_string(value));
        }
        if let Some(message) = &self.message {
            body.push_str(",\"message\":");
            body.push_str(&json_string(message));
        }
        body.push('}');
        body
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_aws_order() {
        let body = ApiError::invalid_sequence_token(Some("4959")).body();
        assert_eq!(
            body,
            r#"{"__type":"InvalidSequenceTokenException","expectedSequenceToken":"4959","message":"The given sequenceToken is invalid. The next expected sequenceToken is: 4959"}"#
        );
    }

    #[test]
    fn extra_members_after_type_before_message() {
        let body = ApiError::client("TooManyTagsException", "too many")
            .with_member("resourceName", "arn")
            .body();
        assert_eq!(
            body,
            r#"{"__type":"TooManyTagsException","resourceName":"arn","message":"too many"}"#
        );
    }

    #[test]
    fn exists_bodies_match_captured_lengths() {
        assert_eq!(ApiError::group_exists().body().len(), 94);
        assert_eq!(ApiError::stream_exists().body().len(), 95);
    }

    #[test]
    fn empty_stream_token_error_says_null() {
        let err = ApiError::invalid_sequence_token(None);
        assert!(err.extra.is_empty());
        assert!(err.body().ends_with("is: null\"}"));
    }
}
