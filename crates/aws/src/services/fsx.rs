//! Amazon FSx file systems: DescribeFileSystems (tags and configuration come with the file system) / TagResource.
//! What AWS Backup cannot protect (scratch Lustre, Lustre linked to a data repository, ONTAP file systems, which are
//! protected per volume) is told by the kind's `unprotectable` rules from the attributes set here.

use aws_sdk_fsx::types::FileSystem;
use aws_sdk_fsx::Client;
use superwerker_backup_domain::kinds::{FSX_DATA_REPOSITORY, FSX_DEPLOYMENT_TYPE, FSX_TYPE};
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::error::AdapterError;
use crate::inventory::{found_in_pages, reference, the_one, Found, KeepTags};

/// IAM actions, by who calls them. The backfill tags through `tag:TagResources`, which acts with the caller's
/// `fsx:TagResource`.
pub(crate) const TAGGER_ACTIONS: &[&str] = &["fsx:DescribeFileSystems", "fsx:TagResource"];
pub(crate) const BACKFILL_ACTIONS: &[&str] = TAGGER_ACTIONS;

#[derive(Clone, Debug)]
pub struct Fsx {
    client: Client,
}

fn tags_of(fs: &FileSystem) -> Vec<Tag> {
    fs.tags()
        .iter()
        .map(|t| Tag::new(t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect()
}

impl Fsx {
    pub fn new(client: Client) -> Self {
        Fsx { client }
    }

    /// The file system's tags from `DescribeFileSystems` by id (FSx answers `FileSystemNotFound` for an unknown id).
    pub async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let out = self
            .client
            .describe_file_systems()
            .file_system_ids(&resource.id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("FSx.DescribeFileSystems", &resource.id, e.into_service_error()))?;
        let fs = the_one(
            out.file_systems(),
            |fs| fs.file_system_id(),
            "FSx.DescribeFileSystems",
            &resource.id,
        )?;
        Ok(tags_of(fs))
    }

    pub async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let sdk_tag = aws_sdk_fsx::types::Tag::builder()
            .key(&tag.key)
            .value(&tag.value)
            .build();
        self.client
            .tag_resource()
            .resource_arn(resource.arn.to_string())
            .tags(sdk_tag)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("FSx.TagResource", &resource.id, e.into_service_error()))?;
        Ok(())
    }

    /// `DescribeFileSystems` pages (the SDK's paginator; FSx documents no page size), with tags and the attributes
    /// the kind's `unprotectable` rules test.
    pub async fn list(&self, region: &str, account: &str, keep: &KeepTags) -> Result<Vec<Found>, AdapterError> {
        let pages = self.client.describe_file_systems().into_paginator().send();
        found_in_pages(pages, "FSx.DescribeFileSystems", region, keep, |page, out| {
            for fs in page.file_systems() {
                let id = fs.file_system_id().unwrap_or_default();
                let lustre = fs.lustre_configuration();
                out.push(
                    Found::new(
                        reference(ResourceKind::FsxFileSystem, region, account, id)?,
                        Some(tags_of(fs)),
                    )
                    .with_attribute(FSX_TYPE, fs.file_system_type().map(|t| t.as_str()))
                    .with_attribute(
                        FSX_DEPLOYMENT_TYPE,
                        lustre.and_then(|l| l.deployment_type()).map(|d| d.as_str()),
                    )
                    .with_attribute(
                        FSX_DATA_REPOSITORY,
                        lustre
                            .and_then(|l| l.data_repository_configuration())
                            .and_then(|d| d.import_path()),
                    ),
                );
            }
            Ok(())
        })
        .await
    }
}
