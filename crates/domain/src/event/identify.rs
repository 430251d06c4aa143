//! Finding the resources a record names: the created resource, the launched instances, the resources whose tags
//! were removed, and the tags the request set.

use serde_json::Value;

use crate::arn::{Arn, ArnError};
use crate::catalog::{HandledEvent, InstancesAt, KeysAt, RequestTagsAt, TargetsAt};
use crate::event::error::{inconsistent, invalid, EventError};
use crate::event::json::{array_at, dotted, first_string, strings_at, tag_list, truncated, xml_items};
use crate::event::{InstanceRef, ResourceRef};
use crate::kinds::{is_hex_id, ResourceKind};
use crate::tags::Tag;

/// A resource of `kind` from an ARN in the record, checked against the event's account and region.
pub(crate) fn from_record_arn(
    event: &'static HandledEvent,
    kind: ResourceKind,
    text: &str,
    field: &str,
    region: &str,
    account: &str,
) -> Result<ResourceRef, EventError> {
    let arn = Arn::parse(text).map_err(|e: ArnError| invalid(event, "ARN", text, e))?;
    let resource =
        ResourceRef::from_arn(kind, arn).map_err(|why| invalid(event, "ARN", text, format!("{field}: {why}")))?;
    if resource.arn.region != region {
        return Err(inconsistent(
            event,
            "ARN region and awsRegion",
            &resource.arn.region,
            region,
        ));
    }
    if resource.arn.account != account {
        return Err(inconsistent(
            event,
            "ARN account and event account",
            &resource.arn.account,
            account,
        ));
    }
    Ok(resource)
}

/// A resource of `kind` built from an id in the record, in the event's partition.
pub(crate) fn from_id(
    event: &'static HandledEvent,
    kind: ResourceKind,
    id: &str,
    region: &str,
    account: &str,
) -> Result<ResourceRef, EventError> {
    if !kind.is_valid_id(id) {
        return Err(invalid(
            event,
            "resource id",
            id,
            format!("not a valid {} identifier", kind.label()),
        ));
    }
    let arn = Arn::build(kind.arn_service(), region, account, &kind.arn_resource(id))
        .map_err(|e| invalid(event, "ARN parts", id, e))?;
    let id = kind.id_in_arn_resource(&arn.resource).unwrap_or(id).to_owned();
    Ok(ResourceRef { kind, id, arn })
}

/// The created resource: the ARN from the record where present, else built from the id.
pub(crate) fn created(
    event: &'static HandledEvent,
    kind: ResourceKind,
    arn_at: &[&'static str],
    id_at: &[&'static str],
    detail: &Value,
    region: &str,
    account: &str,
) -> Result<ResourceRef, EventError> {
    if let Some((pointer, text)) = first_string(event, detail, arn_at)? {
        return from_record_arn(event, kind, text, &dotted(pointer), region, account);
    }
    let Some((_, id)) = first_string(event, detail, id_at)? else {
        let mut fields: Vec<String> = arn_at.iter().chain(id_at).map(|p| dotted(p)).collect();
        fields.dedup();
        return Err(EventError::Missing {
            event: event.event_name,
            fields: fields.join(", "),
        });
    };
    from_id(event, kind, id, region, account)
}

/// The string `field` of every item of the required list at `at` (`items[i].field`), in order.
fn item_strings<'a>(
    event: &'static HandledEvent,
    detail: &'a Value,
    at: &str,
    field: &str,
) -> Result<Vec<&'a str>, EventError> {
    let items = array_at(event, detail.pointer(at), &dotted(at))?.ok_or_else(|| EventError::Missing {
        event: event.event_name,
        fields: dotted(at),
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.get(field)
                .and_then(Value::as_str)
                .ok_or_else(|| EventError::WrongType {
                    event: event.event_name,
                    field: format!("{}[{i}].{field}", dotted(at)),
                    expected: "string",
                })
        })
        .collect()
}

/// The instances a launch event started, in record order, without duplicates. Every id is validated.
pub(crate) fn launched_instances(
    event: &'static HandledEvent,
    at: InstancesAt,
    detail: &Value,
    region: &str,
    account: &str,
) -> Result<Vec<InstanceRef>, EventError> {
    let mut ids: Vec<&str> = Vec::new();
    match at {
        InstancesAt::InstancesSet => {
            ids = item_strings(event, detail, "/responseElements/instancesSet/items", "instanceId")?;
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

/// The resources of ours a tag-removal call names, in record order, without duplicates. Resources of other kinds
/// (an instance's id, a bucket's ARN) are not ours and left out; ours must be in the event's account and region.
pub(crate) fn removal_targets(
    event: &'static HandledEvent,
    targets: TargetsAt,
    detail: &Value,
    region: &str,
    account: &str,
) -> Result<Vec<ResourceRef>, EventError> {
    let mut out: Vec<ResourceRef> = Vec::new();
    let mut push = |r: ResourceRef| {
        if !out.iter().any(|o| o.arn == r.arn) {
            out.push(r);
        }
    };
    let from_arn = |text: &str, field: &str| -> Result<Option<ResourceRef>, EventError> {
        let arn = Arn::parse(text).map_err(|e| invalid(event, "ARN", text, e))?;
        match ResourceKind::of_arn(&arn) {
            Some(kind) => from_record_arn(event, kind, text, field, region, account).map(Some),
            None => Ok(None),
        }
    };
    match targets {
        TargetsAt::Arn(at) => {
            let (_, text) = first_string(event, detail, &[at])?.ok_or_else(|| EventError::Missing {
                event: event.event_name,
                fields: dotted(at),
            })?;
            if let Some(r) = from_arn(text, &dotted(at))? {
                push(r);
            }
        }
        TargetsAt::ArnList(at) => {
            for text in strings_at(event, detail, at)?.unwrap_or_default() {
                if let Some(r) = from_arn(text, &dotted(at))? {
                    push(r);
                }
            }
        }
        TargetsAt::Ec2Items { items, kind } => {
            for id in item_strings(event, detail, items, "resourceId")? {
                if kind.is_valid_id(id) {
                    push(from_id(event, kind, id, region, account)?);
                }
            }
        }
        TargetsAt::Id { at, kind } => {
            let (_, id) = first_string(event, detail, &[at])?.ok_or_else(|| EventError::Missing {
                event: event.event_name,
                fields: dotted(at),
            })?;
            // EFS's UntagResource also takes access points (fsap-…): not ours.
            if kind.is_valid_id(id) {
                push(from_id(event, kind, id, region, account)?);
            }
        }
    }
    Ok(out)
}

/// The keys a tag-removal call removes: `Some(keys)` when the record says, `None` when it does not (absent, empty,
/// redacted) or when the call removes every user tag.
pub(crate) fn removed_keys(detail: &Value, keys: KeysAt) -> Option<Vec<String>> {
    if truncated(detail, "requestParameters").is_some() {
        return None;
    }
    let list: Vec<String> = match keys {
        KeysAt::List(at) => detail
            .pointer(at)?
            .as_array()?
            .iter()
            .map(|k| k.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()?,
        KeysAt::Ec2TagSet(at) => xml_items(detail.pointer(at)?)
            .into_iter()
            .map(|t| t.get("key").and_then(Value::as_str).map(str::to_owned))
            .collect::<Option<Vec<_>>>()?,
    };
    (!list.is_empty()).then_some(list)
}

/// The tags the creation request set, wherever this event carries them; none when CloudTrail truncated
/// `requestParameters` (the resource's tags are then read from the service, which is always safe).
pub fn request_tags(event: &'static HandledEvent, at: RequestTagsAt, detail: &Value) -> Result<Vec<Tag>, EventError> {
    if truncated(detail, "requestParameters").is_some() {
        return Ok(Vec::new());
    }
    match at {
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
