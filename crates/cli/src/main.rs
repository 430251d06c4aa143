//! `superwerker-backup`: the operator CLI. Credentials, region and endpoint come from the standard AWS chain
//! (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, …).

mod organization;
mod progress;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use superwerker_backup_aws::Aws;
use superwerker_backup_bootstrap::{BackupScope, BootstrapOptions};
use superwerker_backup_domain::TagSettings;

use crate::progress::CliProgress;

#[derive(Parser)]
#[command(
    name = "superwerker-backup",
    version,
    about = "Makes sure every DynamoDB table, EBS volume and RDS database is backed up"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    Table,
    Json,
}

/// The audit's formats: CSV besides, one row per resource; with --organization also one self-contained HTML page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuditOutput {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Scope {
    Organization,
    Account,
}

#[derive(Subcommand)]
enum Command {
    /// Create or update the Organizations tag policy and the daily 05:00 UTC / 30-day backup plan (idempotent).
    Bootstrap {
        /// Print what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where the backup plan lives. Default: organization in the management account, account elsewhere.
        #[arg(long, value_enum)]
        backup_scope: Option<Scope>,
        /// Regions of the backup plan (default: the current region).
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        /// Resource types the tag policy enforces (default: dynamodb:table,ec2:volume).
        #[arg(long, value_delimiter = ',')]
        enforced_for: Vec<String>,
        /// Backup service role for --backup-scope account (default: the account's service-role/AWSBackupDefaultServiceRole).
        #[arg(long)]
        role_arn: Option<String>,
        /// The vault the plan or policy writes to; the per-account stack creates it (infra/template.yaml,
        /// BackupVaultName).
        #[arg(long, default_value = superwerker_backup_domain::policy::VAULT_NAME)]
        vault_name: String,
        /// Remove what bootstrap created (policies, or plan and selections) instead.
        #[arg(long)]
        remove: bool,
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
    /// Tag every existing resource of every protected kind that lacks the backup tag (never overwrites).
    /// Exit code 2 when some resources failed (the others are done).
    Backfill {
        /// Report what would be tagged; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Regions to cover: a list, or `all` for every enabled region (default: the current region; with
        /// --organization a list is required: the regions the stacks are deployed in).
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        /// DynamoDB tables tagged per second at most (AWS allows 5 TagResource calls per second per account). Every
        /// write is paced by AWS's documented quotas (README, Backfill); 0 turns all pacing off (emulators).
        #[arg(long, default_value_t = 5.0)]
        dynamodb_tags_per_second: f64,
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
        #[command(flatten)]
        organization: organization::OrgArgs,
    },
    /// Print the IAM actions each Lambda function needs (as declared by the code), as JSON; infra/ tests compare
    /// them with the templates.
    IamActions,
    /// Print the handled CloudTrail events (the domain's table), as JSON; infra/ tests compare the event patterns.
    HandledEvents,
    /// Print the embedded-metric-format lines the sweep logs (a succeeded and a partial one); infra/ tests compare
    /// them with the alarms.
    SweepMetricLines,
    /// Show, for every resource of every kind: tag value, which backup selection covers it, the age of its newest
    /// recovery point, and the verdict with the reason and the fix. Exit code 2 when a listing failed (partial), else
    /// 3 when any resource is unprotected or a region has a finding, so it can gate a pipeline.
    Audit {
        /// Regions to cover: a list, or `all` (default: the current region; with --organization: every region
        /// enabled in each account; with --from-reports: the regions every account must report, by default those any
        /// account reports).
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        #[arg(long, value_enum, default_value = "table")]
        output: AuditOutput,
        #[command(flatten)]
        organization: organization::OrgArgs,
    },
    /// Opt regions in to AWS Backup's resource types (`UpdateRegionSettings`). Without --apply a dry run: what would
    /// be turned on, and which backup selections would then take every resource of a type. Exit code 2 when a
    /// region could not be read or written.
    OptIn {
        /// Write the change (default: dry run).
        #[arg(long)]
        apply: bool,
        /// Regions: a list, or `all` (default: the current region).
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        /// AWS Backup resource types (default: those of every kind we tag: Aurora, DynamoDB, EBS, EFS, FSx, RDS).
        #[arg(long, value_delimiter = ',')]
        types: Vec<String>,
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("superwerker-backup: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let settings = TagSettings::from_lookup(|name| std::env::var(name).ok())?;
    match cli.command {
        Command::Bootstrap {
            dry_run,
            backup_scope,
            regions,
            enforced_for,
            role_arn,
            vault_name,
            remove,
            output,
        } => {
            let aws = Aws::from_env().await;
            let mut opts = BootstrapOptions {
                dry_run,
                regions,
                role_arn,
                vault: vault_name,
                settings,
                ..BootstrapOptions::default()
            };
            opts.scope = backup_scope.map(|s| match s {
                Scope::Organization => BackupScope::Organization,
                Scope::Account => BackupScope::Account,
            });
            if !enforced_for.is_empty() {
                opts.enforced_for = enforced_for;
            }
            let report = if remove {
                superwerker_backup_bootstrap::remove(&aws, &opts).await?
            } else {
                superwerker_backup_bootstrap::run(&aws, &opts).await?
            };
            match output {
                Output::Table => print!("{}", report.to_table()),
                Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::IamActions => {
            use superwerker_backup_aws::iam;
            let actions = serde_json::json!({
                "backup-tagger": iam::tagger(),
                "backup-backfill": iam::sweep(),
                "backup-bootstrap": iam::bootstrap(),
                "backup-alerts": iam::alerts(),
                "superwerker-backup backfill": iam::backfill(),
                "superwerker-backup audit": iam::audit(),
                "superwerker-backup audit --organization": iam::organization(),
                "superwerker-backup audit --organization (in each account)": iam::organization_member(),
                "superwerker-backup audit --organization --from-reports": iam::organization_reports(),
                "superwerker-backup backfill --organization": iam::organization_backfill(),
                "superwerker-backup backfill --organization (in each account and region)":
                    iam::organization_backfill_member(),
            });
            println!("{}", serde_json::to_string_pretty(&actions)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::SweepMetricLines => {
            for succeeded in [true, false] {
                let line = superwerker_backup_domain::metrics::sweep_metric_line("backup-backfill", succeeded, 0);
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::HandledEvents => {
            let events: Vec<serde_json::Value> = superwerker_backup_domain::HANDLED_EVENTS
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "source": e.eventbridge_source(),
                        "eventSource": e.event_source,
                        "eventName": e.event_name,
                        "resourceType": e.kind().map(|k| k.label()),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&events)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            regions,
            output,
            organization,
        } if organization.organization => organization::audit(organization, regions, output, settings).await,
        Command::Audit {
            regions,
            output,
            organization,
        } => {
            organization.refuse_without_organization()?;
            if output == AuditOutput::Html {
                anyhow::bail!(
                    "--output html is the organization's report: add --organization (or use table, json, csv)"
                );
            }
            let aws = Aws::from_env_adaptive().await;
            let regions = resolve_regions(&aws, regions).await?;
            let opts = superwerker_backup_backfill::BackfillOptions {
                regions,
                settings,
                ..Default::default()
            };
            let sources =
                superwerker_backup_audit::Sources::from_aws(&aws, &superwerker_backup_backfill::regions(&aws, &opts)?);
            let report = superwerker_backup_audit::audit(&aws, &sources, &opts, std::time::SystemTime::now()).await?;
            print_audit(output, || report.to_table(), &report, || report.to_csv())?;
            Ok(audit_exit(report.partial(), report.fails_gate()))
        }
        Command::OptIn {
            apply,
            regions,
            types,
            output,
        } => {
            let aws = Aws::from_env_adaptive().await;
            let mut regions = resolve_regions(&aws, regions).await?;
            if regions.is_empty() {
                regions.push(
                    aws.region()
                        .ok_or_else(|| anyhow::anyhow!("no AWS region configured"))?
                        .to_owned(),
                );
            }
            let types = if types.is_empty() {
                superwerker_backup_domain::coverage::protected_types()
                    .into_iter()
                    .map(str::to_owned)
                    .collect()
            } else {
                types
            };
            let account = aws.caller_account().await?;
            let sources = superwerker_backup_audit::Sources::from_aws(&aws, &regions);
            let report = superwerker_backup_audit::opt_in::opt_in(&sources, &account, &regions, &types, !apply).await;
            match output {
                Output::Table => print!("{}", report.to_table()),
                Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            Ok(if report.failed() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Backfill {
            dry_run,
            regions,
            dynamodb_tags_per_second,
            output,
            organization,
        } => {
            let opts = superwerker_backup_backfill::BackfillOptions {
                dry_run,
                settings,
                rate_override: Some(dynamodb_tags_per_second),
                ..Default::default()
            };
            if organization.organization {
                return organization::backfill(organization, regions, output == Output::Json, opts).await;
            }
            organization.refuse_without_organization()?;
            let aws = Aws::from_env_adaptive().await;
            let opts = superwerker_backup_backfill::BackfillOptions {
                regions: resolve_regions(&aws, regions).await?,
                ..opts
            };
            let progress = std::sync::Arc::new(CliProgress::new());
            let report = superwerker_backup_backfill::run(&aws, &opts, progress.clone()).await?;
            progress.finish();
            match output {
                Output::Table => print!("{}", report.to_table()),
                Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            Ok(if report.partial {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// An audit's report on stdout in the chosen form.
pub(crate) fn print_audit<T: serde::Serialize>(
    output: AuditOutput,
    table: impl FnOnce() -> String,
    json: &T,
    csv: impl FnOnce() -> Result<String, csv::Error>,
) -> Result<()> {
    match output {
        AuditOutput::Table => print!("{}", table()),
        AuditOutput::Json => println!("{}", serde_json::to_string_pretty(json)?),
        AuditOutput::Csv => print!("{}", csv()?),
        AuditOutput::Html => anyhow::bail!("--output html needs --organization"),
    }
    Ok(())
}

/// The audit's exit code: 2 when something could not be read (partial), else 3 when anything is unprotected or a
/// region has a finding, else 0.
pub(crate) fn audit_exit(partial: bool, fails_gate: bool) -> ExitCode {
    if partial {
        ExitCode::from(2)
    } else if fails_gate {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// `all` means every enabled region (EC2 DescribeRegions); otherwise the list as given.
async fn resolve_regions(aws: &Aws, regions: Vec<String>) -> Result<Vec<String>> {
    if regions.iter().any(|r| r == "all") {
        aws.region()
            .ok_or_else(|| anyhow::anyhow!("no AWS region configured"))?;
        Ok(aws.enabled_regions().await?)
    } else {
        Ok(regions)
    }
}
