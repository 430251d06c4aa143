//! Why an invocation failed. It fails loudly so Lambda retries it and the dead-letter queue keeps the event.

use superwerker_backup_aws::AdapterError;
use superwerker_backup_domain::{EventError, SettingsError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TaggerError {
    #[error("bad event: {0}")]
    Event(#[from] EventError),
    #[error("configuration: {0}")]
    Settings(#[from] SettingsError),
    #[error("configuration: {name} must be a whole number, got {value:?}")]
    BadNumber { name: &'static str, value: String },
    #[error("cannot tell this function's account: its ARN {arn:?} names none, and asking STS failed: {source}")]
    NoAccount { arn: String, source: Box<AdapterError> },
    #[error("not an EventBridge event: {0}")]
    NotAnEvent(String),
    #[error("{resource}: {source}")]
    Aws {
        resource: String,
        source: Box<AdapterError>,
    },
    #[error("{failed} of {total} {what} could not be tagged: {details}")]
    Partial {
        what: &'static str,
        failed: usize,
        total: usize,
        details: String,
    },
    #[error("{resource}: still not visible after {attempts} attempts over {waited_ms} ms: {source}")]
    NotVisible {
        resource: String,
        attempts: u32,
        waited_ms: u128,
        source: Box<AdapterError>,
    },
}

impl TaggerError {
    /// A short type name for the Lambda error report.
    pub fn kind(&self) -> &'static str {
        match self {
            TaggerError::Event(_) | TaggerError::NotAnEvent(_) => "BadEvent",
            TaggerError::Settings(_) | TaggerError::BadNumber { .. } | TaggerError::NoAccount { .. } => "Configuration",
            TaggerError::Aws { .. } | TaggerError::Partial { .. } => "AwsError",
            TaggerError::NotVisible { .. } => "ResourceNotVisible",
        }
    }

    pub(crate) fn aws(resource: &str, source: AdapterError) -> TaggerError {
        TaggerError::Aws {
            resource: resource.to_owned(),
            source: Box::new(source),
        }
    }
}

impl From<TaggerError> for lambda_runtime::Diagnostic {
    fn from(e: TaggerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.kind().to_owned(),
            error_message: e.to_string(),
        }
    }
}
