//! The audit's report: one entry per resource, counts by verdict, the sources read and those that could not be.

use std::collections::BTreeMap;

use serde::Serialize;
use superwerker_backup_domain::coverage::Verdict;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub resource: String,
    pub kind: String,
    pub region: String,
    pub tag_value: Option<String>,
    pub covered_by: Vec<String>,
    /// Whole hours (rounded down); the minutes are exact.
    pub newest_recovery_point_age_hours: Option<u64>,
    pub newest_recovery_point_age_minutes: Option<u64>,
    /// How old the newest usable recovery point may be under the covering plans' rules (schedule + start window, plus
    /// the completion window while a backup is running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_age_minutes: Option<u64>,
    pub verdict: Verdict,
    /// Why, where the verdict needs one (`unprotectable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The resource AWS Backup protects this one through (an Aurora instance's cluster), whose verdict it takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected_through: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub entries: Vec<AuditEntry>,
    pub counts: BTreeMap<String, u64>,
    pub unprotected: u64,
    /// Coverage sources read, and those that could not be read (with the error).
    pub sources: Vec<String>,
    pub problems: Vec<String>,
    /// Region-level reasons resources go unprotected (no trail delivers the creation events), each with its fix.
    pub findings: Vec<String>,
    /// Listings that failed (kind, region, error): their resources are not in `entries`, so the report is partial.
    pub unlisted: Vec<String>,
}

/// A verdict as the report writes it (`no-recent-recovery-point`).
pub fn verdict_name(v: Verdict) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl AuditReport {
    /// Counts by verdict and the unprotected total, from the entries.
    pub fn tally(&mut self) {
        self.counts.clear();
        for e in &self.entries {
            *self.counts.entry(verdict_name(e.verdict)).or_default() += 1;
        }
        self.unprotected = self.entries.iter().filter(|e| e.verdict.is_unprotected()).count() as u64;
    }

    /// Whether some resources could not be listed (exit code 2: the verdicts cover only what was listed).
    pub fn partial(&self) -> bool {
        !self.unlisted.is_empty()
    }

    /// Whether the audit should fail a pipeline (exit code 3): an unprotected resource, or a region-level finding.
    pub fn fails_gate(&self) -> bool {
        self.unprotected > 0 || !self.findings.is_empty()
    }

    /// One row per resource, for spreadsheets (RFC 4180 quoting by the `csv` crate). Sources, problems, findings and
    /// unlisted kinds are not rows: the JSON and the table carry them.
    pub fn to_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "resource",
            "kind",
            "region",
            "tag_value",
            "verdict",
            "covered_by",
            "newest_recovery_point_age_minutes",
            "allowed_age_minutes",
            "protected_through",
            "why",
        ])?;
        let number = |m: Option<u64>| m.map(|m| m.to_string()).unwrap_or_default();
        for e in &self.entries {
            w.write_record([
                e.resource.as_str(),
                &e.kind,
                &e.region,
                e.tag_value.as_deref().unwrap_or_default(),
                &verdict_name(e.verdict),
                &e.covered_by.join("; "),
                &number(e.newest_recovery_point_age_minutes),
                &number(e.allowed_age_minutes),
                e.protected_through.as_deref().unwrap_or_default(),
                e.reason.as_deref().unwrap_or_default(),
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub fn to_table(&self) -> String {
        let width = self.entries.iter().map(|e| e.resource.len()).max().unwrap_or(8).max(8);
        let mut out = format!(
            "{:<width$}  {:<8}  {:<28}  {:>9}  {:>9}  VERDICT\n",
            "RESOURCE", "TAG", "COVERED BY", "NEWEST RP", "ALLOWED"
        );
        let hours = |m: Option<u64>| m.map_or_else(|| "-".to_owned(), |m| format!("{:.1} h", m as f64 / 60.0));
        for e in &self.entries {
            out.push_str(&format!(
                "{:<width$}  {:<8}  {:<28}  {:>9}  {:>9}  {}\n",
                e.resource,
                e.tag_value.as_deref().unwrap_or("-"),
                if e.covered_by.is_empty() {
                    "-".to_owned()
                } else {
                    e.covered_by.join(", ")
                },
                hours(e.newest_recovery_point_age_minutes),
                hours(e.allowed_age_minutes),
                verdict_name(e.verdict)
            ));
        }
        for e in &self.entries {
            if let Some(reason) = &e.reason {
                out.push_str(&format!("why {}: {reason}\n", e.resource));
            }
        }
        for s in &self.sources {
            out.push_str(&format!("source: {s}\n"));
        }
        for p in &self.problems {
            out.push_str(&format!("problem: {p}\n"));
        }
        for f in &self.findings {
            out.push_str(&format!("finding: {f}\n"));
        }
        for u in &self.unlisted {
            out.push_str(&format!("not listed (partial): {u}\n"));
        }
        let counts: Vec<String> = self.counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
        out.push_str(&format!(
            "audit: {} resources, {} unprotected ({})\n",
            self.entries.len(),
            self.unprotected,
            counts.join(", ")
        ));
        out
    }
}

/// An entry of `kind` `ec2:volume` in eu-west-1 with nothing but a verdict and a reason, for tests.
#[cfg(test)]
pub(crate) fn entry(resource: &str, verdict: Verdict, reason: Option<&str>) -> AuditEntry {
    AuditEntry {
        resource: resource.into(),
        kind: "ec2:volume".into(),
        region: "eu-west-1".into(),
        tag_value: None,
        covered_by: vec![],
        newest_recovery_point_age_hours: None,
        newest_recovery_point_age_minutes: None,
        allowed_age_minutes: None,
        verdict,
        reason: reason.map(str::to_owned),
        protected_through: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_one_row_per_resource_and_quotes_what_needs_it() {
        let mut report = AuditReport::default();
        report.entries.push(AuditEntry {
            resource: "arn:aws:rds:eu-west-1:111111111111:db:orders-1".into(),
            kind: "rds:db".into(),
            region: "eu-west-1".into(),
            tag_value: None,
            covered_by: vec!["plan/a".into(), "org:p/b".into()],
            newest_recovery_point_age_hours: Some(2),
            newest_recovery_point_age_minutes: Some(150),
            allowed_age_minutes: Some(1500),
            verdict: Verdict::Protected,
            reason: Some("an instance of \"orders\", judged by the cluster, ok".into()),
            protected_through: Some("arn:aws:rds:eu-west-1:111111111111:cluster:orders".into()),
        });
        let text = report.to_csv().unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let headers = rows.headers().unwrap().clone();
        let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 1, "{text}");
        let field = |name: &str| records[0].get(headers.iter().position(|h| h == name).unwrap()).unwrap();
        assert_eq!(field("verdict"), "protected");
        assert_eq!(field("covered_by"), "plan/a; org:p/b");
        assert_eq!(field("newest_recovery_point_age_minutes"), "150");
        assert_eq!(field("tag_value"), "");
        assert_eq!(field("why"), "an instance of \"orders\", judged by the cluster, ok");
    }
}
