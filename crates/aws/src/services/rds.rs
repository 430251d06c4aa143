//! RDS DB instances and clusters: ListTagsForResource / AddTagsToResource on the ARN; DescribeDBInstances and
//! DescribeDBClusters (their `TagList` included) for the sweep.

use aws_sdk_rds::Client;
use superwerker_backup_domain::kinds::RDS_CLUSTER_MEMBER;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::error::AdapterError;
use crate::inventory::{found_in_pages, reference_from_arn, Found, KeepTags};

/// IAM actions, by who calls them. The backfill tags through `tag:TagResources`, which acts with the caller's
/// `rds:AddTagsToResource`; it reads a resource again with `ListTagsForResource` after a refused write.
pub(crate) const TAGGER_ACTIONS: &[&str] = &["rds:AddTagsToResource", "rds:ListTagsForResource"];
pub(crate) const BACKFILL_ACTIONS: &[&str] = &[
    "rds:AddTagsToResource",
    "rds:DescribeDBClusters",
    "rds:DescribeDBInstances",
    "rds:ListTagsForResource",
];

#[derive(Clone, Debug)]
pub struct Rds {
    client: Client,
}

fn tags_of(tags: &[aws_sdk_rds::types::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag::new(t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect()
}

/// A listed DB instance or cluster, with the `TagList` its description carries.
fn found(
    kind: ResourceKind,
    arn: Option<&str>,
    tags: &[aws_sdk_rds::types::Tag],
) -> Result<Option<Found>, AdapterError> {
    arn.map(|arn| Ok(Found::new(reference_from_arn(kind, arn)?, Some(tags_of(tags)))))
        .transpose()
}

impl Rds {
    pub(crate) fn new(client: Client) -> Self {
        Rds { client }
    }

    pub async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let arn = resource.arn.to_string();
        let out = self
            .client
            .list_tags_for_resource()
            .resource_name(&arn)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("RDS.ListTagsForResource", &arn, e.into_service_error()))?;
        Ok(tags_of(out.tag_list()))
    }

    pub async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
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
            .map_err(|e| AdapterError::from_sdk("RDS.AddTagsToResource", &arn, e.into_service_error()))?;
        Ok(())
    }

    /// `DescribeDBInstances` pages (100 per page, the API's maximum).
    pub async fn list_instances(&self, region: &str, keep: &KeepTags) -> Result<Vec<Found>, AdapterError> {
        let pages = self
            .client
            .describe_db_instances()
            .max_records(100)
            .into_paginator()
            .send();
        found_in_pages(pages, "RDS.DescribeDBInstances", region, keep, |page, out| {
            for db in page.db_instances() {
                let arn = db.db_instance_arn();
                let instance = found(ResourceKind::RdsDbInstance, arn, db.tag_list())?;
                out.extend(instance.map(|f| f.with_attribute(RDS_CLUSTER_MEMBER, db.db_cluster_identifier())));
            }
            Ok(())
        })
        .await
    }

    /// `DescribeDBClusters` pages (100 per page).
    pub async fn list_clusters(&self, region: &str, keep: &KeepTags) -> Result<Vec<Found>, AdapterError> {
        let pages = self
            .client
            .describe_db_clusters()
            .max_records(100)
            .into_paginator()
            .send();
        found_in_pages(pages, "RDS.DescribeDBClusters", region, keep, |page, out| {
            for cluster in page.db_clusters() {
                out.extend(found(
                    ResourceKind::RdsDbCluster,
                    cluster.db_cluster_arn(),
                    cluster.tag_list(),
                )?);
            }
            Ok(())
        })
        .await
    }
}
