//! Validation of a request's body against its operation's input shape in the catalogue: the one
//! place where the model's constraints are checked, before the decision.
//!
//! Two kinds of failure, answered differently by AWS (see [`crate::protocol::members`]):
//! - a member of the wrong JSON type cannot be bound to the input shape: a `SerializationException`
//!   at once, for the first such member in model order;
//! - a value that binds but breaks a constraint (required, length, pattern, enum, range, list or map
//!   size) is collected into [`Violations`], which the caller finishes into the one
//!   `InvalidParameterException` that lists them all (after adding the rules the model cannot
//!   express, such as PutRetentionPolicy's allowed days).
//!
//! How AWS words them, which the existing captures fix: a member's own violations come pattern
//! first, then length, range and enum; a nested member is named by its path
//! (`logEvents.1.member.timestamp`, 1-based); the items of a list of strings and the keys and
//! values of a map are judged together, as `Member must satisfy constraint: [..]` or `Map keys
//! must satisfy constraint: [..]` listing every constraint of the item's shape.
//!
//! The model's patterns are Java regular expressions that must match the whole value; they are
//! translated once for the `regex` crate ([`rust_pattern`]) and kept in the model's spelling for
//! the messages.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::catalogue::model::SHAPES;
use crate::catalogue::shape::{Kind, Member, Shape, ShapeId};
use crate::catalogue::Operation;
use crate::protocol::errors::ApiError;
use crate::protocol::members::{mismatch, mismatch_number, quote, Violations};
use crate::protocol::put_input::{EventInput, PutInput};

/// Members whose value AWS does not echo in a violation (it shows `[...]` instead).
const NOT_ECHOED: &[&str] = &["logGroupIdentifiers"];

/// Checks `body` against the input shape of `operation`. `Err` is a member of the wrong type; the
/// constraint violations are returned for the caller to add to and finish.
pub(crate) fn body(
    operation: Operation,
    body: &Map<String, Value>,
) -> Result<Violations, ApiError> {
    let mut v = Violations::new();
    if let Some(input) = operation.input() {
        if let Kind::Structure { members } = &input.shape().kind {
            structure(members, body, "", &mut v)?;
        }
    }
    Ok(v)
}

fn structure(
    members: &[Member],
    object: &Map<String, Value>,
    prefix: &str,
    v: &mut Violations,
) -> Result<(), ApiError> {
    for member in members {
        // Top-level members are named as they are; only nested ones need their path built.
        let path = |name: &'static str| -> Cow<'static, str> {
            if prefix.is_empty() {
                Cow::Borrowed(name)
            } else {
                Cow::Owned(format!("{prefix}{name}"))
            }
        };
        match object.get(member.name) {
            None | Some(Value::Null) => {
                if member.required {
                    v.missing(&path(member.name));
                }
            }
            Some(value) => check(member.shape, value, &path(member.name), v)?,
        }
    }
    Ok(())
}

/// Checks one present value of shape `id` at `path`.
fn check(id: ShapeId, value: &Value, path: &str, v: &mut Violations) -> Result<(), ApiError> {
    let shape = id.shape();
    match &shape.kind {
        Kind::String { .. } => {
            let text = value.as_str().ok_or_else(|| mismatch(value, "a String"))?;
            string(id, path, text, v);
        }
        Kind::Integer { min, max } => {
            let n = value
                .as_i64()
                .filter(|n| i32::try_from(*n).is_ok())
                .ok_or_else(|| number_mismatch(value, "an Integer"))?;
            range(path, n, *min, *max, v);
        }
        Kind::Long { min, max } => {
            let n = value
                .as_i64()
                .ok_or_else(|| number_mismatch(value, "a Long"))?;
            range(path, n, *min, *max, v);
        }
        Kind::Double { min, max } => {
            let n = value.as_f64().ok_or_else(|| mismatch(value, "a Double"))?;
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                let bound = if min.is_some_and(|m| n < m) {
                    format!("greater than or equal to {}", min.unwrap_or_default())
                } else {
                    format!("less than or equal to {}", max.unwrap_or_default())
                };
                v.push(
                    &quote(&n.to_string()),
                    path,
                    &format!("Member must have value {bound}"),
                );
            }
        }
        Kind::Boolean => {
            value
                .as_bool()
                .ok_or_else(|| mismatch(value, "a Boolean"))?;
        }
        Kind::List { member, min, max } => {
            let items = value.as_array().ok_or_else(|| mismatch(value, "a List"))?;
            let shown = show(path, value);
            size(path, &shown, items.len(), *min, *max, v);
            list_items(*member, items, path, &shown, v)?;
        }
        Kind::Map {
            key,
            value: value_shape,
            min,
            max,
        } => {
            let entries = value.as_object().ok_or_else(|| mismatch(value, "a Map"))?;
            let shown = show(path, value);
            size(path, &shown, entries.len(), *min, *max, v);
            let mut bad_key = false;
            let mut bad_value = false;
            for (k, item) in entries {
                bad_key |= !string_ok(*key, k);
                if !item.is_null() {
                    bad_value |= !scalar_ok(*value_shape, item, path)?;
                }
            }
            if bad_key {
                v.push(
                    &quote(&shown),
                    path,
                    &format!(
                        "Map keys must satisfy constraint: [{}]",
                        all_constraints(*key)
                    ),
                );
            }
            if bad_value {
                v.push(
                    &quote(&shown),
                    path,
                    &format!(
                        "Map values must satisfy constraint: [{}]",
                        all_constraints(*value_shape)
                    ),
                );
            }
        }
        Kind::Structure { members } | Kind::Union { members } => {
            let object = value
                .as_object()
                .ok_or_else(|| mismatch(value, "a Structure"))?;
            structure(members, object, &format!("{path}."), v)?;
        }
    }
    Ok(())
}

/// A number that is not an integer of the right width; anything else is the usual mismatch.
fn number_mismatch(value: &Value, target: &str) -> ApiError {
    if value.is_number() {
        mismatch_number(target)
    } else {
        mismatch(value, target)
    }
}

fn list_items(
    member: ShapeId,
    items: &[Value],
    path: &str,
    shown: &str,
    v: &mut Violations,
) -> Result<(), ApiError> {
    let nested = matches!(
        member.shape().kind,
        Kind::Structure { .. } | Kind::Union { .. } | Kind::List { .. } | Kind::Map { .. }
    );
    let mut bad_item = false;
    for (i, item) in items.iter().enumerate() {
        if item.is_null() {
            continue;
        }
        if nested {
            check(member, item, &format!("{path}.{}.member", i + 1), v)?;
        } else {
            bad_item |= !scalar_ok(member, item, path)?;
        }
    }
    if bad_item {
        v.push(
            &quote(shown),
            path,
            &format!(
                "Member must satisfy constraint: [{}]",
                all_constraints(member)
            ),
        );
    }
    Ok(())
}

/// Whether a list item or map value of a scalar shape keeps its constraints; `Err` when it has
/// the wrong type. Its own violations are judged together by the caller, so `path` (the list's
/// or map's) never reaches a message.
fn scalar_ok(id: ShapeId, value: &Value, path: &str) -> Result<bool, ApiError> {
    let mut v = Violations::new();
    check(id, value, path, &mut v)?;
    Ok(v.is_empty())
}

/// Records the model violations of PutLogEvents' typed input, from the same catalogue shape as
/// every other body: the fast path has no `Value` tree to walk, and a 10,000-event batch must not
/// build a member path per event unless that event breaks a rule. `max_events` is the configured
/// batch limit ([`crate::config::Limits::max_batch_events`], by default the model's 10,000).
///
/// `sequenceToken` is checked only when `strict_tokens`: today's service ignores the token
/// altogether, an empty one included (CLOUDWATCH.md §3.2; the conformance model of `tests/`
/// holds the mock to it), which the model's `min: 1` cannot say.
pub(crate) fn put_log_events(
    input: &PutInput<'_>,
    max_events: usize,
    strict_tokens: bool,
    v: &mut Violations,
) {
    let Some(shape) = Operation::PutLogEvents.input().map(ShapeId::shape) else {
        return;
    };
    let string_member = |name: &str, value: Option<&str>, v: &mut Violations| {
        let Some(member) = shape.member(name) else {
            return;
        };
        match value {
            None if member.required => v.missing(name),
            None => {}
            Some(text) => string(member.shape, name, text, v),
        }
    };
    string_member("logGroupName", input.log_group_name, v);
    string_member("logStreamName", input.log_stream_name, v);
    if let Some(member) = shape.member("logEvents") {
        match input.log_events.as_deref() {
            None if member.required => v.missing("logEvents"),
            None => {}
            Some(events) => {
                if let Kind::List {
                    member: item, min, ..
                } = member.shape.shape().kind
                {
                    let shown = if events.is_empty() { "[]" } else { "[...]" };
                    let max = u64::try_from(max_events).ok();
                    size("logEvents", shown, events.len(), min, max, v);
                    put_events(item.shape(), events, v);
                }
            }
        }
    }
    if strict_tokens {
        string_member("sequenceToken", input.sequence_token, v);
    }
}

/// The events of a batch against the `InputLogEvent` shape.
fn put_events(item: &Shape, events: &[EventInput<'_>], v: &mut Violations) {
    let (Some(timestamp), Some(message)) = (item.member("timestamp"), item.member("message"))
    else {
        return;
    };
    let (ts_min, ts_max) = match timestamp.shape.shape().kind {
        Kind::Long { min, max } => (min, max),
        _ => (None, None),
    };
    for (i, e) in events.iter().enumerate() {
        let path = |name: &str| format!("logEvents.{}.member.{name}", i + 1);
        match e.timestamp {
            None if timestamp.required => v.missing(&path("timestamp")),
            None => {}
            Some(t) if ts_min.is_some_and(|m| t < m) || ts_max.is_some_and(|m| t > m) => {
                range(&path("timestamp"), t, ts_min, ts_max, v);
            }
            Some(_) => {}
        }
        match e.message {
            None if message.required => v.missing(&path("message")),
            None => {}
            Some(text) if !string_ok(message.shape, text) => {
                string(message.shape, &path("message"), text, v);
            }
            Some(_) => {}
        }
    }
}

/// Records the violations of a string of shape `id` at `path`: pattern, then length, then enum.
pub(crate) fn string(id: ShapeId, path: &str, text: &str, v: &mut Violations) {
    let Kind::String {
        min,
        max,
        pattern,
        values,
    } = &id.shape().kind
    else {
        return;
    };
    if let Some(p) = pattern {
        v.pattern(path, text, p, matches_pattern(id, text));
    }
    if min.is_some() || max.is_some() {
        v.length(path, text, to_len(*min, 0), to_len(*max, usize::MAX));
    }
    if !values.is_empty() {
        v.one_of(path, text, values);
    }
}

fn string_ok(id: ShapeId, text: &str) -> bool {
    let mut v = Violations::new();
    string(id, "", text, &mut v);
    v.is_empty()
}

/// Records a violation of a numeric range.
fn range(path: &str, n: i64, min: Option<i64>, max: Option<i64>, v: &mut Violations) {
    if min.is_some() || max.is_some() {
        v.range(path, n, min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX));
    }
}

/// Records a violation of a list's or map's size.
fn size(
    path: &str,
    shown: &str,
    len: usize,
    min: Option<u64>,
    max: Option<u64>,
    v: &mut Violations,
) {
    v.list_length(path, shown, len, to_len(min, 0), to_len(max, usize::MAX));
}

fn to_len(bound: Option<u64>, default: usize) -> usize {
    bound.map_or(default, |b| usize::try_from(b).unwrap_or(usize::MAX))
}

/// Every constraint of a shape, worded as AWS lists them inside `[..]`: length (most, then
/// fewest), pattern, enum, range.
fn all_constraints(id: ShapeId) -> String {
    let mut out: Vec<String> = Vec::new();
    match &id.shape().kind {
        Kind::String {
            min,
            max,
            pattern,
            values,
        } => {
            if let Some(m) = max {
                out.push(format!("Member must have length less than or equal to {m}"));
            }
            // A length rule always has both ends in AWS's wording: an absent minimum is 0.
            if min.is_some() || max.is_some() {
                let m = min.unwrap_or(0);
                out.push(format!(
                    "Member must have length greater than or equal to {m}"
                ));
            }
            if let Some(p) = pattern {
                out.push(format!(
                    "Member must satisfy regular expression pattern: {p}"
                ));
            }
            if !values.is_empty() {
                out.push(format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ));
            }
        }
        Kind::Integer { min, max } | Kind::Long { min, max } => {
            if let Some(m) = max {
                out.push(format!("Member must have value less than or equal to {m}"));
            }
            if let Some(m) = min {
                out.push(format!(
                    "Member must have value greater than or equal to {m}"
                ));
            }
        }
        _ => {}
    }
    out.join(", ")
}

/// A value as AWS shows it in a violation (unquoted): strings as they are, lists of strings as
/// `[a, b]`, lists of structures as `[]` or `[...]`, maps as `{k=v, ..}`.
fn show(path: &str, value: &Value) -> String {
    if NOT_ECHOED.contains(&path) {
        return "[...]".to_owned();
    }
    render(value)
}

fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let inner: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Array(_) => "[...]".to_owned(),
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", render(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// Whether `text` matches the pattern of string shape `id` as a whole (Java's `matches`).
fn matches_pattern(id: ShapeId, text: &str) -> bool {
    static COMPILED: OnceLock<Box<[OnceLock<Option<Regex>>]>> = OnceLock::new();
    let cache = COMPILED.get_or_init(|| SHAPES.iter().map(|_| OnceLock::new()).collect());
    let Some(slot) = cache.get(usize::from(id.0)) else {
        return true;
    };
    let compiled = slot.get_or_init(|| compile(id.shape()));
    // A pattern that does not translate is a bug the catalogue tests catch; at run time it
    // constrains nothing rather than refusing every request.
    compiled.as_ref().is_none_or(|re| re.is_match(text))
}

fn compile(shape: &Shape) -> Option<Regex> {
    let Kind::String {
        pattern: Some(p), ..
    } = &shape.kind
    else {
        return None;
    };
    let compiled = Regex::new(&rust_pattern(p));
    if let Err(e) = &compiled {
        tracing::warn!(shape = shape.name, pattern = p, error = %e, "model pattern not enforced");
    }
    compiled.ok()
}

/// Translates a model pattern (Java syntax, matched whole) into the `regex` crate's syntax,
/// anchored at both ends. Java's `\w`, `\d` and `\s`/`\S` are ASCII-only by default, where the
/// `regex` crate's are Unicode, so they are spelled out; inside a class they become ranges, which
/// also makes `[\w-_]` (a literal `-` after a class in Java) mean what Java reads.
pub(crate) fn rust_pattern(java: &str) -> String {
    const WORD: &str = "0-9A-Za-z_";
    const DIGIT: &str = "0-9";
    const SPACE: &str = r" \t\n\x0B\x0C\r";
    let mut out = String::with_capacity(java.len() + 16);
    out.push_str("^(?:");
    let mut in_class = false;
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push_str(r"\\");
                    break;
                };
                let (set, negated) = match next {
                    'w' => (Some(WORD), false),
                    'd' => (Some(DIGIT), false),
                    's' => (Some(SPACE), false),
                    'W' => (Some(WORD), true),
                    'D' => (Some(DIGIT), true),
                    'S' => (Some(SPACE), true),
                    _ => (None, false),
                };
                match (set, negated, in_class) {
                    (Some(set), false, true) => {
                        out.push_str(set);
                        // After a class shorthand Java reads `-` as a literal, not a range.
                        if chars.peek() == Some(&'-') {
                            chars.next();
                            out.push_str(r"\-");
                        }
                    }
                    (Some(set), false, false) => {
                        out.push('[');
                        out.push_str(set);
                        out.push(']');
                    }
                    (Some(set), true, false) => {
                        out.push_str("[^");
                        out.push_str(set);
                        out.push(']');
                    }
                    // A negated class inside a class has no range form; keep the escape.
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is literal in both dialects.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            // Nested classes (`[a[b]]`) mean union in Java; the model has none, and the `regex`
            // crate would read them as a set operation, so an opening bracket inside is escaped.
            '[' => out.push_str(r"\["),
            other => out.push(other),
        }
    }
    out.push_str(")$");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_pattern_translates_and_compiles() {
        for shape in SHAPES {
            if let Kind::String {
                pattern: Some(p), ..
            } = &shape.kind
            {
                let rust = rust_pattern(p);
                assert!(
                    Regex::new(&rust).is_ok(),
                    "{}: {p} became {rust}, which does not compile",
                    shape.name
                );
            }
        }
    }

    #[test]
    fn java_classes_are_ascii_and_the_whole_value_must_match() {
        let re = Regex::new(&rust_pattern(r"[\w#+=/:,.@-]*")).unwrap();
        assert!(re.is_match("arn:aws:logs:us-east-1:1:log-group:a_b"));
        assert!(!re.is_match("é"));
        let re = Regex::new(&rust_pattern(r"[\w-_]*")).unwrap();
        assert!(re.is_match("a-b_c"));
        assert!(!re.is_match("a b"));
        let re = Regex::new(&rust_pattern("[^:*]*")).unwrap();
        assert!(re.is_match("é/ü x"));
        assert!(!re.is_match("a:b"));
        let re = Regex::new(&rust_pattern(r"^\d{12}$")).unwrap();
        assert!(re.is_match("123456789012"));
        assert!(!re.is_match("١٢٣٤٥٦٧٨٩٠١٢"));
    }
}
