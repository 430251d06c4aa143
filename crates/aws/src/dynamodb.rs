//! DynamoDB tables: ListTagsOfResource / TagResource on the table ARN.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use superwerker_backup_domain::{ResourceRef, Tag};

use crate::{AdapterError, CallCounter, TagStore};

/// A just-created table may be unknown for a moment, and is `CREATING` for a while.
const NOT_READY: &[&str] = &["ResourceNotFoundException", "ResourceInUseException"];

#[derive(Clone, Debug)]
pub struct DynamoDb {
    pub client: Client,
}

impl DynamoDb {
    pub fn new(sdk: &SdkConfig, calls: &CallCounter) -> Self {
        let config = aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        DynamoDb {
            client: Client::from_conf(config),
        }
    }
}

impl TagStore for DynamoDb {
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let arn = resource.arn.to_string();
        let mut tags = Vec::new();
        let mut next: Option<String> = None;
        // ListTagsOfResource is not modelled as paginated in the SDK, so its NextToken is followed here.
        loop {
            let out = self
                .client
                .list_tags_of_resource()
                .resource_arn(&arn)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| {
                    AdapterError::from_sdk("DynamoDB.ListTagsOfResource", &arn, e.into_service_error(), NOT_READY)
                })?;
            tags.extend(out.tags().iter().map(|t| Tag::new(t.key(), t.value())));
            match out.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => return Ok(tags),
            }
        }
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let arn = resource.arn.to_string();
        let sdk_tag = aws_sdk_dynamodb::types::Tag::builder()
            .key(&tag.key)
            .value(&tag.value)
            .build()
            .map_err(|e| AdapterError::Failed {
                operation: "DynamoDB.TagResource",
                resource: arn.clone(),
                code: "InvalidTag".into(),
                message: e.to_string(),
            })?;
        self.client
            .tag_resource()
            .resource_arn(&arn)
            .tags(sdk_tag)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("DynamoDB.TagResource", &arn, e.into_service_error(), NOT_READY))?;
        Ok(())
    }
}

impl crate::Inventory for DynamoDb {
    fn kind(&self) -> superwerker_backup_domain::ResourceKind {
        superwerker_backup_domain::ResourceKind::DynamoDbTable
    }

    /// `ListTables` pages: names only, no tags (read them from the Tagging API, see the backfill).
    async fn list(&self, region: &str, account: &str) -> Result<Vec<crate::Found>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self.client.list_tables().limit(100).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AdapterError::from_sdk("DynamoDB.ListTables", region, e, &[]))?;
            for name in page.table_names() {
                let resource = crate::inventory::reference(self.kind(), region, account, name)?;
                out.push(crate::Found { resource, tags: None });
            }
        }
        Ok(out)
    }
}
