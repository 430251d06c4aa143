//! The backfill's writes paced by AWS's documented quotas (crates/backfill/src/pace.rs; issue: scale), against those
//! quotas enforced: the fault proxy's quota rules (tests/harness/proxy_quota.py) answer a write beyond its rate with
//! the service's throttling error, as AWS does. Paced, the backfill is never throttled; with pacing off, the same work
//! is — so the rules bite, and the first assertion could fail.
//!
//! Each run has its own region, and the rules apply to that region only, so the other tests sharing the proxy are not
//! throttled. DynamoDB's TagResource quota (per account) is drawn on by the Tagging API's `TagResources` once per table
//! in it: the rule's `draws` charge each DynamoDB ARN of a call to that bucket.

use std::sync::Arc;

use serde_json::{json, Value};
use superwerker_backup_backfill::{run, BackfillOptions, NoProgress, Report};
use superwerker_backup_e2e::audit_scene::KEY;
use superwerker_backup_e2e::{unique, Emulator, FaultProxy};

/// AWS's quotas for the calls the backfill writes with (pace.rs cites each), in `region`. Each bucket holds one token
/// more than AWS's: a call sent exactly at the rate can reach the proxy a little sooner than the one before it did.
/// DynamoDB's holds five more (1 s at its rate): a batch of tables spends the tokens it accrued, and a machine busy
/// with other tests can delay one batch's arrival more than the next one's.
fn quotas(id: &str, region: &str) -> Value {
    json!([
        {"id": id, "fault": "quota", "region": region, "service": "tagging", "op": "TagResources",
         "rate": 5, "burst": 2},
        {"id": id, "fault": "quota", "region": region, "service": "ec2", "op": "CreateTags",
         "rate": 10, "burst": 101},
        {"id": id, "fault": "quota", "region": region, "service": "dynamodb", "op": "TagResource",
         "rate": 5, "burst": 6, "scope": "account",
         "draws": [{"service": "tagging", "op": "TagResources", "per_arn": "arn:aws:dynamodb:"}]},
    ])
}

/// 45 untagged tables, 45 untagged DB instances and 120 untagged volumes in `region`: the Tagging API takes six
/// `TagResources` calls (20 ARNs each at most: 3 for each kind), EC2 one `CreateTags`. The tables' draw on DynamoDB's
/// quota (45 tokens at 5 a second) outlasts that bucket's 25 tokens.
async fn seed(em: &Emulator, region: &str) -> Vec<String> {
    let em = em.in_region(region);
    let mut arns = Vec::new();
    for _ in 0..45 {
        arns.push(em.create_table(&[]).await.unwrap().1);
    }
    for _ in 0..45 {
        arns.push(em.create_db_instance(&[]).await.unwrap().1);
    }
    for _ in 0..120 {
        let id = em.create_volume(&[]).await.unwrap();
        arns.push(em.volume_arn(&id));
    }
    arns
}

async fn backfill(proxy: &FaultProxy, region: &str, paced: bool) -> Report {
    let opts = BackfillOptions {
        regions: vec![region.to_owned()],
        rate_override: if paced { None } else { Some(0.0) },
        ..Default::default()
    };
    run(&proxy.aws(5).await, &opts, Arc::new(NoProgress)).await.unwrap()
}

/// The requests in `region` that the quota rules refused.
async fn throttled(proxy: &FaultProxy, region: &str) -> Vec<Value> {
    let log = proxy.log("").await.unwrap();
    log.into_iter()
        .filter(|r| r["region"] == json!(region) && r["fault"] == json!("quota"))
        .collect()
}

#[tokio::test]
async fn paced_by_the_documented_quotas_the_backfill_is_never_throttled_and_unpaced_it_is() {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    let (paced, unpaced) = ("ap-northeast-1", "ap-northeast-2");
    // A rule id per region: DynamoDB's bucket is one per account across regions, so each run gets its own.
    let (paced_id, unpaced_id) = (unique("quota-paced"), unique("quota-unpaced"));
    let mut want = seed(&em, paced).await;
    seed(&em, unpaced).await;
    proxy.add(quotas(&paced_id, paced)).await.unwrap();
    proxy.add(quotas(&unpaced_id, unpaced)).await.unwrap();

    let report = backfill(&proxy, paced, true).await;
    let refused = throttled(&proxy, paced).await;
    assert_eq!(refused, Vec::<Value>::new(), "paced writes met a quota");
    let mut tagged = report.tagged_resources.clone();
    tagged.sort();
    want.sort();
    assert_eq!(tagged, want, "every resource tagged");
    for arn in want.iter().step_by(17) {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap().as_deref(), Some("daily"), "{arn}");
    }

    proxy.remove(&paced_id).await.unwrap();

    backfill(&proxy, unpaced, false).await;
    let refused = throttled(&proxy, unpaced).await;
    proxy.remove(&unpaced_id).await.unwrap();
    assert!(
        !refused.is_empty(),
        "without pacing, six TagResources calls in quick succession meet a bucket of two"
    );
    assert!(refused.iter().all(|r| r["op"] == json!("TagResources")), "{refused:?}");
}
