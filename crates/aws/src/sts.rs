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
