//! Recovery points for the audit, read per vault: every point of every vault of a region created since the oldest
//! point any covering rule could still accept (`ListRecoveryPointsByBackupVault` with `ByCreatedAfter`, see the
//! adapter), so an audit costs pages of points, not a call per resource. A point older than that cannot make a
//! resource protected, so its age is not needed for the verdict. A covered resource without a usable point there, or
//! in a region whose vaults cannot be listed, is read on its own (`ListRecoveryPointsByResource`).

use std::collections::BTreeMap;

use superwerker_backup_domain::coverage::{allowed_age_minutes, RecoveryPoints, Selection};

use crate::report::AuditReport;
use crate::targets::applies_in;
use crate::Coverage;

pub(crate) struct RecentPoints {
    by_region: BTreeMap<String, Result<BTreeMap<String, RecoveryPoints>, String>>,
}

impl RecentPoints {
    /// Reads each region's recent points once, where a selection's plan runs (elsewhere nothing is covered).
    pub async fn read<C: Coverage>(
        c: &C,
        selections: &[Selection],
        regions: &[String],
        now: i64,
        report: &mut AuditReport,
    ) -> RecentPoints {
        let mut by_region = BTreeMap::new();
        for region in regions {
            // The longest age any rule here allows, a backup in progress included: nothing older decides a verdict.
            let rules = selections
                .iter()
                .filter(|s| applies_in(s, region))
                .flat_map(|s| s.timing.iter());
            let Some(window) = allowed_age_minutes(rules, true) else {
                continue;
            };
            let since = now - (window as i64) * 60;
            let found = c.recent_recovery_points(region, since).await;
            report.sources.push(match &found {
                Ok(points) => format!(
                    "recovery points in {region} of the last {} h (every vault): {} resources",
                    window.div_ceil(60),
                    points.len()
                ),
                Err(e) => format!("recovery points in {region}: vaults unreadable ({e}), read per resource instead"),
            });
            by_region.insert(region.clone(), found);
        }
        RecentPoints { by_region }
    }

    /// The resource's points: from its region's vault listing when that shows a usable one; otherwise (none there,
    /// or the listing failed) from its own listing, which sees every vault — `ListBackupVaults` does not document
    /// whether it lists logically air-gapped vaults without `ByVaultType`, so "no point" is never concluded from the
    /// vault listing alone. The cost stays with the resources that look unprotected.
    pub async fn of<C: Coverage>(&self, c: &C, region: &str, arn: &str) -> Result<RecoveryPoints, String> {
        match self
            .by_region
            .get(region)
            .and_then(|r| r.as_ref().ok())
            .and_then(|p| p.get(arn))
        {
            Some(points) if points.newest_usable.is_some() => Ok(*points),
            _ => c.recovery_points(region, arn).await,
        }
    }
}
