//! The tagger's configuration, read once (environment variables), validated, then typed.

use std::time::Duration;

use superwerker_backup_domain::event::Allow;
use superwerker_backup_domain::{EventScope, TagSettings};

use crate::error::TaggerError;

/// Environment variable: this function's account id. Normally read from the invoked function's ARN, else asked of
/// STS; set it to override both.
pub const ENV_ACCOUNT_ID: &str = "SUPERWERKER_BACKUP_ACCOUNT_ID";
/// Environment variable: further accounts whose events are accepted (`*` or a comma-separated list).
pub const ENV_ALLOWED_ACCOUNTS: &str = "SUPERWERKER_BACKUP_ALLOWED_ACCOUNTS";
/// Environment variable: further regions whose events are accepted (`*` or a comma-separated list).
pub const ENV_ALLOWED_REGIONS: &str = "SUPERWERKER_BACKUP_ALLOWED_REGIONS";
/// Environment variable: attempts at a resource that is not visible yet (default 8).
pub const ENV_VISIBILITY_ATTEMPTS: &str = "SUPERWERKER_BACKUP_VISIBILITY_ATTEMPTS";
/// Environment variable: first delay between those attempts, in milliseconds (default 200, doubling to 5 s).
pub const ENV_VISIBILITY_DELAY_MS: &str = "SUPERWERKER_BACKUP_VISIBILITY_DELAY_MS";

/// Bounded retries for a resource that is not visible yet. The SDK retries throttling and transient errors on its
/// own; this covers only "the resource does not exist yet / is still being created".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VisibilityRetry {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for VisibilityRetry {
    fn default() -> Self {
        VisibilityRetry {
            max_attempts: 8,
            first_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// Everything the handler needs besides the store.
#[derive(Clone, Debug)]
pub struct TaggerConfig {
    pub settings: TagSettings,
    /// Overrides the account read from the invoked function's ARN.
    pub account_override: Option<String>,
    pub region: String,
    pub extra_accounts: Allow,
    pub extra_regions: Allow,
    pub retry: VisibilityRetry,
}

impl TaggerConfig {
    /// Reads the configuration through `lookup` (in production `std::env::var`).
    pub fn from_lookup(region: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, TaggerError> {
        let settings = TagSettings::from_lookup(&lookup)?;
        let number = |name: &'static str, default: u64| -> Result<u64, TaggerError> {
            match lookup(name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(value) => value.parse().map_err(|_| TaggerError::BadNumber { name, value }),
            }
        };
        let retry = VisibilityRetry {
            max_attempts: number(ENV_VISIBILITY_ATTEMPTS, 8)?.clamp(1, 100) as u32,
            first_delay: Duration::from_millis(number(ENV_VISIBILITY_DELAY_MS, 200)?),
            max_delay: Duration::from_secs(5),
        };
        Ok(TaggerConfig {
            settings,
            account_override: lookup(ENV_ACCOUNT_ID).filter(|v| !v.is_empty()),
            region: region.to_owned(),
            extra_accounts: Allow::parse(lookup(ENV_ALLOWED_ACCOUNTS).as_deref()),
            extra_regions: Allow::parse(lookup(ENV_ALLOWED_REGIONS).as_deref()),
            retry,
        })
    }

    /// The account this invocation serves, without asking AWS: the override, else the invoked function's ARN. `None`
    /// where the ARN names no account (a local run under `cargo lambda watch`): then the caller's account counts.
    pub fn known_account(&self, invoked_function_arn: &str) -> Option<String> {
        self.account_override.clone().or_else(|| {
            invoked_function_arn
                .split(':')
                .nth(4)
                .filter(|a| superwerker_backup_domain::arn::check_account(a).is_ok())
                .map(str::to_owned)
        })
    }

    /// The scope of an invocation for `account`.
    pub fn scope(&self, account: String) -> EventScope {
        EventScope {
            own_account: account,
            own_region: self.region.clone(),
            extra_accounts: self.extra_accounts.clone(),
            extra_regions: self.extra_regions.clone(),
        }
    }
}
