//! Reliability under injected AWS faults: the tagger's SDK calls go through tests/harness/fault_proxy.py, which
//! answers throttling / not-found errors in each service's own wire shape, HTTP 500/503, delays beyond the attempt
//! timeout or reset connections by rule, and otherwise forwards to the emulator (moto). Every scenario checks the end
//! state in the emulator and what reached it (the proxy's request log).

use std::time::Duration;

use backup_tagger::{Action, Outcome, TaggerError};
use serde_json::{json, Value};
use superwerker_backup_aws::Aws;
use superwerker_backup_domain::ResourceKind;
use superwerker_backup_e2e::{Emulator, FaultProxy};

const KEY: &str = "superwerker:backup";

async fn run(em: &Emulator, aws: &Aws, event: &Value, visibility_attempts: u32) -> Result<Outcome, TaggerError> {
    superwerker_backup_e2e::tag_event(em, aws, event, visibility_attempts).await
}

/// One resource of `kind`, untagged, with its event, and how its tags go over the wire.
struct Subject {
    arn: String,
    needle: String,
    event: Value,
    service: &'static str,
    read: &'static str,
    write: &'static str,
}

async fn subject(em: &Emulator, kind: ResourceKind) -> Subject {
    let seeded = superwerker_backup_e2e::seed(em, kind, &[], &[]).await.unwrap();
    let wire = superwerker_backup_e2e::wire(kind);
    Subject {
        arn: seeded.arn,
        needle: seeded.needle,
        event: seeded.event,
        service: wire.service,
        read: wire.read,
        write: wire.write,
    }
}

/// (faulted, forwarded) requests of `op` the proxy saw for `needle`.
async fn seen(proxy: &FaultProxy, needle: &str, op: &str) -> (usize, usize) {
    let log = proxy.log(needle).await.unwrap();
    let of_op: Vec<&Value> = log.iter().filter(|r| r["op"] == op).collect();
    let faulted = of_op
        .iter()
        .filter(|r| !r["fault"].is_null() && r["fault"] != "delay")
        .count();
    (faulted, of_op.len() - faulted)
}

#[tokio::test]
async fn every_call_throttled_three_times_then_ok_everything_is_tagged_once() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    for kind in ResourceKind::all() {
        let s = subject(&em, kind).await;
        let id = format!("throttle-{}", s.needle);
        proxy
            .add(json!([
                {"id": id, "service": s.service, "op": s.read, "contains": s.needle, "fault": "throttle", "times": 3},
                {"id": id, "service": s.service, "op": s.write, "contains": s.needle, "fault": "throttle", "times": 3},
            ]))
            .await
            .unwrap();
        let aws = proxy.aws(5).await;
        let outcome = run(&em, &aws, &s.event, 3)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        proxy.remove(&id).await.unwrap();
        assert_eq!(outcome.action, Action::Tagged, "{kind:?}");
        assert_eq!(
            em.tag_value(&s.arn, KEY).await.unwrap().as_deref(),
            Some("daily"),
            "{kind:?}"
        );
        // The SDK retried each throttled call; exactly one read and one write reached the emulator.
        assert_eq!(seen(&proxy, &s.needle, s.read).await, (3, 1), "{kind:?} read");
        assert_eq!(
            seen(&proxy, &s.needle, s.write).await,
            (3, 1),
            "{kind:?} write: no duplicate work"
        );
    }
}

#[tokio::test]
async fn server_errors_resets_and_hangs_are_retried_by_the_sdk() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    for fault in ["http500", "http503", "reset", "delay"] {
        let s = subject(&em, ResourceKind::EbsVolume).await;
        let id = format!("{fault}-{}", s.needle);
        // A delay of 3 s is beyond the 1.5 s attempt timeout: the attempt is abandoned and retried.
        proxy
            .add(json!([
                {"id": id, "service": "ec2", "op": "DescribeVolumes", "contains": s.needle, "fault": fault, "times": 2, "delay_ms": 3000},
                {"id": id, "service": "ec2", "op": "CreateTags", "contains": s.needle, "fault": fault, "times": 1, "delay_ms": 3000},
            ]))
            .await
            .unwrap();
        let aws = proxy.aws(5).await;
        let outcome = run(&em, &aws, &s.event, 3)
            .await
            .unwrap_or_else(|e| panic!("{fault}: {e}"));
        proxy.remove(&id).await.unwrap();
        assert_eq!(outcome.action, Action::Tagged, "{fault}");
        assert_eq!(
            em.tag_value(&s.arn, KEY).await.unwrap().as_deref(),
            Some("daily"),
            "{fault}"
        );
        let log = proxy.log(&s.needle).await.unwrap();
        let attempts = |op: &str| log.iter().filter(|r| r["op"] == op).count();
        assert_eq!(attempts("DescribeVolumes"), 3, "{fault}: 2 faults + 1 answer");
        assert_eq!(attempts("CreateTags"), 2, "{fault}: 1 fault + 1 answer");
    }
}

#[tokio::test]
async fn a_resource_invisible_for_the_first_reads_is_tagged_after_bounded_retries() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    for kind in ResourceKind::all() {
        let s = subject(&em, kind).await;
        let id = format!("invisible-{}", s.needle);
        // Eventual consistency: the service says "not found" for the first 2 reads.
        proxy
            .add(json!([{"id": id, "service": s.service, "op": s.read, "contains": s.needle, "fault": "not_found", "times": 2}]))
            .await
            .unwrap();
        let aws = proxy.aws(5).await;
        let outcome = run(&em, &aws, &s.event, 3)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        proxy.remove(&id).await.unwrap();
        assert_eq!(outcome.action, Action::Tagged, "{kind:?}");
        assert_eq!(
            em.tag_value(&s.arn, KEY).await.unwrap().as_deref(),
            Some("daily"),
            "{kind:?}"
        );
        assert_eq!(seen(&proxy, &s.needle, s.read).await, (2, 1), "{kind:?}");
    }
    // Invisible for longer than the bound: the invocation fails naming the resource, nothing is written.
    let s = subject(&em, ResourceKind::DynamoDbTable).await;
    let id = format!("invisible-long-{}", s.needle);
    proxy
        .add(json!([{"id": id, "service": "dynamodb", "op": "ListTagsOfResource", "contains": s.needle, "fault": "not_found"}]))
        .await
        .unwrap();
    let err = run(&em, &proxy.aws(5).await, &s.event, 3).await.unwrap_err();
    proxy.remove(&id).await.unwrap();
    assert!(matches!(err, TaggerError::NotVisible { attempts: 3, .. }), "{err}");
    assert!(err.to_string().contains(&s.arn), "{err}");
    assert_eq!(seen(&proxy, &s.needle, "TagResource").await, (0, 0));
    assert_eq!(em.tag_value(&s.arn, KEY).await.unwrap(), None);
}

#[tokio::test]
async fn a_persistent_failure_fails_the_invocation_naming_the_resource() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    for kind in [
        ResourceKind::EbsVolume,
        ResourceKind::RdsDbInstance,
        ResourceKind::EfsFileSystem,
    ] {
        let s = subject(&em, kind).await;
        let id = format!("persistent-{}", s.needle);
        proxy
            .add(json!([{"id": id, "service": s.service, "op": s.write, "contains": s.needle, "fault": "http503"}]))
            .await
            .unwrap();
        let err = run(&em, &proxy.aws(4).await, &s.event, 3).await.unwrap_err();
        proxy.remove(&id).await.unwrap();
        assert!(matches!(err, TaggerError::Aws { .. }), "{kind:?}: {err:?}");
        assert!(
            err.to_string().contains(&s.needle),
            "{kind:?}: the error names the resource: {err}"
        );
        assert_eq!(err.kind(), "AwsError");
        // Bounded: the SDK's 4 attempts, then the invocation fails (EventBridge retries it; the DLQ keeps it).
        assert_eq!(seen(&proxy, &s.needle, s.write).await, (4, 0), "{kind:?}");
        assert_eq!(em.tag_value(&s.arn, KEY).await.unwrap(), None, "{kind:?}");
    }
}

#[tokio::test]
async fn a_persistent_failure_on_one_launched_volume_fails_loudly_after_tagging_the_others() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    let ids = em.run_instances(2, false, &[]).await.unwrap();
    let first_volume = em.volumes_of(&ids[0]).await.unwrap()[0].0.clone();
    let volume_id = first_volume.rsplit('/').next().unwrap().to_owned();
    // CreateTags of a batch containing that volume fails with InvalidVolume.NotFound (it vanished): the batch is
    // split, the other instance's volume is still tagged, the invocation fails naming the lost one.
    let id = format!("gone-{volume_id}");
    proxy
        .add(json!([{"id": id, "service": "ec2", "op": "CreateTags", "contains": volume_id, "fault": "not_found"}]))
        .await
        .unwrap();
    let err = run(&em, &proxy.aws(3).await, &em.run_instances_event(&ids, &[]), 3)
        .await
        .unwrap_err();
    proxy.remove(&id).await.unwrap();
    assert!(
        matches!(
            err,
            TaggerError::Partial {
                failed: 1,
                total: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&volume_id), "{err}");
    let other = &em.volumes_of(&ids[1]).await.unwrap()[0];
    assert!(other.1.iter().any(|(k, v)| k == KEY && v == "daily"), "{other:?}");
}

#[tokio::test]
async fn the_read_write_window_is_one_round_trip_and_in_order() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    let s = subject(&em, ResourceKind::EbsVolume).await;
    let outcome = run(&em, &proxy.aws(5).await, &s.event, 3).await.unwrap();
    assert_eq!(outcome.action, Action::Tagged);
    let log = proxy.log(&s.needle).await.unwrap();
    let ops: Vec<&str> = log.iter().map(|r| r["op"].as_str().unwrap_or("")).collect();
    assert_eq!(
        ops,
        ["DescribeVolumes", "CreateTags"],
        "read, then write, nothing between"
    );
    let read_answered = log[0]["t_end"].as_f64().unwrap();
    let write_sent = log[1]["t_start"].as_f64().unwrap();
    let gap_ms = (write_sent - read_answered) * 1000.0;
    eprintln!("window between the read's answer and the write's arrival: {gap_ms:.1} ms");
    assert!(
        gap_ms < 250.0,
        "the decision between read and write must stay local and quick: {gap_ms:.1} ms"
    );
}

#[tokio::test]
async fn a_value_set_inside_the_window_is_the_documented_residual_risk() {
    // AWS tagging APIs have no compare-and-set: without the deployed role's guard (the CLI under other credentials,
    // DynamoDB with ABAC off), a value a person writes after our read and before our write is replaced by ours. The
    // window is one round trip (see the test above); here it is held open with a delay on our write so the person's
    // `none` lands inside it. This documents the behaviour (SECURITY.md, README): if it ever
    // changes, this test says so.
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    let s = subject(&em, ResourceKind::EbsVolume).await;
    let id = format!("window-{}", s.needle);
    let rules = json!([{"id": id, "service": "ec2", "op": "CreateTags", "contains": s.needle, "fault": "delay", "times": 1, "delay_ms": 400}]);
    let (outcome, _) = set_while_our_write_is_held(&em, &proxy, &s, &id, rules, KEY).await;
    let outcome = outcome.unwrap();
    assert_eq!(outcome.action, Action::Tagged);
    assert_eq!(em.tag_value(&s.arn, KEY).await.unwrap().as_deref(), Some("daily"));
    // Outside the window the person's value always wins: set before our read, it is never touched.
    let s = subject(&em, ResourceKind::EbsVolume).await;
    em.tag_after_creation(&s.arn, KEY, "none").await.unwrap();
    let outcome = run(&em, &proxy.aws(5).await, &s.event, 3).await.unwrap();
    assert_eq!(outcome.action, Action::Skipped);
    assert_eq!(em.tag_value(&s.arn, KEY).await.unwrap().as_deref(), Some("none"));
}

// moto does not evaluate IAM conditions: the fault proxy's `guard` rule stands in for IAM evaluating the deployed
// role's `Null: aws:ResourceTag/superwerker:backup` condition on every kind's tagging write (infra/template.yaml).
#[tokio::test]
async fn with_the_role_guard_a_value_set_inside_the_window_is_kept() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    // Every kind, through its own service's write (the proxy refuses it as IAM would with the guard in place).
    for kind in ResourceKind::all() {
        let s = subject(&em, kind).await;
        let id = format!("guarded-window-{}", s.needle);
        let (outcome, seen) = set_while_our_write_is_held(&em, &proxy, &s, &id, guarded(&id, &s), KEY).await;
        let outcome = outcome.unwrap_or_else(|e| panic!("{kind:?}: a refused overwrite is not a failure: {e}"));
        assert_eq!(outcome.action, Action::Skipped, "{kind:?}: {outcome:?}");
        assert_eq!(outcome.value.as_deref(), Some("none"), "{kind:?}");
        assert!(outcome.reason.contains("refused"), "{kind:?}: {}", outcome.reason);
        assert_eq!(
            em.tag_value(&s.arn, KEY).await.unwrap().as_deref(),
            Some("none"),
            "{kind:?}"
        );
        let ops: Vec<(&str, &str)> = seen
            .iter()
            .map(|r| (r["op"].as_str().unwrap_or(""), r["fault"].as_str().unwrap_or("-")))
            .collect();
        assert_eq!(
            ops,
            [(s.read, "-"), (s.write, "guard"), (s.read, "-")],
            "{kind:?}: read, refused write, read again"
        );
    }
}

/// The proxy's guard folds case (IAM reads condition key names case-insensitively; see fault_proxy.py): a resource
/// that gets `Superwerker:Backup` while our write is held refuses it, and the tagger reports the conflict instead of
/// failing into the DLQ or adding a second key.
#[tokio::test]
async fn a_key_differing_in_case_set_inside_the_window_is_reported_not_failed() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    let s = subject(&em, ResourceKind::EbsVolume).await;
    let id = format!("guarded-case-{}", s.needle);
    let (outcome, _) = set_while_our_write_is_held(&em, &proxy, &s, &id, guarded(&id, &s), "Superwerker:Backup").await;
    let outcome = outcome.expect("a conflict is reported, not a failed invocation");
    assert_eq!(outcome.action, Action::Skipped, "{outcome:?}");
    assert!(
        outcome
            .value
            .as_deref()
            .is_some_and(|v| v.contains("Superwerker:Backup")),
        "{outcome:?}"
    );
    assert_eq!(em.tag_value(&s.arn, KEY).await.unwrap(), None, "no second key");
}

/// The guard (IAM's stand-in) on `s`, and a hold of 400 ms on its write.
fn guarded(id: &str, s: &Subject) -> Value {
    json!([
        {"id": id, "fault": "guard", "contains": s.needle},
        {"id": id, "service": s.service, "op": s.write, "contains": s.needle, "fault": "delay", "times": 1,
         "delay_ms": 400},
    ])
}

/// Runs the tagger on `s` with `rules` in place (one of them holds our write at the proxy), and sets `key` to `none`
/// by hand once the write is held (our read done). Returns the tagger's result and the proxy's log for the resource.
async fn set_while_our_write_is_held(
    em: &Emulator,
    proxy: &FaultProxy,
    s: &Subject,
    id: &str,
    rules: Value,
    key: &str,
) -> (Result<Outcome, TaggerError>, Vec<Value>) {
    proxy.add(rules).await.unwrap();
    let aws = proxy.aws(5).await;
    let (em2, event) = (em.clone(), s.event.clone());
    let task = tokio::spawn(async move { run(&em2, &aws, &event, 3).await });
    proxy
        .wait_for(&s.needle, s.write, Duration::from_secs(5))
        .await
        .unwrap();
    em.tag_after_creation(&s.arn, key, "none").await.unwrap();
    let outcome = task.await.unwrap();
    let seen = proxy.log(&s.needle).await.unwrap();
    proxy.remove(id).await.unwrap();
    (outcome, seen)
}
