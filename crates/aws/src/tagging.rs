//! Resource Groups Tagging API: tags of many resources per page (`GetResources`), and tagging up to 20 ARNs per call
//! (`TagResources`) for DynamoDB tables and RDS databases.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_resourcegroupstagging::Client;
use superwerker_backup_domain::Tag;

use crate::{AdapterError, CallCounter};

/// `GetResources` takes at most 100 ARNs per call in `ResourceARNList`.
pub const MAX_ARNS_PER_LOOKUP: usize = 100;

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

    /// Tags of the given resources as the index knows them, by ARN: `GetResources` with up to
    /// [`MAX_ARNS_PER_LOOKUP`] ARNs per call (cheaper than filtering by resource type: the service looks up those
    /// resources instead of every resource of the account). A resource absent here has no tags — or was tagged so
    /// recently that the index has not caught up: confirm before writing.
    pub async fn tags_of(&self, arns: &[String]) -> Result<HashMap<String, Vec<Tag>>, AdapterError> {
        let mut out = HashMap::new();
        for chunk in arns.chunks(MAX_ARNS_PER_LOOKUP) {
            let what = format!("{} resources", chunk.len());
            let mut pages = self
                .client
                .get_resources()
                .set_resource_arn_list(Some(chunk.to_vec()))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| AdapterError::from_sdk("Tagging.GetResources", &what, e, &[]))?;
                for mapping in page.resource_tag_mapping_list() {
                    if let Some(arn) = mapping.resource_arn() {
                        let tags = mapping.tags().iter().map(|t| Tag::new(t.key(), t.value())).collect();
                        out.insert(arn.to_owned(), tags);
                    }
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
                            code: info
                                .error_code()
                                .map(|c| c.as_str().to_owned())
                                .unwrap_or_else(|| info.status_code().to_string()),
                            message: info.error_message().unwrap_or_default().to_owned(),
                        };
                        (arn.clone(), error)
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}
