//! An SNS topic with an SQS queue subscribed, in the emulator: what a subscriber to the alert topic receives (moto's
//! SNS delivers to SQS subscriptions; the body is SNS's JSON envelope with `Subject` and `Message`).

use anyhow::{Context, Result};
use serde_json::Value;

use crate::{unique, Emulator};

/// A topic and the queue subscribed to it.
pub struct Subscriber {
    pub topic_arn: String,
    pub queue_url: String,
}

impl Emulator {
    /// Creates a topic in this region and subscribes a new queue to it.
    pub async fn topic_with_subscriber(&self) -> Result<Subscriber> {
        let c = self.clients();
        let topic_arn = c
            .sns
            .create_topic()
            .name(unique("alerts"))
            .send()
            .await
            .context("SNS CreateTopic")?
            .topic_arn()
            .context("no TopicArn")?
            .to_owned();
        let queue_url = c
            .sqs
            .create_queue()
            .queue_name(unique("subscriber"))
            .send()
            .await
            .context("SQS CreateQueue")?
            .queue_url()
            .context("no QueueUrl")?
            .to_owned();
        let queue_arn = c
            .sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .context("SQS GetQueueAttributes")?
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
            .context("no QueueArn")?;
        c.sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .context("SNS Subscribe")?;
        Ok(Subscriber { topic_arn, queue_url })
    }

    /// Every message the subscriber's queue holds now (SNS envelopes), read until the queue answers none.
    pub async fn received(&self, s: &Subscriber) -> Result<Vec<Value>> {
        let sqs = self.clients().sqs;
        let mut out = Vec::new();
        loop {
            let page = sqs
                .receive_message()
                .queue_url(&s.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .context("SQS ReceiveMessage")?;
            let messages = page.messages();
            if messages.is_empty() {
                return Ok(out);
            }
            for m in messages {
                out.push(serde_json::from_str(m.body().unwrap_or_default()).context("SNS envelope")?);
                sqs.delete_message()
                    .queue_url(&s.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .context("SQS DeleteMessage")?;
            }
        }
    }
}
