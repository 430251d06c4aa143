//! Test and demo harness: talks to the local AWS emulator that `tests/harness/with-emulator.sh` started, builds
//! CloudTrail events from the real fixtures with the emulator's ids, and runs the real Lambda binaries through
//! `cargo lambda invoke`.

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

    /// A fresh `Aws` with its own call counter, as the code under test uses.
    pub async fn fresh_aws(&self) -> Aws {
        Aws::new(aws_config::defaults(BehaviorVersion::latest()).load().await)
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
