//! STS: who the credentials belong to.

use aws_config::SdkConfig;

use crate::config::client;
use crate::error::{AdapterError, ErrorKind};
use crate::CallCounter;

/// The account of the credentials in use (STS GetCallerIdentity; needs no permission).
pub async fn caller_account(sdk: &SdkConfig, calls: &CallCounter) -> Result<String, AdapterError> {
    let out = client!(aws_sdk_sts, sdk, calls)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AdapterError::from_sdk("STS.GetCallerIdentity", "caller", e.into_service_error()))?;
    out.account.ok_or_else(|| {
        AdapterError::local(
            "STS.GetCallerIdentity",
            "caller",
            ErrorKind::Other,
            "the answer names no account",
        )
    })
}

/// What entering another account needs (Service Authorization Reference: `sts:AssumeRole` on the role).
pub(crate) const ENTER_ACTIONS: &[&str] = &["sts:AssumeRole"];

/// `sdk` with the credentials of the role `role_arn` (STS AssumeRole through the SDK's own provider, which renews them
/// before they expire). The role is assumed once here, so that a refusal is told now, as STS words it.
pub async fn assuming(sdk: &SdkConfig, role_arn: &str, session: &str) -> Result<SdkConfig, AdapterError> {
    use aws_sdk_sts::config::ProvideCredentials;
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name(session)
        .configure(sdk)
        .build()
        .await;
    if let Err(e) = provider.provide_credentials().await {
        return Err(refusal(role_arn, &e));
    }
    Ok(sdk
        .to_builder()
        .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(provider))
        .build())
}

/// STS's answer inside the provider's error (its source), or the provider's own words.
fn refusal(role_arn: &str, e: &(dyn std::error::Error + 'static)) -> AdapterError {
    type AssumeRoleFailure = aws_sdk_sts::error::SdkError<
        aws_sdk_sts::operation::assume_role::AssumeRoleError,
        aws_smithy_runtime_api::http::Response,
    >;
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(aws_sdk_sts::error::SdkError::ServiceError(se)) = c.downcast_ref::<AssumeRoleFailure>() {
            return AdapterError::from_sdk("STS.AssumeRole", role_arn, se.err().meta().clone());
        }
        cause = c.source();
    }
    AdapterError::local("STS.AssumeRole", role_arn, ErrorKind::Other, e.to_string())
}
