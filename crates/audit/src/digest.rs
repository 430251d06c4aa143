//! The daily sweep's digest of unprotected resources (README, Alerts): one message per account and region, with the
//! counts by reason and the first resources with their reasons and fixes — never one message per resource, and none
//! when everything is protected.

use superwerker_backup_domain::coverage::Verdict;

use crate::report::{verdict_name, AuditEntry, AuditReport};

/// How many resources a digest names (the rest are counted): keeps one message far below SNS's 256 KB limit.
pub const SAMPLE: usize = 25;

/// At most this many unreadable sources are named.
const PROBLEMS: usize = 5;

/// A message is cut here, below SNS's limit ("up to 256 KB", SNS API reference, Publish, `Message`).
const MESSAGE_MAX_BYTES: usize = 200 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub subject: String,
    pub message: String,
    /// How many resources it is about (named or counted).
    pub unprotected: u64,
}

/// The digest of an audit of `account` in `region`, or `None` when there is nothing to tell: no unprotected resource,
/// no region-level finding, no resource left unlisted. `tagged_now` are the resources this sweep has just tagged:
/// they have had no backup yet, and the message says so rather than calling it a missed backup.
pub fn digest(
    report: &AuditReport,
    account: &str,
    region: &str,
    tagged_now: &[String],
    sample: usize,
) -> Option<Digest> {
    if !report.fails_gate() && !report.partial() && report.problems.is_empty() {
        return None;
    }
    let mut unprotected: Vec<&AuditEntry> = report.entries.iter().filter(|e| e.verdict.is_unprotected()).collect();
    // Causes that stop every backup of a region or plan first, so that 25 rows do not hide them.
    unprotected.sort_by(|a, b| (a.verdict.urgency(), &a.resource).cmp(&(b.verdict.urgency(), &b.resource)));
    let mut by_reason: Vec<(String, u64)> = Vec::new();
    for e in &unprotected {
        let name = verdict_name(e.verdict);
        match by_reason.last_mut() {
            Some((last, count)) if *last == name => *count += 1,
            _ => by_reason.push((name, 1)),
        }
    }
    let n = unprotected.len();
    let mut m = if n > 0 {
        format!(
            "superwerker-backup's daily audit found {n} resource{} in account {account}, region {region}, that are not \
             shown to be protected by AWS Backup.\n",
            if n == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "superwerker-backup's daily audit in account {account}, region {region}, found every listed resource \
             protected, but not everything could be checked:\n"
        )
    };
    if !by_reason.is_empty() {
        m.push_str("\nBy reason:\n");
        for (reason, count) in &by_reason {
            m.push_str(&format!("  {reason}: {count}\n"));
        }
        m.push_str(&format!(
            "\nResources{}:\n",
            if n > sample {
                format!(" (the first {sample} of {n})")
            } else {
                String::new()
            }
        ));
        for e in unprotected.iter().take(sample) {
            m.push_str(&format!("- {} ({}): {}\n", e.resource, e.kind, verdict_name(e.verdict)));
            if tagged_now.contains(&e.resource) {
                m.push_str("    tagged by this sweep just now: its first backup comes with the plan's next window\n");
            }
            if let Some(why) = e
                .reason
                .clone()
                .or_else(|| plain_reason(e).map(|w| w + sweep_note(e.verdict)))
            {
                m.push_str(&format!("    why: {why}\n"));
            }
        }
    }
    if !report.findings.is_empty() {
        m.push_str("\nIn this region:\n");
        for f in &report.findings {
            m.push_str(&format!("- {f}\n"));
        }
    }
    if report.partial() {
        m.push_str("\nNot listed, so not judged (the audit is partial):\n");
        for u in &report.unlisted {
            m.push_str(&format!("- {u}\n"));
        }
    }
    if !report.problems.is_empty() {
        m.push_str("\nCould not be read:\n");
        for p in report.problems.iter().take(PROBLEMS) {
            m.push_str(&format!("- {p}\n"));
        }
        if report.problems.len() > PROBLEMS {
            m.push_str(&format!("- … and {} more\n", report.problems.len() - PROBLEMS));
        }
    }
    m.push_str(&format!(
        "\nEvery resource with its verdict: superwerker-backup audit --regions {region} (credentials of account \
         {account}).\nSent by each sweep that completes. A day without this message means the sweep found nothing, \
         or did not complete: the alarms <NamePrefix>-sweep-part and <NamePrefix>-no-sweep tell of the latter.\n"
    ));
    if m.len() > MESSAGE_MAX_BYTES {
        let mut cut = MESSAGE_MAX_BYTES;
        while !m.is_char_boundary(cut) {
            cut -= 1;
        }
        m.truncate(cut);
        m.push_str("\n… (cut: the message reached SNS's size limit; the audit lists everything)\n");
    }
    let subject = if n > 0 {
        format!("superwerker-backup: {n} unprotected in {account} {region}")
    } else {
        format!("superwerker-backup: audit findings in {account} {region}")
    };
    Some(Digest {
        subject,
        message: m,
        unprotected: n as u64,
    })
}

/// What an untagged resource means after a sweep, which tags every resource it can.
fn sweep_note(v: Verdict) -> &'static str {
    match v {
        Verdict::Untagged => {
            ": the sweep could not tag it (its failures are in the sweep's report, in the function's log)"
        }
        _ => "",
    }
}

/// The reason of a verdict the audit gives without one (its name says it; a reader of the message may not know it).
pub(crate) fn plain_reason(e: &AuditEntry) -> Option<String> {
    let value = e
        .tag_value
        .as_deref()
        .map_or_else(|| "no backup tag".to_owned(), |v| format!("its backup tag is {v:?}"));
    match e.verdict {
        Verdict::Untagged => Some(format!(
            "{value}, and no backup plan or backup policy selects it otherwise"
        )),
        Verdict::NotCovered => Some(format!(
            "{value}, but no backup plan or backup policy selects it here (another value, or no plan in this region)"
        )),
        Verdict::Unknown => Some("a coverage source could not be read (see below): protection cannot be shown".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::entry;

    fn report(entries: Vec<AuditEntry>) -> AuditReport {
        let mut r = AuditReport {
            entries,
            ..AuditReport::default()
        };
        r.tally();
        r
    }

    #[test]
    fn nothing_to_tell_sends_nothing() {
        let clean = report(vec![
            entry("arn:1", Verdict::Protected, None),
            entry("arn:2", Verdict::OptedOut, None),
        ]);
        assert_eq!(digest(&clean, "111111111111", "eu-west-1", &[], SAMPLE), None);
    }

    #[test]
    fn names_each_unprotected_resource_with_its_reason_and_counts_by_reason() {
        let r = report(vec![
            entry("arn:ok", Verdict::Protected, None),
            entry("arn:efs", Verdict::NotOptedIn, Some("opt in to EFS")),
            entry("arn:vol", Verdict::KeyCaseConflict, Some("rename Superwerker:Backup")),
            entry("arn:table", Verdict::NoRecentRecoveryPoint, Some("no COMPLETED point")),
        ]);
        let d = digest(&r, "111111111111", "eu-west-1", &["arn:table".into()], SAMPLE).unwrap();
        assert_eq!(d.unprotected, 3);
        assert_eq!(d.subject, "superwerker-backup: 3 unprotected in 111111111111 eu-west-1");
        for line in [
            "  not-opted-in: 1\n",
            "  key-case-conflict: 1\n",
            "  no-recent-recovery-point: 1\n",
            "- arn:efs (ec2:volume): not-opted-in\n    why: opt in to EFS\n",
            "- arn:vol (ec2:volume): key-case-conflict\n    why: rename Superwerker:Backup\n",
            "- arn:table (ec2:volume): no-recent-recovery-point\n    tagged by this sweep just now",
        ] {
            assert!(d.message.contains(line), "{line:?} missing from\n{}", d.message);
        }
        assert!(!d.message.contains("arn:ok"), "{}", d.message);
        assert!(d.message.contains("account 111111111111, region eu-west-1"));
    }

    #[test]
    fn names_the_first_few_and_counts_the_rest() {
        let many: Vec<AuditEntry> = (0..40)
            .map(|i| entry(&format!("arn:vol-{i:02}"), Verdict::Untagged, None))
            .collect();
        let d = digest(&report(many), "111111111111", "eu-west-1", &[], 10).unwrap();
        assert_eq!(d.unprotected, 40);
        assert!(d.message.contains("Resources (the first 10 of 40):"), "{}", d.message);
        assert!(
            d.message.contains("arn:vol-09") && !d.message.contains("arn:vol-10"),
            "{}",
            d.message
        );
        assert!(d.message.contains("  untagged: 40\n"), "{}", d.message);
        assert!(
            d.message
                .contains("- arn:vol-00 (ec2:volume): untagged\n    why: no backup tag, and no backup plan"),
            "{}",
            d.message
        );
    }

    #[test]
    fn region_wide_causes_come_first_and_an_unreadable_source_alone_is_told() {
        let r = report(vec![
            entry("arn:a", Verdict::NoRecentRecoveryPoint, Some("missed")),
            entry("arn:b", Verdict::NoVault, Some("no vault")),
        ]);
        let d = digest(&r, "111111111111", "eu-west-1", &[], SAMPLE).unwrap();
        let (vault, missed) = (d.message.find("- arn:b").unwrap(), d.message.find("- arn:a").unwrap());
        assert!(vault < missed, "{}", d.message);
        let mut clean = report(vec![entry("arn:ok", Verdict::Protected, None)]);
        clean
            .problems
            .push("CloudTrail in eu-west-1 unreadable: AccessDenied".into());
        let d = digest(&clean, "111111111111", "eu-west-1", &[], SAMPLE).unwrap();
        assert!(
            d.message.contains("- CloudTrail in eu-west-1 unreadable"),
            "{}",
            d.message
        );
    }

    #[test]
    fn a_region_finding_alone_is_told() {
        let mut r = report(vec![entry("arn:ok", Verdict::Protected, None)]);
        r.findings
            .push("no trail delivers creation events here: create one".into());
        let d = digest(&r, "111111111111", "eu-west-1", &[], SAMPLE).unwrap();
        assert_eq!(d.unprotected, 0);
        assert!(d.subject.contains("audit findings"), "{}", d.subject);
        assert!(
            d.message.contains("- no trail delivers creation events here"),
            "{}",
            d.message
        );
    }
}
