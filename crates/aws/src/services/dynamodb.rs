//! DynamoDB tables: ListTagsOfResource / TagResource on the table ARN; ListTables for the sweep.

use aws_sdk_dynamodb::Client;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::error::{AdapterError, ErrorKind};
use crate::inventory::{found_in_pages, reference, Found, KeepTags};

/// IAM actions, by who calls them.
pub(crate) const TAGGER_ACTIONS: &[&str] = &["dynamodb:ListTagsOfResource", "dynamodb:TagResource"];
/// `tag:TagResources` tags a table with the caller's `dynamodb:TagResource` permission.
pub(crate) const BACKFILL_ACTIONS: &[&str] = &[
    "dynamodb:ListTables",
    "dynamodb:ListTagsOfResource",
    "dynamodb:TagResource",
];

#[derive(Clone, Debug)]
pub struct DynamoDb {
    client: Client,
}

impl DynamoDb {
    pub(crate) fn new(client: Client) -> Self {
        DynamoDb { client }
    }

    pub async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
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
                .map_err(|e| AdapterError::from_sdk("DynamoDB.ListTagsOfResource", &arn, e.into_service_error()))?;
            tags.extend(out.tags().iter().map(|t| Tag::new(t.key(), t.value())));
            match out.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => return Ok(tags),
            }
        }
    }

    pub async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let arn = resource.arn.to_string();
        let sdk_tag = aws_sdk_dynamodb::types::Tag::builder()
            .key(&tag.key)
            .value(&tag.value)
            .build()
            .map_err(|e| AdapterError::local("DynamoDB.TagResource", &arn, ErrorKind::Other, e.to_string()))?;
        self.client
            .tag_resource()
            .resource_arn(&arn)
            .tags(sdk_tag)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("DynamoDB.TagResource", &arn, e.into_service_error()))?;
        Ok(())
    }

    /// `ListTables` pages: names only, no tags (they come from the Tagging API's index, see the backfill).
    pub async fn list(&self, region: &str, account: &str, keep: &KeepTags) -> Result<Vec<Found>, AdapterError> {
        let pages = self.client.list_tables().limit(100).into_paginator().send();
        found_in_pages(pages, "DynamoDB.ListTables", region, keep, |page, out| {
            for name in page.table_names() {
                let resource = reference(ResourceKind::DynamoDbTable, region, account, name)?;
                out.push(Found::new(resource, None));
            }
            Ok(())
        })
        .await
    }
}
