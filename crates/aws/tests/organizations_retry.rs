//! Organizations `ConcurrentModificationException`, which the emulator never sends, with aws-smithy-mocks: the
//! adapter's retry classifiers make it transient, and the retries are bounded.

use aws_smithy_mocks::{mock, RuleMode};
use superwerker_backup_aws::organizations::Organizations;

/// Our Organizations adapter, with the retry settings `Aws::organizations` gives it, answered by the mocks.
fn organizations_with(rules: &[&aws_smithy_mocks::Rule]) -> Organizations {
    let mut interceptor = aws_smithy_mocks::MockResponseInterceptor::new().rule_mode(RuleMode::Sequential);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let builder = aws_sdk_organizations::Config::builder()
        .behavior_version(aws_sdk_organizations::config::BehaviorVersion::latest())
        .region(aws_sdk_organizations::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_organizations::config::Credentials::for_tests())
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(interceptor);
    Organizations::new(aws_sdk_organizations::Client::from_conf(
        Organizations::retrying(builder).build(),
    ))
}

const CONCURRENT: &str = r#"{"__type":"ConcurrentModificationException","Message":"The target of the operation is currently being modified by a different request."}"#;

// The SDK's backoff sleeps run on tokio's clock, paused here and advanced when idle: the test does not wait seconds.
#[tokio::test(start_paused = true)]
async fn concurrent_modification_is_retried_with_backoff_then_succeeds() {
    let rule = mock!(aws_sdk_organizations::Client::attach_policy)
        .sequence()
        .http_status(400, Some(CONCURRENT.into()))
        .times(2)
        .output(|| aws_sdk_organizations::operation::attach_policy::AttachPolicyOutput::builder().build())
        .build();
    organizations_with(&[&rule])
        .attach("p-1", "r-1")
        .await
        .expect("retried to success");
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn concurrent_modification_retries_are_bounded() {
    let rule = mock!(aws_sdk_organizations::Client::update_policy)
        .sequence()
        .http_status(400, Some(CONCURRENT.into()))
        .times(10)
        .build();
    let err = organizations_with(&[&rule])
        .update_policy("p-1", "{}")
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("ConcurrentModificationException"));
    assert_eq!(
        rule.num_calls(),
        superwerker_backup_aws::organizations::MAX_ATTEMPTS as usize
    );
}
