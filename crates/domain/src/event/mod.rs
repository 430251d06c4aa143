//! CloudTrail "AWS API Call via CloudTrail" events → what to do.
//!
//! `classify` reads an EventBridge event (envelope fields + the CloudTrail record in `detail`) and answers one of:
//! ignore it (not an event we handle), skip it (the call failed, the request already set our key, the record names
//! nothing we can act on), or check resources' current tags. Malformed input for a handled event is an error that
//! says what is wrong; an event for another account or region than ours is refused unless configuration allows it.

mod error;
mod identify;
mod json;
mod scope;

use serde::Serialize;
use serde_json::Value;

use crate::arn::{check_account, partition_for_region, Arn};
use crate::catalog::{handled_event, Effect, HandledEvent};
use crate::event::error::{clip, inconsistent, invalid};
use crate::event::json::truncated;
use crate::kinds::ResourceKind;
use crate::tags::value_of;

pub use error::EventError;
pub use identify::request_tags;
pub use scope::{Allow, EventScope};

/// The EventBridge `detail-type` of CloudTrail management events.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// A resource of one of our kinds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceRef {
    pub kind: ResourceKind,
    /// The id the service's own API uses (table name, volume id, DB instance identifier).
    pub id: String,
    #[serde(serialize_with = "serialize_display")]
    pub arn: Arn,
}

fn serialize_display<S: serde::Serializer>(arn: &Arn, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(arn)
}

impl ResourceRef {
    /// A reference from an ARN of the given kind, checking the ARN's shape.
    pub fn from_arn(kind: ResourceKind, arn: Arn) -> Result<ResourceRef, String> {
        if arn.service != kind.arn_service() {
            return Err(format!("service {:?} is not {:?}", arn.service, kind.arn_service()));
        }
        let expected_partition = partition_for_region(&arn.region).map_err(|e| e.to_string())?;
        if arn.partition != expected_partition {
            return Err(format!(
                "partition {:?} does not match region {:?} (expected {expected_partition:?})",
                arn.partition, arn.region
            ));
        }
        check_account(&arn.account).map_err(|e| e.to_string())?;
        let id = kind
            .id_in_arn_resource(&arn.resource)
            .ok_or_else(|| format!("resource {:?} is not a valid {}", arn.resource, kind.label()))?
            .to_owned();
        Ok(ResourceRef { kind, id, arn })
    }

    /// A reference from an ARN of any of our kinds.
    pub fn parse(arn: &str) -> Result<ResourceRef, String> {
        let parsed = Arn::parse(arn).map_err(|e| e.to_string())?;
        let kind = ResourceKind::of_arn(&parsed).ok_or_else(|| format!("{arn} is not a resource of ours"))?;
        ResourceRef::from_arn(kind, parsed)
    }

    pub fn region(&self) -> &str {
        &self.arn.region
    }
}

/// An EC2 instance a launch event created; its EBS volumes are the resources to protect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceRef {
    pub id: String,
    #[serde(serialize_with = "serialize_display")]
    pub arn: Arn,
}

/// Why an event is skipped without any AWS call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum SkipReason {
    /// The API call failed (`errorCode` is set): nothing was created.
    FailedCall { error_code: String },
    /// The creation request already set our key: that value stands.
    TaggedAtCreation { value: String },
    /// A launch call that started no instance now (an EC2 Fleet of type `maintain` or `request` launches later).
    NoInstances,
    /// CloudTrail truncated the record's `field` and what it kept does not name the resources. Not a malformed event:
    /// the daily sweep finds them.
    Truncated { field: String },
    /// Tags were removed, but not our key.
    OtherKeysRemoved { keys: Vec<String> },
    /// Tags were removed from resources none of which is of a kind we protect.
    NoneOfOurs,
    /// AWS Backup cannot protect the resource as configured: tagging it would promise a backup that never happens.
    Unprotectable { reason: String },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::FailedCall { error_code } => {
                write!(f, "the API call failed ({error_code}); nothing was created")
            }
            SkipReason::TaggedAtCreation { value } => write!(f, "the creation request set the key (value {value:?})"),
            SkipReason::NoInstances => write!(
                f,
                "the call launched no instance (fleets that launch later are covered by their own launches and the sweep)"
            ),
            SkipReason::Truncated { field } => write!(
                f,
                "CloudTrail truncated {field} (omitted: true), so the record does not name every resource; the \
                 daily sweep covers them"
            ),
            SkipReason::OtherKeysRemoved { keys } => {
                write!(f, "only other keys were removed ({})", clip(&keys.join(", ")))
            }
            SkipReason::NoneOfOurs => write!(f, "the call removed tags from no resource of a kind we protect"),
            SkipReason::Unprotectable { reason } => write!(f, "AWS Backup cannot protect this resource: {reason}"),
        }
    }
}

/// What to do with one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classification {
    /// Not an event this service handles: answered `ignored`, not an error.
    Ignored { reason: String },
    /// A handled event that needs no AWS call.
    Skip {
        event: &'static HandledEvent,
        resource: Option<ResourceRef>,
        reason: SkipReason,
    },
    /// Read the created resource's tags and add ours if the key is absent.
    Check {
        event: &'static HandledEvent,
        resource: ResourceRef,
    },
    /// Someone may have removed our key from these resources: read each, add ours where the key is absent.
    Recheck {
        event: &'static HandledEvent,
        resources: Vec<ResourceRef>,
    },
    /// Find the EBS volumes of these new instances and add our tag to each volume without the key.
    CheckInstanceVolumes {
        event: &'static HandledEvent,
        instances: Vec<InstanceRef>,
    },
}

/// The EventBridge envelope fields `classify` reads, and the CloudTrail record (`detail`).
#[derive(Clone, Copy, Debug)]
pub struct EventInput<'a> {
    pub detail_type: &'a str,
    pub source: &'a str,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    pub detail: &'a Value,
}

impl<'a> EventInput<'a> {
    /// Reads the envelope fields from a whole EventBridge event as JSON.
    pub fn from_envelope(event: &'a Value) -> Result<EventInput<'a>, EventError> {
        let text = |field: &'static str| event.get(field).and_then(Value::as_str);
        Ok(EventInput {
            detail_type: text("detail-type").ok_or(EventError::MissingEnvelopeField { field: "detail-type" })?,
            source: text("source").ok_or(EventError::MissingEnvelopeField { field: "source" })?,
            account: text("account"),
            region: text("region"),
            detail: event.get("detail").ok_or(EventError::NoDetail)?,
        })
    }
}

/// Classifies one event. Never panics; no I/O.
pub fn classify(input: &EventInput<'_>, scope: &EventScope, key: &str) -> Result<Classification, EventError> {
    if input.detail_type != CLOUDTRAIL_DETAIL_TYPE {
        return Ok(Classification::Ignored {
            reason: format!("detail-type {:?} is not handled", input.detail_type),
        });
    }
    let detail = input.detail;
    if !detail.is_object() {
        return Err(EventError::NoDetail);
    }
    let field = |name: &'static str| -> Result<&str, EventError> {
        detail
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(EventError::MissingEnvelopeField { field: name })
    };
    let (event_source, event_name) = (field("eventSource")?, field("eventName")?);
    let Some(event) = handled_event(event_source, event_name) else {
        return Ok(Classification::Ignored {
            reason: format!("{event_source} {event_name} is not a handled event"),
        });
    };
    if input.source != event.eventbridge_source() {
        return Err(inconsistent(
            event,
            "EventBridge source and CloudTrail eventSource",
            input.source,
            event_source,
        ));
    }
    let region = field("awsRegion")?;
    partition_for_region(region).map_err(|e| invalid(event, "awsRegion", region, e))?;
    if let Some(envelope_region) = input.region.filter(|r| *r != region) {
        return Err(inconsistent(
            event,
            "envelope region and awsRegion",
            envelope_region,
            region,
        ));
    }
    let account = scope::event_account(event, input)?;

    // A failed call changed nothing: skip before looking for an identity (responseElements is null then).
    if let Some(code) = detail.get("errorCode").filter(|v| !v.is_null()) {
        let error_code = code.as_str().map(str::to_owned).unwrap_or_else(|| code.to_string());
        return Ok(skip(event, None, SkipReason::FailedCall { error_code }));
    }
    let tagged_at_creation = |tags: &[crate::tags::Tag]| {
        value_of(tags, key).map(|value| SkipReason::TaggedAtCreation {
            value: value.to_owned(),
        })
    };
    match event.effect {
        Effect::Launches {
            instances,
            request_tags,
        } => {
            scope.check(event, &account, region)?;
            // A truncated launch response may list only some of the instances: all of them are left to the sweep.
            if let Some(field) = truncated(detail, "responseElements") {
                return Ok(skip(event, None, SkipReason::Truncated { field }));
            }
            let instances = identify::launched_instances(event, instances, detail, region, &account)?;
            if let Some(reason) = tagged_at_creation(&identify::request_tags(event, request_tags, detail)?) {
                return Ok(skip(event, None, reason));
            }
            if instances.is_empty() {
                return Ok(skip(event, None, SkipReason::NoInstances));
            }
            Ok(Classification::CheckInstanceVolumes { event, instances })
        }
        Effect::Creates {
            kind,
            arn_at,
            id_at,
            request_tags,
            attributes,
        } => {
            let resource = match identify::created(event, kind, arn_at, id_at, detail, region, &account) {
                Ok(resource) => resource,
                Err(e) => {
                    return match truncated(detail, "responseElements")
                        .or_else(|| truncated(detail, "requestParameters"))
                    {
                        Some(field) => Ok(skip(event, None, SkipReason::Truncated { field })),
                        None => Err(e),
                    }
                }
            };
            scope.check(event, &resource.arn.account, &resource.arn.region)?;
            // An attribute may be read at several places (the response first): the first that holds a string.
            let attribute = |name: &str| {
                attributes
                    .iter()
                    .filter(|(n, _)| *n == name)
                    .find_map(|(_, at)| detail.pointer(at)?.as_str())
            };
            if let Some(reason) = kind.unprotectable_reason(attribute) {
                let reason = SkipReason::Unprotectable {
                    reason: reason.to_owned(),
                };
                return Ok(skip(event, Some(resource), reason));
            }
            if let Some(reason) = tagged_at_creation(&identify::request_tags(event, request_tags, detail)?) {
                return Ok(skip(event, Some(resource), reason));
            }
            Ok(Classification::Check { event, resource })
        }
        Effect::RemovesTags { targets, keys } => {
            scope.check(event, &account, region)?;
            // A removed key differing from ours only in case counts as ours: it was a conflict (see `decide`), and
            // with it gone the resource may have no key at all.
            let ours = |k: &String| k.eq_ignore_ascii_case(key);
            if let Some(keys) = identify::removed_keys(detail, keys).filter(|k| !k.iter().any(ours)) {
                return Ok(skip(event, None, SkipReason::OtherKeysRemoved { keys }));
            }
            let resources = match identify::removal_targets(event, targets, detail, region, &account) {
                Ok(resources) => resources,
                Err(e) => {
                    return match truncated(detail, "requestParameters") {
                        Some(field) => Ok(skip(event, None, SkipReason::Truncated { field })),
                        None => Err(e),
                    }
                }
            };
            if resources.is_empty() {
                return Ok(skip(event, None, SkipReason::NoneOfOurs));
            }
            Ok(Classification::Recheck { event, resources })
        }
    }
}

fn skip(event: &'static HandledEvent, resource: Option<ResourceRef>, reason: SkipReason) -> Classification {
    Classification::Skip {
        event,
        resource,
        reason,
    }
}
