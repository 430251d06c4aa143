//! Resource Groups Tagging API: tags of many resources per page (`GetResources`), and tagging up to 20 ARNs per call
//! (`TagResources`) for every kind the sweep writes through it.

use std::collections::HashMap;

use aws_sdk_resourcegroupstagging::Client;
use superwerker_backup_domain::Tag;

use crate::error::{AdapterError, ErrorKind};
use crate::inventory::KeepTags;

pub(crate) const BACKFILL_ACTIONS: &[&str] = &["tag:GetResources", "tag:TagResources"];

/// `GetResources` returns at most 100 resources per page.
pub const MAX_RESOURCES_PER_PAGE: i32 = 100;

/// `TagResources` takes at most 20 ARNs per call.
pub const MAX_ARNS_PER_CALL: usize = 20;

#[derive(Clone, Debug)]
pub struct Tagging {
    client: Client,
}

impl Tagging {
    /// From an SDK client (the adapter builds its own; tests hand in aws-smithy-mocks clients).
    pub fn new(client: Client) -> Self {
        Tagging { client }
    }

    /// Tags of every resource of one type in the client's region as the index knows them, by ARN: `GetResources`
    /// filtered by type (`dynamodb:table`), [`MAX_RESOURCES_PER_PAGE`] per page (the SDK's paginator). The index
    /// holds only resources that have (or had) tags, so the pages grow with the tagged resources, never with the
    /// untagged ones; a resource absent here has no tags — or was tagged so recently that the index has not caught
    /// up: confirm before writing (see the backfill).
    pub async fn tags_by_type(
        &self,
        resource_type: &str,
        keep: &KeepTags,
    ) -> Result<HashMap<String, Vec<Tag>>, AdapterError> {
        let mut out = HashMap::new();
        let mut pages = self
            .client
            .get_resources()
            .resource_type_filters(resource_type)
            .resources_per_page(MAX_RESOURCES_PER_PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AdapterError::from_sdk("Tagging.GetResources", resource_type, e))?;
            for mapping in page.resource_tag_mapping_list() {
                if let Some(arn) = mapping.resource_arn() {
                    let mut tags = mapping.tags().iter().map(|t| Tag::new(t.key(), t.value())).collect();
                    keep.trim(&mut tags);
                    out.insert(arn.to_owned(), tags);
                }
            }
        }
        Ok(out)
    }

    /// Tags up to [`MAX_ARNS_PER_CALL`] ARNs in one call; returns the ARNs that failed, each with its error. A failed
    /// ARN's kind comes from its `FailureInfo`: HTTP 403 is IAM's refusal, 429 throttling, 5xx a service failure.
    pub async fn tag_resources(&self, arns: &[String], tag: &Tag) -> Result<Vec<(String, AdapterError)>, AdapterError> {
        let what = format!("{} resources", arns.len());
        let out = self
            .client
            .tag_resources()
            .set_resource_arn_list(Some(arns.to_vec()))
            .tags(&tag.key, &tag.value)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Tagging.TagResources", &what, e))?;
        let Some(failed) = out.failed_resources_map() else {
            return Ok(Vec::new());
        };
        Ok(failed
            .iter()
            .map(|(arn, info)| {
                let code = info.error_code().map(|c| c.as_str().to_owned());
                let message = info.error_message().unwrap_or_default().to_owned();
                let status = u16::try_from(info.status_code()).ok();
                let kind = match status {
                    Some(403) => ErrorKind::classify(Some("AccessDenied"), &message, status),
                    _ => ErrorKind::classify(None, &message, status),
                };
                let error = AdapterError {
                    operation: "Tagging.TagResources",
                    resource: arn.clone(),
                    kind,
                    code,
                    message,
                };
                (arn.clone(), error)
            })
            .collect())
    }
}
