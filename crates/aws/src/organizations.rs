//! AWS Organizations client: policies change rarely but collide often (`ConcurrentModificationException` when two
//! policy writes meet, `TooManyRequestsException` under load). Both are retried by the SDK's standard retry strategy
//! (jittered exponential backoff, bounded attempts): the SDK already knows `TooManyRequestsException` as throttling,
//! and the classifiers below teach it that `ConcurrentModificationException` is transient.

use aws_config::SdkConfig;
use aws_runtime::retries::classifiers::AwsErrorCodeClassifier;
use aws_sdk_organizations::config::Builder;
use aws_sdk_organizations::operation;
use aws_smithy_types::retry::RetryConfig;

use crate::CallCounter;

/// Attempts per Organizations call (the first one included), unless `AWS_MAX_ATTEMPTS` says otherwise.
pub const MAX_ATTEMPTS: u32 = 6;

fn max_attempts() -> u32 {
    std::env::var("AWS_MAX_ATTEMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(MAX_ATTEMPTS)
}

const TRANSIENT: &[&str] = &[
    "ConcurrentModificationException",
    "RequestTimeout",
    "RequestTimeoutException",
];

fn classifier<E>() -> AwsErrorCodeClassifier<E> {
    AwsErrorCodeClassifier::<E>::builder()
        .transient_errors(TRANSIENT)
        .build()
}

/// An Organizations client with the counter and the retry classifiers for every write operation it is used for.
pub fn client(sdk: &SdkConfig, calls: &CallCounter) -> aws_sdk_organizations::Client {
    let config = Builder::from(sdk)
        .interceptor(calls.clone())
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts()))
        .retry_classifier(classifier::<operation::enable_policy_type::EnablePolicyTypeError>())
        .retry_classifier(classifier::<operation::create_policy::CreatePolicyError>())
        .retry_classifier(classifier::<operation::update_policy::UpdatePolicyError>())
        .retry_classifier(classifier::<operation::attach_policy::AttachPolicyError>())
        .retry_classifier(classifier::<operation::detach_policy::DetachPolicyError>())
        .retry_classifier(classifier::<operation::delete_policy::DeletePolicyError>())
        .build();
    aws_sdk_organizations::Client::from_conf(config)
}
