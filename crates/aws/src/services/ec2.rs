//! EBS volumes: DescribeVolumes (tags come with the volume) / CreateTags, up to 1,000 ids per call.

use aws_sdk_ec2::Client;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::error::AdapterError;
use crate::inventory::{found_in_pages, reference, the_one, Found, KeepTags};

/// IAM actions, by who calls them. DescribeInstances only when a launched instance shows no volume yet.
pub(crate) const TAGGER_ACTIONS: &[&str] = &["ec2:CreateTags", "ec2:DescribeInstances", "ec2:DescribeVolumes"];
pub(crate) const BACKFILL_ACTIONS: &[&str] = &["ec2:CreateTags", "ec2:DescribeVolumes"];
/// The account's enabled regions (`--regions all`, and each account of `audit --organization`).
pub(crate) const REGIONS_ACTIONS: &[&str] = &["ec2:DescribeRegions"];

/// `CreateTags` takes up to 1,000 resource ids per call (EC2 API reference, CreateTags).
pub const MAX_IDS_PER_CALL: usize = 1000;

/// Splits of refused `CreateTags` batches per [`Ec2::tag_volumes`] call.
pub const MAX_REFUSAL_SPLITS: usize = 32;

/// The most volumes a `DescribeVolumes` page holds: "This value can be between 5 and 1000; if MaxResults is given a
/// value larger than 1000, only 1000 results are returned" (EC2 API reference, DescribeVolumes `MaxResults`, in
/// botocore's ec2 model `2016-04-01`; the current `2016-11-15` text says only "the maximum number of items to
/// return"). A page of 1,000 volumes with their tags is a few hundred KB, and half the calls of pages of 500.
pub const VOLUMES_PER_PAGE: i32 = 1000;

#[derive(Clone, Debug)]
pub struct Ec2 {
    pub(crate) client: Client,
}

pub(crate) fn tags_of(volume: &aws_sdk_ec2::types::Volume) -> Vec<Tag> {
    volume
        .tags()
        .iter()
        .map(|t| Tag::new(t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect()
}

impl Ec2 {
    /// From an SDK client (the facade builds its own; tests hand in aws-smithy-mocks clients).
    pub fn new(client: Client) -> Self {
        Ec2 { client }
    }

    pub async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let out = self
            .client
            .describe_volumes()
            .volume_ids(&resource.id)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("EC2.DescribeVolumes", &resource.id, e.into_service_error()))?;
        let volume = the_one(out.volumes(), |v| v.volume_id(), "EC2.DescribeVolumes", &resource.id)?;
        Ok(tags_of(volume))
    }

    pub async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let ids = [resource.id.clone()];
        self.tag_volumes(&ids, tag)
            .await
            .pop()
            .map_or(Ok(()), |(_, result)| result)
    }

    /// `DescribeVolumes` pages of [`VOLUMES_PER_PAGE`]; tags come with each volume.
    pub async fn list(&self, region: &str, account: &str, keep: &KeepTags) -> Result<Vec<Found>, AdapterError> {
        let pages = self
            .client
            .describe_volumes()
            .max_results(VOLUMES_PER_PAGE)
            .into_paginator()
            .send();
        found_in_pages(pages, "EC2.DescribeVolumes", region, keep, |page, out| {
            for v in page.volumes() {
                let Some(id) = v.volume_id() else { continue };
                out.push(Found::new(
                    reference(ResourceKind::EbsVolume, region, account, id)?,
                    Some(tags_of(v)),
                ));
            }
            Ok(())
        })
        .await
    }

    /// Tags volumes with `CreateTags`, up to 1,000 ids per call (the tagger's single volume is a batch of one). EC2
    /// authorizes and validates a call as a whole: one volume that is gone, that the role's guard refuses (someone
    /// tagged it after it was read), or that already has the most tags a volume may have fails the whole call. Such
    /// a batch is split in halves until the culprits stand alone, so the others are still tagged with few extra calls
    /// (about 2·log2(1,000) per culprit). Only throttling and service failures, which no single id causes (the SDK has
    /// retried those already), fail the batch as a whole. Refusals get at most [`MAX_REFUSAL_SPLITS`] splits per call
    /// of this function — a role refused everything would otherwise cost two calls per volume. Returns each id with
    /// its result.
    pub async fn tag_volumes(&self, ids: &[String], tag: &Tag) -> Vec<(String, Result<(), AdapterError>)> {
        let mut results = Vec::with_capacity(ids.len());
        let mut refusal_splits = 0;
        let mut work: Vec<&[String]> = ids.chunks(MAX_IDS_PER_CALL).rev().collect();
        while let Some(batch) = work.pop() {
            let sent = self
                .client
                .create_tags()
                .set_resources(Some(batch.to_vec()))
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key(&tag.key)
                        .value(&tag.value)
                        .build(),
                )
                .send()
                .await;
            let error = match sent {
                Ok(_) => {
                    results.extend(batch.iter().map(|id| (id.clone(), Ok(()))));
                    continue;
                }
                Err(e) => {
                    let what = match batch {
                        [one] => one.clone(),
                        _ => format!("{} volumes", batch.len()),
                    };
                    AdapterError::from_sdk("EC2.CreateTags", &what, e.into_service_error())
                }
            };
            let splittable = batch.len() > 1
                && !error.is_retryable()
                && (!error.is_refused() || refusal_splits < MAX_REFUSAL_SPLITS);
            if splittable {
                refusal_splits += usize::from(error.is_refused());
                let (a, b) = batch.split_at(batch.len() / 2);
                work.push(b);
                work.push(a);
            } else {
                results.extend(batch.iter().map(|id| (id.clone(), Err(error.for_resource(id)))));
            }
        }
        results
    }

    /// The regions enabled for this account (`DescribeRegions`), for `--regions all`.
    pub async fn enabled_regions(&self) -> Result<Vec<String>, AdapterError> {
        let out = self
            .client
            .describe_regions()
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("EC2.DescribeRegions", "account", e.into_service_error()))?;
        let mut regions: Vec<String> = out
            .regions()
            .iter()
            .filter(|r| r.opt_in_status().is_none_or(|s| s != "not-opted-in"))
            .filter_map(|r| r.region_name().map(str::to_owned))
            .collect();
        regions.sort();
        Ok(regions)
    }
}
