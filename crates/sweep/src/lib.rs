//! The daily sweep (README, Alerts): the backfill tags what it can, then the audit judges every resource of the region,
//! and when anything is unprotected one digest goes to the alert topic. The Lambda binary (`main.rs`) calls [`sweep`];
//! the emulator tests call it too, with a topic of their own.

pub mod chain;

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use superwerker_backup_audit::digest::{digest, SAMPLE};
use superwerker_backup_audit::summary::RegionSummary;
use superwerker_backup_audit::{audit, AuditError, Sources};
use superwerker_backup_aws::alerts::AlertTopic;
use superwerker_backup_aws::queue::DeadLetterQueue;
use superwerker_backup_aws::reports::{summary_key, ReportBucket};
use superwerker_backup_aws::{AdapterError, Aws};
use superwerker_backup_backfill::{run, BackfillError, BackfillOptions, NoProgress, Report};
use thiserror::Error;

/// Environment variable: the SNS topic the digest goes to (the stack's alert topic); unset, no audit runs.
pub const ENV_ALERT_TOPIC_ARN: &str = "SUPERWERKER_BACKUP_ALERT_TOPIC_ARN";

/// Environment variable: the stack's dead-letter queue, whose backlog the digest tells of.
pub const ENV_DEAD_LETTER_QUEUE_URL: &str = "SUPERWERKER_BACKUP_DEAD_LETTER_QUEUE_URL";

/// Environment variables: the organization's reports bucket, its region and the account that owns it, where the sweep
/// writes the summary of its audit (README, Organization); without the bucket, it writes none.
pub const ENV_REPORTS_BUCKET: &str = "SUPERWERKER_BACKUP_REPORTS_BUCKET";
pub const ENV_REPORTS_REGION: &str = "SUPERWERKER_BACKUP_REPORTS_REGION";
pub const ENV_REPORTS_OWNER: &str = "SUPERWERKER_BACKUP_REPORTS_OWNER";

/// Where the digest goes, the dead-letter queue it also reports on, and the bucket the audit's summary goes to.
#[derive(Clone, Copy, Debug)]
pub struct DigestTo<'a> {
    pub topic: &'a AlertTopic,
    pub dead_letter: Option<&'a DeadLetterQueue>,
    pub reports: Option<&'a ReportBucket>,
}

impl<'a> From<&'a AlertTopic> for DigestTo<'a> {
    fn from(topic: &'a AlertTopic) -> Self {
        DigestTo {
            topic,
            dead_letter: None,
            reports: None,
        }
    }
}

/// The finding for events waiting in the dead-letter queue (none when it is empty), or why it could not be read.
async fn dead_letter_finding(queue: &DeadLetterQueue) -> Result<Option<String>, String> {
    match queue.waiting().await {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(format!(
            "{n} events wait in this stack's dead-letter queue ({}): events the tagger could not handle, or alerts \
             that could not be delivered or forwarded to the central alert bus; read them (SQS ReceiveMessage) and \
             fix their cause",
            queue.url()
        ))),
        Err(e) => Err(format!("the dead-letter queue could not be read: {e}")),
    }
}

#[derive(Debug, Error)]
pub enum DigestError {
    #[error("the audit after the sweep failed: {0}")]
    Audit(#[from] AuditError),
    #[error("the digest could not be published to {topic}: {source}")]
    Publish { topic: String, source: AdapterError },
    #[error(transparent)]
    Aws(#[from] AdapterError),
    #[error("the audit after the sweep did not finish before the invocation's deadline: no digest was sent")]
    OutOfTime,
    #[error("the audit's summary could not be written to the reports bucket {bucket}: {source}")]
    Report { bucket: String, source: AdapterError },
}

/// What the audit after the sweep found, and the digest's SNS message id when one was sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestOutcome {
    pub audited: u64,
    pub unprotected: u64,
    pub counts: std::collections::BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The object the audit's summary was written to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// Audits the regions of `opts` (the function's own) and publishes one digest to `topic` when anything is
/// unprotected; `tagged_now` are the resources the sweep just tagged (the digest says they had no backup yet).
pub async fn audit_and_digest(
    aws: &Aws,
    opts: &BackfillOptions,
    to: DigestTo<'_>,
    tagged_now: &[String],
    now: SystemTime,
) -> Result<DigestOutcome, DigestError> {
    let topic = to.topic;
    let sources = Sources::from_aws(aws, &opts.regions);
    let mut report = audit(aws, &sources, opts, now).await?;
    if let Some(queue) = to.dead_letter {
        match dead_letter_finding(queue).await {
            Ok(finding) => report.findings.extend(finding),
            Err(problem) => report.problems.push(problem),
        }
    }
    let account = aws.caller_account().await?;
    let mut outcome = DigestOutcome {
        audited: report.entries.len() as u64,
        unprotected: report.unprotected,
        counts: report.counts.clone(),
        message_id: None,
        summary: None,
    };
    // Neither the summary nor the digest keeps the other from going out; a failure of either fails the run.
    let written = match (to.reports, opts.regions.as_slice()) {
        (Some(bucket), [region]) => {
            let key = summary_key(&account, region);
            let secs = now
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let summary = RegionSummary::of(&report, &account, region, secs);
            match bucket.put(&key, summary.to_json()).await {
                Ok(()) => {
                    tracing::info!(bucket = bucket.name(), key = %key, "summary written");
                    outcome.summary = Some(format!("s3://{}/{key}", bucket.name()));
                    Ok(())
                }
                Err(source) => Err(DigestError::Report {
                    bucket: bucket.name().to_owned(),
                    source,
                }),
            }
        }
        _ => Ok(()),
    };
    let published = match digest(&report, &account, &opts.regions.join(","), tagged_now, SAMPLE) {
        Some(d) => match topic.publish(&d.subject, &d.message).await {
            Ok(id) => {
                tracing::info!(topic = topic.arn(), message_id = %id, unprotected = d.unprotected, "digest sent");
                outcome.message_id = Some(id);
                Ok(())
            }
            Err(source) => Err(DigestError::Publish {
                topic: topic.arn().to_owned(),
                source,
            }),
        },
        None => {
            tracing::info!(audited = outcome.audited, "nothing unprotected: no digest");
            Ok(())
        }
    };
    match (written, published) {
        (Err(not_written), Err(not_sent)) => {
            tracing::error!(error = %not_sent, "the digest was not sent either");
            return Err(not_written);
        }
        (written, published) => written.and(published)?,
    }
    Ok(outcome)
}

/// A run of the function: the backfill's report, and for a sweep with a topic, the audit after it (or why it failed,
/// or why it did not run).
#[derive(Debug)]
pub struct Swept {
    pub report: Report,
    pub digest: Option<Result<DigestOutcome, DigestError>>,
    pub digest_skipped: Option<&'static str>,
}

/// Why an incomplete sweep sends no digest.
pub const INCOMPLETE: &str =
    "the sweep is incomplete (its time for writes ran out): the step that completes its chain \
                              sends the digest; a chain given up, or a sweep outside a chain, the sweep-part alarm \
                              tells of";

/// Backfills the regions of `opts`, then [`digest_after`] it (no time limit): what the tests and the demo run; the
/// Lambda runs the two steps itself, logging the report and its metric in between.
pub async fn sweep(aws: &Aws, opts: &BackfillOptions, topic: Option<DigestTo<'_>>) -> Result<Swept, BackfillError> {
    let report = run(aws, opts, Arc::new(NoProgress)).await?;
    let (digest, digest_skipped) = digest_after(aws, opts, topic, &report, None).await;
    Ok(Swept {
        report,
        digest,
        digest_skipped,
    })
}

/// After a backfill: unless it was a dry run and when there is a `topic`, audits the regions of `opts` and sends the
/// digest — after a partial backfill too (what could not be tagged is among what the digest names), but not after an
/// incomplete one: only the sweep that completes sends it. With `until`, an audit still running then is given up
/// ([`DigestError::OutOfTime`]).
pub async fn digest_after(
    aws: &Aws,
    opts: &BackfillOptions,
    topic: Option<DigestTo<'_>>,
    report: &Report,
    until: Option<Instant>,
) -> (Option<Result<DigestOutcome, DigestError>>, Option<&'static str>) {
    let Some(topic) = topic.filter(|_| !opts.dry_run) else {
        return (None, None);
    };
    if report.incomplete {
        return (None, Some(INCOMPLETE));
    }
    let work = audit_and_digest(aws, opts, topic, &report.tagged_resources, SystemTime::now());
    let result = match until {
        Some(until) => tokio::time::timeout_at(until.into(), work)
            .await
            .unwrap_or(Err(DigestError::OutOfTime)),
        None => work.await,
    };
    (Some(result), None)
}
