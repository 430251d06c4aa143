//! What opting a region in to AWS Backup resource types would change: the types turned on, and the selections that
//! would start taking every resource of a type turned on.
//!
//! "If resource assignments are only based on tags, then service opt-in settings are applied. If a resource type is
//! explicitly assigned to a backup plan … it will be included in the backup even if the opt-in is not enabled" (AWS
//! Backup API reference, UpdateRegionSettings, ResourceTypeOptInPreference). So turning a type on widens each selection
//! that selects its resources without a tag test and without naming the type: an empty selection ("all supported and
//! opted-in storage resources"), `*`, a service-only pattern. Those are what a dry run must name before anyone writes.

use std::collections::BTreeMap;

use super::selection::{Match, Selection};
use crate::arn::Arn;
use crate::kinds::ResourceKind;

/// The AWS Backup resource types of every kind we protect (`Aurora` and `RDS` for DB clusters).
pub fn protected_types() -> Vec<&'static str> {
    let mut types: Vec<&'static str> = ResourceKind::all()
        .flat_map(|k| [Some(k.spec().backup_resource_type), k.spec().other_backup_resource_type])
        .flatten()
        .collect();
    types.sort_unstable();
    types.dedup();
    types
}

/// The change opting in to `wanted` would make in one region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptInChange {
    /// Types that are off and would be turned on.
    pub turn_on: Vec<String>,
    /// Types already on.
    pub already_on: Vec<String>,
    /// Types the region's settings do not list (not offered there, or misspelt): never written.
    pub not_offered: Vec<String>,
    /// Selections that would take every resource of a type turned on, and which types.
    pub widened: Vec<(String, Vec<String>)>,
}

/// The change in `region` of `account`, from the region's current settings and the selections that apply there.
pub fn opt_in_change(
    current: &BTreeMap<String, bool>,
    wanted: &[String],
    selections: &[Selection],
    region: &str,
    account: &str,
) -> OptInChange {
    let mut change = OptInChange::default();
    for t in wanted {
        match current.get(t) {
            Some(false) => change.turn_on.push(t.clone()),
            Some(true) => change.already_on.push(t.clone()),
            None => change.not_offered.push(t.clone()),
        }
    }
    for s in selections {
        let types: Vec<String> = change
            .turn_on
            .iter()
            .filter(|t| takes_every_untagged(s, t, region, account))
            .cloned()
            .collect();
        if !types.is_empty() {
            change.widened.push((s.name.clone(), types));
        }
    }
    change
}

/// Whether `s` selects an untagged resource of AWS Backup type `t` only by virtue of the type's opt-in.
fn takes_every_untagged(s: &Selection, t: &str, region: &str, account: &str) -> bool {
    ResourceKind::all()
        .filter(|k| k.spec().backup_resource_type == t || k.spec().other_backup_resource_type == Some(t))
        .filter_map(|k| {
            let sample = Arn::build(k.arn_service(), region, account, &k.arn_resource("any")).ok()?;
            Some((sample.to_string(), k.spec().shares_arn_format))
        })
        .any(|(arn, shared)| {
            s.matches(&arn, region, &[]) == Match::Yes && !s.selects_regardless_of_opt_in(&arn, shared)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::Test;

    fn settings(types: &[(&str, bool)]) -> BTreeMap<String, bool> {
        types.iter().map(|(t, on)| (t.to_string(), *on)).collect()
    }

    fn named(name: &str, resources: &[&str]) -> Selection {
        Selection {
            name: name.into(),
            resources: resources.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn the_protected_types_include_both_cluster_types() {
        assert_eq!(protected_types(), ["Aurora", "DynamoDB", "EBS", "EFS", "FSx", "RDS"]);
    }

    #[test]
    fn only_off_types_are_turned_on_and_unlisted_ones_never_written() {
        let current = settings(&[("EBS", false), ("DynamoDB", true)]);
        let wanted = ["EBS".to_string(), "DynamoDB".into(), "Ebs".into()];
        let c = opt_in_change(&current, &wanted, &[], "eu-west-1", "111111111111");
        assert_eq!(c.turn_on, ["EBS"]);
        assert_eq!(c.already_on, ["DynamoDB"]);
        assert_eq!(c.not_offered, ["Ebs"], "keys are exact");
        assert!(c.widened.is_empty());
    }

    #[test]
    fn selections_taking_everything_are_named_as_widened_and_tag_or_type_selections_are_not() {
        let current = settings(&[("EBS", false), ("Aurora", false), ("DynamoDB", false)]);
        let wanted = ["EBS".to_string(), "Aurora".into()];
        let by_tag = Selection {
            name: "by-tag".into(),
            any_of: vec![Test::Equals {
                key: "superwerker:backup".into(),
                value: "daily".into(),
            }],
            ..Default::default()
        };
        let selections = [
            named("empty", &[]),
            named("star", &["*"]),
            named("all-ec2", &["arn:aws:ec2:*"]),
            named("volumes-by-type", &["arn:aws:ec2:*:*:volume/*"]),
            named("clusters-by-type", &["arn:aws:rds:*:*:cluster:*"]),
            named("tables", &["arn:aws:dynamodb:*:*:table/*"]),
            by_tag,
        ];
        let c = opt_in_change(&current, &wanted, &selections, "eu-west-1", "111111111111");
        let widened: Vec<(&str, Vec<&str>)> = c
            .widened
            .iter()
            .map(|(n, t)| (n.as_str(), t.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            widened,
            [
                ("empty", vec!["EBS", "Aurora"]),
                ("star", vec!["EBS", "Aurora"]),
                ("all-ec2", vec!["EBS"]),
                ("clusters-by-type", vec!["Aurora"]),
            ],
            "a volume pattern already takes volumes; a cluster pattern needs the opt-in (shared ARN format); DynamoDB \
             is not being turned on; tags select only what is tagged"
        );
    }
}
