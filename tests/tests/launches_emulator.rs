//! EBS volumes born with EC2 instances (RunInstances, CreateFleet of type instant) against the local AWS emulator
//! (moto): real launches, real volumes, the tagger's handler, every volume's final tags read back.

use backup_tagger::{Action, Outcome, TaggerError};
use serde_json::Value;
use superwerker_backup_aws::Aws;
use superwerker_backup_e2e::Emulator;

const KEY: &str = "superwerker:backup";

async fn run(em: &Emulator, aws: &Aws, event: &Value) -> Result<Outcome, TaggerError> {
    superwerker_backup_e2e::tag_event(em, aws, event, 3).await
}

fn value_of<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn run_instances_tags_every_volume_of_every_instance_in_one_batch() {
    let em = Emulator::connect().await;
    // Two instances, each with a root and a data volume.
    let ids = em.run_instances(2, true, &[]).await.unwrap();
    assert_eq!(ids.len(), 2);
    let aws = em.fresh_aws().await;
    let outcome = run(&em, &aws, &em.run_instances_event(&ids, &[])).await.unwrap();
    assert_eq!(outcome.action, Action::Tagged, "{outcome:?}");
    assert_eq!(outcome.event_name.as_deref(), Some("RunInstances"));
    assert_eq!(outcome.instances.len(), 2);
    let mut volumes = 0;
    for id in &ids {
        let attached = em.volumes_of(id).await.unwrap();
        assert_eq!(attached.len(), 2, "{id}: root and data volume");
        for (arn, tags) in attached {
            volumes += 1;
            assert_eq!(value_of(&tags, KEY), Some("daily"), "{arn}");
            assert!(outcome.volumes.iter().any(|v| v.resource == arn && v.instance == *id));
        }
    }
    assert_eq!(volumes, 4);
    // The volumes and the instances' mappings read once, one batched write for all four volumes; nothing the
    // template does not allow.
    assert_eq!(aws.calls().of("EC2.DescribeVolumes"), 1, "{:?}", aws.calls().snapshot());
    assert_eq!(aws.calls().of("EC2.DescribeInstances"), 1);
    assert_eq!(aws.calls().of("EC2.CreateTags"), 1);
    assert_eq!(aws.calls().total(), 3);
    let calls = aws.calls().snapshot();
    let undeclared = superwerker_backup_aws::iam::undeclared(calls.keys(), &superwerker_backup_aws::iam::tagger());
    assert!(undeclared.is_empty(), "{undeclared:?}");
}

#[tokio::test]
async fn a_volume_tag_specification_with_the_key_means_no_calls_and_no_change() {
    let em = Emulator::connect().await;
    let tags = [(KEY, "none")];
    let ids = em.run_instances(1, true, &tags).await.unwrap();
    let aws = em.fresh_aws().await;
    let outcome = run(&em, &aws, &em.run_instances_event(&ids, &tags)).await.unwrap();
    assert_eq!(outcome.action, Action::Skipped);
    assert_eq!(outcome.value.as_deref(), Some("none"));
    assert_eq!(aws.calls().total(), 0, "{:?}", aws.calls().snapshot());
    for (arn, tags) in em.volumes_of(&ids[0]).await.unwrap() {
        assert_eq!(value_of(&tags, KEY), Some("none"), "{arn} overwritten");
    }
}

#[tokio::test]
async fn other_volume_tags_are_kept_and_a_value_set_on_one_volume_is_never_overwritten() {
    let em = Emulator::connect().await;
    let ids = em.run_instances(1, true, &[("team", "payments")]).await.unwrap();
    let volumes = em.volumes_of(&ids[0]).await.unwrap();
    assert_eq!(volumes.len(), 2);
    // Someone (a launch template, a person) set the key on the data volume before the event arrived.
    let (opted_out, _) = &volumes[1];
    em.tag_after_creation(opted_out, KEY, "none").await.unwrap();

    let aws = em.fresh_aws().await;
    let outcome = run(&em, &aws, &em.run_instances_event(&ids, &[("team", "payments")]))
        .await
        .unwrap();
    assert_eq!(outcome.action, Action::Tagged);
    for (arn, tags) in em.volumes_of(&ids[0]).await.unwrap() {
        assert_eq!(value_of(&tags, "team"), Some("payments"), "{arn} lost a tag");
        let expected = if &arn == opted_out { "none" } else { "daily" };
        assert_eq!(value_of(&tags, KEY), Some(expected), "{arn}");
        let reported = outcome.volumes.iter().find(|v| v.resource == arn).unwrap();
        assert_eq!(reported.value, expected);
    }
    assert_eq!(aws.calls().of("EC2.CreateTags"), 1);
}

#[tokio::test]
async fn create_fleet_instant_tags_the_fleet_instances_volumes() {
    let em = Emulator::connect().await;
    let ids = em.create_instant_fleet(2).await.unwrap();
    assert_eq!(ids.len(), 2, "moto launched the instant fleet");
    let aws = em.fresh_aws().await;
    let outcome = run(&em, &aws, &em.create_fleet_event(&ids)).await.unwrap();
    assert_eq!(outcome.action, Action::Tagged, "{outcome:?}");
    assert_eq!(outcome.event_name.as_deref(), Some("CreateFleet"));
    for id in &ids {
        let volumes = em.volumes_of(id).await.unwrap();
        assert!(!volumes.is_empty(), "{id} has a root volume");
        for (arn, tags) in volumes {
            assert_eq!(value_of(&tags, KEY), Some("daily"), "{arn}");
        }
    }
    assert_eq!(aws.calls().of("EC2.CreateTags"), 1);
}

#[tokio::test]
async fn an_instance_that_never_shows_up_fails_loudly_after_bounded_retries() {
    let em = Emulator::connect().await;
    let ids = vec!["i-0123456789abcdef0".to_owned()];
    let aws = em.fresh_aws().await;
    let err = run(&em, &aws, &em.run_instances_event(&ids, &[])).await.unwrap_err();
    match &err {
        TaggerError::NotVisible { resource, attempts, .. } => {
            assert!(resource.ends_with("instance/i-0123456789abcdef0"), "{resource}");
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected NotVisible, got {other:?}"),
    }
    assert_eq!(aws.calls().of("EC2.DescribeVolumes"), 3);
    assert_eq!(aws.calls().of("EC2.DescribeInstances"), 3);
    assert_eq!(aws.calls().of("EC2.CreateTags"), 0);
}

#[tokio::test]
async fn a_terminated_instance_without_volumes_is_reported_not_retried() {
    let em = Emulator::connect().await;
    let ids = em.run_instances(1, false, &[]).await.unwrap();
    em.clients()
        .ec2
        .terminate_instances()
        .instance_ids(&ids[0])
        .send()
        .await
        .unwrap();
    let aws = em.fresh_aws().await;
    let outcome = run(&em, &aws, &em.run_instances_event(&ids, &[])).await.unwrap();
    // The root volume went with the instance (DeleteOnTermination): DescribeInstances says so, no retry loop.
    assert_eq!(outcome.action, Action::Skipped, "{outcome:?}");
    assert!(outcome.volumes.is_empty());
    assert!(
        outcome.reason.contains("1 instances without EBS volumes"),
        "{}",
        outcome.reason
    );
    assert_eq!(aws.calls().of("EC2.DescribeVolumes"), 1, "{:?}", aws.calls().snapshot());
    assert_eq!(aws.calls().of("EC2.DescribeInstances"), 1);
    assert_eq!(aws.calls().of("EC2.CreateTags"), 0);
}

// moto does not evaluate IAM conditions: the fault proxy's `guard` rule stands in for IAM evaluating the deployed
// role's `Null: aws:ResourceTag/superwerker:backup` condition on `CreateTags` (infra/template.yaml); EC2 refuses the
// whole call when one volume has the key.
#[tokio::test]
async fn a_launched_volume_set_to_none_while_our_write_is_held_is_kept_by_the_guard() {
    let em = Emulator::connect().await;
    let ids = em.run_instances(2, true, &[]).await.unwrap();
    let victim = em.volumes_of(&ids[1]).await.unwrap()[0].0.clone();
    let victim_id = victim.rsplit('/').next().unwrap().to_owned();
    let proxy = superwerker_backup_e2e::FaultProxy::from_env();
    let rule = format!("launch-guard-{victim_id}");
    proxy
        .add(serde_json::json!([
            {"id": rule, "fault": "guard", "service": "ec2", "op": "CreateTags", "contains": victim_id},
            {"id": rule, "service": "ec2", "op": "CreateTags", "contains": victim_id, "fault": "delay", "times": 1, "delay_ms": 400},
        ]))
        .await
        .unwrap();
    let aws = proxy.aws(3).await;
    let (em2, event) = (em.clone(), em.run_instances_event(&ids, &[]));
    let task = tokio::spawn(async move { run(&em2, &aws, &event).await });
    proxy
        .wait_for(&victim_id, "CreateTags", std::time::Duration::from_secs(5))
        .await
        .unwrap();
    em.tag_after_creation(&victim, KEY, "none").await.unwrap();
    let outcome = task.await.unwrap();
    let seen = proxy.log(&victim_id).await.unwrap();
    proxy.remove(&rule).await.unwrap();
    let outcome = outcome.expect("a refused overwrite is not a failed invocation");

    let mut daily = 0;
    for id in &ids {
        for (arn, tags) in em.volumes_of(id).await.unwrap() {
            let want = if arn == victim { "none" } else { "daily" };
            assert_eq!(value_of(&tags, KEY), Some(want), "{arn}");
            daily += usize::from(want == "daily");
        }
    }
    assert_eq!(daily, 3);
    let reported = outcome.volumes.iter().find(|v| v.resource == victim).unwrap();
    assert_eq!((reported.action, reported.value.as_str()), (Action::Skipped, "none"));
    // The batch of four refused, split until the victim stood alone (refused), its tags read again.
    let refused = seen
        .iter()
        .filter(|r| r["op"] == "CreateTags" && r["fault"] == "guard")
        .count();
    assert!(refused >= 2, "{seen:?}");
    assert!(seen.iter().any(|r| r["op"] == "DescribeVolumes"), "re-read: {seen:?}");
}
