//! CreateLogGroup, DeleteLogGroup and DescribeLogGroups through the real SDK.

use crate::support::{start, NOW};
use mock_server::TokenMode;

#[tokio::test]
async fn create_describe_delete_round_trip() {
    let h = start(TokenMode::Current).await;
    h.client
        .create_log_group()
        .log_group_name("/app/web")
        .send()
        .await
        .unwrap();

    let out = h.client.describe_log_groups().send().await.unwrap();
    let groups = out.log_groups();
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!(g.log_group_name(), Some("/app/web"));
    assert_eq!(g.creation_time(), Some(NOW));
    assert_eq!(g.retention_in_days(), None);
    assert_eq!(g.stored_bytes(), Some(0));
    // The region comes from the client's SigV4 credential scope.
    assert_eq!(
        g.arn(),
        Some("arn:aws:logs:eu-west-2:123456789012:log-group:/app/web:*")
    );
    assert_eq!(
        g.log_group_arn(),
        Some("arn:aws:logs:eu-west-2:123456789012:log-group:/app/web")
    );
    assert!(out.next_token().is_none());

    h.client
        .delete_log_group()
        .log_group_name("/app/web")
        .send()
        .await
        .unwrap();
    let out = h.client.describe_log_groups().send().await.unwrap();
    assert!(out.log_groups().is_empty());
}

#[tokio::test]
async fn creating_an_existing_group_is_resource_already_exists() {
    let h = start(TokenMode::Current).await;
    h.client
        .create_log_group()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    let err = h
        .client
        .create_log_group()
        .log_group_name("g")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_already_exists_exception());
    assert_eq!(
        err.meta().message(),
        Some("The specified log group already exists")
    );
}

#[tokio::test]
async fn deleting_a_missing_group_is_resource_not_found() {
    let h = start(TokenMode::Current).await;
    let err = h
        .client
        .delete_log_group()
        .log_group_name("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    assert_eq!(
        err.meta().message(),
        Some("The specified log group does not exist.")
    );
}

#[tokio::test]
async fn names_are_validated_per_the_model() {
    let h = start(TokenMode::Current).await;
    let err = h
        .client
        .create_log_group()
        .log_group_name("has space")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    assert_eq!(
        err.meta().message(),
        Some("1 validation error detected: Value 'has space' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
    );

    let long = "a".repeat(513);
    let err = h
        .client
        .create_log_group()
        .log_group_name(&long)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    assert!(err
        .meta()
        .message()
        .unwrap()
        .ends_with("Member must have length less than or equal to 512"));

    let err = h
        .client
        .create_log_group()
        .log_group_name("aws/lambda")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    assert_eq!(
        err.meta().message(),
        Some("Log groups starting with AWS/ are reserved for AWS.")
    );
}

#[tokio::test]
async fn describe_pages_in_ascii_order_with_prefix_or_pattern() {
    let h = start(TokenMode::Current).await;
    for name in ["b", "a/2", "a/1", "B", "a/3", "c-x"] {
        h.client
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    for _ in 0..10 {
        let out = h
            .client
            .describe_log_groups()
            .limit(2)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        assert!(out.log_groups().len() <= 2);
        seen.extend(
            out.log_groups()
                .iter()
                .map(|g| g.log_group_name().unwrap().to_owned()),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["B", "a/1", "a/2", "a/3", "b", "c-x"]);

    let out = h
        .client
        .describe_log_groups()
        .log_group_name_prefix("a/")
        .send()
        .await
        .unwrap();
    assert_eq!(out.log_groups().len(), 3);

    let out = h
        .client
        .describe_log_groups()
        .log_group_name_pattern("-")
        .send()
        .await
        .unwrap();
    assert_eq!(out.log_groups()[0].log_group_name(), Some("c-x"));

    let err = h
        .client
        .describe_log_groups()
        .log_group_name_prefix("a")
        .log_group_name_pattern("b")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());

    for bad in [0, 51] {
        let err = h
            .client
            .describe_log_groups()
            .limit(bad)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(err.is_invalid_parameter_exception(), "limit {bad}");
    }
}
