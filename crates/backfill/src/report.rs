//! The backfill report: per resource type, what was found and done; the API calls made.

use std::collections::BTreeMap;

use serde::Serialize;

/// One resource that could not be read or tagged, with the AWS error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub resource: String,
    pub error: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindReport {
    pub scanned: u64,
    /// Key present with the daily value.
    pub already_daily: u64,
    /// Key present with `none`.
    pub opted_out: u64,
    /// Key present with another value (left alone).
    pub other_value: u64,
    /// Tagged now (0 in a dry run).
    pub tagged: u64,
    /// Would be tagged (dry run only).
    pub would_tag: u64,
    pub failed: Vec<Failure>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub dry_run: bool,
    pub regions: Vec<String>,
    /// By resource type label (`dynamodb:table`, `ec2:volume`, `rds:db`).
    pub kinds: BTreeMap<String, KindReport>,
    /// Requests sent, by `Service.Operation`.
    pub api_calls: BTreeMap<String, u64>,
    pub total_api_calls: u64,
    pub elapsed_ms: u64,
    /// Some resources failed; the others were done.
    pub partial: bool,
    /// The ARNs tagged (or that would be tagged), for audit trails and tests.
    pub tagged_resources: Vec<String>,
    /// By region: how tables the Tagging API's index reports untagged were checked before tagging — the role's
    /// never-overwrite guard proven by a probe, or one `ListTagsOfResource` each (and why).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub dynamodb_checks: BTreeMap<String, String>,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.kinds.values().flat_map(|k| k.failed.iter())
    }

    pub fn total_tagged(&self) -> u64 {
        self.kinds.values().map(|k| k.tagged + k.would_tag).sum()
    }

    /// A table for people.
    pub fn to_table(&self) -> String {
        let tag_col = if self.dry_run { "would tag" } else { "tagged" };
        let mut out = format!(
            "{:<16} {:>8} {:>8} {:>9} {:>6} {:>10} {:>7}\n",
            "type", "scanned", "daily", "opted out", "other", tag_col, "failed"
        );
        for (label, k) in &self.kinds {
            out.push_str(&format!(
                "{:<16} {:>8} {:>8} {:>9} {:>6} {:>10} {:>7}\n",
                label,
                k.scanned,
                k.already_daily,
                k.opted_out,
                k.other_value,
                if self.dry_run { k.would_tag } else { k.tagged },
                k.failed.len()
            ));
        }
        for f in self.failures() {
            out.push_str(&format!("failed: {} — {}\n", f.resource, f.error));
        }
        for (region, check) in &self.dynamodb_checks {
            out.push_str(&format!("dynamodb tag checks in {region}: {check}\n"));
        }
        let calls: Vec<String> = self.api_calls.iter().map(|(op, n)| format!("{op}={n}")).collect();
        out.push_str(&format!(
            "{} API calls in {} ms ({}) across {}\n",
            self.total_api_calls,
            self.elapsed_ms,
            calls.join(", "),
            self.regions.join(", ")
        ));
        out.push_str(match (self.partial, self.dry_run) {
            (true, _) => "backfill: PARTIAL — the resources above failed, all others were done\n",
            (false, true) => "backfill: dry run, nothing was written\n",
            (false, false) => "backfill: complete\n",
        });
        out
    }
}
