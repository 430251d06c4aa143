//! Errors from the AWS adapters. What kind of failure an AWS error is gets decided once, here, where the SDK error is
//! read; callers match on [`ErrorKind`], never on error-code strings.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use thiserror::Error;

/// What kind of failure, as far as any caller needs to tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource does not exist — or, just after its creation, is not visible yet (eventual consistency).
    NotFound,
    /// The resource exists but cannot take the request yet (a DynamoDB table still `CREATING`).
    NotReady,
    /// IAM refused the call, and why as far as AWS says.
    Refused(Refusal),
    /// A request-rate quota (the SDK retries these on its own before they reach a caller).
    Throttled,
    /// A resource limit, e.g. the resource has the most tags it may have.
    Limit,
    /// The service failed (HTTP 5xx); worth trying again later.
    Unavailable,
    /// Anything else.
    Other,
}

/// Why IAM refused a call, as AWS's access-denied message says it (IAM user guide, "Troubleshoot access denied error
/// messages": "... is not authorized to perform: <action> on resource: <arn> because no identity-based policy allows
/// the <action> action", "... with an explicit deny in a service control policy", "... because no resource-based
/// policy allows ...").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No identity-based policy allows the request: a missing permission, or a condition that does not hold — such
    /// as the never-overwrite guard on a resource that has the key.
    NoIdentityPolicyAllows,
    /// A policy denies it explicitly; the policy type as the message names it (e.g. "service control policy").
    ExplicitDeny(String),
    /// The resource's own policy allows no such request.
    NoResourcePolicyAllows,
    /// The message does not say (older services, or a generic 403).
    Unspecified,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoIdentityPolicyAllows => write!(f, "no identity-based policy allows it"),
            Refusal::ExplicitDeny(by) => write!(f, "explicit deny in a {by}"),
            Refusal::NoResourcePolicyAllows => write!(f, "no resource-based policy allows it"),
            Refusal::Unspecified => write!(f, "access denied, reason not given"),
        }
    }
}

impl Refusal {
    /// Reads the reason from an access-denied message.
    pub fn from_message(message: &str) -> Refusal {
        let m = message.to_ascii_lowercase();
        let explicit = m
            .split("with an explicit deny in an ")
            .nth(1)
            .or_else(|| m.split("with an explicit deny in a ").nth(1));
        if let Some(rest) = explicit {
            let by = rest.split(['.', ':', ',']).next().unwrap_or("").trim();
            return Refusal::ExplicitDeny(if by.is_empty() { "policy".into() } else { by.to_owned() });
        }
        if m.contains("no identity-based policy allows") {
            Refusal::NoIdentityPolicyAllows
        } else if m.contains("no resource-based policy allows") {
            Refusal::NoResourcePolicyAllows
        } else {
            Refusal::Unspecified
        }
    }
}

/// AWS error codes by kind, across the services this crate calls (each service's API reference, Errors).
const NOT_FOUND: &[&str] = &[
    "ResourceNotFoundException",
    "InvalidVolume.NotFound",
    "InvalidInstanceID.NotFound",
    "DBInstanceNotFound",
    "DBInstanceNotFoundFault",
    "DBClusterNotFoundFault",
    "FileSystemNotFound",
    "NoSuchEntity",
    "EffectivePolicyNotFoundException",
    "PolicyNotFoundException",
];
const NOT_READY: &[&str] = &[
    "ResourceInUseException",
    "InvalidDBInstanceState",
    "InvalidDBClusterStateFault",
];
const REFUSED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
];
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
];
const LIMIT: &[&str] = &[
    "TagLimitExceeded",
    "TagQuotaPerResourceExceeded",
    "TooManyTagsException",
    "LimitExceededException",
];

impl ErrorKind {
    /// The kind of an AWS error from its code, its message and the HTTP status where known.
    pub fn classify(code: Option<&str>, message: &str, status: Option<u16>) -> ErrorKind {
        let code = code.unwrap_or("");
        if REFUSED.contains(&code) || status == Some(403) && code.is_empty() {
            return ErrorKind::Refused(Refusal::from_message(message));
        }
        if NOT_FOUND.contains(&code) {
            ErrorKind::NotFound
        } else if NOT_READY.contains(&code) {
            ErrorKind::NotReady
        } else if THROTTLED.contains(&code) || status == Some(429) {
            ErrorKind::Throttled
        } else if LIMIT.contains(&code) {
            ErrorKind::Limit
        } else if status.is_some_and(|s| s >= 500) || code == "InternalServiceException" {
            ErrorKind::Unavailable
        } else {
            ErrorKind::Other
        }
    }
}

#[derive(Debug, Error, Clone)]
#[error("{operation} on {resource} failed{}: {message}", .code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
pub struct AdapterError {
    pub operation: &'static str,
    pub resource: String,
    pub kind: ErrorKind,
    /// The AWS error code, where AWS sent one; `None` for failures that did not come from AWS.
    pub code: Option<String>,
    pub message: String,
}

impl AdapterError {
    /// Reads an SDK error once: its code, message and kind.
    pub fn from_sdk<E>(operation: &'static str, resource: &str, err: E) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().map(str::to_owned);
        let message = err
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
        AdapterError {
            operation,
            resource: resource.to_owned(),
            kind: ErrorKind::classify(code.as_deref(), &message, None),
            code,
            message,
        }
    }

    /// A failure that did not come from AWS (an answer we cannot use, a task that died).
    pub fn local(operation: &'static str, resource: &str, kind: ErrorKind, message: impl Into<String>) -> Self {
        AdapterError {
            operation,
            resource: resource.to_owned(),
            kind,
            code: None,
            message: message.into(),
        }
    }

    /// The same failure, for another resource (a batch call's error, for each resource in the batch).
    pub fn for_resource(&self, resource: &str) -> Self {
        AdapterError {
            resource: resource.to_owned(),
            ..self.clone()
        }
    }

    /// Not there, or not ready yet: for a resource just created, worth retrying within bounds.
    pub fn is_not_visible_yet(&self) -> bool {
        matches!(self.kind, ErrorKind::NotFound | ErrorKind::NotReady)
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// IAM refused the call: for a tag write, the role's never-overwrite guard (the resource has the key by now) or
    /// a missing permission.
    pub fn is_refused(&self) -> bool {
        matches!(self.kind, ErrorKind::Refused(_))
    }

    /// Why IAM refused the call; `None` when it is no refusal.
    pub fn refusal(&self) -> Option<&Refusal> {
        match &self.kind {
            ErrorKind::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// Worth trying again within the same run (throttling, a service failure).
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Unavailable)
    }
}

/// `map_err(sdk("Service.Operation", what))` for a paginator's SDK errors.
/// A lookup's answer as existence: found is `true`, not found is `false`, any other error stays an error.
pub(crate) fn exists<T>(found: Result<T, AdapterError>) -> Result<bool, AdapterError> {
    match found {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(e),
    }
}

pub(crate) fn sdk<'a, E>(operation: &'static str, what: &'a str) -> impl FnOnce(E) -> AdapterError + 'a
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    move |e| AdapterError::from_sdk(operation, what, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_apart_by_the_message() {
        let arn = "arn:aws:dynamodb:eu-central-1:111122223333:table/t";
        let role =
            "User: arn:aws:sts::111122223333:assumed-role/r/s is not authorized to perform: dynamodb:TagResource";
        assert_eq!(
            Refusal::from_message(&format!(
                "{role} on resource: {arn} because no identity-based policy allows the dynamodb:TagResource action"
            )),
            Refusal::NoIdentityPolicyAllows
        );
        assert_eq!(
            Refusal::from_message(&format!(
                "{role} on resource: {arn} with an explicit deny in a service control policy"
            )),
            Refusal::ExplicitDeny("service control policy".into())
        );
        assert_eq!(
            Refusal::from_message(&format!(
                "{role} on resource: {arn} with an explicit deny in an identity-based policy: arn:aws:iam::1:policy/p"
            )),
            Refusal::ExplicitDeny("identity-based policy".into())
        );
        assert_eq!(
            Refusal::from_message(&format!(
                "{role} on resource: {arn} because no resource-based policy allows it"
            )),
            Refusal::NoResourcePolicyAllows
        );
        assert_eq!(Refusal::from_message("Access Denied"), Refusal::Unspecified);
    }

    #[test]
    fn kinds_by_code_and_status() {
        assert_eq!(
            ErrorKind::classify(Some("InvalidVolume.NotFound"), "", None),
            ErrorKind::NotFound
        );
        assert_eq!(
            ErrorKind::classify(Some("ResourceInUseException"), "", None),
            ErrorKind::NotReady
        );
        assert_eq!(
            ErrorKind::classify(Some("RequestLimitExceeded"), "", None),
            ErrorKind::Throttled
        );
        assert_eq!(
            ErrorKind::classify(Some("TagLimitExceeded"), "", None),
            ErrorKind::Limit
        );
        assert_eq!(ErrorKind::classify(None, "", Some(503)), ErrorKind::Unavailable);
        assert_eq!(ErrorKind::classify(None, "x", Some(429)), ErrorKind::Throttled);
        assert_eq!(
            ErrorKind::classify(Some("UnauthorizedOperation"), "no identity-based policy allows", None),
            ErrorKind::Refused(Refusal::NoIdentityPolicyAllows)
        );
        assert_eq!(
            ErrorKind::classify(Some("ValidationException"), "", None),
            ErrorKind::Other
        );
    }
}
