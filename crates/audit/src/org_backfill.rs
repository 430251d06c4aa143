//! `backfill --organization` (README, Organization): the backfill of every account of the organization, from the
//! management account (or a delegated administrator), with the accounts chosen and run as the organization audit does
//! ([`crate::organization`]). Each region of an account is entered through that region's role
//! `<NamePrefix>-backfill-<region>`, which the region's stack creates with the same never-overwrite guard as its
//! Lambdas (`GuardedTaggingPolicy`): the guard is written per region, so the role is too.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use serde::Serialize;
use superwerker_backup_aws::organizations::AccountInfo;
use superwerker_backup_aws::{AdapterError, Aws};
use superwerker_backup_backfill::{run, BackfillOptions, NoProgress, Report};

use crate::organization::{caller_partition, each_account, enter, role_arn, ByAccount};

/// The role the stacks create in each region for this command (infra/template.yaml, `OrganizationBackfillRole`);
/// `{region}` stands for the region entered.
pub const DEFAULT_BACKFILL_ROLE: &str = "superwerker-backup-backfill-{region}";

const SESSION: &str = "superwerker-backup-backfill";

/// What to backfill, validated.
#[derive(Clone, Debug)]
pub struct OrgBackfillOptions {
    /// The role entered in each account and region; `{region}` is replaced by the region.
    pub role_name: String,
    /// These regions in every account: the regions the stacks are deployed in (each has its role).
    pub regions: Vec<String>,
    pub concurrency: usize,
    /// Dry run, tag settings and pace, as for one account (its `regions` are set per region entered).
    pub backfill: BackfillOptions,
}

/// One region of one account.
#[derive(Clone, Debug, Serialize)]
pub struct RegionBackfill {
    pub region: String,
    /// Why the region could not be entered or backfilled (then there is no report).
    pub error: Option<String>,
    pub report: Option<Report>,
}

/// One account's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct AccountBackfill {
    pub account: String,
    pub name: String,
    /// Why the account could not be backfilled at all (then there are no regions).
    pub error: Option<String>,
    pub regions: Vec<RegionBackfill>,
}

impl ByAccount for AccountBackfill {
    fn account_id(&self) -> &str {
        &self.account
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgBackfillReport {
    pub role_name: String,
    pub dry_run: bool,
    pub accounts: Vec<AccountBackfill>,
}

/// Backfills `targets`, `opts.concurrency` accounts at a time (an account's regions one after another, so that the
/// account-wide DynamoDB tagging quota is paced by one run at a time); `done` is told after each account.
pub async fn backfill_organization(
    aws: &Aws,
    targets: Vec<AccountInfo>,
    opts: &OrgBackfillOptions,
    done: impl Fn(usize, usize, &AccountBackfill),
) -> Result<OrgBackfillReport, AdapterError> {
    let me = Arc::new(aws.caller_account().await?);
    let partition = caller_partition(aws);
    let accounts = each_account(
        targets,
        opts.concurrency,
        |account| {
            let (aws, opts, me) = (aws.clone(), opts.clone(), me.clone());
            async move { one_account(&aws, account, &me, partition, &opts).await }
        },
        |stopped| AccountBackfill {
            account: "?".into(),
            name: String::new(),
            error: Some(format!("the account's backfill stopped: {stopped}")),
            regions: Vec::new(),
        },
        done,
    )
    .await;
    Ok(OrgBackfillReport {
        role_name: opts.role_name.clone(),
        dry_run: opts.backfill.dry_run,
        accounts,
    })
}

async fn one_account(
    aws: &Aws,
    account: AccountInfo,
    me: &str,
    partition: &str,
    opts: &OrgBackfillOptions,
) -> AccountBackfill {
    let mut out = AccountBackfill {
        account: account.id.clone(),
        name: account.name,
        error: None,
        regions: Vec::new(),
    };
    // Its own account with its own credentials; an entered role serves every region it is named for.
    let role_in = |region: &str| {
        (account.id != me).then(|| role_arn(partition, &account.id, &opts.role_name.replace("{region}", region)))
    };
    let mut entered: HashMap<Option<String>, Aws> = HashMap::new();
    for region in opts.regions.clone() {
        let role = role_in(&region);
        let inside = match entered.get(&role) {
            Some(inside) => Ok(inside.clone()),
            None => enter(aws, &account.id, role.as_deref(), SESSION).await,
        };
        let mut done = RegionBackfill {
            region: region.clone(),
            error: None,
            report: None,
        };
        match inside {
            Ok(inside) => {
                entered.insert(role, inside.clone());
                let backfill = BackfillOptions {
                    regions: vec![region],
                    ..opts.backfill.clone()
                };
                match run(&inside, &backfill, Arc::new(NoProgress)).await {
                    Ok(report) => done.report = Some(report),
                    Err(e) => done.error = Some(format!("the backfill failed: {e}")),
                }
            }
            Err(e) => done.error = Some(e),
        }
        out.regions.push(done);
    }
    out
}

/// A region's numbers, summed over kinds.
#[derive(Default)]
struct Sums {
    scanned: u64,
    daily: u64,
    opted_out: u64,
    other: u64,
    tagged: u64,
    failed: u64,
}

fn sums(report: &Report) -> Sums {
    let mut s = Sums::default();
    for k in report.kinds.values() {
        s.scanned += k.scanned;
        s.daily += k.already_daily;
        s.opted_out += k.opted_out;
        s.other += k.other_value + k.unprotectable + k.case_conflicts.len() as u64;
        s.tagged += if report.dry_run { k.would_tag } else { k.tagged };
        s.failed += k.failed.len() as u64;
    }
    s
}

impl OrgBackfillReport {
    /// An account or region could not be entered or backfilled, or some resources failed or were deferred (exit code
    /// 2).
    pub fn partial(&self) -> bool {
        self.accounts.iter().any(|a| {
            a.error.is_some()
                || a.regions
                    .iter()
                    .any(|r| r.error.is_some() || r.report.as_ref().is_some_and(|rep| rep.partial || rep.incomplete))
        })
    }

    /// One line per account and region, then the totals.
    pub fn to_table(&self) -> String {
        let tag_col = if self.dry_run { "would tag" } else { "tagged" };
        let mut out = format!(
            "{:<12}  {:<14}  {:<14}  {:>7}  {:>6}  {:>9}  {:>5}  {:>9}  {:>6}  status\n",
            "account", "name", "region", "scanned", "daily", "opted-out", "other", tag_col, "failed"
        );
        let mut total = Sums::default();
        for a in &self.accounts {
            if let Some(e) = &a.error {
                let _ = writeln!(out, "{:<12}  {:<14}  {:<14}  unreadable: {e}", a.account, a.name, "-");
            }
            for r in &a.regions {
                let (s, status) = match (&r.error, &r.report) {
                    (Some(e), _) => (Sums::default(), format!("unreadable: {e}")),
                    (None, Some(rep)) if rep.partial => (sums(rep), "partial: some resources failed".to_owned()),
                    (None, Some(rep)) if rep.incomplete => (sums(rep), "incomplete: some deferred".to_owned()),
                    (None, Some(rep)) => (sums(rep), "complete".to_owned()),
                    (None, None) => (Sums::default(), "no report".to_owned()),
                };
                let _ = writeln!(
                    out,
                    "{:<12}  {:<14}  {:<14}  {:>7}  {:>6}  {:>9}  {:>5}  {:>9}  {:>6}  {status}",
                    a.account, a.name, r.region, s.scanned, s.daily, s.opted_out, s.other, s.tagged, s.failed
                );
                total.scanned += s.scanned;
                total.tagged += s.tagged;
                total.failed += s.failed;
            }
        }
        let _ = writeln!(
            out,
            "{} accounts (role {}{}): {} resources scanned, {} {}, {} failed",
            self.accounts.len(),
            self.role_name,
            if self.dry_run { ", dry run" } else { "" },
            total.scanned,
            total.tagged,
            if self.dry_run { "would be tagged" } else { "tagged" },
            total.failed,
        );
        out
    }
}
