use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::organization::AccountAudit;
use crate::report::entry;
use crate::AuditReport;

fn account(id: &str, name: &str, entries: Vec<AuditEntry>) -> AccountAudit {
    let mut report = AuditReport {
        entries,
        ..AuditReport::default()
    };
    report.tally();
    AccountAudit {
        account: id.into(),
        name: name.into(),
        regions: vec!["eu-west-1".into(), "us-east-1".into()],
        error: None,
        report: Some(report),
    }
}

fn org() -> OrgReport {
    let mut refused = account("333333333333", "sandbox", vec![]);
    refused.report = None;
    refused.error = Some("cannot be entered: AccessDenied <script>alert(1)</script>".into());
    OrgReport {
        role_name: "superwerker-backup-audit".into(),
        accounts: vec![
            account(
                "111111111111",
                "workloads & <prod>",
                vec![
                    entry(
                        "arn:aws:ec2:eu-west-1:111111111111:volume/vol-ok",
                        Verdict::Protected,
                        None,
                    ),
                    entry(
                        "arn:aws:ec2:eu-west-1:111111111111:volume/vol-untagged",
                        Verdict::Untagged,
                        None,
                    ),
                    entry(
                        "arn:aws:ec2:eu-west-1:111111111111:volume/vol-novault",
                        Verdict::NoVault,
                        Some("vault gone"),
                    ),
                ],
            ),
            account("222222222222", "clean", vec![entry("arn:ok", Verdict::OptedOut, None)]),
            refused,
        ],
    }
}

#[test]
fn the_page_names_every_account_and_groups_by_reason_with_the_fix() {
    let page = org().to_html(UNIX_EPOCH + Duration::from_secs(1_795_000_000));
    for id in ["111111111111", "222222222222", "333333333333"] {
        assert!(page.contains(id), "{id} missing");
    }
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("2026-11-18T"), "generated at, RFC 3339: {page}");
    // Most urgent reason first: a missing vault stops every backup of the plan.
    let no_vault = page.find(r#"<section id="no-vault">"#).expect("no-vault section");
    let untagged = page.find(r#"<section id="untagged">"#).expect("untagged section");
    assert!(no_vault < untagged);
    assert!(!page.contains(r#"id="protected""#) && !page.contains(r#"id="opted-out""#));
    // The fix, with the README's backquoted code as <code>.
    assert!(
        page.contains("Fix: <code>superwerker-backup backfill</code> (or tag it)"),
        "{page}"
    );
    // The reason given, else the plain one the digest uses.
    assert!(page.contains("vault gone"));
    assert!(page.contains("no backup tag, and no backup plan or backup policy selects it otherwise</td>"));
    assert!(page.contains("cannot be entered: AccessDenied"));
    assert!(
        page.contains(r#"class="state partial""#),
        "an unreadable account makes it partial"
    );
}

#[test]
fn values_are_escaped_and_nothing_is_fetched_from_elsewhere() {
    let page = org().to_html(UNIX_EPOCH);
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("workloads &amp; &lt;prod&gt;"));
    for outside in ["http://", "https://", " src=", "<link", "@import"] {
        assert!(!page.contains(outside), "self-contained: {outside}");
    }
}

#[test]
fn a_long_reason_is_cut_and_counted() {
    let many = (0..ROWS_PER_REASON + 3)
        .map(|i| {
            entry(
                &format!("arn:aws:ec2:eu-west-1:111111111111:volume/vol-{i:05}"),
                Verdict::Untagged,
                None,
            )
        })
        .collect();
    let report = OrgReport {
        role_name: "r".into(),
        accounts: vec![account("111111111111", "big", many)],
    };
    let page = report.to_html(UNIX_EPOCH);
    assert_eq!(page.matches("<td class=\"arn\">").count(), ROWS_PER_REASON);
    assert!(page.contains("3 more: <code>--output csv</code> lists every one."));
    assert!(page.contains(&format!("{} resources in 1 accounts", ROWS_PER_REASON + 3)));
    assert!(page.contains(r#"class="state bad""#));
}

#[test]
fn a_clean_organization_says_so() {
    let report = OrgReport {
        role_name: "r".into(),
        accounts: vec![account(
            "222222222222",
            "clean",
            vec![entry("arn:ok", Verdict::Protected, None)],
        )],
    };
    let page = report.to_html(UNIX_EPOCH);
    assert!(page.contains(r#"class="state ok""#));
    assert_eq!(page.matches("<p>None.</p>").count(), 2, "no reason, no finding");
}
