//! The common trait and the dispatcher that picks the service module and the region's clients.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_types::region::Region;
use superwerker_backup_domain::{decide, ResourceKind, ResourceRef, Tag, TagDecision, TagSettings};

use crate::counter::CallCounter;
use crate::ec2::{AttachedVolumes, Ec2};
use crate::error::AdapterError;
use crate::{dynamodb, ec2, efs, rds};

/// Attempts per request when `AWS_MAX_ATTEMPTS` is not set: rides out a few throttles in a row.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Environment variable: the per-attempt timeout in milliseconds (default 10,000).
pub const ENV_ATTEMPT_TIMEOUT_MS: &str = "SUPERWERKER_BACKUP_ATTEMPT_TIMEOUT_MS";

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// `AWS_MAX_ATTEMPTS`, else [`DEFAULT_MAX_ATTEMPTS`]; at least 1.
fn max_attempts() -> u32 {
    env_number("AWS_MAX_ATTEMPTS").map_or(DEFAULT_MAX_ATTEMPTS, |n| n.clamp(1, u32::MAX as u64) as u32)
}

/// Read a resource's tags, add one tag. Each service module implements it; [`Aws`] dispatches by kind.
pub trait TagStore: Send + Sync {
    /// All current tags of the resource. `NotReady` when the resource is not visible yet.
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
        TagDecision::Add(_) => None,
    })
}

/// EC2 instances' EBS volumes: found after a launch event, tagged in batches.
pub trait InstanceVolumes: Send + Sync {
    /// The EBS volumes attached to these instances, with their tags. `NotReady` while an instance or its volumes
    /// are not visible yet.
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

/// The clients of one region.
#[derive(Clone, Debug)]
pub struct RegionClients {
    pub dynamodb: dynamodb::DynamoDb,
    pub ec2: ec2::Ec2,
    pub rds: rds::Rds,
    pub efs: efs::Efs,
    pub tagging: crate::tagging::Tagging,
}

/// All AWS access of this service: SDK config from the standard chain, clients per region (built once, on first
/// use), and a counter of every request sent.
#[derive(Clone, Debug)]
pub struct Aws {
    sdk: SdkConfig,
    calls: CallCounter,
    regions: Arc<Mutex<HashMap<String, Arc<RegionClients>>>>,
}

impl Aws {
    /// Loads credentials, region and endpoint (`AWS_ENDPOINT_URL`) the standard way, with [`Aws::loader`]'s retry and
    /// timeout settings.
    pub async fn from_env() -> Aws {
        Aws::new(Aws::loader().load().await)
    }

    /// The SDK settings every function starts from: the standard retry mode (jittered exponential backoff on
    /// throttling, 5xx and transport errors) with `AWS_MAX_ATTEMPTS` or [`DEFAULT_MAX_ATTEMPTS`] attempts, and a
    /// per-attempt timeout (`SUPERWERKER_BACKUP_ATTEMPT_TIMEOUT_MS`, default 10 s) so a request that hangs is retried
    /// rather than eating the invocation's time.
    pub fn loader() -> aws_config::ConfigLoader {
        let attempt_timeout = Duration::from_millis(env_number(ENV_ATTEMPT_TIMEOUT_MS).unwrap_or(10_000));
        aws_config::defaults(BehaviorVersion::latest())
            .retry_config(aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(max_attempts()))
            .timeout_config(
                aws_smithy_types::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_millis(3100))
                    .operation_attempt_timeout(attempt_timeout)
                    .build(),
            )
    }

    /// Like [`Aws::from_env`], with the SDK's adaptive retry mode (client-side rate limiting when throttled), for bulk
    /// work such as the backfill. `AWS_MAX_ATTEMPTS` still applies.
    pub async fn from_env_adaptive() -> Aws {
        let retry = aws_smithy_types::retry::RetryConfig::adaptive().with_max_attempts(max_attempts());
        Aws::new(Aws::loader().retry_config(retry).load().await)
    }

    pub fn new(sdk: SdkConfig) -> Aws {
        Aws {
            sdk,
            calls: CallCounter::new(),
            regions: Arc::default(),
        }
    }

    /// The region of the loaded configuration (the function's own region in Lambda).
    pub fn region(&self) -> Option<&str> {
        self.sdk.region().map(Region::as_ref)
    }

    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// Requests sent through any client of this `Aws`.
    pub fn calls(&self) -> &CallCounter {
        &self.calls
    }

    /// An AWS Organizations client (a global service; retries concurrent policy changes, see `organizations`).
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        crate::organizations::client(&self.sdk, &self.calls)
    }

    /// An AWS Backup client for `region`.
    pub fn backup(&self, region: &str) -> aws_sdk_backup::Client {
        let sdk = self.sdk.to_builder().region(Region::new(region.to_owned())).build();
        let config = aws_sdk_backup::config::Builder::from(&sdk)
            .interceptor(self.calls.clone())
            .build();
        aws_sdk_backup::Client::from_conf(config)
    }

    /// The account of the credentials in use (STS GetCallerIdentity).
    pub async fn caller_account(&self) -> Result<String, AdapterError> {
        let config = aws_sdk_sts::config::Builder::from(&self.sdk)
            .interceptor(self.calls.clone())
            .build();
        let out = aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("STS.GetCallerIdentity", "caller", e.into_service_error(), &[]))?;
        out.account.ok_or_else(|| AdapterError::Failed {
            operation: "STS.GetCallerIdentity",
            resource: "caller".into(),
            code: "NoAccount".into(),
            message: "GetCallerIdentity returned no account".into(),
        })
    }

    /// The clients for `region`, built on first use.
    pub fn clients(&self, region: &str) -> Arc<RegionClients> {
        let mut map = self.regions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(region.to_owned())
            .or_insert_with(|| {
                let sdk = self.sdk.to_builder().region(Region::new(region.to_owned())).build();
                Arc::new(RegionClients {
                    dynamodb: dynamodb::DynamoDb::new(&sdk, &self.calls),
                    ec2: ec2::Ec2::new(&sdk, &self.calls),
                    rds: rds::Rds::new(&sdk, &self.calls),
                    efs: efs::Efs::new(&sdk, &self.calls),
                    tagging: crate::tagging::Tagging::new(&sdk, &self.calls),
                })
            })
            .clone()
    }
}

impl TagStore for Aws {
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        let c = self.clients(resource.region());
        match resource.kind {
            ResourceKind::DynamoDbTable => c.dynamodb.read_tags(resource).await,
            ResourceKind::EbsVolume => c.ec2.read_tags(resource).await,
            ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster => c.rds.read_tags(resource).await,
            ResourceKind::EfsFileSystem => c.efs.read_tags(resource).await,
        }
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let c = self.clients(resource.region());
        match resource.kind {
            ResourceKind::DynamoDbTable => c.dynamodb.add_tag(resource, tag).await,
            ResourceKind::EbsVolume => c.ec2.add_tag(resource, tag).await,
            ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster => c.rds.add_tag(resource, tag).await,
            ResourceKind::EfsFileSystem => c.efs.add_tag(resource, tag).await,
        }
    }
}

impl InstanceVolumes for Aws {
    async fn instance_volumes(
        &self,
        region: &str,
        account: &str,
        instance_ids: &[String],
    ) -> Result<AttachedVolumes, AdapterError> {
        let ec2: Ec2 = self.clients(region).ec2.clone();
        ec2.instance_volumes(region, account, instance_ids).await
    }

    async fn tag_volumes(
        &self,
        region: &str,
        volume_ids: &[String],
        tag: &Tag,
    ) -> Vec<(String, Result<(), AdapterError>)> {
        let ec2: Ec2 = self.clients(region).ec2.clone();
        ec2.tag_volumes(volume_ids, tag).await
    }
}
