//! Reading request members the way AWS's JSON front end does.
//!
//! Two kinds of failure, answered differently by AWS:
//! - a member of the wrong JSON type is a `SerializationException` (the body could not be bound to
//!   the operation's input shape), reported at once;
//! - a value that binds but breaks a model constraint (required, length, range, pattern, enum) is an
//!   `InvalidParameterException` whose message lists every violation:
//!   `1 validation error detected: Value '' at 'nextToken' failed to satisfy constraint: ...`
//!   (CLOUDWATCH.md §1.4). [`Violations`] collects them in the order they are found.
//!
//! JSON `null` counts as absent, as it does for AWS.

use serde_json::{Map, Value};

use crate::protocol::errors::ApiError;

/// Typed access to the members of one JSON object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Members<'a> {
    object: &'a Map<String, Value>,
}

impl<'a> Members<'a> {
    /// Wraps a JSON object.
    pub(crate) fn new(object: &'a Map<String, Value>) -> Self {
        Self { object }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        match self.object.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// A string member.
    pub(crate) fn string(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(mismatch(other, "a String")),
        }
    }

    /// An Integer (32-bit) member.
    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|v| i32::try_from(*v).is_ok())
                .map(Some)
                .ok_or_else(|| mismatch_number("an Integer")),
            Some(other) => Err(mismatch(other, "an Integer")),
        }
    }

    /// A Long (64-bit) member.
    pub(crate) fn long(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| mismatch_number("a Long")),
            Some(other) => Err(mismatch(other, "a Long")),
        }
    }

    /// A Boolean member.
    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(mismatch(other, "a Boolean")),
        }
    }

    /// A list of strings.
    pub(crate) fn string_list(&self, name: &str) -> Result<Option<Vec<&'a str>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().ok_or_else(|| mismatch(v, "a String")))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(mismatch(other, "a List")),
        }
    }

    /// A map of strings to strings, in the order the keys sort.
    pub(crate) fn string_map(
        &self,
        name: &str,
    ) -> Result<Option<Vec<(&'a str, &'a str)>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.as_str(), s))
                        .ok_or_else(|| mismatch(v, "a String"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(mismatch(other, "a Map")),
        }
    }

    /// A list of structures; `null` items are kept as `None` so that their index stays right.
    pub(crate) fn object_list(
        &self,
        name: &str,
    ) -> Result<Option<Vec<Option<Members<'a>>>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Object(m) => Ok(Some(Members::new(m))),
                    other => Err(mismatch(other, "a Structure")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(mismatch(other, "a List")),
        }
    }
}

pub(crate) fn mismatch(value: &Value, target: &str) -> ApiError {
    let message = match value {
        Value::Array(_) => "Start of list found where not expected".to_owned(),
        Value::Object(_) => "Start of structure or map found where not expected.".to_owned(),
        Value::String(_) => format!("STRING_VALUE can not be converted to {target}"),
        Value::Number(_) => format!("NUMBER_VALUE can not be converted to {target}"),
        Value::Bool(true) => format!("TRUE_VALUE can not be converted to {target}"),
        Value::Bool(false) => format!("FALSE_VALUE can not be converted to {target}"),
        Value::Null => format!("NULL_VALUE can not be converted to {target}"),
    };
    ApiError::serialization(Some(message))
}

pub(crate) fn mismatch_number(target: &str) -> ApiError {
    ApiError::serialization(Some(format!(
        "NUMBER_VALUE can not be converted to {target}"
    )))
}

/// Model-constraint violations of one request, reported together as AWS does.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    found: Vec<String>,
}

impl Violations {
    /// No violations yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records a violation of `constraint` by `shown_value` (already quoted, or `null`) at `member`.
    pub(crate) fn push(&mut self, shown_value: &str, member: &str, constraint: &str) {
        self.found.push(format!(
            "Value {shown_value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Records that the required `member` is absent.
    pub(crate) fn missing(&mut self, member: &str) {
        self.push("null", member, "Member must not be null");
    }

    /// Length bounds of a string, counted in characters as AWS counts them.
    pub(crate) fn length(&mut self, member: &str, value: &str, min: usize, max: usize) {
        if length_within(value, min, max) {
            return;
        }
        let len = value.encode_utf16().count();
        if len < min {
            self.push(
                &quote(value),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if len > max {
            self.push(
                &quote(value),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// Length bounds of a list whose rendering is `shown`.
    pub(crate) fn list_length(
        &mut self,
        member: &str,
        shown: &str,
        len: usize,
        min: usize,
        max: usize,
    ) {
        if len < min {
            self.push(
                &quote(shown),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if len > max {
            self.push(
                &quote(shown),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A string that must match the model's regular expression, shown as `pattern_text`.
    pub(crate) fn pattern(&mut self, member: &str, value: &str, pattern_text: &str, ok: bool) {
        if !ok {
            self.push(
                &quote(value),
                member,
                &format!("Member must satisfy regular expression pattern: {pattern_text}"),
            );
        }
    }

    /// Numeric bounds.
    pub(crate) fn range(&mut self, member: &str, value: i64, min: i64, max: i64) {
        if value < min {
            self.push(
                &quote(&value.to_string()),
                member,
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if value > max {
            self.push(
                &quote(&value.to_string()),
                member,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// A string that must be one of `allowed`.
    pub(crate) fn one_of(&mut self, member: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.push(
                &quote(value),
                member,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    /// Whether nothing was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// `Ok` when nothing was found, else the one InvalidParameterException listing everything.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.found.is_empty() {
            return Ok(());
        }
        let n = self.found.len();
        let noun = if n == 1 { "error" } else { "errors" };
        Err(ApiError::invalid_parameter(format!(
            "{n} validation {noun} detected: {}",
            self.found.join("; ")
        )))
    }
}

/// Whether `value`'s length in UTF-16 code units (how AWS counts characters) is within
/// `min..=max`. A UTF-8 string of `b` bytes has between `b / 3` (rounded up) and `b` UTF-16 units,
/// so the byte length alone settles the usual bounds; the units are only counted when it does not.
pub(crate) fn length_within(value: &str, min: usize, max: usize) -> bool {
    let bytes = value.len();
    let (fewest, most) = (bytes.div_ceil(3), bytes);
    if fewest >= min && most <= max {
        return true;
    }
    if most < min || fewest > max {
        return false;
    }
    let units = value.encode_utf16().count();
    (min..=max).contains(&units)
}

/// Quotes a value the way AWS shows it in a validation message.
pub(crate) fn quote(value: &str) -> String {
    format!("'{value}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_violation_reads_like_aws() {
        let mut v = Violations::new();
        v.length("nextToken", "", 1, usize::MAX);
        let err = v.finish().unwrap_err();
        assert_eq!(err.error_type, "InvalidParameterException");
        assert_eq!(
            err.message.unwrap(),
            "1 validation error detected: Value '' at 'nextToken' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
    }

    #[test]
    fn several_violations_are_joined() {
        let mut v = Violations::new();
        v.pattern("logGroupNamePrefix", "", r"[\.\-_/#A-Za-z0-9]+", false);
        v.length("logGroupNamePrefix", "", 1, 512);
        let message = v.finish().unwrap_err().message.unwrap();
        assert!(message.starts_with("2 validation errors detected: Value '' at 'logGroupNamePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+; Value ''"));
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        let body = json!({"limit": "5", "name": 3, "flag": "x"});
        let m = Members::new(body.as_object().unwrap());
        let err = m.integer("limit").unwrap_err();
        assert_eq!(err.error_type, "SerializationException");
        assert_eq!(
            err.message.unwrap(),
            "STRING_VALUE can not be converted to an Integer"
        );
        assert!(m.string("name").is_err());
        assert!(m.boolean("flag").is_err());
        assert_eq!(m.string("absent").unwrap(), None);
    }
}
