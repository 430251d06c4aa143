//! Listing what exists: each service module implements [`Inventory`] with the fewest calls its API allows.

use std::future::Future;

use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::AdapterError;

/// One resource found by a listing, with its tags where the listing returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub resource: ResourceRef,
    /// `None` when the listing does not return tags (DynamoDB `ListTables`).
    pub tags: Option<Vec<Tag>>,
}

/// Lists every resource of one kind in the client's region, page by page (the SDK's paginators).
pub trait Inventory: Send + Sync {
    fn kind(&self) -> ResourceKind;
    fn list(&self, region: &str, account: &str) -> impl Future<Output = Result<Vec<Found>, AdapterError>> + Send;
}

/// A resource reference from an id the service returned (so it is trusted to be well-formed; checked anyway).
pub(crate) fn reference(
    kind: ResourceKind,
    region: &str,
    account: &str,
    id: &str,
) -> Result<ResourceRef, AdapterError> {
    let arn = superwerker_backup_domain::Arn::build(kind.arn_service(), region, account, &kind.arn_resource(id))
        .map_err(|e| invalid(kind, id, e.to_string()))?;
    ResourceRef::from_arn(kind, arn).map_err(|e| invalid(kind, id, e))
}

pub(crate) fn reference_from_arn(kind: ResourceKind, arn: &str) -> Result<ResourceRef, AdapterError> {
    let parsed = superwerker_backup_domain::Arn::parse(arn).map_err(|e| invalid(kind, arn, e.to_string()))?;
    ResourceRef::from_arn(kind, parsed).map_err(|e| invalid(kind, arn, e))
}

fn invalid(kind: ResourceKind, id: &str, message: String) -> AdapterError {
    AdapterError::Failed {
        operation: "inventory",
        resource: id.to_owned(),
        code: "UnexpectedIdentifier".into(),
        message: format!("{} listed with an unexpected identifier: {message}", kind.label()),
    }
}
