//! SDK settings, loaded the standard way (credentials, region, endpoint from the AWS SDK's chain, so
//! `AWS_ENDPOINT_URL` works), and the one way every service client is built.

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;

/// Attempts per request when `AWS_MAX_ATTEMPTS` is not set: rides out a few throttles in a row.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Environment variable: the per-attempt timeout in milliseconds (default 10,000).
pub const ENV_ATTEMPT_TIMEOUT_MS: &str = "SUPERWERKER_BACKUP_ATTEMPT_TIMEOUT_MS";

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// `AWS_MAX_ATTEMPTS`, else `default`; at least 1.
pub(crate) fn max_attempts(default: u32) -> u32 {
    env_number("AWS_MAX_ATTEMPTS").map_or(default, |n| n.clamp(1, u32::MAX as u64) as u32)
}

/// The SDK settings every function starts from: the standard retry mode (jittered exponential backoff on throttling,
/// 5xx and transport errors) with `AWS_MAX_ATTEMPTS` or [`DEFAULT_MAX_ATTEMPTS`] attempts, and a per-attempt timeout
/// (`SUPERWERKER_BACKUP_ATTEMPT_TIMEOUT_MS`, default 10 s) so a request that hangs is retried rather than eating the
/// invocation's time.
pub fn loader() -> aws_config::ConfigLoader {
    let attempt_timeout = Duration::from_millis(env_number(ENV_ATTEMPT_TIMEOUT_MS).unwrap_or(10_000));
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts(DEFAULT_MAX_ATTEMPTS)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(3100))
                .operation_attempt_timeout(attempt_timeout)
                .build(),
        )
}

/// The adaptive retry mode (client-side rate limiting when throttled), for bulk work. `AWS_MAX_ATTEMPTS` still applies.
pub fn adaptive_retry() -> RetryConfig {
    RetryConfig::adaptive().with_max_attempts(max_attempts(DEFAULT_MAX_ATTEMPTS))
}

/// The settings for one region.
pub(crate) fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder().region(Region::new(region.to_owned())).build()
}

/// A service client from `sdk`, with the request counter installed: `client!(aws_sdk_ec2, sdk, calls)`.
macro_rules! client {
    ($service:ident, $sdk:expr, $calls:expr) => {
        $service::Client::from_conf(
            $service::config::Builder::from($sdk)
                .interceptor($calls.clone())
                .build(),
        )
    };
}
pub(crate) use client;
