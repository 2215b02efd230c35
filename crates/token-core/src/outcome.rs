//! What the driver observed for a request: the whole vocabulary an SDK mapping needs.

/// The answer to one request, as the driver observed it.
///
/// Map every SDK result to exactly one variant. A success variant that does not fit the request
/// (e.g. `Created` for a PutLogEvents) is treated as the fitting success.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// PutLogEvents succeeded (possibly with some events rejected), or any other request succeeded.
    Accepted {
        /// `nextSequenceToken` from the response.
        next_sequence_token: Option<String>,
        /// `rejectedLogEventsInfo` from the response, as sent by AWS.
        rejected: RejectedInfo,
    },
    /// CreateLogGroup / CreateLogStream / PutRetentionPolicy succeeded.
    Created,
    /// ResourceAlreadyExistsException: for a create request this counts as success.
    AlreadyExists,
    /// InvalidSequenceTokenException with its `expectedSequenceToken` (absent = send none).
    InvalidSequenceToken {
        /// `expectedSequenceToken`; `None` when absent or `null`.
        expected: Option<String>,
    },
    /// DataAlreadyAcceptedException: the batch was stored by an earlier attempt.
    DataAlreadyAccepted {
        /// `expectedSequenceToken`: the token for the next batch.
        expected: Option<String>,
    },
    /// ResourceNotFoundException.
    ResourceNotFound {
        /// Which resource, from the message ("The specified log group does not exist." or
        /// "The specified log stream does not exist.").
        what: Missing,
    },
    /// ThrottlingException, LimitExceededException, HTTP 429 or any other throttle code.
    Throttled,
    /// ServiceUnavailableException (HTTP 503).
    ServiceUnavailable,
    /// Any other 5xx, InternalServerException or RequestTimeout.
    ServerError {
        /// The HTTP status, when known (0 if not).
        status: u16,
    },
    /// InvalidParameterException: something in the request is invalid.
    InvalidParameter {
        /// AWS's message.
        message: String,
    },
    /// An error retrying cannot fix (AccessDenied, UnrecognizedClient, ...): the writer stops sending.
    Fatal {
        /// The error code, e.g. `"AccessDeniedException"`.
        code: String,
        /// The error message.
        message: String,
    },
    /// Sent, but no answer: a timeout or a connection lost after sending. It may have been applied.
    Unknown,
    /// Failed before anything was sent (DNS, connect, signing): safe to retry.
    NotSent,
}

/// `rejectedLogEventsInfo`, with AWS's index semantics kept as they are on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RejectedInfo {
    /// `tooNewLogEventStartIndex`: events from this index on (inclusive) were too new.
    pub too_new_start_index: Option<usize>,
    /// `tooOldLogEventEndIndex`: events before this index (exclusive) were too old.
    pub too_old_end_index: Option<usize>,
    /// `expiredLogEventEndIndex`: events before this index (exclusive) were older than retention.
    pub expired_end_index: Option<usize>,
}

impl RejectedInfo {
    /// No event rejected.
    pub const NONE: RejectedInfo = RejectedInfo {
        too_new_start_index: None,
        too_old_end_index: None,
        expired_end_index: None,
    };

    /// Whether no event was rejected.
    pub fn is_empty(&self) -> bool {
        *self == Self::NONE
    }
}

/// Which resource a ResourceNotFoundException named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Missing {
    /// "The specified log group does not exist."
    LogGroup,
    /// "The specified log stream does not exist."
    LogStream,
    /// The message named neither.
    Unknown,
}

impl Outcome {
    /// An `Accepted` with a token and nothing rejected: the common PutLogEvents success.
    pub fn accepted(next_sequence_token: Option<String>) -> Outcome {
        Outcome::Accepted {
            next_sequence_token,
            rejected: RejectedInfo::NONE,
        }
    }
}
