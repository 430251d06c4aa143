//! A resource tag, as every service's adapter hands it to the domain.

use serde::Serialize;

/// One tag: key and value, case-sensitive as in AWS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// The value of `key` among `tags`, if present. Keys compare exactly (AWS tag keys are case-sensitive).
pub fn value_of<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exact_key_only() {
        let tags = vec![
            Tag::new("Superwerker:Backup", "x"),
            Tag::new("superwerker:backup", "none"),
        ];
        assert_eq!(value_of(&tags, "superwerker:backup"), Some("none"));
        assert_eq!(value_of(&tags, "superwerker:backu"), None);
        assert_eq!(value_of(&[], "superwerker:backup"), None);
    }

    #[test]
    fn empty_value_still_counts_as_present() {
        let tags = vec![Tag::new("superwerker:backup", "")];
        assert_eq!(value_of(&tags, "superwerker:backup"), Some(""));
    }
}
