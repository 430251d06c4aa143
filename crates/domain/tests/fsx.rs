//! Amazon FSx: its creation and removal records, and what AWS Backup cannot protect (scratch and data-repository
//! Lustre, ONTAP file systems) skipped with the reason. The CreateFileSystem record is synthetic (botocore's shapes,
//! SOURCES.txt); the UntagResource record is AWS's own example.

use serde_json::{json, Value};
use superwerker_backup_domain::event::EventInput;
use superwerker_backup_domain::fixtures::{envelope, fixture};
use superwerker_backup_domain::{classify, Classification, EventScope, ResourceKind, SkipReason};

const KEY: &str = "superwerker:backup";
const ARN: &str = "arn:aws:fsx:us-east-1:111122223333:file-system/fs-0123456789abcdef0";

fn run(detail: &Value) -> Classification {
    let scope = EventScope::own(
        detail["recipientAccountId"].as_str().unwrap(),
        detail["awsRegion"].as_str().unwrap(),
    );
    let event = envelope(detail.clone());
    let input = EventInput::from_envelope(&event).expect("a well-formed envelope");
    classify(&input, &scope, KEY).expect("a valid record")
}

/// The creation record as a file system of `file_system_type`, Lustre with `lustre` as its configuration (in the
/// request and the answer alike unless `answer_only`).
fn created(file_system_type: &str, lustre: Option<Value>, answer_only: bool) -> Value {
    let mut d = fixture("create-file-system-fsx.synthetic.json");
    d["responseElements"]["fileSystem"]["fileSystemType"] = json!(file_system_type);
    if !answer_only {
        d["requestParameters"]["fileSystemType"] = json!(file_system_type);
    }
    if let Some(lustre) = lustre {
        d["responseElements"]["fileSystem"]["lustreConfiguration"] = lustre.clone();
        if !answer_only {
            d["requestParameters"]["lustreConfiguration"] = lustre;
        }
    }
    d
}

fn unprotectable(d: &Value) -> Option<String> {
    match run(d) {
        Classification::Skip {
            reason: SkipReason::Unprotectable { reason },
            resource: Some(resource),
            ..
        } => {
            assert_eq!(resource.arn.to_string(), ARN, "the skip names the file system");
            Some(reason)
        }
        Classification::Check { resource, event } => {
            assert_eq!(resource.kind, ResourceKind::FsxFileSystem);
            assert_eq!(event.kind(), Some(ResourceKind::FsxFileSystem));
            assert_eq!(resource.arn.to_string(), ARN);
            assert_eq!(resource.id, "fs-0123456789abcdef0");
            None
        }
        other => panic!("expected Check or an unprotectable Skip, got {other:?}"),
    }
}

#[test]
fn windows_openzfs_and_persistent_lustre_are_checked() {
    assert_eq!(unprotectable(&fixture("create-file-system-fsx.synthetic.json")), None);
    assert_eq!(unprotectable(&created("OPENZFS", None, false)), None);
    for deployment in ["PERSISTENT_1", "PERSISTENT_2"] {
        let lustre = json!({"deploymentType": deployment, "perUnitStorageThroughput": 125});
        assert_eq!(
            unprotectable(&created("LUSTRE", Some(lustre), false)),
            None,
            "{deployment}"
        );
    }
}

#[test]
fn what_aws_backup_cannot_protect_is_skipped_with_the_reason() {
    for deployment in ["SCRATCH_1", "SCRATCH_2"] {
        let reason = unprotectable(&created("LUSTRE", Some(json!({"deploymentType": deployment})), false));
        assert!(
            reason.as_deref().is_some_and(|r| r.contains("scratch")),
            "{deployment}: {reason:?}"
        );
    }
    // No deployment type anywhere: FSx's documented default, SCRATCH_1.
    let reason = unprotectable(&created("LUSTRE", None, false));
    assert!(reason.as_deref().is_some_and(|r| r.contains("scratch")), "{reason:?}");
    // Linked to S3: in the request (importPath) or in the answer (dataRepositoryConfiguration).
    let linked = json!({"deploymentType": "PERSISTENT_1", "importPath": "s3://bucket/prefix"});
    let reason = unprotectable(&created("LUSTRE", Some(linked), false));
    assert!(
        reason.as_deref().is_some_and(|r| r.contains("data repository")),
        "{reason:?}"
    );
    let linked = json!({"deploymentType": "PERSISTENT_1", "dataRepositoryConfiguration": {"importPath": "s3://b"}});
    let reason = unprotectable(&created("LUSTRE", Some(linked), true));
    assert!(
        reason.as_deref().is_some_and(|r| r.contains("data repository")),
        "{reason:?}"
    );
    let reason = unprotectable(&created("ONTAP", None, false));
    assert!(
        reason.as_deref().is_some_and(|r| r.contains("per volume")),
        "{reason:?}"
    );
}

#[test]
fn the_answer_wins_over_the_request() {
    // CreateFileSystemFromBackup's request names no type; the answer does.
    let mut d = created("LUSTRE", Some(json!({"deploymentType": "SCRATCH_2"})), true);
    d["eventName"] = json!("CreateFileSystemFromBackup");
    d["requestParameters"] = json!({"backupId": "backup-0123456789abcdef0", "subnetIds": ["subnet-1234abcd"]});
    assert!(unprotectable(&d).is_some());
    d["responseElements"]["fileSystem"]["fileSystemType"] = json!("WINDOWS");
    d["responseElements"]["fileSystem"]["lustreConfiguration"] = Value::Null;
    assert_eq!(unprotectable(&d), None);
}

#[test]
fn request_tags_are_honoured_and_efs_is_another_service() {
    let mut d = fixture("create-file-system-fsx.synthetic.json");
    d["requestParameters"]["tags"] = json!([{"key": "Name", "value": "x"}, {"key": KEY, "value": "none"}]);
    assert!(matches!(
        run(&d),
        Classification::Skip { reason: SkipReason::TaggedAtCreation { value }, .. } if value == "none"
    ));
    let efs = fixture("create-file-system.synthetic.json");
    match run(&efs) {
        Classification::Check { resource, .. } => assert_eq!(resource.kind, ResourceKind::EfsFileSystem),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_untag_without_keys_checks_the_file_system() {
    // AWS's example logs no tag keys: the file system is read again whatever was removed.
    let mut d = fixture("untag-resource-fsx.awsdocs.json");
    d["requestParameters"]["resourceARN"] =
        json!("arn:aws:fsx:us-east-1:111122223333:file-system/fs-0123456789abcdef0");
    match run(&d) {
        Classification::Recheck { resources, .. } => {
            assert_eq!(resources.len(), 1);
            assert_eq!(resources[0].kind, ResourceKind::FsxFileSystem);
            assert_eq!(resources[0].arn.to_string(), ARN);
        }
        other => panic!("{other:?}"),
    }
    // Tags removed from an FSx backup or volume: not a kind we protect.
    d["requestParameters"]["resourceARN"] = json!("arn:aws:fsx:us-east-1:111122223333:backup/backup-0123456789abcdef0");
    assert!(matches!(
        run(&d),
        Classification::Skip {
            reason: SkipReason::NoneOfOurs,
            ..
        }
    ));
}
