//! Names, identifiers and ARNs of log groups and streams, validated per the service model.

use crate::protocol::errors::ApiError;

/// The rule beyond the model: groups may not start with `aws/` (any case), which AWS reserves.
pub(crate) fn check_group_name_not_reserved(name: &str) -> Result<(), ApiError> {
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
pub(crate) fn group_name_from_identifier(id: &str) -> &str {
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
pub(crate) fn group_name_from_resource_arn(arn: &str) -> Option<&str> {
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
pub(crate) struct Arns<'a> {
    /// Region shown in ARNs.
    pub region: &'a str,
    /// Account shown in ARNs.
    pub account_id: &'a str,
}

impl Arns<'_> {
    /// `arn:aws:logs:R:A:log-group:NAME` (the taggable form, DescribeLogGroups' `logGroupArn`).
    pub(crate) fn group(&self, group: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{group}",
            self.region, self.account_id
        )
    }

    /// `arn:aws:logs:R:A:log-group:NAME:*` (DescribeLogGroups' `arn`).
    pub(crate) fn group_star(&self, group: &str) -> String {
        format!("{}:*", self.group(group))
    }

    /// `arn:aws:logs:R:A:log-group:G:log-stream:S`.
    pub(crate) fn stream(&self, group: &str, stream: &str) -> String {
        format!("{}:log-stream:{stream}", self.group(group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_starting_with_aws_are_reserved() {
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
