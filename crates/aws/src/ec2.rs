//! EBS volumes: DescribeVolumes (tags come with the volume) / CreateTags.

use aws_config::SdkConfig;
use aws_sdk_ec2::Client;
use superwerker_backup_domain::{ResourceRef, Tag};

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
        Ok(volume
            .tags()
            .iter()
            .map(|t| Tag::new(t.key().unwrap_or_default(), t.value().unwrap_or_default()))
            .collect())
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        self.client
            .create_tags()
            .resources(&resource.id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key(&tag.key)
                    .value(&tag.value)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("EC2.CreateTags", &resource.id, e.into_service_error(), NOT_READY))?;
        Ok(())
    }
}
