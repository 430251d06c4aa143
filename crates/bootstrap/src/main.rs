//! `backup-bootstrap` Lambda: the CloudFormation custom resource that creates the tag policy and the backup plan.
// The custom resource awaits the whole bootstrap (policies, plans, selections) in one future: its layout nests deeper
// than rustc's default query depth.
#![recursion_limit = "256"]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use superwerker_backup_aws::Aws;
use superwerker_backup_bootstrap::custom_resource::{respond, send, Request};
use superwerker_backup_domain::TagSettings;

/// Time kept back from the Lambda deadline to deliver the answer.
const RESERVE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = Aws::from_env().await;
    let settings = TagSettings::from_lookup(|name| std::env::var(name).ok())?;
    let (aws, settings) = (&aws, &settings);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let request: Request = serde_json::from_value(event.payload)
            .map_err(|e| format!("not a CloudFormation custom resource request: {e}"))?;
        let budget = budget(event.context.deadline);
        let response = respond(aws, settings, &request, budget).await;
        send(&request.response_url, &response, RESERVE / 2).await?;
        Ok::<Value, Error>(serde_json::to_value(&response)?)
    }))
    .await
}

/// The time left for the work: until the deadline less the reserve; at least 1 s; 5 minutes when no deadline is known
/// (`cargo lambda watch` sends none).
fn budget(deadline_ms: u64) -> Duration {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    if deadline_ms <= now_ms {
        return Duration::from_secs(300);
    }
    Duration::from_millis(deadline_ms - now_ms)
        .saturating_sub(RESERVE)
        .max(Duration::from_secs(1))
}
