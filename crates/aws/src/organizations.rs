//! AWS Organizations: the organization, its root, our tag and backup policies, the effective backup policy.
//!
//! Policies change rarely but collide often (`ConcurrentModificationException` when two policy writes meet,
//! `TooManyRequestsException` under load). Both are retried by the SDK's standard retry strategy (jittered
//! exponential backoff, bounded attempts): the SDK already knows `TooManyRequestsException` as throttling, and the
//! classifiers below teach it that `ConcurrentModificationException` is transient.

use aws_config::SdkConfig;
use aws_runtime::retries::classifiers::AwsErrorCodeClassifier;
use aws_sdk_organizations::config::Builder;
use aws_sdk_organizations::operation;
use aws_sdk_organizations::types::{EffectivePolicyType, PolicyType, PolicyTypeStatus};
use aws_sdk_organizations::Client;
use aws_smithy_types::retry::RetryConfig;
use superwerker_backup_domain::policy::PolicyKind;

use crate::error::{sdk, AdapterError, ErrorKind};
use crate::CallCounter;

/// Attempts per Organizations call (the first one included), unless `AWS_MAX_ATTEMPTS` says otherwise.
pub const MAX_ATTEMPTS: u32 = 6;

/// IAM actions of the audit's Organizations read: its own account's effective backup policy ("This operation can be
/// called from any account in the organization", Organizations API reference, DescribeEffectivePolicy).
pub(crate) const AUDIT_ACTIONS: &[&str] = &["organizations:DescribeEffectivePolicy"];

/// IAM actions of the bootstrap's Organizations calls.
pub(crate) const BOOTSTRAP_ACTIONS: &[&str] = &[
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

const TRANSIENT: &[&str] = &[
    "ConcurrentModificationException",
    "RequestTimeout",
    "RequestTimeoutException",
];

fn classifier<E>() -> AwsErrorCodeClassifier<E> {
    AwsErrorCodeClassifier::<E>::builder()
        .transient_errors(TRANSIENT)
        .build()
}

/// The organization, as far as this service needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgInfo {
    pub id: String,
    pub management_account: String,
    pub root_id: String,
    /// Policy types enabled on the root.
    pub enabled: Vec<PolicyKind>,
}

/// A member account, as the organization lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    pub id: String,
    pub name: String,
}

/// What listing the organization's accounts needs (Service Authorization Reference).
pub(crate) const LIST_ACCOUNTS_ACTIONS: &[&str] = &[
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
];

#[derive(Clone, Debug)]
pub struct Organizations {
    client: Client,
}

fn policy_type(kind: PolicyKind) -> PolicyType {
    match kind {
        PolicyKind::Tag => PolicyType::TagPolicy,
        PolicyKind::Backup => PolicyType::BackupPolicy,
    }
}

impl Organizations {
    /// A client with the counter and the retry settings below.
    pub(crate) fn from_config(sdk: &SdkConfig, calls: &CallCounter) -> Self {
        Organizations::new(Client::from_conf(
            Self::retrying(Builder::from(sdk).interceptor(calls.clone())).build(),
        ))
    }

    /// The standard retry strategy with [`MAX_ATTEMPTS`] and the classifiers that make `ConcurrentModificationException`
    /// transient, for every write operation this adapter makes (public so that tests can apply it to a mock client).
    pub fn retrying(builder: Builder) -> Builder {
        builder
            .retry_config(RetryConfig::standard().with_max_attempts(crate::config::max_attempts(MAX_ATTEMPTS)))
            .retry_classifier(classifier::<operation::enable_policy_type::EnablePolicyTypeError>())
            .retry_classifier(classifier::<operation::create_policy::CreatePolicyError>())
            .retry_classifier(classifier::<operation::update_policy::UpdatePolicyError>())
            .retry_classifier(classifier::<operation::attach_policy::AttachPolicyError>())
            .retry_classifier(classifier::<operation::detach_policy::DetachPolicyError>())
            .retry_classifier(classifier::<operation::delete_policy::DeletePolicyError>())
    }

    /// From an SDK client (tests hand in aws-smithy-mocks clients).
    pub fn new(client: Client) -> Self {
        Organizations { client }
    }

    /// The organization the caller belongs to; `None` when not in one or not allowed to look (member account).
    pub async fn describe(&self) -> Result<Option<OrgInfo>, AdapterError> {
        let org = match self.client.describe_organization().send().await {
            Ok(out) => out.organization,
            Err(e) => {
                let e = AdapterError::from_sdk(
                    "Organizations.DescribeOrganization",
                    "organization",
                    e.into_service_error(),
                );
                if e.code.as_deref() == Some("AWSOrganizationsNotInUseException") || e.is_refused() {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let (id, management_account) = org
            .map(|o| (o.id.unwrap_or_default(), o.master_account_id.unwrap_or_default()))
            .unwrap_or_default();
        let roots =
            self.client.list_roots().send().await.map_err(|e| {
                AdapterError::from_sdk("Organizations.ListRoots", "organization", e.into_service_error())
            })?;
        let root = roots.roots.unwrap_or_default().into_iter().next().ok_or_else(|| {
            AdapterError::local(
                "Organizations.ListRoots",
                "organization",
                ErrorKind::Other,
                "the organization has no root",
            )
        })?;
        let enabled = root
            .policy_types()
            .iter()
            .filter(|t| t.status() == Some(&PolicyTypeStatus::Enabled))
            .filter_map(|t| match t.r#type() {
                Some(PolicyType::TagPolicy) => Some(PolicyKind::Tag),
                Some(PolicyType::BackupPolicy) => Some(PolicyKind::Backup),
                _ => None,
            })
            .collect();
        Ok(Some(OrgInfo {
            id,
            management_account,
            root_id: root.id.unwrap_or_default(),
            enabled,
        }))
    }

    pub async fn enable_policy_type(&self, root: &str, kind: PolicyKind) -> Result<(), AdapterError> {
        self.client
            .enable_policy_type()
            .root_id(root)
            .policy_type(policy_type(kind))
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Organizations.EnablePolicyType", root, e.into_service_error()))?;
        Ok(())
    }

    /// The id of our policy of this type, found by its name.
    pub async fn find_policy(&self, kind: PolicyKind) -> Result<Option<String>, AdapterError> {
        let mut pages = self
            .client
            .list_policies()
            .filter(policy_type(kind))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk("Organizations.ListPolicies", kind.api_name()))?;
            if let Some(p) = page.policies().iter().find(|p| p.name() == Some(kind.policy_name())) {
                return Ok(p.id().map(str::to_owned));
            }
        }
        Ok(None)
    }

    pub async fn policy_content(&self, id: &str) -> Result<String, AdapterError> {
        let out = self
            .client
            .describe_policy()
            .policy_id(id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Organizations.DescribePolicy", id, e.into_service_error()))?;
        Ok(out.policy.and_then(|p| p.content).unwrap_or_default())
    }

    /// Creates our policy of this type; its id.
    pub async fn create_policy(
        &self,
        kind: PolicyKind,
        description: &str,
        content: &str,
    ) -> Result<Option<String>, AdapterError> {
        let name = kind.policy_name();
        let out = self
            .client
            .create_policy()
            .name(name)
            .description(description)
            .r#type(policy_type(kind))
            .content(content)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Organizations.CreatePolicy", name, e.into_service_error()))?;
        Ok(out.policy.and_then(|p| p.policy_summary).and_then(|s| s.id))
    }

    pub async fn update_policy(&self, id: &str, content: &str) -> Result<(), AdapterError> {
        self.client
            .update_policy()
            .policy_id(id)
            .content(content)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Organizations.UpdatePolicy", id, e.into_service_error()))?;
        Ok(())
    }

    /// Where the policy is attached: root, OU and account ids.
    pub async fn targets(&self, policy_id: &str) -> Result<Vec<String>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_targets_for_policy()
            .policy_id(policy_id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk("Organizations.ListTargetsForPolicy", policy_id))?;
            out.extend(page.targets().iter().filter_map(|t| t.target_id().map(str::to_owned)));
        }
        Ok(out)
    }

    pub async fn attach(&self, policy_id: &str, target: &str) -> Result<(), AdapterError> {
        self.client
            .attach_policy()
            .policy_id(policy_id)
            .target_id(target)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Organizations.AttachPolicy", policy_id, e.into_service_error()))?;
        Ok(())
    }

    pub async fn detach(&self, policy_id: &str, target: &str) -> Result<(), AdapterError> {
        self.client
            .detach_policy()
            .policy_id(policy_id)
            .target_id(target)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Organizations.DetachPolicy", policy_id, e.into_service_error()))?;
        Ok(())
    }

    pub async fn delete_policy(&self, policy_id: &str) -> Result<(), AdapterError> {
        self.client
            .delete_policy()
            .policy_id(policy_id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Organizations.DeletePolicy", policy_id, e.into_service_error()))?;
        Ok(())
    }

    /// The organization's effective backup policy for the caller's account, as JSON text; `None` when there is none
    /// or the account is in no organization.
    pub async fn effective_backup_policy(&self) -> Result<Option<String>, AdapterError> {
        let sent = self
            .client
            .describe_effective_policy()
            .policy_type(EffectivePolicyType::BackupPolicy)
            .send()
            .await;
        match sent {
            Ok(out) => Ok(Some(
                out.effective_policy()
                    .and_then(|p| p.policy_content())
                    .unwrap_or("{}")
                    .to_owned(),
            )),
            Err(e) => {
                let e = AdapterError::from_sdk("Organizations.DescribeEffectivePolicy", "BACKUP_POLICY", e);
                if e.is_not_found() || e.code.as_deref() == Some("AWSOrganizationsNotInUseException") {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}

fn active(accounts: &[aws_sdk_organizations::types::Account]) -> impl Iterator<Item = AccountInfo> + '_ {
    accounts
        .iter()
        .filter(|a| match a.state() {
            Some(state) => state == &aws_sdk_organizations::types::AccountState::Active,
            None => a.status() == Some(&aws_sdk_organizations::types::AccountStatus::Active),
        })
        .map(|a| AccountInfo {
            id: a.id().unwrap_or_default().to_owned(),
            name: a.name().unwrap_or_default().to_owned(),
        })
}

impl Organizations {
    /// The organization's active accounts (ListAccounts, every page; needs the management account or a delegated
    /// administrator): `State` ACTIVE, or, where an answer carries no `State`, `Status` ACTIVE.
    pub async fn active_accounts(&self) -> Result<Vec<AccountInfo>, AdapterError> {
        let mut pages = self.client.list_accounts().into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AdapterError::from_sdk("Organizations.ListAccounts", "organization", e))?;
            out.extend(active(page.accounts()));
        }
        Ok(out)
    }

    /// The active accounts below `parent` (an OU or the root), at any depth.
    pub async fn active_accounts_under(&self, parent: &str) -> Result<Vec<AccountInfo>, AdapterError> {
        let mut out = Vec::new();
        let mut todo = vec![parent.to_owned()];
        while let Some(parent) = todo.pop() {
            let mut pages = self
                .client
                .list_accounts_for_parent()
                .parent_id(&parent)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page =
                    page.map_err(|e| AdapterError::from_sdk("Organizations.ListAccountsForParent", &parent, e))?;
                out.extend(active(page.accounts()));
            }
            let mut ous = self
                .client
                .list_organizational_units_for_parent()
                .parent_id(&parent)
                .into_paginator()
                .send();
            while let Some(page) = ous.next().await {
                let page = page.map_err(|e| {
                    AdapterError::from_sdk("Organizations.ListOrganizationalUnitsForParent", &parent, e)
                })?;
                todo.extend(
                    page.organizational_units()
                        .iter()
                        .filter_map(|ou| ou.id().map(str::to_owned)),
                );
            }
        }
        Ok(out)
    }
}
