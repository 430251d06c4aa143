//! Bootstrap against the local AWS emulator (moto): Organizations tag and backup policies, AWS Backup vault and plan.
//! The tests share one organization, so they take turns (a mutex) and start from a reset emulator.

use aws_sdk_organizations::types::PolicyType;
use serde_json::Value;
use superwerker_backup_aws::Aws;
use superwerker_backup_bootstrap::{remove, run, BackupScope, BootstrapOptions, ChangeKind, Report};
use superwerker_backup_domain::policy;
use superwerker_backup_e2e::Emulator;
use tokio::sync::Mutex;

static ORG: Mutex<()> = Mutex::const_new(());

const WRITES: &[&str] = &[
    "Organizations.EnablePolicyType",
    "Organizations.CreatePolicy",
    "Organizations.UpdatePolicy",
    "Organizations.AttachPolicy",
    "Organizations.DetachPolicy",
    "Organizations.DeletePolicy",
    "Backup.CreateBackupVault",
    "Backup.CreateBackupPlan",
    "Backup.UpdateBackupPlan",
];

fn writes(aws: &Aws) -> u64 {
    WRITES.iter().map(|op| aws.calls().of(op)).sum()
}

fn kinds(report: &Report) -> Vec<ChangeKind> {
    report.changes.iter().map(|c| c.kind).collect()
}

/// (id, parsed content, targets) of our policy of `t`, if it exists.
async fn policy_state(em: &Emulator, t: PolicyType) -> Option<(String, Value, Vec<String>)> {
    let org = em.clients().organizations;
    let list = org.list_policies().filter(t.clone()).send().await.unwrap();
    let name = match t {
        PolicyType::TagPolicy => policy::TAG_POLICY_NAME,
        _ => policy::POLICY_NAME,
    };
    let id = list
        .policies()
        .iter()
        .find(|p| p.name() == Some(name))?
        .id()?
        .to_owned();
    let content = org
        .describe_policy()
        .policy_id(&id)
        .send()
        .await
        .unwrap()
        .policy?
        .content?;
    let targets = org.list_targets_for_policy().policy_id(&id).send().await.unwrap();
    let targets = targets
        .targets()
        .iter()
        .filter_map(|t| t.target_id().map(str::to_owned))
        .collect();
    Some((id, serde_json::from_str(&content).unwrap(), targets))
}

fn expected_tag_policy() -> Value {
    // superwerker's document, as their integration test asserts it.
    serde_json::from_str(
        r#"{"tags":{"superwerker:backup":{"tag_value":{"@@assign":["none","daily"]},"enforced_for":{"@@assign":["dynamodb:table","ec2:volume"]}}}}"#,
    )
    .unwrap()
}

fn expected_backup_policy(region: &str) -> Value {
    serde_json::json!({"plans": {"superwerker-backup": {
        "regions": {"@@assign": [region]},
        "rules": {"backup-daily": {
            "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
            "start_backup_window_minutes": {"@@assign": "60"},
            "complete_backup_window_minutes": {"@@assign": "10080"},
            "target_backup_vault_name": {"@@assign": "superwerker-backup"},
            "lifecycle": {"delete_after_days": {"@@assign": "30"}}
        }},
        "selections": {"tags": {"backup-daily": {
            "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/service-role/AWSBackupDefaultServiceRole"},
            "tag_key": {"@@assign": "superwerker:backup"},
            "tag_value": {"@@assign": ["daily"]}
        }}}
    }}})
}

#[tokio::test]
async fn organization_scope_creates_then_is_up_to_date_restores_drift_and_removes() {
    let _turn = ORG.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let root = em.create_organization().await.unwrap();

    // Dry run: says what it would do, writes nothing.
    let aws = em.fresh_aws().await;
    let dry = run(
        &aws,
        &BootstrapOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        dry.scope, "organization",
        "the management account defaults to organization scope"
    );
    assert!(!dry.is_up_to_date());
    assert_eq!(writes(&aws), 0, "{:?}", aws.calls().snapshot());
    assert!(policy_state(&em, PolicyType::TagPolicy).await.is_none());

    // First run creates and attaches both.
    let aws = em.fresh_aws().await;
    let first = run(&aws, &BootstrapOptions::default()).await.unwrap();
    assert_eq!(
        kinds(&first),
        vec![
            ChangeKind::Enabled,
            ChangeKind::Created,
            ChangeKind::Attached,
            ChangeKind::Enabled,
            ChangeKind::Created,
            ChangeKind::Attached
        ]
    );
    let (tag_id, tag_content, tag_targets) = policy_state(&em, PolicyType::TagPolicy).await.unwrap();
    assert_eq!(tag_content, expected_tag_policy());
    assert_eq!(tag_targets, vec![root.clone()], "attached to the root exactly once");
    let (_, backup_content, backup_targets) = policy_state(&em, PolicyType::BackupPolicy).await.unwrap();
    assert_eq!(backup_content, expected_backup_policy(&em.region));
    assert_eq!(backup_targets, vec![root.clone()]);

    // Second run: no write calls, "up to date".
    let aws = em.fresh_aws().await;
    let second = run(&aws, &BootstrapOptions::default()).await.unwrap();
    assert!(second.is_up_to_date(), "{}", second.to_table());
    assert!(second.to_table().contains("up to date"));
    assert_eq!(writes(&aws), 0, "{:?}", aws.calls().snapshot());

    let calls = aws.calls().snapshot();
    let undeclared = superwerker_backup_aws::iam::undeclared(calls.keys(), &superwerker_backup_aws::iam::bootstrap());
    assert!(
        undeclared.is_empty(),
        "calls the template does not allow: {undeclared:?}"
    );

    // Someone edits the tag policy by hand: the next run restores it, with a readable diff.
    let drifted = r#"{"tags":{"superwerker:backup":{"tag_value":{"@@assign":["none","daily","weekly"]},"enforced_for":{"@@assign":["ec2:volume"]}}}}"#;
    em.clients()
        .organizations
        .update_policy()
        .policy_id(&tag_id)
        .content(drifted)
        .send()
        .await
        .unwrap();
    let aws = em.fresh_aws().await;
    let dry = run(
        &aws,
        &BootstrapOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let update = dry
        .changes
        .iter()
        .find(|c| c.kind == ChangeKind::Updated)
        .expect("an update");
    assert!(
        update.detail.iter().any(|l| l.contains("weekly")),
        "{:?}",
        update.detail
    );
    assert_eq!(writes(&aws), 0);
    assert_eq!(
        policy_state(&em, PolicyType::TagPolicy).await.unwrap().1,
        serde_json::from_str::<Value>(drifted).unwrap()
    );
    let restored = run(&em.fresh_aws().await, &BootstrapOptions::default()).await.unwrap();
    assert_eq!(
        restored
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Updated)
            .count(),
        1
    );
    assert_eq!(
        policy_state(&em, PolicyType::TagPolicy).await.unwrap().1,
        expected_tag_policy()
    );

    // Remove: detaches and deletes both policies, leaves the policy types enabled.
    let removed = remove(&em.fresh_aws().await, &BootstrapOptions::default())
        .await
        .unwrap();
    assert_eq!(
        removed.changes.iter().filter(|c| c.kind == ChangeKind::Deleted).count(),
        2
    );
    assert!(policy_state(&em, PolicyType::TagPolicy).await.is_none());
    assert!(policy_state(&em, PolicyType::BackupPolicy).await.is_none());
    let roots = em.clients().organizations.list_roots().send().await.unwrap();
    assert_eq!(roots.roots()[0].policy_types().len(), 2, "policy types stay enabled");
}

#[tokio::test]
async fn outside_an_organization_the_default_is_account_scope_and_organization_scope_is_refused() {
    let _turn = ORG.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let aws = em.fresh_aws().await;
    let dry = run(
        &aws,
        &BootstrapOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(dry.scope, "account");
    assert_eq!(
        dry.changes[0].kind,
        ChangeKind::Skipped,
        "no tag policy outside an organization"
    );
    let err = run(
        &aws,
        &BootstrapOptions {
            scope: Some(BackupScope::Organization),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("management account"), "{err}");
    let err = run(
        &aws,
        &BootstrapOptions {
            enforced_for: vec!["s3:bucket".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("s3:bucket"), "{err}");
}

#[tokio::test]
async fn account_scope_creates_the_vault_the_plan_and_the_selection_in_the_emulator() {
    // moto implements vaults and plans; the emulator launcher adds backup selections (tests/harness/teach_backup.py),
    // so every step runs against it. The replacement of a drifted selection is tested with aws-smithy-mocks
    // (crates/bootstrap/tests/aws_mocks.rs).
    let _turn = ORG.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let aws = em.fresh_aws().await;
    let backup = aws.backup(&em.region);
    let spec = policy::BackupPlanSpec::new(
        "superwerker:backup",
        "daily",
        policy::service_role_arn("aws", &em.account),
        policy::VAULT_NAME,
    );
    let mut report = Report::default();
    superwerker_backup_bootstrap::account::ensure(&backup, &spec, &mut report)
        .await
        .unwrap();
    assert_eq!(
        kinds(&report),
        vec![ChangeKind::Created, ChangeKind::Created, ChangeKind::Created]
    );
    let id = report.changes[1].detail[0].clone();
    let calls = aws.calls().snapshot();
    let undeclared = superwerker_backup_aws::iam::undeclared(calls.keys(), &superwerker_backup_aws::iam::bootstrap());
    assert!(
        undeclared.is_empty(),
        "calls the template does not allow: {undeclared:?}"
    );

    let plan = em
        .clients()
        .backup
        .get_backup_plan()
        .backup_plan_id(&id)
        .send()
        .await
        .unwrap();
    let plan = plan.backup_plan().unwrap();
    assert_eq!(plan.backup_plan_name(), "superwerker-backup");
    let rule = &plan.rules()[0];
    assert_eq!(rule.rule_name(), "backup-daily");
    assert_eq!(rule.schedule_expression(), Some("cron(0 5 ? * * *)"));
    assert_eq!(rule.target_backup_vault_name(), "superwerker-backup");
    assert_eq!(rule.lifecycle().and_then(|l| l.delete_after_days()), Some(30));
    let selections = em
        .clients()
        .backup
        .list_backup_selections()
        .backup_plan_id(&id)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = selections
        .backup_selections_list()
        .iter()
        .map(|s| s.selection_name())
        .collect();
    assert_eq!(names, vec![Some("backup-daily")]);

    let mut again = Report::default();
    let aws2 = em.fresh_aws().await;
    superwerker_backup_bootstrap::account::ensure(&aws2.backup(&em.region), &spec, &mut again)
        .await
        .unwrap();
    assert_eq!(again.changes[1].detail, vec![id.clone()]);
    assert!(again.is_up_to_date(), "{}", again.to_table());
    assert_eq!(writes(&aws2), 0, "{:?}", aws2.calls().snapshot());
}
