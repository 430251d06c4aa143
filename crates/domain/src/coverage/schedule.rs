//! How often a backup rule runs, and how long a recovery point may be old before a backup was missed.
//!
//! AWS Backup schedules are cron expressions in UTC, `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, with
//! day-of-week 1-7 = SUN-SAT (AWS Backup API reference, BackupRule.ScheduleExpression; EventBridge cron syntax).
//! A job starts within the rule's start window after its scheduled time, and must complete within the completion
//! window after it started (BackupRule.StartWindowMinutes, CompletionWindowMinutes). Unset: the BackupRule API reference
//! states no default; AWS documents 8 hours to start and 7 days to complete as the console's defaults (AWS Backup
//! developer guide, creating a backup plan) and 8 hours for StartBackupJob's StartWindowMinutes — taken here.

/// AWS Backup's default start window when a rule sets none: 8 hours.
pub const DEFAULT_START_WINDOW_MINUTES: u64 = 480;
/// AWS Backup's default completion window when a rule sets none: 7 days.
pub const DEFAULT_COMPLETION_WINDOW_MINUTES: u64 = 10_080;

/// When a rule's backups happen, and where they go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleTiming {
    pub schedule: String,
    /// The rule's target vault (`TargetBackupVaultName`, a policy's `target_backup_vault_name`).
    pub vault: String,
    pub start_window_minutes: Option<u64>,
    pub completion_window_minutes: Option<u64>,
}

impl RuleTiming {
    /// The oldest a resource's newest usable recovery point may be while no backup of it is in progress: the
    /// schedule's longest gap plus the start window (a recovery point is dated when its job starts). `None` when the
    /// schedule cannot be read.
    pub fn max_age_minutes(&self) -> Option<u64> {
        let start = self.start_window_minutes.unwrap_or(DEFAULT_START_WINDOW_MINUTES);
        Some(longest_gap_minutes(&self.schedule)? + start)
    }

    /// The same while a backup of it is in progress (a recovery point still `CREATING`): plus the completion window.
    pub fn max_age_in_progress_minutes(&self) -> Option<u64> {
        let completion = self
            .completion_window_minutes
            .unwrap_or(DEFAULT_COMPLETION_WINDOW_MINUTES);
        Some(self.max_age_minutes()? + completion)
    }
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The values `field` selects within `lo..=hi` (`*`, `?`, numbers or names, lists, ranges, steps). `None` for what this
/// reader does not handle (`L`, `W`, `#`): the caller then says it cannot tell.
fn field(text: &str, lo: u32, hi: u32, names: &[&str]) -> Option<Vec<bool>> {
    let value = |s: &str| -> Option<u32> {
        match names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            Some(i) => Some(lo + i as u32),
            None => s.parse().ok().filter(|v| (lo..=hi).contains(v)),
        }
    };
    let mut on = vec![false; hi as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s.parse::<u32>().ok().filter(|s| *s > 0)?)),
            None => (part, None),
        };
        let (from, to) = match range {
            "*" | "?" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                // `a/k`: from a, every k, to the end of the range.
                None if step.is_some() => (value(r)?, hi),
                None => (value(r)?, value(r)?),
            },
        };
        let step = step.unwrap_or(1);
        if from > to {
            return None;
        }
        for v in (from..=to).step_by(step as usize) {
            on[v as usize] = true;
        }
    }
    Some(on)
}

/// The longest time between two consecutive runs of a cron schedule, in minutes, over two years of calendar. `None`
/// when the expression is not a cron expression this reader handles, or runs less than twice in that time.
pub fn longest_gap_minutes(expression: &str) -> Option<u64> {
    let inner = expression.trim().strip_prefix("cron(")?.strip_suffix(')')?;
    let f: Vec<&str> = inner.split_whitespace().collect();
    let [minute, hour, dom, month, dow, year] = f.as_slice() else {
        return None;
    };
    if !matches!(*year, "*" | "?") {
        return None;
    }
    let (minutes, hours) = (field(minute, 0, 59, &[])?, field(hour, 0, 23, &[])?);
    let (doms, months, dows) = (
        field(dom, 1, 31, &[])?,
        field(month, 1, 12, MONTHS)?,
        field(dow, 1, 7, DAYS)?,
    );
    // Two non-leap years from a Wednesday (1 January 2025); day-of-week 1 = Sunday.
    const LENGTHS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut runs, mut day) = (Vec::new(), 0u64);
    for _ in 0..2 {
        for (m, &length) in LENGTHS.iter().enumerate() {
            for d in 1..=length {
                let weekday = (3 + day) % 7 + 1;
                if months[m + 1] && doms[d as usize] && dows[weekday as usize] {
                    for h in (0..24).filter(|h| hours[*h]) {
                        for min in (0..60).filter(|m| minutes[*m]) {
                            runs.push(day * 1440 + h as u64 * 60 + min as u64);
                        }
                    }
                }
                day += 1;
            }
        }
    }
    runs.windows(2).map(|w| w[1] - w[0]).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_of_common_schedules() {
        assert_eq!(
            longest_gap_minutes("cron(0 5 ? * * *)"),
            Some(1440),
            "superwerker's daily 05:00"
        );
        assert_eq!(
            longest_gap_minutes("cron(0 5/1 ? * * *)"),
            Some(360),
            "hourly 05:00 to 23:00, then 23:00 to 05:00"
        );
        assert_eq!(longest_gap_minutes("cron(0 */6 ? * * *)"), Some(360));
        assert_eq!(longest_gap_minutes("cron(0,30 * ? * * *)"), Some(30));
        assert_eq!(
            longest_gap_minutes("cron(0 2 ? * MON-FRI *)"),
            Some(3 * 1440),
            "Friday to Monday"
        );
        assert_eq!(
            longest_gap_minutes("cron(0 2 ? * 2-6 *)"),
            Some(3 * 1440),
            "the same by numbers"
        );
        assert_eq!(longest_gap_minutes("cron(0 3 ? * SUN *)"), Some(7 * 1440));
        assert_eq!(
            longest_gap_minutes("cron(0 1 1 * ? *)"),
            Some(31 * 1440),
            "monthly: the longest month"
        );
    }

    #[test]
    fn what_it_cannot_read_is_none() {
        for expression in [
            "rate(1 day)",
            "cron(0 5 ? * * 2030)",
            "cron(0 5 L * ? *)",
            "cron(0 5 ? * 6#3 *)",
            "cron(0 5 ? *)",
            "cron(0 25 ? * * *)",
            "cron(0 5 ? * FOO *)",
            "",
        ] {
            assert_eq!(longest_gap_minutes(expression), None, "{expression}");
        }
    }

    #[test]
    fn ages_add_the_windows_and_default_to_aws_s() {
        let ours = RuleTiming {
            schedule: "cron(0 5 ? * * *)".into(),
            start_window_minutes: Some(60),
            completion_window_minutes: Some(1320),
            ..RuleTiming::default()
        };
        assert_eq!(ours.max_age_minutes(), Some(1500));
        assert_eq!(ours.max_age_in_progress_minutes(), Some(2820));
        let unset = RuleTiming {
            schedule: "cron(0 5 ? * * *)".into(),
            ..RuleTiming::default()
        };
        assert_eq!(unset.max_age_minutes(), Some(1440 + 480));
        assert_eq!(unset.max_age_in_progress_minutes(), Some(1440 + 480 + 10_080));
        assert_eq!(RuleTiming::default().max_age_minutes(), None);
    }
}
