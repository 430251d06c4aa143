//! The tag we set: key and value, defaults defined once here, overridable by environment variables.

use thiserror::Error;

/// The tag key AWS Backup selects on (superwerker's own).
pub const DEFAULT_TAG_KEY: &str = "superwerker:backup";
/// The value that opts a resource into the daily plan.
pub const DEFAULT_TAG_VALUE: &str = "daily";
/// Environment variable overriding the tag key.
pub const ENV_TAG_KEY: &str = "SUPERWERKER_BACKUP_TAG_KEY";
/// Environment variable overriding the tag value.
pub const ENV_TAG_VALUE: &str = "SUPERWERKER_BACKUP_TAG_VALUE";

/// Which tag the tagger and the backfill set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagSettings {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("{var}: a tag key must be 1 to 128 characters, got {len}")]
    KeyLength { var: &'static str, len: usize },
    #[error("{var}: a tag value must be at most 256 characters, got {len}")]
    ValueLength { var: &'static str, len: usize },
    #[error("{var}: the prefix `aws:` is reserved by AWS and cannot be used in tags")]
    ReservedPrefix { var: &'static str },
    #[error("{var}: {what} has a character AWS does not allow in tags: {ch:?}")]
    BadCharacter {
        var: &'static str,
        what: &'static str,
        ch: char,
    },
}

impl Default for TagSettings {
    fn default() -> Self {
        TagSettings {
            key: DEFAULT_TAG_KEY.to_owned(),
            value: DEFAULT_TAG_VALUE.to_owned(),
        }
    }
}

impl TagSettings {
    /// Reads the overrides through `lookup` (in production `std::env::var`); unset or empty means the default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let non_empty = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let key = non_empty(ENV_TAG_KEY).unwrap_or_else(|| DEFAULT_TAG_KEY.to_owned());
        let value = non_empty(ENV_TAG_VALUE).unwrap_or_else(|| DEFAULT_TAG_VALUE.to_owned());
        validate(ENV_TAG_KEY, "key", &key, 1, 128)?;
        validate(ENV_TAG_VALUE, "value", &value, 0, 256)?;
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(SettingsError::ReservedPrefix { var: ENV_TAG_KEY });
        }
        Ok(TagSettings { key, value })
    }
}

/// AWS tag rules common to every service: length, and letters, digits, spaces and `_ . : / = + - @`.
fn validate(var: &'static str, what: &'static str, s: &str, min: usize, max: usize) -> Result<(), SettingsError> {
    let len = s.chars().count();
    if len < min || len > max {
        return Err(if what == "key" {
            SettingsError::KeyLength { var, len }
        } else {
            SettingsError::ValueLength { var, len }
        });
    }
    if let Some(ch) = s.chars().find(|c| !(c.is_alphanumeric() || " _.:/=+-@".contains(*c))) {
        return Err(SettingsError::BadCharacter { var, what, ch });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_when_unset_or_empty() {
        assert_eq!(TagSettings::from_lookup(lookup(&[])).unwrap(), TagSettings::default());
        let s = TagSettings::from_lookup(lookup(&[(ENV_TAG_KEY, ""), (ENV_TAG_VALUE, "")])).unwrap();
        assert_eq!(s.key, "superwerker:backup");
        assert_eq!(s.value, "daily");
    }

    #[test]
    fn overrides_apply() {
        let s = TagSettings::from_lookup(lookup(&[(ENV_TAG_KEY, "backup:plan"), (ENV_TAG_VALUE, "weekly")])).unwrap();
        assert_eq!(
            s,
            TagSettings {
                key: "backup:plan".into(),
                value: "weekly".into()
            }
        );
    }

    #[test]
    fn rejects_reserved_prefix_and_bad_characters_and_lengths() {
        assert_eq!(
            TagSettings::from_lookup(lookup(&[(ENV_TAG_KEY, "AWS:backup")])),
            Err(SettingsError::ReservedPrefix { var: ENV_TAG_KEY })
        );
        assert!(matches!(
            TagSettings::from_lookup(lookup(&[(ENV_TAG_VALUE, "da\"ily")])),
            Err(SettingsError::BadCharacter { ch: '"', .. })
        ));
        let long = "k".repeat(129);
        assert_eq!(
            TagSettings::from_lookup(lookup(&[(ENV_TAG_KEY, &long)])),
            Err(SettingsError::KeyLength {
                var: ENV_TAG_KEY,
                len: 129
            })
        );
        let long = "v".repeat(257);
        assert_eq!(
            TagSettings::from_lookup(lookup(&[(ENV_TAG_VALUE, &long)])),
            Err(SettingsError::ValueLength {
                var: ENV_TAG_VALUE,
                len: 257
            })
        );
    }
}
