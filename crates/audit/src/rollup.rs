//! `audit --organization --from-reports` (README, Organization): the organization's answer from the summaries the
//! daily sweeps wrote to the reports bucket, entering no account. A summary older than a day (and the two hours the
//! no-sweep alarm also allows), an account without any, and a region that other accounts report but this one does not,
//! are findings: a sweep that stopped running, or never ran, must not be silence.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use superwerker_backup_aws::organizations::AccountInfo;
use superwerker_backup_aws::reports::{summary_key, ReportBucket};
use superwerker_backup_aws::AdapterError;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::summary::RegionSummary;

/// A summary older than this is stale: the sweep runs daily (its schedule, `SweepSchedule`), and a day's run may end a
/// little later than the day before's; the "no sweep in 26 h" alarm allows the same two hours.
pub const STALE_AFTER_SECS: i64 = 26 * 3600;

/// How far a summary's own time may be ahead of S3's time for its object (clocks differ a little).
const CLOCK_SKEW_SECS: i64 = 300;

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
    /// Expected (other accounts report this region, or --regions names it) but never written.
    pub missing: bool,
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
    /// Reads that stopped without an answer.
    pub problems: Vec<String>,
}

/// `reports/<account>/<region>/latest.json` → (account, region).
fn place(key: &str) -> Option<(&str, &str)> {
    let mut parts = key.strip_prefix("reports/")?.split('/');
    let (account, region, last) = (parts.next()?, parts.next()?, parts.next()?);
    (last == "latest.json" && parts.next().is_none()).then_some((account, region))
}

/// Reads the latest summary of every account and region in `bucket`, for `accounts`; `expected` are the regions every
/// account should report (empty: every region some account reports).
pub async fn read_reports(
    bucket: &ReportBucket,
    accounts: Vec<AccountInfo>,
    expected: &[String],
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
    let (mut others, mut problems) = (Vec::new(), Vec::new());
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
            (account, region, listed, summary)
        });
    }
    while let Some(done) = reads.join_next().await {
        let (account, region, listed, summary) = match done {
            Ok(read) => read,
            Err(e) => {
                problems.push(format!("a summary's read stopped: {e}"));
                continue;
            }
        };
        let mut report = RegionReport {
            region,
            key: listed.key,
            age_hours: None,
            stale: false,
            missing: false,
            error: None,
            summary: None,
        };
        match summary.and_then(|s| judged(s, &account, &report.region, listed.last_modified)) {
            Ok(s) => {
                // The older of the sweep's own time and S3's: neither clock alone can hide a sweep that stopped.
                let written = listed.last_modified.map_or(s.generated_at, |t| t.min(s.generated_at));
                let age = now - written;
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
    let expected: BTreeSet<String> = if expected.is_empty() {
        by_account
            .values()
            .flat_map(|a| a.regions.iter().map(|r| r.region.clone()))
            .collect()
    } else {
        expected.iter().cloned().collect()
    };
    let mut accounts: Vec<AccountReports> = by_account.into_values().collect();
    for a in accounts.iter_mut().filter(|a| !a.missing) {
        let have: BTreeSet<String> = a.regions.iter().map(|r| r.region.clone()).collect();
        for region in expected.difference(&have) {
            a.regions.push(RegionReport {
                region: region.clone(),
                key: summary_key(&a.account, region),
                age_hours: None,
                stale: false,
                missing: true,
                error: None,
                summary: None,
            });
        }
        a.regions.sort_by(|x, y| x.region.cmp(&y.region));
    }
    others.sort();
    Ok(Rollup {
        bucket: bucket.name().to_owned(),
        accounts,
        others,
        problems,
    })
}

/// A summary read back, if it is about the place it was found at and not written with a clock ahead of S3's.
fn judged(s: RegionSummary, account: &str, region: &str, stored: Option<i64>) -> Result<RegionSummary, String> {
    if s.account != account || s.region != region {
        return Err(format!(
            "the summary is about {} {}, not the account and region it is filed under",
            s.account, s.region
        ));
    }
    if let Some(stored) = stored.filter(|t| s.generated_at > t + CLOCK_SKEW_SECS) {
        return Err(format!(
            "the summary says it was written {} s after S3 stored it: its time cannot be believed",
            s.generated_at - stored
        ));
    }
    Ok(s)
}

impl Rollup {
    /// An account or region with no summary, a summary stale, unreadable or itself partial, or a read that stopped
    /// (exit code 2).
    pub fn partial(&self) -> bool {
        !self.problems.is_empty()
            || self.accounts.iter().any(|a| {
                a.missing
                    || a.regions.iter().any(|r| {
                        r.stale
                            || r.missing
                            || r.error.is_some()
                            || r.summary.as_ref().is_some_and(|s| !s.unlisted.is_empty())
                    })
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
                let status = status(r);
                let _ = writeln!(
                    out,
                    "{:<12}  {:<14}  {:<14}  {age:>8}  {resources:>9}  {protected:>9}  {unprotected:>11}  {reasons}{status}",
                    a.account, a.name, r.region
                );
            }
        }
        for p in &self.problems {
            let _ = writeln!(out, "problem: {p}");
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
                let status = status(r);
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

/// A region's state in words: why it cannot be believed, else how current it is, what it could not list and how many
/// region findings it has.
fn status(r: &RegionReport) -> String {
    if r.missing {
        return "no report for this region: its sweep never wrote one".to_owned();
    }
    if let Some(e) = &r.error {
        return format!("unreadable: {e}");
    }
    let mut words = if r.stale {
        format!("stale: older than {} h, the sweep has stopped", STALE_AFTER_SECS / 3600)
    } else {
        "current".to_owned()
    };
    if let Some(s) = &r.summary {
        if !s.unlisted.is_empty() {
            words.push_str(&format!(", partial: {} listings failed", s.unlisted.len()));
        }
        if !s.findings.is_empty() {
            words.push_str(&format!(", {} region findings", s.findings.len()));
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::{judged, place, CLOCK_SKEW_SECS};
    use crate::summary::RegionSummary;
    use crate::AuditReport;

    #[test]
    fn a_summary_about_another_place_or_from_a_clock_ahead_is_not_believed() {
        let s = RegionSummary::of(&AuditReport::default(), "111111111111", "eu-west-1", 1_000_000);
        assert!(judged(s.clone(), "111111111111", "eu-west-1", Some(1_000_010)).is_ok());
        assert!(judged(s.clone(), "111111111111", "eu-west-1", None).is_ok());
        assert!(judged(
            s.clone(),
            "111111111111",
            "eu-west-1",
            Some(1_000_000 - CLOCK_SKEW_SECS)
        )
        .is_ok());
        let ahead = judged(
            s.clone(),
            "111111111111",
            "eu-west-1",
            Some(1_000_000 - CLOCK_SKEW_SECS - 1),
        )
        .unwrap_err();
        assert!(ahead.contains("cannot be believed"), "{ahead}");
        let elsewhere = judged(s.clone(), "222222222222", "eu-west-1", None).unwrap_err();
        assert!(elsewhere.contains("about 111111111111 eu-west-1"), "{elsewhere}");
        assert!(judged(s, "111111111111", "us-east-1", None).is_err());
    }

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
