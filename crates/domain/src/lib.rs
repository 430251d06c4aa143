//! Pure domain rules of superwerker-backup.
//!
//! Resource kinds (one table), CloudTrail event → resource reference → tag decision, the policy documents and the
//! coverage rules, defined once. This crate does no I/O and knows nothing of the AWS SDK: every rule here is
//! unit-tested on plain data.

pub mod alert;
pub mod arn;
pub mod catalog;
pub mod chain;
pub mod coverage;
pub mod decision;
pub mod event;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod invariants;
pub mod kinds;
pub mod metrics;
pub mod names;
pub mod policy;
pub mod quotas;
pub mod settings;
pub mod tags;
pub mod unprotectable;

pub use arn::{partition_for_region, Arn, ArnError};
pub use catalog::{handled_event, Effect, HandledEvent, InstancesAt, HANDLED_EVENTS};
pub use decision::{decide, decides, TagDecision};
pub use event::{
    classify, Classification, EventError, EventScope, InstanceRef, ResourceRef, SkipReason, CLOUDTRAIL_DETAIL_TYPE,
};
pub use kinds::{BulkWrite, KindSpec, ResourceKind, Service, TagsIn, KINDS};
pub use settings::{SettingsError, TagSettings, DEFAULT_TAG_KEY, DEFAULT_TAG_VALUE, ENV_TAG_KEY, ENV_TAG_VALUE};
pub use tags::Tag;
