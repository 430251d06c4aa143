//! `backup-tagger` Lambda: EventBridge → CloudTrail "AWS API Call via CloudTrail" → tag `superwerker:backup=daily`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use backup_tagger::{handle, Outcome, TaggerConfig, TaggerError};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use superwerker_backup_aws::Aws;

#[tokio::main]
async fn main() -> Result<(), Error> {
    superwerker_backup_aws::logging::init_lambda_json();

    let aws = Aws::from_env().await;
    let region = aws
        .region()
        .ok_or("no AWS region configured (AWS_REGION is set by Lambda; set it when running elsewhere)")?
        .to_owned();
    let config = TaggerConfig::from_lookup(&region, |name| std::env::var(name).ok())?;
    let (aws, config) = (&aws, &config);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| async move {
            let scope = config.scope(&event.context.invoked_function_arn)?;
            let deadline = deadline_instant(event.context.deadline);
            let outcome: Result<Outcome, TaggerError> = handle(aws, config, &scope, &event.payload, deadline).await;
            outcome
        },
    ))
    .await
}

/// The invocation's deadline (milliseconds since the epoch) as an `Instant`. A deadline already past is not a real
/// one (`cargo lambda watch` sends the timeout, 600000, instead of a time): then only the attempt limit bounds retries.
fn deadline_instant(deadline_ms: u64) -> Option<Instant> {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
    (deadline_ms > now_ms).then(|| Instant::now() + Duration::from_millis(deadline_ms - now_ms))
}
