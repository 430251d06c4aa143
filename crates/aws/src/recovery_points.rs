//! AWS Backup's recovery points, as the audit needs them: per resource, the newest usable (`COMPLETED`, `AVAILABLE`)
//! and the newest still `CREATING`.
//!
//! At scale the audit reads them per vault, not per resource: `ListRecoveryPointsByBackupVault` with
//! `ByCreatedAfter` "Returns only recovery points that were created after the specified timestamp", each with its
//! `ResourceArn` and `Status` (AWS Backup API reference), so every recent point of a region costs one page per 1,000
//! points per vault (`MaxResults` 1-1000, asked at its maximum, as for `ListBackupVaults`) instead of one call per
//! resource (Backup's `List*` quota is a few requests per second).
//! `ListProtectedResources` is no substitute: its `LastBackupTime` does not say whether that backup completed.

use std::collections::BTreeMap;

use aws_sdk_backup::types::RecoveryPointStatus;
use aws_smithy_types::DateTime;
use superwerker_backup_domain::coverage::{is_usable_recovery_point, RecoveryPoints};

use crate::backup::Backup;
use crate::error::{sdk, AdapterError};

fn note(points: &mut RecoveryPoints, status: &RecoveryPointStatus, created: i64) {
    // Which statuses count is the domain's rule (AWS's statuses cited there).
    let slot = if is_usable_recovery_point(status.as_str()) {
        &mut points.newest_usable
    } else if status.as_str() == "CREATING" {
        &mut points.newest_creating
    } else {
        return;
    };
    *slot = Some(slot.map_or(created, |n| n.max(created)));
}

impl Backup {
    /// The resource's recovery points made by AWS Backup, in every vault (`ListRecoveryPointsByResource`, every page).
    pub async fn recovery_points(&self, resource_arn: &str) -> Result<RecoveryPoints, AdapterError> {
        let mut points = RecoveryPoints::default();
        let mut pages = self
            .client
            .list_recovery_points_by_resource()
            .resource_arn(resource_arn)
            // Only AWS Backup's own points, as the vault listing sees them ("If this is set to TRUE, the response
            // will contain recovery points associated with the selected resources that are managed by AWS Backup",
            // AWS Backup API reference, ListRecoveryPointsByResource).
            .managed_by_aws_backup_only(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk("Backup.ListRecoveryPointsByResource", resource_arn))?;
            for rp in page.recovery_points() {
                if let (Some(status), Some(created)) = (rp.status(), rp.creation_date()) {
                    note(&mut points, status, created.secs());
                }
            }
        }
        Ok(points)
    }

    /// The region's vaults (`ListBackupVaults`, every page).
    pub async fn vaults(&self) -> Result<Vec<String>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_backup_vaults()
            .max_results(1000)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk("Backup.ListBackupVaults", &self.region))?;
            out.extend(
                page.backup_vault_list()
                    .iter()
                    .filter_map(|v| v.backup_vault_name().map(str::to_owned)),
            );
        }
        Ok(out)
    }

    /// Every recovery point created since `since` (epoch seconds) in every vault of the region, by resource ARN.
    pub async fn recent_recovery_points(&self, since: i64) -> Result<BTreeMap<String, RecoveryPoints>, AdapterError> {
        let mut by_resource: BTreeMap<String, RecoveryPoints> = BTreeMap::new();
        for vault in self.vaults().await? {
            let mut pages = self
                .client
                .list_recovery_points_by_backup_vault()
                .backup_vault_name(&vault)
                .by_created_after(DateTime::from_secs(since))
                .max_results(1000)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(sdk("Backup.ListRecoveryPointsByBackupVault", &vault))?;
                for rp in page.recovery_points() {
                    if let (Some(arn), Some(status), Some(created)) =
                        (rp.resource_arn(), rp.status(), rp.creation_date())
                    {
                        note(by_resource.entry(arn.to_owned()).or_default(), status, created.secs());
                    }
                }
            }
        }
        Ok(by_resource)
    }
}
