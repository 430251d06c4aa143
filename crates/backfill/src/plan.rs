//! What a sweep decided: every resource found, its state, the listings that failed. Pure: the merge-and-decide step
//! (listing tags, the index's tags, confirmations) is here and unit-tested without AWS.

use std::collections::{BTreeMap, HashMap};

use superwerker_backup_aws::Found;
use superwerker_backup_domain::{decide, ResourceKind, ResourceRef, Tag, TagDecision, TagSettings};

use crate::report::Failure;

/// What scanning decided for one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Daily,
    OptedOut,
    Other(String),
    ToTag,
    Failed(String),
    /// AWS Backup cannot protect it as configured: never tagged, reported with the reason.
    Unprotectable(&'static str),
    /// A key that differs from ours only in case: never tagged, reported for the owner to fix.
    CaseConflict {
        found: String,
        value: String,
    },
}

#[derive(Clone, Debug)]
pub struct Planned {
    pub resource: ResourceRef,
    pub state: State,
    /// The resource's tags as read (confirmed with the service where the index was consulted).
    pub tags: Vec<Tag>,
    /// The tags came from the Tagging API's index, which may lag: confirm before writing.
    pub from_index: bool,
    /// The resource AWS Backup protects this one through (an Aurora instance's cluster): the audit judges by it.
    pub parent: Option<String>,
}

/// The outcome of a scan: every resource found and what to do with it.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub account: String,
    pub regions: Vec<String>,
    pub entries: Vec<Planned>,
    /// Listings that failed as a whole (region, type), with the error.
    pub listing_failures: Vec<(ResourceKind, Failure)>,
    /// By "<region> <kind label>", for kinds whose tags come from the Tagging API's index: how the resources it
    /// reports untagged were checked (the guard proven, or a read each, and why).
    pub index_checks: BTreeMap<String, String>,
}

/// The state of a resource with these tags.
pub fn state_of(settings: &TagSettings, tags: &[Tag]) -> State {
    match decide(settings, tags) {
        TagDecision::Add(_) => State::ToTag,
        TagDecision::Keep { existing } => kept(settings, existing),
        TagDecision::CaseConflict { found, value } => State::CaseConflict { found, value },
    }
}

/// The state of a resource whose key holds `existing`.
pub fn kept(settings: &TagSettings, existing: String) -> State {
    if existing == settings.value {
        State::Daily
    } else if existing == superwerker_backup_domain::policy::OPT_OUT_VALUE {
        State::OptedOut
    } else {
        State::Other(existing)
    }
}

/// Merges a listing with the tags the index holds (for kinds whose listing has none) and decides each resource.
pub fn merge(found: Vec<Found>, index: Option<&HashMap<String, Vec<Tag>>>, settings: &TagSettings) -> Vec<Planned> {
    found
        .into_iter()
        .map(|f| {
            let from_index = f.tags.is_none();
            let unprotectable = f.unprotectable();
            let parent = f.parent_arn();
            let tags = match (f.tags, index) {
                (Some(tags), _) => tags,
                (None, Some(index)) => index.get(&f.resource.arn.to_string()).cloned().unwrap_or_default(),
                (None, None) => Vec::new(),
            };
            Planned {
                state: match unprotectable {
                    Some(reason) => State::Unprotectable(reason),
                    None => state_of(settings, &tags),
                },
                resource: f.resource,
                tags,
                from_index,
                parent,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(arn: &str, tags: Option<&[(&str, &str)]>) -> Found {
        Found::new(
            ResourceRef::parse(arn).unwrap(),
            tags.map(|t| t.iter().map(|(k, v)| Tag::new(*k, *v)).collect()),
        )
    }

    #[test]
    fn listing_tags_win_the_index_fills_in_and_absent_means_untagged() {
        let settings = TagSettings::default();
        let table = "arn:aws:dynamodb:eu-central-1:123456789012:table/orders";
        let fresh = "arn:aws:dynamodb:eu-central-1:123456789012:table/fresh";
        let volume = "arn:aws:ec2:eu-central-1:123456789012:volume/vol-1";
        let index: HashMap<String, Vec<Tag>> = [(table.to_owned(), vec![Tag::new("superwerker:backup", "none")])]
            .into_iter()
            .collect();
        let planned = merge(
            vec![
                found(table, None),
                found(fresh, None),
                found(volume, Some(&[("superwerker:backup", "weekly")])),
            ],
            Some(&index),
            &settings,
        );
        let states: Vec<(&State, bool)> = planned.iter().map(|p| (&p.state, p.from_index)).collect();
        assert_eq!(
            states,
            vec![
                (&State::OptedOut, true),
                (&State::ToTag, true),
                (&State::Other("weekly".into()), false)
            ]
        );
    }

    #[test]
    fn a_key_differing_only_in_case_is_a_conflict_in_the_report_not_a_failure() {
        let settings = TagSettings::default();
        let volume = "arn:aws:ec2:eu-central-1:123456789012:volume/vol-1";
        let planned = merge(
            vec![found(volume, Some(&[("SUPERWERKER:BACKUP", "daily")]))],
            None,
            &settings,
        );
        assert_eq!(
            planned[0].state,
            State::CaseConflict {
                found: "SUPERWERKER:BACKUP".into(),
                value: "daily".into()
            }
        );
        let plan = Plan {
            entries: planned,
            ..Plan::default()
        };
        let report = crate::report::Report::from_plan(&settings, false, plan, &Default::default());
        let k = &report.kinds["ec2:volume"];
        assert_eq!((k.scanned, k.tagged, k.case_conflicts.len()), (1, 0, 1));
        assert!(!report.partial, "a conflict is for the owner to fix, not a failed run");
        assert!(
            report.to_table().contains(&format!("conflict: {volume}")),
            "{}",
            report.to_table()
        );
    }

    #[test]
    fn values_map_to_states() {
        let s = TagSettings::default();
        assert_eq!(kept(&s, "daily".into()), State::Daily);
        assert_eq!(kept(&s, "none".into()), State::OptedOut);
        assert_eq!(kept(&s, "".into()), State::Other("".into()));
        assert_eq!(state_of(&s, &[Tag::new("team", "a")]), State::ToTag);
        // Issue 15: a key differing only in case used to get a second key added; now it is a conflict to report.
        assert!(matches!(
            state_of(&s, &[Tag::new("Superwerker:Backup", "none")]),
            State::CaseConflict { .. }
        ));
    }
}
