//! One adapter module per service, and the one place that picks the service for a kind. A new kind's service is
//! registered here: its module, its field in [`RegionServices`], its arms in the dispatch, its IAM actions.

pub mod dynamodb;
pub mod ec2;
pub mod ec2_launches;
pub mod efs;
pub mod fsx;
pub mod rds;
pub mod tagging;

use aws_config::SdkConfig;
use superwerker_backup_domain::{ResourceKind, ResourceRef, Service, Tag};

use crate::config::client;
use crate::error::AdapterError;
use crate::inventory::{Found, KeepTags};
use crate::CallCounter;

/// The service adapters of one region.
#[derive(Clone, Debug)]
pub struct RegionServices {
    pub(crate) dynamodb: dynamodb::DynamoDb,
    pub(crate) ec2: ec2::Ec2,
    pub(crate) rds: rds::Rds,
    pub(crate) efs: efs::Efs,
    pub(crate) fsx: fsx::Fsx,
    pub(crate) tagging: tagging::Tagging,
}

impl RegionServices {
    /// Every client of `sdk`'s region, each with the request counter.
    pub(crate) fn new(sdk: &SdkConfig, calls: &CallCounter) -> Self {
        RegionServices {
            dynamodb: dynamodb::DynamoDb::new(client!(aws_sdk_dynamodb, sdk, calls)),
            ec2: ec2::Ec2::new(client!(aws_sdk_ec2, sdk, calls)),
            rds: rds::Rds::new(client!(aws_sdk_rds, sdk, calls)),
            efs: efs::Efs::new(client!(aws_sdk_efs, sdk, calls)),
            fsx: fsx::Fsx::new(client!(aws_sdk_fsx, sdk, calls)),
            tagging: tagging::Tagging::new(client!(aws_sdk_resourcegroupstagging, sdk, calls)),
        }
    }

    pub(crate) async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        match resource.kind.spec().service {
            Service::DynamoDb => self.dynamodb.read_tags(resource).await,
            Service::Ec2 => self.ec2.read_tags(resource).await,
            Service::Rds => self.rds.read_tags(resource).await,
            Service::Efs => self.efs.read_tags(resource).await,
            Service::Fsx => self.fsx.read_tags(resource).await,
        }
    }

    pub(crate) async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        match resource.kind.spec().service {
            Service::DynamoDb => self.dynamodb.add_tag(resource, tag).await,
            Service::Ec2 => self.ec2.add_tag(resource, tag).await,
            Service::Rds => self.rds.add_tag(resource, tag).await,
            Service::Efs => self.efs.add_tag(resource, tag).await,
            Service::Fsx => self.fsx.add_tag(resource, tag).await,
        }
    }

    /// Every resource of `kind` in the region, with the fewest calls the service's API allows.
    pub(crate) async fn list(
        &self,
        kind: ResourceKind,
        region: &str,
        account: &str,
        keep: &KeepTags,
    ) -> Result<Vec<Found>, AdapterError> {
        match kind {
            ResourceKind::DynamoDbTable => self.dynamodb.list(region, account, keep).await,
            ResourceKind::EbsVolume => self.ec2.list(region, account, keep).await,
            ResourceKind::RdsDbInstance => self.rds.list_instances(region, keep).await,
            ResourceKind::RdsDbCluster => self.rds.list_clusters(region, keep).await,
            ResourceKind::EfsFileSystem => self.efs.list(region, account, keep).await,
            ResourceKind::FsxFileSystem => self.fsx.list(region, account, keep).await,
        }
    }
}

/// The IAM actions the tagger's and the backfill's calls need, per service; `crate::iam` joins them.
pub(crate) fn actions(service: Service) -> (&'static [&'static str], &'static [&'static str]) {
    match service {
        Service::DynamoDb => (dynamodb::TAGGER_ACTIONS, dynamodb::BACKFILL_ACTIONS),
        Service::Ec2 => (ec2::TAGGER_ACTIONS, ec2::BACKFILL_ACTIONS),
        Service::Rds => (rds::TAGGER_ACTIONS, rds::BACKFILL_ACTIONS),
        Service::Efs => (efs::TAGGER_ACTIONS, efs::BACKFILL_ACTIONS),
        Service::Fsx => (fsx::TAGGER_ACTIONS, fsx::BACKFILL_ACTIONS),
    }
}

/// How [`crate::CallCounter`] names a service's requests (the SDK's service name), and its IAM action prefix.
pub(crate) fn names(service: Service) -> (&'static str, &'static str) {
    match service {
        Service::DynamoDb => ("DynamoDB", "dynamodb"),
        Service::Ec2 => ("EC2", "ec2"),
        Service::Rds => ("RDS", "rds"),
        Service::Efs => ("EFS", "elasticfilesystem"),
        Service::Fsx => ("FSx", "fsx"),
    }
}

/// The services of every kind, once each.
pub(crate) fn services() -> Vec<Service> {
    let mut out: Vec<Service> = ResourceKind::all().map(|k| k.spec().service).collect();
    out.sort();
    out.dedup();
    out
}
