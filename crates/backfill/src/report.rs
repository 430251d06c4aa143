//! The backfill report: per resource type, what was found and done; the API calls made.

use std::collections::BTreeMap;

use serde::Serialize;
use superwerker_backup_domain::kinds::label_width;
use superwerker_backup_domain::{ResourceKind, TagSettings};

use crate::plan::{kept, Plan, State};
use crate::write::Written;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

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
    /// AWS Backup cannot protect them as configured (never tagged; each is logged with the reason).
    pub unprotectable: u64,
    /// A key that differs from ours only in case (never tagged; the owner must rename it): each with the reason. Not a
    /// failure: reported in every run that meets it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub case_conflicts: Vec<Failure>,
    /// Tagged now (0 in a dry run).
    pub tagged: u64,
    /// Would be tagged (dry run only).
    pub would_tag: u64,
    /// Not written: the run's time for writes was up; the next sweep tags them.
    #[serde(skip_serializing_if = "is_zero")]
    pub deferred: u64,
    pub failed: Vec<Failure>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub dry_run: bool,
    pub regions: Vec<String>,
    /// By resource type label (`dynamodb:table`, `ec2:volume`, `rds:db`, …): every kind, even when none was found.
    pub kinds: BTreeMap<String, KindReport>,
    /// Requests sent, by `Service.Operation`.
    pub api_calls: BTreeMap<String, u64>,
    pub total_api_calls: u64,
    pub elapsed_ms: u64,
    /// Some resources failed; the others were done.
    pub partial: bool,
    /// The run's time for writes ran out: some resources are deferred to the next sweep (`deferred` per kind).
    pub incomplete: bool,
    /// The ARNs tagged (or that would be tagged), for audit trails and tests.
    pub tagged_resources: Vec<String>,
    /// By "<region> <kind label>", for kinds whose tags come from the Tagging API's index (DynamoDB tables): how the
    /// resources it reports untagged were checked before tagging — the role's never-overwrite guard proven by a
    /// probe, or one read each (and why).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub index_checks: BTreeMap<String, String>,
    /// In a [`Report::bounded`] copy, how many entries each cut list left out (`taggedResources`, `<kind> failed`,
    /// `<kind> caseConflicts`); the counts per kind are whole.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub omitted: BTreeMap<String, u64>,
}

impl KindReport {
    /// Counts a kept resource under its value.
    fn count_kept(&mut self, state: &State) {
        match state {
            State::Daily => self.already_daily += 1,
            State::OptedOut => self.opted_out += 1,
            State::Other(_) => self.other_value += 1,
            State::ToTag | State::Failed(_) | State::Unprotectable(_) | State::CaseConflict { .. } => {}
        }
    }

    fn fail(&mut self, resource: &str, error: &str) {
        self.failed.push(Failure {
            resource: resource.to_owned(),
            error: error.to_owned(),
        });
    }
}

impl Report {
    /// The report of a plan and the outcome of its writes (none in a dry run); one log line per decision.
    pub fn from_plan(
        settings: &TagSettings,
        dry_run: bool,
        plan: Plan,
        outcomes: &BTreeMap<String, Written>,
    ) -> Report {
        let mut report = Report {
            dry_run,
            regions: plan.regions.clone(),
            index_checks: plan.index_checks.clone(),
            kinds: ResourceKind::all()
                .map(|k| (k.label().to_owned(), KindReport::default()))
                .collect(),
            ..Report::default()
        };
        for (kind, failure) in plan.listing_failures {
            report
                .kinds
                .entry(kind.label().to_owned())
                .or_default()
                .failed
                .push(failure);
        }
        let key = &settings.key;
        for p in plan.entries {
            let arn = p.resource.arn.to_string();
            let k = report.kinds.entry(p.resource.kind.label().to_owned()).or_default();
            k.scanned += 1;
            let (action, reason) = match &p.state {
                State::Daily | State::OptedOut | State::Other(_) => {
                    k.count_kept(&p.state);
                    match &p.state {
                        State::Daily => ("kept", format!("already {}", settings.value)),
                        State::OptedOut => ("kept", "opted out (none)".to_owned()),
                        other => ("kept", format!("other value {other:?}, never overwritten")),
                    }
                }
                State::Failed(e) => {
                    k.fail(&arn, e);
                    ("failed", e.clone())
                }
                State::CaseConflict { found, value } => {
                    let reason = superwerker_backup_domain::TagDecision::case_conflict_reason(key, found, value);
                    k.case_conflicts.push(Failure {
                        resource: arn.clone(),
                        error: reason.clone(),
                    });
                    ("skipped", reason)
                }
                State::Unprotectable(reason) => {
                    k.unprotectable += 1;
                    ("skipped", format!("AWS Backup cannot protect it: {reason}"))
                }
                State::ToTag if dry_run => {
                    k.would_tag += 1;
                    report.tagged_resources.push(arn.clone());
                    ("would-tag", format!("{key} absent"))
                }
                State::ToTag => match outcomes.get(&arn) {
                    Some(Written::Tagged) => {
                        k.tagged += 1;
                        report.tagged_resources.push(arn.clone());
                        ("tagged", format!("{key} absent"))
                    }
                    Some(Written::Kept(v)) => {
                        k.count_kept(&kept(settings, v.clone()));
                        (
                            "kept",
                            format!("{v:?} set after the scan; the write was refused, never overwritten"),
                        )
                    }
                    Some(Written::Failed(e)) => {
                        k.fail(&arn, e);
                        ("failed", e.clone())
                    }
                    Some(Written::Deferred) => {
                        k.deferred += 1;
                        (
                            "deferred",
                            "the sweep's time for writes ran out first; the next sweep tags it".to_owned(),
                        )
                    }
                    None => {
                        let e = "not attempted: its region's tagging task failed";
                        k.fail(&arn, e);
                        ("failed", e.to_owned())
                    }
                },
            };
            tracing::info!(resource = %arn, action, reason = %reason, "backfill decision");
        }
        let partial = report.failures().next().is_some();
        report.partial = partial;
        report.incomplete = report.kinds.values().any(|k| k.deferred > 0);
        report
    }

    /// The report with every list cut to its first `sample` entries, the rest counted in `omitted`: what the Lambda logs
    /// and answers, whatever the account's size (CloudWatch Logs takes at most 1 MB per event, PutLogEvents API
    /// reference; a Lambda response at most 6 MB, Lambda quotas). The counts per kind stay whole; the CLI's JSON keeps
    /// the full lists.
    pub fn bounded(&self, sample: usize) -> Report {
        // Copies only the kept heads: the full lists (one ARN per resource) are never cloned.
        fn head<T: Clone>(list: &[T], sample: usize, name: String, omitted: &mut BTreeMap<String, u64>) -> Vec<T> {
            if list.len() > sample {
                omitted.insert(name, (list.len() - sample) as u64);
            }
            list[..list.len().min(sample)].to_vec()
        }
        let mut omitted = BTreeMap::new();
        let kinds = self
            .kinds
            .iter()
            .map(|(label, k)| {
                let kind = KindReport {
                    scanned: k.scanned,
                    already_daily: k.already_daily,
                    opted_out: k.opted_out,
                    other_value: k.other_value,
                    unprotectable: k.unprotectable,
                    case_conflicts: head(
                        &k.case_conflicts,
                        sample,
                        format!("{label} caseConflicts"),
                        &mut omitted,
                    ),
                    tagged: k.tagged,
                    would_tag: k.would_tag,
                    deferred: k.deferred,
                    failed: head(&k.failed, sample, format!("{label} failed"), &mut omitted),
                };
                (label.clone(), kind)
            })
            .collect();
        Report {
            dry_run: self.dry_run,
            regions: self.regions.clone(),
            kinds,
            api_calls: self.api_calls.clone(),
            total_api_calls: self.total_api_calls,
            elapsed_ms: self.elapsed_ms,
            partial: self.partial,
            incomplete: self.incomplete,
            tagged_resources: head(&self.tagged_resources, sample, "taggedResources".into(), &mut omitted),
            index_checks: self.index_checks.clone(),
            omitted,
        }
    }

    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.kinds.values().flat_map(|k| k.failed.iter())
    }

    pub fn total_tagged(&self) -> u64 {
        self.kinds.values().map(|k| k.tagged + k.would_tag).sum()
    }

    /// A table for people.
    pub fn to_table(&self) -> String {
        let tag_col = if self.dry_run { "would tag" } else { "tagged" };
        let w = label_width();
        let mut out = format!(
            "{:<w$} {:>8} {:>8} {:>9} {:>6} {:>11} {:>10} {:>7}\n",
            "type", "scanned", "daily", "opted out", "other", "unsupported", tag_col, "failed"
        );
        for (label, k) in &self.kinds {
            out.push_str(&format!(
                "{:<w$} {:>8} {:>8} {:>9} {:>6} {:>11} {:>10} {:>7}\n",
                label,
                k.scanned,
                k.already_daily,
                k.opted_out,
                k.other_value,
                k.unprotectable,
                if self.dry_run { k.would_tag } else { k.tagged },
                k.failed.len()
            ));
        }
        for f in self.failures() {
            out.push_str(&format!("failed: {} — {}\n", f.resource, f.error));
        }
        for c in self.kinds.values().flat_map(|k| k.case_conflicts.iter()) {
            out.push_str(&format!("conflict: {} — {}\n", c.resource, c.error));
        }
        for (place, check) in &self.index_checks {
            out.push_str(&format!("index checks, {place}: {check}\n"));
        }
        let calls: Vec<String> = self.api_calls.iter().map(|(op, n)| format!("{op}={n}")).collect();
        out.push_str(&format!(
            "{} API calls in {} ms ({}) across {}\n",
            self.total_api_calls,
            self.elapsed_ms,
            calls.join(", "),
            self.regions.join(", ")
        ));
        if self.incomplete {
            let deferred: u64 = self.kinds.values().map(|k| k.deferred).sum();
            out.push_str(&format!(
                "backfill: INCOMPLETE — time ran out before {deferred} writes; the next sweep tags them\n"
            ));
        }
        out.push_str(match (self.partial, self.dry_run) {
            (true, _) => "backfill: PARTIAL — the resources above failed, all others were done\n",
            (false, true) => "backfill: dry run, nothing was written\n",
            (false, false) if self.incomplete => "",
            (false, false) => "backfill: complete\n",
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Planned;
    use superwerker_backup_domain::ResourceRef;

    #[test]
    fn a_bounded_report_keeps_the_counts_and_a_sample_of_each_list() {
        let mut report = Report::default();
        let volumes = report.kinds.entry("ec2:volume".into()).or_default();
        volumes.tagged = 5_000;
        volumes.failed = (0..300)
            .map(|i| Failure {
                resource: format!("arn:aws:ec2:eu-west-1:111111111111:volume/vol-{i:017}"),
                error: "Throttling: Rate exceeded".into(),
            })
            .collect();
        report.tagged_resources = (0..5_000)
            .map(|i| format!("arn:aws:ec2:eu-west-1:111111111111:volume/vol-{i:017}"))
            .collect();
        let bounded = report.bounded(100);
        assert_eq!(bounded.tagged_resources, report.tagged_resources[..100]);
        assert_eq!(bounded.kinds["ec2:volume"].failed.len(), 100);
        assert_eq!(bounded.kinds["ec2:volume"].tagged, 5_000);
        assert_eq!(
            bounded.omitted,
            BTreeMap::from([("taggedResources".into(), 4_900), ("ec2:volume failed".into(), 200)])
        );
        let (full, cut) = (
            serde_json::to_string(&report).unwrap().len(),
            serde_json::to_string(&bounded).unwrap().len(),
        );
        assert!(cut * 10 < full, "{cut} of {full} bytes");
        assert_eq!(report.bounded(10_000).omitted, BTreeMap::new());
    }

    #[test]
    fn the_table_fits_the_longest_kind_label() {
        let mut plan = Plan::default();
        plan.entries.push(Planned {
            resource: ResourceRef::parse("arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-1")
                .unwrap(),
            state: State::ToTag,
            tags: vec![],
            from_index: false,
            parent: None,
        });
        let table = Report::from_plan(&TagSettings::default(), true, plan, &BTreeMap::new()).to_table();
        let rows: Vec<&str> = table.lines().take(1 + ResourceKind::all().count()).collect();
        let scanned_at = rows[0].find("scanned").unwrap();
        for row in &rows[1..] {
            let label = row.split_whitespace().next().unwrap();
            assert!(
                row[label.len()..scanned_at].chars().all(|c| c == ' '),
                "{row:?} runs into the next column"
            );
        }
        assert!(table.contains("elasticfilesystem:file-system "), "{table}");
    }
}
