//! The audit's verdict on one resource.

use serde::Serialize;

/// Recovery points older than this do not count as a current backup (a daily plan plus its start window).
pub const MAX_RECOVERY_POINT_AGE_HOURS: u64 = 26;

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
    /// Covered by a plan, recovery point within 26 h.
    Protected,
    /// Tagged `none`: deliberately not backed up.
    OptedOut,
    /// The key is absent and no selection covers it.
    Untagged,
    /// Tagged, but no selection covers it (no plan, wrong region, other value).
    NotCovered,
    /// Covered, but no recovery point in the last 26 h.
    NoRecentRecoveryPoint,
    /// A coverage source could not be read: protection cannot be shown.
    Unknown,
    /// Only a selection whose meaning AWS does not document might select it: protection cannot be shown.
    Uncertain,
    /// Not covered, and it carries a key that differs from ours only in case (the reason names it): the owner must
    /// rename it.
    KeyCaseConflict,
    /// AWS Backup cannot protect the resource as configured (the kind table's `unprotectable` rules); tag it `none`
    /// to acknowledge.
    Unprotectable,
}

impl Verdict {
    /// Whether this resource makes `audit` exit non-zero.
    pub fn is_unprotected(self) -> bool {
        !matches!(self, Verdict::Protected | Verdict::OptedOut)
    }
}

/// The verdict from the tag value, coverage and the age of the newest recovery point (hours).
pub fn verdict(tag_value: Option<&str>, covered: bool, newest_point_age_hours: Option<u64>) -> Verdict {
    match (tag_value, covered) {
        (_, true) => match newest_point_age_hours {
            Some(age) if age <= MAX_RECOVERY_POINT_AGE_HOURS => Verdict::Protected,
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
        assert_eq!(verdict(Some("daily"), true, Some(3)), Verdict::Protected);
        assert_eq!(verdict(Some("daily"), true, Some(27)), Verdict::NoRecentRecoveryPoint);
        assert_eq!(verdict(Some("daily"), true, None), Verdict::NoRecentRecoveryPoint);
        assert_eq!(verdict(Some("none"), false, None), Verdict::OptedOut);
        assert_eq!(verdict(None, false, None), Verdict::Untagged);
        assert_eq!(verdict(Some("daily"), false, None), Verdict::NotCovered);
        assert_eq!(
            verdict(None, true, Some(1)),
            Verdict::Protected,
            "covered by some other selection"
        );
        assert!(Verdict::Untagged.is_unprotected());
        assert!(!Verdict::OptedOut.is_unprotected());
        assert!(Verdict::NoRecentRecoveryPoint.is_unprotected());
        assert!(Verdict::Uncertain.is_unprotected());
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
