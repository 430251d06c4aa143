//! The common trait and the dispatcher that picks the service module and the region's clients.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_types::region::Region;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag};

use crate::counter::CallCounter;
use crate::error::AdapterError;
use crate::{dynamodb, ec2, rds};

/// Read a resource's tags, add one tag. Each service module implements it; [`Aws`] dispatches by kind.
pub trait TagStore: Send + Sync {
    /// All current tags of the resource. `NotReady` when the resource is not visible yet.
    fn read_tags(&self, resource: &ResourceRef) -> impl Future<Output = Result<Vec<Tag>, AdapterError>> + Send;
    /// Adds (or, the AWS APIs being what they are, sets) one tag. Callers decide first that the key is absent.
    fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> impl Future<Output = Result<(), AdapterError>> + Send;
}

/// The clients of one region.
#[derive(Clone, Debug)]
pub struct RegionClients {
    pub dynamodb: dynamodb::DynamoDb,
    pub ec2: ec2::Ec2,
    pub rds: rds::Rds,
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
    /// Loads credentials, region, endpoint (`AWS_ENDPOINT_URL`) and retry settings the standard way.
    pub async fn from_env() -> Aws {
        Aws::new(aws_config::defaults(BehaviorVersion::latest()).load().await)
    }

    /// Like [`Aws::from_env`], with the SDK's adaptive retry mode (client-side rate limiting when throttled), for bulk
    /// work such as the backfill. `AWS_MAX_ATTEMPTS` still applies.
    pub async fn from_env_adaptive() -> Aws {
        let retry = aws_smithy_types::retry::RetryConfig::adaptive().with_max_attempts(
            std::env::var("AWS_MAX_ATTEMPTS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(5),
        );
        Aws::new(
            aws_config::defaults(BehaviorVersion::latest())
                .retry_config(retry)
                .load()
                .await,
        )
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
        }
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        let c = self.clients(resource.region());
        match resource.kind {
            ResourceKind::DynamoDbTable => c.dynamodb.add_tag(resource, tag).await,
            ResourceKind::EbsVolume => c.ec2.add_tag(resource, tag).await,
            ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster => c.rds.add_tag(resource, tag).await,
        }
    }
}
