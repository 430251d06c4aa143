//! What was done with one event: the Lambda's JSON answer.

use serde::Serialize;

/// What was done with one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub action: Action,
    /// The resource ARN, where the event named one.
    pub resource: Option<String>,
    pub reason: String,
    #[serde(rename = "eventName", skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    /// The tag value now on the resource, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Time spent handling the event, AWS calls included.
    #[serde(rename = "elapsedMs")]
    pub elapsed_ms: u64,
    /// Launch events: the instances started.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    /// Launch events: each EBS volume of those instances and what was done with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<VolumeOutcome>,
    /// Tag removals naming several resources: each and what was done with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceOutcome>,
}

/// One volume of a launched instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumeOutcome {
    pub instance: String,
    pub resource: String,
    pub action: Action,
    /// The tag value now on the volume.
    pub value: String,
}

/// One resource of a tag removal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceOutcome {
    pub resource: String,
    pub action: Action,
    /// The tag value now on the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Outcome {
    pub(crate) fn new(action: Action, resource: Option<String>, reason: String) -> Outcome {
        Outcome {
            action,
            resource,
            reason,
            event_name: None,
            value: None,
            elapsed_ms: 0,
            instances: Vec::new(),
            volumes: Vec::new(),
            resources: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Tagged,
    Skipped,
    Ignored,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Tagged => "tagged",
            Action::Skipped => "skipped",
            Action::Ignored => "ignored",
        }
    }
}

/// Why a resource is skipped after the guard refused our write.
pub(crate) fn set_meanwhile(key: &str, value: &str) -> String {
    format!("{key} (value {value:?}) was set between our read and our write; the role's guard refused the overwrite")
}

/// Why a resource that has our key is left alone.
pub(crate) fn already_has(key: &str, value: &str) -> String {
    format!("the resource already has {key} (value {value:?}); never overwritten")
}
