//! Pacing in virtual time (tokio's paused clock, which governor reads through `TokioClock`): each bucket admits no more
//! than AWS documents per window, regional buckets do not hold each other up, account-wide ones are shared.

use std::sync::Arc;
use std::time::Duration;

use superwerker_backup_domain::quotas::{DYNAMODB_TAG_RESOURCE, EC2_CREATE_TAGS, TAGGING_TAG_RESOURCES};
use superwerker_backup_domain::ResourceKind;
use tokio::time::Instant;

use super::Pacer;

/// Each write's start, relative to `t0`, after `writes` writes of `resources` each in every region at once.
async fn starts(
    pacer: Pacer,
    kind: ResourceKind,
    regions: &[&str],
    writes: usize,
    resources: usize,
) -> Vec<Vec<Duration>> {
    let pacer = Arc::new(pacer);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for region in regions {
        let (pacer, region) = (pacer.clone(), region.to_string());
        tasks.push(tokio::spawn(async move {
            let mut at = Vec::new();
            for _ in 0..writes {
                pacer.before_write(kind, &region, resources).await;
                at.push(t0.elapsed());
            }
            at
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("writer task"));
    }
    out
}

/// The most starts in any half-open window of `window`.
fn most_in_window(starts: &[Duration], window: Duration) -> usize {
    let mut sorted = starts.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| sorted[i..].iter().take_while(|t| **t < sorted[i] + window).count())
        .max()
        .unwrap_or(0)
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn a_regional_quota_admits_its_rate_in_each_region_and_the_regions_do_not_wait_for_each_other() {
    let rate = TAGGING_TAG_RESOURCES.per_second as usize;
    let by_region = starts(
        Pacer::new(None),
        ResourceKind::RdsDbInstance,
        &["eu-west-1", "us-east-1"],
        30,
        20,
    )
    .await;
    for starts in &by_region {
        assert!(
            most_in_window(starts, SECOND) <= rate,
            "over {rate}/s in one region: {starts:?}"
        );
        // 30 calls at 5/s with a burst of 1: the last starts at 29 / 5 s, not later.
        let last = *starts.last().unwrap();
        assert!(last <= Duration::from_millis(5_900), "slower than the quota: {last:?}");
    }
    let all: Vec<Duration> = by_region.concat();
    assert!(most_in_window(&all, SECOND) > rate, "the two regions shared one bucket");
}

#[tokio::test(start_paused = true)]
async fn an_account_quota_is_shared_by_every_region_and_costs_one_token_per_table() {
    let rate = DYNAMODB_TAG_RESOURCE.per_second as usize;
    // One table per write: the account-wide DynamoDB bucket, not the regional Tagging API one, sets the pace.
    let by_region = starts(
        Pacer::new(None),
        ResourceKind::DynamoDbTable,
        &["eu-west-1", "us-east-1"],
        10,
        1,
    )
    .await;
    let all: Vec<Duration> = by_region.concat();
    assert!(
        most_in_window(&all, SECOND) <= rate,
        "over {rate}/s across regions: {all:?}"
    );
    // One write of 20 tables takes 20 tokens: it waits 19 / 5 s for the last of them.
    let t0 = Instant::now();
    let pacer = Pacer::new(None);
    pacer.before_write(ResourceKind::DynamoDbTable, "eu-west-1", 20).await;
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(3_700) && waited <= Duration::from_millis(4_100),
        "20 tables at 5/s: {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn ec2_create_tags_spends_its_burst_at_once_then_refills_at_its_rate() {
    let (burst, rate) = (EC2_CREATE_TAGS.burst as usize, EC2_CREATE_TAGS.per_second as usize);
    let starts = starts(Pacer::new(None), ResourceKind::EbsVolume, &["eu-west-1"], 150, 1000)
        .await
        .concat();
    assert_eq!(
        starts.iter().filter(|t| t.is_zero()).count(),
        burst,
        "the burst is not spent at once"
    );
    assert!(most_in_window(&starts, SECOND) <= burst + rate);
    let after_burst: Vec<Duration> = starts.iter().copied().filter(|t| !t.is_zero()).collect();
    assert!(
        most_in_window(&after_burst, SECOND) <= rate,
        "over {rate}/s after the burst"
    );
    let last = *starts.last().unwrap();
    assert!(
        last <= Duration::from_millis(5_100),
        "50 calls after the burst at 10/s: {last:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_override_of_zero_turns_pacing_off_and_another_replaces_dynamodbs_rate() {
    let t0 = Instant::now();
    let off = Pacer::new(Some(0.0));
    for _ in 0..100 {
        off.before_write(ResourceKind::DynamoDbTable, "eu-west-1", 20).await;
        off.before_write(ResourceKind::EbsVolume, "eu-west-1", 1000).await;
    }
    assert_eq!(t0.elapsed(), Duration::ZERO);
    let t0 = Instant::now();
    Pacer::new(Some(50.0))
        .before_write(ResourceKind::DynamoDbTable, "eu-west-1", 20)
        .await;
    let waited = t0.elapsed();
    assert!(waited <= Duration::from_millis(400), "20 tables at 50/s: {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_direct_write_draws_on_dynamodbs_quota_only_and_a_batch_after_it_waits_for_its_tokens() {
    let pacer = Pacer::new(None);
    // The guard's probe and control writes (DynamoDB TagResource): one table each, 1 / 5 s apart.
    let t0 = Instant::now();
    pacer
        .before_direct_write(ResourceKind::DynamoDbTable, "eu-west-1")
        .await;
    pacer
        .before_direct_write(ResourceKind::DynamoDbTable, "eu-west-1")
        .await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_millis(200),
        "the second table waits for its token"
    );
    // They took DynamoDB's tokens, not the Tagging API's: a batch of 20 tables now waits 20 / 5 s, its first call
    // needing no wait of the Tagging API's bucket.
    let t1 = Instant::now();
    pacer.before_write(ResourceKind::DynamoDbTable, "eu-west-1", 20).await;
    let waited = t1.elapsed();
    assert!(
        waited >= Duration::from_millis(3_900) && waited <= Duration::from_millis(4_100),
        "20 tables after two: {waited:?}"
    );
    // A kind without a per-resource quota (volumes: EC2 CreateTags per call) has nothing to draw on.
    let t2 = Instant::now();
    for _ in 0..50 {
        pacer.before_direct_write(ResourceKind::EbsVolume, "eu-west-1").await;
    }
    assert_eq!(t2.elapsed(), Duration::ZERO);
}
