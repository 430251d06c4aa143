//! Creating resources in the emulator the way a user would, with the SDK.

use anyhow::{Context, Result};

use crate::{unique, Emulator};

/// The one key every test table has: a string partition key `pk`.
pub fn pk_schema() -> (
    aws_sdk_dynamodb::types::AttributeDefinition,
    aws_sdk_dynamodb::types::KeySchemaElement,
) {
    use aws_sdk_dynamodb::types::{AttributeDefinition, KeySchemaElement, KeyType, ScalarAttributeType};
    (
        AttributeDefinition::builder()
            .attribute_name("pk")
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("name and type are set"),
        KeySchemaElement::builder()
            .attribute_name("pk")
            .key_type(KeyType::Hash)
            .build()
            .expect("name and key type are set"),
    )
}

/// The ARN of a DB instance RDS answered with.
fn instance_arn(db: Option<&aws_sdk_rds::types::DbInstance>) -> Result<String> {
    Ok(db
        .and_then(|d| d.db_instance_arn())
        .context("no dBInstanceArn")?
        .to_owned())
}

impl Emulator {
    /// Creates a DynamoDB table, optionally with tags at creation; returns (name, ARN).
    pub async fn create_table(&self, tags: &[(&str, &str)]) -> Result<(String, String)> {
        use aws_sdk_dynamodb::types::{BillingMode, Tag};
        let name = unique("table");
        let (attribute, key) = pk_schema();
        let mut req = self
            .clients()
            .dynamodb
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute)
            .key_schema(key);
        for (k, v) in tags {
            req = req.tags(Tag::builder().key(*k).value(*v).build()?);
        }
        let out = req.send().await.context("CreateTable")?;
        let arn = out
            .table_description()
            .and_then(|d| d.table_arn())
            .context("no tableArn")?
            .to_owned();
        Ok((name, arn))
    }

    /// Creates an EBS volume, optionally with a `volume` tag specification; returns its id.
    pub async fn create_volume(&self, tags: &[(&str, &str)]) -> Result<String> {
        use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
        let mut req = self
            .clients()
            .ec2
            .create_volume()
            .availability_zone(format!("{}a", self.region))
            .size(8);
        if !tags.is_empty() {
            let mut spec = TagSpecification::builder().resource_type(ResourceType::Volume);
            for (k, v) in tags {
                spec = spec.tags(Tag::builder().key(*k).value(*v).build());
            }
            req = req.tag_specifications(spec.build());
        }
        let out = req.send().await.context("CreateVolume")?;
        Ok(out.volume_id().context("no volumeId")?.to_owned())
    }

    /// Creates an RDS DB instance, optionally with tags; returns (identifier, ARN).
    pub async fn create_db_instance(&self, tags: &[(&str, &str)]) -> Result<(String, String)> {
        let id = unique("db");
        let mut req = self
            .clients()
            .rds
            .create_db_instance()
            .db_instance_identifier(&id)
            .engine("postgres")
            .db_instance_class("db.t3.micro")
            .allocated_storage(20)
            .master_username("demo")
            .master_user_password("not-a-secret-1");
        for (k, v) in tags {
            req = req.tags(aws_sdk_rds::types::Tag::builder().key(*k).value(*v).build());
        }
        let out = req.send().await.context("CreateDBInstance")?;
        Ok((id, instance_arn(out.db_instance())?))
    }

    /// Creates an Aurora DB cluster, optionally with tags; returns (identifier, ARN).
    pub async fn create_db_cluster(&self, tags: &[(&str, &str)]) -> Result<(String, String)> {
        let id = unique("aurora");
        let mut req = self
            .clients()
            .rds
            .create_db_cluster()
            .db_cluster_identifier(&id)
            .engine("aurora-postgresql")
            .master_username("demo")
            .master_user_password("not-a-secret-1");
        for (k, v) in tags {
            req = req.tags(aws_sdk_rds::types::Tag::builder().key(*k).value(*v).build());
        }
        let out = req.send().await.context("CreateDBCluster")?;
        let arn = out
            .db_cluster()
            .and_then(|d| d.db_cluster_arn())
            .context("no dBClusterArn")?
            .to_owned();
        Ok((id, arn))
    }

    /// Creates a DB instance in the Aurora cluster `cluster` (CreateDBInstance with DBClusterIdentifier); returns
    /// (identifier, ARN).
    pub async fn create_cluster_instance(&self, cluster: &str) -> Result<(String, String)> {
        let id = unique("aurora-instance");
        let out = self
            .clients()
            .rds
            .create_db_instance()
            .db_instance_identifier(&id)
            .db_cluster_identifier(cluster)
            .engine("aurora-postgresql")
            .db_instance_class("db.r6g.large")
            .send()
            .await
            .context("CreateDBInstance in a cluster")?;
        Ok((id, instance_arn(out.db_instance())?))
    }

    /// Creates an EFS file system, optionally with tags; returns (id, ARN).
    pub async fn create_file_system(&self, tags: &[(&str, &str)]) -> Result<(String, String)> {
        let mut req = self.clients().efs.create_file_system().creation_token(unique("fs"));
        for (k, v) in tags {
            req = req.tags(aws_sdk_efs::types::Tag::builder().key(*k).value(*v).build()?);
        }
        let out = req.send().await.context("CreateFileSystem")?;
        let arn = out.file_system_arn().context("no FileSystemArn")?.to_owned();
        Ok((out.file_system_id().to_owned(), arn))
    }

    /// Creates an FSx file system of `file_system_type` (`WINDOWS`, `LUSTRE`, `ONTAP`, `OPENZFS`), a Lustre one with
    /// `deployment` (`SCRATCH_2`, `PERSISTENT_2`, …); returns (id, ARN).
    pub async fn create_fsx_file_system(
        &self,
        tags: &[(&str, &str)],
        file_system_type: &str,
        deployment: Option<&str>,
    ) -> Result<(String, String)> {
        use aws_sdk_fsx::types::{CreateFileSystemLustreConfiguration, FileSystemType, LustreDeploymentType, Tag};
        let mut req = self
            .clients()
            .fsx
            .create_file_system()
            .client_request_token(unique("fsx"))
            .file_system_type(FileSystemType::from(file_system_type))
            .storage_capacity(1200)
            .subnet_ids("subnet-1234abcd");
        if let Some(deployment) = deployment {
            let lustre = CreateFileSystemLustreConfiguration::builder()
                .deployment_type(LustreDeploymentType::from(deployment))
                .build();
            req = req.lustre_configuration(lustre);
        }
        for (k, v) in tags {
            req = req.tags(Tag::builder().key(*k).value(*v).build());
        }
        let out = req.send().await.context("FSx CreateFileSystem")?;
        let fs = out.file_system().context("no FileSystem")?;
        let id = fs.file_system_id().context("no FileSystemId")?.to_owned();
        let arn = fs.resource_arn().context("no ResourceARN")?.to_owned();
        Ok((id, arn))
    }

    /// Launches `count` instances with RunInstances: a root volume, plus a data volume when `data_volume`, plus a
    /// `volume` tag specification when `volume_tags` is not empty. Returns the instance ids.
    pub async fn run_instances(
        &self,
        count: i32,
        data_volume: bool,
        volume_tags: &[(&str, &str)],
    ) -> Result<Vec<String>> {
        use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice, ResourceType, Tag, TagSpecification};
        let mapping = |device: &str, size: i32| {
            BlockDeviceMapping::builder()
                .device_name(device)
                .ebs(EbsBlockDevice::builder().volume_size(size).build())
                .build()
        };
        let mut req = self
            .clients()
            .ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .min_count(count)
            .max_count(count);
        if data_volume {
            req = req
                .block_device_mappings(mapping("/dev/sda1", 8))
                .block_device_mappings(mapping("/dev/sdf", 20));
        }
        if !volume_tags.is_empty() {
            let mut spec = TagSpecification::builder().resource_type(ResourceType::Volume);
            for (k, v) in volume_tags {
                spec = spec.tags(Tag::builder().key(*k).value(*v).build());
            }
            req = req.tag_specifications(spec.build());
        }
        let out = req.send().await.context("RunInstances")?;
        Ok(out
            .instances()
            .iter()
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect())
    }

    /// Launches an EC2 Fleet of type `instant` with `count` on-demand instances from a new launch template; returns
    /// the instance ids.
    pub async fn create_instant_fleet(&self, count: i32) -> Result<Vec<String>> {
        use aws_sdk_ec2::types::{
            DefaultTargetCapacityType, FleetLaunchTemplateConfigRequest, FleetLaunchTemplateSpecificationRequest,
            FleetType, RequestLaunchTemplateData, TargetCapacitySpecificationRequest,
        };
        let ec2 = &self.clients().ec2;
        let name = unique("lt");
        ec2.create_launch_template()
            .launch_template_name(&name)
            .launch_template_data(
                RequestLaunchTemplateData::builder()
                    .image_id("ami-12c6146b")
                    .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                    .build(),
            )
            .send()
            .await
            .context("CreateLaunchTemplate")?;
        let out = ec2
            .create_fleet()
            .r#type(FleetType::Instant)
            .launch_template_configs(
                FleetLaunchTemplateConfigRequest::builder()
                    .launch_template_specification(
                        FleetLaunchTemplateSpecificationRequest::builder()
                            .launch_template_name(&name)
                            .version("$Latest")
                            .build(),
                    )
                    .build(),
            )
            .target_capacity_specification(
                TargetCapacitySpecificationRequest::builder()
                    .total_target_capacity(count)
                    .default_target_capacity_type(DefaultTargetCapacityType::OnDemand)
                    .build(),
            )
            .send()
            .await
            .context("CreateFleet")?;
        Ok(out
            .instances()
            .iter()
            .flat_map(|i| i.instance_ids().iter().cloned())
            .collect())
    }

    /// The EBS volumes attached to an instance, as (volume ARN, tags) read from the emulator.
    pub async fn volumes_of(&self, instance_id: &str) -> Result<Vec<(String, Vec<(String, String)>)>> {
        use aws_sdk_ec2::types::Filter;
        let out = self
            .clients()
            .ec2
            .describe_volumes()
            .filters(
                Filter::builder()
                    .name("attachment.instance-id")
                    .values(instance_id)
                    .build(),
            )
            .send()
            .await
            .context("DescribeVolumes")?;
        Ok(out
            .volumes()
            .iter()
            .map(|v| {
                let tags = v
                    .tags()
                    .iter()
                    .map(|t| (t.key().unwrap_or("").to_owned(), t.value().unwrap_or("").to_owned()))
                    .collect();
                (self.volume_arn(v.volume_id().unwrap_or("")), tags)
            })
            .collect())
    }
}
