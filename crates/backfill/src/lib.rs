//! Backfill: find every DynamoDB table, EBS volume, RDS DB instance and cluster, and EFS file system without the
//! backup tag and tag it, with the fewest API calls, never overwriting a value. The same engine serves the CLI, the manual Lambda invocation and the
//! scheduled sweep that catches anything the event path missed.
//!
//! Two phases: [`scan`] lists and decides (no writes), [`apply`] writes. Calls per region and resource type:
//! - EBS: `DescribeVolumes` pages (tags included); tagging with `CreateTags`, 1,000 ids per call.
//! - RDS: `DescribeDBInstances` / `DescribeDBClusters` pages (`TagList` included); tagging with the Tagging API's
//!   `TagResources`, 20 ARNs per call.
//! - EFS: `DescribeFileSystems` pages (tags included); tagging with `TagResources` like RDS.
//! - DynamoDB: `ListTables` pages; tags from the Tagging API's `GetResources` filtered by type (100 tagged tables per
//!   page), read alongside the listing; tagging with `TagResources`, rate-limited to stay under DynamoDB's 5 tagging
//!   calls per second per account. The index
//!   lags behind the service, and DynamoDB's `TagResource` overwrites, so a table the index reports untagged is
//!   confirmed with `ListTagsOfResource` before tagging — unless AWS itself is shown to refuse overwrites: the
//!   deployed role may tag only resources without the key (`aws:ResourceTag` condition, `infra/template.yaml`), but
//!   DynamoDB evaluates that only where the account has ABAC for tables on. So before writing, the backfill tries to
//!   write the value a table already has (`daily` on `daily`: no change even if allowed); `AccessDeniedException`
//!   proves the guard, and the confirmations are skipped in that region ([`probe_dynamodb_guard`]).
//!
//! Every write the guard refuses (someone set the key after it was read) is re-read: the value found is reported as
//! kept, never counted as a failure.

pub mod audit;
pub mod report;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use superwerker_backup_aws::{value_set_meanwhile, AdapterError, Aws, Found, Inventory, Refusal, TagStore};
use superwerker_backup_domain::{decide, ResourceKind, ResourceRef, Tag, TagDecision, TagSettings};
use thiserror::Error;
use tokio::sync::{Mutex, Semaphore};

pub use report::{Failure, KindReport, Report};

#[derive(Debug, Error)]
pub enum BackfillError {
    #[error(transparent)]
    Aws(#[from] AdapterError),
    #[error("{0}")]
    Config(String),
}

#[derive(Clone, Debug)]
pub struct BackfillOptions {
    pub dry_run: bool,
    /// Regions to cover; empty means the configured region.
    pub regions: Vec<String>,
    pub settings: TagSettings,
    /// (region, resource type) pairs worked on at once.
    pub concurrency: usize,
    /// DynamoDB tables tagged per second at most (AWS: 5 TagResource calls per second per account).
    pub dynamodb_tags_per_second: f64,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        BackfillOptions {
            dry_run: false,
            regions: Vec::new(),
            settings: TagSettings::default(),
            concurrency: 8,
            dynamodb_tags_per_second: 5.0,
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

/// What scanning decided for one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Daily,
    OptedOut,
    Other(String),
    ToTag,
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct Planned {
    pub resource: ResourceRef,
    pub state: State,
    /// The resource's tags as read (confirmed with the service where the index was consulted).
    pub tags: Vec<Tag>,
}

/// The outcome of [`scan`]: every resource found and what to do with it.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub account: String,
    pub regions: Vec<String>,
    pub entries: Vec<Planned>,
    /// Listings that failed as a whole (region, type), with the error.
    pub listing_failures: Vec<(ResourceKind, Failure)>,
    /// By region: how the tables the index reports untagged were checked (guard proven, or confirmed and why).
    pub dynamodb_checks: BTreeMap<String, String>,
}

fn classify(settings: &TagSettings, tags: &[Tag]) -> State {
    match decide(settings, tags) {
        TagDecision::Add(_) => State::ToTag,
        TagDecision::Keep { existing } => kept(settings, existing),
    }
}

/// The state of a resource whose key holds `existing`.
fn kept(settings: &TagSettings, existing: String) -> State {
    if existing == settings.value {
        State::Daily
    } else if existing == "none" {
        State::OptedOut
    } else {
        State::Other(existing)
    }
}

/// Counts a kept resource under its value.
fn count_kept(k: &mut KindReport, state: &State) {
    match state {
        State::Daily => k.already_daily += 1,
        State::OptedOut => k.opted_out += 1,
        State::Other(_) => k.other_value += 1,
        State::ToTag | State::Failed(_) => {}
    }
}

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

/// Lists every resource in every region and decides; writes nothing.
pub async fn scan(
    aws: &Aws,
    opts: &BackfillOptions,
    account: &str,
    progress: Arc<dyn Progress>,
) -> Result<Plan, BackfillError> {
    Ok(scan_then_tag(aws, opts, account, progress, None).await?.0)
}

/// What happened to one write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written {
    Tagged,
    /// Refused by the role's guard; re-read: someone set this value after the scan.
    Kept(String),
    Failed(String),
}

/// Outcome of each tagging attempt, by ARN.
type Outcomes = BTreeMap<String, Written>;

/// Refused writes re-read per region and kind of write, at most (a role refused everything would otherwise cost one
/// read per resource; beyond this they are reported failed with the refusal).
const MAX_REREADS: usize = 100;

/// Scans every (region, kind) — a few at once — and, with `tag`, tags each kind's untagged resources as soon as its
/// scan is done, so the writes of one kind overlap the listing of the others.
async fn scan_then_tag(
    aws: &Aws,
    opts: &BackfillOptions,
    account: &str,
    progress: Arc<dyn Progress>,
    tag: Option<(Tag, Arc<RateLimit>)>,
) -> Result<(Plan, Outcomes), BackfillError> {
    let regions = regions(aws, opts)?;
    let limit = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for region in &regions {
        for kind in ResourceKind::ALL {
            let (aws, region, account, settings) =
                (aws.clone(), region.clone(), account.to_owned(), opts.settings.clone());
            let (limit, progress, tag) = (limit.clone(), progress.clone(), tag.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let result = scan_one(&aws, &region, &account, kind, &settings, tag.is_some()).await;
                let mut outcomes = Vec::new();
                if let Ok(scanned) = &result {
                    progress.scanned(kind, scanned.entries.len() as u64);
                    outcomes.extend(scanned.written.iter().cloned());
                    if let Some((tag, rate)) = &tag {
                        let done: Vec<&str> = scanned.written.iter().map(|(arn, _)| arn.as_str()).collect();
                        let todo: Vec<ResourceRef> = scanned
                            .entries
                            .iter()
                            .filter(|p| p.state == State::ToTag && !done.contains(&p.resource.arn.to_string().as_str()))
                            .map(|p| p.resource.clone())
                            .collect();
                        if !todo.is_empty() {
                            outcomes.extend(
                                tag_region(&aws, &region, &todo, tag, &settings, rate, progress.as_ref()).await,
                            );
                        }
                    }
                }
                (kind, region, result, outcomes)
            });
        }
    }
    let mut plan = Plan {
        account: account.to_owned(),
        regions: regions.clone(),
        ..Plan::default()
    };
    let mut outcomes = Outcomes::new();
    while let Some(joined) = tasks.join_next().await {
        let (kind, region, result, tagged) =
            joined.map_err(|e| BackfillError::Config(format!("a scan task failed: {e}")))?;
        outcomes.extend(tagged);
        match result {
            Ok(scanned) => {
                plan.entries.extend(scanned.entries);
                if let Some(check) = scanned.check {
                    plan.dynamodb_checks.insert(region, check);
                }
            }
            Err(e) => plan.listing_failures.push((
                kind,
                Failure {
                    resource: format!("all {} in {region} (listing)", kind.label()),
                    error: e.to_string(),
                },
            )),
        }
    }
    plan.entries.sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    Ok((plan, outcomes))
}

/// One (region, kind): its resources and what to do with each.
#[derive(Default)]
struct Scanned {
    entries: Vec<Planned>,
    /// DynamoDB: how tables the index reports untagged were checked.
    check: Option<String>,
    /// DynamoDB: the guard probe's control write, already done.
    written: Vec<(String, Written)>,
}

/// One (region, kind): its resources and what to do with each; for DynamoDB also how untagged tables were checked.
/// `may_probe`: the run writes, so the guard probe (a write of an unchanged value) is allowed.
async fn scan_one(
    aws: &Aws,
    region: &str,
    account: &str,
    kind: ResourceKind,
    settings: &TagSettings,
    may_probe: bool,
) -> Result<Scanned, AdapterError> {
    let c = aws.clients(region);
    let mut index = None;
    let found: Vec<Found> = match kind {
        ResourceKind::EbsVolume => c.ec2.list(region, account).await?,
        ResourceKind::RdsDbInstance => c.rds.list(region, account).await?,
        ResourceKind::RdsDbCluster => {
            superwerker_backup_aws::rds::RdsClusters(c.rds.clone())
                .list(region, account)
                .await?
        }
        ResourceKind::DynamoDbTable => {
            // DynamoDB's listing has no tags: they come from the Tagging API's index, 100 tagged tables per page,
            // read while the tables are listed.
            let (found, tags) = tokio::join!(c.dynamodb.list(region, account), c.tagging.tags_by_type(TABLE_TYPE));
            index = Some(tags?);
            found?
        }
        ResourceKind::EfsFileSystem => c.efs.list(region, account).await?,
    };
    if found.is_empty() {
        return Ok(Scanned::default());
    }
    let mut out = Vec::with_capacity(found.len());
    let mut to_confirm = Vec::new();
    for f in found {
        let tags = match (&f.tags, &index) {
            (Some(tags), _) => tags.clone(),
            (None, Some(index)) => index.get(&f.resource.arn.to_string()).cloned().unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        let state = classify(settings, &tags);
        if state == State::ToTag && f.tags.is_none() {
            to_confirm.push(out.len());
        }
        out.push(Planned {
            resource: f.resource,
            state,
            tags,
        });
    }
    if to_confirm.is_empty() {
        return Ok(Scanned {
            entries: out,
            ..Scanned::default()
        });
    }
    let (guard, written) = if may_probe {
        probe_dynamodb_guard(&c.dynamodb, &out, settings).await
    } else {
        (Guard::NotProven("dry run: no probe write".into()), None)
    };
    let written: Vec<(String, Written)> = written.into_iter().collect();
    let check = match &guard {
        Guard::Proven => format!(
            "the role's guard refused an overwrite (probe): {} tables tagged without confirmation reads",
            to_confirm.len()
        ),
        Guard::NotProven(why) => format!("{} tables confirmed with ListTagsOfResource ({why})", to_confirm.len()),
    };
    tracing::info!(region, check = %check, "dynamodb tag checks");
    if guard == Guard::Proven {
        return Ok(Scanned {
            entries: out,
            check: Some(check),
            written,
        });
    }
    // The index may lag (a table tagged `none` a moment ago): each table it reports untagged is confirmed with the
    // service before any write, a few at a time (the SDK's adaptive retry slows down if DynamoDB throttles).
    let sem = Arc::new(Semaphore::new(CONFIRM_CONCURRENCY));
    let mut confirmations = tokio::task::JoinSet::new();
    let done: Vec<&str> = written.iter().map(|(arn, _)| arn.as_str()).collect();
    for i in to_confirm
        .into_iter()
        .filter(|&i| !done.contains(&out[i].resource.arn.to_string().as_str()))
    {
        let (dynamodb, resource, sem) = (c.dynamodb.clone(), out[i].resource.clone(), sem.clone());
        confirmations.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, dynamodb.read_tags(&resource).await)
        });
    }
    while let Some(joined) = confirmations.join_next().await {
        let (i, result) = joined.map_err(|e| AdapterError::Failed {
            operation: "DynamoDB.ListTagsOfResource",
            resource: "tables".into(),
            code: "TaskFailed".into(),
            message: e.to_string(),
        })?;
        let planned = &mut out[i];
        match result {
            Ok(confirmed) => {
                planned.state = classify(settings, &confirmed);
                planned.tags = confirmed;
            }
            Err(e) => planned.state = State::Failed(e.to_string()),
        }
    }
    Ok(Scanned {
        entries: out,
        check: Some(check),
        written,
    })
}

/// Whether AWS refuses this role's overwrites of DynamoDB tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guard {
    Proven,
    NotProven(String),
}

/// Proves the never-overwrite guard for DynamoDB in one region. IAM evaluates the guard's `aws:ResourceTag`
/// condition on tables only where the account has ABAC for DynamoDB on ("evaluated as if no tags are present"
/// otherwise, DynamoDB developer guide, abac-enable-ddb), so it is tried, not assumed:
/// 1. the probe: a table the index shows with our value is read (it has the value) and written the same value
///    (`TagResource`: even where allowed, nothing changes). Allowed → no guard.
/// 2. refused by the identity policies ("no identity-based policy allows", as a condition that does not hold reads)
///    → the control: a table confirmed without the key is written our value, as the backfill would anyway. Allowed
///    → the refusal was the guard. Refused too → a blanket denial (no permission, or a policy denying all), not a
///    guard. An explicit deny or a resource policy is never taken for the guard.
///
/// Returns the verdict and the control write's outcome (that table's tagging is done).
pub async fn probe_dynamodb_guard(
    dynamodb: &superwerker_backup_aws::dynamodb::DynamoDb,
    planned: &[Planned],
    settings: &TagSettings,
) -> (Guard, Option<(String, Written)>) {
    let not_proven = |why: String| (Guard::NotProven(why), None);
    let Some(probe) = planned.iter().find(|p| p.state == State::Daily) else {
        return not_proven(format!(
            "no table with {}={} to probe with",
            settings.key, settings.value
        ));
    };
    match dynamodb.read_tags(&probe.resource).await {
        Ok(tags) if classify(settings, &tags) == State::Daily => {}
        Ok(_) => return not_proven("the probe table's tag changed; not probed".into()),
        Err(e) => return not_proven(format!("probe read failed: {e}")),
    }
    let tag = Tag::new(settings.key.clone(), settings.value.clone());
    match dynamodb.add_tag(&probe.resource, &tag).await {
        Ok(()) => return not_proven("probe write allowed: the role has no guard, or DynamoDB ABAC is off".into()),
        Err(e) => match e.refusal() {
            Some(Refusal::NoIdentityPolicyAllows) => {}
            Some(other) => return not_proven(format!("probe write refused, not by the guard ({other}): {e}")),
            None => return not_proven(format!("probe write failed: {e}")),
        },
    }
    tracing::info!(resource = %probe.resource.arn, "dynamodb guard probe refused; control write next");
    let mut control = None;
    // In ARN order, so that which table serves as the control is predictable.
    let mut candidates: Vec<&Planned> = planned.iter().filter(|p| p.state == State::ToTag).collect();
    candidates.sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    for candidate in candidates {
        match dynamodb.read_tags(&candidate.resource).await {
            Ok(tags) if classify(settings, &tags) == State::ToTag => {
                control = Some(candidate);
                break;
            }
            Ok(_) => continue,
            Err(e) => return not_proven(format!("control read failed: {e}")),
        }
    }
    let Some(control) = control else {
        return not_proven("probe refused, but no table without the key to tell the guard from a denial".into());
    };
    let arn = control.resource.arn.to_string();
    let guard = match dynamodb.add_tag(&control.resource, &tag).await {
        Ok(()) => (Guard::Proven, Some((arn, Written::Tagged))),
        Err(e) if e.refusal().is_some() => (
            Guard::NotProven(format!(
                "blanket denial: the role may not tag a table without the key either, so the probe's refusal was \
                 no guard: {e}"
            )),
            Some((arn, Written::Failed(e.to_string()))),
        ),
        Err(e) => (
            Guard::NotProven(format!("control write failed: {e}")),
            Some((arn, Written::Failed(e.to_string()))),
        ),
    };
    tracing::info!(probe = %probe.resource.arn, control = %control.resource.arn, guard = ?guard.0, "dynamodb guard probe");
    guard
}

/// The Tagging API's resource type of DynamoDB tables.
const TABLE_TYPE: &str = "dynamodb:table";

/// Tag reads of index-untagged tables in flight at once.
const CONFIRM_CONCURRENCY: usize = 8;

/// Spaces out DynamoDB tagging: `n` tables tagged now push the next batch back by `n / rate` seconds.
struct RateLimit {
    next: Mutex<Instant>,
    per_item: Duration,
}

impl RateLimit {
    fn new(per_second: f64) -> Self {
        let per_item = if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        RateLimit {
            next: Mutex::new(Instant::now()),
            per_item,
        }
    }

    async fn take(&self, n: usize) {
        if n == 0 || self.per_item.is_zero() {
            return;
        }
        let wait_until = {
            let mut next = self.next.lock().await;
            let start = (*next).max(Instant::now());
            *next = start + self.per_item * n as u32;
            start
        };
        tokio::time::sleep_until(wait_until.into()).await;
    }
}

/// Writes the plan (nothing in a dry run) and reports.
pub async fn apply(aws: &Aws, opts: &BackfillOptions, plan: Plan, progress: Arc<dyn Progress>) -> Report {
    let tag = Tag::new(opts.settings.key.clone(), opts.settings.value.clone());
    let mut outcome = Outcomes::new();
    if !opts.dry_run {
        let limit = Arc::new(RateLimit::new(opts.dynamodb_tags_per_second));
        let mut tasks = tokio::task::JoinSet::new();
        for region in &plan.regions {
            let todo: Vec<ResourceRef> = plan
                .entries
                .iter()
                .filter(|p| p.state == State::ToTag && p.resource.region() == region)
                .map(|p| p.resource.clone())
                .collect();
            if todo.is_empty() {
                continue;
            }
            let (aws, region, tag, limit, progress) = (
                aws.clone(),
                region.clone(),
                tag.clone(),
                limit.clone(),
                progress.clone(),
            );
            let settings = opts.settings.clone();
            tasks.spawn(
                async move { tag_region(&aws, &region, &todo, &tag, &settings, &limit, progress.as_ref()).await },
            );
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(results) => outcome.extend(results),
                Err(e) => tracing::error!(error = %e, "a tagging task failed"),
            }
        }
    }
    report(opts, plan, outcome)
}

/// The report of a plan and the outcome of its writes (none in a dry run); one log line per decision.
fn report(opts: &BackfillOptions, plan: Plan, outcome: Outcomes) -> Report {
    let mut report = Report {
        dry_run: opts.dry_run,
        regions: plan.regions.clone(),
        dynamodb_checks: plan.dynamodb_checks.clone(),
        ..Report::default()
    };
    for kind in ResourceKind::ALL {
        report.kinds.entry(kind.label().to_owned()).or_default();
    }
    for (kind, failure) in plan.listing_failures {
        report
            .kinds
            .entry(kind.label().to_owned())
            .or_default()
            .failed
            .push(failure);
    }
    for p in plan.entries {
        let arn = p.resource.arn.to_string();
        let k = report.kinds.entry(p.resource.kind.label().to_owned()).or_default();
        k.scanned += 1;
        let (action, reason) = match &p.state {
            State::Daily => {
                count_kept(k, &p.state);
                ("kept", format!("already {}", opts.settings.value))
            }
            State::OptedOut => {
                count_kept(k, &p.state);
                ("kept", "opted out (none)".to_owned())
            }
            State::Other(v) => {
                count_kept(k, &p.state);
                ("kept", format!("other value {v:?}, never overwritten"))
            }
            State::Failed(e) => {
                k.failed.push(Failure {
                    resource: arn.clone(),
                    error: e.clone(),
                });
                ("failed", e.clone())
            }
            State::ToTag if opts.dry_run => {
                k.would_tag += 1;
                report.tagged_resources.push(arn.clone());
                ("would-tag", format!("{} absent", opts.settings.key))
            }
            State::ToTag => match outcome.get(&arn) {
                Some(Written::Tagged) => {
                    k.tagged += 1;
                    report.tagged_resources.push(arn.clone());
                    ("tagged", format!("{} absent", opts.settings.key))
                }
                Some(Written::Kept(v)) => {
                    count_kept(k, &kept(&opts.settings, v.clone()));
                    (
                        "kept",
                        format!("{v:?} set after the scan; the write was refused, never overwritten"),
                    )
                }
                Some(Written::Failed(e)) => {
                    k.failed.push(Failure {
                        resource: arn.clone(),
                        error: e.clone(),
                    });
                    ("failed", e.clone())
                }
                None => {
                    let e = "not attempted: its region's tagging task failed".to_owned();
                    k.failed.push(Failure {
                        resource: arn.clone(),
                        error: e.clone(),
                    });
                    ("failed", e)
                }
            },
        };
        tracing::info!(resource = %arn, action, reason = %reason, "backfill decision");
    }
    let partial = report.failures().next().is_some();
    report.partial = partial;
    report
}

/// Tags one region's resources: volumes with batched `CreateTags`, tables and DB instances with batched
/// `TagResources`. Returns each ARN with what happened; refused writes are re-read ([`settle`]).
async fn tag_region(
    aws: &Aws,
    region: &str,
    todo: &[ResourceRef],
    tag: &Tag,
    settings: &TagSettings,
    limit: &RateLimit,
    progress: &dyn Progress,
) -> Vec<(String, Written)> {
    let raw = write_region(aws, region, todo, tag, limit, progress).await;
    settle(aws, todo, settings, raw).await
}

/// Successful writes are done; a refused one is re-read (at most [`MAX_REREADS`] per call): if the resource has
/// the key now, someone set it after the scan and the guard kept it — reported as kept with its value.
async fn settle(
    aws: &Aws,
    todo: &[ResourceRef],
    settings: &TagSettings,
    raw: Vec<(String, Result<(), AdapterError>)>,
) -> Vec<(String, Written)> {
    let by_arn: BTreeMap<String, &ResourceRef> = todo.iter().map(|r| (r.arn.to_string(), r)).collect();
    let mut rereads = 0;
    let mut out = Vec::with_capacity(raw.len());
    for (arn, result) in raw {
        let written = match result {
            Ok(()) => Written::Tagged,
            Err(e) if e.is_refused() && rereads < MAX_REREADS => match by_arn.get(&arn) {
                Some(resource) => {
                    rereads += 1;
                    match value_set_meanwhile(aws, resource, settings).await {
                        Ok(Some(existing)) => Written::Kept(existing),
                        Ok(None) => Written::Failed(format!("{e} (re-read: the key is still absent)")),
                        Err(read) => Written::Failed(format!("{e} (re-read failed: {read})")),
                    }
                }
                None => Written::Failed(e.to_string()),
            },
            Err(e) => Written::Failed(e.to_string()),
        };
        out.push((arn, written));
    }
    out
}

async fn write_region(
    aws: &Aws,
    region: &str,
    todo: &[ResourceRef],
    tag: &Tag,
    limit: &RateLimit,
    progress: &dyn Progress,
) -> Vec<(String, Result<(), AdapterError>)> {
    let c = aws.clients(region);
    let mut results = Vec::with_capacity(todo.len());

    let volumes: Vec<&ResourceRef> = todo.iter().filter(|r| r.kind == ResourceKind::EbsVolume).collect();
    if !volumes.is_empty() {
        let ids: Vec<String> = volumes.iter().map(|r| r.id.clone()).collect();
        let arn_of: BTreeMap<&str, String> = volumes.iter().map(|r| (r.id.as_str(), r.arn.to_string())).collect();
        for (id, result) in c.ec2.tag_volumes(&ids, tag).await {
            let arn = arn_of.get(id.as_str()).cloned().unwrap_or(id);
            results.push((arn, result));
        }
        progress.tagged(volumes.len() as u64);
    }

    // RDS and EFS first, then DynamoDB, so that as few batches as possible wait for the DynamoDB rate limit.
    let mut arns: Vec<&ResourceRef> = todo
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster | ResourceKind::EfsFileSystem
            )
        })
        .collect();
    arns.extend(todo.iter().filter(|r| r.kind == ResourceKind::DynamoDbTable));
    for batch in arns.chunks(superwerker_backup_aws::tagging::MAX_ARNS_PER_CALL) {
        limit
            .take(batch.iter().filter(|r| r.kind == ResourceKind::DynamoDbTable).count())
            .await;
        let list: Vec<String> = batch.iter().map(|r| r.arn.to_string()).collect();
        match c.tagging.tag_resources(&list, tag).await {
            Ok(failed) => {
                let mut failed: BTreeMap<String, AdapterError> = failed.into_iter().collect();
                for arn in list {
                    let result = failed.remove(&arn).map_or(Ok(()), Err);
                    results.push((arn, result));
                }
            }
            Err(e) => results.extend(list.into_iter().map(|arn| {
                let e = AdapterError::Failed {
                    operation: "Tagging.TagResources",
                    resource: arn.clone(),
                    code: e.code().to_owned(),
                    message: e.to_string(),
                };
                (arn, Err(e))
            })),
        }
        progress.tagged(batch.len() as u64);
    }
    results
}

/// Scan and tag (each kind as soon as its scan is done); the report includes every API call made.
pub async fn run(aws: &Aws, opts: &BackfillOptions, progress: Arc<dyn Progress>) -> Result<Report, BackfillError> {
    let started = Instant::now();
    let before = aws.calls().snapshot();
    let account = aws.caller_account().await?;
    let tag = (!opts.dry_run).then(|| {
        (
            Tag::new(opts.settings.key.clone(), opts.settings.value.clone()),
            Arc::new(RateLimit::new(opts.dynamodb_tags_per_second)),
        )
    });
    let (plan, outcome) = scan_then_tag(aws, opts, &account, progress, tag).await?;
    let mut report = report(opts, plan, outcome);
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
