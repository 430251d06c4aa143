//! CloudTrail "AWS API Call via CloudTrail" events → what to do.
//!
//! `classify` reads an EventBridge event (envelope fields + the CloudTrail record in `detail`) and answers one of:
//! ignore it (not an event we handle), skip it (the call failed, or the request already set our key), or check the
//! resource's current tags. Malformed input for a handled event is an error that says what is wrong; an event for
//! another account or region than ours is refused unless configuration allows it.

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use crate::arn::{check_account, partition_for_region, Arn, ArnError};
use crate::catalog::{handled_event, is_hex_id, HandledEvent, InstancesAt, RequestTagsAt, ResourceKind};
use crate::tags::{value_of, Tag};

/// The EventBridge `detail-type` of CloudTrail management events.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// The resource an event created.
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
    /// CloudTrail truncated the record's `field` ("If a field is truncated, omitted is present with a value of
    /// true", CloudTrail user guide, record contents) and what it kept does not name the created resources. Not a
    /// malformed event: the daily sweep finds the resources.
    Truncated { field: String },
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
                "CloudTrail truncated {field} (omitted: true), so the record does not name every created resource; \
                 the daily sweep tags them"
            ),
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
    /// Read the resource's tags and add ours if the key is absent.
    Check {
        event: &'static HandledEvent,
        resource: ResourceRef,
    },
    /// Find the EBS volumes of these new instances and add our tag to each volume without the key.
    CheckInstanceVolumes {
        event: &'static HandledEvent,
        instances: Vec<InstanceRef>,
    },
}

/// Malformed or refused input. Every message names the event and what is wrong.
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

    fn check(&self, event: &'static HandledEvent, account: &str, region: &str) -> Result<(), EventError> {
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
        return Err(EventError::Inconsistent {
            event: event.event_name,
            what: "EventBridge source and CloudTrail eventSource",
            a: clip(input.source),
            b: clip(event_source),
        });
    }

    let region = field("awsRegion")?;
    partition_for_region(region).map_err(|e| invalid(event, "awsRegion", region, e))?;
    if let Some(envelope_region) = input.region.filter(|r| *r != region) {
        return Err(EventError::Inconsistent {
            event: event.event_name,
            what: "envelope region and awsRegion",
            a: clip(envelope_region),
            b: region.to_owned(),
        });
    }
    let account = event_account(event, input)?;

    // A failed call created nothing: skip before looking for an identity (responseElements is null then).
    if let Some(code) = detail.get("errorCode").filter(|v| !v.is_null()) {
        let error_code = code.as_str().map(str::to_owned).unwrap_or_else(|| code.to_string());
        return Ok(Classification::Skip {
            event,
            resource: None,
            reason: SkipReason::FailedCall { error_code },
        });
    }

    if let Some(at) = event.instances {
        scope.check(event, &account, region)?;
        // A truncated launch response may list only some of the instances: all of them are left to the sweep.
        if let Some(field) = truncated(detail, "responseElements") {
            return Ok(Classification::Skip {
                event,
                resource: None,
                reason: SkipReason::Truncated { field },
            });
        }
        let instances = launched_instances(event, at, detail, region, &account)?;
        let tags = known_request_tags(event, detail)?;
        if let Some(value) = value_of(&tags, key) {
            return Ok(Classification::Skip {
                event,
                resource: None,
                reason: SkipReason::TaggedAtCreation {
                    value: value.to_owned(),
                },
            });
        }
        if instances.is_empty() {
            return Ok(Classification::Skip {
                event,
                resource: None,
                reason: SkipReason::NoInstances,
            });
        }
        return Ok(Classification::CheckInstanceVolumes { event, instances });
    }

    let resource = match identify(event, detail, region, &account) {
        Ok(resource) => resource,
        Err(e) => match truncated(detail, "responseElements").or_else(|| truncated(detail, "requestParameters")) {
            Some(field) => {
                return Ok(Classification::Skip {
                    event,
                    resource: None,
                    reason: SkipReason::Truncated { field },
                })
            }
            None => return Err(e),
        },
    };
    scope.check(event, &resource.arn.account, &resource.arn.region)?;

    let tags = known_request_tags(event, detail)?;
    if let Some(value) = value_of(&tags, key) {
        return Ok(Classification::Skip {
            event,
            resource: Some(resource),
            reason: SkipReason::TaggedAtCreation {
                value: value.to_owned(),
            },
        });
    }
    Ok(Classification::Check { event, resource })
}

/// `field` if CloudTrail marked it truncated. The user guide says only that `omitted` "is present with a value of
/// true"; it is looked for inside the field and at the record's top level.
fn truncated(detail: &Value, field: &str) -> Option<String> {
    let marked = |v: Option<&Value>| v.and_then(|o| o.get("omitted")).and_then(Value::as_bool) == Some(true);
    (marked(detail.get(field)) || marked(Some(detail))).then(|| field.to_owned())
}

/// The request tags where the request is complete; none when CloudTrail truncated `requestParameters` (the
/// resource's tags are then read from the service, which is always safe).
fn known_request_tags(event: &'static HandledEvent, detail: &Value) -> Result<Vec<Tag>, EventError> {
    if truncated(detail, "requestParameters").is_some() {
        return Ok(Vec::new());
    }
    request_tags(event, detail)
}

/// At most 200 characters of an input value, for error messages (an event may be 256 KiB).
fn clip(value: &str) -> String {
    value.chars().take(200).collect()
}

fn invalid(event: &'static HandledEvent, what: &'static str, value: &str, why: impl ToString) -> EventError {
    EventError::Invalid {
        event: event.event_name,
        what,
        value: clip(value),
        // The reason may quote the value again (a parser's message): clipped too.
        why: why.to_string().chars().take(300).collect(),
    }
}

/// The account the resource lives in: `recipientAccountId`, else the envelope's `account`, else the caller's.
/// Where the record and the envelope both say, they must agree.
fn event_account(event: &'static HandledEvent, input: &EventInput<'_>) -> Result<String, EventError> {
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
            return Err(EventError::Inconsistent {
                event: event.event_name,
                what: "envelope account and recipientAccountId",
                a: clip(a),
                b: clip(r),
            });
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

/// The created resource: the ARN from the record where present (checked against the event's account and
/// region), else built from the id in the event's partition.
fn identify(
    event: &'static HandledEvent,
    detail: &Value,
    region: &str,
    account: &str,
) -> Result<ResourceRef, EventError> {
    if let Some((pointer, text)) = first_string(event, detail, event.arn_at)? {
        let arn = Arn::parse(text).map_err(|e: ArnError| invalid(event, "ARN", text, e))?;
        let resource = ResourceRef::from_arn(event.kind, arn)
            .map_err(|why| invalid(event, "ARN", text, format!("{pointer}: {why}")))?;
        for (what, a, b) in [
            ("ARN region and awsRegion", &resource.arn.region, region),
            ("ARN account and event account", &resource.arn.account, account),
        ] {
            if a != b {
                return Err(EventError::Inconsistent {
                    event: event.event_name,
                    what,
                    a: a.clone(),
                    b: b.to_owned(),
                });
            }
        }
        return Ok(resource);
    }
    let Some((_, id)) = first_string(event, detail, event.id_at)? else {
        let mut fields: Vec<String> = event.arn_at.iter().chain(event.id_at).map(|p| dotted(p)).collect();
        fields.dedup();
        return Err(EventError::Missing {
            event: event.event_name,
            fields: fields.join(", "),
        });
    };
    if !event.kind.is_valid_id(id) {
        return Err(invalid(
            event,
            "resource id",
            id,
            format!("not a valid {} identifier", event.kind.label()),
        ));
    }
    let arn = Arn::build(event.kind.arn_service(), region, account, &event.kind.arn_resource(id))
        .map_err(|e| invalid(event, "ARN parts", id, e))?;
    let id = event.kind.id_in_arn_resource(&arn.resource).unwrap_or(id).to_owned();
    Ok(ResourceRef {
        kind: event.kind,
        id,
        arn,
    })
}

/// The instances a launch event started, in record order, without duplicates. Every id is validated.
fn launched_instances(
    event: &'static HandledEvent,
    at: InstancesAt,
    detail: &Value,
    region: &str,
    account: &str,
) -> Result<Vec<InstanceRef>, EventError> {
    let mut ids: Vec<&str> = Vec::new();
    match at {
        InstancesAt::InstancesSet => {
            const ITEMS: &str = "/responseElements/instancesSet/items";
            let items = array_at(event, detail.pointer(ITEMS), &dotted(ITEMS))?.ok_or_else(|| EventError::Missing {
                event: event.event_name,
                fields: dotted(ITEMS),
            })?;
            for (i, item) in items.iter().enumerate() {
                let id = item
                    .get("instanceId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| EventError::WrongType {
                        event: event.event_name,
                        field: format!("{}[{i}].instanceId", dotted(ITEMS)),
                        expected: "string",
                    })?;
                ids.push(id);
            }
        }
        InstancesAt::FleetInstanceSet => {
            const AT: [&str; 2] = [
                "/responseElements/CreateFleetResponse/fleetInstanceSet",
                "/responseElements/fleetInstanceSet",
            ];
            // EC2's XML answer as CloudTrail records it: a list may be `{"item": x}` or `{"item": [x, ...]}` or a
            // plain array, and a single id a plain string.
            if let Some(set) = AT.iter().find_map(|p| detail.pointer(p).filter(|v| !v.is_null())) {
                for entry in xml_items(set) {
                    let Some(list) = entry.get("instanceIds") else { continue };
                    for id in xml_items(list) {
                        ids.push(id.as_str().ok_or_else(|| EventError::WrongType {
                            event: event.event_name,
                            field: "fleetInstanceSet[].instanceIds".into(),
                            expected: "string instance ids",
                        })?);
                    }
                }
            }
        }
    }
    let mut instances: Vec<InstanceRef> = Vec::with_capacity(ids.len());
    for id in ids {
        if !is_hex_id(id, "i-") {
            return Err(invalid(
                event,
                "instance id",
                id,
                "not an EC2 instance id (i- and hex digits)",
            ));
        }
        if instances.iter().any(|i| i.id == id) {
            continue;
        }
        let arn = Arn::build("ec2", region, account, &format!("instance/{id}"))
            .map_err(|e| invalid(event, "ARN parts", id, e))?;
        instances.push(InstanceRef { id: id.to_owned(), arn });
    }
    Ok(instances)
}

/// The elements of an EC2 XML-style list: `{"item": x}` → x's elements, an array → its elements, else the value.
fn xml_items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Object(o) if o.contains_key("item") => xml_items(&o["item"]),
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// `/a/b` → `a.b`, for messages.
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// The first non-empty string at one of `pointers`; a present value of another type is an error.
fn first_string<'v>(
    event: &'static HandledEvent,
    detail: &'v Value,
    pointers: &[&'static str],
) -> Result<Option<(&'static str, &'v str)>, EventError> {
    for pointer in pointers {
        match detail.pointer(pointer) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if s.is_empty() => continue,
            Some(Value::String(s)) => return Ok(Some((pointer, s))),
            Some(_) => {
                return Err(EventError::WrongType {
                    event: event.event_name,
                    field: dotted(pointer),
                    expected: "string",
                })
            }
        }
    }
    Ok(None)
}

/// The tags the creation request set, wherever this event carries them.
pub fn request_tags(event: &'static HandledEvent, detail: &Value) -> Result<Vec<Tag>, EventError> {
    match event.request_tags {
        RequestTagsAt::TagList(pointer) => tag_list(event, detail.pointer(pointer), &dotted(pointer)),
        RequestTagsAt::TagSpecifications { items, resource_type } => {
            let Some(list) = array_at(event, detail.pointer(items), &dotted(items))? else {
                return Ok(Vec::new());
            };
            let mut tags = Vec::new();
            for (i, item) in list.iter().enumerate() {
                if item.get("resourceType").and_then(Value::as_str) == Some(resource_type) {
                    let field = format!("{}[{i}].tags", dotted(items));
                    tags.extend(tag_list(event, item.get("tags"), &field)?);
                }
            }
            Ok(tags)
        }
        RequestTagsAt::NotInRequest => Ok(Vec::new()),
    }
}

fn array_at<'v>(
    event: &'static HandledEvent,
    v: Option<&'v Value>,
    field: &str,
) -> Result<Option<&'v Vec<Value>>, EventError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(EventError::WrongType {
            event: event.event_name,
            field: field.to_owned(),
            expected: "array",
        }),
    }
}

/// `[{ "key": ..., "value": ... }]` (CloudTrail's lowercase; `Key`/`Value` tolerated).
fn tag_list(event: &'static HandledEvent, v: Option<&Value>, field: &str) -> Result<Vec<Tag>, EventError> {
    let Some(list) = array_at(event, v, field)? else {
        return Ok(Vec::new());
    };
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let text = |a: &str, b: &str| t.get(a).or_else(|| t.get(b)).and_then(Value::as_str);
            match (text("key", "Key"), text("value", "Value")) {
                (Some(k), v) => Ok(Tag::new(k, v.unwrap_or(""))),
                (None, _) => Err(EventError::WrongType {
                    event: event.event_name,
                    field: format!("{field}[{i}]"),
                    expected: "an object with a string `key`",
                }),
            }
        })
        .collect()
}
