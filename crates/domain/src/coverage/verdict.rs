//! The audit's verdict on one resource.

use serde::Serialize;

use super::schedule::RuleTiming;

/// Whether a recovery point of this status is a backup one can restore (AWS Backup API reference, RecoveryPointStatus
/// and DescribeRecoveryPoint): `AVAILABLE` "the backup was successfully created … and the recovery point is now ready
/// for use"; `COMPLETED`, which finished points report (the "Recovery Point State Change" event example; "Nested
/// recovery points with a status of `Completed` can be restored", developer guide, CloudFormation). Not `PARTIAL` ("one
/// or more nested recovery points that were not in the backup"), `EXPIRED`, `DELETING`, `STOPPED` nor `CREATING`.
pub fn is_usable_recovery_point(status: &str) -> bool {
    matches!(status, "COMPLETED" | "AVAILABLE")
}

/// The audit's verdict on one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Covered by a plan, and its newest usable recovery point no older than the plan's rules allow.
    Protected,
    /// Tagged `none`: deliberately not backed up.
    OptedOut,
    /// The key is absent and no selection covers it.
    Untagged,
    /// Tagged, but no selection covers it (no plan, wrong region, other value).
    NotCovered,
    /// Covered, but no usable recovery point as recent as the plan's rules allow: a backup was missed.
    NoRecentRecoveryPoint,
    /// A coverage source could not be read: protection cannot be shown.
    Unknown,
    /// Only a selection whose meaning AWS does not document might select it: protection cannot be shown.
    Uncertain,
    /// Not covered, and it carries a key that differs from ours only in case (the reason names it): the owner must
    /// rename it.
    KeyCaseConflict,
    /// Covered only by selections that obey the region's opt-in, and AWS Backup is not opted in to its type there.
    NotOptedIn,
    /// Covered only by plans whose target vault does not exist in its account and region: the job fails.
    NoVault,
    /// Covered only by selections whose IAM role does not exist: AWS Backup cannot assume it, the job fails.
    NoServiceRole,
    /// AWS Backup cannot protect the resource as configured (the kind table's `unprotectable` rules); tag it `none`
    /// to acknowledge.
    Unprotectable,
}

impl Verdict {
    /// Every verdict, in the order reasons are listed: see [`Verdict::urgency`].
    pub const ALL: [Verdict; 12] = [
        Verdict::NoVault,
        Verdict::NoServiceRole,
        Verdict::NotOptedIn,
        Verdict::Unknown,
        Verdict::KeyCaseConflict,
        Verdict::Untagged,
        Verdict::NotCovered,
        Verdict::Uncertain,
        Verdict::Unprotectable,
        Verdict::NoRecentRecoveryPoint,
        Verdict::Protected,
        Verdict::OptedOut,
    ];

    /// Whether this resource makes `audit` exit non-zero.
    pub fn is_unprotected(self) -> bool {
        !matches!(self, Verdict::Protected | Verdict::OptedOut)
    }

    /// The order reasons are listed in (lower first): what stops every backup of a region or plan first, so that a
    /// list cut short does not hide it; a missed backup last.
    pub fn urgency(self) -> u8 {
        match self {
            Verdict::NoVault => 0,
            Verdict::NoServiceRole => 1,
            Verdict::NotOptedIn => 2,
            Verdict::Unknown => 3,
            Verdict::KeyCaseConflict => 4,
            Verdict::Untagged => 5,
            Verdict::NotCovered => 6,
            Verdict::Uncertain => 7,
            Verdict::Unprotectable => 8,
            Verdict::NoRecentRecoveryPoint => 9,
            Verdict::Protected | Verdict::OptedOut => 10,
        }
    }

    /// What the owner does about it: the README's verdict table, Fix column (a test keeps the two the same). Code is
    /// between backquotes. `None` for the verdicts that need nothing.
    pub fn fix(self) -> Option<&'static str> {
        Some(match self {
            Verdict::Protected | Verdict::OptedOut => return None,
            Verdict::Untagged => "`superwerker-backup backfill` (or tag it)",
            Verdict::NotCovered => "a plan or policy selecting the tag: `superwerker-backup bootstrap`",
            Verdict::NoRecentRecoveryPoint => "look at the resource's backup jobs in the AWS Backup console",
            Verdict::NotOptedIn => "`superwerker-backup opt-in --regions <region>`",
            Verdict::NoVault => "deploy the per-account stack there (it creates the vault), or create it",
            Verdict::NoServiceRole => "deploy with `CreateBackupServiceRole=true`, or name an existing role",
            Verdict::KeyCaseConflict => "rename the key to `superwerker:backup`",
            Verdict::Unprotectable => "tag it `none` to acknowledge (then `opted-out`)",
            Verdict::Uncertain => "the `why` line names it",
            Verdict::Unknown => "give the caller the read permissions below",
        })
    }
}

/// A resource's recovery points as far as the verdict needs them: creation times, seconds since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecoveryPoints {
    /// The newest `COMPLETED` or `AVAILABLE` one.
    pub newest_usable: Option<i64>,
    /// The newest still `CREATING`.
    pub newest_creating: Option<i64>,
}

impl RecoveryPoints {
    /// A backup newer than the newest usable point is running.
    pub fn in_progress(&self) -> bool {
        self.newest_creating.is_some() && self.newest_creating > self.newest_usable
    }
}

/// How old a covered resource's newest usable recovery point may be, in minutes, given the rules of the plans whose
/// selections cover it: the most lenient (one plan backing it up suffices). While a backup of it is in progress (a
/// recovery point still `CREATING`), the completion window is allowed too. `None` when no rule's schedule can be read.
pub fn allowed_age_minutes<'a>(rules: impl IntoIterator<Item = &'a RuleTiming>, in_progress: bool) -> Option<u64> {
    rules
        .into_iter()
        .filter_map(|r| match in_progress {
            true => r.max_age_in_progress_minutes(),
            false => r.max_age_minutes(),
        })
        .max()
}

/// The verdict from the tag value, coverage, the age of the newest usable recovery point and the age allowed (minutes).
pub fn verdict(tag_value: Option<&str>, covered: bool, age_minutes: Option<u64>, allowed_minutes: u64) -> Verdict {
    match (tag_value, covered) {
        (_, true) => match age_minutes {
            Some(age) if age <= allowed_minutes => Verdict::Protected,
            _ => Verdict::NoRecentRecoveryPoint,
        },
        (Some("none"), false) => Verdict::OptedOut,
        (None, false) => Verdict::Untagged,
        (Some(_), false) => Verdict::NotCovered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(verdict(Some("daily"), true, Some(180), 1500), Verdict::Protected);
        assert_eq!(verdict(Some("daily"), true, Some(1500), 1500), Verdict::Protected);
        assert_eq!(
            verdict(Some("daily"), true, Some(1501), 1500),
            Verdict::NoRecentRecoveryPoint
        );
        assert_eq!(verdict(Some("daily"), true, None, 1500), Verdict::NoRecentRecoveryPoint);
        assert_eq!(verdict(Some("none"), false, None, 1500), Verdict::OptedOut);
        assert_eq!(verdict(None, false, None, 1500), Verdict::Untagged);
        assert_eq!(verdict(Some("daily"), false, None, 1500), Verdict::NotCovered);
        assert_eq!(
            verdict(None, true, Some(60), 1500),
            Verdict::Protected,
            "covered by some other selection"
        );
        assert!(Verdict::Untagged.is_unprotected());
        assert!(!Verdict::OptedOut.is_unprotected());
        assert!(Verdict::NoRecentRecoveryPoint.is_unprotected());
        assert!(Verdict::Uncertain.is_unprotected());
    }

    #[test]
    fn the_most_lenient_covering_rule_decides_and_a_running_backup_extends_it() {
        let daily = RuleTiming {
            schedule: "cron(0 5 ? * * *)".into(),
            start_window_minutes: Some(60),
            completion_window_minutes: Some(10_080),
            ..RuleTiming::default()
        };
        let weekly = RuleTiming {
            schedule: "cron(0 3 ? * SUN *)".into(),
            ..RuleTiming::default()
        };
        let unreadable = RuleTiming {
            schedule: "rate(1 day)".into(),
            ..RuleTiming::default()
        };
        assert_eq!(allowed_age_minutes([&daily], false), Some(1500));
        assert_eq!(allowed_age_minutes([&daily], true), Some(1500 + 10_080));
        assert_eq!(allowed_age_minutes([&daily, &weekly], false), Some(7 * 1440 + 480));
        assert_eq!(allowed_age_minutes([&daily, &unreadable], false), Some(1500));
        assert_eq!(allowed_age_minutes([&unreadable], false), None);
        assert_eq!(allowed_age_minutes([], false), None);
    }

    #[test]
    fn only_completed_and_available_recovery_points_count() {
        for status in ["COMPLETED", "AVAILABLE"] {
            assert!(is_usable_recovery_point(status), "{status}");
        }
        for status in ["PARTIAL", "DELETING", "EXPIRED", "STOPPED", "CREATING", "completed", ""] {
            assert!(!is_usable_recovery_point(status), "{status}");
        }
    }
}
