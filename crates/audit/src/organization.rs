//! The audit of every account of the organization (README, Organization). The management account (or a delegated
//! administrator) lists the active accounts, or those below the OUs asked for, or takes the accounts given. It enters
//! each one through a role (STS AssumeRole; its own account with its own credentials) and runs the same per-account
//! audit ([`crate::audit`]) in the regions asked for, or in every region enabled in that account. A few accounts run
//! at a time. An account that cannot be entered or read is reported with the reason and never hides the others.

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use superwerker_backup_aws::organizations::AccountInfo;
use superwerker_backup_aws::{AdapterError, Aws};
use superwerker_backup_backfill::BackfillOptions;
use superwerker_backup_domain::{partition_for_region, TagSettings};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::{audit, AuditReport, Sources};

/// The role the per-account stacks create for this command (infra/template.yaml, `OrganizationAuditRole`).
pub const DEFAULT_ROLE_NAME: &str = "superwerker-backup-audit";

/// What to audit, validated.
#[derive(Clone, Debug)]
pub struct OrgOptions {
    pub role_name: String,
    /// These regions in every account (empty: each account's enabled regions).
    pub regions: Vec<String>,
    /// Accounts audited at the same time.
    pub concurrency: usize,
    pub settings: TagSettings,
}

/// One account's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct AccountAudit {
    pub account: String,
    pub name: String,
    pub regions: Vec<String>,
    /// Why the account could not be entered or read (then there is no report).
    pub error: Option<String>,
    pub report: Option<AuditReport>,
}

/// Every account's outcome, by account id.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgReport {
    pub role_name: String,
    pub accounts: Vec<AccountAudit>,
}

/// Told after each account, for a progress display.
pub trait OrgProgress: Send + Sync {
    fn account_done(&self, done: usize, total: usize, outcome: &AccountAudit);
}

/// The accounts to enter: those given (named from the organization's list where it has them; only those below the OUs
/// when OUs are given too), those below the OUs (or root) at any depth, or all active ones.
pub async fn accounts(aws: &Aws, given: &[String], ous: &[String]) -> Result<Vec<AccountInfo>, AdapterError> {
    let org = aws.organizations();
    let mut found = if ous.is_empty() {
        org.active_accounts().await?
    } else {
        let mut all = Vec::new();
        for ou in ous {
            all.extend(org.active_accounts_under(ou).await?);
        }
        all
    };
    if !given.is_empty() {
        let within_ous = !ous.is_empty();
        found = given
            .iter()
            .map(|id| id.trim())
            .filter_map(|id| match found.iter().find(|a| a.id == id) {
                Some(a) => Some(a.clone()),
                // Given but not listed: audited all the same, unless the OUs were to narrow the list.
                None if within_ous => None,
                None => Some(AccountInfo {
                    id: id.to_owned(),
                    name: String::new(),
                }),
            })
            .collect();
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found.dedup_by(|a, b| a.id == b.id);
    Ok(found)
}

/// Audits `targets`, `opts.concurrency` accounts at a time.
pub async fn audit_organization(
    aws: &Aws,
    targets: Vec<AccountInfo>,
    opts: &OrgOptions,
    progress: Arc<dyn OrgProgress>,
    now: SystemTime,
) -> Result<OrgReport, AdapterError> {
    let me = aws.caller_account().await?;
    let partition = caller_partition(aws);
    let accounts = each_account(
        targets,
        opts.concurrency,
        |account| {
            let (aws, opts) = (aws.clone(), opts.clone());
            let role = (account.id != me).then(|| role_arn(partition, &account.id, &opts.role_name));
            async move { one_account(&aws, account, role, &opts, now).await }
        },
        |stopped| AccountAudit {
            account: "?".into(),
            name: String::new(),
            regions: Vec::new(),
            error: Some(format!("the account's audit stopped: {stopped}")),
            report: None,
        },
        |done, total, outcome| progress.account_done(done, total, outcome),
    )
    .await;
    Ok(OrgReport {
        role_name: opts.role_name.clone(),
        accounts,
    })
}

/// The partition of the caller's region: the accounts entered are in the same one.
pub(crate) fn caller_partition(aws: &Aws) -> &'static str {
    partition_for_region(aws.region().unwrap_or("us-east-1")).unwrap_or("aws")
}

/// The ARN of the role `name` in `account`.
pub(crate) fn role_arn(partition: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{name}")
}

/// An account's outcome, sorted by its id.
pub(crate) trait ByAccount {
    fn account_id(&self) -> &str;
}

impl ByAccount for AccountAudit {
    fn account_id(&self) -> &str {
        &self.account
    }
}

/// Runs `work` for every account, `concurrency` at a time, telling `done` after each; a task that panicked becomes
/// `stopped`'s outcome. The outcomes come back sorted by account id.
pub(crate) async fn each_account<R, Fut>(
    targets: Vec<AccountInfo>,
    concurrency: usize,
    work: impl Fn(AccountInfo) -> Fut,
    stopped: impl Fn(String) -> R,
    done: impl Fn(usize, usize, &R),
) -> Vec<R>
where
    R: ByAccount + Send + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let total = targets.len();
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for account in targets {
        let (slots, job) = (slots.clone(), work(account));
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            job.await
        });
    }
    let mut outcomes = Vec::with_capacity(total);
    while let Some(finished) = tasks.join_next().await {
        let outcome = finished.unwrap_or_else(|e| stopped(e.to_string()));
        done(outcomes.len() + 1, total, &outcome);
        outcomes.push(outcome);
    }
    outcomes.sort_by(|a, b| a.account_id().cmp(b.account_id()));
    outcomes
}

/// Enters `account` through `role` (with the caller's own credentials when `None`) and confirms that STS answers for
/// that account; the error says which step failed.
pub(crate) async fn enter(aws: &Aws, account: &str, role: Option<&str>, session: &str) -> Result<Aws, String> {
    let inside = match role {
        Some(role) => aws
            .assuming(role, session)
            .await
            .map_err(|e| format!("cannot be entered: {e}"))?,
        None => aws.clone(),
    };
    match inside.caller_account().await {
        Ok(found) if found == account => Ok(inside),
        Ok(found) => Err(format!("entering {account} answered account {found}")),
        Err(e) => Err(format!(
            "its account could not be confirmed (STS GetCallerIdentity): {e}"
        )),
    }
}

async fn one_account(
    aws: &Aws,
    account: AccountInfo,
    role: Option<String>,
    opts: &OrgOptions,
    now: SystemTime,
) -> AccountAudit {
    let mut out = AccountAudit {
        account: account.id.clone(),
        name: account.name,
        regions: Vec::new(),
        error: None,
        report: None,
    };
    let inside = match enter(aws, &account.id, role.as_deref(), "superwerker-backup-audit").await {
        Ok(inside) => inside,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    out.regions = if opts.regions.is_empty() {
        match inside.enabled_regions().await {
            Ok(r) => r,
            Err(e) => {
                out.error = Some(format!("its enabled regions could not be read: {e}"));
                return out;
            }
        }
    } else {
        opts.regions.clone()
    };
    let backfill = BackfillOptions {
        regions: out.regions.clone(),
        settings: opts.settings.clone(),
        ..BackfillOptions::default()
    };
    let sources = Sources::from_aws(&inside, &out.regions);
    match audit(&inside, &sources, &backfill, now).await {
        Ok(report) => out.report = Some(report),
        Err(e) => out.error = Some(format!("the audit failed: {e}")),
    }
    out
}
