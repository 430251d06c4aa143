//! The audit against the emulator alone, as a user runs it: the real `superwerker-backup` CLI, the bootstrap's
//! organization backup policy, and AWS Backup's selections, region settings, vaults and recovery points in the
//! emulator (tests/harness/teach_backup*.py, teach_organizations.py), recovery points made by tonight's backup. Each
//! reason a resource is not backed up is named, with its fix, and the audit exits 3; the fix then works: opting in and
//! the next backup make the resource protected.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use superwerker_backup_e2e::audit_scene::{build, AuditScene};
use superwerker_backup_e2e::{run_cli, target_dir, Emulator, FaultProxy};

fn cli() -> PathBuf {
    target_dir().join("debug/superwerker-backup")
}

/// (exit code, stdout) of `superwerker-backup args…`.
fn run(args: &[&str]) -> (i32, String) {
    run_at(None, args)
}

/// [`run`], talking to `endpoint` (the fault proxy) instead of the emulator when given.
fn run_at(endpoint: Option<&str>, args: &[&str]) -> (i32, String) {
    run_cli(endpoint, args)
}

fn audit_json(s: &AuditScene) -> (i32, BTreeMap<String, (String, String)>, Value) {
    audit_json_at(None, s)
}

fn audit_json_at(endpoint: Option<&str>, s: &AuditScene) -> (i32, BTreeMap<String, (String, String)>, Value) {
    let regions = format!("{},{}", s.home, s.away);
    let (code, out) = run_at(endpoint, &["audit", "--regions", &regions, "--output", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let verdicts = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (field("resource"), (field("verdict"), field("reason")))
        })
        .collect();
    (code, verdicts, report)
}

#[tokio::test]
async fn every_reason_a_resource_is_not_backed_up_is_named_with_its_fix_and_the_fix_works() {
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    em.create_organization().await.unwrap();
    let s = build(&em, &cli()).await.unwrap();

    // Tonight's backup, as the emulator ran it: a point for the covered resources it could back up, none otherwise.
    let nightly = &s.backup_runs[1];
    assert_eq!(nightly["backedUp"], serde_json::json!([s.protected]), "{nightly}");
    let skipped: Vec<(&str, &str)> = nightly["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["resource"].as_str().unwrap(), x["reason"].as_str().unwrap()))
        .collect();
    assert!(
        skipped.contains(&(s.not_opted_in.as_str(), "EFS is not opted in")),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&(s.no_vault.as_str(), "vault superwerker-backup does not exist")),
        "{skipped:?}"
    );
    let gone = format!("role arn:aws:iam::{}:role/gone does not exist", em.account);
    assert!(skipped.contains(&(s.no_role.as_str(), gone.as_str())), "{skipped:?}");

    let (code, verdicts, report) = audit_json(&s);
    let verdict = |arn: &str| {
        verdicts
            .get(arn)
            .cloned()
            .unwrap_or_else(|| panic!("{arn} not audited: {report}"))
    };
    assert_eq!(verdict(&s.protected).0, "protected", "{report}");
    assert_eq!(verdict(&s.opted_out).0, "opted-out");
    assert_eq!(verdict(&s.untagged).0, "untagged");
    let (v, why) = verdict(&s.partial_only);
    assert_eq!(v, "no-recent-recovery-point", "a PARTIAL point is no backup");
    assert!(why.contains("PARTIAL") && why.contains("backup jobs"), "{why}");
    let (v, why) = verdict(&s.not_opted_in);
    assert_eq!(v, "not-opted-in");
    assert!(
        why.contains(&format!("superwerker-backup opt-in --regions {}", s.home)),
        "{why}"
    );
    let (v, why) = verdict(&s.no_vault);
    assert_eq!(v, "no-vault");
    assert!(
        why.contains(&s.away) && why.contains("deploy the per-account stack"),
        "{why}"
    );
    let (v, why) = verdict(&s.no_role);
    assert_eq!(v, "no-service-role");
    assert!(
        why.contains("role/gone") && why.contains("CreateBackupServiceRole=true"),
        "{why}"
    );
    let (v, why) = verdict(&s.key_case);
    assert_eq!(v, "key-case-conflict");
    assert!(why.contains("Superwerker:Backup"), "{why}");
    assert_eq!(code, 3, "unprotected resources fail the gate: {report}");
    assert!(report["problems"].as_array().unwrap().is_empty(), "{report}");

    // Recovery points are read per vault: through the fault proxy (its log names the operations), the same verdicts;
    // the protected resource's points come from the vault listing alone (only resources without a usable point there
    // are read on their own); with ListBackupVaults refused, the same verdicts from per-resource listings, said.
    let proxy = FaultProxy::from_env();
    let seen = proxy.log("recovery-points").await.unwrap().len();
    let seen_protected = proxy.log(&s.protected).await.unwrap().len();
    let (_, through_proxy, _) = audit_json_at(Some(&proxy.url), &s);
    assert_eq!(through_proxy, verdicts);
    let ops = |log: &[Value]| {
        log.iter()
            .map(|r| r["op"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    let reads = ops(&proxy.log("recovery-points").await.unwrap()[seen..]);
    assert!(
        reads.contains(&"ListRecoveryPointsByBackupVault".to_owned()),
        "{reads:?}"
    );
    let protected_reads = ops(&proxy.log(&s.protected).await.unwrap()[seen_protected..]);
    assert!(
        !protected_reads.contains(&"ListRecoveryPointsByResource".to_owned()),
        "{protected_reads:?}"
    );
    assert!(
        reads.contains(&"ListRecoveryPointsByResource".to_owned()),
        "the PARTIAL-only table is read on its own"
    );
    let deny =
        serde_json::json!([{"id": "no-vault-list", "service": "backup", "op": "ListBackupVaults", "fault": "deny"}]);
    proxy.add(deny).await.unwrap();
    let seen = proxy.log("recovery-points").await.unwrap().len();
    let (_, fallback, report_fallback) = audit_json_at(Some(&proxy.url), &s);
    proxy.remove("no-vault-list").await.unwrap();
    assert_eq!(fallback, verdicts, "{report_fallback}");
    assert!(
        report_fallback["sources"]
            .to_string()
            .contains("read per resource instead"),
        "{report_fallback}"
    );
    let reads = ops(&proxy.log("recovery-points").await.unwrap()[seen..]);
    assert!(reads.contains(&"ListRecoveryPointsByResource".to_owned()), "{reads:?}");

    // The table names the same verdicts; CSV has one row per resource.
    let regions = format!("{},{}", s.home, s.away);
    let (_, table) = run(&["audit", "--regions", &regions]);
    for word in [
        "protected",
        "opted-out",
        "untagged",
        "not-opted-in",
        "no-recent-recovery-point",
        "no-vault",
    ] {
        assert!(table.contains(word), "{word} missing from\n{table}");
    }
    let (_, csv) = run(&["audit", "--regions", &regions, "--output", "csv"]);
    let row = csv
        .lines()
        .find(|l| l.contains(&s.no_vault))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(row.contains("no-vault"), "{row}");
    assert_eq!(
        csv.lines().count(),
        verdicts.len() + 1,
        "a header and one row per resource:\n{csv}"
    );

    // The fix: the dry run names EFS and writes nothing; --apply opts in; the next backup protects the file system.
    let (_, dry) = run(&["opt-in", "--regions", &s.home]);
    assert!(dry.contains("EFS"), "{dry}");
    assert_eq!(verdict_after(&s).0, "not-opted-in", "a dry run writes nothing");
    run(&["opt-in", "--regions", &s.home, "--apply"]);
    em.run_backups(serde_json::json!({"resources": [s.not_opted_in]}))
        .await
        .unwrap();
    assert_eq!(verdict_after(&s).0, "protected");
}

fn verdict_after(s: &AuditScene) -> (String, String) {
    audit_json(s).1.remove(&s.not_opted_in).unwrap()
}
