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
        .map_err(|e| match role_arn {
            Some(role) => entering_failed(role, e),
            None => AdapterError::from_sdk("STS.GetCallerIdentity", "caller", e.into_service_error()),
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
        // Its own cache: a shared lazy cache keeps 64 providers at most and drops an arbitrary one beyond that, so an
        // organization of more than 64 account-regions assumed some roles again (measured: 140 AssumeRole for 100).
        .identity_cache(aws_config::identity::IdentityCache::lazy().build())
        .build()
}

/// Why the first call as the role failed: STS's answer to AssumeRole where it is among the causes; a call that got no
/// answer at all (the role's credentials are fetched inside its attempt, so a slow or unreachable STS ends there) is
/// the role's entering failing too; only an answer of GetCallerIdentity itself is told as its own.
fn entering_failed(
    role_arn: &str,
    e: aws_sdk_sts::error::SdkError<
        aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> AdapterError {
    if let Some(refusal) = refused(role_arn, &e) {
        return refusal;
    }
    match e {
        aws_sdk_sts::error::SdkError::ServiceError(se) => {
            AdapterError::from_sdk("STS.GetCallerIdentity", "caller", se.into_err())
        }
        other => AdapterError::local(
            "STS.AssumeRole",
            role_arn,
            ErrorKind::Other,
            format!(
                "no answer as the role: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&other)
            ),
        ),
    }
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
