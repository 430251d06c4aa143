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

/// What DescribeInstances says of one launched instance.
struct Described<'a> {
    state: &'a str,
    /// The EBS volume ids of its block device mappings.
    mapped: Vec<&'a str>,
    instance_store: bool,
}

impl Ec2 {
    /// The volumes attached to `instance_ids`, with their tags: `DescribeVolumes` filtered by `attachment.instance-id`
    /// (paginated by the SDK), and `DescribeInstances` for the instances' block device mappings. An instance counts
    /// as complete only when every EBS volume its mappings name is in the volume answer: the two are eventually
    /// consistent with each other, and a launch's volumes attach one by one. Until then — or while a pending instance
    /// shows no volume at all — the answer is not ready (retried by the caller within its bounds). An instance-store
    /// instance without EBS mappings, or one already shutting down or terminated, has nothing to protect.
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
        let mut described = Vec::new();
        for chunk in instance_ids.chunks(INSTANCES_PER_CALL) {
            let out = self
                .client
                .describe_instances()
                .set_instance_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    AdapterError::from_sdk("EC2.DescribeInstances", &chunk.join(","), e.into_service_error())
                })?;
            described.extend(out.reservations().iter().flat_map(|r| r.instances().to_vec()));
        }
        for id in instance_ids {
            let Some(instance) = described.iter().find(|i| i.instance_id() == Some(id.as_str())) else {
                return Err(AdapterError::local(
                    "EC2.DescribeInstances",
                    id,
                    ErrorKind::NotFound,
                    "the instance is not in the DescribeInstances answer",
                ));
            };
            let d = Described {
                state: instance
                    .state()
                    .and_then(|s| s.name())
                    .map_or("unknown", |n| n.as_str()),
                mapped: instance
                    .block_device_mappings()
                    .iter()
                    .filter_map(|m| m.ebs()?.volume_id())
                    .collect(),
                instance_store: instance.root_device_type().map(|t| t.as_str()) == Some("instance-store"),
            };
            let seen: Vec<&str> = found
                .volumes
                .iter()
                .filter(|v| &v.instance_id == id)
                .map(|v| v.volume.id.as_str())
                .collect();
            if let Some(reason) = complete(id, &d, &seen)? {
                found.without_volumes.push((id.clone(), reason));
            }
        }
        Ok(found)
    }
}

/// Whether the instance's volumes are all in: `Ok(None)` when they are, `Ok(Some(reason))` when it has none to
/// protect, not ready otherwise.
fn complete(id: &str, d: &Described<'_>, seen: &[&str]) -> Result<Option<String>, AdapterError> {
    let not_ready = |why: String| Err(AdapterError::local("EC2.DescribeVolumes", id, ErrorKind::NotReady, why));
    if matches!(d.state, "shutting-down" | "terminated") {
        return Ok(seen.is_empty().then(|| format!("the instance is already {}", d.state)));
    }
    if let Some(missing) = d.mapped.iter().find(|v| !seen.contains(v)) {
        return not_ready(format!(
            "instance {id} ({}) maps volume {missing}, which DescribeVolumes does not list yet",
            d.state
        ));
    }
    match (seen.is_empty(), d.mapped.is_empty()) {
        (true, true) if d.instance_store => Ok(Some("instance-store root device and no EBS volume".into())),
        (true, _) => not_ready(format!("instance {id} ({}) shows no attached EBS volume yet", d.state)),
        (false, _) => Ok(None),
    }
}
