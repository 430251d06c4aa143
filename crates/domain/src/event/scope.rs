//! Which accounts and regions a function acts for, and the account an event belongs to.

use serde_json::Value;

use crate::arn::check_account;
use crate::catalog::HandledEvent;
use crate::event::error::{inconsistent, invalid, EventError};
use crate::event::EventInput;

/// Which accounts and regions this function acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventScope {
    pub own_account: String,
    pub own_region: String,
    pub extra_accounts: Allow,
    pub extra_regions: Allow,
}

/// An allow-list from configuration: empty, `*` for any, or a comma-separated list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allow {
    Any,
    Only(Vec<String>),
}

impl Allow {
    pub fn parse(spec: Option<&str>) -> Allow {
        match spec.map(str::trim) {
            Some("*") => Allow::Any,
            Some(list) => Allow::Only(
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            None => Allow::Only(Vec::new()),
        }
    }

    fn allows(&self, value: &str) -> bool {
        match self {
            Allow::Any => true,
            Allow::Only(list) => list.iter().any(|v| v == value),
        }
    }
}

impl EventScope {
    /// Only the function's own account and region.
    pub fn own(account: impl Into<String>, region: impl Into<String>) -> EventScope {
        EventScope {
            own_account: account.into(),
            own_region: region.into(),
            extra_accounts: Allow::Only(Vec::new()),
            extra_regions: Allow::Only(Vec::new()),
        }
    }

    pub(crate) fn check(&self, event: &'static HandledEvent, account: &str, region: &str) -> Result<(), EventError> {
        if account != self.own_account && !self.extra_accounts.allows(account) {
            return Err(EventError::ForeignAccount {
                event: event.event_name,
                account: account.to_owned(),
                own: self.own_account.clone(),
            });
        }
        if region != self.own_region && !self.extra_regions.allows(region) {
            return Err(EventError::ForeignRegion {
                event: event.event_name,
                region: region.to_owned(),
                own: self.own_region.clone(),
            });
        }
        Ok(())
    }
}

/// The account the resource lives in: `recipientAccountId`, else the envelope's `account`, else the caller's.
/// Where the record and the envelope both say, they must agree.
pub(crate) fn event_account(event: &'static HandledEvent, input: &EventInput<'_>) -> Result<String, EventError> {
    let detail = input.detail;
    let recipient = match detail.get("recipientAccountId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return Err(EventError::WrongType {
                event: event.event_name,
                field: "recipientAccountId".into(),
                expected: "string",
            })
        }
    };
    if let (Some(r), Some(a)) = (recipient, input.account) {
        if r != a {
            return Err(inconsistent(event, "envelope account and recipientAccountId", a, r));
        }
    }
    let caller = detail.pointer("/userIdentity/accountId").and_then(Value::as_str);
    let account = recipient.or(input.account).or(caller).ok_or(EventError::Missing {
        event: event.event_name,
        fields: "recipientAccountId, account (envelope), userIdentity.accountId".into(),
    })?;
    check_account(account).map_err(|e| invalid(event, "account", account, e))?;
    Ok(account.to_owned())
}
