//! Which backup selection covers a resource, and whether the resource counts as protected: pure rules for `audit`,
//! following AWS Backup's documented semantics (cited where each rule is written).
//!
//! - `selection`: one account-plan selection or one policy selection, and whether it selects a resource.
//! - `from_policy`: the selections of an Organizations (effective) backup policy.
//! - `verdict`: the audit's verdict per resource.

mod from_policy;
mod selection;
mod verdict;

pub use from_policy::selections_from_policy;
pub use selection::{glob, Match, Selection, Test};
pub use verdict::{is_usable_recovery_point, verdict, Verdict, MAX_RECOVERY_POINT_AGE_HOURS};
