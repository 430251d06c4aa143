//! The bounded summary of one region's audit that each daily sweep writes to the organization's reports bucket
//! (README, Organization): counts by verdict, the findings, and the first resources of each reason — never the full
//! list, so that an object stays small whatever the account holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::plain_reason;
use crate::report::{verdict_name, AuditReport};

/// Resources named per summary (the rest are counted).
pub const SUMMARY_SAMPLE: usize = 25;

/// Findings, unreadable sources and failed listings kept, each.
const NOTES: usize = 20;

/// The format's version; a reader refuses others.
pub const SUMMARY_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleEntry {
    pub resource: String,
    pub kind: String,
    pub verdict: String,
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionSummary {
    pub version: u32,
    pub account: String,
    pub region: String,
    /// When the sweep audited, seconds since the epoch.
    pub generated_at: i64,
    pub resources: u64,
    pub counts: BTreeMap<String, u64>,
    pub unprotected: u64,
    pub findings: Vec<String>,
    pub problems: Vec<String>,
    pub unlisted: Vec<String>,
    /// The first unprotected resources, the most urgent reason first.
    pub sample: Vec<SampleEntry>,
}

impl RegionSummary {
    pub fn of(report: &AuditReport, account: &str, region: &str, generated_at: i64) -> Self {
        let mut unprotected: Vec<_> = report.entries.iter().filter(|e| e.verdict.is_unprotected()).collect();
        unprotected.sort_by(|a, b| (a.verdict.urgency(), &a.resource).cmp(&(b.verdict.urgency(), &b.resource)));
        let cut = |v: &[String]| v.iter().take(NOTES).cloned().collect::<Vec<_>>();
        RegionSummary {
            version: SUMMARY_VERSION,
            account: account.to_owned(),
            region: region.to_owned(),
            generated_at,
            resources: report.entries.len() as u64,
            counts: report.counts.clone(),
            unprotected: report.unprotected,
            findings: cut(&report.findings),
            problems: cut(&report.problems),
            unlisted: cut(&report.unlisted),
            sample: unprotected
                .into_iter()
                .take(SUMMARY_SAMPLE)
                .map(|e| SampleEntry {
                    resource: e.resource.clone(),
                    kind: e.kind.clone(),
                    verdict: verdict_name(e.verdict),
                    why: e.reason.clone().or_else(|| plain_reason(e)).unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// The JSON written to the bucket.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// A summary read back, or why it cannot be: not JSON of this shape, or another version.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let s: RegionSummary = serde_json::from_slice(bytes).map_err(|e| format!("not a summary: {e}"))?;
        if s.version != SUMMARY_VERSION {
            return Err(format!(
                "summary version {} (this CLI reads {SUMMARY_VERSION})",
                s.version
            ));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use superwerker_backup_domain::coverage::Verdict;

    use super::*;
    use crate::report::entry;

    #[test]
    fn a_summary_is_bounded_whatever_the_region_holds_and_reads_back() {
        let mut report = AuditReport {
            entries: (0..1000)
                .map(|i| entry(&format!("arn:vol-{i:04}"), Verdict::Untagged, None))
                .collect(),
            findings: (0..50).map(|i| format!("finding {i}")).collect(),
            ..AuditReport::default()
        };
        report.entries.push(entry("arn:zz-no-vault", Verdict::NoVault, None));
        report.tally();
        let s = RegionSummary::of(&report, "111111111111", "eu-west-1", 1_800_000_000);
        assert_eq!((s.resources, s.unprotected), (1001, 1001));
        assert_eq!(s.counts["untagged"], 1000);
        assert_eq!(s.sample.len(), SUMMARY_SAMPLE);
        assert_eq!(s.sample[0].resource, "arn:zz-no-vault", "the most urgent reason first");
        assert_eq!(
            s.sample[1].why,
            "no backup tag, and no backup plan or backup policy selects it otherwise"
        );
        assert_eq!(s.findings.len(), NOTES);
        let json = s.to_json();
        assert!(json.len() < 16 * 1024, "{} bytes", json.len());
        assert_eq!(RegionSummary::from_json(&json).unwrap(), s);
    }

    #[test]
    fn another_version_or_shape_is_refused_with_the_reason() {
        let mut s = RegionSummary::of(&AuditReport::default(), "1", "r", 0);
        s.version = 2;
        let err = RegionSummary::from_json(&s.to_json()).unwrap_err();
        assert!(err.contains("summary version 2"), "{err}");
        assert!(RegionSummary::from_json(b"{}")
            .unwrap_err()
            .starts_with("not a summary"));
    }
}
