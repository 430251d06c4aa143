//! Errors from the AWS adapters, with the AWS error code kept so callers can tell "not visible yet" from the rest.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use thiserror::Error;

const REFUSED: &[&str] = &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"];

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
        if let Some(rest) = m
            .split("with an explicit deny in an ")
            .nth(1)
            .or_else(|| m.split("with an explicit deny in a ").nth(1))
        {
            let by: String = rest.split(&['.', ':', ','][..]).next().unwrap_or("").trim().to_owned();
            return Refusal::ExplicitDeny(if by.is_empty() { "policy".into() } else { by });
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

#[derive(Debug, Error)]
pub enum AdapterError {
    /// The resource is not visible or not ready yet (just created; eventual consistency). Worth retrying.
    #[error("{operation} on {resource}: not visible yet ({code}): {message}")]
    NotReady {
        operation: &'static str,
        resource: String,
        code: String,
        message: String,
    },
    /// Any other failure, with the AWS error code where the service sent one.
    #[error("{operation} on {resource} failed ({code}): {message}")]
    Failed {
        operation: &'static str,
        resource: String,
        code: String,
        message: String,
    },
}

impl AdapterError {
    pub fn is_not_ready(&self) -> bool {
        matches!(self, AdapterError::NotReady { .. })
    }

    /// IAM refused the call: for a tag write, the role's never-overwrite guard (the resource has the key by now) or
    /// a missing permission. EC2 says `UnauthorizedOperation`, RDS `AccessDenied`, DynamoDB and EFS
    /// `AccessDeniedException`; the Tagging API's per-resource failures with HTTP 403 are mapped to `AccessDenied`.
    pub fn is_refused(&self) -> bool {
        REFUSED.contains(&self.code())
    }

    /// Why IAM refused the call; `None` when it is no refusal.
    pub fn refusal(&self) -> Option<Refusal> {
        let message = match self {
            AdapterError::NotReady { message, .. } | AdapterError::Failed { message, .. } => message,
        };
        self.is_refused().then(|| Refusal::from_message(message))
    }

    pub fn code(&self) -> &str {
        match self {
            AdapterError::NotReady { code, .. } | AdapterError::Failed { code, .. } => code,
        }
    }

    /// Maps an SDK error: the codes in `not_ready_codes` mean "not visible yet".
    pub fn from_sdk<E>(operation: &'static str, resource: &str, err: E, not_ready_codes: &[&str]) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().unwrap_or("NoErrorCode").to_owned();
        let message = err
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
        let resource = resource.to_owned();
        if not_ready_codes.contains(&code.as_str()) {
            AdapterError::NotReady {
                operation,
                resource,
                code,
                message,
            }
        } else {
            AdapterError::Failed {
                operation,
                resource,
                code,
                message,
            }
        }
    }
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
}
