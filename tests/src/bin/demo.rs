//! `make demo`: the whole flow against the local emulator, printed step by step.

use std::time::Instant;

use anyhow::Result;
use serde_json::Value;
use superwerker_backup_e2e::{audit_scene, invoke_lambda, Emulator};

const KEY: &str = "superwerker:backup";

struct Row {
    kind: &'static str,
    arn: String,
    /// The creation event; `None` for the further volumes of an instance whose launch event covers them all.
    event: Option<Value>,
}

fn print_tags(title: &str, rows: &[(String, &str, Option<String>)]) {
    println!("\n{title}");
    println!("  {:<16} {:<78} {}", "type", "resource", KEY);
    for (arn, kind, value) in rows {
        println!("  {:<16} {:<78} {}", kind, arn, value.as_deref().unwrap_or("(absent)"));
    }
}

async fn snapshot(em: &Emulator, rows: &[Row]) -> Result<Vec<(String, &'static str, Option<String>)>> {
    let mut out = Vec::new();
    for r in rows {
        out.push((r.arn.clone(), r.kind, em.tag_value(&r.arn, KEY).await?));
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<()> {
    let em = Emulator::connect().await;
    println!("== superwerker-backup demo ==");
    println!(
        "emulator: moto at {} (account {}, region {})",
        std::env::var("AWS_ENDPOINT_URL")?,
        em.account,
        em.region
    );

    println!(
        "\n0. Bootstrap in the organization's management account: tag policy + daily 05:00 UTC / 30-day backup policy."
    );
    em.create_organization().await?;
    let cli = superwerker_backup_e2e::target_dir().join("debug/superwerker-backup");
    for run in ["first run", "second run (idempotent)"] {
        println!("\n   $ superwerker-backup bootstrap        # {run}");
        let out = std::process::Command::new(&cli).arg("bootstrap").output()?;
        if !out.status.success() {
            anyhow::bail!("bootstrap failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            println!("   {line}");
        }
    }

    println!("\n1. Resources that existed before superwerker-backup: backfill finds and tags them (dry run first).");
    for _ in 0..4 {
        em.create_volume(&[]).await?;
    }
    em.create_volume(&[("team", "data")]).await?;
    em.create_table(&[]).await?;
    em.create_table(&[(KEY, "none")]).await?;
    em.create_db_instance(&[(KEY, "weekly")]).await?;
    em.create_db_instance(&[]).await?;
    for args in [vec!["backfill", "--dry-run"], vec!["backfill"]] {
        println!("\n   $ superwerker-backup {}", args.join(" "));
        let out = std::process::Command::new(&cli).args(&args).output()?;
        if !out.status.success() {
            anyhow::bail!("backfill failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            println!("   {line}");
        }
    }

    println!(
        "\n2. Somebody creates a table, a volume, a DB instance (opted out at creation with {KEY}=none), an Aurora\n   \
         cluster, an EFS file system, and launches an EC2 instance with a root and a data volume:"
    );
    let (table, table_arn) = em.create_table(&[("team", "payments")]).await?;
    let volume = em.create_volume(&[]).await?;
    let (db, db_arn) = em.create_db_instance(&[(KEY, "none")]).await?;
    let (cluster, cluster_arn) = em.create_db_cluster(&[]).await?;
    let (fs, fs_arn) = em.create_file_system(&[]).await?;
    let instances = em.run_instances(1, true, &[]).await?;
    let mut rows = vec![
        Row {
            kind: "dynamodb:table",
            event: Some(em.create_table_event(&table, Some(&table_arn), &[])),
            arn: table_arn,
        },
        Row {
            kind: "ec2:volume",
            event: Some(em.create_volume_event(&volume, &[])),
            arn: em.volume_arn(&volume),
        },
        Row {
            kind: "rds:db",
            event: Some(em.create_db_instance_event(&db, &db_arn, &[(KEY, "none")])),
            arn: db_arn,
        },
        Row {
            kind: "rds:cluster",
            event: Some(em.create_db_cluster_event(&cluster, &cluster_arn, &[])),
            arn: cluster_arn,
        },
        Row {
            kind: "efs:file-system",
            event: Some(em.create_file_system_event(&fs, &fs_arn, &[])),
            arn: fs_arn,
        },
    ];
    let mut launch = Some(em.run_instances_event(&instances, &[]));
    for (arn, _) in em.volumes_of(&instances[0]).await? {
        rows.push(Row {
            kind: "ec2:volume (i-)",
            event: launch.take(),
            arn,
        });
    }
    print_tags("   tags before:", &snapshot(&em, &rows).await?);

    println!("\n3. CloudTrail delivers each creation event through EventBridge to the backup-tagger Lambda");
    println!("   (the real binary under `cargo lambda watch`, events sent with `cargo lambda invoke --data-file`):");
    let mut handler_ms = Vec::new();
    for event in rows.iter().filter_map(|r| r.event.as_ref()) {
        let started = Instant::now();
        let answer = invoke_lambda("backup-tagger", event)?.map_err(anyhow::Error::msg)?;
        let round_trip = started.elapsed().as_millis();
        let elapsed = answer["elapsedMs"].as_u64().unwrap_or(0);
        handler_ms.push(elapsed);
        println!(
            "   {:<17} {:<8} {:>4} ms in the handler, {:>4} ms round trip  {}",
            event["detail"]["eventName"].as_str().unwrap_or("?"),
            answer["action"].as_str().unwrap_or("?"),
            elapsed,
            round_trip,
            answer["reason"].as_str().unwrap_or("")
        );
    }
    print_tags("   tags after:", &snapshot(&em, &rows).await?);

    let after = snapshot(&em, &rows).await?;
    let ok = after
        .iter()
        .enumerate()
        .all(|(i, (_, _, v))| v.as_deref() == Some(if i == 2 { "none" } else { "daily" }));
    println!(
        "\nResult: {} — untagged resources now carry {KEY}=daily; the opt-out stayed `none`. Handler time per event: {:?} ms.",
        if ok { "OK" } else { "UNEXPECTED" },
        handler_ms
    );
    if let Ok(log) = std::env::var("SWB_LAMBDA_WATCH_LOG") {
        println!("The Lambda's structured JSON log lines (one per decision):");
        for line in std::fs::read_to_string(log)?
            .lines()
            .filter(|l| l.contains("\"decision\""))
        {
            println!("   {line}");
        }
    }

    println!(
        "\n4. Tonight's backup and the audit. The per-account stack's vault and service role exist in {} only; the\n   \
         bootstrap's policy covers {} too; AWS Backup is not opted in to EFS in {}; an account plan for team=payments\n   \
         names a role that does not exist; one volume carries Superwerker:Backup. The emulator runs AWS Backup's nightly jobs on demand (POST /moto-api/superwerker/backup-run); one table's\n   \
         backup ends PARTIAL.",
        em.region,
        audit_scene::away_from(&em.region),
        em.region
    );
    let scene = audit_scene::build(&em, &cli).await?;
    for run in &scene.backup_runs {
        let backed_up = run["backedUp"].as_array().map_or(0, Vec::len);
        println!("   backup run: {backed_up} recovery points");
        for skip in run["skipped"].as_array().into_iter().flatten() {
            println!(
                "     no backup of {}: {}",
                skip["resource"].as_str().unwrap_or("?"),
                skip["reason"].as_str().unwrap_or("?")
            );
        }
    }
    let regions = format!("{},{}", scene.home, scene.away);
    let mut audited = 0;
    for (title, args) in [
        (
            "every verdict with its reason and fix",
            vec!["audit", "--regions", &regions],
        ),
        (
            "the fix for `not-opted-in`: a dry run first",
            vec!["opt-in", "--regions", &scene.home],
        ),
        ("then applied", vec!["opt-in", "--regions", &scene.home, "--apply"]),
    ] {
        println!("\n   $ superwerker-backup {}        # {title}", args.join(" "));
        let out = std::process::Command::new(&cli).args(&args).output()?;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            println!("   {line}");
        }
        let code = out.status.code().unwrap_or(-1);
        println!(
            "   exit code {code}{}",
            if args[0] == "audit" {
                " (3 = something is not protected)"
            } else {
                ""
            }
        );
        if args[0] == "audit" && code == 3 {
            audited += 1;
        }
    }
    println!(
        "\n5. The daily sweep of {}, as the backup-backfill Lambda runs it (superwerker_backup_sweep::sweep): it tags\n   \
         what is untagged, audits the region, and sends one digest to the stack's alert topic. What a subscriber to the\n   \
         topic receives (an SQS queue subscribed in the emulator):",
        scene.home
    );
    let subscriber = em.topic_with_subscriber().await?;
    let aws = em.fresh_aws().await;
    let topic = aws.alert_topic(&subscriber.topic_arn);
    let opts = superwerker_backup_backfill::BackfillOptions {
        regions: vec![scene.home.clone()],
        rate_override: Some(0.0),
        ..Default::default()
    };
    let swept = superwerker_backup_sweep::sweep(&aws, &opts, Some((&topic).into())).await?;
    println!("   sweep: tagged {}", swept.report.total_tagged());
    let received = em.received(&subscriber).await?;
    for m in &received {
        println!("\n   Subject: {}", m["Subject"].as_str().unwrap_or_default());
        for line in m["Message"].as_str().unwrap_or_default().lines() {
            println!("   {line}");
        }
    }
    let ok = ok && audited == 1 && received.len() == 1;
    if !ok {
        anyhow::bail!("the demo did not end as expected");
    }
    Ok(())
}
