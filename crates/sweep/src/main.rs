//! `backup-backfill` Lambda: a manual invocation `{"dryRun": bool}` or the daily EventBridge Scheduled Event (the sweep
//! that catches anything the event path missed; with the stack's chain table, a sweep that runs out of time goes on in
//! steps, the next one at the tick rule's `{"sweep": "continue"}`: lib's `chain`), always for the function's own
//! region: every region has its own stack, and the role may tag only there. A sweep then audits the region and sends
//! one digest to the alert topic when anything is unprotected (`SUPERWERKER_BACKUP_ALERT_TOPIC_ARN`; lib.rs). Answers
//! the report as JSON, with the audit's counts under `digest`; a partial run (some resources failed) or a digest that
//! could not be sent fails the invocation so it is seen (the dead-letter queue and its alarm), after logging the
//! report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use serde::Deserialize;
use serde_json::Value;
use superwerker_backup_aws::Aws;
use superwerker_backup_backfill::BackfillOptions;
use superwerker_backup_backfill::{run, NoProgress};
use superwerker_backup_domain::chain::Ending;
use superwerker_backup_domain::TagSettings;
use superwerker_backup_sweep::chain::{epoch_ms_now, step, trigger_of, Stepped};
use superwerker_backup_sweep::{
    digest_after, DigestTo, ENV_ALERT_TOPIC_ARN, ENV_DEAD_LETTER_QUEUE_URL, ENV_REPORTS_BUCKET, ENV_REPORTS_OWNER,
    ENV_REPORTS_REGION,
};

/// Environment variable: replaces DynamoDB TagResource's rate (5 per second per account, AWS's quota) in the pacing by
/// AWS's documented quotas; 0 turns all pacing off, for emulators.
const ENV_DYNAMODB_TAGS_PER_SECOND: &str = "SUPERWERKER_BACKUP_DYNAMODB_TAGS_PER_SECOND";

/// Environment variable: the stack's DynamoDB table that holds the sweep's chain record (crates/sweep/src/chain.rs).
/// Unset, every scheduled event runs a whole sweep on its own, as before chains.
const ENV_CHAIN_TABLE: &str = "SUPERWERKER_BACKUP_SWEEP_CHAIN_TABLE";

/// Lambda's longest timeout (900 s): how long a step is claimed when the invocation's deadline is no date.
const LONGEST_INVOCATION_MS: u64 = 900_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ManualRequest {
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    regions: Vec<String>,
}

/// The audit after the sweep is given up this long before the invocation's deadline, so that its failure is still
/// answered (and so reaches the dead-letter queue) rather than cut off by Lambda.
const AUDIT_MARGIN: Duration = Duration::from_secs(15);

/// How many entries of each list of the report the Lambda logs and answers (`Report::bounded`; the counts are whole).
const REPORT_SAMPLE: usize = 100;

/// Time kept back from the invocation's deadline (Lambda's `Timeout`, at most 900 s) when writes stop: the report and
/// the metric line still go out in it (the audit runs only after a sweep that completed, until `AUDIT_MARGIN` before
/// the deadline). A fifth of the time left, if that is less (a short `Timeout`).
const RESERVE_AFTER_WRITES: Duration = Duration::from_secs(180);

/// Unix milliseconds before this are no deadline (September 2001): `cargo lambda watch` sends its timeout (600000) in
/// the deadline header.
const PLAUSIBLE_DEADLINE_MS: u64 = 1_000_000_000_000;

/// The invocation's deadline as an instant, from "the date that the function times out in Unix time milliseconds"
/// (Lambda runtime API, `Lambda-Runtime-Deadline-Ms`, as the runtime's `Context::deadline`); `None` when the value is
/// no such date.
fn deadline(deadline_ms: u64) -> Option<Instant> {
    (deadline_ms >= PLAUSIBLE_DEADLINE_MS)
        .then(|| Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(epoch_ms_now())))
}

/// When writes must stop before `deadline`.
fn stop_writes_at(deadline: Instant) -> Instant {
    let left = deadline.saturating_duration_since(Instant::now());
    deadline
        .checked_sub(RESERVE_AFTER_WRITES.min(left / 5))
        .unwrap_or(deadline)
}

fn options(payload: Value, settings: &TagSettings, own_region: &str) -> Result<BackfillOptions, String> {
    let mut opts = BackfillOptions {
        settings: settings.clone(),
        ..BackfillOptions::default()
    };
    if let Ok(rate) = std::env::var(ENV_DYNAMODB_TAGS_PER_SECOND) {
        opts.rate_override = Some(
            rate.trim()
                .parse()
                .map_err(|_| format!("{ENV_DYNAMODB_TAGS_PER_SECOND} must be a number, got {rate:?}"))?,
        );
    }
    opts.regions = vec![own_region.to_owned()];
    let scheduled = payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event");
    if scheduled || trigger_of(&payload).is_some() {
        return Ok(opts);
    }
    let manual: ManualRequest = serde_json::from_value(payload)
        .map_err(|e| format!("expected a Scheduled Event or {{\"dryRun\": true|false}}: {e}"))?;
    if let Some(other) = manual.regions.iter().find(|r| r.as_str() != own_region) {
        return Err(format!(
            "this function sweeps its own region {own_region} only, not {other}: invoke the stack's function in {other} \
             (or run `superwerker-backup backfill --regions {other}`)"
        ));
    }
    opts.dry_run = manual.dry_run;
    Ok(opts)
}

/// The sweep's metrics (README, Alerts) as an embedded-metric-format line on stdout, which Lambda sends to CloudWatch
/// Logs as its own log event (the tracing subscriber's lines carry other fields around theirs).
fn metric_line(succeeded: bool) {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "backup-backfill".into());
    println!(
        "{}",
        superwerker_backup_domain::metrics::sweep_metric_line(&function, succeeded, epoch_ms_now())
    );
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = Aws::from_env_adaptive().await;
    let settings = TagSettings::from_lookup(|name| std::env::var(name).ok())?;
    let region = aws
        .region()
        .ok_or("no AWS region configured (AWS_REGION is set by Lambda; set it when running elsewhere)")?
        .to_owned();
    // An optional setting: absent or blank is unset.
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let topic = set(ENV_ALERT_TOPIC_ARN).map(|arn| aws.alert_topic(arn.trim()));
    let dead_letter = set(ENV_DEAD_LETTER_QUEUE_URL).map(|url| aws.dead_letter_queue(url.trim()));
    // The bucket is the management account's, in its home region (the stack's HomeRegion), not always this one.
    let reports = match (set(ENV_REPORTS_BUCKET), set(ENV_REPORTS_OWNER)) {
        (Some(name), Some(owner)) => {
            let home = set(ENV_REPORTS_REGION).unwrap_or_else(|| region.clone());
            Some(aws.report_bucket(name.trim(), home.trim(), owner.trim()))
        }
        (Some(_), None) => return Err(format!("{ENV_REPORTS_BUCKET} is set without {ENV_REPORTS_OWNER}").into()),
        _ => None,
    };
    let chain_table = set(ENV_CHAIN_TABLE).map(|table| aws.chain_table(table.trim()));
    let (aws, settings, region, topic, dead_letter, reports, chain_table) =
        (&aws, &settings, &region, &topic, &dead_letter, &reports, &chain_table);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let trigger = trigger_of(&event.payload);
        let mut opts = options(event.payload, settings, region).map_err(|e| Diagnostic {
            error_type: "BadRequest".into(),
            error_message: e,
        })?;
        let deadline = deadline(event.context.deadline);
        match deadline {
            Some(d) => tracing::info!(
                left_ms = d.saturating_duration_since(Instant::now()).as_millis() as u64,
                "time left for this invocation"
            ),
            None => tracing::warn!(
                deadline_ms = event.context.deadline,
                "the invocation's deadline is not a Unix time: writes are not stopped early"
            ),
        }
        opts.stop_writes_at = deadline.map(stop_writes_at);
        let sweeping = !opts.dry_run;
        let failed = |e: String| {
            if sweeping {
                metric_line(false);
            }
            Diagnostic {
                error_type: "BackfillFailed".into(),
                error_message: e,
            }
        };
        let (report, chained) = match (chain_table, &trigger) {
            (Some(table), Some(trigger)) => {
                let claim_deadline_ms = match deadline {
                    Some(_) => event.context.deadline,
                    None => epoch_ms_now() + LONGEST_INVOCATION_MS,
                };
                match step(aws, table, trigger, &opts, claim_deadline_ms).await {
                    Ok(Stepped::Skipped(why)) => {
                        tracing::info!(why = %why, "no sweep step");
                        return Ok(serde_json::json!({ "skipped": why }));
                    }
                    Ok(Stepped::Ran {
                        report,
                        claim,
                        ending,
                        recorded,
                    }) => {
                        if !recorded {
                            tracing::warn!("the chain record changed during this step (its claim lapsed)");
                        }
                        let chain = serde_json::json!({
                            "chain": claim.chain, "step": claim.step, "ending": format!("{ending:?}"),
                        });
                        tracing::info!(chain = %chain, "sweep step ended");
                        (report, Some((chain, ending)))
                    }
                    Err(e) => return Err(failed(e.to_string())),
                }
            }
            _ => (
                run(aws, &opts, Arc::new(NoProgress))
                    .await
                    .map_err(|e| failed(e.to_string()))?,
                None,
            ),
        };
        let shown = report.bounded(REPORT_SAMPLE);
        tracing::info!(report = %serde_json::to_string(&shown).unwrap_or_default(), "backfill report");
        // A step whose chain continues is not a sweep that ended: only its failures are told now.
        let continues = matches!(chained, Some((_, Ending::Continues)));
        if sweeping && (!continues || report.partial) {
            metric_line(!report.partial && !report.incomplete);
        }
        // After the report and its metric are out: an audit cut short by the deadline loses neither.
        let until = deadline.map(|d| d.checked_sub(AUDIT_MARGIN).unwrap_or(d));
        let to = topic.as_ref().map(|topic| DigestTo {
            topic,
            dead_letter: dead_letter.as_ref(),
            reports: reports.as_ref(),
        });
        let (digest, skipped) = digest_after(aws, &opts, to, &report, until).await;
        if let Some(why) = skipped {
            tracing::warn!(why, "no digest");
        }
        let mut errors: Vec<String> = Vec::new();
        if report.partial {
            let failed: Vec<String> = report
                .failures()
                .take(20)
                .map(|f| format!("{}: {}", f.resource, f.error))
                .collect();
            errors.push(format!(
                "{} resources failed (the others were done): {}",
                report.failures().count(),
                failed.join("; ")
            ));
        }
        let mut answer = serde_json::to_value(&shown).map_err(|e| Diagnostic {
            error_type: "Serialize".into(),
            error_message: e.to_string(),
        })?;
        if let Some((chain, _)) = chained {
            answer["chain"] = chain;
        }
        match digest {
            Some(Ok(outcome)) => {
                tracing::info!(digest = %serde_json::to_string(&outcome).unwrap_or_default(), "audit after the sweep");
                answer["digest"] = serde_json::to_value(&outcome).unwrap_or_default();
            }
            Some(Err(e)) => errors.push(e.to_string()),
            None => {}
        }
        if !errors.is_empty() {
            return Err(Diagnostic {
                error_type: if report.partial {
                    "PartialBackfill"
                } else {
                    "DigestFailed"
                }
                .into(),
                error_message: errors.join("; "),
            });
        }
        Ok::<Value, Diagnostic>(answer)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch_ms_in(d: Duration) -> u64 {
        (std::time::SystemTime::now() + d)
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    /// When writes stop for a deadline header value, as the handler computes it.
    fn stop_for(deadline_ms: u64) -> Option<Instant> {
        deadline(deadline_ms).map(stop_writes_at)
    }

    #[test]
    fn writes_stop_the_reserve_before_the_deadline() {
        let at = stop_for(epoch_ms_in(Duration::from_secs(900))).unwrap();
        let until = at.saturating_duration_since(Instant::now());
        assert!(
            until > Duration::from_secs(715) && until <= Duration::from_secs(720),
            "{until:?}"
        );
    }

    #[test]
    fn a_short_deadline_keeps_a_fifth_back_and_a_past_one_stops_writes_at_once() {
        let until = stop_for(epoch_ms_in(Duration::from_secs(60)))
            .unwrap()
            .saturating_duration_since(Instant::now());
        assert!(
            until > Duration::from_secs(47) && until <= Duration::from_secs(48),
            "{until:?}"
        );
        let past = epoch_ms_in(Duration::ZERO) - 10_000;
        assert!(stop_for(past).unwrap() <= Instant::now());
    }

    #[test]
    fn the_tick_is_a_sweep_and_a_manual_request_with_unknown_fields_is_refused() {
        let settings = TagSettings::default();
        let tick = options(serde_json::json!({"sweep": "continue"}), &settings, "eu-west-1").unwrap();
        assert!(!tick.dry_run);
        assert_eq!(tick.regions, vec!["eu-west-1".to_owned()]);
        let err = options(serde_json::json!({"sweep": "again"}), &settings, "eu-west-1").unwrap_err();
        assert!(err.contains("Scheduled Event"), "{err}");
    }

    #[test]
    fn a_deadline_that_is_no_unix_time_stops_nothing() {
        // What `cargo lambda watch` sends (its timeout, not a date).
        assert_eq!(stop_for(600_000), None);
        assert_eq!(stop_for(0), None);
    }
}
