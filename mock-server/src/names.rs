//! Names, identifiers and ARNs of log groups and streams, validated per the service model.

use crate::api_error::ApiError;
use crate::input::Violations;

/// The model's pattern for `logGroupName`, as AWS prints it in validation messages.
pub const GROUP_NAME_PATTERN: &str = r"[\.\-_/#A-Za-z0-9]+";
/// The model's pattern for `logStreamName`.
pub const STREAM_NAME_PATTERN: &str = "[^:*]*";
/// The model's pattern for `logGroupIdentifier`.
pub const GROUP_IDENTIFIER_PATTERN: &str = r"[\w#+=/:,.@-]*";
/// Longest group or stream name.
pub const MAX_NAME_LEN: usize = 512;

/// Whether `name` matches [`GROUP_NAME_PATTERN`] (non-empty, allowed characters only).
pub fn is_group_name_chars(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#'))
}

/// Whether `name` matches [`STREAM_NAME_PATTERN`].
pub fn is_stream_name_chars(name: &str) -> bool {
    !name.contains([':', '*'])
}

/// Whether `id` matches [`GROUP_IDENTIFIER_PATTERN`].
pub fn is_group_identifier_chars(id: &str) -> bool {
    // `\w` in the model's (Java) pattern is ASCII-only.
    id.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '#' | '+' | '=' | '/' | ':' | ',' | '.' | '@' | '-')
    })
}

/// Records the model violations of a group name at `member` (pattern first, then length, the order
/// AWS lists them in).
pub fn check_group_name(v: &mut Violations, member: &str, name: &str) {
    v.pattern(member, name, GROUP_NAME_PATTERN, is_group_name_chars(name));
    v.length(member, name, 1, MAX_NAME_LEN);
}

/// Records the model violations of a stream name at `member`.
pub fn check_stream_name(v: &mut Violations, member: &str, name: &str) {
    v.pattern(
        member,
        name,
        STREAM_NAME_PATTERN,
        is_stream_name_chars(name),
    );
    v.length(member, name, 1, MAX_NAME_LEN);
}

/// Records the model violations of a `logGroupIdentifier` at `member`.
pub fn check_group_identifier(v: &mut Violations, member: &str, id: &str) {
    v.pattern(
        member,
        id,
        GROUP_IDENTIFIER_PATTERN,
        is_group_identifier_chars(id),
    );
    v.length(member, id, 1, 2048);
}

/// The rule beyond the model: groups may not start with `aws/` (any case), which AWS reserves.
pub fn check_group_name_not_reserved(name: &str) -> Result<(), ApiError> {
    if name
        .get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("aws/"))
    {
        return Err(ApiError::invalid_parameter(
            "Log groups starting with AWS/ are reserved for AWS.",
        ));
    }
    Ok(())
}

/// The group name inside a `logGroupIdentifier`, which is either a name or a group ARN (with or
/// without the trailing `:*`).
pub fn group_name_from_identifier(id: &str) -> &str {
    if !id.starts_with("arn:") {
        return id;
    }
    match id.split_once(":log-group:") {
        Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest),
        None => id,
    }
}

/// Parses a taggable resource ARN `arn:<partition>:logs:<region>:<account>:log-group:<name>`
/// (no trailing `:*`) into the group name; `None` when it is not a log group ARN.
pub fn group_name_from_resource_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(7, ':');
    let (arn_word, _partition, service, _region, _account, kind, name) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn_word != "arn" || service != "logs" || kind != "log-group" || name.is_empty() {
        return None;
    }
    Some(name)
}

/// ARNs of one region and account.
#[derive(Debug, Clone, Copy)]
pub struct Arns<'a> {
    /// Region shown in ARNs.
    pub region: &'a str,
    /// Account shown in ARNs.
    pub account_id: &'a str,
}

impl Arns<'_> {
    /// `arn:aws:logs:R:A:log-group:NAME` (the taggable form, DescribeLogGroups' `logGroupArn`).
    pub fn group(&self, group: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{group}",
            self.region, self.account_id
        )
    }

    /// `arn:aws:logs:R:A:log-group:NAME:*` (DescribeLogGroups' `arn`).
    pub fn group_star(&self, group: &str) -> String {
        format!("{}:*", self.group(group))
    }

    /// `arn:aws:logs:R:A:log-group:G:log-stream:S`.
    pub fn stream(&self, group: &str, stream: &str) -> String {
        format!("{}:log-stream:{stream}", self.group(group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_follow_the_model() {
        assert!(is_group_name_chars("/app/web-1_x.y#z"));
        assert!(!is_group_name_chars("with space"));
        assert!(!is_group_name_chars(""));
        assert!(check_group_name_not_reserved("aws/lambda").is_err());
        assert!(check_group_name_not_reserved("AWS/x").is_err());
        assert!(check_group_name_not_reserved("/aws/lambda/f").is_ok());
        assert!(check_group_name_not_reserved("é/aws").is_ok());
    }

    #[test]
    fn identifiers_and_arns() {
        assert_eq!(group_name_from_identifier("g"), "g");
        assert_eq!(
            group_name_from_identifier("arn:aws:logs:us-east-1:123456789012:log-group:/a/b:*"),
            "/a/b"
        );
        assert_eq!(
            group_name_from_resource_arn("arn:aws:logs:us-east-1:123456789012:log-group:/a/b"),
            Some("/a/b")
        );
        assert_eq!(group_name_from_resource_arn("arn:aws:s3:::bucket"), None);
    }
}
