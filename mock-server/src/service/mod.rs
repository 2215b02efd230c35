//! The decision: one API request in, one answer out, as a plain function of (state, request, now).
//!
//! Nothing in here knows about hyper, sockets or the clock: [`State::decide`] is what the server
//! calls for every API request, and what tests call directly. Each operation lives in its own
//! module; this one dispatches on the operation name and holds what they share.

mod filter;
pub(crate) mod filter_pattern;
mod get;
mod groups;
mod put;
mod retention;
pub(crate) mod store;
mod streams;
mod tags;
mod validate;

use serde_json::Value;

use crate::catalogue::Operation;
use crate::config::Config;
use crate::protocol::envelope::{ApiRequest, ApiResponse};
use crate::protocol::errors::ApiError;
use crate::protocol::members::{Members, Violations};
use crate::protocol::names::{self, Arns};

use store::{LogGroup, Store};

use std::sync::Arc;

/// Everything a decision reads and changes: the configuration and the store.
#[derive(Debug, Default)]
pub struct State {
    /// The configuration the mock was started with.
    pub config: Config,
    /// The stored groups, streams and events.
    pub store: Store,
}

/// One decided request: the answer, and the decision's own account of what it stored, so that
/// counters never have to read the answer back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The answer to send.
    pub response: ApiResponse,
    /// What an accepted PutLogEvents stored; `None` for every other decision.
    pub stored: Option<Stored>,
}

/// What one accepted PutLogEvents stored (after dropping the events rejected for their time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stored {
    /// Events stored.
    pub events: u64,
    /// UTF-8 bytes of their messages.
    pub bytes: u64,
}

/// What one operation sees of its request.
pub(crate) struct Ctx<'a> {
    pub state: &'a State,
    pub members: Members<'a>,
    pub arns: Arns<'a>,
    pub now: i64,
}

type OpResult = Result<Value, ApiError>;

/// The handler of an operation the mock implements, decided on the body's generic members after
/// they passed the catalogue's validation. PutLogEvents is decided apart, on its typed input.
type Handler = fn(&Ctx<'_>) -> OpResult;

/// The handler of `operation`, or `None` when the mock does not implement it yet.
fn handler(operation: Operation) -> Option<Handler> {
    use Operation as Op;
    Some(match operation {
        Op::CreateLogGroup => groups::create_log_group,
        Op::DeleteLogGroup => groups::delete_log_group,
        Op::DescribeLogGroups => groups::describe_log_groups,
        Op::CreateLogStream => streams::create_log_stream,
        Op::DeleteLogStream => streams::delete_log_stream,
        Op::DescribeLogStreams => streams::describe_log_streams,
        Op::GetLogEvents => get::get_log_events,
        Op::FilterLogEvents => filter::filter_log_events,
        Op::PutRetentionPolicy => retention::put_retention_policy,
        Op::DeleteRetentionPolicy => retention::delete_retention_policy,
        Op::TagResource => tags::tag_resource,
        Op::UntagResource => tags::untag_resource,
        Op::ListTagsForResource => tags::list_tags_for_resource,
        Op::TagLogGroup => tags::tag_log_group,
        Op::UntagLogGroup => tags::untag_log_group,
        Op::ListTagsLogGroup => tags::list_tags_log_group,
        _ => return None,
    })
}

/// The model constraints of `operation` that its shape cannot express, added to the violations
/// the catalogue found so that AWS's one message lists them all.
fn beyond_the_model(operation: Operation, members: &Members<'_>, v: &mut Violations) {
    if operation == Operation::PutRetentionPolicy {
        retention::check_days(members, v);
    }
}

impl State {
    /// A state with an empty store.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            store: Store::new(),
        }
    }

    /// Whether this mock decides `operation`; every other operation of the catalogue is answered
    /// with `UnknownOperationException` saying that cwlogs-mock does not implement it yet.
    pub fn implements(operation: Operation) -> bool {
        operation == Operation::PutLogEvents || handler(operation).is_some()
    }

    /// Decides the answer to `request` at time `now_ms` (ms since the epoch), changing the store as
    /// the operation requires. Never panics on any input: malformed requests get AWS's errors.
    pub fn decide(&self, request: &ApiRequest, now_ms: i64) -> ApiResponse {
        self.decision(request, now_ms).response
    }

    /// [`State::decide`], with the decision's account of what it stored.
    pub fn decision(&self, request: &ApiRequest, now_ms: i64) -> Decision {
        let Some(operation) = request.known_operation() else {
            return answer(Err(ApiError::unknown_operation()));
        };
        if operation == Operation::PutLogEvents {
            // Decided on its typed input (read without a `Value` tree when the fast path took
            // the body), validated against the same catalogue shapes.
            let result = request
                .put_input()
                .and_then(|input| put::put_log_events(self, &input, now_ms));
            return match result {
                Ok((value, stored)) => Decision {
                    response: ApiResponse::ok(value),
                    stored: Some(stored),
                },
                Err(e) => answer(Err(e)),
            };
        }
        let body = match &*request.body {
            Ok(body) => body,
            Err(e) => return answer(Err(e.clone())),
        };
        let members = Members::new(body);
        // Every operation of the catalogue is validated, implemented or not: a malformed request
        // gets AWS's answer before the mock says what it cannot do.
        let checked = validate::body(operation, body).and_then(|mut v| {
            beyond_the_model(operation, &members, &mut v);
            v.finish()
        });
        if let Err(e) = checked {
            return answer(Err(e));
        }
        let Some(handler) = handler(operation) else {
            return answer(Err(ApiError::not_implemented(operation)));
        };
        let ctx = Ctx {
            state: self,
            members,
            arns: Arns {
                region: request.region.as_deref().unwrap_or(&self.config.region),
                account_id: &self.config.account_id,
            },
            now: now_ms,
        };
        answer(handler(&ctx))
    }
}

fn answer(result: OpResult) -> Decision {
    let response = match result {
        Ok(Value::Null) => ApiResponse::empty(),
        Ok(value) => ApiResponse::ok(value),
        Err(e) => e.into_response(),
    };
    Decision {
        response,
        stored: None,
    }
}

/// Reads `logGroupName` XOR `logGroupIdentifier` (the Describe/Get/Filter operations accept
/// either); returns the group name when exactly one is present.
pub(crate) fn group_name_or_identifier<'a>(m: &Members<'a>) -> Result<Option<&'a str>, ApiError> {
    let name = m.string("logGroupName")?;
    let identifier = m.string("logGroupIdentifier")?;
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
    use super::validate::rust_pattern;
    use super::*;
    use crate::catalogue::shape::{Kind, Member};
    use serde_json::{json, Map};

    fn call(state: &State, operation: Operation, body: Value) -> ApiResponse {
        state.decide(&ApiRequest::json(operation.name(), body), 0)
    }

    fn message(response: &ApiResponse) -> String {
        serde_json::from_str::<Value>(&response.body).unwrap()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn input_members(operation: Operation) -> &'static [Member] {
        match operation.input().map(|id| &id.shape().kind) {
            Some(Kind::Structure { members }) => members,
            _ => &[],
        }
    }

    /// A value the model's Java pattern refuses, of a length the shape allows.
    fn breaking(pattern: &str, min: Option<u64>, max: Option<u64>) -> Option<String> {
        let re = regex::Regex::new(&rust_pattern(pattern)).unwrap();
        let min = usize::try_from(min.unwrap_or(0)).unwrap();
        let max = max.map_or(usize::MAX, |m| usize::try_from(m).unwrap());
        [
            "\u{7}", " ", ":", "*", "\u{e9}", "$", "!", "a b", "::", "**", "\\",
        ]
        .iter()
        .map(|c| c.repeat(min.max(1)))
        .find(|v| v.chars().count() <= max && !re.is_match(v))
    }

    #[test]
    fn every_implemented_operation_is_dispatched_and_the_rest_say_so() {
        let state = State::new(Config::default());
        for operation in Operation::ALL {
            let required: Vec<&Member> = input_members(operation)
                .iter()
                .filter(|m| m.required)
                .collect();
            if !required.is_empty() {
                continue;
            }
            let response = call(&state, operation, json!({}));
            let not_yet = format!("cwlogs-mock does not implement {} yet", operation.name());
            let says_not_yet = response.body.contains(&not_yet);
            assert_eq!(
                says_not_yet,
                !State::implements(operation),
                "{}: {}",
                operation.name(),
                response.body
            );
        }
        let unknown = state.decide(&ApiRequest::json("Nope", json!({})), 0);
        assert_eq!(unknown.error_type, Some("UnknownOperationException"));
        assert_eq!(Operation::ALL.len(), 113);
    }

    /// Every operation of the catalogue, each validated from its input shape: every missing
    /// required member, a string one character past its longest, and a value its pattern refuses,
    /// each with AWS's wording.
    #[test]
    fn every_operation_validates_its_input_from_the_catalogue() {
        let state = State::new(Config::default());
        let (mut missing, mut too_long, mut patterns) = (0, 0, 0);
        for operation in Operation::ALL {
            let members = input_members(operation);
            let required: Vec<&str> = members
                .iter()
                .filter(|m| m.required)
                .map(|m| m.name)
                .collect();
            if !required.is_empty() {
                let response = call(&state, operation, json!({}));
                assert_eq!(
                    response.error_type,
                    Some("InvalidParameterException"),
                    "{}",
                    operation.name()
                );
                let text = message(&response);
                let noun = if required.len() == 1 {
                    "error"
                } else {
                    "errors"
                };
                assert!(
                    text.starts_with(&format!("{} validation {noun} detected: ", required.len())),
                    "{text}"
                );
                for name in &required {
                    let expected = format!("Value null at '{name}' failed to satisfy constraint: Member must not be null");
                    assert!(text.contains(&expected), "{}: {text}", operation.name());
                }
                missing += 1;
            }
            for member in members {
                let Kind::String {
                    min,
                    max,
                    pattern,
                    values,
                } = &member.shape.shape().kind
                else {
                    continue;
                };
                if !values.is_empty() {
                    continue;
                }
                if let Some(max) = max {
                    let long = "a".repeat(usize::try_from(*max).unwrap() + 1);
                    let mut body = Map::new();
                    body.insert(member.name.to_owned(), long.clone().into());
                    let text = message(&call(&state, operation, Value::Object(body)));
                    let expected = format!("Value '{long}' at '{}' failed to satisfy constraint: Member must have length less than or equal to {max}", member.name);
                    assert!(
                        text.contains(&expected),
                        "{}.{}: {text}",
                        operation.name(),
                        member.name
                    );
                    too_long += 1;
                }
                if let Some(p) = pattern {
                    let Some(bad) = breaking(p, *min, *max) else {
                        continue;
                    };
                    let mut body = Map::new();
                    body.insert(member.name.to_owned(), bad.clone().into());
                    let text = message(&call(&state, operation, Value::Object(body)));
                    let expected = format!("Value '{bad}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: {p}", member.name);
                    assert!(
                        text.contains(&expected),
                        "{}.{}: {text}",
                        operation.name(),
                        member.name
                    );
                    patterns += 1;
                }
            }
        }
        // The table is the whole model, not a handful of operations.
        assert!(
            missing > 80 && too_long > 100 && patterns > 80,
            "{missing} {too_long} {patterns}"
        );
    }
}
