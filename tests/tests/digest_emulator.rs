//! The daily sweep's digest (README, Alerts; issue: alerts, part 3), against the emulator: the sweep as the Lambda runs
//! it (`superwerker_backup_sweep::sweep`, what `backup-backfill` calls), an SNS topic with an SQS queue subscribed (what
//! a subscriber receives), AWS Backup's plans, vault, opt-in and recovery points in the emulator
//! (tests/harness/teach_backup*.py), tonight's backup made by the emulator's backup run. A region with three
//! unprotected resources gets exactly one message naming those three; a clean region gets none.

use serde_json::json;
use superwerker_backup_backfill::BackfillOptions;
use superwerker_backup_domain::policy::{SERVICE_ROLE_NAME, VAULT_NAME};
use superwerker_backup_e2e::audit_scene::KEY;
use superwerker_backup_e2e::Emulator;
use superwerker_backup_sweep::sweep;

/// Vault, a daily account plan selecting `KEY=daily` with a role that exists, and a trail: a region where tagged
/// resources get backed up.
async fn backed_up_region(em: &Emulator, role: &str) {
    em.create_vault(VAULT_NAME).await.unwrap();
    em.create_account_plan("digest", (KEY, "daily"), role).await.unwrap();
    em.create_trail("All", true).await.unwrap();
}

fn options(region: &str) -> BackfillOptions {
    superwerker_backup_e2e::unpaced(region)
}

#[tokio::test]
async fn one_digest_names_the_unprotected_resources_and_a_clean_region_gets_none() {
    let em = Emulator::connect().await;
    // Account-wide state (IAM, the account's plans) is this test's alone.
    em.reset().await.unwrap();
    let role = em
        .create_backup_role("/service-role/", SERVICE_ROLE_NAME)
        .await
        .unwrap();
    let (clean, dirty) = (em.in_region("ap-southeast-2"), em.in_region("ca-central-1"));
    backed_up_region(&clean, &role).await;
    backed_up_region(&dirty, &role).await;

    let clean_volume = clean.volume_arn(&clean.create_volume(&[(KEY, "daily")]).await.unwrap());
    let (_, clean_table) = clean.create_table(&[(KEY, "daily")]).await.unwrap();

    let protected = dirty.volume_arn(&dirty.create_volume(&[(KEY, "daily")]).await.unwrap());
    let opted_out = dirty.volume_arn(&dirty.create_volume(&[(KEY, "none")]).await.unwrap());
    dirty.set_opt_in("EFS", false).await.unwrap();
    let (_, not_opted_in) = dirty.create_file_system(&[(KEY, "daily")]).await.unwrap();
    let key_case = dirty.volume_arn(&dirty.create_volume(&[("Superwerker:Backup", "daily")]).await.unwrap());
    let (_, partial_only) = dirty.create_table(&[(KEY, "daily")]).await.unwrap();
    em.run_backups(json!({"resources": [partial_only], "status": "PARTIAL", "hours_ago": 1}))
        .await
        .unwrap();
    em.run_backups(json!({"regions": ["ap-southeast-2", "ca-central-1"], "except": [partial_only], "hours_ago": 2}))
        .await
        .unwrap();

    let subscriber = em.topic_with_subscriber().await.unwrap();
    let aws = em.fresh_aws().await;
    let topic = aws.alert_topic(&subscriber.topic_arn);

    // The clean region: audited, nothing unprotected, no message.
    let swept = sweep(&aws, &options("ap-southeast-2"), Some((&topic).into()))
        .await
        .unwrap();
    let outcome = swept.digest.expect("a sweep with a topic audits").unwrap();
    assert_eq!(
        (outcome.audited, outcome.unprotected),
        (2, 0),
        "{outcome:?} ({clean_volume}, {clean_table})"
    );
    assert_eq!(outcome.message_id, None);
    assert_eq!(em.received(&subscriber).await.unwrap(), Vec::<serde_json::Value>::new());

    // The region with three unprotected resources: one message, naming exactly those.
    let swept = sweep(&aws, &options("ca-central-1"), Some((&topic).into()))
        .await
        .unwrap();
    let outcome = swept.digest.expect("a sweep with a topic audits").unwrap();
    assert_eq!(outcome.unprotected, 3, "{outcome:?}");
    let received = em.received(&subscriber).await.unwrap();
    assert_eq!(received.len(), 1, "{received:#?}");
    let (subject, message) = (
        received[0]["Subject"].as_str().unwrap_or_default(),
        received[0]["Message"].as_str().unwrap_or_default(),
    );
    assert_eq!(
        subject,
        format!("superwerker-backup: 3 unprotected in {} ca-central-1", em.account)
    );
    assert_eq!(
        Some(received[0]["MessageId"].as_str().unwrap_or_default()),
        outcome.message_id.as_deref()
    );
    for (arn, verdict) in [
        (&not_opted_in, "not-opted-in"),
        (&key_case, "key-case-conflict"),
        (&partial_only, "no-recent-recovery-point"),
    ] {
        assert!(message.contains(&format!("- {arn} (")), "{arn} missing:\n{message}");
        assert!(
            message.contains(&format!("  {verdict}: 1\n")),
            "{verdict} not counted:\n{message}"
        );
    }
    for arn in [&protected, &opted_out, &clean_volume, &clean_table] {
        assert!(
            !message.contains(arn.as_str()),
            "{arn} is protected or opted out:\n{message}"
        );
    }
    assert!(
        message.contains(&format!("account {}, region ca-central-1", em.account)),
        "{message}"
    );

    if std::env::var("SWB_PRINT_DIGEST").is_ok() {
        println!("Subject: {subject}\n\n{message}");
    }

    // Every call the sweep made is one the function's role is granted (crates/aws/src/iam.rs, the template's test).
    let undeclared =
        superwerker_backup_aws::iam::undeclared(aws.calls().snapshot().keys(), &superwerker_backup_aws::iam::sweep());
    assert!(undeclared.is_empty(), "calls the role does not grant: {undeclared:?}");

    // A sweep whose time for writes ran out: the untagged volume is deferred, the report incomplete, and no digest
    // is sent (only the sweep that completes sends it).
    let untagged = dirty.volume_arn(&dirty.create_volume(&[]).await.unwrap());
    let out_of_time = BackfillOptions {
        stop_writes_at: Some(std::time::Instant::now()),
        ..options("ca-central-1")
    };
    let swept = sweep(&aws, &out_of_time, Some((&topic).into())).await.unwrap();
    assert!(swept.report.incomplete && !swept.report.partial, "{:?}", swept.report);
    assert_eq!(swept.report.kinds["ec2:volume"].deferred, 1, "{:?}", swept.report);
    assert_eq!(swept.report.total_tagged(), 0);
    assert!(swept.digest.is_none());
    assert_eq!(swept.digest_skipped, Some(superwerker_backup_sweep::INCOMPLETE));
    assert_eq!(dirty.tag_value(&untagged, KEY).await.unwrap(), None);
    assert!(em.received(&subscriber).await.unwrap().is_empty());

    // The Lambda gives the audit up at its deadline: an audit that cannot finish in time is an error, not a digest.
    let (outcome, skipped) = superwerker_backup_sweep::digest_after(
        &aws,
        &options("ca-central-1"),
        Some((&topic).into()),
        &superwerker_backup_backfill::Report::default(),
        Some(std::time::Instant::now()),
    )
    .await;
    assert!(
        matches!(outcome, Some(Err(superwerker_backup_sweep::DigestError::OutOfTime))),
        "{outcome:?}"
    );
    assert_eq!(skipped, None);
    assert!(em.received(&subscriber).await.unwrap().is_empty());

    // A dry run neither audits nor sends.
    let dry = BackfillOptions {
        dry_run: true,
        ..options("ca-central-1")
    };
    let swept = sweep(&aws, &dry, Some((&topic).into())).await.unwrap();
    assert!(swept.digest.is_none());
    assert!(em.received(&subscriber).await.unwrap().is_empty());

    events_waiting_in_the_dead_letter_queue_are_told_even_when_all_is_protected(&em).await;
}

/// A stack that forwards its alerts has no other way to tell of a failing forward than this: the digest names the
/// events waiting in the dead-letter queue, even in a region where everything is protected. Run at the end of the test
/// above, which owns the emulator's account-wide state (it resets it).
async fn events_waiting_in_the_dead_letter_queue_are_told_even_when_all_is_protected(em: &Emulator) {
    let role = em
        .create_backup_role("/service-role/", &superwerker_backup_e2e::unique("dlq"))
        .await
        .unwrap();
    let region = em.in_region("sa-east-1");
    backed_up_region(&region, &role).await;
    region.create_volume(&[(KEY, "daily")]).await.unwrap();
    em.run_backups(json!({"regions": ["sa-east-1"], "hours_ago": 2}))
        .await
        .unwrap();
    let subscriber = em.topic_with_subscriber().await.unwrap();
    let aws = em.fresh_aws().await;
    let topic = aws.alert_topic(&subscriber.topic_arn);
    let sqs = em.clients().sqs;
    let url = sqs
        .create_queue()
        .queue_name(superwerker_backup_e2e::unique("dlq"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let queue = aws.dead_letter_queue(&url);
    let to = || superwerker_backup_sweep::DigestTo {
        topic: &topic,
        dead_letter: Some(&queue),
        reports: None,
    };

    let swept = sweep(&aws, &options("sa-east-1"), Some(to())).await.unwrap();
    assert_eq!(swept.digest.unwrap().unwrap().unprotected, 0);
    assert!(
        em.received(&subscriber).await.unwrap().is_empty(),
        "an empty queue: nothing to tell"
    );

    for n in 0..2 {
        sqs.send_message()
            .queue_url(&url)
            .message_body(format!("failed event {n}"))
            .send()
            .await
            .unwrap();
    }
    let swept = sweep(&aws, &options("sa-east-1"), Some(to())).await.unwrap();
    let outcome = swept.digest.unwrap().unwrap();
    assert_eq!(outcome.unprotected, 0);
    let received = em.received(&subscriber).await.unwrap();
    assert_eq!(received.len(), 1, "{received:#?}");
    let message = received[0]["Message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("2 events wait in this stack's dead-letter queue ({url})")),
        "{message}"
    );
    let undeclared =
        superwerker_backup_aws::iam::undeclared(aws.calls().snapshot().keys(), &superwerker_backup_aws::iam::sweep());
    assert!(undeclared.is_empty(), "calls the role does not grant: {undeclared:?}");
}
