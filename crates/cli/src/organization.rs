//! `superwerker-backup audit --organization`: every account of the organization from the management account (or a
//! delegated administrator), through a role in each (crates/audit/src/organization.rs does the work).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::Args;
use superwerker_backup_audit::organization::{
    accounts, audit_organization, AccountAudit, OrgOptions, OrgProgress, DEFAULT_ROLE_NAME,
};
use superwerker_backup_aws::Aws;
use superwerker_backup_domain::TagSettings;

use crate::{audit_exit, print_audit, AuditOutput};

#[derive(Args, Clone, Debug)]
pub(crate) struct OrgArgs {
    /// Audit every active account of the organization (run it in the management account or a delegated
    /// administrator): each is entered through --role-name; one that cannot be entered is reported, never skipped.
    #[arg(long)]
    pub organization: bool,
    /// With --organization: only these accounts.
    #[arg(long, value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// With --organization: only the accounts below these OUs (or the root r-...), at any depth.
    #[arg(long = "ou", value_delimiter = ',')]
    pub ous: Vec<String>,
    /// With --organization: the role entered in each account (default: the read-only role the stacks deploy).
    #[arg(long, default_value = DEFAULT_ROLE_NAME)]
    pub role_name: String,
    /// With --organization: accounts audited at the same time.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

/// One line per account as it is done, on stderr (stdout holds the report).
struct Lines;

impl OrgProgress for Lines {
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
        eprintln!("[{done}/{total}] {} {}: {what}", a.account, a.name);
    }
}

pub(crate) async fn audit(
    args: OrgArgs,
    regions: Vec<String>,
    output: AuditOutput,
    settings: TagSettings,
) -> Result<ExitCode> {
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    if args.role_name != DEFAULT_ROLE_NAME {
        eprintln!(
            "note: entering each account as {}, not the read-only {DEFAULT_ROLE_NAME} the stacks deploy: the audit only \
             reads, but that role may allow much more",
            args.role_name
        );
    }
    let opts = OrgOptions {
        role_name: args.role_name,
        accounts: args.accounts,
        ous: args.ous,
        regions: regions.into_iter().filter(|r| r != "all").collect(),
        concurrency: args.concurrency,
        settings,
    };
    let aws = Aws::from_env_adaptive().await;
    let targets = accounts(&aws, &opts).await?;
    if targets.is_empty() {
        bail!("no active account to audit (check --accounts / --ou)");
    }
    let report = audit_organization(&aws, targets, &opts, Arc::new(Lines), std::time::SystemTime::now()).await?;
    if output == AuditOutput::Html {
        print!("{}", report.to_html(std::time::SystemTime::now()));
    } else {
        print_audit(output, || report.to_table(), &report, || report.to_csv())?;
    }
    Ok(audit_exit(report.partial(), report.fails_gate()))
}
