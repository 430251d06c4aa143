//! `superwerker-backup audit --organization` and `backfill --organization`: every account of the organization from the
//! management account (or a delegated administrator), through a role in each (crates/audit/src/organization.rs and
//! org_backfill.rs do the work).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::Args;
use superwerker_backup_audit::org_backfill::{
    backfill_organization, AccountBackfill, OrgBackfillOptions, DEFAULT_BACKFILL_ROLE,
};
use superwerker_backup_audit::organization::{
    accounts, audit_organization, AccountAudit, OrgOptions, OrgProgress, DEFAULT_ROLE_NAME,
};
use superwerker_backup_audit::rollup::read_reports;
use superwerker_backup_aws::Aws;
use superwerker_backup_backfill::BackfillOptions;
use superwerker_backup_domain::names::{reports_bucket_name, DEFAULT_NAME_PREFIX};
use superwerker_backup_domain::TagSettings;

use crate::progress::OrgBar;
use crate::{audit_exit, print_audit, AuditOutput};

#[derive(Args, Clone, Debug)]
pub(crate) struct OrgArgs {
    /// Every active account of the organization (run it in the management account or a delegated administrator):
    /// each is entered through --role-name; one that cannot be entered is reported, never skipped.
    #[arg(long)]
    pub organization: bool,
    /// With --organization: only these accounts.
    #[arg(long, value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// With --organization: only the accounts below these OUs (or the root r-...), at any depth.
    #[arg(long = "ou", value_delimiter = ',')]
    pub ous: Vec<String>,
    /// With --organization: the role entered in each account; `{region}` stands for the region entered (default:
    /// the role the stacks deploy for it: superwerker-backup-audit, read-only, for audit;
    /// superwerker-backup-backfill-{region}, with the Lambdas' never-overwrite guard, for backfill).
    #[arg(long)]
    pub role_name: Option<String>,
    /// With --organization (audit): read the summaries the accounts' daily sweeps wrote to the organization's reports
    /// bucket, entering no account; a summary older than a day, and an account without any, are findings.
    #[arg(long)]
    pub from_reports: bool,
    /// With --from-reports: the bucket, in the current region and owned by this account (default: the name `make
    /// deploy-organization` gives it with the default NamePrefix, superwerker-backup-reports-<this account>-<this
    /// region>).
    #[arg(long)]
    pub reports_bucket: Option<String>,
    /// With --organization: accounts audited at the same time.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

impl OrgArgs {
    /// The narrowing options mean nothing without --organization: say so rather than ignore them.
    pub(crate) fn refuse_without_organization(&self) -> Result<()> {
        if !self.accounts.is_empty() || !self.ous.is_empty() || self.role_name.is_some() || self.from_reports {
            bail!("--accounts, --ou, --role-name and --from-reports are for --organization: add --organization");
        }
        if self.reports_bucket.is_some() && !self.from_reports {
            bail!("--reports-bucket is where --from-reports reads: add --from-reports");
        }
        Ok(())
    }

    /// The role to enter, with a warning on stderr when it is not the one the stacks deploy for this purpose.
    fn role(&self, default: &str, what_it_may_do: &str) -> Result<String> {
        if self.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        let role = self.role_name.clone().unwrap_or_else(|| default.to_owned());
        if role != default {
            eprintln!(
                "note: entering each account as {role}, not {default}, which the stacks deploy: {what_it_may_do}"
            );
        }
        Ok(role)
    }
}

impl OrgProgress for OrgBar {
    fn account_done(&self, done: usize, total: usize, a: &AccountAudit) {
        let what = match (&a.error, &a.report) {
            (Some(e), _) => format!("could not be read: {e}"),
            (None, Some(r)) => format!(
                "{} regions, {} resources, {} unprotected",
                a.regions.len(),
                r.entries.len(),
                r.unprotected
            ),
            (None, None) => "no report".to_owned(),
        };
        // The account, when it could not be entered; else one when some listing failed (the report is partial).
        let failed = (a.error.is_some() || a.report.as_ref().is_some_and(|r| r.partial())) as usize;
        let regions = if a.error.is_some() { 0 } else { a.regions.len() };
        self.account((done, total), (&a.account, &a.name), regions, failed, &what);
    }
}

pub(crate) async fn audit(
    args: OrgArgs,
    regions: Vec<String>,
    output: AuditOutput,
    settings: TagSettings,
) -> Result<ExitCode> {
    if args.from_reports {
        return from_reports(args, regions, output).await;
    }
    let role_name = args.role(
        DEFAULT_ROLE_NAME,
        "the audit only reads, but that role may allow much more",
    )?;
    let opts = OrgOptions {
        role_name,
        regions: regions.into_iter().filter(|r| r != "all").collect(),
        concurrency: args.concurrency,
        settings,
    };
    let aws = Aws::from_env_adaptive().await;
    let targets = accounts(&aws, &args.accounts, &args.ous).await?;
    if targets.is_empty() {
        bail!("no active account to audit (check --accounts / --ou)");
    }
    let bar = Arc::new(OrgBar::new());
    let report = audit_organization(&aws, targets, &opts, bar.clone(), std::time::SystemTime::now()).await?;
    bar.finish();
    if output == AuditOutput::Html {
        print!("{}", report.to_html(std::time::SystemTime::now()));
    } else {
        print_audit(output, || report.to_table(), &report, || report.to_csv())?;
    }
    Ok(audit_exit(report.partial(), report.fails_gate()))
}

/// `audit --organization --from-reports`: exit code 2 when an account or region has no summary, or one is stale or
/// unreadable.
async fn from_reports(args: OrgArgs, regions: Vec<String>, output: AuditOutput) -> Result<ExitCode> {
    if args.role_name.is_some() {
        bail!("--from-reports enters no account: drop --role-name");
    }
    if output == AuditOutput::Html {
        bail!("--output html is the live audit's page: use table, json or csv with --from-reports");
    }
    let aws = Aws::from_env_adaptive().await;
    let region = aws
        .region()
        .ok_or_else(|| anyhow::anyhow!("no AWS region configured"))?
        .to_owned();
    // Run in the management account, which owns the bucket: no other account's bucket of that name is believed.
    let me = aws.caller_account().await?;
    let name = args
        .reports_bucket
        .clone()
        .unwrap_or_else(|| reports_bucket_name(DEFAULT_NAME_PREFIX, &me, &region));
    let targets = accounts(&aws, &args.accounts, &args.ous).await?;
    if targets.is_empty() {
        bail!("no active account to read reports of (check --accounts / --ou)");
    }
    let expected: Vec<String> = regions.into_iter().filter(|r| r != "all").collect();
    let bucket = aws.report_bucket(&name, &region, &me);
    let rollup = read_reports(&bucket, targets, &expected, std::time::SystemTime::now()).await?;
    print_audit(output, || rollup.to_table(), &rollup, || rollup.to_csv())?;
    Ok(audit_exit(rollup.partial(), rollup.fails_gate()))
}

/// `backfill --organization`: exit code 2 when an account or region could not be entered or some resources failed.
pub(crate) async fn backfill(
    args: OrgArgs,
    regions: Vec<String>,
    json: bool,
    backfill: BackfillOptions,
) -> Result<ExitCode> {
    let role_name = args.role(
        DEFAULT_BACKFILL_ROLE,
        "that role carries no never-overwrite guard: only the code keeps tags that exist",
    )?;
    let regions: Vec<String> = regions.into_iter().filter(|r| r != "all").collect();
    if regions.is_empty() {
        // Each region's role exists only where its stack does: the regions the StackSet deploys to, not every region
        // enabled in an account.
        bail!("backfill --organization needs --regions: the regions your stacks are deployed in (make deploy-organization REGIONS)");
    }
    let opts = OrgBackfillOptions {
        role_name,
        regions,
        concurrency: args.concurrency,
        backfill,
    };
    let aws = Aws::from_env_adaptive().await;
    let targets = accounts(&aws, &args.accounts, &args.ous).await?;
    if targets.is_empty() {
        bail!("no active account to backfill (check --accounts / --ou)");
    }
    let bar = OrgBar::new();
    let report = backfill_organization(&aws, targets, &opts, |done, total, a: &AccountBackfill| {
        let failed = a.regions.iter().filter(|r| r.error.is_some()).count();
        let what = match &a.error {
            Some(e) => format!("could not be read: {e}"),
            None => format!("{} regions, {failed} could not be entered", a.regions.len()),
        };
        let regions_done = a.regions.len() - failed;
        bar.account(
            (done, total),
            (&a.account, &a.name),
            regions_done,
            failed + a.error.is_some() as usize,
            &what,
        );
    })
    .await?;
    bar.finish();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_table());
    }
    Ok(if report.partial() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
