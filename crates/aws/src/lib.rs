//! The one crate that talks to AWS: one adapter module per service, all returning domain types, behind the `Aws`
//! facade (credentials, region, endpoint, retries — all from the AWS SDK's standard chain, so `AWS_ENDPOINT_URL`
//! works), with a counter of every request sent.

pub mod alerts;
pub mod backup;
pub mod chain_record;
pub mod config;
pub mod counter;
pub mod error;
pub mod iam;
pub mod inventory;
#[cfg(any(test, feature = "memory"))]
pub mod memory;
pub mod organizations;
pub mod queue;
mod recovery_points;
pub mod reports;
pub mod roles;
pub mod services;
mod store;
mod sts;
pub mod trails;

pub use counter::CallCounter;
pub use error::{AdapterError, ErrorKind, Refusal};
pub use inventory::{Found, KeepTags};
pub use services::ec2_launches::{AttachedVolume, AttachedVolumes};
pub use store::{value_set_meanwhile, Aws, InstanceVolumes, TagStore};
