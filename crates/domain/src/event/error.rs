//! Malformed or refused input: every message names the event and what is wrong, quoting at most a bounded part of the
//! input (an event may be 256 KiB).

use thiserror::Error;

use crate::catalog::HandledEvent;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventError {
    #[error("the event has no `detail` object (is this an EventBridge event?)")]
    NoDetail,
    #[error("CloudTrail event: missing or empty field `{field}`")]
    MissingEnvelopeField { field: &'static str },
    #[error("{event}: missing field: none of {fields} is present")]
    Missing { event: &'static str, fields: String },
    #[error("{event}: field `{field}` has the wrong type (expected {expected})")]
    WrongType {
        event: &'static str,
        field: String,
        expected: &'static str,
    },
    #[error("{event}: invalid {what} {value:?}: {why}")]
    Invalid {
        event: &'static str,
        what: &'static str,
        value: String,
        why: String,
    },
    #[error("{event}: {what} disagree: {a:?} vs {b:?}")]
    Inconsistent {
        event: &'static str,
        what: &'static str,
        a: String,
        b: String,
    },
    #[error(
        "refused: {event} for account {account} but this function serves account {own}; \
         allow it with SUPERWERKER_BACKUP_ALLOWED_ACCOUNTS"
    )]
    ForeignAccount {
        event: &'static str,
        account: String,
        own: String,
    },
    #[error(
        "refused: {event} for region {region} but this function serves region {own}; \
         allow it with SUPERWERKER_BACKUP_ALLOWED_REGIONS"
    )]
    ForeignRegion {
        event: &'static str,
        region: String,
        own: String,
    },
}

/// At most 200 characters of an input value, for error messages.
pub(crate) fn clip(value: &str) -> String {
    value.chars().take(200).collect()
}

pub(crate) fn invalid(event: &'static HandledEvent, what: &'static str, value: &str, why: impl ToString) -> EventError {
    EventError::Invalid {
        event: event.event_name,
        what,
        value: clip(value),
        // The reason may quote the value again (a parser's message): clipped too.
        why: why.to_string().chars().take(300).collect(),
    }
}

pub(crate) fn inconsistent(event: &'static HandledEvent, what: &'static str, a: &str, b: &str) -> EventError {
    EventError::Inconsistent {
        event: event.event_name,
        what,
        a: clip(a),
        b: clip(b),
    }
}
