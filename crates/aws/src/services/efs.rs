//! EFS file systems: DescribeFileSystems (tags come with the file system) / TagResource.

use aws_sdk_efs::Client;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::error::{AdapterError, ErrorKind};
use crate::inventory::{found_in_pages, reference, the_one, Found, KeepTags};

/// IAM actions, by who calls them. The backfill tags through `tag:TagResources`, which acts with the caller's
/// `elasticfilesystem:TagResource`.
pub(crate) const TAGGER_ACTIONS: &[&str] = &["elasticfilesystem:DescribeFileSystems", "elasticfilesystem:TagResource"];
pub(crate) const BACKFILL_ACTIONS: &[&str] = TAGGER_ACTIONS;

#[derive(Clone, Debug)]
pub struct Efs {
    client: Client,
}

fn tags_of(fs: &aws_sdk_efs::types::FileSystemDescription) -> Vec<Tag> {
    fs.tags().iter().map(|t| Tag::new(t.key(), t.value())).collect()
}

impl Efs {
    pub(crate) fn new(client: Client) -> Self {
        Efs { client }
    }

    pub async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let out = self
            .client
            .describe_file_systems()
            .file_system_id(&resource.id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("EFS.DescribeFileSystems", &resource.id, e.into_service_error()))?;
        let fs = the_one(
            out.file_systems(),
            |fs| Some(fs.file_system_id()),
            "EFS.DescribeFileSystems",
            &resource.id,
        )?;
        Ok(tags_of(fs))
    }

    pub async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let sdk_tag = aws_sdk_efs::types::Tag::builder()
            .key(&tag.key)
            .value(&tag.value)
            .build()
            .map_err(|e| AdapterError::local("EFS.TagResource", &resource.id, ErrorKind::Other, e.to_string()))?;
        self.client
            .tag_resource()
            .resource_id(&resource.id)
            .tags(sdk_tag)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("EFS.TagResource", &resource.id, e.into_service_error()))?;
        Ok(())
    }

    /// `DescribeFileSystems` pages (100 per page, the API's maximum); tags come with each file system.
    pub async fn list(&self, region: &str, account: &str, keep: &KeepTags) -> Result<Vec<Found>, AdapterError> {
        let pages = self
            .client
            .describe_file_systems()
            .max_items(100)
            .into_paginator()
            .send();
        found_in_pages(pages, "EFS.DescribeFileSystems", region, keep, |page, out| {
            for fs in page.file_systems() {
                out.push(Found::new(
                    reference(ResourceKind::EfsFileSystem, region, account, fs.file_system_id())?,
                    Some(tags_of(fs)),
                ));
            }
            Ok(())
        })
        .await
    }
}
