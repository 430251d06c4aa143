//! AWS Backup in one account and region: vaults, plans, selections and recovery points, as domain types.

use aws_sdk_backup::types::{
    BackupPlanInput, BackupRuleInput, BackupSelection, Condition, ConditionParameter, ConditionType, Lifecycle,
};
use aws_sdk_backup::Client;
use superwerker_backup_domain::coverage::{RuleTiming, Selection, Test};
use superwerker_backup_domain::policy::{BackupPlanSpec, PlanRule};

use crate::error::{exists, sdk, AdapterError, ErrorKind};

/// IAM actions of the audit's AWS Backup reads (plans and selections, region settings, vaults, recovery points).
pub(crate) const AUDIT_ACTIONS: &[&str] = &[
    "backup:DescribeBackupVault",
    "backup:DescribeRegionSettings",
    "backup:GetBackupPlan",
    "backup:GetBackupSelection",
    "backup:ListBackupPlans",
    "backup:ListBackupSelections",
    "backup:ListBackupVaults",
    "backup:ListRecoveryPointsByBackupVault",
    "backup:ListRecoveryPointsByResource",
];

/// IAM actions of the bootstrap's AWS Backup calls. CreateBackupVault mounts the vault's storage
/// (`backup-storage:MountCapsule`, AWS Backup API reference, CreateBackupVault permissions); CreateBackupSelection
/// passes the backup service role (`iam:PassRole`).
pub(crate) const BOOTSTRAP_ACTIONS: &[&str] = &[
    "backup-storage:MountCapsule",
    "backup:CreateBackupPlan",
    "backup:CreateBackupSelection",
    "backup:CreateBackupVault",
    "backup:DeleteBackupPlan",
    "backup:DeleteBackupSelection",
    "backup:DescribeBackupVault",
    "backup:GetBackupPlan",
    "backup:GetBackupSelection",
    "backup:ListBackupPlans",
    "backup:ListBackupSelections",
    "backup:UpdateBackupPlan",
    "iam:PassRole",
];

#[derive(Clone, Debug)]
pub struct Backup {
    pub(crate) client: Client,
    pub(crate) region: String,
}

fn invalid_input(operation: &'static str, what: &str, e: impl std::fmt::Display) -> AdapterError {
    AdapterError::local(operation, what, ErrorKind::Other, e.to_string())
}

fn plan_input(spec: &BackupPlanSpec) -> Result<BackupPlanInput, AdapterError> {
    let bad = |e: aws_sdk_backup::error::BuildError| invalid_input("Backup.CreateBackupPlan", &spec.plan_name, e);
    let rule = BackupRuleInput::builder()
        .rule_name(&spec.rule_name)
        .target_backup_vault_name(&spec.vault)
        .schedule_expression(&spec.schedule)
        .schedule_expression_timezone(&spec.timezone)
        .lifecycle(Lifecycle::builder().delete_after_days(spec.delete_after_days).build())
        .start_window_minutes(spec.start_window_minutes)
        .completion_window_minutes(spec.completion_window_minutes)
        .build()
        .map_err(bad)?;
    BackupPlanInput::builder()
        .backup_plan_name(&spec.plan_name)
        .rules(rule)
        .build()
        .map_err(bad)
}

/// The selection `spec` asks for: resources whose tag `key` equals the daily value, backed up with the service role.
pub fn selection_input(spec: &BackupPlanSpec) -> Result<BackupSelection, AdapterError> {
    let bad = |e: aws_sdk_backup::error::BuildError| invalid_input("Backup.CreateBackupSelection", &spec.plan_name, e);
    let condition = Condition::builder()
        .condition_type(ConditionType::Stringequals)
        .condition_key(&spec.tag_key)
        .condition_value(&spec.tag_value)
        .build()
        .map_err(bad)?;
    BackupSelection::builder()
        .selection_name(&spec.selection_name)
        .iam_role_arn(&spec.role_arn)
        .list_of_tags(condition)
        .build()
        .map_err(bad)
}

fn strip_tag_prefix(key: &str) -> String {
    key.strip_prefix("aws:ResourceTag/").unwrap_or(key).to_owned()
}

fn params(list: &[ConditionParameter], make: impl Fn(String, String) -> Test) -> Vec<Test> {
    list.iter()
        .filter_map(|c| {
            Some(make(
                strip_tag_prefix(c.condition_key()?),
                c.condition_value()?.to_owned(),
            ))
        })
        .collect()
}

/// An AWS Backup selection as the domain's [`Selection`].
pub fn selection_from_backup(name: String, region: &str, s: &BackupSelection) -> Selection {
    let mut all_of = Vec::new();
    if let Some(c) = s.conditions() {
        all_of.extend(params(c.string_equals(), |key, value| Test::Equals { key, value }));
        all_of.extend(params(c.string_not_equals(), |key, value| Test::NotEquals {
            key,
            value,
        }));
        all_of.extend(params(c.string_like(), |key, pattern| Test::Like { key, pattern }));
        all_of.extend(params(c.string_not_like(), |key, pattern| Test::NotLike {
            key,
            pattern,
        }));
    }
    Selection {
        name,
        regions: vec![region.to_owned()],
        resources: s.resources().to_vec(),
        not_resources: s.not_resources().to_vec(),
        any_of: s
            .list_of_tags()
            .iter()
            .map(|c| Test::Equals {
                key: strip_tag_prefix(c.condition_key()),
                value: c.condition_value().to_owned(),
            })
            .collect(),
        all_of,
        role: Some(s.iam_role_arn().to_owned()),
        // The plan's rules are read with the plan (`account_selections`).
        timing: Vec::new(),
    }
}

impl Backup {
    /// From an SDK client for `region` (the adapter builds its own; tests hand in aws-smithy-mocks clients).
    pub fn new(client: Client, region: &str) -> Self {
        Backup {
            client,
            region: region.to_owned(),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub async fn vault_exists(&self, name: &str) -> Result<bool, AdapterError> {
        exists(
            self.client
                .describe_backup_vault()
                .backup_vault_name(name)
                .send()
                .await
                .map_err(|e| AdapterError::from_sdk("Backup.DescribeBackupVault", name, e.into_service_error())),
        )
    }

    pub async fn create_vault(&self, name: &str) -> Result<(), AdapterError> {
        self.client
            .create_backup_vault()
            .backup_vault_name(name)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.CreateBackupVault", name, e.into_service_error()))?;
        Ok(())
    }

    /// Every plan: (id, name).
    pub async fn plans(&self) -> Result<Vec<(String, String)>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self.client.list_backup_plans().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk("Backup.ListBackupPlans", &self.region))?;
            out.extend(page.backup_plans_list().iter().filter_map(|p| {
                Some((
                    p.backup_plan_id()?.to_owned(),
                    p.backup_plan_name().unwrap_or("?").to_owned(),
                ))
            }));
        }
        Ok(out)
    }

    /// The id of the plan called `name`.
    pub async fn find_plan(&self, name: &str) -> Result<Option<String>, AdapterError> {
        Ok(self
            .plans()
            .await?
            .into_iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| id))
    }

    pub async fn plan_rules(&self, id: &str) -> Result<Vec<PlanRule>, AdapterError> {
        let out = self
            .client
            .get_backup_plan()
            .backup_plan_id(id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.GetBackupPlan", id, e.into_service_error()))?;
        Ok(out
            .backup_plan()
            .map(|p| p.rules())
            .unwrap_or_default()
            .iter()
            .map(|r| PlanRule {
                name: r.rule_name().to_owned(),
                schedule: r.schedule_expression().map(str::to_owned),
                timezone: r.schedule_expression_timezone().map(str::to_owned),
                vault: r.target_backup_vault_name().to_owned(),
                delete_after_days: r.lifecycle().and_then(|l| l.delete_after_days()),
                start_window_minutes: r.start_window_minutes(),
                completion_window_minutes: r.completion_window_minutes(),
            })
            .collect())
    }

    pub async fn create_plan(&self, spec: &BackupPlanSpec) -> Result<Option<String>, AdapterError> {
        let out = self
            .client
            .create_backup_plan()
            .backup_plan(plan_input(spec)?)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.CreateBackupPlan", &spec.plan_name, e.into_service_error()))?;
        Ok(out.backup_plan_id)
    }

    pub async fn update_plan(&self, id: &str, spec: &BackupPlanSpec) -> Result<(), AdapterError> {
        self.client
            .update_backup_plan()
            .backup_plan_id(id)
            .backup_plan(plan_input(spec)?)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.UpdateBackupPlan", id, e.into_service_error()))?;
        Ok(())
    }

    pub async fn delete_plan(&self, id: &str) -> Result<(), AdapterError> {
        self.client
            .delete_backup_plan()
            .backup_plan_id(id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.DeleteBackupPlan", id, e.into_service_error()))?;
        Ok(())
    }

    /// The plan's selections: (id, name).
    pub async fn selections(&self, plan_id: &str) -> Result<Vec<(String, String)>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_backup_selections()
            .backup_plan_id(plan_id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk("Backup.ListBackupSelections", plan_id))?;
            out.extend(page.backup_selections_list().iter().filter_map(|s| {
                Some((
                    s.selection_id()?.to_owned(),
                    s.selection_name().unwrap_or_default().to_owned(),
                ))
            }));
        }
        Ok(out)
    }

    /// One selection as the domain reads it, named `<plan name>/<selection name>`.
    pub async fn selection(&self, plan_id: &str, plan_name: &str, id: &str) -> Result<Option<Selection>, AdapterError> {
        let out = self
            .client
            .get_backup_selection()
            .backup_plan_id(plan_id)
            .selection_id(id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.GetBackupSelection", id, e.into_service_error()))?;
        Ok(out
            .backup_selection()
            .map(|s| selection_from_backup(format!("{plan_name}/{}", s.selection_name()), &self.region, s)))
    }

    pub async fn create_selection(&self, plan_id: &str, spec: &BackupPlanSpec) -> Result<(), AdapterError> {
        self.client
            .create_backup_selection()
            .backup_plan_id(plan_id)
            .backup_selection(selection_input(spec)?)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.CreateBackupSelection", plan_id, e.into_service_error()))?;
        Ok(())
    }

    pub async fn delete_selection(&self, plan_id: &str, id: &str) -> Result<(), AdapterError> {
        self.client
            .delete_backup_selection()
            .backup_plan_id(plan_id)
            .selection_id(id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.DeleteBackupSelection", id, e.into_service_error()))?;
        Ok(())
    }

    /// Every selection of every plan of the account in this region.
    pub async fn account_selections(&self) -> Result<Vec<Selection>, AdapterError> {
        let mut out = Vec::new();
        for (plan_id, plan_name) in self.plans().await? {
            let timing: Vec<RuleTiming> = self
                .plan_rules(&plan_id)
                .await?
                .into_iter()
                .map(|r| RuleTiming {
                    schedule: r.schedule.unwrap_or_default(),
                    vault: r.vault,
                    start_window_minutes: r.start_window_minutes.and_then(|m| u64::try_from(m).ok()),
                    completion_window_minutes: r.completion_window_minutes.and_then(|m| u64::try_from(m).ok()),
                })
                .collect();
            for (id, _) in self.selections(&plan_id).await? {
                out.extend(self.selection(&plan_id, &plan_name, &id).await?.map(|s| Selection {
                    timing: timing.clone(),
                    ..s
                }));
            }
        }
        Ok(out)
    }

    /// The region's opt-in per AWS Backup resource type (`DescribeRegionSettings`, `ResourceTypeOptInPreference`).
    pub async fn opt_in(&self) -> Result<std::collections::BTreeMap<String, bool>, AdapterError> {
        let out = self.client.describe_region_settings().send().await.map_err(|e| {
            AdapterError::from_sdk("Backup.DescribeRegionSettings", &self.region, e.into_service_error())
        })?;
        Ok(out
            .resource_type_opt_in_preference()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default())
    }

    /// Opts the region in to these resource types (`UpdateRegionSettings`; the map names only the types changed, the
    /// others keep their setting).
    pub async fn turn_on(&self, types: &[String]) -> Result<(), AdapterError> {
        let mut call = self.client.update_region_settings();
        for t in types {
            call = call.resource_type_opt_in_preference(t, true);
        }
        call.send()
            .await
            .map_err(|e| AdapterError::from_sdk("Backup.UpdateRegionSettings", &self.region, e.into_service_error()))?;
        Ok(())
    }
}
