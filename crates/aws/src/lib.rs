//! AWS adapters: one small module per service behind the common [`TagStore`] trait, plus the SDK setup
//! (credentials, region, endpoint, retries — all from the AWS SDK's standard chain, so `AWS_ENDPOINT_URL` works).

pub mod counter;
pub mod dynamodb;
pub mod ec2;
pub mod efs;
pub mod error;
pub mod iam;
pub mod inventory;
pub mod logging;
pub mod organizations;
pub mod rds;
mod store;
pub mod tagging;

pub use counter::CallCounter;
pub use error::{AdapterError, Refusal};
pub use inventory::{Found, Inventory};
pub use store::{value_set_meanwhile, Aws, InstanceVolumes, TagStore};
