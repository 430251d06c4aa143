//! STS: who the credentials belong to.

use aws_config::SdkConfig;

use crate::config::client;
use crate::error::{AdapterError, ErrorKind};
use crate::CallCounter;

/// The account of the credentials in use (STS GetCallerIdentity; needs no permission).
pub async fn caller_account(sdk: &SdkConfig, calls: &CallCounter) -> Result<String, AdapterError> {
    asked(sdk, calls, None).await
}

/// The account entered as the role `role_arn` (`sdk` from [`assuming`]): its first call assumes the role, so a
/// refusal is told here, as STS words it.
pub async fn entered_account(sdk: &SdkConfig, calls: &CallCounter, role_arn: &str) -> Result<String, AdapterError> {
    asked(sdk, calls, Some(role_arn)).await
}

async fn asked(sdk: &SdkConfig, calls: &CallCounter, role_arn: Option<&str>) -> Result<String, AdapterError> {
    let out = client!(aws_sdk_sts, sdk, calls)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            role_arn
                .and_then(|role| refused(role, &e))
                .unwrap_or_else(|| AdapterError::from_sdk("STS.GetCallerIdentity", "caller", e.into_service_error()))
        })?;
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

/// `sdk` with the credentials of the role `role_arn`: STS AssumeRole through the SDK's own provider, which the
/// configuration's identity cache keeps and renews before they expire, so every client of the result shares one
/// assumed session. Nothing is called yet: [`entered_account`] is the first call.
pub async fn assuming(sdk: &SdkConfig, role_arn: &str, session: &str) -> SdkConfig {
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name(session)
        .configure(sdk)
        .build()
        .await;
    sdk.to_builder()
        .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(provider))
        .build()
}

/// STS's answer to AssumeRole, where it is in the error's causes (a call that could not get the role's credentials).
fn refused(role_arn: &str, e: &(dyn std::error::Error + 'static)) -> Option<AdapterError> {
    type AssumeRoleFailure = aws_sdk_sts::error::SdkError<
        aws_sdk_sts::operation::assume_role::AssumeRoleError,
        aws_smithy_runtime_api::http::Response,
    >;
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(failure) = c.downcast_ref::<AssumeRoleFailure>() {
            return Some(match failure {
                aws_sdk_sts::error::SdkError::ServiceError(se) => {
                    AdapterError::from_sdk("STS.AssumeRole", role_arn, se.err().meta().clone())
                }
                other => AdapterError::local(
                    "STS.AssumeRole",
                    role_arn,
                    ErrorKind::Other,
                    aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
                ),
            });
        }
        cause = c.source();
    }
    None
}
