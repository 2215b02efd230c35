//! PutRetentionPolicy, DeleteRetentionPolicy and the tag operations through the real SDK.

use crate::support::start;
use mock_server::TokenMode;

const ARN: &str = "arn:aws:logs:eu-west-2:123456789012:log-group:g";

async fn retention(h: &crate::support::Harness) -> Option<i32> {
    h.client
        .describe_log_groups()
        .send()
        .await
        .unwrap()
        .log_groups()[0]
        .retention_in_days()
}

#[tokio::test]
async fn retention_is_set_shown_and_removed() {
    let h = start(TokenMode::Current).await;
    h.client
        .create_log_group()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    h.client
        .put_retention_policy()
        .log_group_name("g")
        .retention_in_days(30)
        .send()
        .await
        .unwrap();
    assert_eq!(retention(&h).await, Some(30));
    let err = h
        .client
        .put_retention_policy()
        .log_group_name("g")
        .retention_in_days(31)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
    assert_eq!(retention(&h).await, Some(30));
    h.client
        .delete_retention_policy()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    assert_eq!(retention(&h).await, None);
    let err = h
        .client
        .put_retention_policy()
        .log_group_name("missing")
        .retention_in_days(1)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    let err = h
        .client
        .delete_retention_policy()
        .log_group_name("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
}

#[tokio::test]
async fn tag_resource_round_trip() {
    let h = start(TokenMode::Current).await;
    h.client
        .create_log_group()
        .log_group_name("g")
        .tags("created", "yes")
        .send()
        .await
        .unwrap();
    h.client
        .tag_resource()
        .resource_arn(ARN)
        .tags("team", "core")
        .send()
        .await
        .unwrap();
    let tags = h
        .client
        .list_tags_for_resource()
        .resource_arn(ARN)
        .send()
        .await
        .unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags.get("team").map(String::as_str), Some("core"));
    h.client
        .untag_resource()
        .resource_arn(ARN)
        .tag_keys("created")
        .send()
        .await
        .unwrap();
    let tags = h
        .client
        .list_tags_for_resource()
        .resource_arn(ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().unwrap().len(), 1);

    let err = h
        .client
        .list_tags_for_resource()
        .resource_arn("arn:aws:logs:eu-west-2:123456789012:log-group:missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
    let err = h
        .client
        .list_tags_for_resource()
        .resource_arn("not-an-arn")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_parameter_exception());
}

#[tokio::test]
async fn more_than_fifty_tags_is_too_many_tags() {
    let h = start(TokenMode::Current).await;
    h.client
        .create_log_group()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    for i in 0..50 {
        h.client
            .tag_resource()
            .resource_arn(ARN)
            .tags(format!("k{i}"), "v")
            .send()
            .await
            .unwrap();
    }
    let err = h
        .client
        .tag_resource()
        .resource_arn(ARN)
        .tags("one-more", "v")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_too_many_tags_exception(), "{err:?}");
    let aws_sdk_cloudwatchlogs::operation::tag_resource::TagResourceError::TooManyTagsException(e) =
        &err
    else {
        unreachable!()
    };
    assert_eq!(e.resource_name(), Some(ARN));
}

#[tokio::test]
#[allow(deprecated)] // The deprecated operations are part of what the mock must serve.
async fn deprecated_tag_operations() {
    let h = start(TokenMode::Current).await;
    h.client
        .create_log_group()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    h.client
        .tag_log_group()
        .log_group_name("g")
        .tags("a", "1")
        .tags("b", "2")
        .send()
        .await
        .unwrap();
    let out = h
        .client
        .list_tags_log_group()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    assert_eq!(out.tags().unwrap().len(), 2);
    h.client
        .untag_log_group()
        .log_group_name("g")
        .tags("a")
        .send()
        .await
        .unwrap();
    let out = h
        .client
        .list_tags_log_group()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    assert_eq!(out.tags().unwrap().keys().collect::<Vec<_>>(), ["b"]);
    let err = h
        .client
        .list_tags_log_group()
        .log_group_name("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception());
}
