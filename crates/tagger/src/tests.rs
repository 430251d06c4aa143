//! The handler's tricky branches against the in-memory store: fast, no emulator, states AWS rarely shows on demand.

use std::time::{Duration, Instant};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::{json, Value};
use superwerker_backup_aws::memory::MemoryStore;
use superwerker_backup_aws::ErrorKind;
use superwerker_backup_domain::fixtures::fixture;
use superwerker_backup_domain::{EventScope, ResourceKind, ResourceRef, Tag};

use super::*;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-central-1";
const KEY: &str = "superwerker:backup";

fn envelope(mut detail: Value) -> EventBridgeEvent<Value> {
    detail["awsRegion"] = json!(REGION);
    detail["recipientAccountId"] = json!(ACCOUNT);
    detail["userIdentity"]["accountId"] = json!(ACCOUNT);
    serde_json::from_value(superwerker_backup_domain::fixtures::envelope(detail)).unwrap()
}

fn volume(id: &str) -> ResourceRef {
    ResourceRef::parse(&format!("arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{id}")).unwrap()
}

fn volume_event(id: &str) -> EventBridgeEvent<Value> {
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["responseElements"]["volumeId"] = json!(id);
    envelope(d)
}

fn config(attempts: u32) -> TaggerConfig {
    let mut config = TaggerConfig::from_lookup(REGION, |_| None).unwrap();
    config.retry = VisibilityRetry {
        max_attempts: attempts,
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    };
    config
}

async fn run(store: &MemoryStore, event: &EventBridgeEvent<Value>, attempts: u32) -> Result<Outcome, TaggerError> {
    let scope = EventScope::own(ACCOUNT, REGION);
    handle(store, &config(attempts), &scope, event, None).await
}

fn value(store: &MemoryStore, r: &ResourceRef) -> Option<String> {
    store.tags(r).into_iter().find(|t| t.key == KEY).map(|t| t.value)
}

#[tokio::test]
async fn a_value_set_between_read_and_write_is_kept_when_the_guard_refuses() {
    let store = MemoryStore::new();
    let v = volume("vol-0a");
    store.insert(&v, &[]);
    store.guard(KEY);
    store.set_before_write(&v, Tag::new(KEY, "none"));
    let outcome = run(&store, &volume_event("vol-0a"), 3).await.unwrap();
    assert_eq!(outcome.action, Action::Skipped);
    assert_eq!(outcome.value.as_deref(), Some("none"));
    assert!(outcome.reason.contains("guard refused"), "{}", outcome.reason);
    assert_eq!(value(&store, &v).as_deref(), Some("none"));
}

#[tokio::test]
async fn a_refusal_with_the_key_still_absent_fails_loudly() {
    let store = MemoryStore::new();
    let v = volume("vol-0b");
    store.insert(&v, &[]);
    store.fail_writes(
        &v,
        ErrorKind::Refused(superwerker_backup_aws::Refusal::NoIdentityPolicyAllows),
    );
    let err = run(&store, &volume_event("vol-0b"), 3).await.unwrap_err();
    assert!(matches!(err, TaggerError::Aws { .. }), "{err}");
    assert_eq!(value(&store, &v), None);
}

#[tokio::test]
async fn a_retried_write_reads_again_first_and_never_overwrites() {
    // The first write finds the resource not visible; meanwhile its owner opts it out. Without the guard (the CLI,
    // DynamoDB without ABAC), only the fresh read before the retried write keeps `none`.
    let store = MemoryStore::new();
    let v = volume("vol-0c");
    store.insert(&v, &[]);
    store.set_before_write(&v, Tag::new(KEY, "none"));
    store.fail_next_writes(&v, ErrorKind::NotFound, 1);
    let outcome = run(&store, &volume_event("vol-0c"), 5).await.unwrap();
    assert_eq!(outcome.action, Action::Skipped, "{outcome:?}");
    assert_eq!(
        value(&store, &v).as_deref(),
        Some("none"),
        "overwritten by a retried write"
    );
    assert_eq!(
        store.calls(),
        (2, 1),
        "read, write (not visible), read again; no second write"
    );
}

#[tokio::test]
async fn not_visible_is_retried_within_the_attempts_then_fails_naming_the_resource() {
    let store = MemoryStore::new();
    let v = volume("vol-0d");
    store.insert(&v, &[]);
    store.hide_for(&v, 2);
    let outcome = run(&store, &volume_event("vol-0d"), 3).await.unwrap();
    assert_eq!(outcome.action, Action::Tagged);

    let w = volume("vol-0e");
    store.insert(&w, &[]);
    store.hide_for(&w, 10);
    match run(&store, &volume_event("vol-0e"), 3).await.unwrap_err() {
        TaggerError::NotVisible { resource, attempts, .. } => {
            assert_eq!(attempts, 3);
            assert!(resource.ends_with("volume/vol-0e"));
        }
        other => panic!("{other}"),
    }
    assert_eq!(value(&store, &w), None);
}

#[tokio::test]
async fn the_deadline_ends_the_retries_before_the_attempts_do() {
    let store = MemoryStore::new();
    let v = volume("vol-0f");
    store.insert(&v, &[]);
    store.hide_for(&v, 100);
    let mut config = config(100);
    config.retry.first_delay = Duration::from_millis(200);
    config.retry.max_delay = Duration::from_millis(200);
    let scope = EventScope::own(ACCOUNT, REGION);
    let deadline = Some(Instant::now() + Duration::from_millis(1500));
    let started = Instant::now();
    let err = handle(&store, &config, &scope, &volume_event("vol-0f"), deadline)
        .await
        .unwrap_err();
    assert!(
        matches!(err, TaggerError::NotVisible { attempts, .. } if attempts < 100),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn one_volume_of_a_launch_that_cannot_be_tagged_fails_the_event_after_the_others_are_tagged() {
    let store = MemoryStore::new();
    let (a, b) = (volume("vol-1a"), volume("vol-1b"));
    store.insert(&a, &[]);
    store.insert(&b, &[]);
    store.attach("i-0abc", &[&a, &b]);
    store.fail_writes(&b, ErrorKind::Limit);
    let mut d = fixture("run-instances.panther.json");
    d["responseElements"]["instancesSet"]["items"] = json!([{"instanceId": "i-0abc"}]);
    let err = run(&store, &envelope(d), 3).await.unwrap_err();
    match &err {
        TaggerError::Partial {
            failed, total, details, ..
        } => {
            assert_eq!((*failed, *total), (1, 2));
            assert!(details.contains("vol-1b"), "{details}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(value(&store, &a).as_deref(), Some("daily"));
    assert_eq!(value(&store, &b), None);
}

#[tokio::test]
async fn a_removal_of_our_key_tags_again_and_a_removal_of_others_makes_no_call() {
    let store = MemoryStore::new();
    let v = volume("vol-2a");
    store.insert(&v, &[("team", "a")]);
    let delete = |keys: Value| {
        envelope(json!({
            "eventVersion": "1.08", "eventSource": "ec2.amazonaws.com", "eventName": "DeleteTags",
            "userIdentity": {"accountId": ACCOUNT},
            "requestParameters": {"resourcesSet": {"items": [{"resourceId": "vol-2a"}, {"resourceId": "i-0abc"}]},
                                  "tagSet": keys},
            "responseElements": {"_return": true}
        }))
    };
    let other = run(&store, &delete(json!({"items": [{"key": "team"}]})), 3)
        .await
        .unwrap();
    assert_eq!(other.action, Action::Skipped);
    assert_eq!(store.calls(), (0, 0), "no call for another key's removal");
    let ours = run(&store, &delete(json!({"items": [{"key": KEY}]})), 3).await.unwrap();
    assert_eq!(ours.action, Action::Tagged, "{ours:?}");
    assert_eq!(value(&store, &v).as_deref(), Some("daily"));
    assert_eq!(ResourceKind::EbsVolume, v.kind);
}

#[tokio::test]
async fn a_key_that_differs_only_in_case_is_reported_and_no_second_key_added() {
    let store = MemoryStore::new();
    let v = volume("vol-0c");
    store.insert(&v, &[("Superwerker:Backup", "none")]);
    let outcome = run(&store, &volume_event("vol-0c"), 3).await.unwrap();
    assert_eq!(outcome.action, Action::Skipped);
    assert!(
        outcome.reason.contains("Superwerker:Backup") && outcome.reason.contains("only in case"),
        "{}",
        outcome.reason
    );
    assert_eq!(
        store.tags(&v),
        vec![Tag::new("Superwerker:Backup", "none")],
        "nothing written"
    );
}
