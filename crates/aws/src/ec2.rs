//! EBS volumes: DescribeVolumes (tags come with the volume) / CreateTags.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::Filter;
use aws_sdk_ec2::Client;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::{AdapterError, CallCounter, TagStore};

/// EC2 is eventually consistent: a volume id from a CreateVolume response may be unknown for a moment.
const NOT_READY: &[&str] = &["InvalidVolume.NotFound"];

#[derive(Clone, Debug)]
pub struct Ec2 {
    pub client: Client,
}

impl Ec2 {
    pub fn new(sdk: &SdkConfig, calls: &CallCounter) -> Self {
        let config = aws_sdk_ec2::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        Ec2 {
            client: Client::from_conf(config),
        }
    }
}

fn tags_of(volume: &aws_sdk_ec2::types::Volume) -> Vec<Tag> {
    volume
        .tags()
        .iter()
        .map(|t| Tag::new(t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect()
}

impl TagStore for Ec2 {
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let out = self
            .client
            .describe_volumes()
            .volume_ids(&resource.id)
            .send()
            .await
            .map_err(|e| {
                AdapterError::from_sdk("EC2.DescribeVolumes", &resource.id, e.into_service_error(), NOT_READY)
            })?;
        let volume = out
            .volumes()
            .iter()
            .find(|v| v.volume_id() == Some(resource.id.as_str()))
            .ok_or_else(|| AdapterError::NotReady {
                operation: "EC2.DescribeVolumes",
                resource: resource.id.clone(),
                code: "InvalidVolume.NotFound".into(),
                message: "the volume is not in the DescribeVolumes answer".into(),
            })?;
        Ok(tags_of(volume))
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let ids = [resource.id.clone()];
        self.tag_volumes(&ids, tag)
            .await
            .pop()
            .map_or(Ok(()), |(_, result)| result)
    }
}

/// `CreateTags` takes up to 1,000 resource ids per call.
pub const MAX_IDS_PER_CALL: usize = 1000;

/// EC2's answer when IAM refuses a call (for `CreateTags`: any one of its resources).
const REFUSED: &str = "UnauthorizedOperation";

/// Splits of refused `CreateTags` batches per [`Ec2::tag_volumes`] call.
pub const MAX_REFUSAL_SPLITS: usize = 32;

impl crate::Inventory for Ec2 {
    fn kind(&self) -> superwerker_backup_domain::ResourceKind {
        superwerker_backup_domain::ResourceKind::EbsVolume
    }

    /// `DescribeVolumes` pages (500 per page); tags come with each volume.
    async fn list(&self, region: &str, account: &str) -> Result<Vec<crate::Found>, AdapterError> {
        let mut out = Vec::new();
        let mut pages = self.client.describe_volumes().max_results(500).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AdapterError::from_sdk("EC2.DescribeVolumes", region, e, &[]))?;
            for v in page.volumes() {
                let Some(id) = v.volume_id() else { continue };
                let resource = crate::inventory::reference(self.kind(), region, account, id)?;
                out.push(crate::Found {
                    resource,
                    tags: Some(tags_of(v)),
                });
            }
        }
        Ok(out)
    }
}

impl Ec2 {
    /// Tags volumes with `CreateTags`, up to 1,000 ids per call (the tagger's single volume is a batch of one). EC2
    /// fails a whole call when one id is gone (`InvalidVolume.NotFound`) or when the role refuses one volume
    /// (`UnauthorizedOperation`: the never-overwrite guard, for a volume someone tagged after it was read): such a
    /// batch is split in halves until the culprits are isolated, so the others are still tagged with few extra calls
    /// (about 2·log2(1,000) per culprit). Refusals get at most [`MAX_REFUSAL_SPLITS`] splits per call of this
    /// function — a role refused everything would otherwise cost two calls per volume. Returns each id with its
    /// result.
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
            match sent {
                Ok(_) => results.extend(batch.iter().map(|id| (id.clone(), Ok(())))),
                Err(e) => {
                    let what = if batch.len() == 1 {
                        batch[0].clone()
                    } else {
                        format!("{} volumes", batch.len())
                    };
                    let error = AdapterError::from_sdk("EC2.CreateTags", &what, e.into_service_error(), NOT_READY);
                    if batch.len() == 1 {
                        results.push((batch[0].clone(), Err(error)));
                    } else if error.code() == "InvalidVolume.NotFound"
                        || (error.code() == REFUSED && refusal_splits < MAX_REFUSAL_SPLITS)
                    {
                        refusal_splits += usize::from(error.code() == REFUSED);
                        let (a, b) = batch.split_at(batch.len() / 2);
                        work.push(b);
                        work.push(a);
                    } else {
                        let (code, message) = (error.code().to_owned(), error.to_string());
                        results.extend(batch.iter().map(|id| {
                            let e = AdapterError::Failed {
                                operation: "EC2.CreateTags",
                                resource: id.clone(),
                                code: code.clone(),
                                message: message.clone(),
                            };
                            (id.clone(), Err(e))
                        }));
                    }
                }
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
            .map_err(|e| AdapterError::from_sdk("EC2.DescribeRegions", "account", e.into_service_error(), &[]))?;
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

/// The EBS volumes of launched instances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttachedVolumes {
    pub volumes: Vec<AttachedVolume>,
    /// Instances that have no EBS volume to protect, with the reason (instance-store root, already terminated).
    pub without_volumes: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedVolume {
    pub instance_id: String,
    pub volume: ResourceRef,
    pub tags: Vec<Tag>,
}

/// Values per DescribeVolumes filter sent at once (instances of one launch; RunInstances starts many at most).
const INSTANCES_PER_CALL: usize = 200;

impl Ec2 {
    /// The volumes attached to `instance_ids`, with their tags: one `DescribeVolumes` filtered by
    /// `attachment.instance-id` (paginated by the SDK). Only for an instance that shows no volume is
    /// `DescribeInstances` asked whether it is still pending (→ `NotReady`, retried by the caller), instance-store
    /// backed or already gone (→ nothing to protect).
    pub async fn instance_volumes(
        &self,
        region: &str,
        account: &str,
        instance_ids: &[String],
    ) -> Result<AttachedVolumes, AdapterError> {
        let mut found = AttachedVolumes::default();
        for chunk in instance_ids.chunks(INSTANCES_PER_CALL) {
            let filter = Filter::builder()
                .name("attachment.instance-id")
                .set_values(Some(chunk.to_vec()))
                .build();
            let mut pages = self
                .client
                .describe_volumes()
                .filters(filter)
                .max_results(500)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| AdapterError::from_sdk("EC2.DescribeVolumes", &chunk.join(","), e, &[]))?;
                for v in page.volumes() {
                    let Some(volume_id) = v.volume_id() else { continue };
                    let Some(instance) = v
                        .attachments()
                        .iter()
                        .filter_map(|a| a.instance_id())
                        .find(|i| chunk.iter().any(|c| c == i))
                    else {
                        continue;
                    };
                    found.volumes.push(AttachedVolume {
                        instance_id: instance.to_owned(),
                        volume: crate::inventory::reference(ResourceKind::EbsVolume, region, account, volume_id)?,
                        tags: tags_of(v),
                    });
                }
            }
        }
        let missing: Vec<String> = instance_ids
            .iter()
            .filter(|id| !found.volumes.iter().any(|v| &v.instance_id == *id))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(found);
        }
        let out = self
            .client
            .describe_instances()
            .set_instance_ids(Some(missing.clone()))
            .send()
            .await
            .map_err(|e| {
                AdapterError::from_sdk(
                    "EC2.DescribeInstances",
                    &missing.join(","),
                    e.into_service_error(),
                    &["InvalidInstanceID.NotFound"],
                )
            })?;
        let instances: Vec<&aws_sdk_ec2::types::Instance> =
            out.reservations().iter().flat_map(|r| r.instances()).collect();
        for id in missing {
            let Some(instance) = instances.iter().find(|i| i.instance_id() == Some(id.as_str())) else {
                return Err(AdapterError::NotReady {
                    operation: "EC2.DescribeInstances",
                    resource: id,
                    code: "InvalidInstanceID.NotFound".into(),
                    message: "the instance is not in the DescribeInstances answer".into(),
                });
            };
            let state = instance
                .state()
                .and_then(|s| s.name())
                .map_or("unknown", |n| n.as_str());
            let has_ebs = instance.block_device_mappings().iter().any(|m| m.ebs().is_some());
            let instance_store = instance.root_device_type().map(|t| t.as_str()) == Some("instance-store");
            if matches!(state, "shutting-down" | "terminated") {
                found
                    .without_volumes
                    .push((id, format!("the instance is already {state}")));
            } else if instance_store && !has_ebs {
                found
                    .without_volumes
                    .push((id, "instance-store root device and no EBS volume".into()));
            } else {
                return Err(AdapterError::NotReady {
                    operation: "EC2.DescribeVolumes",
                    resource: id.clone(),
                    code: "VolumesNotVisibleYet".into(),
                    message: format!("instance {id} ({state}) shows no attached EBS volume yet"),
                });
            }
        }
        Ok(found)
    }
}
