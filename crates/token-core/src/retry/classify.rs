//! What an outcome means for the writer, independent of which request it answered.

use crate::outcome::{Missing, Outcome, RejectedInfo};

/// Why a request is worth resending unchanged after a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryCause {
    Throttled,
    ServerError,
    Unknown,
    NotSent,
}

/// An outcome sorted by what the writer must do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Class {
    /// Done; for PutLogEvents, with its token and rejections.
    Success {
        next_sequence_token: Option<String>,
        rejected: RejectedInfo,
    },
    /// ResourceAlreadyExists: success for a create.
    AlreadyExists,
    /// Resend with this token.
    TokenConflict { expected: Option<String> },
    /// Stored by an earlier attempt; this is the next token.
    AlreadyAccepted { expected: Option<String> },
    /// Create something first.
    NotFound(Missing),
    /// Wait, then resend.
    Retry(RetryCause),
    /// Something in the request is invalid.
    Invalid { message: String },
    /// Stop.
    Fatal { code: String, message: String },
}

pub(crate) fn classify(outcome: Outcome) -> Class {
    match outcome {
        Outcome::Accepted {
            next_sequence_token,
            rejected,
        } => Class::Success {
            next_sequence_token,
            rejected,
        },
        Outcome::Created => Class::Success {
            next_sequence_token: None,
            rejected: RejectedInfo::NONE,
        },
        Outcome::AlreadyExists => Class::AlreadyExists,
        Outcome::InvalidSequenceToken { expected } => Class::TokenConflict { expected },
        Outcome::DataAlreadyAccepted { expected } => Class::AlreadyAccepted { expected },
        Outcome::ResourceNotFound { what } => Class::NotFound(what),
        Outcome::Throttled => Class::Retry(RetryCause::Throttled),
        Outcome::ServiceUnavailable | Outcome::ServerError { .. } => {
            Class::Retry(RetryCause::ServerError)
        }
        Outcome::Unknown => Class::Retry(RetryCause::Unknown),
        Outcome::NotSent => Class::Retry(RetryCause::NotSent),
        Outcome::InvalidParameter { message } => Class::Invalid { message },
        Outcome::Fatal { code, message } => Class::Fatal { code, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_and_server_errors_are_retried_with_their_cause() {
        assert_eq!(
            classify(Outcome::Throttled),
            Class::Retry(RetryCause::Throttled)
        );
        assert_eq!(
            classify(Outcome::ServiceUnavailable),
            Class::Retry(RetryCause::ServerError)
        );
        assert_eq!(
            classify(Outcome::ServerError { status: 500 }),
            Class::Retry(RetryCause::ServerError)
        );
        assert_eq!(
            classify(Outcome::Unknown),
            Class::Retry(RetryCause::Unknown)
        );
        assert_eq!(
            classify(Outcome::NotSent),
            Class::Retry(RetryCause::NotSent)
        );
    }

    #[test]
    fn created_counts_as_success_and_token_errors_keep_their_token() {
        assert!(matches!(classify(Outcome::Created), Class::Success { .. }));
        assert_eq!(
            classify(Outcome::InvalidSequenceToken { expected: None }),
            Class::TokenConflict { expected: None }
        );
        assert_eq!(
            classify(Outcome::DataAlreadyAccepted {
                expected: Some("49".into())
            }),
            Class::AlreadyAccepted {
                expected: Some("49".into())
            }
        );
    }
}
