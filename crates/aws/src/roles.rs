//! IAM roles: whether the role a backup selection names exists.

use aws_sdk_iam::Client;

use crate::error::{exists, AdapterError};

/// IAM actions of the audit's role look-up.
pub(crate) const AUDIT_ACTIONS: &[&str] = &["iam:GetRole"];

/// IAM (a global service), as far as the audit reads it.
#[derive(Clone, Debug)]
pub struct Roles {
    client: Client,
}

impl Roles {
    /// From an SDK client (the facade builds its own; tests may hand in another).
    pub fn new(client: Client) -> Self {
        Roles { client }
    }

    /// Whether the role with this ARN exists (`GetRole` takes the name, the part after the last `/`; a missing role
    /// is `NoSuchEntity`, IAM API reference, GetRole).
    pub async fn exists(&self, role_arn: &str) -> Result<bool, AdapterError> {
        let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
        exists(
            self.client
                .get_role()
                .role_name(name)
                .send()
                .await
                .map_err(|e| AdapterError::from_sdk("IAM.GetRole", role_arn, e.into_service_error())),
        )
    }
}
