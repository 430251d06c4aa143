//! Amazon SNS: the sweep's daily digest of unprotected resources, and the central function's alerts, go to the alert
//! topic.

use aws_sdk_sns::Client;

use crate::error::AdapterError;

/// What publishing needs (Service Authorization Reference: `sns:Publish` on the topic).
pub(crate) const DIGEST_ACTIONS: &[&str] = &["sns:Publish"];

/// SNS's limit on a message's `Subject` (SNS API reference, Publish: "must be ASCII text that begins with a letter,
/// number, or punctuation mark; must not include line breaks or control characters; and must be less than 100
/// characters long").
pub const SUBJECT_MAX_CHARS: usize = 99;

/// An SNS topic alerts are published to.
#[derive(Clone, Debug)]
pub struct AlertTopic {
    client: Client,
    arn: String,
}

impl AlertTopic {
    pub fn new(client: Client, arn: &str) -> Self {
        AlertTopic {
            client,
            arn: arn.to_owned(),
        }
    }

    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// Publishes one message; answers SNS's message id. The subject is made what SNS accepts (ASCII, no line breaks,
    /// under 100 characters) rather than refused.
    pub async fn publish(&self, subject: &str, message: &str) -> Result<String, AdapterError> {
        let out = self
            .client
            .publish()
            .topic_arn(&self.arn)
            .subject(subject_for_sns(subject))
            .message(message)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("SNS.Publish", &self.arn, e.into_service_error()))?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}

/// `subject` as SNS accepts it: printable ASCII only (others become `?`), cut to [`SUBJECT_MAX_CHARS`].
pub fn subject_for_sns(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .take(SUBJECT_MAX_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_made_acceptable_to_sns() {
        assert_eq!(
            subject_for_sns("3 unprotected — eu-west-1\n"),
            "3 unprotected ? eu-west-1?"
        );
        assert_eq!(subject_for_sns(&"x".repeat(300)).len(), SUBJECT_MAX_CHARS);
    }
}
