//! Audit: inventory and tags come from the local emulator (moto); the coverage side (the AWS Backup and Organizations
//! clients the audit reads coverage through) is answered by aws-smithy-mocks, built from the API references' shapes,
//! for the states the emulator cannot produce (unreadable sources, `AVAILABLE` and `EXPIRED` points, undocumented
//! selections). The same verdicts end to end against the emulator alone: `audit_verdicts_emulator.rs`.

use std::time::{Duration, SystemTime};

use aws_sdk_backup::operation::get_backup_selection::GetBackupSelectionOutput;
use aws_sdk_backup::operation::list_backup_selections::ListBackupSelectionsOutput;
use aws_sdk_backup::operation::list_backup_vaults::ListBackupVaultsOutput;
use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::ListRecoveryPointsByBackupVaultOutput;
use aws_sdk_backup::types::{BackupSelectionsListMember, BackupVaultListMember, RecoveryPointByBackupVault};
use aws_sdk_organizations::operation::describe_effective_policy::DescribeEffectivePolicyOutput;
use aws_sdk_organizations::types::EffectivePolicy;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use superwerker_backup_audit::{audit, AuditReport, Sources};
use superwerker_backup_aws::backup::Backup;
use superwerker_backup_aws::organizations::Organizations;
use superwerker_backup_aws::Aws;
use superwerker_backup_backfill::BackfillOptions;
use superwerker_backup_domain::coverage::Verdict;
use superwerker_backup_domain::policy;
use superwerker_backup_e2e::Emulator;
use tokio::sync::Mutex;

static TURN: Mutex<()> = Mutex::const_new(());
const KEY: &str = "superwerker:backup";

struct Scene {
    em: Emulator,
    fresh: String,
    untagged: String,
    opted_out: String,
    db: String,
    stale: String,
    /// A scratch FSx for Lustre file system someone tagged `daily`: AWS Backup cannot back it up.
    scratch: String,
    /// An FSx for ONTAP file system tagged `none`: acknowledged.
    ontap: String,
    /// A volume tagged `Superwerker:Backup=daily`: a key our tag selection does not match.
    conflict: String,
}

async fn scene() -> Scene {
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    let fresh = em.volume_arn(&em.create_volume(&[(KEY, "daily")]).await.unwrap());
    let untagged = em.volume_arn(&em.create_volume(&[]).await.unwrap());
    let opted_out = em.create_table(&[(KEY, "none")]).await.unwrap().1;
    let db = em.create_db_instance(&[(KEY, "daily")]).await.unwrap().1;
    let stale = em.volume_arn(&em.create_volume(&[(KEY, "daily")]).await.unwrap());
    let scratch = em
        .create_fsx_file_system(&[(KEY, "daily")], "LUSTRE", Some("SCRATCH_2"))
        .await
        .unwrap()
        .1;
    let ontap = em
        .create_fsx_file_system(&[(KEY, "none")], "ONTAP", None)
        .await
        .unwrap()
        .1;
    let conflict = em.volume_arn(&em.create_volume(&[("Superwerker:Backup", "daily")]).await.unwrap());
    // The role our selection names (policy::service_role_arn).
    em.create_backup_role("/service-role/", "AWSBackupDefaultServiceRole")
        .await
        .unwrap();
    Scene {
        em,
        fresh,
        untagged,
        opted_out,
        db,
        stale,
        scratch,
        ontap,
        conflict,
    }
}

fn now() -> SystemTime {
    SystemTime::now()
}

/// Recovery points as AWS lists them (with their status): `fresh` a COMPLETED one 2 h old; `db` an AVAILABLE one 2 h
/// old and a PARTIAL one 1 h old (not a usable backup: the 2 h one counts); `stale` a COMPLETED one 50 h old and an
/// EXPIRED one 3 h old; none for the rest. Answered by the vault listing the audit reads
/// (`ListRecoveryPointsByBackupVault`, each point with its `ResourceArn`); `run_audit` lists one vault.
fn recovery_points(s: &Scene) -> Rule {
    use aws_sdk_backup::types::RecoveryPointStatus as Status;
    points_in_vault(vec![
        (s.fresh.clone(), 2, Status::Completed),
        (s.db.clone(), 1, Status::Partial),
        (s.db.clone(), 2, Status::Available),
        (s.stale.clone(), 3, Status::Expired),
        (s.stale.clone(), 50, Status::Completed),
    ])
}

/// `ListRecoveryPointsByBackupVault` answering these (resource, hours old, status) points.
fn points_in_vault(points: Vec<(String, u64, aws_sdk_backup::types::RecoveryPointStatus)>) -> Rule {
    mock!(aws_sdk_backup::Client::list_recovery_points_by_backup_vault).then_compute_output(move |_| {
        let mut out = ListRecoveryPointsByBackupVaultOutput::builder();
        for (i, (arn, h, status)) in points.iter().enumerate() {
            let created = now() - Duration::from_secs(h * 3600 + 60);
            out = out.recovery_points(
                RecoveryPointByBackupVault::builder()
                    .resource_arn(arn)
                    .creation_date(DateTime::from(created))
                    .recovery_point_arn(format!("rp-{i}"))
                    .backup_vault_name(policy::VAULT_NAME)
                    .status(status.clone())
                    .build(),
            );
        }
        out.build()
    })
}

fn no_effective_policy() -> Rule {
    use aws_sdk_organizations::operation::describe_effective_policy::DescribeEffectivePolicyError;
    use aws_sdk_organizations::types::error::EffectivePolicyNotFoundException;
    mock!(aws_sdk_organizations::Client::describe_effective_policy).then_error(|| {
        DescribeEffectivePolicyError::EffectivePolicyNotFoundException(
            EffectivePolicyNotFoundException::builder()
                .message("no effective policy")
                .meta(
                    aws_smithy_types::error::ErrorMetadata::builder()
                        .code("EffectivePolicyNotFoundException")
                        .message("no effective policy")
                        .build(),
                )
                .build(),
        )
    })
}

fn verdict_of(report: &AuditReport, arn: &str) -> (Verdict, Option<u64>, Vec<String>) {
    let e = report
        .entries
        .iter()
        .find(|e| e.resource == arn)
        .unwrap_or_else(|| panic!("{arn} not audited"));
    (e.verdict, e.newest_recovery_point_age_hours, e.covered_by.clone())
}

/// DescribeRegionSettings: these types opted in or out.
fn opt_in(types: &'static [(&'static str, bool)]) -> Rule {
    mock!(aws_sdk_backup::Client::describe_region_settings).then_output(move || {
        let mut out = aws_sdk_backup::operation::describe_region_settings::DescribeRegionSettingsOutput::builder();
        for (t, on) in types {
            out = out.resource_type_opt_in_preference(*t, *on);
        }
        out.build()
    })
}

const ALL_OPTED_IN: &[(&str, bool)] = &[
    ("Aurora", true),
    ("DynamoDB", true),
    ("EBS", true),
    ("EFS", true),
    ("FSx", true),
    ("RDS", true),
];

/// Runs the audit with inventory from moto and coverage from `backup_rules` / `org_rules`; every type is opted in
/// unless `backup_rules` answers DescribeRegionSettings first; every vault exists unless `backup_rules` answers
/// DescribeBackupVault first (the Backup client is one mock, so its vault answers are mocked too). IAM roles and
/// CloudTrail trails are the emulator's.
async fn run_audit(s: &Scene, backup_rules: &[&Rule], org_rules: &[&Rule]) -> AuditReport {
    run_audit_with(s, s.em.fresh_aws().await, backup_rules, org_rules).await
}

/// [`run_audit`] with inventory, roles and trails read through `aws`.
async fn run_audit_with(s: &Scene, aws: Aws, backup_rules: &[&Rule], org_rules: &[&Rule]) -> AuditReport {
    let all_opted_in = opt_in(ALL_OPTED_IN);
    let vaults_exist = mock!(aws_sdk_backup::Client::describe_backup_vault).then_output(|| {
        aws_sdk_backup::operation::describe_backup_vault::DescribeBackupVaultOutput::builder()
            .backup_vault_name(policy::VAULT_NAME)
            .build()
    });
    let one_vault = mock!(aws_sdk_backup::Client::list_backup_vaults).then_output(|| {
        ListBackupVaultsOutput::builder()
            .backup_vault_list(
                BackupVaultListMember::builder()
                    .backup_vault_name(policy::VAULT_NAME)
                    .build(),
            )
            .build()
    });
    let no_points = points_in_vault(vec![]);
    // A covered resource without a usable point in the vault listing is read on its own: none here either.
    let none_by_resource = mock!(aws_sdk_backup::Client::list_recovery_points_by_resource).then_output(|| {
        aws_sdk_backup::operation::list_recovery_points_by_resource::ListRecoveryPointsByResourceOutput::builder()
            .build()
    });
    let backup_rules: Vec<&Rule> = backup_rules
        .iter()
        .copied()
        .chain([&all_opted_in, &vaults_exist, &one_vault, &no_points, &none_by_resource])
        .collect();
    let coverage = Sources {
        roles: aws.roles(),
        trails: [(s.em.region.clone(), aws.trails(&s.em.region))].into(),
        organizations: Organizations::new(mock_client!(aws_sdk_organizations, RuleMode::MatchAny, org_rules)),
        backup: [(
            s.em.region.clone(),
            Backup::new(
                mock_client!(aws_sdk_backup, RuleMode::MatchAny, &backup_rules),
                &s.em.region,
            ),
        )]
        .into(),
    };
    let opts = BackfillOptions {
        regions: vec![s.em.region.clone()],
        ..Default::default()
    };
    audit(&aws, &coverage, &opts, now()).await.unwrap()
}

/// GetBackupPlan: every plan has superwerker-backup's rule (daily at 05:00, 60 minutes to start, 7 days to complete),
/// so a usable recovery point may be 25 hours old.
fn plan_rules() -> Rule {
    mock!(aws_sdk_backup::Client::get_backup_plan).then_output(|| {
        use aws_sdk_backup::types::{BackupPlan, BackupRule};
        let rule = BackupRule::builder()
            .rule_name(policy::RULE_NAME)
            .target_backup_vault_name(policy::VAULT_NAME)
            .schedule_expression(policy::SCHEDULE_EXPRESSION)
            .start_window_minutes(policy::START_WINDOW_MINUTES)
            .completion_window_minutes(policy::COMPLETION_WINDOW_MINUTES)
            .build()
            .unwrap();
        let plan = BackupPlan::builder()
            .backup_plan_name(policy::POLICY_NAME)
            .rules(rule)
            .build()
            .unwrap();
        aws_sdk_backup::operation::get_backup_plan::GetBackupPlanOutput::builder()
            .backup_plan(plan)
            .build()
    })
}

/// ListBackupSelections of plan-1 and GetBackupSelection: the selection the bootstrap creates (ours, by tag).
fn our_selection(s: &Scene) -> (Rule, Rule) {
    our_selection_with_role(policy::service_role_arn("aws", &s.em.account))
}

/// Our selection, naming this IAM role.
fn our_selection_with_role(role: String) -> (Rule, Rule) {
    let list = mock!(aws_sdk_backup::Client::list_backup_selections)
        .match_requests(|r| r.backup_plan_id() == Some("plan-1"))
        .then_output(|| {
            ListBackupSelectionsOutput::builder()
                .backup_selections_list(
                    BackupSelectionsListMember::builder()
                        .selection_id("sel-1")
                        .selection_name("backup-daily")
                        .build(),
                )
                .build()
        });
    let spec = policy::BackupPlanSpec::new(KEY, "daily", role, policy::VAULT_NAME);
    let get = mock!(aws_sdk_backup::Client::get_backup_selection).then_output(move || {
        GetBackupSelectionOutput::builder()
            .backup_selection(superwerker_backup_aws::backup::selection_input(&spec).unwrap())
            .build()
    });
    (list, get)
}

fn plans(names: &'static [(&'static str, &'static str)]) -> Rule {
    mock!(aws_sdk_backup::Client::list_backup_plans).then_output(move || {
        let mut out = aws_sdk_backup::operation::list_backup_plans::ListBackupPlansOutput::builder();
        for (id, name) in names {
            out = out.backup_plans_list(
                aws_sdk_backup::types::BackupPlansListMember::builder()
                    .backup_plan_id(*id)
                    .backup_plan_name(*name)
                    .build(),
            );
        }
        out.build()
    })
}

#[tokio::test]
async fn account_plan_coverage_and_recovery_point_age_decide_the_verdicts() {
    let _turn = TURN.lock().await;
    let s = scene().await;
    let plan_list = plans(&[("plan-1", "superwerker-backup")]);
    let (list, get) = our_selection(&s);
    let points = recovery_points(&s);
    let effective = no_effective_policy();
    let rules = plan_rules();
    let report = run_audit(&s, &[&plan_list, &rules, &list, &get, &points], &[&effective]).await;

    let ours = vec!["superwerker-backup/backup-daily".to_owned()];
    assert_eq!(
        verdict_of(&report, &s.fresh),
        (Verdict::Protected, Some(2), ours.clone()),
        "{}",
        report.to_table()
    );
    assert_eq!(verdict_of(&report, &s.db), (Verdict::Protected, Some(2), ours.clone()));
    assert_eq!(
        verdict_of(&report, &s.stale),
        (Verdict::NoRecentRecoveryPoint, Some(50), ours)
    );
    assert_eq!(
        verdict_of(&report, &s.untagged),
        (Verdict::Untagged, None, vec![]),
        "{}",
        report.to_table()
    );
    assert_eq!(verdict_of(&report, &s.opted_out), (Verdict::OptedOut, None, vec![]));
    // Covered by our selection, but AWS Backup cannot back a scratch file system up: said, with the reason.
    let scratch = report.entries.iter().find(|e| e.resource == s.scratch).unwrap();
    assert_eq!(scratch.verdict, Verdict::Unprotectable, "{}", report.to_table());
    assert!(
        scratch.reason.as_deref().is_some_and(|r| r.contains("scratch")),
        "{scratch:?}"
    );
    assert!(report.to_table().contains(&format!("why {}", s.scratch)));
    assert_eq!(
        verdict_of(&report, &s.ontap).0,
        Verdict::OptedOut,
        "`none` acknowledges it"
    );
    let conflict = report.entries.iter().find(|e| e.resource == s.conflict).unwrap();
    assert_eq!(conflict.verdict, Verdict::KeyCaseConflict, "{}", report.to_table());
    assert!(
        conflict
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("Superwerker:Backup")),
        "{conflict:?}"
    );
    assert_eq!(report.unprotected, 4);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(list.num_calls(), 1);
    assert_eq!(
        points.num_calls(),
        1,
        "recovery points are read per vault (one page here), not per covered resource"
    );
}

#[tokio::test]
async fn the_organizations_effective_backup_policy_counts_as_coverage_and_unreadable_sources_are_unknown() {
    let _turn = TURN.lock().await;
    let s = scene().await;
    let region = s.em.region.clone();
    let effective = mock!(aws_sdk_organizations::Client::describe_effective_policy).then_output(move || {
        let content = policy::backup_policy("aws", KEY, "daily", std::slice::from_ref(&region), policy::VAULT_NAME);
        DescribeEffectivePolicyOutput::builder()
            .effective_policy(EffectivePolicy::builder().policy_content(content.to_string()).build())
            .build()
    });
    let points = recovery_points(&s);
    let no_plans = plans(&[]);
    let report = run_audit(&s, &[&no_plans, &points], &[&effective]).await;
    let org = vec!["org:superwerker-backup/backup-daily".to_owned()];
    assert_eq!(
        verdict_of(&report, &s.fresh),
        (Verdict::Protected, Some(2), org.clone()),
        "{}",
        report.to_table()
    );
    assert_eq!(verdict_of(&report, &s.stale).0, Verdict::NoRecentRecoveryPoint);
    assert_eq!(verdict_of(&report, &s.untagged).0, Verdict::Untagged);

    // A plan whose selections cannot be read (AccessDenied): resources not covered otherwise become Unknown, and
    // the problem is reported.
    let other_plan = plans(&[("plan-9", "someone-elses-plan")]);
    let denied = mock!(aws_sdk_backup::Client::list_backup_selections).then_error(|| {
        aws_sdk_backup::operation::list_backup_selections::ListBackupSelectionsError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("denied")
                .build(),
        )
    });
    let rules = plan_rules();
    let report = run_audit(&s, &[&other_plan, &rules, &denied, &points], &[&effective]).await;
    assert_eq!(
        verdict_of(&report, &s.untagged).0,
        Verdict::Unknown,
        "{}",
        report.to_table()
    );
    assert_eq!(
        verdict_of(&report, &s.fresh).0,
        Verdict::Protected,
        "covered by the org policy regardless"
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("ListBackupSelections") && p.contains("AccessDeniedException")),
        "{:?}",
        report.problems
    );
}

/// The organization policy's resource form counts as coverage (volumes by ARN pattern, whatever their tags); an account
/// plan whose only selection has only Conditions — a case AWS documents no rule for — makes what it may select
/// `uncertain`, with the reason, never `protected` nor `not-covered`.
#[tokio::test]
async fn resource_selections_cover_and_undocumented_selections_are_uncertain() {
    let _turn = TURN.lock().await;
    let s = scene().await;
    let region = s.em.region.clone();
    let effective = mock!(aws_sdk_organizations::Client::describe_effective_policy).then_output(move || {
        let content = serde_json::json!({"plans": {"volumes": {
            "regions": [region],
            "rules": {"daily": {
                "schedule_expression": "cron(0 5 ? * * *)",
                "start_backup_window_minutes": "60",
                "target_backup_vault_name": "superwerker-backup"
            }},
            "selections": {"resources": {"all-volumes": {
                // `$account`: the account the policy applies to (Organizations backup policy syntax).
                "iam_role_arn": "arn:aws:iam::$account:role/service-role/AWSBackupDefaultServiceRole",
                "resource_types": ["arn:aws:ec2:*:*:volume/*"]
            }}}
        }}});
        DescribeEffectivePolicyOutput::builder()
            .effective_policy(EffectivePolicy::builder().policy_content(content.to_string()).build())
            .build()
    });
    let plan_list = plans(&[("plan-2", "someone-elses-plan")]);
    let list = mock!(aws_sdk_backup::Client::list_backup_selections).then_output(|| {
        ListBackupSelectionsOutput::builder()
            .backup_selections_list(
                BackupSelectionsListMember::builder()
                    .selection_id("sel-2")
                    .selection_name("not-test")
                    .build(),
            )
            .build()
    });
    let account = s.em.account.clone();
    let get = mock!(aws_sdk_backup::Client::get_backup_selection).then_output(move || {
        use aws_sdk_backup::types::{BackupSelection, ConditionParameter, Conditions};
        let not_test = ConditionParameter::builder()
            .condition_key("aws:ResourceTag/stage")
            .condition_value("test")
            .build();
        let selection = BackupSelection::builder()
            .selection_name("not-test")
            .iam_role_arn(policy::service_role_arn("aws", &account))
            .conditions(Conditions::builder().string_not_equals(not_test).build())
            .build()
            .unwrap();
        GetBackupSelectionOutput::builder().backup_selection(selection).build()
    });
    let points = recovery_points(&s);
    let rules = plan_rules();
    let report = run_audit(&s, &[&plan_list, &rules, &list, &get, &points], &[&effective]).await;
    let org = vec!["org:volumes/all-volumes".to_owned()];
    assert_eq!(
        verdict_of(&report, &s.fresh),
        (Verdict::Protected, Some(2), org.clone()),
        "{}",
        report.to_table()
    );
    assert_eq!(
        verdict_of(&report, &s.untagged),
        (Verdict::NoRecentRecoveryPoint, None, org)
    );
    let db = report.entries.iter().find(|e| e.resource == s.db).unwrap();
    assert_eq!(db.verdict, Verdict::Uncertain, "{}", report.to_table());
    assert!(
        db.reason
            .as_deref()
            .is_some_and(|r| r.contains("someone-elses-plan/not-test") && r.contains("Conditions")),
        "{db:?}"
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// A tag-based plan covers volumes and the DB instance, but the region is not opted in to EBS: the volumes are
/// `not-opted-in` (AWS Backup's tag selections obey opt-in), the DB instance stays `protected`; a selection naming the
/// volume type's ARN pattern would take them regardless.
#[tokio::test]
async fn a_type_not_opted_in_is_not_backed_up_by_tag_selections() {
    let _turn = TURN.lock().await;
    let s = scene().await;
    let plan_list = plans(&[("plan-1", "superwerker-backup")]);
    let rules = plan_rules();
    let (list, get) = our_selection(&s);
    let no_ebs = opt_in(&[("EBS", false), ("RDS", true), ("DynamoDB", true)]);
    let points = recovery_points(&s);
    let effective = no_effective_policy();
    let report = run_audit(&s, &[&plan_list, &rules, &list, &get, &no_ebs, &points], &[&effective]).await;
    let fresh = report.entries.iter().find(|e| e.resource == s.fresh).unwrap();
    assert_eq!(fresh.verdict, Verdict::NotOptedIn, "{}", report.to_table());
    assert!(fresh.reason.as_deref().is_some_and(|r| r.contains("EBS")), "{fresh:?}");
    assert_eq!(verdict_of(&report, &s.db).0, Verdict::Protected);
    assert!(
        report.sources.iter().any(|l| l.contains("off: EBS")),
        "{:?}",
        report.sources
    );
}

/// Our plan, selection and recovery points in the account, and no organization policy: (AWS Backup rules,
/// Organizations rule). Rules a test puts before these answer first.
fn our_plan(s: &Scene) -> (Vec<Rule>, Rule) {
    let (list, get) = our_selection(s);
    let rules = vec![
        plans(&[("plan-1", "superwerker-backup")]),
        plan_rules(),
        list,
        get,
        recovery_points(s),
    ];
    (rules, no_effective_policy())
}

/// The vault the plan writes to is missing in the region (DescribeBackupVault answers ResourceNotFoundException, as
/// its API reference lists), then the role its selection names is missing (IAM in the emulator): the covered volume
/// is `no-vault`, then `no-service-role`, each naming the fix; the gate fails.
#[tokio::test]
async fn a_missing_vault_or_role_means_no_backup() {
    use aws_sdk_backup::operation::describe_backup_vault::DescribeBackupVaultError;
    let _turn = TURN.lock().await;
    let s = scene().await;
    let (ours, effective) = our_plan(&s);
    let no_vault = mock!(aws_sdk_backup::Client::describe_backup_vault).then_error(|| {
        DescribeBackupVaultError::ResourceNotFoundException(
            aws_sdk_backup::types::error::ResourceNotFoundException::builder()
                .meta(
                    aws_smithy_types::error::ErrorMetadata::builder()
                        .code("ResourceNotFoundException")
                        .build(),
                )
                .build(),
        )
    });
    let mut rules: Vec<&Rule> = vec![&no_vault];
    rules.extend(ours.iter());
    let report = run_audit(&s, &rules, &[&effective]).await;
    let fresh = report.entries.iter().find(|e| e.resource == s.fresh).unwrap();
    assert_eq!(fresh.verdict, Verdict::NoVault, "{}", report.to_table());
    let why = fresh.reason.as_deref().unwrap_or_default();
    assert!(why.contains(policy::VAULT_NAME) && why.contains("deploy"), "{why}");
    assert!(report.fails_gate());

    let gone = format!("arn:aws:iam::{}:role/service-role/gone", s.em.account);
    let (list, get) = our_selection_with_role(gone.clone());
    let mut rules: Vec<&Rule> = vec![&list, &get];
    rules.extend(ours.iter());
    let report = run_audit(&s, &rules, &[&effective]).await;
    let fresh = report.entries.iter().find(|e| e.resource == s.fresh).unwrap();
    assert_eq!(fresh.verdict, Verdict::NoServiceRole, "{}", report.to_table());
    assert!(fresh.reason.as_deref().is_some_and(|r| r.contains(&gone)), "{fresh:?}");
    assert_eq!(
        verdict_of(&report, &s.untagged).0,
        Verdict::Untagged,
        "not covered stays not covered"
    );
}

/// The tagger hears of creations only where a trail logs management write events: with none, a read-only one or a
/// stopped one the audit reports a finding with the fix and fails the gate; a logging trail of all events is named
/// as the source.
#[tokio::test]
async fn a_region_whose_trails_log_no_management_writes_is_a_finding() {
    let _turn = TURN.lock().await;
    let s = scene().await;
    let effective = no_effective_policy();
    let no_plans = plans(&[]);
    let finding = |r: &AuditReport| {
        r.findings
            .iter()
            .any(|f| f.contains("no trail logs management write events"))
    };
    let report = run_audit(&s, &[&no_plans], &[&effective]).await;
    assert!(finding(&report) && report.fails_gate(), "{}", report.to_table());
    s.em.create_trail("ReadOnly", true).await.unwrap();
    s.em.create_trail("All", false).await.unwrap();
    let report = run_audit(&s, &[&no_plans], &[&effective]).await;
    assert!(finding(&report), "read-only and stopped trails: {}", report.to_table());
    let logging = s.em.create_trail("WriteOnly", true).await.unwrap();
    let report = run_audit(&s, &[&no_plans], &[&effective]).await;
    assert!(report.findings.is_empty(), "{}", report.to_table());
    assert!(
        report.sources.iter().any(|l| l.contains(&logging)),
        "{:?}",
        report.sources
    );
}

/// An Aurora cluster tagged `daily` with a recovery point 2 h old, and an instance of it: the backfill leaves the
/// instance untagged (AWS Backup backs up the cluster), and the audit gives the instance the cluster's verdict and
/// coverage, naming the cluster — not `untagged`, not `no-recent-recovery-point` forever.
#[tokio::test]
async fn an_aurora_instance_is_judged_by_its_cluster() {
    use aws_sdk_backup::types::RecoveryPointStatus;
    let _turn = TURN.lock().await;
    let s = scene().await;
    let (cluster_id, cluster) = s.em.create_db_cluster(&[(KEY, "daily")]).await.unwrap();
    let (_, member) = s.em.create_cluster_instance(&cluster_id).await.unwrap();
    let aws = s.em.fresh_aws().await;
    let opts = BackfillOptions {
        regions: vec![s.em.region.clone()],
        rate_override: Some(0.0),
        ..Default::default()
    };
    let swept = superwerker_backup_backfill::run(
        &aws,
        &opts,
        std::sync::Arc::new(superwerker_backup_backfill::NoProgress),
    )
    .await
    .unwrap();
    assert_eq!(
        s.em.tag_value(&member, KEY).await.unwrap(),
        None,
        "{}",
        swept.to_table()
    );

    let cluster_points = points_in_vault(vec![(cluster.clone(), 2, RecoveryPointStatus::Completed)]);
    let (ours, effective) = our_plan(&s);
    let mut rules: Vec<&Rule> = vec![&cluster_points];
    rules.extend(ours.iter());
    let report = run_audit(&s, &rules, &[&effective]).await;
    let (cluster_verdict, _, cluster_cover) = verdict_of(&report, &cluster);
    assert_eq!(cluster_verdict, Verdict::Protected, "{}", report.to_table());
    let e = report.entries.iter().find(|e| e.resource == member).unwrap();
    assert_eq!(
        (e.verdict, &e.covered_by, e.protected_through.as_deref()),
        (Verdict::Protected, &cluster_cover, Some(cluster.as_str())),
        "{}",
        report.to_table()
    );
    assert!(e.reason.as_deref().is_some_and(|r| r.contains(&cluster)), "{e:?}");
}

/// One listing refused (RDS `DescribeDBInstances` denied by the fault proxy in front of the emulator): the audit goes
/// on with every other kind, names what it could not list, and is partial (the CLI's exit code 2) — it neither aborts
/// nor reports the DB instance as anything.
#[tokio::test]
async fn a_failed_listing_hides_only_its_own_resources() {
    let _turn = TURN.lock().await;
    let s = scene().await;
    let proxy = superwerker_backup_e2e::FaultProxy::from_env();
    proxy
        .add(serde_json::json!([{"id": "deny-db-listing", "service": "rds", "op": "DescribeDBInstances", "fault": "deny"}]))
        .await
        .unwrap();
    let (ours, effective) = our_plan(&s);
    let rules: Vec<&Rule> = ours.iter().collect();
    let report = run_audit_with(&s, proxy.aws(1).await, &rules, &[&effective]).await;
    proxy.remove("deny-db-listing").await.unwrap();
    assert!(report.partial(), "{}", report.to_table());
    assert!(
        report
            .unlisted
            .iter()
            .any(|u| u.contains("rds:db") && u.contains(&s.em.region)),
        "{:?}",
        report.unlisted
    );
    assert!(
        report.entries.iter().all(|e| e.resource != s.db),
        "{}",
        report.to_table()
    );
    assert_eq!(
        verdict_of(&report, &s.fresh).0,
        Verdict::Protected,
        "the other kinds are audited"
    );
}
