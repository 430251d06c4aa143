//! One backup selection and whether it selects a resource.
//!
//! AWS Backup's rules, as its documentation states them:
//! - `Resources`: "If you specify multiple ARNs, the resources much match any of the ARNs (OR logic)"; `ListOfTags`:
//!   "supports only `StringEquals` … the resources much match any of the conditions (OR logic)"; `Conditions`:
//!   "`StringEquals`, `StringLike`, `StringNotEquals`, and `StringNotLike` … the resources much match all conditions
//!   (AND logic)" (AWS Backup API reference, BackupSelection).
//! - How they combine: `Resources` and `ListOfTags` are an OR ("Select all FSx file systems, the Aurora cluster …, and
//!   all resources tagged with "backup":"true", except for resources tagged with "stage":"test""), `Conditions`
//!   further restrict (AND), `NotResources` exclude ("combined using the Boolean OR") (AWS Backup developer guide,
//!   "Assign resources with AWS CLI").
//! - No `Resources`, `ListOfTags` nor `Conditions`: "Backup attempts to select all supported and opted-in storage
//!   resources" (BackupSelection). Opt-in is the region settings' business, not the selection's.
//! - Wildcards: "The wildcard `*` represents zero or more non-whitespace characters" (developer guide, same page).
//! - A selection with only `Conditions`, or only `NotResources`: the documentation gives no rule and no example, so
//!   such a selection is [`Match::Uncertain`], never guessed.

use super::schedule::RuleTiming;
use crate::policy::BackupPlanSpec;
use crate::tags::{value_of, Tag};

/// A tag test as AWS Backup selections express them. Keys and values compare exactly: "Condition operators are case
/// sensitive", "Tags are case sensitive" (BackupSelection; developer guide, console).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    Equals { key: String, value: String },
    NotEquals { key: String, value: String },
    Like { key: String, pattern: String },
    NotLike { key: String, pattern: String },
}

/// One way a resource gets into a backup plan: an account plan's selection, or an Organizations backup policy's
/// selection (its tag form or its resource form).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Plan and selection name, for reports.
    pub name: String,
    /// Regions where the plan runs; empty means the region the selection was read in.
    pub regions: Vec<String>,
    /// ARN patterns (`Resources`, a policy's `resource_types`).
    pub resources: Vec<String>,
    /// ARN patterns excluded (`NotResources`, a policy's `not_resource_types`).
    pub not_resources: Vec<String>,
    /// `ListOfTags`, or a policy's `tag_key` / `tag_value` list: any one suffices.
    pub any_of: Vec<Test>,
    /// `Conditions`: every one must hold.
    pub all_of: Vec<Test>,
    /// The IAM role AWS Backup uses for this selection (`IamRoleArn`, or a policy's `iam_role_arn`).
    pub role: Option<String>,
    /// When the plan's rules run: what a selected resource's recovery points are held to.
    pub timing: Vec<RuleTiming>,
}

/// Whether a selection selects a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    Yes,
    No,
    /// The documentation does not say what this selection selects; the reason says which case it is.
    Uncertain(&'static str),
}

/// `*` matches zero or more non-whitespace characters; everything else matches itself (AWS Backup resource patterns
/// and StringLike values).
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // matched[j]: pattern[..i] matches text[..j], for the current i.
    let mut matched = vec![false; t.len() + 1];
    matched[0] = true;
    for &pc in &p {
        let mut next = vec![false; t.len() + 1];
        if pc == '*' {
            next[0] = matched[0];
            for j in 1..=t.len() {
                next[j] = matched[j] || (next[j - 1] && !t[j - 1].is_whitespace());
            }
        } else {
            for j in 1..=t.len() {
                next[j] = matched[j - 1] && t[j - 1] == pc;
            }
        }
        matched = next;
    }
    matched[t.len()]
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
    pub fn matches(&self, arn: &str, region: &str, tags: &[Tag]) -> Match {
        if !self.regions.is_empty() && !self.regions.iter().any(|r| r == region) {
            return Match::No;
        }
        if self.not_resources.iter().any(|p| glob(p, arn)) {
            return Match::No;
        }
        let included = match (
            self.resources.is_empty(),
            self.any_of.is_empty(),
            self.all_of.is_empty(),
        ) {
            (true, true, true) if self.not_resources.is_empty() => true,
            (true, true, true) => {
                return Match::Uncertain("a selection with only NotResources: AWS documents no rule for it")
            }
            (true, true, false) => {
                return match self.all_of.iter().all(|t| holds(t, tags)) {
                    false => Match::No,
                    true => Match::Uncertain("a selection with only Conditions: AWS documents no rule for it"),
                }
            }
            _ => self.resources.iter().any(|p| glob(p, arn)) || self.any_of.iter().any(|t| holds(t, tags)),
        };
        if included && self.all_of.iter().all(|t| holds(t, tags)) {
            Match::Yes
        } else {
            Match::No
        }
    }

    /// Whether AWS Backup takes the resource through this selection whatever the region's opt-in for its type: a
    /// `Resources` pattern names its resource type ("If you specify the resource selection directly with the resource
    /// type, it will be included in the backup regardless of the opt-in setting", e.g. `arn:aws:ec2:*:*:volume/*`),
    /// unlike `*`, a service-only pattern (`arn:aws:ec2:*`) or tags — except for types that share their ARN format with
    /// another (`shared_arn_format`: Aurora and RDS clusters, FSx file systems: "Enable the respective opt-in
    /// settings") (AWS Backup developer guide, "Assign resources with AWS CLI").
    pub fn selects_regardless_of_opt_in(&self, arn: &str, shared_arn_format: bool) -> bool {
        !shared_arn_format
            && self.resources.iter().any(|p| {
                let resource_part = p.splitn(6, ':').nth(5).unwrap_or("");
                glob(p, arn) && !resource_part.is_empty() && !resource_part.starts_with('*')
            })
    }

    /// Whether this selection surely selects the resource.
    pub fn covers(&self, arn: &str, region: &str, tags: &[Tag]) -> bool {
        self.matches(arn, region, tags) == Match::Yes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
        pairs.iter().map(|(k, v)| Tag::new(*k, *v)).collect()
    }

    fn equals(key: &str, value: &str) -> Test {
        Test::Equals {
            key: key.into(),
            value: value.into(),
        }
    }

    fn ours() -> Selection {
        Selection {
            name: "superwerker-backup/backup-daily".into(),
            any_of: vec![equals("superwerker:backup", "daily")],
            ..Default::default()
        }
    }

    const VOLUME: &str = "arn:aws:ec2:eu-central-1:1:volume/vol-1";
    const TABLE: &str = "arn:aws:dynamodb:eu-central-1:1:table/orders";

    #[test]
    fn glob_matches_like_aws_patterns() {
        assert!(glob("arn:aws:ec2:*:*:volume/*", VOLUME));
        assert!(glob("*", "anything"));
        assert!(glob("*", ""));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abde"));
        assert!(!glob("arn:aws:rds:*", "arn:aws:ec2:x"));
        assert!(glob("exact", "exact"));
        assert!(!glob("ab*ba", "aba"));
        assert!(
            glob("prod*", "production") && glob("*rod*", "production"),
            "BackupSelection's own examples"
        );
        assert!(glob("prod*", "prod_server"));
        assert!(
            !glob("prod*", "prod server"),
            "* matches no whitespace (developer guide, console)"
        );
        assert!(glob("prod *", "prod server"), "a space in the pattern matches itself");
        assert!(glob("a*b*c", "axbxc") && !glob("a*b*c", "ab xbc"));
    }

    #[test]
    fn our_tag_selection() {
        let s = ours();
        assert!(s.covers("arn:x", "eu-central-1", &tags(&[("superwerker:backup", "daily")])));
        assert!(!s.covers("arn:x", "eu-central-1", &tags(&[("superwerker:backup", "none")])));
        assert!(!s.covers("arn:x", "eu-central-1", &[]));
        assert!(
            !s.covers("arn:x", "eu-central-1", &tags(&[("Superwerker:Backup", "daily")])),
            "keys compare exactly"
        );
    }

    #[test]
    fn list_of_tags_is_an_or_and_conditions_an_and() {
        let s = Selection {
            any_of: vec![equals("backup", "yes"), equals("tier", "gold")],
            ..Default::default()
        };
        assert!(s.covers(TABLE, "r", &tags(&[("backup", "yes")])));
        assert!(s.covers(TABLE, "r", &tags(&[("tier", "gold")])));
        assert!(!s.covers(TABLE, "r", &tags(&[("backup", "no")])));
        let s = Selection {
            resources: vec!["arn:aws:ec2:*:*:volume/*".into()],
            all_of: vec![
                equals("backup", "true"),
                Test::Like {
                    key: "stage".into(),
                    pattern: "prod*".into(),
                },
            ],
            ..Default::default()
        };
        assert!(s.covers(VOLUME, "r", &tags(&[("backup", "true"), ("stage", "production")])));
        assert!(
            !s.covers(VOLUME, "r", &tags(&[("backup", "true")])),
            "every condition must hold"
        );
        assert!(!s.covers(VOLUME, "r", &tags(&[("backup", "true"), ("stage", "prod eu")])));
        assert!(!s.covers(TABLE, "r", &tags(&[("backup", "true"), ("stage", "prod")])));
        let not_like = Selection {
            resources: vec!["*".into()],
            all_of: vec![Test::NotLike {
                key: "env".into(),
                pattern: "*dev*".into(),
            }],
            ..Default::default()
        };
        assert!(
            not_like.covers(TABLE, "r", &[]),
            "an absent tag is not like the pattern"
        );
        assert!(!not_like.covers(TABLE, "r", &tags(&[("env", "mydevbox")])));
    }

    #[test]
    fn resources_or_tags_then_conditions_minus_not_resources() {
        // The developer guide's example: all FSx file systems, one Aurora cluster and everything tagged
        // backup=true, except resources tagged stage=test.
        let s = Selection {
            resources: vec![
                "arn:aws:fsx:*".into(),
                "arn:aws:rds:*:*:cluster:my-aurora-cluster".into(),
            ],
            any_of: vec![equals("backup", "true")],
            all_of: vec![Test::NotEquals {
                key: "stage".into(),
                value: "test".into(),
            }],
            not_resources: vec!["*:table/scratch*".into()],
            ..Default::default()
        };
        let fsx = "arn:aws:fsx:r:1:file-system/fs-1";
        assert!(s.covers(fsx, "r", &[]), "by its ARN alone");
        assert!(s.covers(TABLE, "r", &tags(&[("backup", "true")])), "by its tag alone");
        assert!(!s.covers(TABLE, "r", &[]));
        assert!(
            !s.covers(fsx, "r", &tags(&[("stage", "test")])),
            "the condition restricts both"
        );
        let scratch = "arn:aws:dynamodb:r:1:table/scratch-1";
        assert!(
            !s.covers(scratch, "r", &tags(&[("backup", "true")])),
            "NotResources exclude"
        );
    }

    #[test]
    fn empty_selections_select_everything_and_undocumented_ones_are_uncertain() {
        assert_eq!(Selection::default().matches(TABLE, "r", &[]), Match::Yes);
        let all = Selection {
            resources: vec!["*".into()],
            ..Default::default()
        };
        assert_eq!(all.matches(VOLUME, "r", &[]), Match::Yes);
        let only_not = Selection {
            not_resources: vec!["arn:aws:ec2:*".into()],
            ..Default::default()
        };
        assert_eq!(only_not.matches(VOLUME, "r", &[]), Match::No, "excluded either way");
        assert!(matches!(only_not.matches(TABLE, "r", &[]), Match::Uncertain(_)));
        let only_conditions = Selection {
            all_of: vec![equals("backup", "true")],
            ..Default::default()
        };
        assert_eq!(
            only_conditions.matches(TABLE, "r", &[]),
            Match::No,
            "a failing condition excludes either way"
        );
        assert!(matches!(
            only_conditions.matches(TABLE, "r", &tags(&[("backup", "true")])),
            Match::Uncertain(_)
        ));
    }

    #[test]
    fn only_a_pattern_naming_the_type_ignores_opt_in() {
        let by = |pattern: &str| Selection {
            resources: vec![pattern.into()],
            ..Default::default()
        };
        assert!(by("arn:aws:ec2:*:*:volume/*").selects_regardless_of_opt_in(VOLUME, false));
        assert!(
            !by("arn:aws:ec2:*:*:volume/*").selects_regardless_of_opt_in(VOLUME, true),
            "shared ARN format"
        );
        assert!(
            !by("arn:aws:ec2:*").selects_regardless_of_opt_in(VOLUME, false),
            "service only"
        );
        assert!(!by("*").selects_regardless_of_opt_in(VOLUME, false));
        assert!(
            !by("arn:aws:dynamodb:*:*:table/*").selects_regardless_of_opt_in(VOLUME, false),
            "another type"
        );
        assert!(!ours().selects_regardless_of_opt_in(VOLUME, false), "tags obey opt-in");
    }

    #[test]
    fn regions_limit_a_selection() {
        let mut s = ours();
        s.regions = vec!["eu-west-1".into()];
        assert!(!s.covers("arn:x", "eu-central-1", &tags(&[("superwerker:backup", "daily")])));
        assert!(s.covers("arn:x", "eu-west-1", &tags(&[("superwerker:backup", "daily")])));
    }
}
