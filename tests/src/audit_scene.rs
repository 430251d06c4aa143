//! Every audit verdict, produced in the emulator the way it happens on AWS: the bootstrap's organization backup
//! policy, the per-account stack's vault and service role (in one region only), AWS Backup's region opt-in, and
//! tonight's backup (the emulator's `POST /moto-api/superwerker/backup-run`, tests/harness/teach_backup_run.py).
//! `make demo` prints it; tests/tests/audit_verdicts_emulator.rs checks it.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use superwerker_backup_domain::policy::{SERVICE_ROLE_NAME, VAULT_NAME};

use crate::Emulator;

pub const KEY: &str = "superwerker:backup";

/// One resource per verdict; `home` has the vault, `away` has none.
pub struct AuditScene {
    pub home: String,
    pub away: String,
    pub protected: String,
    pub opted_out: String,
    pub untagged: String,
    pub not_opted_in: String,
    pub partial_only: String,
    pub no_vault: String,
    /// Covered only by an account plan whose selection names a role that does not exist.
    pub no_role: String,
    /// Tagged `Superwerker:Backup` (another key to AWS Backup's tag selection).
    pub key_case: String,
    /// The emulator's answers to tonight's backup: what it backed up and what it skipped, with why.
    pub backup_runs: Vec<Value>,
}

impl Emulator {
    /// Creates a backup vault in this region (what the per-account stack does, BackupVaultName).
    pub async fn create_vault(&self, name: &str) -> Result<()> {
        self.clients()
            .backup
            .create_backup_vault()
            .backup_vault_name(name)
            .send()
            .await
            .context("Backup CreateBackupVault")?;
        Ok(())
    }

    /// Sets AWS Backup's opt-in for one resource type in this region (`UpdateRegionSettings`).
    pub async fn set_opt_in(&self, resource_type: &str, on: bool) -> Result<()> {
        self.clients()
            .backup
            .update_region_settings()
            .resource_type_opt_in_preference(resource_type, on)
            .send()
            .await
            .context("Backup UpdateRegionSettings")?;
        Ok(())
    }

    /// Creates an account backup plan `name` (daily, into the scene's vault) selecting the tag `tag` with `role`.
    pub async fn create_account_plan(&self, name: &str, tag: (&str, &str), role: &str) -> Result<()> {
        use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, Condition, ConditionType};
        let backup = self.clients().backup;
        let rule = BackupRuleInput::builder()
            .rule_name("daily")
            .target_backup_vault_name(VAULT_NAME)
            .schedule_expression("cron(0 5 ? * * *)")
            .build()?;
        let plan = BackupPlanInput::builder().backup_plan_name(name).rules(rule).build()?;
        let id = backup.create_backup_plan().backup_plan(plan).send().await?;
        let selection = BackupSelection::builder()
            .selection_name(name)
            .iam_role_arn(role)
            .list_of_tags(
                Condition::builder()
                    .condition_type(ConditionType::Stringequals)
                    .condition_key(tag.0)
                    .condition_value(tag.1)
                    .build()?,
            )
            .build()?;
        backup
            .create_backup_selection()
            .backup_plan_id(id.backup_plan_id().unwrap_or_default())
            .backup_selection(selection)
            .send()
            .await
            .context("Backup CreateBackupSelection")?;
        Ok(())
    }

    /// Runs tonight's backup in the emulator (body fields: accounts, regions, resources, status, hours_ago).
    pub async fn run_backups(&self, body: Value) -> Result<Value> {
        let endpoint = std::env::var("AWS_ENDPOINT_URL")?;
        let res = reqwest::Client::new()
            .post(format!("{endpoint}/moto-api/superwerker/backup-run"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("backup-run answered {}: {}", res.status(), res.text().await?);
        }
        Ok(serde_json::from_str(&res.text().await?)?)
    }
}

/// Another region than `home` for the scene's vault-less resources.
pub fn away_from(home: &str) -> String {
    if home == "eu-central-1" {
        "eu-west-1"
    } else {
        "eu-central-1"
    }
    .to_owned()
}

fn cli(cli: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(cli).args(args).output()?;
    if !out.status.success() {
        bail!(
            "superwerker-backup {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Builds the scene in the caller's organization (the management account, organization already created): the
/// bootstrap's policy for both regions, vault and role in `home` only, EFS opted out of AWS Backup in `home`, trails in
/// both, then tonight's backup: a `PARTIAL` point for one table, and the usual run for everything else.
pub async fn build(em: &Emulator, cli_path: &Path) -> Result<AuditScene> {
    let (home, away) = (em.region.clone(), away_from(&em.region));
    let there = em.in_region(&away);
    cli(cli_path, &["bootstrap", "--regions", &format!("{home},{away}")])?;
    em.create_backup_role("/service-role/", SERVICE_ROLE_NAME).await?;
    em.create_vault(VAULT_NAME).await?;
    em.set_opt_in("EFS", false).await?;
    em.create_trail("All", true).await?;
    there.create_trail("All", true).await?;

    let protected = em.volume_arn(&em.create_volume(&[(KEY, "daily")]).await?);
    let opted_out = em.volume_arn(&em.create_volume(&[(KEY, "none")]).await?);
    let untagged = em.volume_arn(&em.create_volume(&[]).await?);
    let (_, not_opted_in) = em.create_file_system(&[(KEY, "daily")]).await?;
    let (_, partial_only) = em.create_table(&[(KEY, "daily")]).await?;
    let no_vault = there.volume_arn(&there.create_volume(&[(KEY, "daily")]).await?);
    let no_role = em.volume_arn(&em.create_volume(&[(KEY, "weekly"), ("team", "payments")]).await?);
    let key_case = em.volume_arn(&em.create_volume(&[("Superwerker:Backup", "daily")]).await?);
    em.create_account_plan(
        "payments",
        ("team", "payments"),
        &format!("arn:aws:iam::{}:role/gone", em.account),
    )
    .await?;

    let partial = em
        .run_backups(json!({"resources": [partial_only], "status": "PARTIAL", "hours_ago": 1}))
        .await?;
    // Every other resource of the account (in `make demo`, those tagged earlier) is backed up too.
    let nightly = em
        .run_backups(json!({"except": [partial_only], "hours_ago": 2}))
        .await?;
    Ok(AuditScene {
        home,
        away,
        protected,
        opted_out,
        untagged,
        not_opted_in,
        partial_only,
        no_vault,
        no_role,
        key_case,
        backup_runs: vec![partial, nightly],
    })
}
