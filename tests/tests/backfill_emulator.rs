//! Backfill against the local AWS emulator (moto): 1,000 mixed resources in two regions, the API calls counted.
//! The tests reset the emulator and take turns (a mutex): they count every resource in the account.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use superwerker_backup_backfill::{apply, run, scan, BackfillOptions, NoProgress, Report};
use superwerker_backup_domain::ResourceKind;
use superwerker_backup_e2e::Emulator;
use tokio::sync::Mutex;

static TURN: Mutex<()> = Mutex::const_new(());
const KEY: &str = "superwerker:backup";
const REGIONS: [&str; 2] = ["eu-central-1", "eu-west-1"];

#[derive(Clone, Copy, Debug)]
enum Seed {
    Untagged,
    OtherTagsOnly,
    Daily,
    OptedOut,
    Weekly,
}

impl Seed {
    fn tags(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Seed::Untagged => vec![],
            Seed::OtherTagsOnly => vec![("team", "payments")],
            Seed::Daily => vec![(KEY, "daily")],
            Seed::OptedOut => vec![(KEY, "none"), ("team", "scratch")],
            Seed::Weekly => vec![(KEY, "weekly")],
        }
    }

    /// The value our key must have after a backfill.
    fn expected(self) -> &'static str {
        match self {
            Seed::Untagged | Seed::OtherTagsOnly | Seed::Daily => "daily",
            Seed::OptedOut => "none",
            Seed::Weekly => "weekly",
        }
    }
}

/// Creates `count` resources of `kind` with `seed` tags in `em`'s region, 8 at a time; returns their ARNs.
async fn create_many(em: &Emulator, kind: ResourceKind, seed: Seed, count: usize) -> Vec<String> {
    let sem = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (em, sem) = (em.clone(), sem.clone());
        tasks.spawn(async move {
            let _p = sem.acquire_owned().await.unwrap();
            let tags = seed.tags();
            superwerker_backup_e2e::seed(&em, kind, &tags, &[]).await.unwrap().arn
        });
    }
    let mut arns = Vec::new();
    while let Some(arn) = tasks.join_next().await {
        arns.push(arn.unwrap());
    }
    arns
}

/// Seeds the mix; returns ARN → the value our key must have after a backfill, and the ARNs a backfill must tag.
async fn seed(
    em: &Emulator,
    per_region: &[(ResourceKind, Seed, usize)],
) -> (BTreeMap<String, &'static str>, Vec<String>) {
    let mut expected = BTreeMap::new();
    let mut to_tag = Vec::new();
    for region in REGIONS {
        let em = em.in_region(region);
        for &(kind, seed, n) in per_region {
            for arn in create_many(&em, kind, seed, n).await {
                if matches!(seed, Seed::Untagged | Seed::OtherTagsOnly) {
                    to_tag.push(arn.clone());
                }
                expected.insert(arn, seed.expected());
            }
        }
    }
    to_tag.sort();
    (expected, to_tag)
}

fn options(dry_run: bool) -> BackfillOptions {
    BackfillOptions {
        dry_run,
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        // moto does not throttle: no pause between DynamoDB batches here (the default is AWS's 5 per second).
        rate_override: Some(0.0),
        ..BackfillOptions::default()
    }
}

fn calls(report: &Report, op: &str) -> u64 {
    report.api_calls.get(op).copied().unwrap_or(0)
}

const WRITES: [&str; 4] = [
    "EC2.CreateTags",
    "Tagging.TagResources",
    "DynamoDB.TagResource",
    "RDS.AddTagsToResource",
];

#[tokio::test]
async fn a_thousand_resources_in_two_regions_are_backfilled_with_batched_calls() {
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let mix = [
        (ResourceKind::EbsVolume, Seed::Untagged, 100),
        (ResourceKind::EbsVolume, Seed::OtherTagsOnly, 50),
        (ResourceKind::EbsVolume, Seed::Daily, 50),
        (ResourceKind::EbsVolume, Seed::OptedOut, 25),
        (ResourceKind::EbsVolume, Seed::Weekly, 25),
        (ResourceKind::DynamoDbTable, Seed::Untagged, 40),
        (ResourceKind::DynamoDbTable, Seed::OtherTagsOnly, 20),
        (ResourceKind::DynamoDbTable, Seed::Daily, 20),
        (ResourceKind::DynamoDbTable, Seed::OptedOut, 10),
        (ResourceKind::DynamoDbTable, Seed::Weekly, 10),
        (ResourceKind::RdsDbInstance, Seed::Untagged, 60),
        (ResourceKind::RdsDbInstance, Seed::OtherTagsOnly, 30),
        (ResourceKind::RdsDbInstance, Seed::Daily, 30),
        (ResourceKind::RdsDbInstance, Seed::OptedOut, 15),
        (ResourceKind::RdsDbInstance, Seed::Weekly, 15),
    ];
    let seeding = Instant::now();
    let (expected, to_tag) = seed(&em, &mix).await;
    assert_eq!(expected.len(), 1000);
    assert_eq!(to_tag.len(), 600);
    eprintln!("seeded 1000 resources in {:?}", seeding.elapsed());

    // Dry run: reports exactly what the real run then does, writes nothing.
    let dry = run(&em.fresh_aws().await, &options(true), Arc::new(NoProgress))
        .await
        .unwrap();
    assert!(!dry.partial, "{}", dry.to_table());
    assert_eq!(dry.tagged_resources, to_tag);
    assert_eq!(
        WRITES.iter().map(|op| calls(&dry, op)).sum::<u64>(),
        0,
        "{:?}",
        dry.api_calls
    );
    let volumes = &dry.kinds["ec2:volume"];
    assert_eq!(
        (
            volumes.scanned,
            volumes.already_daily,
            volumes.opted_out,
            volumes.other_value,
            volumes.would_tag
        ),
        (500, 100, 50, 50, 300)
    );
    let tables = &dry.kinds["dynamodb:table"];
    assert_eq!(
        (
            tables.scanned,
            tables.already_daily,
            tables.opted_out,
            tables.other_value,
            tables.would_tag
        ),
        (200, 40, 20, 20, 120)
    );
    let dbs = &dry.kinds["rds:db"];
    assert_eq!(
        (
            dbs.scanned,
            dbs.already_daily,
            dbs.opted_out,
            dbs.other_value,
            dbs.would_tag
        ),
        (300, 60, 30, 30, 180)
    );
    for arn in expected
        .keys()
        .filter(|a| !to_tag.contains(a))
        .take(3)
        .chain(to_tag.iter().take(3))
    {
        let now = em.tag_value(arn, KEY).await.unwrap();
        assert_ne!(
            now.as_deref(),
            Some("daily").filter(|_| to_tag.contains(arn)),
            "dry run wrote {arn}"
        );
    }

    // The real run.
    let started = Instant::now();
    let real = run(&em.fresh_aws().await, &options(false), Arc::new(NoProgress))
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(!real.partial, "{}", real.to_table());
    assert_eq!(
        real.tagged_resources, dry.tagged_resources,
        "dry run and real run agree"
    );
    assert_eq!(real.total_tagged(), 600);
    // Batching: 300 untagged volumes per region need one CreateTags each; tables + DBs go 20 ARNs per TagResources;
    // only the tables the index reported untagged are confirmed one by one.
    assert!(
        (1..=2).contains(&calls(&real, "EC2.CreateTags")),
        "{:?}",
        real.api_calls
    );
    assert!(
        (1..=2 * (90 + 60_u64).div_ceil(20)).contains(&calls(&real, "Tagging.TagResources")),
        "{:?}",
        real.api_calls
    );
    assert!(calls(&real, "Tagging.GetResources") >= 1, "{:?}", real.api_calls);
    // moto does not evaluate IAM conditions, so the guard probe (per region: read a `daily` table, write it the
    // same value) finds the write allowed and every table the index reports untagged is confirmed.
    assert_eq!(
        calls(&real, "DynamoDB.ListTagsOfResource"),
        120 + 2,
        "{:?}",
        real.api_calls
    );
    assert_eq!(
        calls(&real, "DynamoDB.TagResource"),
        2,
        "the probes: {:?}",
        real.api_calls
    );
    assert_eq!(calls(&real, "RDS.AddTagsToResource"), 0);
    for region in REGIONS {
        let check = &real.index_checks[&format!("{region} dynamodb:table")];
        assert!(
            check.contains("60 DynamoDB tables confirmed") && check.contains("probe write allowed"),
            "{check}"
        );
    }
    assert!(
        dry.index_checks.values().all(|c| c.contains("dry run")),
        "{:?}",
        dry.index_checks
    );
    eprintln!(
        "backfill of 1000 resources (600 tagged): {} API calls in {took:?}: {:?}",
        real.total_api_calls, real.api_calls
    );

    let undeclared =
        superwerker_backup_aws::iam::undeclared(real.api_calls.keys(), &superwerker_backup_aws::iam::backfill());
    assert!(
        undeclared.is_empty(),
        "calls the template does not allow: {undeclared:?}"
    );

    // End state: every untagged one is daily, no existing value changed.
    for (arn, want) in &expected {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap().as_deref(), Some(*want), "{arn}");
    }

    // A second backfill tags nothing and writes nothing.
    let again = run(&em.fresh_aws().await, &options(false), Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(again.total_tagged(), 0, "{}", again.to_table());
    assert_eq!(
        WRITES.iter().map(|op| calls(&again, op)).sum::<u64>(),
        0,
        "{:?}",
        again.api_calls
    );
    assert_eq!(calls(&again, "DynamoDB.ListTagsOfResource"), 0);
}

#[tokio::test]
async fn aurora_clusters_and_efs_file_systems_are_backfilled_too() {
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let mix = [
        (ResourceKind::RdsDbCluster, Seed::Untagged, 3),
        (ResourceKind::RdsDbCluster, Seed::OptedOut, 2),
        (ResourceKind::EfsFileSystem, Seed::Untagged, 5),
        (ResourceKind::EfsFileSystem, Seed::OtherTagsOnly, 3),
        (ResourceKind::EfsFileSystem, Seed::Daily, 2),
        (ResourceKind::EfsFileSystem, Seed::OptedOut, 2),
        (ResourceKind::EfsFileSystem, Seed::Weekly, 1),
    ];
    let (expected, to_tag) = seed(&em, &mix).await;
    assert_eq!((expected.len(), to_tag.len()), (36, 22));

    let report = run(&em.fresh_aws().await, &options(false), Arc::new(NoProgress))
        .await
        .unwrap();
    assert!(!report.partial, "{}", report.to_table());
    assert_eq!(report.tagged_resources, to_tag);
    let fs = &report.kinds["elasticfilesystem:file-system"];
    assert_eq!(
        (fs.scanned, fs.already_daily, fs.opted_out, fs.other_value, fs.tagged),
        (26, 4, 4, 2, 16)
    );
    let clusters = &report.kinds["rds:cluster"];
    assert_eq!((clusters.scanned, clusters.opted_out, clusters.tagged), (10, 4, 6));
    // Listing: one DescribeFileSystems page per region; tagging: each kind is tagged as soon as its scan is done,
    // so one TagResources per kind and region (3 clusters, 8 file systems).
    assert_eq!(calls(&report, "EFS.DescribeFileSystems"), 2, "{:?}", report.api_calls);
    assert_eq!(calls(&report, "Tagging.TagResources"), 4, "{:?}", report.api_calls);
    assert_eq!(calls(&report, "EFS.TagResource"), 0);
    let undeclared =
        superwerker_backup_aws::iam::undeclared(report.api_calls.keys(), &superwerker_backup_aws::iam::backfill());
    assert!(undeclared.is_empty(), "{undeclared:?}");
    for (arn, want) in &expected {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap().as_deref(), Some(*want), "{arn}");
    }
}

#[tokio::test]
async fn a_persistent_failure_on_one_resource_is_reported_and_the_rest_are_done() {
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let (expected, to_tag) = seed(
        &em,
        &[
            (ResourceKind::DynamoDbTable, Seed::Untagged, 3),
            (ResourceKind::EbsVolume, Seed::Untagged, 3),
            (ResourceKind::RdsDbInstance, Seed::Untagged, 2),
        ],
    )
    .await;
    // One table's tag read fails with HTTP 500 every time (the fault proxy in front of the emulator).
    let broken = to_tag.iter().find(|a| a.contains(":table/")).unwrap().clone();
    let proxy = superwerker_backup_e2e::FaultProxy::from_env();
    let rule = format!("backfill-{broken}");
    proxy
        .add(serde_json::json!([{"id": rule, "service": "dynamodb", "op": "ListTagsOfResource", "contains": broken, "fault": "http500"}]))
        .await
        .unwrap();
    let report = run(&proxy.aws(3).await, &options(false), Arc::new(NoProgress))
        .await
        .unwrap();
    proxy.remove(&rule).await.unwrap();
    assert!(report.partial, "{}", report.to_table());
    let failed: Vec<&str> = report.failures().map(|f| f.resource.as_str()).collect();
    assert_eq!(failed, [broken.as_str()], "{}", report.to_table());
    assert_eq!(report.total_tagged(), to_tag.len() as u64 - 1);
    for (arn, want) in &expected {
        let now = em.tag_value(arn, KEY).await.unwrap();
        if arn == &broken {
            assert_eq!(now, None, "not tagged without knowing its tags");
        } else {
            assert_eq!(now.as_deref(), Some(*want), "{arn}");
        }
    }
}

// moto does not evaluate IAM conditions. Here the fault proxy's `guard` rule stands in for IAM evaluating the
// deployed role's never-overwrite condition (`Null: aws:ResourceTag/superwerker:backup`, infra/template.yaml) on
// DynamoDB `TagResource` and the Tagging API's `TagResources`: a write to a table that has the key is refused.
#[tokio::test]
async fn with_the_guard_proven_tables_are_tagged_without_a_confirmation_read_each() {
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let (expected, to_tag) = seed(
        &em,
        &[
            (ResourceKind::DynamoDbTable, Seed::Untagged, 25),
            (ResourceKind::DynamoDbTable, Seed::OtherTagsOnly, 5),
            (ResourceKind::DynamoDbTable, Seed::Daily, 3),
            (ResourceKind::DynamoDbTable, Seed::OptedOut, 4),
        ],
    )
    .await;
    let proxy = superwerker_backup_e2e::FaultProxy::from_env();
    proxy
        .add(serde_json::json!([{"id": "guard-proven", "fault": "guard"}]))
        .await
        .unwrap();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let report = run(&proxy.aws(3).await, &options(false), Arc::new(NoProgress)).await;
    let probes = proxy.log("\"superwerker:backup\"").await.unwrap();
    proxy.remove("guard-proven").await.unwrap();
    let report = report.unwrap();
    assert!(!report.partial, "{}", report.to_table());
    assert_eq!(report.tagged_resources, to_tag);
    // Per region: the probe (one read, one refused write of the unchanged value) and the control (one read, one
    // allowed write of a table without the key, which that table needed anyway); no confirmation read per table.
    assert_eq!(
        calls(&report, "DynamoDB.ListTagsOfResource"),
        4,
        "{:?}",
        report.api_calls
    );
    assert_eq!(calls(&report, "DynamoDB.TagResource"), 4, "{:?}", report.api_calls);
    let since_start = |r: &&serde_json::Value| r["t_start"].as_f64().unwrap_or(0.0) >= since;
    let tag_writes: Vec<&serde_json::Value> = probes
        .iter()
        .filter(since_start)
        .filter(|r| r["op"] == "TagResource")
        .collect();
    let refused = tag_writes
        .iter()
        .filter(|r| r["fault"] == "guard" && r["status"] == 400)
        .count();
    assert_eq!(refused, 2, "{probes:?}");
    assert_eq!(tag_writes.len(), 4, "{probes:?}");
    assert_eq!(
        calls(&report, "Tagging.TagResources"),
        4,
        "29 tables per region after the control, 20 per call: {:?}",
        report.api_calls
    );
    for region in REGIONS {
        let check = &report.index_checks[&format!("{region} dynamodb:table")];
        assert!(
            check.contains("guard refused") && check.contains("30 DynamoDB tables"),
            "{check}"
        );
    }
    for (arn, want) in &expected {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap().as_deref(), Some(*want), "{arn}");
    }
}

/// A backfill through the fault proxy with the guard standing in for IAM (moto evaluates no IAM condition): the
/// `TagResources` batch carrying `victim` waits 700 ms at the proxy, and meanwhile its owner sets it to `none` by hand.
async fn backfill_while_the_owner_opts_out(em: &Emulator, victim: &str, opts: BackfillOptions) -> Report {
    let proxy = superwerker_backup_e2e::FaultProxy::from_env();
    proxy
        .add(serde_json::json!([
            {"id": "guard-late", "fault": "guard"},
            {"id": "guard-late", "service": "tagging", "op": "TagResources", "contains": victim, "fault": "delay", "delay_ms": 700},
        ]))
        .await
        .unwrap();
    let aws = proxy.aws(3).await;
    let backfill = tokio::spawn(async move { run(&aws, &opts, Arc::new(NoProgress)).await });
    proxy
        .wait_for(victim, "TagResources", std::time::Duration::from_secs(30))
        .await
        .unwrap();
    em.tag_after_creation(victim, KEY, "none").await.unwrap();
    let report = backfill.await.unwrap();
    proxy.remove("guard-late").await.unwrap();
    report.unwrap()
}

#[tokio::test]
async fn a_value_set_after_the_scan_is_kept_when_the_guard_refuses_the_write() {
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let (expected, to_tag) = seed(
        &em,
        &[
            (ResourceKind::DynamoDbTable, Seed::Untagged, 6),
            (ResourceKind::DynamoDbTable, Seed::Daily, 1),
        ],
    )
    .await;
    // Not the first untagged table in ARN order: the guard probe's control write takes that one (before any batch).
    let victim = to_tag.iter().rfind(|a| a.contains(REGIONS[0])).unwrap().clone();
    let report = backfill_while_the_owner_opts_out(&em, &victim, options(false)).await;

    assert_eq!(
        em.tag_value(&victim, KEY).await.unwrap().as_deref(),
        Some("none"),
        "overwritten"
    );
    assert!(
        !report.partial,
        "a refused overwrite is not a failure: {}",
        report.to_table()
    );
    assert!(!report.tagged_resources.contains(&victim));
    assert_eq!(report.tagged_resources.len(), to_tag.len() - 1);
    let tables = &report.kinds["dynamodb:table"];
    assert_eq!(
        (tables.tagged, tables.opted_out, tables.already_daily),
        (11, 1, 2),
        "{}",
        report.to_table()
    );
    // Per region a probe read and a control read; one re-read of the refused table.
    assert_eq!(
        calls(&report, "DynamoDB.ListTagsOfResource"),
        5,
        "{:?}",
        report.api_calls
    );
    for (arn, want) in expected.iter().filter(|(a, _)| **a != victim) {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap().as_deref(), Some(*want), "{arn}");
    }
}

#[tokio::test]
async fn volumes_that_vanish_between_listing_and_tagging_are_reported_and_the_rest_are_done() {
    // moto's Tagging API TagResources accepts ARNs of deleted tables and DB instances without reporting them, so only
    // volumes (EC2 CreateTags fails a batch with InvalidVolume.NotFound, as AWS does) vanish here; the Tagging API's
    // FailedResourcesMap is tested with aws-smithy-mocks in crates/aws/tests/tagging_mocks.rs.
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let volumes = create_many(&em, ResourceKind::EbsVolume, Seed::Untagged, 200).await;
    let tables = create_many(&em, ResourceKind::DynamoDbTable, Seed::Untagged, 2).await;

    let aws = em.fresh_aws().await;
    let mut opts = options(false);
    opts.regions = vec![em.region.clone()];
    let account = aws.caller_account().await.unwrap();
    let plan = scan(&aws, &opts, &account, Arc::new(NoProgress)).await.unwrap();
    assert_eq!(plan.entries.len(), 202);

    let c = em.clients();
    let mut gone: Vec<&str> = vec![volumes[20].as_str(), volumes[170].as_str()];
    for arn in &gone {
        let id = arn.rsplit('/').next().unwrap();
        c.ec2.delete_volume().volume_id(id).send().await.unwrap();
    }

    let report = apply(&aws, &opts, plan, Arc::new(NoProgress)).await;
    assert!(report.partial, "{}", report.to_table());
    let mut failed: Vec<&str> = report.failures().map(|f| f.resource.as_str()).collect();
    failed.sort();
    gone.sort();
    assert_eq!(failed, gone, "{}", report.to_table());
    assert!(
        report.failures().all(|f| f.error.contains("InvalidVolume.NotFound")),
        "{}",
        report.to_table()
    );
    assert_eq!(report.total_tagged(), 200);
    for arn in volumes.iter().chain(&tables).filter(|a| !gone.contains(&a.as_str())) {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap().as_deref(), Some("daily"), "{arn}");
    }
    // The batch was split in halves to isolate the 2 missing ids among 200: at most 2 * 2 * log2(200) + 1 calls,
    // not one per volume.
    let create_tags = aws.calls().of("EC2.CreateTags");
    assert!((3..=33).contains(&create_tags), "{create_tags} CreateTags calls");
    eprintln!("200 volumes, 2 vanished: {create_tags} CreateTags calls");
}

#[tokio::test]
async fn the_real_backfill_lambda_answers_manual_and_scheduled_invocations() {
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let untagged = create_many(&em, ResourceKind::EbsVolume, Seed::Untagged, 3).await;
    let opted_out = create_many(&em, ResourceKind::DynamoDbTable, Seed::OptedOut, 1).await;
    let invoke = |payload: serde_json::Value| {
        tokio::task::spawn_blocking(move || superwerker_backup_e2e::invoke_lambda("backup-backfill", &payload).unwrap())
    };

    let dry = invoke(serde_json::json!({"dryRun": true}))
        .await
        .unwrap()
        .expect("dry run answers");
    assert_eq!(dry["dryRun"], serde_json::json!(true));
    assert_eq!(dry["kinds"]["ec2:volume"]["wouldTag"], serde_json::json!(3), "{dry}");
    assert_eq!(dry["kinds"]["dynamodb:table"]["optedOut"], serde_json::json!(1));
    assert_eq!(em.tag_value(&untagged[0], KEY).await.unwrap(), None, "dry run wrote");

    let real = invoke(serde_json::json!({"dryRun": false, "regions": [em.region]}))
        .await
        .unwrap()
        .expect("answers");
    assert_eq!(real["kinds"]["ec2:volume"]["tagged"], serde_json::json!(3), "{real}");
    for arn in &untagged {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap().as_deref(), Some("daily"));
    }
    assert_eq!(em.tag_value(&opted_out[0], KEY).await.unwrap().as_deref(), Some("none"));

    let sweep = invoke(serde_json::json!({
        "version": "0", "id": "sweep-1", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": em.account, "time": "2026-11-26T05:30:00Z", "region": em.region,
        "resources": ["arn:aws:events:eu-central-1:123456789012:rule/superwerker-backup-sweep"], "detail": {}
    }))
    .await
    .unwrap()
    .expect("the sweep answers");
    assert_eq!(sweep["dryRun"], serde_json::json!(false));
    assert_eq!(
        sweep["kinds"]["ec2:volume"]["alreadyDaily"],
        serde_json::json!(3),
        "{sweep}"
    );
    assert_eq!(sweep["kinds"]["ec2:volume"]["tagged"], serde_json::json!(0));
    // Each of the two sweeps (not the dry run) logged its metrics as one embedded-metric-format line (the alarms watch
    // them: tests/infra/test_alerts.py compares names and dimensions).
    let log = std::fs::read_to_string(std::env::var("SWB_LAMBDA_WATCH_LOG").unwrap()).unwrap();
    let metric_lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter(|v| v.get("_aws").is_some() && v["FunctionName"].as_str().is_some_and(|f| f.contains("backfill")))
        .collect();
    let last_two: Vec<(u64, u64)> = metric_lines
        .iter()
        .rev()
        .take(2)
        .map(|v| {
            (
                v["SweepSucceeded"].as_u64().unwrap(),
                v["SweepPartial"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(last_two, [(1, 0), (1, 0)], "{metric_lines:?}");
    assert!(
        metric_lines
            .iter()
            .all(|v| v["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "superwerker-backup"),
        "{metric_lines:?}"
    );

    let typo = invoke(serde_json::json!({"dryrun": true}))
        .await
        .unwrap()
        .expect_err("a typo is refused");
    assert!(typo.contains("dryRun"), "{typo}");

    // Each region has its own stack; the role may tag only its own region.
    let elsewhere = invoke(serde_json::json!({"dryRun": true, "regions": ["us-east-1"]}))
        .await
        .unwrap()
        .expect_err("another region is refused");
    assert!(
        elsewhere.contains("own region") && elsewhere.contains("us-east-1"),
        "{elsewhere}"
    );
}

/// IAM refuses every table write (no permission at all, or a policy denying everything): the probe's refusal is no
/// proof of the guard. The control write tells them apart, and the report says which it found.
#[tokio::test]
async fn a_blanket_denial_is_not_taken_for_the_guard() {
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let region = REGIONS[0];
    let em = em.in_region(region);
    let daily = create_many(&em, ResourceKind::DynamoDbTable, Seed::Daily, 1).await;
    let untagged = create_many(&em, ResourceKind::DynamoDbTable, Seed::Untagged, 1).await;
    let proxy = superwerker_backup_e2e::FaultProxy::from_env();
    for (id, scp, expect) in [
        (
            "deny-all",
            false,
            "blanket denial: the role may not tag a resource without the key either",
        ),
        (
            "deny-scp",
            true,
            "probe write refused, not by the guard (explicit deny in a service control policy)",
        ),
    ] {
        // tag:TagResources tags with the caller's dynamodb:TagResource permission: denied alike.
        proxy
            .add(serde_json::json!([
                {"id": id, "service": "dynamodb", "op": "TagResource", "fault": "deny", "scp": scp},
                {"id": id, "service": "tagging", "op": "TagResources", "fault": "deny", "scp": scp}
            ]))
            .await
            .unwrap();
        let opts = BackfillOptions {
            regions: vec![region.to_owned()],
            ..options(false)
        };
        let report = run(&proxy.aws(1).await, &opts, Arc::new(NoProgress)).await;
        proxy.remove(id).await.unwrap();
        let report = report.unwrap();
        let check = &report.index_checks[&format!("{region} dynamodb:table")];
        assert!(check.contains(expect), "{id}: {check}");
        assert!(!check.contains("guard refused"), "{id}: {check}");
        assert!(
            report.partial,
            "{id}: the untagged table could not be tagged: {}",
            report.to_table()
        );
        assert_eq!(em.tag_value(&untagged[0], KEY).await.unwrap(), None, "{id}");
        assert_eq!(em.tag_value(&daily[0], KEY).await.unwrap().as_deref(), Some("daily"));
    }
}

/// The same guard case for a DB instance and an EFS file system (tagged through the Tagging API): the refused write is
/// read again with the service's own call (`RDS.ListTagsForResource`, `EFS.DescribeFileSystems`), which the deployed
/// role must be granted — every call the run made is declared in `iam::BACKFILL`.
#[tokio::test]
async fn a_value_set_after_the_scan_is_kept_for_databases_and_file_systems_too() {
    let _turn = TURN.lock().await;
    for (kind, reread) in [
        (ResourceKind::RdsDbInstance, "RDS.ListTagsForResource"),
        (ResourceKind::EfsFileSystem, "EFS.DescribeFileSystems"),
    ] {
        let em = Emulator::connect().await;
        em.reset().await.unwrap();
        let em = em.in_region(REGIONS[0]);
        let mut arns = create_many(&em, kind, Seed::Untagged, 2).await;
        arns.sort();
        let victim = arns[1].clone();
        let opts = BackfillOptions {
            regions: vec![REGIONS[0].to_owned()],
            ..options(false)
        };
        let report = backfill_while_the_owner_opts_out(&em, &victim, opts).await;
        assert_eq!(
            em.tag_value(&victim, KEY).await.unwrap().as_deref(),
            Some("none"),
            "{kind:?}"
        );
        assert!(!report.partial, "{kind:?}: {}", report.to_table());
        assert!(calls(&report, reread) >= 1, "{kind:?}: {:?}", report.api_calls);
        let undeclared =
            superwerker_backup_aws::iam::undeclared(report.api_calls.keys(), &superwerker_backup_aws::iam::backfill());
        assert!(
            undeclared.is_empty(),
            "{kind:?}: calls the role is not granted: {undeclared:?}"
        );
    }
}

/// FSx: file systems AWS Backup protects are tagged through the Tagging API; a scratch Lustre and an ONTAP file system
/// are never tagged and counted `unprotectable` (moto describes a Lustre file system's deployment type where AWS does;
/// the data-repository case, which moto describes elsewhere than AWS, is in crates/aws/tests/fsx_mocks.rs).
#[tokio::test]
async fn fsx_file_systems_are_backfilled_and_what_aws_backup_cannot_protect_is_left_alone() {
    let _turn = TURN.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let em = em.in_region(REGIONS[0]);
    let create =
        |tags: &'static [(&'static str, &'static str)], kind: &'static str, deployment: Option<&'static str>| {
            let em = em.clone();
            async move { em.create_fsx_file_system(tags, kind, deployment).await.unwrap().1 }
        };
    let windows = create(&[], "WINDOWS", None).await;
    let lustre = create(&[("team", "hpc")], "LUSTRE", Some("PERSISTENT_2")).await;
    let zfs_opted_out = create(&[(KEY, "none")], "OPENZFS", None).await;
    let scratch = create(&[], "LUSTRE", Some("SCRATCH_2")).await;
    let ontap = create(&[], "ONTAP", None).await;
    let opts = BackfillOptions {
        regions: vec![REGIONS[0].to_owned()],
        ..options(false)
    };
    let report = run(&em.fresh_aws().await, &opts, Arc::new(NoProgress)).await.unwrap();
    assert!(!report.partial, "{}", report.to_table());
    let fsx = &report.kinds["fsx:file-system"];
    assert_eq!(
        (fsx.scanned, fsx.tagged, fsx.opted_out, fsx.unprotectable),
        (5, 2, 1, 2),
        "{}",
        report.to_table()
    );
    let mut tagged = vec![windows.clone(), lustre.clone()];
    tagged.sort();
    assert_eq!(report.tagged_resources, tagged);
    for (arn, want) in [
        (&windows, Some("daily")),
        (&lustre, Some("daily")),
        (&zfs_opted_out, Some("none")),
    ] {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap().as_deref(), want, "{arn}");
    }
    for arn in [&scratch, &ontap] {
        assert_eq!(em.tag_value(arn, KEY).await.unwrap(), None, "{arn} must stay untagged");
    }
    assert_eq!(calls(&report, "FSx.DescribeFileSystems"), 1, "{:?}", report.api_calls);
    assert_eq!(calls(&report, "Tagging.TagResources"), 1, "{:?}", report.api_calls);
    let undeclared =
        superwerker_backup_aws::iam::undeclared(report.api_calls.keys(), &superwerker_backup_aws::iam::backfill());
    assert!(undeclared.is_empty(), "{undeclared:?}");
    assert!(report.to_table().contains("unsupported"), "{}", report.to_table());
}
