//! The Tagging API's per-resource failures, with aws-smithy-mocks: moto's TagResources never reports a failed ARN
//! (it accepts ARNs of deleted resources), so the FailedResourcesMap handling cannot be driven through the emulator.

use std::collections::HashMap;

use aws_sdk_resourcegroupstagging::operation::tag_resources::TagResourcesOutput;
use aws_sdk_resourcegroupstagging::types::{ErrorCode, FailureInfo};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use superwerker_backup_aws::services::tagging::Tagging;
use superwerker_backup_domain::Tag;

#[tokio::test]
async fn failed_arns_come_back_with_their_error_and_the_rest_are_not_failed() {
    let gone = "arn:aws:rds:eu-central-1:123456789012:db:gone";
    let rule = mock!(aws_sdk_resourcegroupstagging::Client::tag_resources)
        .match_requests(|r| {
            r.resource_arn_list().len() == 3
                && r.tags().and_then(|t| t.get("superwerker:backup")).map(String::as_str) == Some("daily")
        })
        .then_output(move || {
            let mut failed = HashMap::new();
            failed.insert(
                gone.to_owned(),
                FailureInfo::builder()
                    .status_code(404)
                    .error_code(ErrorCode::InvalidParameterException)
                    .error_message("DBInstanceNotFound")
                    .build(),
            );
            TagResourcesOutput::builder()
                .set_failed_resources_map(Some(failed))
                .build()
        });
    let tagging = Tagging::new(mock_client!(aws_sdk_resourcegroupstagging, RuleMode::MatchAny, [&rule]));
    let arns = vec![
        "arn:aws:rds:eu-central-1:123456789012:db:a".to_owned(),
        gone.to_owned(),
        "arn:aws:dynamodb:eu-central-1:123456789012:table/t".to_owned(),
    ];
    let failed = tagging
        .tag_resources(&arns, &Tag::new("superwerker:backup", "daily"))
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, gone);
    let message = failed[0].1.to_string();
    assert!(
        message.contains("InvalidParameterException") && message.contains("DBInstanceNotFound"),
        "{message}"
    );
}
