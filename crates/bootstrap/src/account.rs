//! AWS Backup in one account and region: the vault, the plan (daily 05:00 UTC, 30 days) and the tag selection.

use superwerker_backup_aws::backup::Backup;
use superwerker_backup_domain::policy::BackupPlanSpec;

use crate::report::{ChangeKind, Report};
use crate::BootstrapError;

/// Ensures vault, plan and selection in the adapter's region.
pub async fn ensure(backup: &Backup, spec: &BackupPlanSpec, report: &mut Report) -> Result<(), BootstrapError> {
    ensure_vault(backup, spec, report).await?;
    let plan_id = ensure_plan(backup, spec, report).await?;
    ensure_selection(backup, plan_id.as_deref(), spec, report).await
}

pub async fn ensure_vault(backup: &Backup, spec: &BackupPlanSpec, report: &mut Report) -> Result<(), BootstrapError> {
    let target = format!("backup vault {} ({})", spec.vault, backup.region());
    if backup.vault_exists(&spec.vault).await? {
        report.push(target, ChangeKind::UpToDate, vec![]);
    } else {
        if !report.dry_run {
            backup.create_vault(&spec.vault).await?;
        }
        report.push(target, ChangeKind::Created, vec![]);
    }
    Ok(())
}

/// Returns the plan id (none in a dry run that would create it).
pub async fn ensure_plan(
    backup: &Backup,
    spec: &BackupPlanSpec,
    report: &mut Report,
) -> Result<Option<String>, BootstrapError> {
    let target = format!("backup plan {} ({})", spec.plan_name, backup.region());
    let Some(id) = backup.find_plan(&spec.plan_name).await? else {
        let id = if report.dry_run {
            None
        } else {
            backup.create_plan(spec).await?
        };
        report.push(target, ChangeKind::Created, id.iter().cloned().collect());
        return Ok(id);
    };
    let diff = match backup.plan_rules(&id).await?.as_slice() {
        [rule] => rule.diff(spec),
        other => vec![format!("~ rules: {} rules -> 1 rule {}", other.len(), spec.rule_name)],
    };
    if diff.is_empty() {
        report.push(target, ChangeKind::UpToDate, vec![id.clone()]);
    } else {
        if !report.dry_run {
            backup.update_plan(&id, spec).await?;
        }
        report.push(target, ChangeKind::Updated, diff);
    }
    Ok(Some(id))
}

/// Selections cannot be updated in place: a drifted one is deleted and created again.
pub async fn ensure_selection(
    backup: &Backup,
    plan_id: Option<&str>,
    spec: &BackupPlanSpec,
    report: &mut Report,
) -> Result<(), BootstrapError> {
    let target = format!("backup selection {} ({})", spec.selection_name, backup.region());
    let Some(plan_id) = plan_id else {
        report.push(target, ChangeKind::Created, vec!["with the new plan".into()]);
        return Ok(());
    };
    let existing = backup
        .selections(plan_id)
        .await?
        .into_iter()
        .find(|(_, name)| name == &spec.selection_name)
        .map(|(id, _)| id);
    let mut kind = ChangeKind::Created;
    let mut detail = vec![format!("{}={} via {}", spec.tag_key, spec.tag_value, spec.role_arn)];
    if let Some(selection_id) = existing {
        let current = backup.selection(plan_id, &spec.plan_name, &selection_id).await?;
        if current.is_some_and(|c| c.is_exactly(spec)) {
            report.push(target, ChangeKind::UpToDate, vec![selection_id]);
            return Ok(());
        }
        if !report.dry_run {
            backup.delete_selection(plan_id, &selection_id).await?;
        }
        kind = ChangeKind::Updated;
        detail.insert(0, format!("replacing drifted selection {selection_id}"));
    }
    if !report.dry_run {
        backup.create_selection(plan_id, spec).await?;
    }
    report.push(target, kind, detail);
    Ok(())
}

/// Deletes our selections and plan. The vault stays: it may hold recovery points, which outlive this service.
pub async fn remove(backup: &Backup, spec: &BackupPlanSpec, report: &mut Report) -> Result<(), BootstrapError> {
    let region = backup.region().to_owned();
    let target = format!("backup plan {} ({region})", spec.plan_name);
    let Some(plan_id) = backup.find_plan(&spec.plan_name).await? else {
        report.push(target, ChangeKind::Skipped, vec!["not found".into()]);
        return Ok(());
    };
    for (selection_id, _) in backup.selections(&plan_id).await? {
        if !report.dry_run {
            backup.delete_selection(&plan_id, &selection_id).await?;
        }
        report.push(
            format!("backup selection {selection_id} ({region})"),
            ChangeKind::Deleted,
            vec![],
        );
    }
    if !report.dry_run {
        backup.delete_plan(&plan_id).await?;
    }
    report.push(target, ChangeKind::Deleted, vec![plan_id]);
    Ok(())
}
