//! `superwerker-backup`: the operator CLI. Credentials, region and endpoint come from the standard AWS chain
//! (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, …).

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use superwerker_backup_aws::Aws;
use superwerker_backup_bootstrap::{BackupScope, BootstrapOptions};
use superwerker_backup_domain::TagSettings;

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

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Output {
    Table,
    Json,
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
        /// Remove what bootstrap created (policies, or plan and selections) instead.
        #[arg(long)]
        remove: bool,
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
    let aws = Aws::from_env().await;
    match cli.command {
        Command::Bootstrap {
            dry_run,
            backup_scope,
            regions,
            enforced_for,
            role_arn,
            remove,
            output,
        } => {
            let mut opts = BootstrapOptions {
                dry_run,
                regions,
                role_arn,
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
    }
}
