//! The one rule that matters: add our tag only where the key is absent; never overwrite.

use crate::settings::TagSettings;
use crate::tags::{value_of, Tag};

/// What to do with a resource whose current tags are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagDecision {
    /// The key is absent: add it with the configured value.
    Add(Tag),
    /// The key is present (any value, even empty): leave it as it is.
    Keep { existing: String },
    /// The key is absent, but `found` differs from it only in letter case. AWS Backup's tag selection does not match
    /// it ("Tags are case sensitive", AWS Backup developer guide), so the resource is not backed up; and IAM, which
    /// reads condition key names case-insensitively (IAM user guide, "IAM JSON policy elements: Condition"), may count
    /// it as our key and refuse our write. Whether the tag-key part of `aws:ResourceTag/…` follows that could not be
    /// confirmed, so neither is assumed: no second key is added, and the owner is told to rename it.
    CaseConflict { found: String, value: String },
}

impl TagDecision {
    /// Why a resource with a [`TagDecision::CaseConflict`] is left alone, for reports.
    pub fn case_conflict_reason(key: &str, found: &str, value: &str) -> String {
        format!(
            "the resource has {found:?} (value {value:?}), which differs from {key:?} only in case: AWS Backup's tag \
             selection does not match it; rename the key to {key:?} (no second key is added)"
        )
    }
}

/// Decides from the resource's current tags.
pub fn decide(settings: &TagSettings, current: &[Tag]) -> TagDecision {
    if let Some(existing) = value_of(current, &settings.key) {
        return TagDecision::Keep {
            existing: existing.to_owned(),
        };
    }
    match current.iter().find(|t| t.key.eq_ignore_ascii_case(&settings.key)) {
        Some(t) => TagDecision::CaseConflict {
            found: t.key.clone(),
            value: t.value.clone(),
        },
        None => TagDecision::Add(Tag::new(settings.key.clone(), settings.value.clone())),
    }
}

/// Whether a tag with `key` can change [`decide`]'s answer for `our_key`: only our key, in any letter case (the case
/// conflict). A sweep that only decides keeps no other tag of what it lists (memory at scale; issue: scale).
pub fn decides(our_key: &str, key: &str) -> bool {
    key.eq_ignore_ascii_case(our_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_tags_that_decides_keeps_change_the_decision() {
        let s = TagSettings::default();
        let sets: Vec<Vec<Tag>> = vec![
            vec![],
            vec![Tag::new("team", "a"), Tag::new("env", "prod")],
            vec![Tag::new("team", "a"), Tag::new("superwerker:backup", "none")],
            vec![Tag::new("Superwerker:Backup", "daily"), Tag::new("x", "y")],
            vec![
                Tag::new("SUPERWERKER:BACKUP", "weekly"),
                Tag::new("superwerker:backup", ""),
            ],
            vec![
                Tag::new("superwerker:backup2", "daily"),
                Tag::new("superwerker", "backup"),
            ],
        ];
        for tags in sets {
            let kept: Vec<Tag> = tags.iter().filter(|t| decides(&s.key, &t.key)).cloned().collect();
            assert_eq!(decide(&s, &kept), decide(&s, &tags), "{tags:?}");
        }
        assert!(decides("superwerker:backup", "SuperWerker:BACKUP"));
        assert!(!decides("superwerker:backup", "superwerker:backup "));
    }

    #[test]
    fn adds_when_absent() {
        let s = TagSettings::default();
        assert_eq!(
            decide(&s, &[Tag::new("team", "a")]),
            TagDecision::Add(Tag::new("superwerker:backup", "daily"))
        );
        assert_eq!(
            decide(&s, &[]),
            TagDecision::Add(Tag::new("superwerker:backup", "daily"))
        );
    }

    #[test]
    fn never_overwrites_any_value() {
        let s = TagSettings::default();
        for v in ["none", "daily", "weekly", ""] {
            assert_eq!(
                decide(&s, &[Tag::new("superwerker:backup", v)]),
                TagDecision::Keep { existing: v.to_owned() }
            );
        }
    }

    #[test]
    fn a_key_that_differs_only_in_case_is_a_conflict_not_absent() {
        let s = TagSettings::default();
        assert_eq!(
            decide(&s, &[Tag::new("Superwerker:Backup", "none")]),
            TagDecision::CaseConflict {
                found: "Superwerker:Backup".into(),
                value: "none".into()
            }
        );
        assert_eq!(
            decide(
                &s,
                &[
                    Tag::new("SUPERWERKER:BACKUP", "daily"),
                    Tag::new("superwerker:backup", "none")
                ]
            ),
            TagDecision::Keep {
                existing: "none".into()
            },
            "the exact key wins"
        );
        assert!(matches!(
            decide(&s, &[Tag::new("superwerker:backups", "daily")]),
            TagDecision::Add(_)
        ));
    }

    #[test]
    fn uses_configured_key() {
        let s = TagSettings {
            key: "k".into(),
            value: "v".into(),
        };
        assert_eq!(
            decide(&s, &[Tag::new("superwerker:backup", "none")]),
            TagDecision::Add(Tag::new("k", "v"))
        );
        assert_eq!(
            decide(&s, &[Tag::new("k", "x")]),
            TagDecision::Keep { existing: "x".into() }
        );
    }
}
