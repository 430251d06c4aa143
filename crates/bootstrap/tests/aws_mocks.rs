//! The selection steps of account scope with answers the emulator cannot be asked for on demand (a drifted selection,
//! the exact request sent), with aws-smithy-mocks; the whole account scope also runs against the emulator
//! (tests/tests/bootstrap_emulator.rs).

use std::sync::{Arc, Mutex};

use aws_sdk_backup::operation::create_backup_selection::{CreateBackupSelectionInput, CreateBackupSelectionOutput};
use aws_sdk_backup::operation::delete_backup_selection::DeleteBackupSelectionOutput;
use aws_sdk_backup::operation::get_backup_selection::GetBackupSelectionOutput;
use aws_sdk_backup::operation::list_backup_selections::ListBackupSelectionsOutput;
use aws_sdk_backup::types::{BackupSelectionsListMember, ConditionType};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use superwerker_backup_aws::backup::{selection_input as selection, Backup};
use superwerker_backup_bootstrap::account::ensure_selection;
use superwerker_backup_bootstrap::{ChangeKind, Report};
use superwerker_backup_domain::policy::{service_role_arn, BackupPlanSpec};

fn spec() -> BackupPlanSpec {
    BackupPlanSpec::new(
        "superwerker:backup",
        "daily",
        service_role_arn("aws", "123456789012"),
        "superwerker-backup",
    )
}

fn list_with(selection_id: Option<&'static str>) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_backup::Client::list_backup_selections)
        .match_requests(|r| r.backup_plan_id() == Some("plan-1"))
        .then_output(move || {
            let mut out = ListBackupSelectionsOutput::builder();
            if let Some(id) = selection_id {
                out = out.backup_selections_list(
                    BackupSelectionsListMember::builder()
                        .selection_id(id)
                        .selection_name("backup-daily")
                        .build(),
                );
            }
            out.build()
        })
}

fn capturing_create(seen: Arc<Mutex<Vec<CreateBackupSelectionInput>>>) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_backup::Client::create_backup_selection).then_compute_output(move |input| {
        seen.lock().unwrap().push(input.clone());
        CreateBackupSelectionOutput::builder()
            .selection_id("sel-new")
            .backup_plan_id("plan-1")
            .build()
    })
}

#[tokio::test]
async fn a_missing_selection_is_created_with_the_tag_condition_the_role_and_the_plan_id() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let list = list_with(None);
    let create = capturing_create(seen.clone());
    let client = mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&list, &create]);
    let mut report = Report::default();
    ensure_selection(
        &Backup::new(client.clone(), "eu-central-1"),
        Some("plan-1"),
        &spec(),
        &mut report,
    )
    .await
    .unwrap();

    assert_eq!(create.num_calls(), 1);
    let seen = seen.lock().unwrap();
    let input = &seen[0];
    assert_eq!(input.backup_plan_id(), Some("plan-1"));
    let sel = input.backup_selection().unwrap();
    assert_eq!(sel.selection_name(), "backup-daily");
    assert_eq!(
        sel.iam_role_arn(),
        "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
    );
    let tags = sel.list_of_tags();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].condition_type(), &ConditionType::Stringequals);
    assert_eq!(tags[0].condition_key(), "superwerker:backup");
    assert_eq!(tags[0].condition_value(), "daily");
    assert!(sel.resources().is_empty(), "selects by tag only");
    assert_eq!(report.changes[0].kind, ChangeKind::Created);
}

#[tokio::test]
async fn a_matching_selection_is_left_alone() {
    let list = list_with(Some("sel-1"));
    let get = mock!(aws_sdk_backup::Client::get_backup_selection)
        .match_requests(|r| r.selection_id() == Some("sel-1"))
        .then_output(|| {
            GetBackupSelectionOutput::builder()
                .backup_selection(selection(&spec()).unwrap())
                .build()
        });
    let create = capturing_create(Arc::default());
    let client = mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&list, &get, &create]);
    let mut report = Report::default();
    ensure_selection(
        &Backup::new(client.clone(), "eu-central-1"),
        Some("plan-1"),
        &spec(),
        &mut report,
    )
    .await
    .unwrap();
    assert_eq!(create.num_calls(), 0);
    assert!(report.is_up_to_date());
}

#[tokio::test]
async fn a_drifted_selection_is_replaced_and_dry_run_writes_nothing() {
    let drifted = || {
        let mut s = spec();
        s.role_arn = "arn:aws:iam::123456789012:role/someone-elses-role".into();
        selection(&s).unwrap()
    };
    for dry_run in [true, false] {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let list = list_with(Some("sel-1"));
        let get = mock!(aws_sdk_backup::Client::get_backup_selection)
            .then_output(move || GetBackupSelectionOutput::builder().backup_selection(drifted()).build());
        let delete = mock!(aws_sdk_backup::Client::delete_backup_selection)
            .match_requests(|r| r.selection_id() == Some("sel-1") && r.backup_plan_id() == Some("plan-1"))
            .then_output(|| DeleteBackupSelectionOutput::builder().build());
        let create = capturing_create(seen.clone());
        let client = mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&list, &get, &delete, &create]);
        let mut report = Report {
            dry_run,
            ..Report::default()
        };
        ensure_selection(
            &Backup::new(client.clone(), "eu-central-1"),
            Some("plan-1"),
            &spec(),
            &mut report,
        )
        .await
        .unwrap();
        assert_eq!(report.changes[0].kind, ChangeKind::Updated);
        let writes = if dry_run { 0 } else { 1 };
        assert_eq!(delete.num_calls(), writes, "dry_run={dry_run}");
        assert_eq!(create.num_calls(), writes, "dry_run={dry_run}");
        if !dry_run {
            assert_eq!(
                seen.lock().unwrap()[0].backup_selection().unwrap().iam_role_arn(),
                "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
            );
        }
    }
}
