//! Errors from the AWS adapters, with the AWS error code kept so callers can tell "not visible yet" from the rest.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use thiserror::Error;

const REFUSED: &[&str] = &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"];

#[derive(Debug, Error)]
pub enum AdapterError {
    /// The resource is not visible or not ready yet (just created; eventual consistency). Worth retrying.
    #[error("{operation} on {resource}: not visible yet ({code}): {message}")]
    NotReady {
        operation: &'static str,
        resource: String,
        code: String,
        message: String,
    },
    /// Any other failure, with the AWS error code where the service sent one.
    #[error("{operation} on {resource} failed ({code}): {message}")]
    Failed {
        operation: &'static str,
        resource: String,
        code: String,
        message: String,
    },
}

impl AdapterError {
    pub fn is_not_ready(&self) -> bool {
        matches!(self, AdapterError::NotReady { .. })
    }

    /// IAM refused the call: for a tag write, the role's never-overwrite guard (the resource has the key by now) or
    /// a missing permission. EC2 says `UnauthorizedOperation`, RDS `AccessDenied`, DynamoDB and EFS
    /// `AccessDeniedException`; the Tagging API's per-resource failures with HTTP 403 are mapped to `AccessDenied`.
    pub fn is_refused(&self) -> bool {
        REFUSED.contains(&self.code())
    }

    pub fn code(&self) -> &str {
        match self {
            AdapterError::NotReady { code, .. } | AdapterError::Failed { code, .. } => code,
        }
    }

    /// Maps an SDK error: the codes in `not_ready_codes` mean "not visible yet".
    pub fn from_sdk<E>(operation: &'static str, resource: &str, err: E, not_ready_codes: &[&str]) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().unwrap_or("NoErrorCode").to_owned();
        let message = err
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
        let resource = resource.to_owned();
        if not_ready_codes.contains(&code.as_str()) {
            AdapterError::NotReady {
                operation,
                resource,
                code,
                message,
            }
        } else {
            AdapterError::Failed {
                operation,
                resource,
                code,
                message,
            }
        }
    }
}
