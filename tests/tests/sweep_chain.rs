//! A sweep that outlasts its invocation goes on in steps (crates/domain/src/chain.rs; issue: scale), against the
//! emulator: the chain record in a DynamoDB table (moto evaluates the condition expressions of PutItem and UpdateItem,
//! which is what keeps two deliveries from running at once), driven as EventBridge drives the Lambda — the daily
//! rule's Scheduled Event, then the tick rule's `{"sweep": "continue"}` — through `chain::step`, what `backup-backfill`
//! calls for them. moto cannot run our Lambda or EventBridge's schedule, so the test delivers the events itself; the
//! real binary's handling of the same payloads is `crates/sweep/src/main.rs` (`trigger_of`, tested there).
//!
//! The time for writes is compressed to 6 s, and DynamoDB's tagging paced at AWS's quota (5 tables a second per
//! account): 40 untagged tables, in two batches of 20 (the Tagging API's most per call), need at least 7.8 s of
//! pacing, so they cannot be tagged in one step whatever the machine's speed, and the first batch's 3.8 s fit one.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
use serde_json::{json, Value};
use superwerker_backup_aws::chain_record::ChainTable;
use superwerker_backup_aws::Aws;
use superwerker_backup_backfill::BackfillOptions;
use superwerker_backup_domain::chain::{Ending, MAX_STEPS};
use superwerker_backup_e2e::audit_scene::KEY;
use superwerker_backup_e2e::{unique, Emulator};
use superwerker_backup_sweep::chain::{step, trigger_of, Stepped};

const REGION: &str = "eu-west-3";

/// The stack's chain table, as the template declares it (`SweepChainTable`: key `id`, a string).
async fn chain_table(em: &Emulator, aws: &Aws) -> ChainTable {
    let name = unique("sweep-chain");
    em.clients()
        .dynamodb
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    aws.chain_table(&name)
}

fn epoch_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// One delivery, with `window` for writes (what the Lambda keeps from its deadline, compressed).
async fn deliver(aws: &Aws, table: &ChainTable, payload: &Value, window: Duration) -> Stepped {
    let trigger = trigger_of(payload).expect("a schedule's payload");
    let opts = BackfillOptions {
        regions: vec![REGION.to_owned()],
        rate_override: None,
        stop_writes_at: Some(Instant::now() + window),
        ..Default::default()
    };
    step(aws, table, &trigger, &opts, epoch_ms() + 2 * window.as_millis() as u64)
        .await
        .unwrap()
}

fn daily_event(id: &str) -> Value {
    json!({"version": "0", "id": id, "detail-type": "Scheduled Event", "source": "aws.events",
           "resources": ["arn:aws:events:eu-west-3:123456789012:rule/superwerker-backup-sweep"], "detail": {}})
}

#[tokio::test]
async fn a_long_sweep_goes_on_in_steps_tags_each_resource_once_and_a_second_delivery_starts_no_second_sweep() {
    let em = Emulator::connect().await;
    let region = em.in_region(REGION);
    let mut untagged = Vec::new();
    for _ in 0..40 {
        untagged.push(region.create_table(&[]).await.unwrap().1);
    }
    let (_, opted_out) = region.create_table(&[(KEY, "none")]).await.unwrap();
    let aws = em.fresh_aws().await;
    let table = chain_table(&em, &aws).await;
    let window = Duration::from_secs(6);
    let start = daily_event(&unique("evt"));

    let mut tagged: Vec<String> = Vec::new();
    let mut steps = Vec::new();
    let mut redelivered = None;
    let mut payload = start.clone();
    for _ in 0..MAX_STEPS {
        match deliver(&aws, &table, &payload, window).await {
            Stepped::Ran {
                report,
                claim,
                ending,
                recorded,
            } => {
                assert!(recorded, "no other delivery changed the record");
                assert!(report.failures().next().is_none(), "{report:?}");
                tagged.extend(report.tagged_resources.iter().cloned());
                steps.push((claim.step, ending, report.tagged_resources.len()));
                if ending == Ending::Done {
                    break;
                }
                assert_eq!(ending, Ending::Continues);
                // EventBridge delivers at least once: the daily event again, between two steps.
                if redelivered.is_none() {
                    redelivered = Some(deliver(&aws, &table, &start, window).await);
                }
                payload = json!({"sweep": "continue"});
            }
            Stepped::Skipped(why) => panic!("step {} skipped: {why}", steps.len() + 1),
        }
    }
    assert!(
        steps.len() >= 2,
        "40 tables at 5 a second do not fit a 6 s window: {steps:?}"
    );
    assert_eq!(steps.last().map(|s| s.1), Some(Ending::Done), "{steps:?}");
    let numbers: Vec<u32> = steps.iter().map(|s| s.0).collect();
    assert_eq!(
        numbers,
        (1..=steps.len() as u32).collect::<Vec<_>>(),
        "one step after another"
    );
    match redelivered {
        Some(Stepped::Skipped(why)) => assert!(why.contains("second delivery"), "{why}"),
        other => panic!("the second delivery of the daily event ran: {other:?}"),
    }

    let mut once = tagged.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), tagged.len(), "a table tagged in two steps: {steps:?}");
    let mut want = untagged.clone();
    want.sort();
    assert_eq!(once, want, "every untagged table, and only those");
    for arn in &untagged {
        assert_eq!(
            region.tag_value(arn, KEY).await.unwrap().as_deref(),
            Some("daily"),
            "{arn}"
        );
    }
    assert_eq!(
        region.tag_value(&opted_out, KEY).await.unwrap().as_deref(),
        Some("none")
    );

    // The chain is over: a tick runs nothing, and neither does the daily event once more.
    for payload in [json!({"sweep": "continue"}), start] {
        match deliver(&aws, &table, &payload, window).await {
            Stepped::Skipped(_) => {}
            Stepped::Ran { claim, .. } => panic!("{payload} ran step {} after the chain ended", claim.step),
        }
    }
}

#[tokio::test]
async fn a_running_step_keeps_other_deliveries_out_and_one_claim_wins() {
    let em = Emulator::connect().await;
    let aws = em.fresh_aws().await;
    let table = chain_table(&em, &aws).await;
    assert_eq!(table.read().await.unwrap(), None);

    // Two deliveries read the same (absent) record and both try to claim: the conditional write lets one through.
    let first = table.claim(None, "evt-a", 1, epoch_ms() + 60_000).await.unwrap();
    let second = table.claim(None, "evt-b", 1, epoch_ms() + 60_000).await.unwrap();
    let claimed = first.expect("the first claim");
    assert_eq!(second, None, "the second claim saw a record that had changed");
    assert_eq!(table.read().await.unwrap().as_ref(), Some(&claimed));

    // While step 1 of evt-a runs, neither another day's event nor a tick starts anything.
    for payload in [daily_event("evt-c"), json!({"sweep": "continue"})] {
        match deliver(&aws, &table, &payload, Duration::from_secs(1)).await {
            Stepped::Skipped(why) => assert!(why.contains("is running"), "{why}"),
            Stepped::Ran { claim, .. } => panic!("{payload} ran step {} beside a running one", claim.step),
        }
    }

    // The step ends incomplete; a stale end (an older version) changes nothing.
    assert!(table.end(&claimed, true).await.unwrap());
    assert!(!table.end(&claimed, false).await.unwrap(), "the record moved on");
    let record = table.read().await.unwrap().unwrap();
    assert!(
        record.pending && record.running_until_ms == 0 && record.step == 1,
        "{record:?}"
    );
}
