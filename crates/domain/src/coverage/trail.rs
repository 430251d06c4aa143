//! Whether a region's CloudTrail trails deliver the management write events the tagger reacts to.
//!
//! EventBridge gets "AWS API Call via CloudTrail" events only where a trail with logging on records them (EventBridge
//! user guide, "Events from AWS services delivered via AWS CloudTrail"). A trail records management writes when:
//! - a basic event selector has `IncludeManagementEvents` and `ReadWriteType` `All` or `WriteOnly` (CloudTrail API
//!   reference, EventSelector);
//! - or an advanced event selector has `eventCategory` = `Management`, `readOnly` absent or `false`, and no
//!   `eventSource` it excludes (`NotEquals`) among ours — the only fields CloudTrail allows for management events
//!   (CloudTrail API reference, AdvancedFieldSelector). Anything else there is read as uncertain, never guessed.

use super::selection::Match;
use crate::HANDLED_EVENTS;

/// One field of an advanced event selector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub not_equals: Vec<String>,
    /// Whether it uses another operator (`StartsWith`, `NotEndsWith`, …).
    pub other_operators: bool,
}

/// One event selector of a trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrailSelector {
    Basic {
        read_write_type: String,
        include_management_events: bool,
    },
    Advanced(Vec<FieldSelector>),
}

/// A trail as seen from one region (its own, or a shadow of a multi-region or organization trail).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailState {
    pub name: String,
    pub logging: bool,
    pub selectors: Vec<TrailSelector>,
}

impl TrailState {
    /// Whether this trail delivers the management write events of the services we handle.
    pub fn logs_management_writes(&self) -> Match {
        if !self.logging {
            return Match::No;
        }
        let found: Vec<Match> = self.selectors.iter().map(selector).collect();
        if found.contains(&Match::Yes) {
            Match::Yes
        } else {
            found.into_iter().find(|m| m != &Match::No).unwrap_or(Match::No)
        }
    }
}

fn selector(s: &TrailSelector) -> Match {
    match s {
        TrailSelector::Basic {
            read_write_type,
            include_management_events,
        } => match *include_management_events && matches!(read_write_type.as_str(), "All" | "WriteOnly") {
            true => Match::Yes,
            false => Match::No,
        },
        TrailSelector::Advanced(fields) => advanced(fields),
    }
}

fn advanced(fields: &[FieldSelector]) -> Match {
    let field = |name: &str| fields.iter().find(|f| f.field == name);
    if !field("eventCategory").is_some_and(|f| f.equals.iter().any(|v| v == "Management")) {
        return Match::No;
    }
    if let Some(read_only) = field("readOnly") {
        if !read_only.equals.iter().any(|v| v == "false") {
            return Match::No;
        }
    }
    if let Some(source) = field("eventSource") {
        if HANDLED_EVENTS
            .iter()
            .any(|e| source.not_equals.iter().any(|v| v == e.event_source))
        {
            return Match::No;
        }
    }
    let known = |f: &&FieldSelector| {
        matches!(f.field.as_str(), "eventCategory" | "readOnly" | "eventSource")
            && !f.other_operators
            && (f.field != "eventSource" || f.equals.is_empty())
    };
    if fields.iter().all(|f| known(&f)) {
        Match::Yes
    } else {
        Match::Uncertain("an advanced event selector with fields CloudTrail does not document for management events")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(logging: bool, selectors: Vec<TrailSelector>) -> TrailState {
        TrailState {
            name: "t".into(),
            logging,
            selectors,
        }
    }

    fn basic(rw: &str, management: bool) -> TrailSelector {
        TrailSelector::Basic {
            read_write_type: rw.into(),
            include_management_events: management,
        }
    }

    fn field(name: &str, equals: &[&str], not_equals: &[&str]) -> FieldSelector {
        FieldSelector {
            field: name.into(),
            equals: equals.iter().map(|s| s.to_string()).collect(),
            not_equals: not_equals.iter().map(|s| s.to_string()).collect(),
            other_operators: false,
        }
    }

    #[test]
    fn basic_selectors_need_management_events_and_writes() {
        assert_eq!(
            trail(true, vec![basic("All", true)]).logs_management_writes(),
            Match::Yes
        );
        assert_eq!(
            trail(true, vec![basic("WriteOnly", true)]).logs_management_writes(),
            Match::Yes
        );
        assert_eq!(
            trail(true, vec![basic("ReadOnly", true)]).logs_management_writes(),
            Match::No
        );
        assert_eq!(
            trail(true, vec![basic("All", false)]).logs_management_writes(),
            Match::No
        );
        assert_eq!(
            trail(false, vec![basic("All", true)]).logs_management_writes(),
            Match::No,
            "stopped"
        );
        assert_eq!(trail(true, vec![]).logs_management_writes(), Match::No);
    }

    #[test]
    fn advanced_selectors_follow_the_management_fields() {
        let management = field("eventCategory", &["Management"], &[]);
        let writes = |extra: Vec<FieldSelector>| {
            let mut fields = vec![management.clone()];
            fields.extend(extra);
            trail(true, vec![TrailSelector::Advanced(fields)]).logs_management_writes()
        };
        assert_eq!(writes(vec![]), Match::Yes);
        assert_eq!(writes(vec![field("readOnly", &["false"], &[])]), Match::Yes);
        assert_eq!(writes(vec![field("readOnly", &["true"], &[])]), Match::No);
        assert_eq!(
            writes(vec![field("eventSource", &[], &["kms.amazonaws.com"])]),
            Match::Yes
        );
        assert_eq!(
            writes(vec![field("eventSource", &[], &["ec2.amazonaws.com"])]),
            Match::No,
            "excludes one of ours"
        );
        assert!(matches!(
            writes(vec![field("eventName", &["CreateVolume"], &[])]),
            Match::Uncertain(_)
        ));
        let data = trail(
            true,
            vec![TrailSelector::Advanced(vec![field("eventCategory", &["Data"], &[])])],
        );
        assert_eq!(data.logs_management_writes(), Match::No);
    }
}
