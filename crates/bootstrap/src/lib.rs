//! Bootstrap: the Organizations tag policy and the daily AWS Backup plan, created idempotently.
//!
//! Two entry points share this library: `superwerker-backup bootstrap` (the operator CLI) and the `backup-bootstrap`
//! Lambda, a CloudFormation custom resource (see [`custom_resource`]).

pub mod account;
pub mod custom_resource;
pub mod organization;
pub mod report;

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use superwerker_backup_aws::organizations::OrgInfo;
use superwerker_backup_aws::{AdapterError, Aws};
use superwerker_backup_domain::policy::{self, BackupPlanSpec, PolicyKind};
use superwerker_backup_domain::{partition_for_region, TagSettings};
use thiserror::Error;

pub use report::{Change, ChangeKind, Report};

#[derive(Debug, Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Aws(#[from] AdapterError),
    /// The options or where it runs do not allow the request; the message says what to change.
    #[error("{0}")]
    Config(String),
    #[error("cannot write the policy document: {0}")]
    Serialize(serde_json::Error),
}

/// Where the backup plan lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupScope {
    /// An Organizations backup policy attached to the root (management account or delegated administrator).
    Organization,
    /// An AWS Backup plan in this account (standalone accounts, or per account from a StackSet).
    Account,
}

impl FromStr for BackupScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "organization" => Ok(BackupScope::Organization),
            "account" => Ok(BackupScope::Account),
            other => Err(format!("backup scope must be organization or account, got {other:?}")),
        }
    }
}

#[derive(Clone, Debug)]
pub struct BootstrapOptions {
    pub dry_run: bool,
    /// `None`: organization in a management account, account elsewhere.
    pub scope: Option<BackupScope>,
    /// Regions of the backup plan; empty means the current region.
    pub regions: Vec<String>,
    /// Resource types the tag policy enforces.
    pub enforced_for: Vec<String>,
    /// The backup service role for account scope; default `service-role/AWSBackupDefaultServiceRole` of the account.
    pub role_arn: Option<String>,
    /// The vault the plan or policy writes to (the per-account stack creates it; default `superwerker-backup`).
    pub vault: String,
    pub settings: TagSettings,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        BootstrapOptions {
            dry_run: false,
            scope: None,
            regions: Vec::new(),
            enforced_for: policy::DEFAULT_ENFORCED_FOR.iter().map(|s| s.to_string()).collect(),
            role_arn: None,
            vault: policy::VAULT_NAME.to_owned(),
            settings: TagSettings::default(),
        }
    }
}

/// What bootstrap found about where it runs.
struct Context {
    account: String,
    region: String,
    partition: &'static str,
    organization: Option<OrgInfo>,
    scope: BackupScope,
    regions: Vec<String>,
}

async fn context(aws: &Aws, opts: &BootstrapOptions) -> Result<Context, BootstrapError> {
    policy::check_enforced_for(&opts.enforced_for).map_err(BootstrapError::Config)?;
    let region = aws
        .region()
        .ok_or_else(|| BootstrapError::Config("no AWS region configured (set AWS_REGION)".into()))?
        .to_owned();
    let partition = partition_for_region(&region).map_err(|e| BootstrapError::Config(e.to_string()))?;
    let regions = if opts.regions.is_empty() {
        vec![region.clone()]
    } else {
        opts.regions.clone()
    };
    for r in &regions {
        if partition_for_region(r).map_err(|e| BootstrapError::Config(e.to_string()))? != partition {
            return Err(BootstrapError::Config(format!(
                "region {r} is not in the partition {partition} of {region}"
            )));
        }
    }
    let account = aws.caller_account().await?;
    let organization = aws.organizations().describe().await?;
    let is_management = organization.as_ref().is_some_and(|o| o.management_account == account);
    let scope = opts.scope.unwrap_or(if is_management {
        BackupScope::Organization
    } else {
        BackupScope::Account
    });
    if scope == BackupScope::Organization && organization.is_none() {
        return Err(BootstrapError::Config(
            "--backup-scope organization needs AWS Organizations: run it in the management account (or a delegated \
             administrator for backup policies), or use --backup-scope account"
                .into(),
        ));
    }
    Ok(Context {
        account,
        region,
        partition,
        organization,
        scope,
        regions,
    })
}

fn plan_spec(ctx: &Context, opts: &BootstrapOptions) -> BackupPlanSpec {
    let role = opts
        .role_arn
        .clone()
        .unwrap_or_else(|| policy::service_role_arn(ctx.partition, &ctx.account));
    BackupPlanSpec::new(&opts.settings.key, &opts.settings.value, role, &opts.vault)
}

/// Creates or updates everything; a second run changes nothing. In dry-run nothing is written.
pub async fn run(aws: &Aws, opts: &BootstrapOptions) -> Result<Report, BootstrapError> {
    let ctx = context(aws, opts).await?;
    let mut report = Report {
        dry_run: opts.dry_run,
        scope: format!("{:?}", ctx.scope).to_lowercase(),
        changes: vec![],
    };
    let orgs = aws.organizations();
    match &ctx.organization {
        Some(org) if org.management_account == ctx.account => {
            let content = policy::tag_policy(&opts.settings.key, &opts.settings.value, &opts.enforced_for);
            organization::ensure_policy(&orgs, org, PolicyKind::Tag, &content, &mut report).await?;
        }
        _ => report.push(
            "tag policy",
            ChangeKind::Skipped,
            vec!["not the organization's management account: the management account's bootstrap manages it".into()],
        ),
    }
    match ctx.scope {
        BackupScope::Organization => {
            let org = ctx.organization.as_ref().expect("checked in context()");
            let content = policy::backup_policy(
                ctx.partition,
                &opts.settings.key,
                &opts.settings.value,
                &ctx.regions,
                &opts.vault,
            );
            organization::ensure_policy(&orgs, org, PolicyKind::Backup, &content, &mut report).await?;
        }
        BackupScope::Account => {
            let spec = plan_spec(&ctx, opts);
            for region in &ctx.regions {
                account::ensure(&aws.backup(region), &spec, &mut report).await?;
            }
        }
    }
    tracing::debug!(region = %ctx.region, "bootstrap done");
    Ok(report)
}

/// Removes what [`run`] created — our policies, or our plans and selections — and nothing else.
pub async fn remove(aws: &Aws, opts: &BootstrapOptions) -> Result<Report, BootstrapError> {
    let ctx = context(aws, opts).await?;
    let mut report = Report {
        dry_run: opts.dry_run,
        scope: format!("{:?}", ctx.scope).to_lowercase(),
        changes: vec![],
    };
    let orgs = aws.organizations();
    if ctx
        .organization
        .as_ref()
        .is_some_and(|o| o.management_account == ctx.account)
    {
        organization::remove_policy(&orgs, PolicyKind::Tag, &mut report).await?;
    }
    match ctx.scope {
        BackupScope::Organization => organization::remove_policy(&orgs, PolicyKind::Backup, &mut report).await?,
        BackupScope::Account => {
            let spec = plan_spec(&ctx, opts);
            for region in &ctx.regions {
                account::remove(&aws.backup(region), &spec, &mut report).await?;
            }
        }
    }
    Ok(report)
}
