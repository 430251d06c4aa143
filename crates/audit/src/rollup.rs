//! `audit --organization --from-reports` (README, Organization): the organization's answer from the summaries the
//! daily sweeps wrote to the reports bucket, entering no account. A summary older than a day, and an account with
//! none at all, are findings: a sweep that stopped running, or never ran, must not be silence.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use superwerker_backup_aws::organizations::AccountInfo;
use superwerker_backup_aws::reports::ReportBucket;
use superwerker_backup_aws::AdapterError;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::summary::RegionSummary;

/// A summary older than this is stale: the sweep runs daily (its schedule, `SweepSchedule`), and the "no sweep in 26 h"
/// alarm allows two hours more for a run to finish.
pub const STALE_AFTER_SECS: i64 = 24 * 3600;

/// Summaries read at the same time.
const READERS: usize = 16;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionReport {
    pub region: String,
    pub key: String,
    /// Hours since the sweep wrote it (by its own clock), when it could be read.
    pub age_hours: Option<f64>,
    pub stale: bool,
    /// Why it could not be read.
    pub error: Option<String>,
    pub summary: Option<RegionSummary>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountReports {
    pub account: String,
    pub name: String,
    /// No summary at all: its sweeps never wrote one.
    pub missing: bool,
    pub regions: Vec<RegionReport>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollup {
    pub bucket: String,
    pub accounts: Vec<AccountReports>,
    /// Summaries of accounts not among those listed (an account that left the organization, or outside --accounts).
    pub others: Vec<String>,
}

/// `reports/<account>/<region>/latest.json` → (account, region).
fn place(key: &str) -> Option<(&str, &str)> {
    let mut parts = key.strip_prefix("reports/")?.split('/');
    let (account, region, last) = (parts.next()?, parts.next()?, parts.next()?);
    (last == "latest.json" && parts.next().is_none()).then_some((account, region))
}

/// Reads the latest summary of every account and region in `bucket`, for `accounts`.
pub async fn read_reports(
    bucket: &ReportBucket,
    accounts: Vec<AccountInfo>,
    now: SystemTime,
) -> Result<Rollup, AdapterError> {
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let mut by_account: BTreeMap<String, AccountReports> = accounts
        .into_iter()
        .map(|a| {
            let reports = AccountReports {
                account: a.id.clone(),
                name: a.name,
                missing: true,
                regions: Vec::new(),
            };
            (a.id, reports)
        })
        .collect();
    let mut others = Vec::new();
    let slots = Arc::new(Semaphore::new(READERS));
    let mut reads = JoinSet::new();
    for listed in bucket.summaries().await? {
        let Some((account, region)) = place(&listed.key) else {
            continue;
        };
        if !by_account.contains_key(account) {
            others.push(listed.key.clone());
            continue;
        }
        let (bucket, slots) = (bucket.clone(), slots.clone());
        let (account, region) = (account.to_owned(), region.to_owned());
        reads.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let read = bucket.get(&listed.key).await.map_err(|e| e.to_string());
            let summary = read.and_then(|bytes| RegionSummary::from_json(&bytes));
            (account, region, listed.key, summary)
        });
    }
    while let Some(done) = reads.join_next().await {
        let Ok((account, region, key, summary)) = done else {
            continue;
        };
        let mut report = RegionReport {
            region,
            key,
            age_hours: None,
            stale: false,
            error: None,
            summary: None,
        };
        match summary {
            Ok(s) => {
                let age = now - s.generated_at;
                report.age_hours = Some((age as f64 / 360.0).round() / 10.0);
                report.stale = age > STALE_AFTER_SECS;
                report.summary = Some(s);
            }
            Err(e) => report.error = Some(e),
        }
        if let Some(a) = by_account.get_mut(&account) {
            a.missing = false;
            a.regions.push(report);
        }
    }
    let mut accounts: Vec<AccountReports> = by_account.into_values().collect();
    for a in &mut accounts {
        a.regions.sort_by(|x, y| x.region.cmp(&y.region));
    }
    others.sort();
    Ok(Rollup {
        bucket: bucket.name().to_owned(),
        accounts,
        others,
    })
}

impl Rollup {
    /// An account with no summary, or a summary stale, unreadable or itself partial (exit code 2).
    pub fn partial(&self) -> bool {
        self.accounts.iter().any(|a| {
            a.missing
                || a.regions
                    .iter()
                    .any(|r| r.stale || r.error.is_some() || r.summary.as_ref().is_some_and(|s| !s.unlisted.is_empty()))
        })
    }

    /// Anything unprotected, or a region finding, in any summary read (exit code 3).
    pub fn fails_gate(&self) -> bool {
        self.summaries().any(|s| s.unprotected > 0 || !s.findings.is_empty())
    }

    fn summaries(&self) -> impl Iterator<Item = &RegionSummary> {
        self.accounts
            .iter()
            .flat_map(|a| a.regions.iter().filter_map(|r| r.summary.as_ref()))
    }

    /// One line per account and region (and per account without any summary), then the totals.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "{:<12}  {:<14}  {:<14}  {:>8}  {:>9}  {:>9}  {:>11}  reasons / status\n",
            "account", "name", "region", "age", "resources", "protected", "unprotected"
        );
        for a in &self.accounts {
            if a.missing {
                let _ = writeln!(
                    out,
                    "{:<12}  {:<14}  {:<14}  {:>8}  {:>9}  {:>9}  {:>11}  no report: no sweep of this account has \
                     written one (stack not deployed, or its ReportsBucket not set)",
                    a.account, a.name, "-", "-", "-", "-", "-"
                );
            }
            for r in &a.regions {
                let age = r.age_hours.map_or_else(|| "-".to_owned(), |h| format!("{h:.1} h"));
                let (resources, protected, unprotected, reasons) = match &r.summary {
                    Some(s) => (
                        s.resources.to_string(),
                        s.counts.get("protected").copied().unwrap_or(0).to_string(),
                        s.unprotected.to_string(),
                        s.counts
                            .iter()
                            .filter(|(k, _)| !["protected", "opted-out"].contains(&k.as_str()))
                            .map(|(k, n)| format!("{k}={n} "))
                            .collect::<String>(),
                    ),
                    None => ("-".into(), "-".into(), "-".into(), String::new()),
                };
                let status = match (&r.error, r.stale) {
                    (Some(e), _) => format!("unreadable: {e}"),
                    (None, true) => format!("stale: older than {} h, the sweep has stopped", STALE_AFTER_SECS / 3600),
                    (None, false) => "current".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "{:<12}  {:<14}  {:<14}  {age:>8}  {resources:>9}  {protected:>9}  {unprotected:>11}  {reasons}{status}",
                    a.account, a.name, r.region
                );
            }
        }
        let missing = self.accounts.iter().filter(|a| a.missing).count();
        let stale = self
            .accounts
            .iter()
            .flat_map(|a| &a.regions)
            .filter(|r| r.stale)
            .count();
        let _ = writeln!(
            out,
            "{} accounts ({missing} without any report, {stale} stale regions; bucket {}): {} resources, {} unprotected",
            self.accounts.len(),
            self.bucket,
            self.summaries().map(|s| s.resources).sum::<u64>(),
            self.summaries().map(|s| s.unprotected).sum::<u64>(),
        );
        out
    }

    /// One row per account, region and verdict; one per region read without resources, and per account with none.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "account",
            "name",
            "region",
            "age_hours",
            "stale",
            "verdict",
            "resources",
            "status",
        ])?;
        for a in &self.accounts {
            if a.missing {
                w.write_record([&a.account, &a.name, "", "", "", "", "", "no report"])?;
            }
            for r in &a.regions {
                let age = r.age_hours.map(|h| h.to_string()).unwrap_or_default();
                let stale = r.stale.to_string();
                let status = r
                    .error
                    .clone()
                    .unwrap_or_else(|| (if r.stale { "stale" } else { "current" }).into());
                let counts = r.summary.as_ref().map(|s| s.counts.clone()).unwrap_or_default();
                if counts.is_empty() {
                    w.write_record([&a.account, &a.name, &r.region, &age, &stale, "", "0", &status])?;
                }
                for (verdict, n) in &counts {
                    w.write_record([
                        &a.account,
                        &a.name,
                        &r.region,
                        &age,
                        &stale,
                        verdict,
                        &n.to_string(),
                        &status,
                    ])?;
                }
            }
        }
        Ok(String::from_utf8_lossy(&w.into_inner().map_err(|e| e.into_error())?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::place;

    #[test]
    fn only_summary_keys_name_a_place() {
        assert_eq!(
            place("reports/111111111111/eu-west-1/latest.json"),
            Some(("111111111111", "eu-west-1"))
        );
        assert_eq!(place("reports/111111111111/eu-west-1/old.json"), None);
        assert_eq!(place("reports/111111111111/latest.json"), None);
        assert_eq!(place("other/111111111111/eu-west-1/latest.json"), None);
        assert_eq!(place("reports/1/r/x/latest.json"), None);
    }
}
