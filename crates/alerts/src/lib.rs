//! What the `backup-alerts` Lambda does with one event of the central alert bus: the domain's message for it
//! (`superwerker_backup_domain::alert`), published to the alert topic. The function exists only in the management
//! account's home region, where the organization's forwarded events arrive (README, Alerts).

use serde::Serialize;
use serde_json::Value;
use superwerker_backup_aws::alerts::AlertTopic;
use superwerker_backup_aws::AdapterError;
use superwerker_backup_domain::alert::{alert, AlertError};

/// Environment variable: the topic the messages go to (the template sets it).
pub const ENV_ALERT_TOPIC_ARN: &str = "SUPERWERKER_BACKUP_ALERT_TOPIC_ARN";

/// What one invocation answers (and logs).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub message_id: String,
    pub subject: String,
    pub account: String,
    pub region: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    /// The event is none the central rule sends, or lacks what its kind always has: the invocation fails, Lambda
    /// retries it and then keeps it in the dead-letter queue (the `-dlq` alarm), rather than dropping it.
    #[error(transparent)]
    NotTold(#[from] AlertError),
    #[error("the alert could not be published: {0}")]
    Publish(#[source] AdapterError),
}

/// Tells `event` to `topic`.
pub async fn handle(topic: &AlertTopic, event: &Value) -> Result<Published, AlertsError> {
    let a = alert(event)?;
    let message_id = topic
        .publish(&a.subject, &a.message)
        .await
        .map_err(AlertsError::Publish)?;
    Ok(Published {
        message_id,
        subject: a.subject,
        account: a.account,
        region: a.region,
    })
}
