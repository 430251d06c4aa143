//! `backup-backfill` Lambda: a manual invocation `{"dryRun": bool, "regions": [...]}` or the daily EventBridge
//! Scheduled Event (the sweep that catches anything the event path missed). Answers the report as JSON; a partial
//! run (some resources failed) fails the invocation so it is seen (Errors metric, retries), after logging the report.

use std::sync::Arc;

use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use serde::Deserialize;
use serde_json::Value;
use superwerker_backup_aws::Aws;
use superwerker_backup_backfill::{run, BackfillOptions, NoProgress};
use superwerker_backup_domain::TagSettings;

/// Environment variable: regions the scheduled sweep covers (comma-separated; default the function's region).
const ENV_SWEEP_REGIONS: &str = "SUPERWERKER_BACKUP_SWEEP_REGIONS";
/// Environment variable: DynamoDB tables tagged per second at most (default 5, AWS's per-account limit; 0 = no
/// pause, for emulators).
const ENV_DYNAMODB_TAGS_PER_SECOND: &str = "SUPERWERKER_BACKUP_DYNAMODB_TAGS_PER_SECOND";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ManualRequest {
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    regions: Vec<String>,
}

fn options(payload: Value, settings: &TagSettings) -> Result<BackfillOptions, String> {
    let mut opts = BackfillOptions {
        settings: settings.clone(),
        ..BackfillOptions::default()
    };
    if let Ok(rate) = std::env::var(ENV_DYNAMODB_TAGS_PER_SECOND) {
        opts.dynamodb_tags_per_second = rate
            .trim()
            .parse()
            .map_err(|_| format!("{ENV_DYNAMODB_TAGS_PER_SECOND} must be a number, got {rate:?}"))?;
    }
    if payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
        opts.regions = std::env::var(ENV_SWEEP_REGIONS)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        return Ok(opts);
    }
    let manual: ManualRequest = serde_json::from_value(payload).map_err(|e| {
        format!("expected a Scheduled Event or {{\"dryRun\": true|false, \"regions\": [\"eu-central-1\", ...]}}: {e}")
    })?;
    opts.dry_run = manual.dry_run;
    opts.regions = manual.regions;
    Ok(opts)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    superwerker_backup_aws::logging::init_lambda_json();
    let aws = Aws::from_env_adaptive().await;
    let settings = TagSettings::from_lookup(|name| std::env::var(name).ok())?;
    let (aws, settings) = (&aws, &settings);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let opts = options(event.payload, settings).map_err(|e| Diagnostic {
            error_type: "BadRequest".into(),
            error_message: e,
        })?;
        let report = run(aws, &opts, Arc::new(NoProgress)).await.map_err(|e| Diagnostic {
            error_type: "BackfillFailed".into(),
            error_message: e.to_string(),
        })?;
        tracing::info!(report = %serde_json::to_string(&report).unwrap_or_default(), "backfill report");
        if report.partial {
            let failed: Vec<String> = report
                .failures()
                .take(20)
                .map(|f| format!("{}: {}", f.resource, f.error))
                .collect();
            return Err(Diagnostic {
                error_type: "PartialBackfill".into(),
                error_message: format!(
                    "{} resources failed (the others were done): {}",
                    report.failures().count(),
                    failed.join("; ")
                ),
            });
        }
        serde_json::to_value(&report).map_err(|e| Diagnostic {
            error_type: "Serialize".into(),
            error_message: e.to_string(),
        })
    }))
    .await
}
