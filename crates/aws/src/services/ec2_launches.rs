//! The EBS volumes of launched EC2 instances, found after a launch event.

use aws_sdk_ec2::types::Filter;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::error::{AdapterError, ErrorKind};
use crate::inventory::reference;
use crate::services::ec2::{tags_of, Ec2};

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
    /// `DescribeInstances` asked whether it is still pending (→ not ready, retried by the caller), instance-store
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
                let page = page.map_err(|e| AdapterError::from_sdk("EC2.DescribeVolumes", &chunk.join(","), e))?;
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
                        volume: reference(ResourceKind::EbsVolume, region, account, volume_id)?,
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
            .map_err(|e| AdapterError::from_sdk("EC2.DescribeInstances", &missing.join(","), e.into_service_error()))?;
        let instances: Vec<&aws_sdk_ec2::types::Instance> =
            out.reservations().iter().flat_map(|r| r.instances()).collect();
        for id in missing {
            let Some(instance) = instances.iter().find(|i| i.instance_id() == Some(id.as_str())) else {
                return Err(AdapterError::local(
                    "EC2.DescribeInstances",
                    &id,
                    ErrorKind::NotFound,
                    "the instance is not in the DescribeInstances answer",
                ));
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
                return Err(AdapterError::local(
                    "EC2.DescribeVolumes",
                    &id,
                    ErrorKind::NotReady,
                    format!("instance {id} ({state}) shows no attached EBS volume yet"),
                ));
            }
        }
        Ok(found)
    }
}
