//! The IAM actions each function needs, declared next to the code that makes the calls (each adapter module's
//! `*_ACTIONS`) and joined here. `infra/template.yaml` must grant exactly these (checked by
//! `tests/infra/test_templates.py`), and the emulator tests check that every request the code sent maps to a declared
//! action ([`action_of`]) — so the policies cannot drift from the code.

use crate::services::{actions, names, services, tagging};

/// `backup-tagger`: read a new resource's tags, add ours — every kind's service, as its adapter module declares.
pub fn tagger() -> Vec<&'static str> {
    sorted(services().into_iter().flat_map(|s| actions(s).0.iter().copied()))
}

/// `superwerker-backup backfill`: inventory, the Tagging API, and the service permissions `tag:TagResources` acts
/// with.
pub fn backfill() -> Vec<&'static str> {
    let per_service = services().into_iter().flat_map(|s| actions(s).1.iter().copied());
    sorted(per_service.chain(tagging::BACKFILL_ACTIONS.iter().copied()))
}

/// `superwerker-backup audit`: the inventory's reads, and the coverage sources (AWS Backup, Organizations, IAM,
/// CloudTrail). Reads only.
pub fn audit() -> Vec<&'static str> {
    let inventory = backfill().into_iter().filter(|a| !is_write(a));
    sorted(
        inventory
            .chain(crate::backup::AUDIT_ACTIONS.iter().copied())
            .chain(crate::organizations::AUDIT_ACTIONS.iter().copied())
            .chain(crate::roles::AUDIT_ACTIONS.iter().copied())
            .chain(crate::trails::AUDIT_ACTIONS.iter().copied()),
    )
}

/// `backup-backfill`, the daily sweep: the backfill, then the audit of its region and the digest to the alert topic;
/// its chain record (a sweep longer than an invocation continues in steps).
pub fn sweep() -> Vec<&'static str> {
    sorted(
        backfill()
            .into_iter()
            .chain(audit())
            .chain(crate::alerts::DIGEST_ACTIONS.iter().copied())
            .chain(crate::queue::DEPTH_ACTIONS.iter().copied())
            .chain(crate::reports::WRITE_ACTIONS.iter().copied())
            .chain(crate::chain_record::CHAIN_ACTIONS.iter().copied()),
    )
}

/// `superwerker-backup audit --organization --from-reports`, in the management account: list the accounts, read the
/// summaries in the reports bucket. It enters no account.
pub fn organization_reports() -> Vec<&'static str> {
    sorted(
        crate::organizations::LIST_ACCOUNTS_ACTIONS
            .iter()
            .chain(crate::reports::READ_ACTIONS)
            .copied(),
    )
}

/// `superwerker-backup audit --organization`, in the management account: list the accounts, enter each (what the role
/// it enters must allow is [`audit`]).
pub fn organization() -> Vec<&'static str> {
    entering(organization_member())
}

/// What `audit --organization` does inside each account it enters: the audit, in the regions enabled there (the
/// stacks' `<NamePrefix>-audit` role grants exactly this).
pub fn organization_member() -> Vec<&'static str> {
    sorted(
        audit()
            .into_iter()
            .chain(crate::services::ec2::REGIONS_ACTIONS.iter().copied()),
    )
}

/// `superwerker-backup backfill --organization`, in the management account: list the accounts, enter each region's
/// role, and (its own account entered with its own credentials) what that role may do.
pub fn organization_backfill() -> Vec<&'static str> {
    entering(organization_backfill_member())
}

/// An organization command in the management account: list the accounts, enter each; its own account is worked on
/// with its own credentials, so what it does in a `member` account too.
fn entering(member: Vec<&'static str>) -> Vec<&'static str> {
    sorted(
        crate::organizations::LIST_ACCOUNTS_ACTIONS
            .iter()
            .chain(crate::sts::ENTER_ACTIONS)
            .copied()
            .chain(member),
    )
}

/// What `backfill --organization` does inside each account and region it enters: the backfill. The stacks'
/// `<NamePrefix>-backfill-<region>` role grants exactly this, its writes under the Lambdas' never-overwrite guard.
pub fn organization_backfill_member() -> Vec<&'static str> {
    backfill()
}

/// The central `backup-alerts` function: it publishes to the alert topic, nothing else.
pub fn alerts() -> Vec<&'static str> {
    sorted(crate::alerts::DIGEST_ACTIONS.iter().copied())
}

/// Whether an action writes (tags): the tagging actions of every kind's service and of the Tagging API.
fn is_write(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, n)| n);
    ["CreateTags", "TagResource", "TagResources", "AddTagsToResource"].contains(&name)
}

/// `backup-bootstrap`: Organizations policies, AWS Backup vault/plan/selection.
pub fn bootstrap() -> Vec<&'static str> {
    sorted(
        crate::organizations::BOOTSTRAP_ACTIONS
            .iter()
            .chain(crate::backup::BOOTSTRAP_ACTIONS)
            .copied(),
    )
}

fn sorted(actions: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = actions.collect();
    out.sort();
    out.dedup();
    out
}

/// Calls that need no IAM permission.
pub const ALWAYS_ALLOWED: &[&str] = &["sts:GetCallerIdentity"];

/// The IAM action of a request as [`crate::CallCounter`] names it (`EC2.CreateTags` → `ec2:CreateTags`).
pub fn action_of(operation: &str) -> Option<String> {
    let (service, name) = operation.split_once('.')?;
    let prefix = match service {
        "Tagging" => "tag",
        "Organizations" => "organizations",
        "Backup" => "backup",
        "STS" => "sts",
        "IAM" => "iam",
        "CloudTrail" => "cloudtrail",
        "SNS" => "sns",
        "SQS" => "sqs",
        // ListObjectsV2 is authorized as s3:ListBucket (S3 API reference, ListObjectsV2).
        "S3" if name == "ListObjectsV2" => return Some("s3:ListBucket".to_owned()),
        "S3" => "s3",
        sdk => services().into_iter().map(names).find(|(n, _)| *n == sdk)?.1,
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
    fn the_audit_only_reads_and_the_sweep_also_publishes_its_digest() {
        let audit = audit();
        assert!(audit.iter().all(|a| !is_write(a)), "{audit:?}");
        assert!(audit.contains(&"backup:ListRecoveryPointsByBackupVault") && audit.contains(&"ec2:DescribeVolumes"));
        let sweep = sweep();
        for a in backfill().iter().chain(&audit).chain(&["sns:Publish"]) {
            assert!(sweep.contains(a), "{a} missing from the sweep's actions");
        }
        assert!(backfill().contains(&"ec2:CreateTags") && !audit.contains(&"ec2:CreateTags"));
    }

    #[test]
    fn maps_operations_to_actions() {
        assert_eq!(action_of("EC2.CreateTags").as_deref(), Some("ec2:CreateTags"));
        assert_eq!(action_of("Tagging.GetResources").as_deref(), Some("tag:GetResources"));
        assert_eq!(action_of("SNS.Publish").as_deref(), Some("sns:Publish"));
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
        assert_eq!(undeclared(calls.iter(), &tagger()), vec!["EC2.DeleteVolume".to_owned()]);
    }

    #[test]
    fn lists_are_sorted_unique_and_what_the_template_grants() {
        for list in [tagger(), backfill(), bootstrap()] {
            let mut sorted = list.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, list);
        }
        assert!(
            backfill().contains(&"rds:ListTagsForResource"),
            "re-reads after a refused write"
        );
        assert!(tagger().contains(&"ec2:DescribeInstances"));
    }
}
