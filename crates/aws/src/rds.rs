//! RDS DB instances: ListTagsForResource / AddTagsToResource on the instance ARN.

use aws_config::SdkConfig;
use aws_sdk_rds::Client;
use superwerker_backup_domain::{ResourceRef, Tag};

use crate::{AdapterError, CallCounter, TagStore};

const NOT_READY: &[&str] = &[
    "DBInstanceNotFound",
    "DBInstanceNotFoundFault",
    "DBClusterNotFoundFault",
];

#[derive(Clone, Debug)]
pub struct Rds {
    pub client: Client,
}

impl Rds {
    pub fn new(sdk: &SdkConfig, calls: &CallCounter) -> Self {
        let config = aws_sdk_rds::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        Rds {
            client: Client::from_conf(config),
        }
    }
}

fn tags_of(tags: &[aws_sdk_rds::types::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag::new(t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect()
}

/// A listed DB instance or cluster, with the `TagList` its description carries.
fn found(
    kind: superwerker_backup_domain::ResourceKind,
    arn: &str,
    tags: &[aws_sdk_rds::types::Tag],
) -> Result<crate::Found, AdapterError> {
    Ok(crate::Found {
        resource: crate::inventory::reference_from_arn(kind, arn)?,
        tags: Some(tags_of(tags)),
    })
}

impl TagStore for Rds {
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let arn = resource.arn.to_string();
        let out = self
            .client
            .list_tags_for_resource()
            .resource_name(&arn)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("RDS.ListTagsForResource", &arn, e.into_service_error(), NOT_READY))?;
        Ok(tags_of(out.tag_list()))
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let arn = resource.arn.to_string();
        self.client
            .add_tags_to_resource()
            .resource_name(&arn)
            .tags(
                aws_sdk_rds::types::Tag::builder()
                    .key(&tag.key)
                    .value(&tag.value)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("RDS.AddTagsToResource", &arn, e.into_service_error(), NOT_READY))?;
        Ok(())
    }
}

impl crate::Inventory for Rds {
    fn kind(&self) -> superwerker_backup_domain::ResourceKind {
        superwerker_backup_domain::ResourceKind::RdsDbInstance
    }

    /// `DescribeDBInstances` pages; `TagList` comes with each instance.
    async fn list(&self, region: &str, _account: &str) -> Result<Vec<crate::Found>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .describe_db_instances()
            .max_records(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AdapterError::from_sdk("RDS.DescribeDBInstances", region, e, &[]))?;
            for db in page.db_instances() {
                let Some(arn) = db.db_instance_arn() else { continue };
                out.push(found(self.kind(), arn, db.tag_list())?);
            }
        }
        Ok(out)
    }
}

/// The DB clusters of the same RDS client, as their own inventory (Aurora and Multi-AZ clusters are backed up at the
/// cluster level).
#[derive(Clone, Debug)]
pub struct RdsClusters(pub Rds);

impl crate::Inventory for RdsClusters {
    fn kind(&self) -> superwerker_backup_domain::ResourceKind {
        superwerker_backup_domain::ResourceKind::RdsDbCluster
    }

    /// `DescribeDBClusters` pages; `TagList` comes with each cluster.
    async fn list(&self, region: &str, _account: &str) -> Result<Vec<crate::Found>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self
            .0
            .client
            .describe_db_clusters()
            .max_records(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AdapterError::from_sdk("RDS.DescribeDBClusters", region, e, &[]))?;
            for cluster in page.db_clusters() {
                let Some(arn) = cluster.db_cluster_arn() else { continue };
                out.push(found(self.kind(), arn, cluster.tag_list())?);
            }
        }
        Ok(out)
    }
}
