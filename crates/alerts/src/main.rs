//! `backup-alerts` Lambda (management account, home region): each event the central alert bus's rule sends (AWS
//! Backup job events and our alarms' state changes, forwarded by every account and region) becomes one message on the
//! alert topic, naming the account and region the event is about (lib.rs). An event it cannot tell fails the
//! invocation: Lambda retries it, then the dead-letter queue keeps it.

use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use serde_json::Value;
use superwerker_backup_alerts::{handle, AlertsError, ENV_ALERT_TOPIC_ARN};
use superwerker_backup_aws::Aws;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let arn = std::env::var(ENV_ALERT_TOPIC_ARN)
        .ok()
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| format!("{ENV_ALERT_TOPIC_ARN} is not set: the function has no topic to tell"))?;
    let aws = Aws::from_env().await;
    let topic = aws.alert_topic(arn.trim());
    let topic = &topic;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let published = handle(topic, &event.payload).await.map_err(|e| Diagnostic {
            error_type: match e {
                AlertsError::NotTold(_) => "NotAnAlert",
                AlertsError::Publish(_) => "PublishFailed",
            }
            .into(),
            error_message: e.to_string(),
        })?;
        tracing::info!(
            subject = %published.subject,
            message_id = %published.message_id,
            "alert published"
        );
        serde_json::to_value(&published).map_err(|e| Diagnostic {
            error_type: "Serialize".into(),
            error_message: e.to_string(),
        })
    }))
    .await
}
