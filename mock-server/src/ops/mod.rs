//! The decision: one API request in, one answer out, as a plain function of (state, request, now).
//!
//! Nothing in here knows about hyper, sockets or the clock: [`State::decide`] is what the server
//! calls for every API request, and what tests call directly. Each operation lives in its own
//! module; this one dispatches on the operation name and holds what they share.

mod filter;
mod get;
mod groups;
mod put;
mod retention;
mod streams;
mod tags;

use serde_json::Value;

use crate::api_error::ApiError;
use crate::config::Config;
use crate::input::{Members, Violations};
use crate::names::{self, Arns};
use crate::store::{LogGroup, Store};
use crate::wire::{ApiRequest, ApiResponse};

use std::sync::Arc;

/// Every operation the mock implements, by its `X-Amz-Target` name.
pub const OPERATIONS: &[&str] = &[
    "CreateLogGroup",
    "DeleteLogGroup",
    "DescribeLogGroups",
    "CreateLogStream",
    "DeleteLogStream",
    "DescribeLogStreams",
    "PutLogEvents",
    "GetLogEvents",
    "FilterLogEvents",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "TagLogGroup",
    "UntagLogGroup",
    "ListTagsLogGroup",
];

/// Everything a decision reads and changes: the configuration and the store.
#[derive(Debug, Default)]
pub struct State {
    /// The configuration the mock was started with.
    pub config: Config,
    /// The stored groups, streams and events.
    pub store: Store,
}

/// What one operation sees of its request.
pub(crate) struct Ctx<'a> {
    pub state: &'a State,
    pub members: Members<'a>,
    pub arns: Arns<'a>,
    pub now: i64,
}

type OpResult = Result<Value, ApiError>;

/// Whether `operation` is one of [`OPERATIONS`].
pub fn is_known_operation(operation: &str) -> bool {
    OPERATIONS.contains(&operation)
}

impl State {
    /// A state with an empty store.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            store: Store::new(),
        }
    }

    /// Decides the answer to `request` at time `now_ms` (ms since the epoch), changing the store as
    /// the operation requires. Never panics on any input: malformed requests get AWS's errors.
    pub fn decide(&self, request: &ApiRequest, now_ms: i64) -> ApiResponse {
        let handler: fn(&Ctx<'_>) -> OpResult = match request.operation.as_str() {
            "CreateLogGroup" => groups::create_log_group,
            "DeleteLogGroup" => groups::delete_log_group,
            "DescribeLogGroups" => groups::describe_log_groups,
            "CreateLogStream" => streams::create_log_stream,
            "DeleteLogStream" => streams::delete_log_stream,
            "DescribeLogStreams" => streams::describe_log_streams,
            // Decided on its typed input (read without a `Value` tree when the fast path took
            // the body), not on the generic members.
            "PutLogEvents" => {
                let result = request
                    .put_input()
                    .and_then(|input| put::put_log_events(self, &input, now_ms));
                return respond(result);
            }
            "GetLogEvents" => get::get_log_events,
            "FilterLogEvents" => filter::filter_log_events,
            "PutRetentionPolicy" => retention::put_retention_policy,
            "DeleteRetentionPolicy" => retention::delete_retention_policy,
            "TagResource" => tags::tag_resource,
            "UntagResource" => tags::untag_resource,
            "ListTagsForResource" => tags::list_tags_for_resource,
            "TagLogGroup" => tags::tag_log_group,
            "UntagLogGroup" => tags::untag_log_group,
            "ListTagsLogGroup" => tags::list_tags_log_group,
            _ => return ApiError::unknown_operation().into_response(),
        };
        let body = match &*request.body {
            Ok(body) => body,
            Err(e) => return e.clone().into_response(),
        };
        let ctx = Ctx {
            state: self,
            members: Members::new(body),
            arns: Arns {
                region: request.region.as_deref().unwrap_or(&self.config.region),
                account_id: &self.config.account_id,
            },
            now: now_ms,
        };
        respond(handler(&ctx))
    }
}

fn respond(result: OpResult) -> ApiResponse {
    match result {
        Ok(Value::Null) => ApiResponse::empty(),
        Ok(value) => ApiResponse::ok(value),
        Err(e) => e.into_response(),
    }
}

/// Reads `logGroupName` XOR `logGroupIdentifier` (the Describe/Get/Filter operations accept
/// either), recording model violations; returns the group name when exactly one is present.
pub(crate) fn group_name_or_identifier<'a>(
    m: &Members<'a>,
    v: &mut Violations,
) -> Result<Option<&'a str>, ApiError> {
    let name = m.string("logGroupName")?;
    let identifier = m.string("logGroupIdentifier")?;
    if let Some(n) = name {
        names::check_group_name(v, "logGroupName", n);
    }
    if let Some(id) = identifier {
        names::check_group_identifier(v, "logGroupIdentifier", id);
    }
    Ok(match (name, identifier) {
        (Some(n), None) => Some(n),
        (None, Some(id)) => Some(names::group_name_from_identifier(id)),
        _ => None,
    })
}

/// The errors for a request that named neither or both of `logGroupName` and `logGroupIdentifier`.
/// AWS's texts for these were not captured; these say what is wrong in AWS's style.
pub(crate) fn group_choice_error(m: &Members<'_>) -> ApiError {
    let both = m.string("logGroupName").ok().flatten().is_some()
        && m.string("logGroupIdentifier").ok().flatten().is_some();
    if both {
        ApiError::invalid_parameter(
            "LogGroupName and LogGroupIdentifier are mutually exclusive parameters.",
        )
    } else {
        ApiError::invalid_parameter("Either LogGroupName or LogGroupIdentifier must be specified.")
    }
}

/// Looks a group up, or AWS's not-found error.
pub(crate) fn require_group(ctx: &Ctx<'_>, name: &str) -> Result<Arc<LogGroup>, ApiError> {
    ctx.state.store.require_group(name)
}

/// Checks `nextToken`'s model constraint (length ≥ 1).
pub(crate) fn check_next_token(v: &mut Violations, token: Option<&str>) {
    if let Some(t) = token {
        v.length("nextToken", t, 1, usize::MAX);
    }
}

/// The error for a pagination token the mock did not issue.
pub(crate) fn invalid_next_token() -> ApiError {
    ApiError::invalid_parameter("The specified nextToken is invalid.")
}

/// Inserts `value` under `key` only when present (AWS omits absent members).
pub(crate) fn put_opt<T: Into<Value>>(
    obj: &mut serde_json::Map<String, Value>,
    key: &str,
    value: Option<T>,
) {
    if let Some(v) = value {
        obj.insert(key.to_owned(), v.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`OPERATIONS`] is a second copy of the names in `decide`'s dispatch; this keeps them equal.
    #[test]
    fn every_listed_operation_is_dispatched() {
        let state = State::new(Config::default());
        for operation in OPERATIONS {
            let response = state.decide(&ApiRequest::json(operation, serde_json::json!({})), 0);
            assert_ne!(
                response.error_type,
                Some("UnknownOperationException"),
                "{operation}"
            );
        }
        let unknown = state.decide(&ApiRequest::json("Nope", serde_json::json!({})), 0);
        assert_eq!(unknown.error_type, Some("UnknownOperationException"));
        assert!(!is_known_operation("Nope"));
    }
}
