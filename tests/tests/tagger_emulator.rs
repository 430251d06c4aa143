//! The tagger's handler against the local AWS emulator (moto): real SDK calls, real tags, counted requests.

use backup_tagger::{Action, Outcome, TaggerError};
use serde_json::{json, Value};
use superwerker_backup_aws::Aws;
use superwerker_backup_domain::ResourceKind;
use superwerker_backup_e2e::Emulator;

const KEY: &str = "superwerker:backup";

async fn run(em: &Emulator, aws: &Aws, event: &Value) -> Result<Outcome, TaggerError> {
    superwerker_backup_e2e::tag_event(em, aws, event, 3).await
}

/// One resource of `kind` with `creation_tags`, and its event whose request carries `request_tags`: (ARN, event).
async fn create(
    em: &Emulator,
    kind: ResourceKind,
    creation_tags: &[(&str, &str)],
    request_tags: &[(&str, &str)],
) -> (String, Value) {
    let seeded = superwerker_backup_e2e::seed(em, kind, creation_tags, request_tags)
        .await
        .unwrap();
    (seeded.arn, seeded.event)
}

fn write_op(kind: ResourceKind) -> &'static str {
    superwerker_backup_e2e::wire(kind).counted_write
}

#[tokio::test]
async fn untagged_resources_of_each_type_get_daily() {
    let em = Emulator::connect().await;
    for kind in ResourceKind::all() {
        let (arn, event) = create(&em, kind, &[("team", "payments")], &[]).await;
        let aws = em.fresh_aws().await;
        let outcome = run(&em, &aws, &event).await.unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(outcome.action, Action::Tagged, "{kind:?}: {outcome:?}");
        assert_eq!(outcome.resource.as_deref(), Some(arn.as_str()));
        assert_eq!(
            em.tag_value(&arn, KEY).await.unwrap().as_deref(),
            Some("daily"),
            "{kind:?}"
        );
        assert_eq!(
            em.tag_value(&arn, "team").await.unwrap().as_deref(),
            Some("payments"),
            "{kind:?} lost a tag"
        );
        assert_eq!(
            aws.calls().total(),
            2,
            "{kind:?}: one read, one write: {:?}",
            aws.calls().snapshot()
        );
        assert_eq!(aws.calls().of(write_op(kind)), 1, "{kind:?}");
        let calls = aws.calls().snapshot();
        let undeclared = superwerker_backup_aws::iam::undeclared(calls.keys(), &superwerker_backup_aws::iam::tagger());
        assert!(
            undeclared.is_empty(),
            "calls the template does not allow: {undeclared:?}"
        );
    }
}

#[tokio::test]
async fn a_value_set_after_creation_is_never_overwritten() {
    let em = Emulator::connect().await;
    for kind in ResourceKind::all() {
        for value in ["none", "weekly"] {
            let (arn, event) = create(&em, kind, &[], &[]).await;
            em.tag_after_creation(&arn, KEY, value).await.unwrap();
            let aws = em.fresh_aws().await;
            let outcome = run(&em, &aws, &event).await.unwrap();
            assert_eq!(outcome.action, Action::Skipped, "{kind:?}");
            assert_eq!(outcome.value.as_deref(), Some(value));
            assert_eq!(
                em.tag_value(&arn, KEY).await.unwrap().as_deref(),
                Some(value),
                "{kind:?} overwritten"
            );
            assert_eq!(
                aws.calls().of(write_op(kind)),
                0,
                "{kind:?}: {:?}",
                aws.calls().snapshot()
            );
            assert_eq!(aws.calls().total(), 1, "{kind:?}: only the read");
        }
    }
}

#[tokio::test]
async fn a_tag_in_the_creation_request_means_zero_aws_calls() {
    let em = Emulator::connect().await;
    for kind in ResourceKind::all() {
        let tags = [(KEY, "none")];
        let (arn, event) = create(&em, kind, &tags, &tags).await;
        let aws = em.fresh_aws().await;
        let outcome = run(&em, &aws, &event).await.unwrap();
        assert_eq!(outcome.action, Action::Skipped, "{kind:?}");
        assert_eq!(outcome.value.as_deref(), Some("none"));
        assert_eq!(aws.calls().total(), 0, "{kind:?}: {:?}", aws.calls().snapshot());
        assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("none"));
    }
}

#[tokio::test]
async fn a_table_event_without_tablearn_builds_the_arn() {
    let em = Emulator::connect().await;
    let (name, arn) = em.create_table(&[]).await.unwrap();
    let event = em.create_table_event(&name, None, &[]);
    assert!(event
        .pointer("/detail/responseElements/tableDescription/tableArn")
        .is_none());
    let aws = em.fresh_aws().await;
    let outcome = run(&em, &aws, &event).await.unwrap();
    assert_eq!(outcome.resource.as_deref(), Some(arn.as_str()));
    assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("daily"));
}

#[tokio::test]
async fn failed_calls_and_foreign_accounts_make_no_calls() {
    let em = Emulator::connect().await;
    let id = em.create_volume(&[]).await.unwrap();
    let mut failed = em.create_volume_event(&id, &[]);
    failed["detail"]["errorCode"] = json!("Client.InvalidParameterValue");
    failed["detail"]["responseElements"] = Value::Null;
    let aws = em.fresh_aws().await;
    let outcome = run(&em, &aws, &failed).await.unwrap();
    assert_eq!(outcome.action, Action::Skipped);

    let mut foreign = em.create_volume_event(&id, &[]);
    foreign["account"] = json!("210987654321");
    foreign["detail"]["recipientAccountId"] = json!("210987654321");
    let err = run(&em, &aws, &foreign).await.unwrap_err();
    assert!(err.to_string().contains("210987654321"), "{err}");
    assert_eq!(aws.calls().total(), 0, "{:?}", aws.calls().snapshot());
    assert_eq!(em.tag_value(&em.volume_arn(&id), KEY).await.unwrap(), None);
}

#[tokio::test]
async fn a_resource_that_never_becomes_visible_fails_loudly_after_bounded_retries() {
    let em = Emulator::connect().await;
    let event = em.create_volume_event("vol-0123456789abcdef0", &[]);
    let aws = em.fresh_aws().await;
    let err = run(&em, &aws, &event).await.unwrap_err();
    match &err {
        TaggerError::NotVisible { resource, attempts, .. } => {
            assert!(resource.ends_with("volume/vol-0123456789abcdef0"));
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected NotVisible, got {other:?}"),
    }
    assert_eq!(aws.calls().of("EC2.DescribeVolumes"), 3);
    assert_eq!(aws.calls().of("EC2.CreateTags"), 0);
}

#[tokio::test]
async fn unhandled_events_are_ignored() {
    let em = Emulator::connect().await;
    let aws = em.fresh_aws().await;
    let event = superwerker_backup_e2e::envelope(superwerker_backup_e2e::fixture(
        "controltower-create-managed-account.lambda-rust-runtime.json",
    ));
    let outcome = run(&em, &aws, &event).await.unwrap();
    assert_eq!(outcome.action, Action::Ignored);
    assert_eq!(aws.calls().total(), 0);
}

#[tokio::test]
async fn hostile_events_make_no_aws_calls_and_fail_loudly() {
    let em = Emulator::connect().await;
    let (name, arn) = em.create_table(&[]).await.unwrap();
    let base = em.create_table_event(&name, Some(&arn), &[]);
    let mut cases = Vec::new();
    for (pointer, value) in [
        (
            "/detail/responseElements/tableDescription/tableArn",
            json!(arn.replace(&em.account, "999999999999")),
        ),
        (
            "/detail/responseElements/tableDescription/tableArn",
            json!(arn.replace("arn:aws:", "arn:aws-cn:")),
        ),
        (
            "/detail/responseElements/tableDescription/tableArn",
            json!(format!("{arn}/index/x")),
        ),
        ("/detail/responseElements/tableDescription/tableArn", json!(42)),
        ("/detail/eventName", json!(["CreateTable"])),
        ("/detail/recipientAccountId", json!(123456789012_u64)),
        ("/detail/awsRegion", json!("mars-north-1")),
        ("/source", json!("aws.ec2")),
        ("/account", json!("999999999999")),
    ] {
        let mut e = base.clone();
        *e.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value;
        cases.push(e);
    }
    let mut e = base.clone();
    e["detail"]["responseElements"]["tableDescription"] = json!({"tableName": "Music\"; --"});
    cases.push(e);
    for (i, event) in cases.iter().enumerate() {
        let aws = em.fresh_aws().await;
        let err = run(&em, &aws, event).await.unwrap_err();
        assert_eq!(err.kind(), "BadEvent", "case {i}: {err}");
        assert_eq!(aws.calls().total(), 0, "case {i}: {:?}", aws.calls().snapshot());
    }
    assert_eq!(em.tag_value(&arn, KEY).await.unwrap(), None, "nothing was tagged");
}

/// Someone removes `superwerker:backup` (opting out is `none`, not deleting the key): the removal event makes the
/// tagger look again and add `daily`; a resource whose key is back by then is not touched; removals of other keys
/// make no call. Every kind, through its service's own removal call and event.
#[tokio::test]
async fn a_removed_key_is_added_again_and_a_key_set_meanwhile_is_kept() {
    let em = Emulator::connect().await;
    for kind in ResourceKind::all() {
        let seeded = superwerker_backup_e2e::seed(&em, kind, &[(KEY, "daily"), ("team", "a")], &[])
            .await
            .unwrap();
        superwerker_backup_e2e::untag(&em, &seeded, KEY).await.unwrap();
        assert_eq!(em.tag_value(&seeded.arn, KEY).await.unwrap(), None, "{kind:?}");
        let aws = em.fresh_aws().await;
        let outcome = run(&em, &aws, &seeded.removal)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(outcome.action, Action::Tagged, "{kind:?}: {outcome:?}");
        assert_eq!(
            em.tag_value(&seeded.arn, KEY).await.unwrap().as_deref(),
            Some("daily"),
            "{kind:?}"
        );

        // The owner removed it and set `none` right after: the event arrives later and finds the key present.
        superwerker_backup_e2e::untag(&em, &seeded, KEY).await.unwrap();
        em.tag_after_creation(&seeded.arn, KEY, "none").await.unwrap();
        let outcome = run(&em, &aws, &seeded.removal).await.unwrap();
        assert_eq!(outcome.action, Action::Skipped, "{kind:?}: {outcome:?}");
        assert_eq!(
            em.tag_value(&seeded.arn, KEY).await.unwrap().as_deref(),
            Some("none"),
            "{kind:?}"
        );

        // Another key removed: no AWS call at all — where the record names the keys. FSx logs none (AWS's example):
        // then the resource is read once and, its key being there, left alone.
        let mut other = seeded.removal.clone();
        let detail = &mut other["detail"]["requestParameters"];
        let names_keys = if detail.get("tagKeys").is_some() {
            detail["tagKeys"] = json!(["team"]);
            true
        } else if detail.get("tagSet").is_some() {
            detail["tagSet"] = json!({"items": [{"key": "team"}]});
            true
        } else {
            false
        };
        let fresh = em.fresh_aws().await;
        let outcome = run(&em, &fresh, &other).await.unwrap();
        assert_eq!(outcome.action, Action::Skipped, "{kind:?}");
        let expected_calls = if names_keys { 0 } else { 1 };
        assert_eq!(
            fresh.calls().total(),
            expected_calls,
            "{kind:?}: {:?}",
            fresh.calls().snapshot()
        );
    }
}
