//! Reading a CloudTrail record's JSON: typed access with errors that name the field.

use serde_json::Value;

use crate::catalog::HandledEvent;
use crate::event::error::EventError;
use crate::tags::Tag;

/// `/a/b` → `a.b`, for messages.
pub(crate) fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// The first non-empty string at one of `pointers`; a present value of another type is an error.
pub(crate) fn first_string<'v>(
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

/// The array at `v`; absent or null is `None`, another type an error.
pub(crate) fn array_at<'v>(
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

/// The strings of the array at `pointer`; absent → `None`; any element not a string is an error.
pub(crate) fn strings_at<'v>(
    event: &'static HandledEvent,
    detail: &'v Value,
    pointer: &str,
) -> Result<Option<Vec<&'v str>>, EventError> {
    let Some(list) = array_at(event, detail.pointer(pointer), &dotted(pointer))? else {
        return Ok(None);
    };
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str().ok_or_else(|| EventError::WrongType {
                event: event.event_name,
                field: format!("{}[{i}]", dotted(pointer)),
                expected: "string",
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The elements of an EC2 XML-style list: `{"item": x}` → x's elements, an array → its elements, else the value.
pub(crate) fn xml_items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Object(o) if o.contains_key("item") => xml_items(&o["item"]),
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// `[{ "key": ..., "value": ... }]` (CloudTrail's lowercase; `Key`/`Value` tolerated).
pub(crate) fn tag_list(event: &'static HandledEvent, v: Option<&Value>, field: &str) -> Result<Vec<Tag>, EventError> {
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

/// `field` if CloudTrail marked it truncated. The user guide says only that `omitted` "is present with a value of
/// true" (CloudTrail user guide, record contents); it is looked for inside the field and at the record's top level.
pub(crate) fn truncated(detail: &Value, field: &str) -> Option<String> {
    let marked = |v: Option<&Value>| v.and_then(|o| o.get("omitted")).and_then(Value::as_bool) == Some(true);
    (marked(detail.get(field)) || marked(Some(detail))).then(|| field.to_owned())
}
