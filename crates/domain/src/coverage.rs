//! Which backup selection covers a resource, and whether the resource counts as protected. Pure rules for `audit`.

use serde::Serialize;
use serde_json::Value;

use crate::policy::BackupPlanSpec;
use crate::tags::{value_of, Tag};

/// A tag or ARN test as AWS Backup selections express them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    Equals { key: String, value: String },
    NotEquals { key: String, value: String },
    Like { key: String, pattern: String },
    NotLike { key: String, pattern: String },
}

/// One way a resource gets into a backup plan: an account plan's selection, or an Organizations backup policy's
/// tag selection. Semantics (AWS Backup): `resources` (ARN patterns, `*` wildcard) narrow what is selected;
/// `not_resources` exclude; `any_of` (ListOfTags, or a policy's tag_key/tag_value) is an OR; `all_of` (Conditions) an AND.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Plan and selection name, for reports.
    pub name: String,
    /// Regions where the plan runs; empty means the region the selection was read in.
    pub regions: Vec<String>,
    pub resources: Vec<String>,
    pub not_resources: Vec<String>,
    pub any_of: Vec<Test>,
    pub all_of: Vec<Test>,
    /// The IAM role AWS Backup uses for this selection (`IamRoleArn`, or a policy's `iam_role_arn`).
    pub role: Option<String>,
}

/// `*` matches any run of characters (AWS Backup resource patterns and StringLike conditions).
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn holds(test: &Test, tags: &[Tag]) -> bool {
    match test {
        Test::Equals { key, value } => value_of(tags, key) == Some(value.as_str()),
        Test::NotEquals { key, value } => value_of(tags, key) != Some(value.as_str()),
        Test::Like { key, pattern } => value_of(tags, key).is_some_and(|v| glob(pattern, v)),
        Test::NotLike { key, pattern } => !value_of(tags, key).is_some_and(|v| glob(pattern, v)),
    }
}

impl Selection {
    /// Whether this is exactly the selection `spec` asks for: its role, its one tag, nothing else.
    pub fn is_exactly(&self, spec: &BackupPlanSpec) -> bool {
        self.role.as_deref() == Some(spec.role_arn.as_str())
            && self.any_of
                == [Test::Equals {
                    key: spec.tag_key.clone(),
                    value: spec.tag_value.clone(),
                }]
            && self.resources.is_empty()
            && self.not_resources.is_empty()
            && self.all_of.is_empty()
    }

    /// Whether this selection selects the resource `arn` (in `region`) with these tags.
    pub fn covers(&self, arn: &str, region: &str, tags: &[Tag]) -> bool {
        if !self.regions.is_empty() && !self.regions.iter().any(|r| r == region) {
            return false;
        }
        if self.resources.is_empty() && self.any_of.is_empty() && self.all_of.is_empty() {
            return false;
        }
        if !self.resources.is_empty() && !self.resources.iter().any(|p| glob(p, arn)) {
            return false;
        }
        if self.not_resources.iter().any(|p| glob(p, arn)) {
            return false;
        }
        if !self.any_of.is_empty() && !self.any_of.iter().any(|t| holds(t, tags)) {
            return false;
        }
        self.all_of.iter().all(|t| holds(t, tags))
    }
}

/// The tag selections of an Organizations (effective) backup policy document.
pub fn selections_from_policy(content: &Value) -> Vec<Selection> {
    // Effective policies carry plain values; policy documents carry `{"@@assign": ...}`: accept both.
    fn plain(v: &Value) -> &Value {
        v.get("@@assign").unwrap_or(v)
    }
    fn strings(v: &Value) -> Vec<String> {
        match plain(v) {
            Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
    let mut out = Vec::new();
    let Some(plans) = content.get("plans").and_then(Value::as_object) else {
        return out;
    };
    for (plan_name, plan) in plans {
        let regions = plan.get("regions").map(strings).unwrap_or_default();
        let Some(tag_selections) = plan.pointer("/selections/tags").and_then(Value::as_object) else {
            continue;
        };
        for (sel_name, sel) in tag_selections {
            let Some(key) = sel.get("tag_key").map(strings).and_then(|k| k.into_iter().next()) else {
                continue;
            };
            let values = sel.get("tag_value").map(strings).unwrap_or_default();
            out.push(Selection {
                name: format!("org:{plan_name}/{sel_name}"),
                regions: regions.clone(),
                any_of: values
                    .into_iter()
                    .map(|value| Test::Equals {
                        key: key.clone(),
                        value,
                    })
                    .collect(),
                role: sel.get("iam_role_arn").map(strings).and_then(|r| r.into_iter().next()),
                ..Selection::default()
            });
        }
    }
    out
}

/// Recovery points older than this do not count as a current backup (a daily plan plus its start window).
pub const MAX_RECOVERY_POINT_AGE_HOURS: u64 = 26;

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

    fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
        pairs.iter().map(|(k, v)| Tag::new(*k, *v)).collect()
    }

    fn ours() -> Selection {
        Selection {
            name: "superwerker-backup/backup-daily".into(),
            any_of: vec![Test::Equals {
                key: "superwerker:backup".into(),
                value: "daily".into(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn glob_matches_like_aws_patterns() {
        assert!(glob(
            "arn:aws:ec2:*:*:volume/*",
            "arn:aws:ec2:eu-central-1:1:volume/vol-1"
        ));
        assert!(glob("*", "anything"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abde"));
        assert!(!glob("arn:aws:rds:*", "arn:aws:ec2:x"));
        assert!(glob("exact", "exact"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn our_tag_selection() {
        let s = ours();
        assert!(s.covers("arn:x", "eu-central-1", &tags(&[("superwerker:backup", "daily")])));
        assert!(!s.covers("arn:x", "eu-central-1", &tags(&[("superwerker:backup", "none")])));
        assert!(!s.covers("arn:x", "eu-central-1", &[]));
    }

    #[test]
    fn regions_resources_exclusions_and_conditions() {
        let mut s = ours();
        s.regions = vec!["eu-west-1".into()];
        assert!(!s.covers("arn:x", "eu-central-1", &tags(&[("superwerker:backup", "daily")])));
        let s = Selection {
            name: "all volumes".into(),
            resources: vec!["arn:aws:ec2:*:*:volume/*".into()],
            ..Default::default()
        };
        assert!(s.covers("arn:aws:ec2:eu-central-1:1:volume/vol-1", "eu-central-1", &[]));
        assert!(!s.covers("arn:aws:rds:eu-central-1:1:db:x", "eu-central-1", &[]));
        let s = Selection {
            name: "all but scratch".into(),
            resources: vec!["*".into()],
            not_resources: vec!["*:table/scratch*".into()],
            all_of: vec![Test::NotEquals {
                key: "env".into(),
                value: "dev".into(),
            }],
            ..Default::default()
        };
        assert!(s.covers("arn:aws:dynamodb:r:1:table/orders", "r", &[]));
        assert!(!s.covers("arn:aws:dynamodb:r:1:table/scratch-1", "r", &[]));
        assert!(!s.covers("arn:aws:dynamodb:r:1:table/orders", "r", &tags(&[("env", "dev")])));
        assert!(
            !Selection::default().covers("arn:x", "r", &[]),
            "an empty selection selects nothing"
        );
    }

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
    }
}
