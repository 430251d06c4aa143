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
}

/// Decides from the resource's current tags.
pub fn decide(settings: &TagSettings, current: &[Tag]) -> TagDecision {
    match value_of(current, &settings.key) {
        Some(existing) => TagDecision::Keep {
            existing: existing.to_owned(),
        },
        None => TagDecision::Add(Tag::new(settings.key.clone(), settings.value.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
