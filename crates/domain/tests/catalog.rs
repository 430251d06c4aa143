//! The handled-events table: unique rows, identities, EventBridge sources.

use superwerker_backup_domain::catalog::{handled_event, Effect, HANDLED_EVENTS};
use superwerker_backup_domain::ResourceKind;

#[test]
fn table_has_unique_rows_and_consistent_sources() {
    for (i, a) in HANDLED_EVENTS.iter().enumerate() {
        for b in &HANDLED_EVENTS[i + 1..] {
            assert!(
                (a.event_source, a.event_name) != (b.event_source, b.event_name),
                "duplicate row {}",
                a.event_name
            );
        }
        assert!(a.event_source.ends_with(".amazonaws.com"));
        if let Effect::Creates { arn_at, id_at, .. } = a.effect {
            assert!(
                !arn_at.is_empty() || !id_at.is_empty(),
                "{} has no identity",
                a.event_name
            );
            assert!(arn_at.iter().chain(id_at).all(|p| p.starts_with('/')));
        }
    }
}

#[test]
fn lookup_and_eventbridge_source() {
    let e = handled_event("ec2.amazonaws.com", "CreateVolume").unwrap();
    assert_eq!(e.kind(), Some(ResourceKind::EbsVolume));
    assert_eq!(e.eventbridge_source(), "aws.ec2");
    assert_eq!(
        handled_event("rds.amazonaws.com", "CreateDBInstance")
            .unwrap()
            .eventbridge_source(),
        "aws.rds"
    );
    let untag = handled_event("tagging.amazonaws.com", "UntagResources").unwrap();
    assert_eq!(untag.eventbridge_source(), "aws.tagging");
    assert_eq!(untag.kind(), None);
    assert!(handled_event("ec2.amazonaws.com", "CreateTable").is_none());
    assert!(handled_event("dynamodb.amazonaws.com", "DeleteTable").is_none());
}
