//! `backup-tagger` Lambda: EventBridge → CloudTrail "AWS API Call via CloudTrail" → tag `superwerker:backup=daily`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use backup_tagger::{handle, Outcome, TaggerConfig, TaggerError};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use superwerker_backup_aws::Aws;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Honours Lambda's AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT (JSON, as the template sets it).
    lambda_runtime::tracing::init_default_subscriber();
    let aws = Aws::from_env().await;
    let region = aws
        .region()
        .ok_or("no AWS region configured (AWS_REGION is set by Lambda; set it when running elsewhere)")?
        .to_owned();
    let config = TaggerConfig::from_lookup(&region, |name| std::env::var(name).ok())?;
    let (aws, config) = (&aws, &config);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| async move {
            let arn = &event.context.invoked_function_arn;
            let account = match config.known_account(arn) {
                Some(account) => account,
                // A local run (cargo lambda watch): the ARN names no account; the credentials' account counts.
                None => aws.caller_account().await.map_err(|e| TaggerError::NoAccount {
                    arn: arn.clone(),
                    source: Box::new(e),
                })?,
            };
            let scope = config.scope(account);
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
