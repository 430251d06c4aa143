//! The organization audit's answer as a person or a spreadsheet reads it: one row per account (protected, opted out,
//! unprotected by reason, errors), and the exit-code rules.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::organization::{AccountAudit, OrgReport};

/// Verdicts that are not "unprotected" (the rest are counted by reason).
const PROTECTED: &str = "protected";
const OPTED_OUT: &str = "opted-out";

/// An account's numbers.
pub(crate) struct Row<'a> {
    pub(crate) audit: &'a AccountAudit,
    pub(crate) resources: u64,
    pub(crate) protected: u64,
    pub(crate) opted_out: u64,
    pub(crate) unprotected: u64,
    pub(crate) reasons: String,
    pub(crate) status: String,
}

pub(crate) fn row(a: &AccountAudit) -> Row<'_> {
    let counts: BTreeMap<String, u64> = a.report.as_ref().map(|r| r.counts.clone()).unwrap_or_default();
    let reasons = counts
        .iter()
        .filter(|(k, _)| k.as_str() != PROTECTED && k.as_str() != OPTED_OUT)
        .map(|(k, n)| format!("{k}={n}"))
        .collect::<Vec<_>>()
        .join(" ");
    // Short: the JSON output carries the findings and what was not listed in full.
    let status = match (&a.error, &a.report) {
        (Some(e), _) => format!("unreadable: {e}"),
        (None, Some(r)) if r.partial() => format!("partial: {} listings failed", r.unlisted.len()),
        (None, Some(r)) if !r.findings.is_empty() => format!("complete, {} region findings", r.findings.len()),
        _ => "complete".to_owned(),
    };
    Row {
        audit: a,
        resources: counts.values().sum(),
        protected: counts.get(PROTECTED).copied().unwrap_or(0),
        opted_out: counts.get(OPTED_OUT).copied().unwrap_or(0),
        unprotected: a.report.as_ref().map(|r| r.unprotected).unwrap_or(0),
        reasons,
        status,
    }
}

impl OrgReport {
    /// An account or region could not be read (exit code 2): the numbers cover only what was read.
    pub fn partial(&self) -> bool {
        self.accounts
            .iter()
            .any(|a| a.error.is_some() || a.report.as_ref().is_some_and(|r| r.partial()))
    }

    /// Anything unprotected, or a region-level finding, in any account (exit code 3).
    pub fn fails_gate(&self) -> bool {
        self.accounts
            .iter()
            .any(|a| a.report.as_ref().is_some_and(|r| r.fails_gate()))
    }

    /// Accounts that could not be entered or read.
    pub fn unreadable(&self) -> impl Iterator<Item = &AccountAudit> {
        self.accounts.iter().filter(|a| a.error.is_some())
    }

    /// One line per account, then the totals.
    pub fn to_table(&self) -> String {
        let rows: Vec<Row> = self.accounts.iter().map(row).collect();
        let name_width = rows.iter().map(|r| r.audit.name.len()).max().unwrap_or(0).max(4);
        let mut out = format!(
            "{:<12}  {:<name_width$}  {:>7}  {:>9}  {:>9}  {:>9}  {:>11}  reasons / status\n",
            "account", "name", "regions", "resources", "protected", "opted-out", "unprotected"
        );
        for r in &rows {
            let _ = writeln!(
                out,
                "{:<12}  {:<name_width$}  {:>7}  {:>9}  {:>9}  {:>9}  {:>11}  {}{}{}",
                r.audit.account,
                r.audit.name,
                r.audit.regions.len(),
                r.resources,
                r.protected,
                r.opted_out,
                r.unprotected,
                r.reasons,
                if r.reasons.is_empty() { "" } else { "  " },
                r.status
            );
        }
        let unreadable = self.unreadable().count();
        let _ = writeln!(
            out,
            "{} accounts ({} could not be read, role {}): {} resources, {} protected, {} opted out, {} unprotected",
            rows.len(),
            unreadable,
            self.role_name,
            rows.iter().map(|r| r.resources).sum::<u64>(),
            rows.iter().map(|r| r.protected).sum::<u64>(),
            rows.iter().map(|r| r.opted_out).sum::<u64>(),
            rows.iter().map(|r| r.unprotected).sum::<u64>(),
        );
        out
    }

    /// One row per account and verdict (RFC 4180 quoting by the `csv` crate), and one per unreadable account.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["account", "name", "regions", "verdict", "resources", "status"])?;
        for a in &self.accounts {
            let r = row(a);
            let regions = a.regions.join(" ");
            match &a.report {
                Some(report) if !report.counts.is_empty() => {
                    for (verdict, n) in &report.counts {
                        w.write_record([&a.account, &a.name, &regions, verdict, &n.to_string(), &r.status])?;
                    }
                }
                // No resources, or none read: still a row, with the status that says which.
                Some(_) => w.write_record([&a.account, &a.name, &regions, "", "0", &r.status])?,
                None => w.write_record([&a.account, &a.name, &regions, "", "", &r.status])?,
            }
        }
        Ok(String::from_utf8_lossy(&w.into_inner().map_err(|e| e.into_error())?).into_owned())
    }
}
