//! Amazon SQS: how many events wait in the stack's dead-letter queue. The daily digest tells of them, because a stack
//! that forwards its alerts to the organization's central bus has no other way to: its `-dlq` alarm's state change
//! travels the same way as what failed (README, Alerts).

use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;

use crate::error::{AdapterError, ErrorKind};

/// What reading the queue's depth needs (Service Authorization Reference: `sqs:GetQueueAttributes` on the queue).
pub(crate) const DEPTH_ACTIONS: &[&str] = &["sqs:GetQueueAttributes"];

#[derive(Clone, Debug)]
pub struct DeadLetterQueue {
    client: Client,
    url: String,
}

impl DeadLetterQueue {
    pub fn new(client: Client, url: &str) -> Self {
        DeadLetterQueue {
            client,
            url: url.to_owned(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The messages available to receive (`ApproximateNumberOfMessages`, the figure the `-dlq` alarm watches as
    /// `ApproximateNumberOfMessagesVisible`; SQS API reference, GetQueueAttributes: approximate).
    pub async fn waiting(&self) -> Result<u64, AdapterError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("SQS.GetQueueAttributes", &self.url, e.into_service_error()))?;
        let text = out
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .cloned()
            .unwrap_or_default();
        text.parse().map_err(|_| {
            AdapterError::local(
                "SQS.GetQueueAttributes",
                &self.url,
                ErrorKind::Other,
                format!("ApproximateNumberOfMessages is not a number: {text:?}"),
            )
        })
    }
}
