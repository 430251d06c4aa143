//! Which backup selection covers a resource, and whether the resource counts as protected: pure rules for `audit`,
//! following AWS Backup's documented semantics (cited where each rule is written).
//!
//! - `selection`: one account-plan selection or one policy selection, and whether it selects a resource.
//! - `from_policy`: the selections of an Organizations (effective) backup policy.
//! - `schedule`: how often a rule runs, and how old a recovery point may be.
//! - `verdict`: the audit's verdict per resource.
//! - `opt_in`: what opting a region in to resource types would change.
//! - `trail`: whether a region's trails deliver the events the tagger reacts to.

mod from_policy;
mod opt_in;
mod schedule;
mod selection;
mod trail;
mod verdict;

pub use from_policy::selections_from_policy;
pub use opt_in::{opt_in_change, protected_types, OptInChange};
pub use schedule::{longest_gap_minutes, RuleTiming, DEFAULT_COMPLETION_WINDOW_MINUTES, DEFAULT_START_WINDOW_MINUTES};
pub use selection::{glob, Match, Selection, Test};
pub use trail::{FieldSelector, TrailSelector, TrailState};
pub use verdict::{allowed_age_minutes, is_usable_recovery_point, verdict, RecoveryPoints, Verdict};
