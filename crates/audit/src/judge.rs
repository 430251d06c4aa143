//! The verdict of a covered resource: the region's opt-in for its type, then its recovery points against the covering
//! plans' rules.

use std::collections::BTreeMap;

use superwerker_backup_domain::coverage::{allowed_age_minutes, verdict, Selection, Verdict};
use superwerker_backup_domain::ResourceKind;

use crate::points::RecentPoints;
use crate::report::AuditEntry;
use crate::targets::Targets;
use crate::Coverage;

/// What [`recovery`] found.
pub(crate) struct Judged {
    pub verdict: Verdict,
    /// Age of the newest usable recovery point, minutes.
    pub age: Option<u64>,
    /// The age the covering rules allow, minutes.
    pub allowed: Option<u64>,
    pub reason: Option<String>,
    /// A source that could not be read, for the report's problems.
    pub problem: Option<String>,
}

/// Gives each entry protected through another (an Aurora instance through its cluster) that one's verdict, coverage
/// and recovery-point ages; `unknown` when that one was not listed.
pub(crate) fn by_parents(entries: &mut [AuditEntry]) {
    let wanted: std::collections::BTreeSet<&str> =
        entries.iter().filter_map(|e| e.protected_through.as_deref()).collect();
    let verdicts: BTreeMap<String, AuditEntry> = entries
        .iter()
        .filter(|e| e.protected_through.is_none() && wanted.contains(e.resource.as_str()))
        .map(|e| (e.resource.clone(), e.clone()))
        .collect();
    for e in entries.iter_mut() {
        let Some(parent) = e.protected_through.clone() else {
            continue;
        };
        match verdicts.get(&parent) {
            Some(p) => {
                e.verdict = p.verdict;
                e.covered_by = p.covered_by.clone();
                e.newest_recovery_point_age_hours = p.newest_recovery_point_age_hours;
                e.newest_recovery_point_age_minutes = p.newest_recovery_point_age_minutes;
                e.allowed_age_minutes = p.allowed_age_minutes;
                e.reason = Some(format!(
                    "an instance of {parent}: AWS Backup backs up the cluster, not its instances, so this is the \
                     cluster's verdict{}",
                    p.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
                ));
            }
            None => {
                e.verdict = Verdict::Unknown;
                e.reason = Some(format!("an instance of {parent}, which was not found"));
            }
        }
    }
}

/// Keeps the covering selections that can back the resource up (vault and role exist); `Some` when none can: the
/// verdict and every selection's reason (`unknown` if any could not be told).
pub(crate) fn targets(covering: &mut Vec<&Selection>, targets: &Targets, region: &str) -> Option<(Verdict, String)> {
    let mut broken: Vec<(Verdict, String)> = Vec::new();
    covering.retain(|s| match targets.broken(s, region) {
        Some(why) => {
            broken.push(why);
            false
        }
        None => true,
    });
    if !covering.is_empty() || broken.is_empty() {
        return None;
    }
    let verdict = match broken.iter().any(|(v, _)| *v == Verdict::Unknown) {
        true => Verdict::Unknown,
        false => broken[0].0,
    };
    let why: Vec<&str> = broken.iter().map(|(_, w)| w.as_str()).collect();
    Some((verdict, why.join("; ")))
}

/// Selections by tag (or `*`) obey the region's opt-in for the type ("If you only use tags for resource assignment,
/// then the service opt-in settings will still apply"); one naming the type's ARN pattern does not (AWS Backup
/// developer guide, assigning resources). `Some` when the opt-in decides the verdict: not opted in, or the settings
/// could not be read (`types` is `None`).
pub(crate) fn opt_in(
    covering: &[&Selection],
    arn: &str,
    kind: ResourceKind,
    region: &str,
    types: Option<&BTreeMap<String, bool>>,
) -> Option<(Verdict, String)> {
    let spec = kind.spec();
    if covering
        .iter()
        .any(|s| s.selects_regardless_of_opt_in(arn, spec.shares_arn_format))
    {
        return None;
    }
    let Some(types) = types else {
        return Some((
            Verdict::Unknown,
            format!("the AWS Backup opt-in settings of {region} could not be read"),
        ));
    };
    // A type absent from the settings is not one AWS Backup lets a region switch off: it is on.
    let on = |t: &str| types.get(t).copied().unwrap_or(true);
    let (main, other) = (spec.backup_resource_type, spec.other_backup_resource_type);
    match (on(main), other.map(on)) {
        (true, None | Some(true)) => None,
        (false, None | Some(false)) => Some((
            Verdict::NotOptedIn,
            format!(
                "AWS Backup in {region} is not opted in to {}: the plans that select it by tag skip it (see \
                 `superwerker-backup opt-in --regions {region}`)",
                [Some(main), other]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        )),
        (main_on, Some(_)) => Some((
            Verdict::Uncertain,
            format!(
                "AWS Backup in {region} is opted in to {} but not to {}; which of the two this resource is depends on \
                 its engine",
                if main_on { main } else { other.unwrap_or_default() },
                if main_on { other.unwrap_or_default() } else { main },
            ),
        )),
    }
}

/// The verdict from the resource's recovery points and the covering plans' rules (`now` in seconds).
pub(crate) async fn recovery<C: Coverage>(
    coverage: &C,
    recent: &RecentPoints,
    region: &str,
    arn: &str,
    covering: &[&Selection],
    tag_value: Option<&str>,
    now: i64,
) -> Judged {
    let points = match recent.of(coverage, region, arn).await {
        Ok(points) => points,
        Err(e) => {
            return Judged {
                verdict: Verdict::Unknown,
                age: None,
                allowed: None,
                reason: None,
                problem: Some(format!("recovery points of {arn} unreadable: {e}")),
            }
        }
    };
    let age = points.newest_usable.map(|t| ((now - t).max(0) / 60) as u64);
    let allowed = allowed_age_minutes(covering.iter().flat_map(|s| s.timing.iter()), points.in_progress());
    let (verdict, reason) = match allowed {
        Some(allowed) => match verdict(tag_value, true, age, allowed) {
            Verdict::NoRecentRecoveryPoint => (
                Verdict::NoRecentRecoveryPoint,
                Some(format!(
                    "no COMPLETED or AVAILABLE recovery point in the last {:.1} h (a PARTIAL, EXPIRED or failed backup \
                     is none): a backup was missed (its backup jobs in the AWS Backup console say why), or the \
                     resource is younger than that and its first backup has not run yet",
                    allowed as f64 / 60.0
                )),
            ),
            v => (v, None),
        },
        None => {
            let schedules: Vec<&str> = covering
                .iter()
                .flat_map(|s| s.timing.iter().map(|t| t.schedule.as_str()))
                .collect();
            let why = format!(
                "how old its recovery point may be cannot be told: no readable schedule in the plans that cover it \
                 ({})",
                schedules.join(", ")
            );
            (Verdict::Uncertain, Some(why))
        }
    };
    Judged {
        verdict,
        age,
        allowed,
        reason,
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "arn:aws:rds:eu-west-1:111111111111:cluster:orders";
    const VOLUME: &str = "arn:aws:ec2:eu-west-1:111111111111:volume/vol-0123456789abcdef0";

    fn settings(types: &[(&str, bool)]) -> BTreeMap<String, bool> {
        types.iter().map(|(t, on)| (t.to_string(), *on)).collect()
    }

    fn by_tag() -> Selection {
        Selection::default()
    }

    fn verdict_for(kind: ResourceKind, arn: &str, s: &Selection, types: Option<&[(&str, bool)]>) -> Option<Verdict> {
        let types = types.map(settings);
        opt_in(&[s], arn, kind, "eu-west-1", types.as_ref()).map(|(v, _)| v)
    }

    #[test]
    fn a_cluster_is_not_opted_in_only_when_neither_of_its_types_is() {
        let c = ResourceKind::RdsDbCluster;
        let s = by_tag();
        assert_eq!(
            verdict_for(c, CLUSTER, &s, Some(&[("Aurora", true), ("RDS", true)])),
            None
        );
        assert_eq!(
            verdict_for(c, CLUSTER, &s, Some(&[("Aurora", false), ("RDS", false)])),
            Some(Verdict::NotOptedIn)
        );
        assert_eq!(
            verdict_for(c, CLUSTER, &s, Some(&[("Aurora", false), ("RDS", true)])),
            Some(Verdict::Uncertain),
            "a Multi-AZ DB cluster is RDS, an Aurora cluster is Aurora"
        );
        assert_eq!(
            verdict_for(c, CLUSTER, &s, Some(&[("Aurora", true), ("RDS", false)])),
            Some(Verdict::Uncertain)
        );
    }

    #[test]
    fn unreadable_settings_are_unknown_and_a_type_pattern_ignores_them() {
        let v = ResourceKind::EbsVolume;
        assert_eq!(verdict_for(v, VOLUME, &by_tag(), None), Some(Verdict::Unknown));
        assert_eq!(
            verdict_for(v, VOLUME, &by_tag(), Some(&[("EBS", false)])),
            Some(Verdict::NotOptedIn)
        );
        let by_type = Selection {
            resources: vec!["arn:aws:ec2:*:*:volume/*".into()],
            ..Default::default()
        };
        assert_eq!(verdict_for(v, VOLUME, &by_type, Some(&[("EBS", false)])), None);
        assert_eq!(verdict_for(v, VOLUME, &by_type, None), None);
    }
}
