//! Test and demo harness: talks to the local AWS emulator that `tests/harness/with-emulator.sh` started, builds
//! CloudTrail events from the real fixtures with the emulator's ids, and runs the real Lambda binaries through
//! `cargo lambda invoke`.

pub mod burst;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{bail, Context, Result};
use aws_config::BehaviorVersion;
use serde_json::{json, Value};
use superwerker_backup_aws::Aws;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Where cargo builds: `CARGO_TARGET_DIR`, `build.target-dir` or `target/`, as `cargo metadata` reports it.
pub fn target_dir() -> PathBuf {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata answers JSON");
    PathBuf::from(meta["target_directory"].as_str().expect("target_directory"))
}

/// A real CloudTrail record from tests/fixtures/cloudtrail.
pub fn fixture(name: &str) -> Value {
    let path = root().join("tests/fixtures/cloudtrail").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Wraps a CloudTrail record in the EventBridge envelope it arrives in.
pub fn envelope(detail: Value) -> Value {
    let service = detail["eventSource"]
        .as_str()
        .unwrap_or("")
        .trim_end_matches(".amazonaws.com")
        .to_owned();
    json!({
        "version": "0",
        "id": format!("evt-{}", unique("e")),
        "detail-type": "AWS API Call via CloudTrail",
        "source": format!("aws.{service}"),
        "account": detail["recipientAccountId"].clone(),
        "time": "2026-11-26T07:00:00Z",
        "region": detail["awsRegion"].clone(),
        "resources": [],
        "detail": detail,
    })
}

/// A name unique within this test process and across processes sharing one emulator.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// The emulator started by the harness: its account, region, and clients for setting the scene.
#[derive(Clone)]
pub struct Emulator {
    pub account: String,
    pub region: String,
    /// Clients for creating resources and reading tags — not the ones under test, so their calls are not counted.
    pub setup: Aws,
}

impl Emulator {
    /// Connects to the emulator named by `AWS_ENDPOINT_URL`. Fails with a clear message outside the harness.
    pub async fn connect() -> Emulator {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
        assert!(
            endpoint.starts_with("http://127.0.0.1:"),
            "these tests need the local AWS emulator: run them with `make test` (tests/harness/with-emulator.sh \
             starts moto and sets AWS_ENDPOINT_URL); AWS_ENDPOINT_URL={endpoint:?}"
        );
        let account = std::env::var("SWB_EMULATOR_ACCOUNT").unwrap_or_else(|_| "123456789012".into());
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let region = sdk.region().expect("the harness sets AWS_REGION").to_string();
        Emulator {
            account,
            region,
            setup: Aws::new(sdk),
        }
    }

    /// The same emulator, creating resources in another region.
    pub fn in_region(&self, region: &str) -> Emulator {
        Emulator {
            region: region.to_owned(),
            ..self.clone()
        }
    }

    /// Wipes all emulator state (moto's reset API). Only for test binaries whose tests share account-wide state
    /// (the organization); cargo runs test binaries one at a time, so other binaries are not disturbed.
    pub async fn reset(&self) -> Result<()> {
        let endpoint = std::env::var("AWS_ENDPOINT_URL")?;
        let res = reqwest::Client::new()
            .post(format!("{endpoint}/moto-api/reset"))
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("moto reset answered {}", res.status());
        }
        Ok(())
    }

    /// Creates the organization (the emulator's account becomes its management account); returns the root id.
    pub async fn create_organization(&self) -> Result<String> {
        let org = self.setup.organizations();
        org.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .context("CreateOrganization")?;
        let roots = org.list_roots().send().await.context("ListRoots")?;
        Ok(roots
            .roots()
            .first()
            .and_then(|r| r.id())
            .context("no root")?
            .to_owned())
    }

    /// A fresh `Aws` with its own call counter and the production SDK settings (`Aws::from_env`).
    pub async fn fresh_aws(&self) -> Aws {
        Aws::from_env().await
    }

    /// Creates a DynamoDB table, optionally with tags at creation; returns (name, ARN).
    pub async fn create_table(&self, tags: &[(&str, &str)]) -> Result<(String, String)> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, Tag,
        };
        let name = unique("table");
        let mut req = self
            .setup
            .clients(&self.region)
            .dynamodb
            .client
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()?,
            );
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
            .setup
            .clients(&self.region)
            .ec2
            .client
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
            .setup
            .clients(&self.region)
            .rds
            .client
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
        let arn = out
            .db_instance()
            .and_then(|d| d.db_instance_arn())
            .context("no dBInstanceArn")?
            .to_owned();
        Ok((id, arn))
    }

    /// Creates an Aurora DB cluster, optionally with tags; returns (identifier, ARN).
    pub async fn create_db_cluster(&self, tags: &[(&str, &str)]) -> Result<(String, String)> {
        let id = unique("aurora");
        let mut req = self
            .setup
            .clients(&self.region)
            .rds
            .client
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

    /// The CloudTrail event for the cluster: the real SumoLogic-docs record, with the emulator's ids.
    pub fn create_db_cluster_event(&self, id: &str, arn: &str, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-db-cluster.sumologic.json");
        d["requestParameters"]["dBClusterIdentifier"] = json!(id);
        d["responseElements"]["dBClusterIdentifier"] = json!(id);
        d["responseElements"]["dBClusterArn"] = json!(arn);
        if !request_tags.is_empty() {
            d["requestParameters"]["tags"] = tag_list(request_tags);
        }
        envelope(d)
    }

    /// Creates an EFS file system, optionally with tags; returns (id, ARN).
    pub async fn create_file_system(&self, tags: &[(&str, &str)]) -> Result<(String, String)> {
        let mut req = self
            .setup
            .clients(&self.region)
            .efs
            .client
            .create_file_system()
            .creation_token(unique("fs"));
        for (k, v) in tags {
            req = req.tags(aws_sdk_efs::types::Tag::builder().key(*k).value(*v).build()?);
        }
        let out = req.send().await.context("CreateFileSystem")?;
        let arn = out.file_system_arn().context("no FileSystemArn")?.to_owned();
        Ok((out.file_system_id().to_owned(), arn))
    }

    /// The CloudTrail event for the file system: the synthetic record (EFS docs envelope), with the emulator's ids.
    pub fn create_file_system_event(&self, id: &str, arn: &str, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-file-system.synthetic.json");
        d["responseElements"]["fileSystemId"] = json!(id);
        d["responseElements"]["fileSystemArn"] = json!(arn);
        d["requestParameters"]["tags"] = tag_list(request_tags);
        d["responseElements"]["tags"] = tag_list(request_tags);
        envelope(d)
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
            .setup
            .clients(&self.region)
            .ec2
            .client
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

    /// The RunInstances event: the real Panther record with the emulator's instance ids and the request's volume tag
    /// specification (the instance's own `Name` tag specification stays).
    pub fn run_instances_event(&self, instance_ids: &[String], volume_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("run-instances.panther.json");
        let template = d["responseElements"]["instancesSet"]["items"][0].clone();
        let items: Vec<Value> = instance_ids
            .iter()
            .map(|id| {
                let mut item = template.clone();
                item["instanceId"] = json!(id);
                item
            })
            .collect();
        d["responseElements"]["instancesSet"]["items"] = Value::Array(items);
        if !volume_tags.is_empty() {
            d["requestParameters"]["tagSpecificationSet"]["items"]
                .as_array_mut()
                .expect("the fixture has tag specifications")
                .push(json!({"resourceType": "volume", "tags": tag_list(volume_tags)}));
        }
        envelope(d)
    }

    /// Launches an EC2 Fleet of type `instant` with `count` on-demand instances from a new launch template; returns
    /// the instance ids.
    pub async fn create_instant_fleet(&self, count: i32) -> Result<Vec<String>> {
        use aws_sdk_ec2::types::{
            DefaultTargetCapacityType, FleetLaunchTemplateConfigRequest, FleetLaunchTemplateSpecificationRequest,
            FleetType, RequestLaunchTemplateData, TargetCapacitySpecificationRequest,
        };
        let ec2 = &self.setup.clients(&self.region).ec2.client;
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

    /// The CreateFleet event: the synthetic record with the emulator's instance ids (one id per fleet item, each as a
    /// single-element XML list, the shape CloudTrail gives it).
    pub fn create_fleet_event(&self, instance_ids: &[String]) -> Value {
        let mut d = self.record("create-fleet.synthetic.json");
        let template = d["responseElements"]["CreateFleetResponse"]["fleetInstanceSet"]["item"][1].clone();
        let items: Vec<Value> = instance_ids
            .iter()
            .map(|id| {
                let mut item = template.clone();
                item["instanceIds"] = json!({"item": id});
                item
            })
            .collect();
        d["responseElements"]["CreateFleetResponse"]["fleetInstanceSet"]["item"] = Value::Array(items);
        envelope(d)
    }

    /// The EBS volumes attached to an instance, as (volume ARN, tags) read from the emulator.
    pub async fn volumes_of(&self, instance_id: &str) -> Result<Vec<(String, Vec<(String, String)>)>> {
        use aws_sdk_ec2::types::Filter;
        let out = self
            .setup
            .clients(&self.region)
            .ec2
            .client
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

    /// Sets a tag after creation (what a user does by hand).
    pub async fn tag_after_creation(&self, arn: &str, key: &str, value: &str) -> Result<()> {
        let resource = resource_of(arn)?;
        superwerker_backup_aws::TagStore::add_tag(
            &self.setup,
            &resource,
            &superwerker_backup_domain::Tag::new(key, value),
        )
        .await?;
        Ok(())
    }

    /// The value of `key` on the resource, read from the emulator.
    pub async fn tag_value(&self, arn: &str, key: &str) -> Result<Option<String>> {
        let resource = resource_of(arn)?;
        let tags = superwerker_backup_aws::TagStore::read_tags(&self.setup, &resource).await?;
        Ok(tags.into_iter().find(|t| t.key == key).map(|t| t.value))
    }

    pub fn volume_arn(&self, volume_id: &str) -> String {
        format!("arn:aws:ec2:{}:{}:volume/{volume_id}", self.region, self.account)
    }

    /// The CloudTrail event AWS would send for the table: the real AWS-docs record, with the emulator's ids.
    pub fn create_table_event(&self, name: &str, arn: Option<&str>, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-table.awsdocs.json");
        d["requestParameters"]["tableName"] = json!(name);
        d["responseElements"]["tableDescription"]["tableName"] = json!(name);
        if let Some(arn) = arn {
            d["responseElements"]["tableDescription"]["tableArn"] = json!(arn);
        }
        if !request_tags.is_empty() {
            d["requestParameters"]["tags"] = tag_list(request_tags);
        }
        envelope(d)
    }

    /// The CloudTrail event for the volume: the real KMS-docs record, with the emulator's ids.
    pub fn create_volume_event(&self, volume_id: &str, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-volume.awsdocs-kms.json");
        d["responseElements"]["volumeId"] = json!(volume_id);
        d["requestParameters"]["zone"] = json!(format!("{}a", self.region));
        d["responseElements"]["zone"] = json!(format!("{}a", self.region));
        if !request_tags.is_empty() {
            let items = json!([{"resourceType": "volume", "tags": tag_list(request_tags)}]);
            d["requestParameters"]["tagSpecificationSet"] = json!({"items": items});
            d["responseElements"]["tagSet"] = json!({"items": tag_list(request_tags)});
        }
        envelope(d)
    }

    /// The CloudTrail event for the DB instance: the real RDS-docs record, with the emulator's ids.
    pub fn create_db_instance_event(&self, id: &str, arn: &str, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-db-instance.awsdocs.json");
        d["requestParameters"]["dBInstanceIdentifier"] = json!(id);
        d["responseElements"]["dBInstanceIdentifier"] = json!(id);
        d["responseElements"]["dBInstanceArn"] = json!(arn);
        if !request_tags.is_empty() {
            d["requestParameters"]["tags"] = tag_list(request_tags);
            d["responseElements"]["tagList"] = tag_list(request_tags);
        }
        envelope(d)
    }

    /// A fixture record moved into the emulator's account and region.
    fn record(&self, name: &str) -> Value {
        let mut d = fixture(name);
        d["awsRegion"] = json!(self.region);
        d["recipientAccountId"] = json!(self.account);
        d["userIdentity"]["accountId"] = json!(self.account);
        d
    }
}

fn tag_list(tags: &[(&str, &str)]) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

/// A resource reference for an ARN of one of the handled kinds.
pub fn resource_of(arn: &str) -> Result<superwerker_backup_domain::ResourceRef> {
    use superwerker_backup_domain::{Arn, ResourceKind, ResourceRef};
    let parsed = Arn::parse(arn)?;
    let kind = ResourceKind::ALL
        .into_iter()
        .find(|k| k.arn_service() == parsed.service && k.id_in_arn_resource(&parsed.resource).is_some())
        .with_context(|| format!("{arn} is not a handled resource"))?;
    ResourceRef::from_arn(kind, parsed).map_err(anyhow::Error::msg)
}

/// Runs the tagger's handler on `event` as the Lambda would, for the emulator's account and region (the invoked
/// function's ARN), with a short visibility retry: `attempts` tries, 10 ms doubling up to 50 ms.
pub async fn tag_event(
    em: &Emulator,
    aws: &Aws,
    event: &Value,
    attempts: u32,
) -> std::result::Result<backup_tagger::Outcome, backup_tagger::TaggerError> {
    let mut config = backup_tagger::TaggerConfig::from_lookup(&em.region, |_| None)?;
    config.retry = backup_tagger::VisibilityRetry {
        max_attempts: attempts,
        first_delay: std::time::Duration::from_millis(10),
        max_delay: std::time::Duration::from_millis(50),
    };
    let scope = config.scope(&format!(
        "arn:aws:lambda:{}:{}:function:backup-tagger",
        em.region, em.account
    ))?;
    let event: aws_lambda_events::eventbridge::EventBridgeEvent<Value> = serde_json::from_value(event.clone())
        .map_err(|e| backup_tagger::TaggerError::Config(format!("not an EventBridge event: {e}")))?;
    backup_tagger::handle(aws, &config, &scope, &event, None).await
}

/// The fault-injection proxy in front of the emulator (tests/harness/fault_proxy.py, started by the harness).
#[derive(Clone)]
pub struct FaultProxy {
    pub url: String,
    http: reqwest::Client,
}

impl FaultProxy {
    /// The proxy the harness started. Fails with a clear message outside the harness.
    pub fn from_env() -> FaultProxy {
        let url = std::env::var("SWB_FAULT_PROXY_URL")
            .expect("SWB_FAULT_PROXY_URL is not set: run with `make test` (with-emulator.sh starts the fault proxy)");
        FaultProxy {
            url,
            http: reqwest::Client::new(),
        }
    }

    /// Adds fault rules (see fault_proxy.py): `[{"id", "service", "op", "contains", "fault", "times", "every",
    /// "delay_ms"}]`.
    pub async fn add(&self, rules: Value) -> Result<()> {
        let res = self
            .http
            .post(format!("{}/__faults__/rules", self.url))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&rules)?)
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("fault proxy refused the rules: {}", res.status());
        }
        Ok(())
    }

    /// Removes the rules with this id.
    pub async fn remove(&self, id: &str) -> Result<()> {
        self.http
            .delete(format!("{}/__faults__/rules?id={id}", self.url))
            .send()
            .await?;
        Ok(())
    }

    /// The requests the proxy saw whose path or body contains `needle`: `service`, `op`, `fault` (null when
    /// forwarded to the emulator), `status`, `t_start`, `t_end`.
    pub async fn log(&self, needle: &str) -> Result<Vec<Value>> {
        let res = self
            .http
            .get(format!(
                "{}/__faults__/log?contains={}",
                self.url,
                percent_encode(needle)
            ))
            .send()
            .await?;
        Ok(serde_json::from_slice(&res.bytes().await?)?)
    }

    /// Waits until a request whose path or body contains `needle` and whose operation is `op` has reached the proxy
    /// (it may still be held there by a delay rule); fails after `timeout`.
    pub async fn wait_for(&self, needle: &str, op: &str, timeout: std::time::Duration) -> Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if self.log(needle).await?.iter().any(|r| r["op"] == op) {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                bail!("no {op} request for {needle} reached the proxy within {timeout:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// An `Aws` whose requests go through the proxy: the production settings (`Aws::loader`) with a short backoff
    /// and attempt timeout so the tests run fast.
    pub async fn aws(&self, max_attempts: u32) -> Aws {
        use aws_smithy_types::retry::RetryConfig;
        use aws_smithy_types::timeout::TimeoutConfig;
        let sdk = Aws::loader()
            .endpoint_url(&self.url)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(max_attempts)
                    .with_initial_backoff(std::time::Duration::from_millis(5)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(std::time::Duration::from_millis(1500))
                    .build(),
            )
            .load()
            .await;
        Aws::new(sdk)
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for a query value.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs the real `backup-tagger` under `cargo lambda watch` (started by the harness) with `cargo lambda invoke
/// --data-file`; returns the function's JSON answer, or its error text.
pub fn invoke_lambda(function: &str, event: &Value) -> Result<std::result::Result<Value, String>> {
    let port = std::env::var("SWB_LAMBDA_INVOKE_PORT").context(
        "SWB_LAMBDA_INVOKE_PORT is not set: run with `make test` (with-emulator.sh --lambda-watch starts cargo lambda watch)",
    )?;
    let dir = std::env::var("SWB_RUN_DIR").unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    let file = PathBuf::from(dir).join(format!("{}.json", unique("event")));
    std::fs::write(&file, serde_json::to_vec_pretty(event)?)?;
    let cargo_lambda = root().join(".venv/bin/cargo-lambda");
    let out = Command::new(&cargo_lambda)
        .args([
            "lambda",
            "invoke",
            function,
            "-A",
            "127.0.0.1",
            "-P",
            &port,
            "--output-format",
            "json",
            "--data-file",
        ])
        .arg(&file)
        .current_dir(root())
        .output()
        .with_context(|| format!("running {}", cargo_lambda.display()))?;
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if out.status.success() {
        let value: Value = serde_json::from_str(stdout.trim())
            .with_context(|| format!("the function's answer is not JSON: {stdout:?} (stderr {stderr:?})"))?;
        Ok(Ok(value))
    } else if stderr.contains("error sending request") {
        bail!("cargo lambda invoke could not reach the watch server: {stderr}")
    } else {
        Ok(Err(format!("{stdout}{stderr}")))
    }
}

/// One HTTP request as a test listener received it.
#[derive(Debug)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A real HTTP listener on 127.0.0.1 that takes one request, answers 200, and hands the request over — the stand-in
/// for CloudFormation's pre-signed ResponseURL.
pub async fn one_request_listener() -> Result<(String, tokio::task::JoinHandle<Result<ReceivedRequest>>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!(
        "http://{}/cloudformation-response/some-stack?X-Amz-Signature=abc",
        listener.local_addr()?
    );
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed before the request head ended");
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let (method, path) = (
            first.next().unwrap_or("").to_owned(),
            first.next().unwrap_or("").to_owned(),
        );
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await?;
        Ok(ReceivedRequest {
            method,
            path,
            headers,
            body: buf[head_end..].to_vec(),
        })
    });
    Ok((url, handle))
}
