//! `GetBackupSelection` answers read into the domain's `Selection`: the answer is AWS's JSON (the AWS Backup API
//! reference's BackupSelection shape: Resources, NotResources, ListOfTags, Conditions with all four operators), parsed
//! by the SDK itself through aws-smithy-mocks — moto implements no backup selections.

use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use superwerker_backup_aws::backup::Backup;
use superwerker_backup_domain::coverage::{Match, Test};
use superwerker_backup_domain::Tag;

/// An HTTP 200 with AWS Backup's JSON body: the SDK parses it as it parses AWS's answers.
fn json_answer(body: &'static str) -> HttpResponse {
    let mut response = HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::from(body));
    response.headers_mut().insert("Content-Type", "application/json");
    response
}

const ANSWER: &str = r#"{
  "BackupPlanId": "plan-1",
  "SelectionId": "sel-1",
  "CreatorRequestId": "req-1",
  "CreationDate": 1764230400.0,
  "BackupSelection": {
    "SelectionName": "mixed",
    "IamRoleArn": "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole",
    "Resources": ["arn:aws:fsx:*", "arn:aws:rds:*:*:cluster:my-aurora-cluster"],
    "NotResources": ["arn:aws:dynamodb:*:*:table/scratch*"],
    "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "true"}],
    "Conditions": {
      "StringEquals": [{"ConditionKey": "aws:ResourceTag/owner", "ConditionValue": "team-a"}],
      "StringNotEquals": [{"ConditionKey": "aws:ResourceTag/stage", "ConditionValue": "test"}],
      "StringLike": [{"ConditionKey": "aws:ResourceTag/tier", "ConditionValue": "gold*"}],
      "StringNotLike": [{"ConditionKey": "aws:ResourceTag/name", "ConditionValue": "*tmp*"}]
    }
  }
}"#;

#[tokio::test]
async fn every_field_of_a_selection_is_read_and_combined_as_aws_documents() {
    let rule = mock!(aws_sdk_backup::Client::get_backup_selection).then_http_response(|| json_answer(ANSWER));
    let backup = Backup::new(
        mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&rule]),
        "eu-central-1",
    );
    let s = backup.selection("plan-1", "daily", "sel-1").await.unwrap().unwrap();
    assert_eq!(s.name, "daily/mixed");
    assert_eq!(s.regions, ["eu-central-1"]);
    assert_eq!(s.resources.len(), 2);
    assert_eq!(s.not_resources, ["arn:aws:dynamodb:*:*:table/scratch*"]);
    assert_eq!(
        s.any_of,
        [Test::Equals {
            key: "backup".into(),
            value: "true".into()
        }]
    );
    assert_eq!(s.all_of.len(), 4, "{:?}", s.all_of);
    assert!(s.all_of.contains(&Test::Like {
        key: "tier".into(),
        pattern: "gold*".into()
    }));
    assert!(s
        .role
        .as_deref()
        .is_some_and(|r| r.ends_with("AWSBackupDefaultServiceRole")));

    let good = |extra: &[(&str, &str)]| {
        let mut tags = vec![Tag::new("owner", "team-a"), Tag::new("tier", "gold-1")];
        tags.extend(extra.iter().map(|(k, v)| Tag::new(*k, *v)));
        tags
    };
    let fsx = "arn:aws:fsx:eu-central-1:123456789012:file-system/fs-1";
    let table = "arn:aws:dynamodb:eu-central-1:123456789012:table/orders";
    assert_eq!(s.matches(fsx, "eu-central-1", &good(&[])), Match::Yes, "by ARN");
    assert_eq!(
        s.matches(table, "eu-central-1", &good(&[])),
        Match::No,
        "neither ARN nor tag"
    );
    assert_eq!(
        s.matches(table, "eu-central-1", &good(&[("backup", "true")])),
        Match::Yes,
        "by tag"
    );
    assert_eq!(
        s.matches(fsx, "eu-central-1", &[Tag::new("owner", "team-a")]),
        Match::No,
        "StringLike"
    );
    assert_eq!(
        s.matches(fsx, "eu-central-1", &good(&[("stage", "test")])),
        Match::No,
        "StringNotEquals"
    );
    assert_eq!(
        s.matches(fsx, "eu-central-1", &good(&[("name", "a-tmp-b")])),
        Match::No,
        "StringNotLike"
    );
    let scratch = "arn:aws:dynamodb:eu-central-1:123456789012:table/scratch-1";
    assert_eq!(
        s.matches(scratch, "eu-central-1", &good(&[("backup", "true")])),
        Match::No,
        "NotResources"
    );
    assert_eq!(rule.num_calls(), 1);
}

/// `ListRecoveryPointsByResource` as AWS answers it: only `COMPLETED`/`AVAILABLE` points are usable, a `CREATING` one
/// newer than them means a backup is running, `PARTIAL` and `EXPIRED` count for nothing.
#[tokio::test]
async fn recovery_points_are_read_by_status() {
    const POINTS: &str = r#"{"RecoveryPoints": [
      {"RecoveryPointArn": "arn:aws:ec2:eu-central-1::snapshot/snap-1", "CreationDate": 1764000000.0, "Status": "COMPLETED",
       "BackupVaultName": "superwerker-backup"},
      {"RecoveryPointArn": "arn:aws:ec2:eu-central-1::snapshot/snap-2", "CreationDate": 1764100000.0, "Status": "PARTIAL",
       "BackupVaultName": "superwerker-backup"},
      {"RecoveryPointArn": "arn:aws:ec2:eu-central-1::snapshot/snap-3", "CreationDate": 1764200000.0, "Status": "EXPIRED",
       "BackupVaultName": "superwerker-backup"},
      {"RecoveryPointArn": "arn:aws:ec2:eu-central-1::snapshot/snap-4", "CreationDate": 1764050000.0, "Status": "AVAILABLE",
       "BackupVaultName": "superwerker-backup"},
      {"RecoveryPointArn": "arn:aws:ec2:eu-central-1::snapshot/snap-5", "CreationDate": 1764150000.0, "Status": "CREATING",
       "BackupVaultName": "superwerker-backup"}
    ]}"#;
    let rule =
        mock!(aws_sdk_backup::Client::list_recovery_points_by_resource).then_http_response(|| json_answer(POINTS));
    let backup = Backup::new(
        mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&rule]),
        "eu-central-1",
    );
    let points = backup
        .recovery_points("arn:aws:ec2:eu-central-1:123456789012:volume/vol-1")
        .await
        .unwrap();
    assert_eq!(
        points.newest_usable,
        Some(1_764_050_000),
        "AVAILABLE beats the older COMPLETED; PARTIAL, EXPIRED ignored"
    );
    assert_eq!(points.newest_creating, Some(1_764_150_000));
    assert!(points.in_progress());
}
