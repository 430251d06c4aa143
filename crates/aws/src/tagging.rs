//! Resource Groups Tagging API: tags of many resources per page (`GetResources`), and tagging up to 20 ARNs per call
//! (`TagResources`) for DynamoDB tables and RDS databases.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_resourcegroupstagging::Client;
use superwerker_backup_domain::Tag;

use crate::{AdapterError, CallCounter};

/// `GetResources` returns at most 100 resources per page.
pub const MAX_RESOURCES_PER_PAGE: i32 = 100;

/// `TagResources` takes at most 20 ARNs per call.
pub const MAX_ARNS_PER_CALL: usize = 20;

#[derive(Clone, Debug)]
pub struct Tagging {
    pub client: Client,
}

impl Tagging {
    pub fn new(sdk: &SdkConfig, calls: &CallCounter) -> Self {
        let config = aws_sdk_resourcegroupstagging::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        Tagging {
            client: Client::from_conf(config),
        }
    }

    /// Tags of every resource of one type in the client's region as the index knows them, by ARN: `GetResources`
    /// filtered by type (`dynamodb:table`), [`MAX_RESOURCES_PER_PAGE`] per page (the SDK's paginator). The index
    /// holds only resources that have (or had) tags, so the pages grow with the tagged resources, never with the
    /// untagged ones; a resource absent here has no tags — or was tagged so recently that the index has not caught
    /// up: confirm before writing (see the backfill).
    pub async fn tags_by_type(&self, resource_type: &str) -> Result<HashMap<String, Vec<Tag>>, AdapterError> {
        let mut out = HashMap::new();
        let mut pages = self
            .client
            .get_resources()
            .resource_type_filters(resource_type)
            .resources_per_page(MAX_RESOURCES_PER_PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AdapterError::from_sdk("Tagging.GetResources", resource_type, e, &[]))?;
            for mapping in page.resource_tag_mapping_list() {
                if let Some(arn) = mapping.resource_arn() {
                    let tags = mapping.tags().iter().map(|t| Tag::new(t.key(), t.value())).collect();
                    out.insert(arn.to_owned(), tags);
                }
            }
        }
        Ok(out)
    }

    /// Tags up to [`MAX_ARNS_PER_CALL`] ARNs in one call; returns the ARNs that failed, each with its error.
    pub async fn tag_resources(&self, arns: &[String], tag: &Tag) -> Result<Vec<(String, AdapterError)>, AdapterError> {
        let what = format!("{} resources", arns.len());
        let out = self
            .client
            .tag_resources()
            .set_resource_arn_list(Some(arns.to_vec()))
            .tags(&tag.key, &tag.value)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("Tagging.TagResources", &what, e, &[]))?;
        Ok(out
            .failed_resources_map()
            .map(|failed| {
                failed
                    .iter()
                    .map(|(arn, info)| {
                        let error = AdapterError::Failed {
                            operation: "Tagging.TagResources",
                            resource: arn.clone(),
                            // A resource the caller may not tag comes back with HTTP 403 and a generic code.
                            code: match info.error_code() {
                                _ if info.status_code() == 403 => "AccessDenied".to_owned(),
                                Some(c) => c.as_str().to_owned(),
                                None => info.status_code().to_string(),
                            },
                            message: match info.error_code() {
                                Some(c) => format!("{}: {}", c.as_str(), info.error_message().unwrap_or_default()),
                                None => info.error_message().unwrap_or_default().to_owned(),
                            },
                        };
                        (arn.clone(), error)
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}
