//! Audit: for every resource of every kind — its tag value, which backup selection covers it (the account's AWS
//! Backup plans, and the organization's effective backup policy), and the age of its newest recovery point. A
//! resource is unprotected when it is not covered (and not opted out), when it is covered without a recovery point in
//! the last 26 h, or when a coverage source cannot be read.

pub mod digest;
mod judge;
pub mod opt_in;
pub mod org_backfill;
mod org_html;
mod org_report;
pub mod organization;
mod points;
pub mod report;
pub mod rollup;
pub mod summary;
mod targets;
mod trail;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use superwerker_backup_aws::backup::Backup;
use superwerker_backup_aws::organizations::Organizations;
use superwerker_backup_aws::roles::Roles;
use superwerker_backup_aws::trails::Trails;
use superwerker_backup_aws::Aws;
use superwerker_backup_backfill::{scan, BackfillOptions, NoProgress, State};
use superwerker_backup_domain::coverage::{
    selections_from_policy, verdict, Match, RecoveryPoints, Selection, TrailState, Verdict,
};
use superwerker_backup_domain::policy::OPT_OUT_VALUE;
use superwerker_backup_domain::tags::value_of;
use superwerker_backup_domain::TagDecision;
use thiserror::Error;

pub use report::{AuditEntry, AuditReport};

#[derive(Debug, Error)]
pub enum AuditError {
    #[error(transparent)]
    Aws(#[from] superwerker_backup_aws::AdapterError),
    #[error(transparent)]
    Scan(#[from] superwerker_backup_backfill::BackfillError),
}

/// Where coverage is read.
pub trait Coverage: Send + Sync {
    /// The organization's effective backup policy as JSON text; `None` when there is none.
    fn effective_backup_policy(&self) -> impl std::future::Future<Output = Result<Option<String>, String>> + Send;
    /// The account's plans' selections in `region`.
    fn account_selections(
        &self,
        region: &str,
    ) -> impl std::future::Future<Output = Result<Vec<Selection>, String>> + Send;
    /// The region's AWS Backup opt-in per resource type (`Aurora`, `EBS`, …).
    fn opt_in(&self, region: &str) -> impl std::future::Future<Output = Result<BTreeMap<String, bool>, String>> + Send;
    /// Whether the backup vault exists in `region`.
    fn vault_exists(&self, region: &str, name: &str) -> impl std::future::Future<Output = Result<bool, String>> + Send;
    /// Whether the IAM role exists.
    fn role_exists(&self, arn: &str) -> impl std::future::Future<Output = Result<bool, String>> + Send;
    /// The CloudTrail trails that apply to `region`.
    fn trails(&self, region: &str) -> impl std::future::Future<Output = Result<Vec<TrailState>, String>> + Send;
    /// Per resource ARN, the newest usable and newest in-progress recovery points created since `since` (epoch
    /// seconds) in every vault of `region`.
    fn recent_recovery_points(
        &self,
        region: &str,
        since: i64,
    ) -> impl std::future::Future<Output = Result<BTreeMap<String, RecoveryPoints>, String>> + Send;
    /// The resource's newest usable and newest in-progress recovery points.
    fn recovery_points(
        &self,
        region: &str,
        arn: &str,
    ) -> impl std::future::Future<Output = Result<RecoveryPoints, String>> + Send;
}

/// Coverage read from AWS through the adapters: Organizations, IAM, and AWS Backup and CloudTrail per region.
pub struct Sources {
    pub organizations: Organizations,
    pub backup: BTreeMap<String, Backup>,
    pub roles: Roles,
    pub trails: BTreeMap<String, Trails>,
}

impl Sources {
    pub fn from_aws(aws: &Aws, regions: &[String]) -> Sources {
        Sources {
            organizations: aws.organizations(),
            backup: regions.iter().map(|r| (r.clone(), aws.backup(r))).collect(),
            roles: aws.roles(),
            trails: regions.iter().map(|r| (r.clone(), aws.trails(r))).collect(),
        }
    }

    fn backup(&self, region: &str) -> Result<&Backup, String> {
        self.backup
            .get(region)
            .ok_or_else(|| format!("no AWS Backup adapter for {region}"))
    }
}

impl Coverage for Sources {
    async fn effective_backup_policy(&self) -> Result<Option<String>, String> {
        self.organizations
            .effective_backup_policy()
            .await
            .map_err(|e| e.to_string())
    }

    async fn account_selections(&self, region: &str) -> Result<Vec<Selection>, String> {
        self.backup(region)?
            .account_selections()
            .await
            .map_err(|e| e.to_string())
    }

    async fn opt_in(&self, region: &str) -> Result<BTreeMap<String, bool>, String> {
        self.backup(region)?.opt_in().await.map_err(|e| e.to_string())
    }

    async fn vault_exists(&self, region: &str, name: &str) -> Result<bool, String> {
        self.backup(region)?.vault_exists(name).await.map_err(|e| e.to_string())
    }

    async fn role_exists(&self, arn: &str) -> Result<bool, String> {
        self.roles.exists(arn).await.map_err(|e| e.to_string())
    }

    async fn trails(&self, region: &str) -> Result<Vec<TrailState>, String> {
        let trails = self
            .trails
            .get(region)
            .ok_or_else(|| format!("no CloudTrail adapter for {region}"))?;
        trails.states().await.map_err(|e| e.to_string())
    }

    async fn recent_recovery_points(
        &self,
        region: &str,
        since: i64,
    ) -> Result<BTreeMap<String, RecoveryPoints>, String> {
        self.backup(region)?
            .recent_recovery_points(since)
            .await
            .map_err(|e| e.to_string())
    }

    async fn recovery_points(&self, region: &str, arn: &str) -> Result<RecoveryPoints, String> {
        self.backup(region)?
            .recovery_points(arn)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The selections of the organization's effective backup policy; `None` when there is none, `Err` (for the
/// report) when it cannot be read or is not JSON.
pub(crate) async fn policy_selections<C: Coverage>(c: &C) -> Result<Option<Vec<Selection>>, String> {
    match c.effective_backup_policy().await {
        Ok(None) => Ok(None),
        Ok(Some(text)) => serde_json::from_str(&text)
            .map(|doc| Some(selections_from_policy(&doc)))
            .map_err(|e| format!("organization effective backup policy is not JSON: {e}")),
        Err(e) => Err(format!("organization effective backup policy unreadable: {e}")),
    }
}

/// Audits every resource in the regions of `opts`: inventory and tags through `aws`, coverage through `coverage`.
pub async fn audit<C: Coverage>(
    aws: &Aws,
    coverage: &C,
    opts: &BackfillOptions,
    now: SystemTime,
) -> Result<AuditReport, AuditError> {
    let account = aws.caller_account().await?;
    let plan = scan(aws, opts, &account, Arc::new(NoProgress)).await?;
    // A listing that failed hides its resources, never the others: the report says which, and is partial.
    let mut report = AuditReport {
        unlisted: plan
            .listing_failures
            .iter()
            .map(|(_, f)| format!("{}: {}", f.resource, f.error))
            .collect(),
        ..AuditReport::default()
    };
    let mut selections: Vec<Selection> = Vec::new();
    // Regions whose coverage could not be read: their resources get `Unknown` unless otherwise covered.
    let mut unknown_regions: Vec<String> = Vec::new();
    // Per region, AWS Backup's opt-in per resource type; absent where it could not be read.
    let mut opt_ins: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    match policy_selections(coverage).await {
        Ok(Some(found)) => {
            report.sources.push(format!(
                "organization effective backup policy: {} tag selections",
                found.len()
            ));
            selections.extend(found);
        }
        Ok(None) => report.sources.push("organization effective backup policy: none".into()),
        Err(e) => {
            report.problems.push(e);
            unknown_regions.extend(plan.regions.iter().cloned());
        }
    }
    for region in &plan.regions {
        match coverage.account_selections(region).await {
            Ok(found) => {
                report
                    .sources
                    .push(format!("account backup plans in {region}: {} selections", found.len()));
                selections.extend(found);
            }
            Err(e) => {
                report
                    .problems
                    .push(format!("account backup plans in {region} unreadable: {e}"));
                unknown_regions.push(region.clone());
            }
        }
        match coverage.opt_in(region).await {
            Ok(types) => {
                let off: Vec<&str> = types.iter().filter(|(_, on)| !**on).map(|(t, _)| t.as_str()).collect();
                report.sources.push(format!(
                    "AWS Backup opt-in in {region}: {} types, off: {}",
                    types.len(),
                    if off.is_empty() {
                        "none".to_owned()
                    } else {
                        off.join(", ")
                    }
                ));
                opt_ins.insert(region.clone(), types);
            }
            Err(e) => report
                .problems
                .push(format!("AWS Backup opt-in settings in {region} unreadable: {e}")),
        }
    }
    let targets = targets::Targets::read(coverage, &selections, &plan.regions, &account).await;
    for region in &plan.regions {
        trail::check(coverage, region, &mut report).await;
    }
    let now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let recent = points::RecentPoints::read(coverage, &selections, &plan.regions, now, &mut report).await;
    for p in &plan.entries {
        let arn = p.resource.arn.to_string();
        let region = p.resource.region().to_owned();
        let mut covered_by: Vec<String> = Vec::new();
        let mut covering: Vec<&Selection> = Vec::new();
        let mut uncertain: Vec<String> = Vec::new();
        for s in &selections {
            match s.matches(&arn, &region, &p.tags) {
                Match::Yes => {
                    covered_by.push(s.name.clone());
                    covering.push(s);
                }
                Match::Uncertain(why) => uncertain.push(format!("{}: {why}", s.name)),
                Match::No => {}
            }
        }
        let tag_value = value_of(&p.tags, &opts.settings.key).map(str::to_owned);
        let (mut age, mut allowed) = (None, None);
        let mut reason = None;
        let v = match &p.state {
            State::Failed(e) => {
                report.problems.push(format!("tags of {arn} unreadable: {e}"));
                Verdict::Unknown
            }
            // Judged by the resource AWS Backup protects it through, once every entry is known (`by_parents`).
            _ if p.parent.is_some() => Verdict::Unknown,
            // Nothing AWS Backup could do counts: `none` acknowledges it, anything else is reported.
            State::Unprotectable(_) if tag_value.as_deref() == Some(OPT_OUT_VALUE) => Verdict::OptedOut,
            State::Unprotectable(why) => {
                reason = Some(format!("AWS Backup cannot protect it: {why}"));
                Verdict::Unprotectable
            }
            State::CaseConflict { found, value } if covered_by.is_empty() => {
                reason = Some(TagDecision::case_conflict_reason(&opts.settings.key, found, value));
                Verdict::KeyCaseConflict
            }
            _ if covered_by.is_empty() && unknown_regions.contains(&region) => Verdict::Unknown,
            _ if covered_by.is_empty() && !uncertain.is_empty() => {
                reason = Some(format!(
                    "only undocumented selections may select it ({})",
                    uncertain.join("; ")
                ));
                Verdict::Uncertain
            }
            _ if covered_by.is_empty() => verdict(tag_value.as_deref(), false, None, 0),
            _ => match judge::targets(&mut covering, &targets, &region)
                .or_else(|| judge::opt_in(&covering, &arn, p.resource.kind, &region, opt_ins.get(&region)))
            {
                Some((v, why)) => {
                    reason = Some(why);
                    v
                }
                None => {
                    let judged =
                        judge::recovery(coverage, &recent, &region, &arn, &covering, tag_value.as_deref(), now).await;
                    (age, allowed) = (judged.age, judged.allowed);
                    reason = judged.reason;
                    if let Some(problem) = judged.problem {
                        report.problems.push(problem);
                    }
                    judged.verdict
                }
            },
        };
        tracing::info!(resource = %arn, verdict = ?v, covered_by = %covered_by.join(","), "audit");
        report.entries.push(AuditEntry {
            resource: arn,
            kind: p.resource.kind.label().to_owned(),
            region,
            tag_value,
            covered_by,
            newest_recovery_point_age_hours: age.map(|m| m / 60),
            newest_recovery_point_age_minutes: age,
            allowed_age_minutes: allowed,
            verdict: v,
            reason,
            protected_through: p.parent.clone(),
        });
    }
    judge::by_parents(&mut report.entries);
    report.tally();
    Ok(report)
}
