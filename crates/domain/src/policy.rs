//! The policy documents, defined once: the Organizations tag policy, the Organizations backup policy, and the
//! AWS Backup plan spec used where plans are managed per account.

use serde_json::{json, Value};

/// Name of the backup plan (in the Organizations backup policy and in per-account plans) and of the backup policy.
pub const POLICY_NAME: &str = "superwerker-backup";
/// Name of the Organizations tag policy (policy names must differ across types).
pub const TAG_POLICY_NAME: &str = "superwerker-backup-tags";
/// Description put on the Organizations policies, so people know who manages them.
pub const POLICY_DESCRIPTION: &str = "Managed by superwerker-backup: do not edit by hand, changes are reverted";
/// The backup rule and selection name.
pub const RULE_NAME: &str = "backup-daily";
/// Daily at 05:00 UTC.
pub const SCHEDULE_EXPRESSION: &str = "cron(0 5 ? * * *)";
pub const SCHEDULE_TIMEZONE: &str = "UTC";
/// A job starts within 60 minutes of 05:00 (the least AWS allows: "it must be at least 60 minutes", Organizations
/// User Guide, backup policy syntax, start_backup_window_minutes) and may run AWS's default 7 days. Set explicitly so
/// the audit knows how old a recovery point may be (a daily rule: 24 h + 1 h) instead of assuming AWS's unset 8 h
/// start window; a deviation from superwerker's document, which sets no windows.
pub const START_WINDOW_MINUTES: i64 = 60;
pub const COMPLETION_WINDOW_MINUTES: i64 = 10_080;
/// Recovery points are kept 30 days.
pub const RETENTION_DAYS: i64 = 30;
/// The vault the plan and the policy write to. Not AWS's `Default`: AWS creates no default vault for accounts set up
/// through the API or CloudFormation (AWS Backup developer guide, create-a-vault), so the per-account stack creates
/// this one in every account and region (infra/template.yaml, BackupVaultName), and a dedicated name never collides
/// with a `Default` someone's console visit created. A deviation from superwerker's document, which names `Default`.
pub const VAULT_NAME: &str = "superwerker-backup";
/// The backup service role, created by infra/ where absent (path `service-role/`).
pub const SERVICE_ROLE_NAME: &str = "AWSBackupDefaultServiceRole";
/// The value that opts a resource out.
pub const OPT_OUT_VALUE: &str = "none";

/// Resource types the tag policy enforces by default: superwerker's own list, which their integration test asserts.
pub const DEFAULT_ENFORCED_FOR: &[&str] = &["dynamodb:table", "ec2:volume"];

/// Resource types that may be added to `enforced_for`. Only types AWS documents as supporting tag-policy
/// enforcement belong here: "Services and resource types that support enforcement",
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_supported-resources-enforcement.html
/// (`dynamodb:table` and `ec2:volume` are listed there and are what superwerker enforces). A type not checked against
/// that page is not added.
pub const ENFORCEABLE_TYPES: &[&str] = &["dynamodb:table", "ec2:volume"];

/// The tag policy: only `none` or the daily value for the key, enforced for `enforced_for`.
/// With the defaults this is exactly superwerker's document:
/// `{"tags":{"superwerker:backup":{"tag_value":{"@@assign":["none","daily"]},"enforced_for":{"@@assign":["dynamodb:table","ec2:volume"]}}}}`
pub fn tag_policy(key: &str, daily_value: &str, enforced_for: &[String]) -> Value {
    json!({
        "tags": {
            key: {
                "tag_value": {"@@assign": [OPT_OUT_VALUE, daily_value]},
                "enforced_for": {"@@assign": enforced_for},
            }
        }
    })
}

/// Checks a requested `enforced_for` list against [`ENFORCEABLE_TYPES`].
pub fn check_enforced_for(types: &[String]) -> Result<(), String> {
    match types.iter().find(|t| !ENFORCEABLE_TYPES.contains(&t.as_str())) {
        Some(bad) => Err(format!(
            "{bad:?} is not a resource type documented as supporting tag-policy enforcement here (allowed: {})",
            ENFORCEABLE_TYPES.join(", ")
        )),
        None => Ok(()),
    }
}

/// The backup service role ARN; `$account` is resolved by Organizations in each member account.
pub fn service_role_arn(partition: &str, account: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/service-role/{SERVICE_ROLE_NAME}")
}

/// The Organizations backup policy: plan `superwerker-backup`, rule `backup-daily` at 05:00 UTC, 30 days, vault
/// `vault` (it must exist in every account and region the policy applies to), selecting resources tagged `key` =
/// `daily_value`, in `regions`.
pub fn backup_policy(partition: &str, key: &str, daily_value: &str, regions: &[String], vault: &str) -> Value {
    json!({
        "plans": {
            POLICY_NAME: {
                "regions": {"@@assign": regions},
                "rules": {
                    RULE_NAME: {
                        "schedule_expression": {"@@assign": SCHEDULE_EXPRESSION},
                        "start_backup_window_minutes": {"@@assign": START_WINDOW_MINUTES.to_string()},
                        "complete_backup_window_minutes": {"@@assign": COMPLETION_WINDOW_MINUTES.to_string()},
                        "target_backup_vault_name": {"@@assign": vault},
                        "lifecycle": {"delete_after_days": {"@@assign": RETENTION_DAYS.to_string()}}
                    }
                },
                "selections": {
                    "tags": {
                        RULE_NAME: {
                            "iam_role_arn": {"@@assign": service_role_arn(partition, "$account")},
                            "tag_key": {"@@assign": key},
                            "tag_value": {"@@assign": [daily_value]}
                        }
                    }
                }
            }
        }
    })
}

/// The Organizations policy types this service manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    Tag,
    Backup,
}

impl PolicyKind {
    /// Our policy's name for this type (policy names must differ across types).
    pub fn policy_name(self) -> &'static str {
        match self {
            PolicyKind::Tag => TAG_POLICY_NAME,
            PolicyKind::Backup => POLICY_NAME,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PolicyKind::Tag => "tag policy",
            PolicyKind::Backup => "backup policy",
        }
    }

    /// The Organizations API's name of the type.
    pub fn api_name(self) -> &'static str {
        match self {
            PolicyKind::Tag => "TAG_POLICY",
            PolicyKind::Backup => "BACKUP_POLICY",
        }
    }
}

/// One rule of a backup plan, as read back from AWS Backup.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanRule {
    pub name: String,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub vault: String,
    pub delete_after_days: Option<i64>,
    pub start_window_minutes: Option<i64>,
    pub completion_window_minutes: Option<i64>,
}

impl PlanRule {
    /// Lines naming what differs from `spec` (`~ what: current -> desired`); empty when it matches.
    pub fn diff(&self, spec: &BackupPlanSpec) -> Vec<String> {
        let mut diff = Vec::new();
        let mut check = |what: &str, current: Option<String>, desired: String| {
            if current.as_deref() != Some(desired.as_str()) {
                diff.push(format!(
                    "~ {what}: {} -> {desired}",
                    current.unwrap_or_else(|| "(none)".into())
                ));
            }
        };
        check("rule name", Some(self.name.clone()), spec.rule_name.clone());
        check("schedule", self.schedule.clone(), spec.schedule.clone());
        check("timezone", self.timezone.clone(), spec.timezone.clone());
        check("vault", Some(self.vault.clone()), spec.vault.clone());
        check(
            "delete after days",
            self.delete_after_days.map(|d| d.to_string()),
            spec.delete_after_days.to_string(),
        );
        let minutes = |m: Option<i64>| m.map(|m| m.to_string());
        check(
            "start window",
            minutes(self.start_window_minutes),
            spec.start_window_minutes.to_string(),
        );
        check(
            "completion window",
            minutes(self.completion_window_minutes),
            spec.completion_window_minutes.to_string(),
        );
        diff
    }
}

/// The per-account AWS Backup plan (same rule as the Organizations policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupPlanSpec {
    pub plan_name: String,
    pub rule_name: String,
    pub schedule: String,
    pub timezone: String,
    pub delete_after_days: i64,
    pub start_window_minutes: i64,
    pub completion_window_minutes: i64,
    pub vault: String,
    pub selection_name: String,
    pub tag_key: String,
    pub tag_value: String,
    pub role_arn: String,
}

impl BackupPlanSpec {
    pub fn new(key: &str, daily_value: &str, role_arn: String, vault: &str) -> Self {
        BackupPlanSpec {
            plan_name: POLICY_NAME.into(),
            rule_name: RULE_NAME.into(),
            schedule: SCHEDULE_EXPRESSION.into(),
            timezone: SCHEDULE_TIMEZONE.into(),
            delete_after_days: RETENTION_DAYS,
            start_window_minutes: START_WINDOW_MINUTES,
            completion_window_minutes: COMPLETION_WINDOW_MINUTES,
            vault: vault.into(),
            selection_name: RULE_NAME.into(),
            tag_key: key.into(),
            tag_value: daily_value.into(),
            role_arn,
        }
    }
}

/// A readable line-per-change diff of two JSON documents (paths where they differ).
pub fn json_diff(current: &Value, desired: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("", current, desired, &mut out);
    out
}

fn diff_at(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff_at(&p, va, vb, out),
                    (Some(va), None) => out.push(format!("- {p}: {va}")),
                    (None, Some(vb)) => out.push(format!("+ {p}: {vb}")),
                    (None, None) => {}
                }
            }
        }
        _ if a != b => out.push(format!("~ {}: {a} -> {b}", if path.is_empty() { "/" } else { path })),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tag_policy_is_superwerkers_document() {
        let expected: Value = serde_json::from_str(
            r#"{"tags":{"superwerker:backup":{"tag_value":{"@@assign":["none","daily"]},"enforced_for":{"@@assign":["dynamodb:table","ec2:volume"]}}}}"#,
        )
        .unwrap();
        assert_eq!(
            tag_policy("superwerker:backup", "daily", &strings(DEFAULT_ENFORCED_FOR)),
            expected
        );
    }

    #[test]
    fn enforced_for_only_takes_documented_types() {
        assert!(check_enforced_for(&strings(&["ec2:volume"])).is_ok());
        let err = check_enforced_for(&strings(&["ec2:volume", "s3:bucket"])).unwrap_err();
        assert!(err.contains("s3:bucket"));
    }

    #[test]
    fn backup_policy_shape() {
        let p = backup_policy(
            "aws-cn",
            "superwerker:backup",
            "daily",
            &strings(&["cn-north-1"]),
            VAULT_NAME,
        );
        let plan = &p["plans"]["superwerker-backup"];
        assert_eq!(plan["regions"]["@@assign"], json!(["cn-north-1"]));
        let rule = &plan["rules"]["backup-daily"];
        assert_eq!(rule["schedule_expression"]["@@assign"], json!("cron(0 5 ? * * *)"));
        assert_eq!(rule["lifecycle"]["delete_after_days"]["@@assign"], json!("30"));
        assert_eq!(
            rule["target_backup_vault_name"]["@@assign"],
            json!("superwerker-backup")
        );
        let sel = &plan["selections"]["tags"]["backup-daily"];
        assert_eq!(
            sel["iam_role_arn"]["@@assign"],
            json!("arn:aws-cn:iam::$account:role/service-role/AWSBackupDefaultServiceRole")
        );
        assert_eq!(sel["tag_key"]["@@assign"], json!("superwerker:backup"));
        assert_eq!(sel["tag_value"]["@@assign"], json!(["daily"]));
    }

    #[test]
    fn diff_names_changed_added_and_removed_paths() {
        let a = json!({"x": 1, "y": {"z": [1]}, "gone": true});
        let b = json!({"x": 2, "y": {"z": [1]}, "new": "v"});
        assert_eq!(
            json_diff(&a, &b),
            vec!["- /gone: true", "+ /new: \"v\"", "~ /x: 1 -> 2"]
        );
        assert!(json_diff(&a, &a).is_empty());
    }
}
