//! AWS Organizations: enable a policy type on the root, create or update our policy, attach it to the root.

use serde_json::Value;
use superwerker_backup_aws::organizations::{OrgInfo, Organizations};
use superwerker_backup_domain::policy::{json_diff, PolicyKind, POLICY_DESCRIPTION};

use crate::report::{ChangeKind, Report};
use crate::BootstrapError;

/// Ensures `kind` is enabled on the root and our policy of that kind has `desired` content and is attached.
pub async fn ensure_policy(
    orgs: &Organizations,
    org: &OrgInfo,
    kind: PolicyKind,
    desired: &Value,
    report: &mut Report,
) -> Result<(), BootstrapError> {
    let root = &org.root_id;
    let type_target = format!("policy type {} on root {root}", kind.api_name());
    if org.enabled.contains(&kind) {
        report.push(type_target, ChangeKind::UpToDate, vec![]);
    } else {
        if !report.dry_run {
            orgs.enable_policy_type(root, kind).await?;
        }
        report.push(type_target, ChangeKind::Enabled, vec![]);
    }

    let (label, name) = (kind.label(), kind.policy_name());
    let content = serde_json::to_string(desired).map_err(BootstrapError::Serialize)?;
    let policy_id = match orgs.find_policy(kind).await? {
        None => {
            let id = if report.dry_run {
                None
            } else {
                orgs.create_policy(kind, POLICY_DESCRIPTION, &content).await?
            };
            report.push(
                format!("{label} {name}"),
                ChangeKind::Created,
                id.iter().cloned().collect(),
            );
            id
        }
        Some(id) => {
            let current = orgs.policy_content(&id).await?;
            let current: Value = serde_json::from_str(&current).unwrap_or(Value::String(current));
            let diff = json_diff(&current, desired);
            if diff.is_empty() {
                report.push(format!("{label} {name}"), ChangeKind::UpToDate, vec![id.clone()]);
            } else {
                if !report.dry_run {
                    orgs.update_policy(&id, &content).await?;
                }
                report.push(format!("{label} {name}"), ChangeKind::Updated, diff);
            }
            Some(id)
        }
    };

    let attach_target = format!("{label} {name} on root {root}");
    match policy_id {
        None => report.push(attach_target, ChangeKind::Attached, vec![]),
        Some(id) if orgs.targets(&id).await?.iter().any(|t| t == root) => {
            report.push(attach_target, ChangeKind::UpToDate, vec![])
        }
        Some(id) => {
            if !report.dry_run {
                orgs.attach(&id, root).await?;
            }
            report.push(attach_target, ChangeKind::Attached, vec![]);
        }
    }
    Ok(())
}

/// Detaches our policy of `kind` from every target and deletes it. Nothing else is touched: the policy type stays
/// enabled (other policies may use it).
pub async fn remove_policy(orgs: &Organizations, kind: PolicyKind, report: &mut Report) -> Result<(), BootstrapError> {
    let (label, name) = (kind.label(), kind.policy_name());
    let Some(id) = orgs.find_policy(kind).await? else {
        report.push(format!("{label} {name}"), ChangeKind::Skipped, vec!["not found".into()]);
        return Ok(());
    };
    for target in orgs.targets(&id).await? {
        if !report.dry_run {
            orgs.detach(&id, &target).await?;
        }
        report.push(format!("{label} {name} on {target}"), ChangeKind::Detached, vec![]);
    }
    if !report.dry_run {
        orgs.delete_policy(&id).await?;
    }
    report.push(format!("{label} {name}"), ChangeKind::Deleted, vec![id]);
    Ok(())
}
