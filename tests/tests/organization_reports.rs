//! The organization's reports bucket (README, Organization; issue: organization, part 2): the daily sweeps of three
//! member accounts write their summaries to the management account's bucket, and `audit --organization
//! --from-reports` shows all three without entering any account. One sweep ran two days ago and none since: its
//! summary is flagged stale. A member whose sweep never ran, and the management account (no sweep here), are flagged
//! as having no report.
//!
//! The stale sweep is the real sweep's audit and summary (`audit_and_digest`) given a clock two days back: the
//! summary records when its sweep audited, which is what the reader judges. moto checks no bucket policy, so the
//! policy that confines each account to its own prefix is checked in the template tests.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use serde_json::Value;
use superwerker_backup_domain::names::{reports_bucket_name, DEFAULT_NAME_PREFIX};
use superwerker_backup_e2e::organization::{cli, inside, two_ous};
use superwerker_backup_e2e::{unpaced, Emulator};
use superwerker_backup_sweep::{audit_and_digest, sweep, DigestTo};

#[tokio::test]
async fn the_sweeps_summaries_are_read_from_one_bucket_and_a_silent_sweep_is_a_finding() {
    let em = Emulator::connect().await;
    let [prod, staging, play, never] = two_ous(&em, ["prod", "staging", "play", "never"]).await.members;

    // The management account's bucket, named as make deploy-organization names it (the CLI's default).
    let region = em.region.clone();
    let bucket = reports_bucket_name(DEFAULT_NAME_PREFIX, &em.account, &region);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(em.setup.sdk_config())
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        )
        .send()
        .await
        .unwrap();

    // prod: an untagged volume (the sweep tags it; no plan covers it); staging: nothing; play: an untagged table, swept
    // two days ago.
    let p = inside(&em, &prod).await;
    let volume = p.volume_arn(&p.create_volume(&[]).await.unwrap());
    let pl = inside(&em, &play).await;
    pl.create_table(&[]).await.unwrap();
    for (account, at) in [
        (&prod, None),
        (&staging, None),
        (&play, Some(SystemTime::now() - Duration::from_secs(48 * 3600))),
    ] {
        let within = inside(&em, account).await;
        let topic = within.topic_with_subscriber().await.unwrap();
        let topic = within.setup.alert_topic(&topic.topic_arn);
        let reports = within.setup.report_bucket(&bucket, &region, &em.account);
        let to = DigestTo {
            topic: &topic,
            dead_letter: None,
            reports: Some(&reports),
        };
        let outcome = match at {
            None => sweep(&within.setup, &unpaced(&region), Some(to))
                .await
                .unwrap()
                .digest
                .unwrap()
                .unwrap(),
            Some(then) => audit_and_digest(&within.setup, &unpaced(&region), to, &[], then)
                .await
                .unwrap(),
        };
        assert_eq!(
            outcome.summary,
            Some(format!("s3://{bucket}/reports/{account}/{region}/latest.json"))
        );
    }

    let (code, out) = cli(&["audit", "--organization", "--from-reports", "--output", "json"]);
    assert_eq!(code, 2, "a stale report and accounts without any: partial\n{out}");
    let rollup: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rollup["bucket"], bucket.as_str());
    let by_id: BTreeMap<&str, &Value> = rollup["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["account"].as_str().unwrap(), a))
        .collect();
    let mut all = vec![em.account.as_str(), &prod, &staging, &play, &never];
    all.sort();
    assert_eq!(by_id.keys().copied().collect::<Vec<_>>(), all);
    for silent in [&never, &em.account] {
        assert_eq!(by_id[silent.as_str()]["missing"], true, "{silent}");
    }
    let region_of = |id: &str| {
        let a = by_id[id];
        assert_eq!(a["missing"], false, "{id}");
        assert_eq!(a["regions"].as_array().unwrap().len(), 1, "{id}");
        a["regions"][0].clone()
    };
    let (prod_r, staging_r, play_r) = (region_of(&prod), region_of(&staging), region_of(&play));
    assert_eq!(prod_r["stale"], false);
    assert_eq!(prod_r["summary"]["counts"], serde_json::json!({"not-covered": 1}));
    assert_eq!(prod_r["summary"]["sample"][0]["resource"], volume.as_str());
    assert_eq!(staging_r["stale"], false);
    assert_eq!(staging_r["summary"]["resources"], 0);
    assert_eq!(play_r["stale"], true);
    let age = play_r["ageHours"].as_f64().unwrap();
    assert!((47.9..48.5).contains(&age), "{age}");
    assert_eq!(play_r["summary"]["counts"], serde_json::json!({"untagged": 1}));

    // The table a person reads: the stale region and the silent accounts say so on their lines.
    let (_, table) = cli(&["audit", "--organization", "--from-reports"]);
    if std::env::var_os("SWB_PRINT_ORG").is_some() {
        println!("{table}");
    }
    let line = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id}\n{table}"))
    };
    assert!(line(&play).contains("stale: older than 26 h"), "{table}");
    assert!(line(&never).contains("no report"), "{table}");
    assert!(
        line(&prod).contains("not-covered=1 current, 1 region findings"),
        "{table}"
    );
    assert!(
        table.contains("5 accounts (2 without any report, 1 stale regions;"),
        "{table}"
    );

    // A region every account must report (--regions): an account that has none for it says so.
    let other = if region == "us-west-2" {
        "us-east-2"
    } else {
        "us-west-2"
    };
    let (code, out) = cli(&[
        "audit",
        "--organization",
        "--from-reports",
        "--accounts",
        &prod,
        "--regions",
        &format!("{region},{other}"),
        "--output",
        "json",
    ]);
    assert_eq!(code, 2, "{out}");
    let rollup: Value = serde_json::from_str(&out).unwrap();
    let regions = &rollup["accounts"][0]["regions"];
    assert_eq!(regions.as_array().unwrap().len(), 2, "{out}");
    let missing: Vec<&Value> = regions
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["missing"] == true)
        .collect();
    assert_eq!(missing.len(), 1, "{out}");
    assert_eq!(missing[0]["region"], other);

    // --accounts narrows, the bucket can be named; without a stale one or a missing one, unprotected gives 3.
    let (code, csv) = cli(&[
        "audit",
        "--organization",
        "--from-reports",
        "--reports-bucket",
        &bucket,
        "--accounts",
        &format!("{prod},{staging}"),
        "--output",
        "csv",
    ]);
    assert_eq!(code, 3, "{csv}");
    assert!(csv.contains(&format!("{prod},prod,{region},")), "{csv}");
    assert!(!csv.contains(&play), "{csv}");
}
