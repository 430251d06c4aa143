//! `superwerker-backup opt-in`: moto implements neither `DescribeRegionSettings` nor `UpdateRegionSettings`, nor the
//! backup selections, so AWS Backup and Organizations are answered by aws-smithy-mocks in AWS's documented shapes
//! (AWS Backup API reference: DescribeRegionSettings, UpdateRegionSettings, BackupSelection). No emulator is needed.

use aws_sdk_backup::operation::get_backup_selection::GetBackupSelectionOutput;
use aws_sdk_backup::operation::list_backup_plans::ListBackupPlansOutput;
use aws_sdk_backup::operation::list_backup_selections::ListBackupSelectionsOutput;
use aws_sdk_backup::types::{BackupPlansListMember, BackupSelection, BackupSelectionsListMember, Condition};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use superwerker_backup_audit::opt_in::{opt_in, OptInReport};
use superwerker_backup_audit::Sources;
use superwerker_backup_aws::backup::Backup;
use superwerker_backup_aws::organizations::Organizations;
use superwerker_backup_domain::coverage::protected_types;

const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "111111111111";
const ROLE: &str = "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole";

/// EBS and Aurora off, the other types on.
fn settings() -> Rule {
    mock!(aws_sdk_backup::Client::describe_region_settings).then_output(|| {
        let mut out = aws_sdk_backup::operation::describe_region_settings::DescribeRegionSettingsOutput::builder();
        for (t, on) in [
            ("Aurora", false),
            ("DynamoDB", true),
            ("EBS", false),
            ("EFS", true),
            ("FSx", true),
            ("RDS", true),
            ("S3", false),
        ] {
            out = out.resource_type_opt_in_preference(t, on);
        }
        out.build()
    })
}

fn no_policy() -> Rule {
    use aws_sdk_organizations::operation::describe_effective_policy::DescribeEffectivePolicyError;
    use aws_sdk_organizations::types::error::EffectivePolicyNotFoundException;
    mock!(aws_sdk_organizations::Client::describe_effective_policy).then_error(|| {
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code("EffectivePolicyNotFoundException")
            .build();
        DescribeEffectivePolicyError::EffectivePolicyNotFoundException(
            EffectivePolicyNotFoundException::builder().meta(meta).build(),
        )
    })
}

/// One plan with two selections: by our tag, and an empty one ("all supported and opted-in storage resources").
fn plan() -> Vec<Rule> {
    let plans = mock!(aws_sdk_backup::Client::list_backup_plans).then_output(|| {
        ListBackupPlansOutput::builder()
            .backup_plans_list(
                BackupPlansListMember::builder()
                    .backup_plan_id("plan-1")
                    .backup_plan_name("team-plan")
                    .build(),
            )
            .build()
    });
    let list = mock!(aws_sdk_backup::Client::list_backup_selections).then_output(|| {
        let member = |id: &str| {
            BackupSelectionsListMember::builder()
                .selection_id(id)
                .selection_name(id)
                .build()
        };
        ListBackupSelectionsOutput::builder()
            .backup_selections_list(member("by-tag"))
            .backup_selections_list(member("everything"))
            .build()
    });
    let get = |id: &'static str| {
        mock!(aws_sdk_backup::Client::get_backup_selection)
            .match_requests(move |r| r.selection_id() == Some(id))
            .then_output(move || {
                let mut s = BackupSelection::builder().selection_name(id).iam_role_arn(ROLE);
                if id == "by-tag" {
                    s = s.list_of_tags(
                        Condition::builder()
                            .condition_type("STRINGEQUALS".into())
                            .condition_key("superwerker:backup")
                            .condition_value("daily")
                            .build()
                            .unwrap(),
                    );
                }
                GetBackupSelectionOutput::builder()
                    .backup_selection(s.build().unwrap())
                    .build()
            })
    };
    let rules = mock!(aws_sdk_backup::Client::get_backup_plan)
        .then_output(|| aws_sdk_backup::operation::get_backup_plan::GetBackupPlanOutput::builder().build());
    vec![plans, list, get("by-tag"), get("everything"), rules]
}

/// UpdateRegionSettings, answering only when asked to turn on exactly Aurora and EBS.
fn update() -> Rule {
    mock!(aws_sdk_backup::Client::update_region_settings)
        .match_requests(|r| {
            let asked = r.resource_type_opt_in_preference().cloned().unwrap_or_default();
            asked.len() == 2 && asked.get("Aurora") == Some(&true) && asked.get("EBS") == Some(&true)
        })
        .then_output(|| {
            aws_sdk_backup::operation::update_region_settings::UpdateRegionSettingsOutput::builder().build()
        })
}

async fn run(backup_rules: &[&Rule], dry_run: bool) -> OptInReport {
    let org = no_policy();
    // Roles and trails are never read by opt-in: clients that are never called.
    let unused = superwerker_backup_aws::Aws::from_env().await;
    let sources = Sources {
        roles: unused.roles(),
        trails: [(REGION.to_owned(), unused.trails(REGION))].into(),
        organizations: Organizations::new(mock_client!(aws_sdk_organizations, RuleMode::MatchAny, &[&org])),
        backup: [(
            REGION.to_owned(),
            Backup::new(mock_client!(aws_sdk_backup, RuleMode::MatchAny, backup_rules), REGION),
        )]
        .into(),
    };
    let types: Vec<String> = protected_types().into_iter().map(str::to_owned).collect();
    opt_in(&sources, ACCOUNT, &[REGION.to_owned()], &types, dry_run).await
}

/// The region with EBS and Aurora off and the team plan: the report, and how many UpdateRegionSettings calls.
async fn run_on_the_team_plan(dry_run: bool) -> (OptInReport, usize) {
    let (settings, plan, update) = (settings(), plan(), update());
    let mut rules: Vec<&Rule> = plan.iter().collect();
    rules.extend([&settings, &update]);
    let report = run(&rules, dry_run).await;
    (report, update.num_calls())
}

#[tokio::test]
async fn the_dry_run_names_the_types_and_the_selections_it_widens_and_writes_nothing() {
    let (report, updates) = run_on_the_team_plan(true).await;
    let r = &report.regions[0];
    assert_eq!(r.error, None, "{}", report.to_table());
    assert_eq!(r.turn_on, ["Aurora", "EBS"]);
    assert_eq!(r.already_on, ["DynamoDB", "EFS", "FSx", "RDS"]);
    assert!(r.not_offered.is_empty(), "{r:?}");
    assert_eq!(
        r.widened,
        ["team-plan/everything: Aurora, EBS"],
        "the tag selection is not widened"
    );
    assert!(!r.written);
    assert_eq!(updates, 0, "a dry run writes nothing");
    assert!(report.to_table().contains("--apply"), "{}", report.to_table());
}

#[tokio::test]
async fn apply_turns_on_only_the_types_that_are_off() {
    let (report, updates) = run_on_the_team_plan(false).await;
    let r = &report.regions[0];
    assert!(r.written, "{}", report.to_table());
    assert_eq!(updates, 1);
    assert!(!report.failed());
}

#[tokio::test]
async fn unreadable_selections_mean_no_write() {
    use aws_sdk_backup::operation::list_backup_plans::ListBackupPlansError;
    let (settings, update) = (settings(), update());
    let denied = mock!(aws_sdk_backup::Client::list_backup_plans).then_error(|| {
        ListBackupPlansError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform: backup:ListBackupPlans")
                .build(),
        )
    });
    let report = run(&[&settings, &denied, &update], false).await;
    let r = &report.regions[0];
    assert!(
        r.error.as_deref().is_some_and(|e| e.contains("widens is unknown")),
        "{r:?}"
    );
    assert!(!r.written && report.failed());
    assert_eq!(update.num_calls(), 0, "nothing is widened unseen");
}
