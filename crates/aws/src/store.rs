//! `Aws`: every AWS call of this service goes through it. The SDK configuration comes from the standard chain, the
//! service adapters are built once per region, every request is counted, and the engines ask for work by kind.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_types::region::Region;
use superwerker_backup_domain::{decide, BulkWrite, ResourceKind, ResourceRef, Tag, TagDecision, TagSettings};
use tokio::sync::OnceCell;

use crate::backup::Backup;
use crate::config::{client, in_region};
use crate::counter::CallCounter;
use crate::error::AdapterError;
use crate::inventory::{Found, KeepTags};
use crate::organizations::Organizations;
use crate::services::ec2_launches::AttachedVolumes;
use crate::services::RegionServices;

/// Read a resource's tags, add one tag. [`Aws`] dispatches by kind; `memory::MemoryStore` keeps them in memory.
pub trait TagStore: Send + Sync {
    /// All current tags of the resource. An error of kind not-found or not-ready when it is not visible yet.
    fn read_tags(&self, resource: &ResourceRef) -> impl Future<Output = Result<Vec<Tag>, AdapterError>> + Send;
    /// Adds (or, the AWS APIs being what they are, sets) one tag. Callers decide first that the key is absent.
    fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> impl Future<Output = Result<(), AdapterError>> + Send;
}

/// After IAM refused our tag write: the value of our key on the resource now, read again. `Some`: someone set it
/// after our read, and the role's never-overwrite guard kept it. `None`: the key is still absent — the refusal is a
/// real permission problem.
pub async fn value_set_meanwhile<S: TagStore>(
    store: &S,
    resource: &ResourceRef,
    settings: &TagSettings,
) -> Result<Option<String>, AdapterError> {
    let now = store.read_tags(resource).await?;
    Ok(match decide(settings, &now) {
        TagDecision::Keep { existing } => Some(existing),
        TagDecision::CaseConflict { found, value } => Some(format!("{value} (under the key {found})")),
        TagDecision::Add(_) => None,
    })
}

/// EC2 instances' EBS volumes: found after a launch event, tagged in batches.
pub trait InstanceVolumes: Send + Sync {
    /// The EBS volumes attached to these instances, with their tags. Not-ready while an instance or its volumes are
    /// not visible yet.
    fn instance_volumes(
        &self,
        region: &str,
        account: &str,
        instance_ids: &[String],
    ) -> impl Future<Output = Result<AttachedVolumes, AdapterError>> + Send;
    /// Adds one tag to many volumes (batched `CreateTags`); each volume id with its result.
    fn tag_volumes(
        &self,
        region: &str,
        volume_ids: &[String],
        tag: &Tag,
    ) -> impl Future<Output = Vec<(String, Result<(), AdapterError>)>> + Send;
}

/// Attempts at a Tagging API entry that failed for a passing reason (throttling, a service failure).
const BULK_ATTEMPTS: u32 = 3;

#[derive(Clone, Debug)]
pub struct Aws {
    sdk: SdkConfig,
    calls: CallCounter,
    regions: Arc<Mutex<HashMap<String, Arc<RegionServices>>>>,
    account: Arc<OnceCell<String>>,
}

impl Aws {
    /// Loads credentials, region and endpoint (`AWS_ENDPOINT_URL`) the standard way, with [`crate::config::loader`]'s
    /// retry and timeout settings.
    pub async fn from_env() -> Aws {
        Aws::new(crate::config::loader().load().await)
    }

    /// Like [`Aws::from_env`], with the SDK's adaptive retry mode, for bulk work such as the backfill.
    pub async fn from_env_adaptive() -> Aws {
        Aws::new(
            crate::config::loader()
                .retry_config(crate::config::adaptive_retry())
                .load()
                .await,
        )
    }

    pub fn new(sdk: SdkConfig) -> Aws {
        Aws {
            sdk,
            calls: CallCounter::new(),
            regions: Arc::default(),
            account: Arc::default(),
        }
    }

    /// The region of the loaded configuration (the function's own region in Lambda).
    pub fn region(&self) -> Option<&str> {
        self.sdk.region().map(Region::as_ref)
    }

    /// The SDK settings in use (tests build their own clients from them to set the scene).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// Requests sent through any client of this `Aws`.
    pub fn calls(&self) -> &CallCounter {
        &self.calls
    }

    /// The account of the credentials in use (STS GetCallerIdentity, asked once per `Aws`).
    pub async fn caller_account(&self) -> Result<String, AdapterError> {
        self.account
            .get_or_try_init(|| crate::sts::caller_account(&self.sdk, &self.calls))
            .await
            .cloned()
    }

    pub(crate) fn services(&self, region: &str) -> Arc<RegionServices> {
        let mut map = self.regions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(region.to_owned())
            .or_insert_with(|| Arc::new(RegionServices::new(&in_region(&self.sdk, region), &self.calls)))
            .clone()
    }

    /// This `Aws` acting in another account as the role `role_arn` (README, Organization), with that account known
    /// ([`Aws::caller_account`]); the error is STS's refusal.
    pub async fn assuming(&self, role_arn: &str, session: &str) -> Result<Aws, AdapterError> {
        let inside = Aws::new(crate::sts::assuming(&self.sdk, role_arn, session).await);
        inside
            .account
            .get_or_try_init(|| crate::sts::entered_account(&inside.sdk, &inside.calls, role_arn))
            .await?;
        Ok(inside)
    }

    /// AWS Organizations (a global service).
    pub fn organizations(&self) -> Organizations {
        Organizations::from_config(&self.sdk, &self.calls)
    }

    /// IAM (a global service): the roles backup selections name.
    pub fn roles(&self) -> crate::roles::Roles {
        crate::roles::Roles::new(client!(aws_sdk_iam, &self.sdk, &self.calls))
    }

    /// CloudTrail in `region`.
    pub fn trails(&self, region: &str) -> crate::trails::Trails {
        crate::trails::Trails::new(
            client!(aws_sdk_cloudtrail, &in_region(&self.sdk, region), &self.calls),
            region,
        )
    }

    /// The SNS topic `arn` (published to in the topic's own region, the ARN's fourth field).
    pub fn alert_topic(&self, arn: &str) -> crate::alerts::AlertTopic {
        let region = arn.split(':').nth(3).filter(|r| !r.is_empty()).unwrap_or("us-east-1");
        crate::alerts::AlertTopic::new(client!(aws_sdk_sns, &in_region(&self.sdk, region), &self.calls), arn)
    }

    /// The SQS queue `url` (the stack's dead-letter queue, in this `Aws`'s region).
    pub fn dead_letter_queue(&self, url: &str) -> crate::queue::DeadLetterQueue {
        crate::queue::DeadLetterQueue::new(client!(aws_sdk_sqs, &self.sdk, &self.calls), url)
    }

    /// The stack's chain record in the DynamoDB table `table` (in this `Aws`'s region).
    pub fn chain_table(&self, table: &str) -> crate::chain_record::ChainTable {
        crate::chain_record::ChainTable::new(client!(aws_sdk_dynamodb, &self.sdk, &self.calls), table)
    }

    /// The S3 bucket `name` in `region`, owned by the account `owner` (the organization's reports bucket). An
    /// S3-compatible endpoint of its own (the emulator on 127.0.0.1, `AWS_ENDPOINT_URL`) has no bucket subdomains: it is
    /// addressed path-style.
    pub fn report_bucket(&self, name: &str, region: &str, owner: &str) -> crate::reports::ReportBucket {
        let sdk = in_region(&self.sdk, region);
        let conf = aws_sdk_s3::config::Builder::from(&sdk)
            .interceptor(self.calls.clone())
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        crate::reports::ReportBucket::new(aws_sdk_s3::Client::from_conf(conf), name, owner)
    }

    /// AWS Backup in `region`.
    pub fn backup(&self, region: &str) -> Backup {
        Backup::new(
            client!(aws_sdk_backup, &in_region(&self.sdk, region), &self.calls),
            region,
        )
    }

    /// The regions enabled for this account, for `--regions all`.
    pub async fn enabled_regions(&self) -> Result<Vec<String>, AdapterError> {
        let home = self.region().unwrap_or("us-east-1").to_owned();
        self.services(&home).ec2.enabled_regions().await
    }

    /// Every resource of `kind` in `region`, with the tags `keep` keeps.
    pub async fn list(
        &self,
        kind: ResourceKind,
        region: &str,
        account: &str,
        keep: &KeepTags,
    ) -> Result<Vec<Found>, AdapterError> {
        self.services(region).list(kind, region, account, keep).await
    }

    /// The tags the Tagging API's index holds for every resource of `kind` in `region` (those `keep` keeps), by ARN.
    pub async fn indexed_tags(
        &self,
        kind: ResourceKind,
        region: &str,
        keep: &KeepTags,
    ) -> Result<HashMap<String, Vec<Tag>>, AdapterError> {
        self.services(region).tagging.tags_by_type(kind.label(), keep).await
    }

    /// Writes `tag` to many resources of one kind in `region` the way the kind's row says (`bulk_write`, `batch`);
    /// each ARN with its result. Tagging API entries that failed for a passing reason are tried again.
    pub async fn write_bulk(
        &self,
        kind: ResourceKind,
        region: &str,
        resources: &[ResourceRef],
        tag: &Tag,
    ) -> Vec<(String, Result<(), AdapterError>)> {
        let services = self.services(region);
        let spec = kind.spec();
        match spec.bulk_write {
            BulkWrite::Ec2CreateTags => {
                let ids: Vec<String> = resources.iter().map(|r| r.id.clone()).collect();
                let arn_of: HashMap<&str, String> =
                    resources.iter().map(|r| (r.id.as_str(), r.arn.to_string())).collect();
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(spec.batch) {
                    for (id, result) in services.ec2.tag_volumes(chunk, tag).await {
                        out.push((arn_of.get(id.as_str()).cloned().unwrap_or(id), result));
                    }
                }
                out
            }
            BulkWrite::TaggingApi => {
                let mut out = Vec::with_capacity(resources.len());
                for chunk in resources.chunks(spec.batch) {
                    let arns: Vec<String> = chunk.iter().map(|r| r.arn.to_string()).collect();
                    out.extend(tag_with_retries(&services, arns, tag).await);
                }
                out
            }
        }
    }
}

/// One `TagResources` call for up to 20 ARNs, and again for the entries that failed for a passing reason.
async fn tag_with_retries(
    services: &RegionServices,
    arns: Vec<String>,
    tag: &Tag,
) -> Vec<(String, Result<(), AdapterError>)> {
    let mut out = Vec::with_capacity(arns.len());
    let mut todo = arns;
    for attempt in 1..=BULK_ATTEMPTS {
        match services.tagging.tag_resources(&todo, tag).await {
            Ok(failed) => {
                let mut failed: HashMap<String, AdapterError> = failed.into_iter().collect();
                let mut again = Vec::new();
                for arn in todo {
                    match failed.remove(&arn) {
                        None => out.push((arn, Ok(()))),
                        Some(e) if e.is_retryable() && attempt < BULK_ATTEMPTS => again.push(arn),
                        Some(e) => out.push((arn, Err(e))),
                    }
                }
                if again.is_empty() {
                    return out;
                }
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                todo = again;
            }
            Err(e) => {
                out.extend(todo.iter().map(|arn| (arn.clone(), Err(e.for_resource(arn)))));
                return out;
            }
        }
    }
    out
}

impl TagStore for Aws {
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        self.services(resource.region()).read_tags(resource).await
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        self.services(resource.region()).add_tag(resource, tag).await
    }
}

impl InstanceVolumes for Aws {
    async fn instance_volumes(
        &self,
        region: &str,
        account: &str,
        instance_ids: &[String],
    ) -> Result<AttachedVolumes, AdapterError> {
        self.services(region)
            .ec2
            .instance_volumes(region, account, instance_ids)
            .await
    }

    async fn tag_volumes(
        &self,
        region: &str,
        volume_ids: &[String],
        tag: &Tag,
    ) -> Vec<(String, Result<(), AdapterError>)> {
        self.services(region).ec2.tag_volumes(volume_ids, tag).await
    }
}
