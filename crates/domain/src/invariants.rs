//! The properties every classification must have, whatever the input: used by the fuzz target
//! (crates/domain/fuzz) and by the corpus regression test, so a violation is a crash the fuzzer reports.

use serde_json::Value;

use crate::event::ResourceRef;
use crate::event::{classify, Classification, EventError, EventInput, EventScope};
use crate::kinds::is_hex_id;

/// Classifies a whole EventBridge event for `scope` and panics if the answer breaks an invariant:
/// - a resource to check (created, or whose tags were removed) lives in the scope's own account and region, its ARN
///   has the kind's service and resource form, and its id is valid for the kind;
/// - launched instances are valid, distinct instance ids in the own account and region, at least one;
/// - error messages stay short (at most 2 KiB), whatever the input's size.
pub fn classify_checked(event: &Value, scope: &EventScope, key: &str) -> Result<Classification, EventError> {
    let result = EventInput::from_envelope(event).and_then(|input| classify(&input, scope, key));
    match &result {
        Ok(Classification::Check { resource, event }) => {
            assert_eq!(Some(resource.kind), event.kind());
            own_and_well_formed(resource, scope);
        }
        Ok(Classification::Recheck { resources, event }) => {
            assert!(!resources.is_empty());
            for (i, resource) in resources.iter().enumerate() {
                assert!(event.kind().is_none_or(|k| k == resource.kind));
                own_and_well_formed(resource, scope);
                assert!(
                    resources[..i].iter().all(|o| o.arn != resource.arn),
                    "duplicate resource"
                );
            }
        }
        Ok(Classification::CheckInstanceVolumes { instances, .. }) => {
            assert!(!instances.is_empty());
            for (i, instance) in instances.iter().enumerate() {
                assert!(is_hex_id(&instance.id, "i-"), "invalid instance id");
                assert_eq!(instance.arn.account, scope.own_account, "foreign account accepted");
                assert_eq!(instance.arn.region, scope.own_region, "foreign region accepted");
                assert!(instances[..i].iter().all(|o| o.id != instance.id), "duplicate instance");
            }
        }
        Ok(Classification::Skip { resource: Some(r), .. }) => {
            assert_eq!(r.arn.account, scope.own_account, "foreign account accepted");
        }
        Ok(_) => {}
        Err(e) => assert!(
            e.to_string().len() <= 2048,
            "error message of {} bytes",
            e.to_string().len()
        ),
    }
    result
}

fn own_and_well_formed(resource: &ResourceRef, scope: &EventScope) {
    assert_eq!(resource.arn.account, scope.own_account, "foreign account accepted");
    assert_eq!(resource.arn.region, scope.own_region, "foreign region accepted");
    assert_eq!(resource.arn.service, resource.kind.arn_service());
    assert_eq!(
        resource.kind.id_in_arn_resource(&resource.arn.resource),
        Some(resource.id.as_str()),
        "ARN and id disagree"
    );
    assert!(resource.kind.is_valid_id(&resource.id));
}
