//! The mock side: token-core's requests as awsJson1_1 requests for `State::decide`, the mock's
//! answers as token-core outcomes, a background writer, and the store read back as the oracle.

use super::scenario::{MockTokens, SimLimits};
use mock_server::State;
use mock_server::{ApiRequest, ApiResponse};
use mock_server::{Config, TokenMode};
use serde_json::{json, Map, Value};
use std::ops::Range;
use token_core::{Missing, Outcome, RejectedInfo, RequestKind};

/// The mock's pure decision with its store, configured like the scenario.
pub struct Service {
    /// The decision state; its store is what the invariants read back.
    pub state: State,
}

impl Service {
    /// A mock with the scenario's token semantics, legacy race window and limits, and an empty
    /// store.
    pub fn new(tokens: MockTokens, race_window_ms: u64, limits: SimLimits) -> Self {
        let mut config = Config {
            token_mode: match tokens {
                MockTokens::Strict => TokenMode::Strict,
                MockTokens::Current => TokenMode::Current,
            },
            legacy_race_window_ms: race_window_ms,
            ..Config::default()
        };
        config.limits.max_event_bytes = limits.max_event_bytes;
        config.limits.max_batch_bytes = limits.max_batch_bytes;
        config.limits.max_batch_events = limits.max_batch_events;
        Self {
            state: State::new(config),
        }
    }

    /// Decides one request at virtual time `now_ms`.
    pub fn decide(&self, request: &ApiRequest, now_ms: i64) -> ApiResponse {
        self.state.decide(request, now_ms)
    }

    /// Creates what must exist before the writers start; returns the first error answer, if any.
    pub fn provision(&self, operation: &str, body: Value, now_ms: i64) -> Result<(), String> {
        let answer = self.decide(&ApiRequest::json(operation, body), now_ms);
        match answer.error_type {
            None | Some("ResourceAlreadyExistsException") => Ok(()),
            Some(other) => Err(format!("{operation} at setup: {other}: {}", answer.body)),
        }
    }

    /// One put of a background writer: a single event carrying the stream's expected token, as a
    /// competing client that read it just before would.
    pub fn background_put(
        &self,
        group: &str,
        stream: &str,
        message: &str,
        now_ms: i64,
    ) -> Result<BackgroundPut, String> {
        let Ok(log_stream) = self.state.store.require_stream(group, stream) else {
            return Ok(BackgroundPut::NoStream);
        };
        let token = {
            let st = log_stream.lock();
            (st.accepted_puts > 0)
                .then(|| mock_server::sequence_token(log_stream.id, st.accepted_puts))
        };
        let mut body = json!({
            "logGroupName": group,
            "logStreamName": stream,
            "logEvents": [{ "timestamp": now_ms, "message": message }],
        });
        if let Some(token) = &token {
            body["sequenceToken"] = token.clone().into();
        }
        let answer = self.decide(&ApiRequest::json("PutLogEvents", body), now_ms);
        match answer.error_type {
            None => Ok(BackgroundPut::Stored { token }),
            Some(other) => Err(format!("background put refused: {other}: {}", answer.body)),
        }
    }

    /// How many puts advanced a stream's token (`StreamState::accepted_puts`); 0 when the stream
    /// does not exist.
    pub fn accepted_puts(&self, group: &str, stream: &str) -> u64 {
        self.state
            .store
            .require_stream(group, stream)
            .map_or(0, |s| s.lock().accepted_puts)
    }

    /// Every stored event of a stream, `(timestamp, message)` in the store's order; empty when the
    /// stream does not exist.
    pub fn stored(&self, group: &str, stream: &str) -> Vec<(i64, String)> {
        let Ok(log_stream) = self.state.store.require_stream(group, stream) else {
            return Vec::new();
        };
        let st = log_stream.lock();
        st.events
            .iter()
            .map(|e| (e.timestamp, e.message.to_string()))
            .collect()
    }

    /// The messages of the last batch a strict stream accepted (what it compares a replay with).
    pub fn last_batch(&self, group: &str, stream: &str) -> Option<Vec<String>> {
        let log_stream = self.state.store.require_stream(group, stream).ok()?;
        let st = log_stream.lock();
        st.last_batch.as_ref().map(|b| b.messages.clone())
    }

    /// The retention the mock holds for a group.
    pub fn retention_days(&self, group: &str) -> Option<i64> {
        self.state
            .store
            .group(group)
            .and_then(|g| g.settings().retention_in_days)
    }
}

/// What a background writer's put came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackgroundPut {
    /// The stream does not exist (yet): nothing was sent.
    NoStream,
    /// The put was stored; it carried this token (none on a stream that never took a put).
    Stored {
        /// The sequence token it carried.
        token: Option<String>,
    },
}

/// The awsJson1_1 request for a token-core request; `None` for a kind this simulation does not
/// know (the enum is non-exhaustive).
pub fn api_request(kind: &RequestKind) -> Option<ApiRequest> {
    let (operation, body) = match kind {
        RequestKind::CreateLogGroup { log_group } => {
            ("CreateLogGroup", json!({ "logGroupName": log_group }))
        }
        RequestKind::PutRetentionPolicy {
            log_group,
            retention_days,
        } => (
            "PutRetentionPolicy",
            json!({ "logGroupName": log_group, "retentionInDays": retention_days }),
        ),
        RequestKind::CreateLogStream {
            log_group,
            log_stream,
        } => (
            "CreateLogStream",
            json!({ "logGroupName": log_group, "logStreamName": log_stream }),
        ),
        RequestKind::PutLogEvents {
            log_group,
            log_stream,
            events,
            sequence_token,
        } => {
            let log_events: Vec<Value> = events
                .iter()
                .map(|e| json!({ "timestamp": e.timestamp.0, "message": e.message }))
                .collect();
            let mut body = json!({
                "logGroupName": log_group,
                "logStreamName": log_stream,
                "logEvents": log_events,
            });
            if let Some(token) = sequence_token {
                body["sequenceToken"] = token.clone().into();
            }
            ("PutLogEvents", body)
        }
        _ => return None,
    };
    Some(ApiRequest::json(operation, body))
}

fn body_of(answer: &ApiResponse) -> Map<String, Value> {
    match serde_json::from_str(&answer.body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn index(body: &Map<String, Value>, info: &str, name: &str) -> Option<usize> {
    let n = body.get(info)?.get(name)?.as_u64()?;
    usize::try_from(n).ok()
}

/// What the mock's answer means to token-core, mapped as the sdk-adapter maps the SDK's result
/// (modeled errors first, then throttle and server-error codes, then the HTTP status).
pub fn outcome_of(operation: &str, answer: &ApiResponse) -> Outcome {
    let body = body_of(answer);
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let message = text("message").unwrap_or_default();
    match answer.error_type {
        None if operation == "PutLogEvents" => Outcome::Accepted {
            next_sequence_token: text("nextSequenceToken"),
            rejected: RejectedInfo {
                too_new_start_index: index(
                    &body,
                    "rejectedLogEventsInfo",
                    "tooNewLogEventStartIndex",
                ),
                too_old_end_index: index(&body, "rejectedLogEventsInfo", "tooOldLogEventEndIndex"),
                expired_end_index: index(&body, "rejectedLogEventsInfo", "expiredLogEventEndIndex"),
            },
        },
        None => Outcome::Created,
        Some("ResourceAlreadyExistsException") => Outcome::AlreadyExists,
        Some("InvalidSequenceTokenException") => Outcome::InvalidSequenceToken {
            expected: text("expectedSequenceToken"),
        },
        Some("DataAlreadyAcceptedException") => Outcome::DataAlreadyAccepted {
            expected: text("expectedSequenceToken"),
        },
        Some("ResourceNotFoundException") => Outcome::ResourceNotFound {
            what: if operation != "PutLogEvents" || message.contains("log group") {
                Missing::LogGroup
            } else if message.contains("log stream") {
                Missing::LogStream
            } else {
                Missing::Unknown
            },
        },
        Some("ThrottlingException") => Outcome::Throttled,
        Some("ServiceUnavailableException") => Outcome::ServiceUnavailable,
        Some("InternalServerException") => Outcome::ServerError {
            status: answer.status,
        },
        Some("InvalidParameterException") => Outcome::InvalidParameter { message },
        Some(code) => Outcome::Fatal {
            code: code.to_owned(),
            message,
        },
    }
}

/// For a successful PutLogEvents answer, the indexes of the batch that were stored, read from its
/// `rejectedLogEventsInfo` with AWS's semantics (too new from its index on, too old and expired
/// before theirs).
pub fn stored_range(answer: &ApiResponse, len: usize) -> Range<usize> {
    let body = body_of(answer);
    let info = "rejectedLogEventsInfo";
    let old = index(&body, info, "tooOldLogEventEndIndex").unwrap_or(0);
    let expired = index(&body, info, "expiredLogEventEndIndex").unwrap_or(0);
    let start = old.max(expired).min(len);
    let end = index(&body, info, "tooNewLogEventStartIndex")
        .unwrap_or(len)
        .min(len);
    start..end.max(start)
}
