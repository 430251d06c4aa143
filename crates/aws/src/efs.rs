//! EFS file systems: DescribeFileSystems (tags come with the file system) / TagResource.

use aws_config::SdkConfig;
use aws_sdk_efs::Client;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::{AdapterError, CallCounter, TagStore};

/// A file system id from a CreateFileSystem response may be unknown for a moment.
const NOT_READY: &[&str] = &["FileSystemNotFound"];

#[derive(Clone, Debug)]
pub struct Efs {
    pub client: Client,
}

impl Efs {
    pub fn new(sdk: &SdkConfig, calls: &CallCounter) -> Self {
        let config = aws_sdk_efs::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        Efs {
            client: Client::from_conf(config),
        }
    }
}

fn tags_of(fs: &aws_sdk_efs::types::FileSystemDescription) -> Vec<Tag> {
    fs.tags().iter().map(|t| Tag::new(t.key(), t.value())).collect()
}

impl TagStore for Efs {
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let out = self
            .client
            .describe_file_systems()
            .file_system_id(&resource.id)
            .send()
            .await
            .map_err(|e| {
                AdapterError::from_sdk(
                    "EFS.DescribeFileSystems",
                    &resource.id,
                    e.into_service_error(),
                    NOT_READY,
                )
            })?;
        out.file_systems()
            .iter()
            .find(|fs| fs.file_system_id() == resource.id)
            .map(tags_of)
            .ok_or_else(|| AdapterError::NotReady {
                operation: "EFS.DescribeFileSystems",
                resource: resource.id.clone(),
                code: "FileSystemNotFound".into(),
                message: "the file system is not in the DescribeFileSystems answer".into(),
            })
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let sdk_tag = aws_sdk_efs::types::Tag::builder()
            .key(&tag.key)
            .value(&tag.value)
            .build()
            .map_err(|e| AdapterError::Failed {
                operation: "EFS.TagResource",
                resource: resource.id.clone(),
                code: "InvalidTag".into(),
                message: e.to_string(),
            })?;
        self.client
            .tag_resource()
            .resource_id(&resource.id)
            .tags(sdk_tag)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("EFS.TagResource", &resource.id, e.into_service_error(), NOT_READY))?;
        Ok(())
    }
}

impl crate::Inventory for Efs {
    fn kind(&self) -> ResourceKind {
        ResourceKind::EfsFileSystem
    }

    /// `DescribeFileSystems` pages (100 per page, the API's maximum); tags come with each file system.
    async fn list(&self, region: &str, account: &str) -> Result<Vec<crate::Found>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .describe_file_systems()
            .max_items(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AdapterError::from_sdk("EFS.DescribeFileSystems", region, e, &[]))?;
            for fs in page.file_systems() {
                let resource = crate::inventory::reference(self.kind(), region, account, fs.file_system_id())?;
                out.push(crate::Found {
                    resource,
                    tags: Some(tags_of(fs)),
                });
            }
        }
        Ok(out)
    }
}
