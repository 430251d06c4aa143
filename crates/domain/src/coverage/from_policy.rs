//! The selections of an Organizations backup policy (the effective policy an account receives, or a policy document).
//!
//! Organizations User Guide, "Backup policy syntax": a plan's `selections` has "two mutually exclusive elements: `tags`
//! and `resources`"; the tag form includes a resource "only if both tag_key and tag_value match (case sensitive)",
//! several values being alternatives ("`tag_value` = "prod" or "gamma""); the resource form lists `resource_types`
//! (ARN patterns), `not_resource_types` and `conditions` (`string_equals`, `string_not_equals`, `string_like`,
//! `string_not_like`, each `{name: {condition_key: "aws:ResourceTag/<key>", condition_value}}`); either form may carry
//! `conditions`. The guide calls the `resource_types` list an AND, but its own example ("Select all Amazon EBS volumes
//! and Amazon RDS DB instances") needs an OR, and no resource has two types: read as an OR, like a plan's `Resources`.

use serde_json::Value;

use super::schedule::RuleTiming;
use super::selection::{Selection, Test};

/// Effective policies carry plain values; policy documents carry `{"@@assign": ...}`: both are read.
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

fn first(v: Option<&Value>) -> Option<String> {
    v.map(strings).and_then(|s| s.into_iter().next())
}

/// A selection's `conditions`, as tests on the tag keys (the `aws:ResourceTag/` prefix taken off).
fn conditions(sel: &Value) -> Vec<Test> {
    let mut out = Vec::new();
    let Some(conditions) = sel.get("conditions").map(plain).and_then(Value::as_object) else {
        return out;
    };
    for (operator, named) in conditions {
        let Some(named) = plain(named).as_object() else {
            continue;
        };
        for condition in named.values() {
            let key = first(condition.get("condition_key")).unwrap_or_default();
            let key = key.strip_prefix("aws:ResourceTag/").unwrap_or(&key).to_owned();
            let value = first(condition.get("condition_value")).unwrap_or_default();
            out.push(match operator.as_str() {
                "string_equals" => Test::Equals { key, value },
                "string_not_equals" => Test::NotEquals { key, value },
                "string_like" => Test::Like { key, pattern: value },
                "string_not_like" => Test::NotLike { key, pattern: value },
                _ => continue,
            });
        }
    }
    out
}

/// Every selection of every plan in the policy. A selection that names nothing it could select (a tag form without
/// key or value, a resource form without `resource_types`) is invalid there and left out.
pub fn selections_from_policy(content: &Value) -> Vec<Selection> {
    let mut out = Vec::new();
    let Some(plans) = content.get("plans").and_then(Value::as_object) else {
        return out;
    };
    for (plan_name, plan) in plans {
        let regions = plan.get("regions").map(strings).unwrap_or_default();
        let minutes = |rule: &Value, key: &str| first(rule.get(key)).and_then(|m| m.parse::<u64>().ok());
        let timing: Vec<RuleTiming> = plan
            .get("rules")
            .and_then(Value::as_object)
            .map(|rules| {
                rules
                    .values()
                    .map(|rule| RuleTiming {
                        schedule: first(rule.get("schedule_expression")).unwrap_or_default(),
                        vault: first(rule.get("target_backup_vault_name")).unwrap_or_default(),
                        start_window_minutes: minutes(rule, "start_backup_window_minutes"),
                        completion_window_minutes: minutes(rule, "complete_backup_window_minutes"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let selection = |name: &str, sel: &Value| Selection {
            name: format!("org:{plan_name}/{name}"),
            regions: regions.clone(),
            role: first(sel.get("iam_role_arn")),
            all_of: conditions(sel),
            timing: timing.clone(),
            ..Selection::default()
        };
        if let Some(tags) = plan.pointer("/selections/tags").and_then(Value::as_object) {
            for (name, sel) in tags {
                let Some(key) = first(sel.get("tag_key")) else { continue };
                let values = sel.get("tag_value").map(strings).unwrap_or_default();
                if values.is_empty() {
                    continue;
                }
                out.push(Selection {
                    any_of: values
                        .into_iter()
                        .map(|value| Test::Equals {
                            key: key.clone(),
                            value,
                        })
                        .collect(),
                    ..selection(name, sel)
                });
            }
        }
        if let Some(resources) = plan.pointer("/selections/resources").and_then(Value::as_object) {
            for (name, sel) in resources {
                let types = sel.get("resource_types").map(strings).unwrap_or_default();
                if types.is_empty() {
                    continue;
                }
                out.push(Selection {
                    resources: types,
                    not_resources: sel.get("not_resource_types").map(strings).unwrap_or_default(),
                    ..selection(name, sel)
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tags::Tag;

    const TABLE: &str = "arn:aws:dynamodb:eu-central-1:1:table/orders";
    const VOLUME: &str = "arn:aws:ec2:eu-central-1:1:volume/vol-1";

    #[test]
    fn our_policy_document_and_its_effective_form() {
        let doc = crate::policy::backup_policy(
            "aws",
            "superwerker:backup",
            "daily",
            &["eu-central-1".to_owned()],
            "superwerker-backup",
        );
        let found = selections_from_policy(&doc);
        assert_eq!(found.len(), 1, "{found:?}");
        let daily = [Tag::new("superwerker:backup", "daily")];
        assert!(found[0].covers(TABLE, "eu-central-1", &daily));
        assert!(
            !found[0].covers(TABLE, "eu-west-1", &daily),
            "only the policy's regions"
        );
        assert!(!found[0].covers(TABLE, "eu-central-1", &[]));
        assert!(found[0]
            .role
            .as_deref()
            .is_some_and(|r| r.ends_with("AWSBackupDefaultServiceRole")));
        // Its rule: daily, 60 minutes to start (explicit), so a recovery point may be 25 hours old.
        assert_eq!(found[0].timing.len(), 1);
        assert_eq!(found[0].timing[0].max_age_minutes(), Some(1500));
        assert_eq!(
            found[0].timing[0].vault, "superwerker-backup",
            "the rule's target vault"
        );
    }

    #[test]
    fn resource_selections_with_conditions_count() {
        // The guide's resource form: every resource, except volumes, tagged backup=true.
        let effective = json!({"plans": {"p": {
            "regions": ["eu-central-1"],
            "selections": {"resources": {"all": {
                "iam_role_arn": "arn:aws:iam::1:role/R",
                "resource_types": ["*"],
                "not_resource_types": ["arn:aws:ec2:*:*:volume/*"],
                "conditions": {
                    "string_equals": {"c1": {"condition_key": "aws:ResourceTag/backup", "condition_value": "true"}},
                    "string_not_like": {"c2": {"condition_key": "aws:ResourceTag/stage", "condition_value": "test*"}}
                }
            }}}
        }}});
        let found = selections_from_policy(&effective);
        assert_eq!(found.len(), 1);
        let s = &found[0];
        assert_eq!(s.name, "org:p/all");
        let tagged = [Tag::new("backup", "true")];
        assert!(s.covers(TABLE, "eu-central-1", &tagged));
        assert!(!s.covers(VOLUME, "eu-central-1", &tagged), "not_resource_types exclude");
        assert!(!s.covers(TABLE, "eu-central-1", &[]), "conditions must hold");
        let testing = [Tag::new("backup", "true"), Tag::new("stage", "testing")];
        assert!(!s.covers(TABLE, "eu-central-1", &testing));
    }

    #[test]
    fn several_tag_values_are_alternatives_and_invalid_selections_are_left_out() {
        let doc = json!({"plans": {"p": {"selections": {
            "tags": {
                "env": {"iam_role_arn": {"@@assign": "r"}, "tag_key": {"@@assign": "env"},
                        "tag_value": {"@@assign": ["prod", "gamma"]}},
                "no-values": {"tag_key": "env", "tag_value": []}
            },
            "resources": {"no-types": {"iam_role_arn": "r"}}
        }}}});
        let found = selections_from_policy(&doc);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].covers(TABLE, "any", &[Tag::new("env", "gamma")]));
        assert!(!found[0].covers(TABLE, "any", &[Tag::new("env", "dev")]));
        assert!(selections_from_policy(&json!({"nothing": 1})).is_empty());
    }
}
