//! Listing what exists: each service module lists its kinds with the fewest calls its API allows, page by page (the
//! SDK's paginators), and hands back domain references.

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use superwerker_backup_domain::{Arn, ResourceKind, ResourceRef, Tag};

use crate::error::{AdapterError, ErrorKind};

/// One resource found by a listing, with its tags where the listing returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub resource: ResourceRef,
    /// `None` when the listing does not return tags (DynamoDB `ListTables`).
    pub tags: Option<Vec<Tag>>,
    /// The attributes the kind's `unprotectable` rules test, under their names in the kind table.
    pub attributes: Vec<(&'static str, String)>,
}

impl Found {
    pub fn new(resource: ResourceRef, tags: Option<Vec<Tag>>) -> Found {
        Found {
            resource,
            tags,
            attributes: Vec::new(),
        }
    }

    /// Adds an attribute where the listing has it.
    pub fn with_attribute(mut self, name: &'static str, value: Option<&str>) -> Found {
        if let Some(value) = value {
            self.attributes.push((name, value.to_owned()));
        }
        self
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Why AWS Backup cannot protect this resource, if it cannot.
    pub fn unprotectable(&self) -> Option<&'static str> {
        self.resource.kind.unprotectable_reason(|name| self.attribute(name))
    }

    /// The ARN of the resource AWS Backup protects this one through (an Aurora instance's cluster), if any.
    pub fn parent_arn(&self) -> Option<String> {
        let (kind, id) = self.resource.kind.protected_through(|name| self.attribute(name))?;
        let arn = &self.resource.arn;
        Arn::build(kind.arn_service(), &arn.region, &arn.account, &kind.arn_resource(id))
            .ok()
            .map(|a| a.to_string())
    }
}

/// Which tags a listing keeps of each resource it found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeepTags {
    /// Every tag (the audit: a backup plan's selection may match any tag).
    #[default]
    All,
    /// Only the tags that can change the decision for this key (`superwerker_backup_domain::decides`), dropped as
    /// each page is read: the sweep's memory then does not grow with the tags resources carry (up to 50 each).
    Deciding(String),
}

impl KeepTags {
    pub(crate) fn trim(&self, tags: &mut Vec<Tag>) {
        if let KeepTags::Deciding(key) = self {
            tags.retain(|t| superwerker_backup_domain::decides(key, &t.key));
            tags.shrink_to_fit();
        }
    }
}

/// Every page of a paginated listing, each turned into [`Found`] entries by `found`, their tags trimmed by `keep`
/// page by page.
pub(crate) async fn found_in_pages<O, E>(
    mut pages: PaginationStream<Result<O, SdkError<E, HttpResponse>>>,
    operation: &'static str,
    region: &str,
    keep: &KeepTags,
    mut found: impl FnMut(&O, &mut Vec<Found>) -> Result<(), AdapterError>,
) -> Result<Vec<Found>, AdapterError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AdapterError::from_sdk(operation, region, e))?;
        let start = out.len();
        found(&page, &mut out)?;
        for f in &mut out[start..] {
            if let Some(tags) = f.tags.as_mut() {
                keep.trim(tags);
            }
        }
    }
    Ok(out)
}

/// The item of a describe-by-id answer whose id is `id`. Absent means not found: just created and not visible yet
/// (eventual consistency), or gone; callers retry or report on [`ErrorKind::NotFound`].
pub(crate) fn the_one<'a, T>(
    items: &'a [T],
    id_of: impl Fn(&T) -> Option<&str>,
    operation: &'static str,
    id: &str,
) -> Result<&'a T, AdapterError> {
    items.iter().find(|item| id_of(item) == Some(id)).ok_or_else(|| {
        AdapterError::local(
            operation,
            id,
            ErrorKind::NotFound,
            format!("{id} is not in the {operation} answer"),
        )
    })
}

/// A reference from an id the service returned (so it is trusted to be well-formed; checked anyway).
pub(crate) fn reference(
    kind: ResourceKind,
    region: &str,
    account: &str,
    id: &str,
) -> Result<ResourceRef, AdapterError> {
    let arn = Arn::build(kind.arn_service(), region, account, &kind.arn_resource(id))
        .map_err(|e| unexpected(kind, id, e.to_string()))?;
    ResourceRef::from_arn(kind, arn).map_err(|e| unexpected(kind, id, e))
}

/// A reference from an ARN the service returned.
pub(crate) fn reference_from_arn(kind: ResourceKind, arn: &str) -> Result<ResourceRef, AdapterError> {
    let parsed = Arn::parse(arn).map_err(|e| unexpected(kind, arn, e.to_string()))?;
    ResourceRef::from_arn(kind, parsed).map_err(|e| unexpected(kind, arn, e))
}

fn unexpected(kind: ResourceKind, id: &str, message: String) -> AdapterError {
    AdapterError::local(
        "inventory",
        id,
        ErrorKind::Other,
        format!("{} listed with an unexpected identifier: {message}", kind.label()),
    )
}
