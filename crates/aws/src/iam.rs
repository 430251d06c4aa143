//! The IAM actions each function needs, declared next to the code that makes the calls. `infra/template.yaml` must
//! grant exactly these (checked by `tests/infra/test_templates.py`), and the emulator tests check that every request
//! the code sent maps to a declared action ([`action_of`]) — so the policies cannot drift from the code.

/// `backup-tagger`: read a new resource's tags, add ours (TagStore of dynamodb, ec2, rds, efs; InstanceVolumes).
pub const TAGGER: &[&str] = &[
    "dynamodb:ListTagsOfResource",
    "dynamodb:TagResource",
    "ec2:CreateTags",
    // Only when a launched instance shows no volume yet: is it still pending, or instance-store backed?
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "elasticfilesystem:DescribeFileSystems",
    "elasticfilesystem:TagResource",
    "rds:AddTagsToResource",
    "rds:ListTagsForResource",
];

/// `backup-backfill`: inventory, the Tagging API, and the service permissions `tag:TagResources` acts with.
pub const BACKFILL: &[&str] = &[
    "dynamodb:ListTables",
    "dynamodb:ListTagsOfResource",
    // tag:TagResources tags a table with the caller's dynamodb:TagResource permission.
    "dynamodb:TagResource",
    "ec2:CreateTags",
    "ec2:DescribeVolumes",
    "elasticfilesystem:DescribeFileSystems",
    // tag:TagResources tags a file system with the caller's elasticfilesystem:TagResource permission.
    "elasticfilesystem:TagResource",
    // tag:TagResources tags a DB instance with the caller's rds:AddTagsToResource permission.
    "rds:AddTagsToResource",
    "rds:DescribeDBClusters",
    "rds:DescribeDBInstances",
    // Read again after the never-overwrite guard refused a write (value_set_meanwhile).
    "rds:ListTagsForResource",
    "tag:GetResources",
    "tag:TagResources",
];

/// `backup-bootstrap`: Organizations policies, AWS Backup vault/plan/selection.
pub const BOOTSTRAP: &[&str] = &[
    // CreateBackupVault mounts the vault's storage (AWS Backup API reference, CreateBackupVault permissions).
    "backup-storage:MountCapsule",
    "backup:CreateBackupPlan",
    "backup:CreateBackupSelection",
    "backup:CreateBackupVault",
    "backup:DeleteBackupPlan",
    "backup:DeleteBackupSelection",
    "backup:DescribeBackupVault",
    "backup:GetBackupPlan",
    "backup:GetBackupSelection",
    "backup:ListBackupPlans",
    "backup:ListBackupSelections",
    "backup:UpdateBackupPlan",
    // CreateBackupSelection passes the backup service role to AWS Backup.
    "iam:PassRole",
    "organizations:AttachPolicy",
    "organizations:CreatePolicy",
    "organizations:DeletePolicy",
    "organizations:DescribeOrganization",
    "organizations:DescribePolicy",
    "organizations:DetachPolicy",
    "organizations:EnablePolicyType",
    "organizations:ListPolicies",
    "organizations:ListRoots",
    "organizations:ListTargetsForPolicy",
    "organizations:UpdatePolicy",
];

/// Calls that need no IAM permission.
pub const ALWAYS_ALLOWED: &[&str] = &["sts:GetCallerIdentity"];

/// The IAM action of a request as [`crate::CallCounter`] names it (`EC2.CreateTags` → `ec2:CreateTags`).
pub fn action_of(operation: &str) -> Option<String> {
    let (service, name) = operation.split_once('.')?;
    let prefix = match service {
        "DynamoDB" => "dynamodb",
        "EC2" => "ec2",
        "RDS" => "rds",
        "Tagging" => "tag",
        "Organizations" => "organizations",
        "Backup" => "backup",
        "STS" => "sts",
        "EFS" => "elasticfilesystem",
        _ => return None,
    };
    Some(format!("{prefix}:{name}"))
}

/// The operations in `calls` whose action is neither in `declared` nor always allowed.
pub fn undeclared<'a>(calls: impl IntoIterator<Item = &'a String>, declared: &[&str]) -> Vec<String> {
    calls
        .into_iter()
        .filter(|op| match action_of(op) {
            Some(action) => !declared.contains(&action.as_str()) && !ALWAYS_ALLOWED.contains(&action.as_str()),
            None => true,
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_operations_to_actions() {
        assert_eq!(action_of("EC2.CreateTags").as_deref(), Some("ec2:CreateTags"));
        assert_eq!(action_of("Tagging.GetResources").as_deref(), Some("tag:GetResources"));
        assert_eq!(action_of("Nope.X"), None);
        assert_eq!(action_of("garbage"), None);
    }

    #[test]
    fn finds_undeclared_calls() {
        let calls = [
            "EC2.CreateTags".to_owned(),
            "STS.GetCallerIdentity".to_owned(),
            "EC2.DeleteVolume".to_owned(),
        ];
        assert_eq!(undeclared(calls.iter(), TAGGER), vec!["EC2.DeleteVolume".to_owned()]);
    }

    #[test]
    fn lists_are_sorted_and_unique() {
        for list in [TAGGER, BACKFILL, BOOTSTRAP] {
            let mut sorted = list.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, list.to_vec());
        }
    }
}
