//! AWS Organizations: enable a policy type on the root, create or update our policy, attach it to the root.

use aws_sdk_organizations::types::{PolicyType, PolicyTypeStatus};
use aws_sdk_organizations::Client;
use serde_json::Value;
use superwerker_backup_domain::policy::{json_diff, POLICY_DESCRIPTION, POLICY_NAME, TAG_POLICY_NAME};

use crate::report::{ChangeKind, Report};
use crate::{aws, BootstrapError};

/// The organization, as far as bootstrap needs it.
#[derive(Clone, Debug)]
pub struct Organization {
    pub management_account: String,
    pub root_id: String,
    enabled_types: Vec<PolicyType>,
}

/// The organization the caller belongs to; `None` when not in one or not allowed to look (member account).
pub async fn describe(client: &Client) -> Result<Option<Organization>, BootstrapError> {
    let org = match client.describe_organization().send().await {
        Ok(out) => out.organization,
        Err(e) => {
            let code = e
                .as_service_error()
                .and_then(aws_sdk_organizations::error::ProvideErrorMetadata::code);
            if matches!(
                code,
                Some("AWSOrganizationsNotInUseException" | "AccessDeniedException")
            ) {
                return Ok(None);
            }
            return Err(aws("Organizations.DescribeOrganization", "organization")(e));
        }
    };
    let management_account = org.and_then(|o| o.master_account_id).unwrap_or_default();
    let roots = client
        .list_roots()
        .send()
        .await
        .map_err(aws("Organizations.ListRoots", "organization"))?;
    let root = roots
        .roots
        .unwrap_or_default()
        .into_iter()
        .next()
        .ok_or_else(|| BootstrapError::Config("the organization has no root".into()))?;
    let enabled_types = root
        .policy_types()
        .iter()
        .filter(|t| t.status() == Some(&PolicyTypeStatus::Enabled))
        .filter_map(|t| t.r#type().cloned())
        .collect();
    Ok(Some(Organization {
        management_account,
        root_id: root.id.unwrap_or_default(),
        enabled_types,
    }))
}

/// Our policy's name for a policy type.
pub fn policy_name(t: &PolicyType) -> &'static str {
    match t {
        PolicyType::TagPolicy => TAG_POLICY_NAME,
        _ => POLICY_NAME,
    }
}

pub fn type_label(t: &PolicyType) -> &'static str {
    match t {
        PolicyType::TagPolicy => "tag policy",
        PolicyType::BackupPolicy => "backup policy",
        _ => "policy",
    }
}

/// Ensures `policy_type` is enabled on the root and our policy of that type has `desired` content and is attached.
pub async fn ensure_policy(
    client: &Client,
    org: &Organization,
    policy_type: PolicyType,
    desired: &Value,
    report: &mut Report,
) -> Result<(), BootstrapError> {
    let root = &org.root_id;
    let type_target = format!("policy type {} on root {root}", policy_type.as_str());
    if org.enabled_types.contains(&policy_type) {
        report.push(type_target, ChangeKind::UpToDate, vec![]);
    } else {
        if !report.dry_run {
            client
                .enable_policy_type()
                .root_id(root)
                .policy_type(policy_type.clone())
                .send()
                .await
                .map_err(aws("Organizations.EnablePolicyType", root))?;
        }
        report.push(type_target, ChangeKind::Enabled, vec![]);
    }

    let label = type_label(&policy_type);
    let name = policy_name(&policy_type);
    let content = serde_json::to_string(desired).map_err(|e| BootstrapError::Config(e.to_string()))?;
    let policy_id = match find_policy(client, &policy_type).await? {
        None => {
            let id = if report.dry_run {
                None
            } else {
                let out = client
                    .create_policy()
                    .name(name)
                    .description(POLICY_DESCRIPTION)
                    .r#type(policy_type.clone())
                    .content(&content)
                    .send()
                    .await
                    .map_err(aws("Organizations.CreatePolicy", name))?;
                out.policy.and_then(|p| p.policy_summary).and_then(|s| s.id)
            };
            report.push(
                format!("{label} {name}"),
                ChangeKind::Created,
                id.iter().cloned().collect(),
            );
            id
        }
        Some(id) => {
            let current = client
                .describe_policy()
                .policy_id(&id)
                .send()
                .await
                .map_err(aws("Organizations.DescribePolicy", &id))?
                .policy
                .and_then(|p| p.content)
                .unwrap_or_default();
            let current: Value = serde_json::from_str(&current).unwrap_or(Value::String(current));
            let diff = json_diff(&current, desired);
            if diff.is_empty() {
                report.push(format!("{label} {name}"), ChangeKind::UpToDate, vec![id.clone()]);
            } else {
                if !report.dry_run {
                    client
                        .update_policy()
                        .policy_id(&id)
                        .content(&content)
                        .send()
                        .await
                        .map_err(aws("Organizations.UpdatePolicy", &id))?;
                }
                report.push(format!("{label} {name}"), ChangeKind::Updated, diff);
            }
            Some(id)
        }
    };

    let attach_target = format!("{label} {name} on root {root}");
    match policy_id {
        None => report.push(attach_target, ChangeKind::Attached, vec![]),
        Some(id) => {
            if is_attached(client, &id, root).await? {
                report.push(attach_target, ChangeKind::UpToDate, vec![]);
            } else {
                if !report.dry_run {
                    client
                        .attach_policy()
                        .policy_id(&id)
                        .target_id(root)
                        .send()
                        .await
                        .map_err(aws("Organizations.AttachPolicy", &id))?;
                }
                report.push(attach_target, ChangeKind::Attached, vec![]);
            }
        }
    }
    Ok(())
}

/// Detaches our policy of `policy_type` from every target and deletes it. Nothing else is touched: the policy type
/// stays enabled (other policies may use it).
pub async fn remove_policy(
    client: &Client,
    policy_type: PolicyType,
    report: &mut Report,
) -> Result<(), BootstrapError> {
    let label = type_label(&policy_type);
    let name = policy_name(&policy_type);
    let Some(id) = find_policy(client, &policy_type).await? else {
        report.push(format!("{label} {name}"), ChangeKind::Skipped, vec!["not found".into()]);
        return Ok(());
    };
    for target in targets(client, &id).await? {
        if !report.dry_run {
            client
                .detach_policy()
                .policy_id(&id)
                .target_id(&target)
                .send()
                .await
                .map_err(aws("Organizations.DetachPolicy", &id))?;
        }
        report.push(format!("{label} {name} on {target}"), ChangeKind::Detached, vec![]);
    }
    if !report.dry_run {
        client
            .delete_policy()
            .policy_id(&id)
            .send()
            .await
            .map_err(aws("Organizations.DeletePolicy", &id))?;
    }
    report.push(format!("{label} {name}"), ChangeKind::Deleted, vec![id]);
    Ok(())
}

/// Our policy of this type, by name.
async fn find_policy(client: &Client, policy_type: &PolicyType) -> Result<Option<String>, BootstrapError> {
    let mut pages = client
        .list_policies()
        .filter(policy_type.clone())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("Organizations.ListPolicies", policy_type.as_str()))?;
        if let Some(p) = page
            .policies()
            .iter()
            .find(|p| p.name() == Some(policy_name(policy_type)))
        {
            return Ok(p.id().map(str::to_owned));
        }
    }
    Ok(None)
}

async fn targets(client: &Client, policy_id: &str) -> Result<Vec<String>, BootstrapError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_targets_for_policy()
        .policy_id(policy_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("Organizations.ListTargetsForPolicy", policy_id))?;
        out.extend(page.targets().iter().filter_map(|t| t.target_id().map(str::to_owned)));
    }
    Ok(out)
}

async fn is_attached(client: &Client, policy_id: &str, root: &str) -> Result<bool, BootstrapError> {
    Ok(targets(client, policy_id).await?.iter().any(|t| t == root))
}
