//! The README's verdict table (Audit section) and the code say the same: every verdict has a row, and its Fix column is
//! [`Verdict::fix`] word for word (the HTML report prints the latter). `Verdict::ALL` holds each verdict once, in the
//! order of [`Verdict::urgency`].

use std::collections::BTreeMap;

use superwerker_backup_domain::coverage::Verdict;

const README: &str = include_str!("../../../README.md");

/// Verdict name → Fix cell, from the table headed `| Verdict | Meaning | Fix |`.
fn readme_fixes() -> BTreeMap<String, String> {
    let table = README
        .split("| Verdict | Meaning | Fix |")
        .nth(1)
        .expect("README has the verdict table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (cells[0].trim_matches('`').to_owned(), cells[cells.len() - 1].to_owned())
        })
        .collect()
}

fn name(v: Verdict) -> String {
    serde_json::to_value(v).unwrap().as_str().unwrap().to_owned()
}

#[test]
fn readme_fix_column_is_the_codes() {
    let fixes = readme_fixes();
    assert_eq!(fixes.len(), Verdict::ALL.len(), "one README row per verdict: {fixes:?}");
    for v in Verdict::ALL {
        let cell = fixes
            .get(&name(v))
            .unwrap_or_else(|| panic!("no README row for {}", name(v)));
        assert_eq!(v.fix().unwrap_or("—"), cell, "{}", name(v));
    }
}

#[test]
fn all_holds_each_verdict_once_by_urgency() {
    for v in Verdict::ALL {
        // Exhaustive: a new verdict stops the build here until it is put into ALL (and this list).
        match v {
            Verdict::Protected
            | Verdict::OptedOut
            | Verdict::Untagged
            | Verdict::NotCovered
            | Verdict::NoRecentRecoveryPoint
            | Verdict::Unknown
            | Verdict::Uncertain
            | Verdict::KeyCaseConflict
            | Verdict::NotOptedIn
            | Verdict::NoVault
            | Verdict::NoServiceRole
            | Verdict::Unprotectable => {}
        }
    }
    let names: std::collections::BTreeSet<String> = Verdict::ALL.into_iter().map(name).collect();
    assert_eq!(names.len(), 12, "{names:?}");
    assert!(Verdict::ALL.windows(2).all(|w| w[0].urgency() <= w[1].urgency()));
    assert_eq!(
        Verdict::ALL.iter().filter(|v| v.fix().is_none()).count(),
        2,
        "only protected and opted-out need nothing"
    );
}
