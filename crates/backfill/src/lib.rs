//! Backfill: find every resource of every kind without the backup tag and tag it, with the fewest API calls, never
//! overwriting a value. The same engine serves the CLI, the manual Lambda invocation and the scheduled sweep that
//! catches anything the event path missed.
//!
//! `plan` decides (pure), `scan` lists and decides per (region, kind), `guard` proves the never-overwrite guard where
//! tags come from the Tagging API's index, `write` tags in bulk the way each kind's row says, `report` tells. Every
//! kind-specific fact (listing, where tags come from, bulk write and batch size, the quotas its write draws on) is read from the
//! kind table in the domain crate.

pub mod guard;
pub mod pace;
pub mod plan;
pub mod report;
mod scan;
pub mod write;

use std::sync::Arc;
use std::time::Instant;

use superwerker_backup_aws::{AdapterError, Aws, KeepTags};
use superwerker_backup_domain::{ResourceKind, Tag, TagSettings};
use thiserror::Error;

pub use plan::{Plan, Planned, State};
pub use report::{Failure, KindReport, Report};

#[derive(Debug, Error)]
pub enum BackfillError {
    #[error(transparent)]
    Aws(#[from] AdapterError),
    /// The options do not make a valid run; the message says what to change.
    #[error("{0}")]
    Config(String),
    #[error("a scan task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

#[derive(Clone, Debug)]
pub struct BackfillOptions {
    pub dry_run: bool,
    /// Regions to cover; empty means the configured region.
    pub regions: Vec<String>,
    pub settings: TagSettings,
    /// Listings ((region, kind) pairs) and write calls in flight at once; a write waiting on its quota holds no slot.
    pub concurrency: usize,
    /// Overrides DynamoDB TagResource's per-account rate (5 per second) in the pacing by AWS's documented quotas
    /// (`pace`); 0 turns all pacing off, for emulators without quotas.
    pub rate_override: Option<f64>,
    /// No write starts after this instant: the rest is reported deferred and the report incomplete (the Lambda sets
    /// it before its own deadline, so that the report is still logged and its metric sent).
    pub stop_writes_at: Option<std::time::Instant>,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        BackfillOptions {
            dry_run: false,
            regions: Vec::new(),
            settings: TagSettings::default(),
            concurrency: 8,
            rate_override: None,
            stop_writes_at: None,
        }
    }
}

/// Progress for people (the CLI's bar); the Lambda uses [`NoProgress`].
pub trait Progress: Send + Sync {
    fn scanned(&self, _kind: ResourceKind, _count: u64) {}
    fn tagged(&self, _count: u64) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// The regions to cover.
pub fn regions(aws: &Aws, opts: &BackfillOptions) -> Result<Vec<String>, BackfillError> {
    if !opts.regions.is_empty() {
        for r in &opts.regions {
            superwerker_backup_domain::partition_for_region(r).map_err(|e| BackfillError::Config(e.to_string()))?;
        }
        return Ok(opts.regions.clone());
    }
    aws.region()
        .map(|r| vec![r.to_owned()])
        .ok_or_else(|| BackfillError::Config("no AWS region configured (set AWS_REGION or pass regions)".into()))
}

/// Lists every resource in every region and decides; writes nothing. Each entry keeps all its tags (the audit matches
/// backup selections on any of them).
pub async fn scan(
    aws: &Aws,
    opts: &BackfillOptions,
    account: &str,
    progress: Arc<dyn Progress>,
) -> Result<Plan, BackfillError> {
    Ok(
        scan::scan_then_tag(aws, opts, regions(aws, opts)?, account, progress, None, KeepTags::All)
            .await?
            .0,
    )
}

/// Writes a plan (nothing in a dry run) and reports.
pub async fn apply(aws: &Aws, opts: &BackfillOptions, plan: Plan, progress: Arc<dyn Progress>) -> Report {
    let tag = Tag::new(opts.settings.key.clone(), opts.settings.value.clone());
    let mut outcomes = scan::Outcomes::new();
    if !opts.dry_run {
        let pacer = pace::Pacer::new(opts.rate_override);
        let writer = write::Writer {
            aws,
            tag: &tag,
            settings: &opts.settings,
            progress: progress.as_ref(),
            stop_at: opts.stop_writes_at,
            pacer: &pacer,
            slots: None,
        };
        for region in &plan.regions {
            for kind in ResourceKind::all() {
                let todo: Vec<_> = plan
                    .entries
                    .iter()
                    .filter(|p| p.state == State::ToTag && p.resource.kind == kind && p.resource.region() == region)
                    .map(|p| p.resource.clone())
                    .collect();
                if !todo.is_empty() {
                    outcomes.extend(writer.write(kind, region, &todo).await);
                }
            }
        }
    }
    Report::from_plan(&opts.settings, opts.dry_run, plan, &outcomes)
}

/// Scan and tag (each kind as soon as its scan is done); the report includes every API call made. Only the tags that
/// decide are kept of what is listed (`KeepTags::Deciding`): the report needs no other.
pub async fn run(aws: &Aws, opts: &BackfillOptions, progress: Arc<dyn Progress>) -> Result<Report, BackfillError> {
    let started = Instant::now();
    let before = aws.calls().snapshot();
    let account = aws.caller_account().await?;
    let tag = (!opts.dry_run).then(|| Tag::new(opts.settings.key.clone(), opts.settings.value.clone()));
    let keep = KeepTags::Deciding(opts.settings.key.clone());
    let (plan, outcomes) = scan::scan_then_tag(aws, opts, regions(aws, opts)?, &account, progress, tag, keep).await?;
    let mut report = Report::from_plan(&opts.settings, opts.dry_run, plan, &outcomes);
    for (op, n) in aws.calls().snapshot() {
        let n = n - before.get(&op).copied().unwrap_or(0);
        if n > 0 {
            report.api_calls.insert(op, n);
        }
    }
    report.total_api_calls = report.api_calls.values().sum();
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}
