//! AWS Backup in one account and region: the vault, the plan (daily 05:00 UTC, 30 days) and the tag selection.

use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, Condition, ConditionType, Lifecycle};
use aws_sdk_backup::Client;
use superwerker_backup_domain::policy::BackupPlanSpec;

use crate::report::{ChangeKind, Report};
use crate::{aws, BootstrapError};

/// Ensures vault, plan and selection in the client's region.
pub async fn ensure(
    client: &Client,
    region: &str,
    spec: &BackupPlanSpec,
    report: &mut Report,
) -> Result<(), BootstrapError> {
    ensure_vault(client, region, spec, report).await?;
    let plan_id = ensure_plan(client, region, spec, report).await?;
    ensure_selection(client, region, plan_id.as_deref(), spec, report).await
}

pub async fn ensure_vault(
    client: &Client,
    region: &str,
    spec: &BackupPlanSpec,
    report: &mut Report,
) -> Result<(), BootstrapError> {
    let target = format!("backup vault {} ({region})", spec.vault);
    match client
        .describe_backup_vault()
        .backup_vault_name(&spec.vault)
        .send()
        .await
    {
        Ok(_) => report.push(target, ChangeKind::UpToDate, vec![]),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            if !report.dry_run {
                client
                    .create_backup_vault()
                    .backup_vault_name(&spec.vault)
                    .send()
                    .await
                    .map_err(aws("Backup.CreateBackupVault", &spec.vault))?;
            }
            report.push(target, ChangeKind::Created, vec![]);
        }
        Err(e) => return Err(aws("Backup.DescribeBackupVault", &spec.vault)(e)),
    }
    Ok(())
}

fn plan_input(spec: &BackupPlanSpec) -> Result<BackupPlanInput, BootstrapError> {
    let rule = BackupRuleInput::builder()
        .rule_name(&spec.rule_name)
        .target_backup_vault_name(&spec.vault)
        .schedule_expression(&spec.schedule)
        .schedule_expression_timezone(&spec.timezone)
        .lifecycle(Lifecycle::builder().delete_after_days(spec.delete_after_days).build())
        .build()
        .map_err(|e| BootstrapError::Config(e.to_string()))?;
    BackupPlanInput::builder()
        .backup_plan_name(&spec.plan_name)
        .rules(rule)
        .build()
        .map_err(|e| BootstrapError::Config(e.to_string()))
}

/// Returns the plan id (none in a dry run that would create it).
pub async fn ensure_plan(
    client: &Client,
    region: &str,
    spec: &BackupPlanSpec,
    report: &mut Report,
) -> Result<Option<String>, BootstrapError> {
    let target = format!("backup plan {} ({region})", spec.plan_name);
    let Some(id) = find_plan(client, &spec.plan_name).await? else {
        let id = if report.dry_run {
            None
        } else {
            client
                .create_backup_plan()
                .backup_plan(plan_input(spec)?)
                .send()
                .await
                .map_err(aws("Backup.CreateBackupPlan", &spec.plan_name))?
                .backup_plan_id
        };
        report.push(target, ChangeKind::Created, id.iter().cloned().collect());
        return Ok(id);
    };
    let plan = client
        .get_backup_plan()
        .backup_plan_id(&id)
        .send()
        .await
        .map_err(aws("Backup.GetBackupPlan", &id))?
        .backup_plan;
    let rules = plan.as_ref().map(|p| p.rules()).unwrap_or_default();
    let mut diff = Vec::new();
    match rules {
        [rule] => {
            let mut check = |what: &str, current: Option<String>, desired: String| {
                if current.as_deref() != Some(desired.as_str()) {
                    diff.push(format!(
                        "~ {what}: {} -> {desired}",
                        current.unwrap_or_else(|| "(none)".into())
                    ));
                }
            };
            check("rule name", Some(rule.rule_name().to_owned()), spec.rule_name.clone());
            check(
                "schedule",
                rule.schedule_expression().map(str::to_owned),
                spec.schedule.clone(),
            );
            check(
                "timezone",
                rule.schedule_expression_timezone().map(str::to_owned),
                spec.timezone.clone(),
            );
            check(
                "vault",
                Some(rule.target_backup_vault_name().to_owned()),
                spec.vault.clone(),
            );
            check(
                "delete after days",
                rule.lifecycle()
                    .and_then(|l| l.delete_after_days())
                    .map(|d| d.to_string()),
                spec.delete_after_days.to_string(),
            );
        }
        other => diff.push(format!("~ rules: {} rules -> 1 rule {}", other.len(), spec.rule_name)),
    }
    if diff.is_empty() {
        report.push(target, ChangeKind::UpToDate, vec![id.clone()]);
    } else {
        if !report.dry_run {
            client
                .update_backup_plan()
                .backup_plan_id(&id)
                .backup_plan(plan_input(spec)?)
                .send()
                .await
                .map_err(aws("Backup.UpdateBackupPlan", &id))?;
        }
        report.push(target, ChangeKind::Updated, diff);
    }
    Ok(Some(id))
}

async fn find_plan(client: &Client, name: &str) -> Result<Option<String>, BootstrapError> {
    let mut pages = client.list_backup_plans().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("Backup.ListBackupPlans", name))?;
        if let Some(p) = page
            .backup_plans_list()
            .iter()
            .find(|p| p.backup_plan_name() == Some(name))
        {
            return Ok(p.backup_plan_id().map(str::to_owned));
        }
    }
    Ok(None)
}

/// The selection request: resources whose tag `key` equals the daily value, backed up with the service role.
pub fn selection(spec: &BackupPlanSpec) -> Result<BackupSelection, BootstrapError> {
    let condition = Condition::builder()
        .condition_type(ConditionType::Stringequals)
        .condition_key(&spec.tag_key)
        .condition_value(&spec.tag_value)
        .build()
        .map_err(|e| BootstrapError::Config(e.to_string()))?;
    BackupSelection::builder()
        .selection_name(&spec.selection_name)
        .iam_role_arn(&spec.role_arn)
        .list_of_tags(condition)
        .build()
        .map_err(|e| BootstrapError::Config(e.to_string()))
}

/// Selections cannot be updated in place: a drifted one is deleted and created again.
pub async fn ensure_selection(
    client: &Client,
    region: &str,
    plan_id: Option<&str>,
    spec: &BackupPlanSpec,
    report: &mut Report,
) -> Result<(), BootstrapError> {
    let target = format!("backup selection {} ({region})", spec.selection_name);
    let Some(plan_id) = plan_id else {
        report.push(target, ChangeKind::Created, vec!["with the new plan".into()]);
        return Ok(());
    };
    let desired = selection(spec)?;
    let mut existing = None;
    let mut pages = client
        .list_backup_selections()
        .backup_plan_id(plan_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("Backup.ListBackupSelections", plan_id))?;
        if let Some(s) = page
            .backup_selections_list()
            .iter()
            .find(|s| s.selection_name() == Some(&spec.selection_name))
        {
            existing = s.selection_id().map(str::to_owned);
            break;
        }
    }
    let mut kind = ChangeKind::Created;
    let mut detail = vec![format!("{}={} via {}", spec.tag_key, spec.tag_value, spec.role_arn)];
    if let Some(selection_id) = existing {
        let current = client
            .get_backup_selection()
            .backup_plan_id(plan_id)
            .selection_id(&selection_id)
            .send()
            .await
            .map_err(aws("Backup.GetBackupSelection", &selection_id))?
            .backup_selection;
        let same = current.as_ref().is_some_and(|c| {
            c.iam_role_arn() == desired.iam_role_arn()
                && c.list_of_tags() == desired.list_of_tags()
                && c.resources().is_empty()
                && c.conditions().is_none_or(|cond| {
                    cond.string_equals().is_empty()
                        && cond.string_not_equals().is_empty()
                        && cond.string_like().is_empty()
                        && cond.string_not_like().is_empty()
                })
        });
        if same {
            report.push(target, ChangeKind::UpToDate, vec![selection_id]);
            return Ok(());
        }
        if !report.dry_run {
            client
                .delete_backup_selection()
                .backup_plan_id(plan_id)
                .selection_id(&selection_id)
                .send()
                .await
                .map_err(aws("Backup.DeleteBackupSelection", &selection_id))?;
        }
        kind = ChangeKind::Updated;
        detail.insert(0, format!("replacing drifted selection {selection_id}"));
    }
    if !report.dry_run {
        client
            .create_backup_selection()
            .backup_plan_id(plan_id)
            .backup_selection(desired)
            .send()
            .await
            .map_err(aws("Backup.CreateBackupSelection", plan_id))?;
    }
    report.push(target, kind, detail);
    Ok(())
}

/// Deletes our selections and plan. The vault stays: it may hold recovery points, which outlive this service.
pub async fn remove(
    client: &Client,
    region: &str,
    spec: &BackupPlanSpec,
    report: &mut Report,
) -> Result<(), BootstrapError> {
    let target = format!("backup plan {} ({region})", spec.plan_name);
    let Some(plan_id) = find_plan(client, &spec.plan_name).await? else {
        report.push(target, ChangeKind::Skipped, vec!["not found".into()]);
        return Ok(());
    };
    let mut pages = client
        .list_backup_selections()
        .backup_plan_id(&plan_id)
        .into_paginator()
        .send();
    let mut selections = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("Backup.ListBackupSelections", &plan_id))?;
        selections.extend(
            page.backup_selections_list()
                .iter()
                .filter_map(|s| s.selection_id().map(str::to_owned)),
        );
    }
    for selection_id in selections {
        if !report.dry_run {
            client
                .delete_backup_selection()
                .backup_plan_id(&plan_id)
                .selection_id(&selection_id)
                .send()
                .await
                .map_err(aws("Backup.DeleteBackupSelection", &selection_id))?;
        }
        report.push(
            format!("backup selection {selection_id} ({region})"),
            ChangeKind::Deleted,
            vec![],
        );
    }
    if !report.dry_run {
        client
            .delete_backup_plan()
            .backup_plan_id(&plan_id)
            .send()
            .await
            .map_err(aws("Backup.DeleteBackupPlan", &plan_id))?;
    }
    report.push(target, ChangeKind::Deleted, vec![plan_id]);
    Ok(())
}
