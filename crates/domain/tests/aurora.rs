//! DB instances of a cluster (Aurora, Multi-AZ DB clusters): AWS Backup backs up the cluster, so CreateDBInstance
//! into a cluster is skipped with the reason and the cluster named; a standalone instance is checked. The record is
//! AWS's own CreateDBInstance example (RDS user guide, CloudTrail) with `dBClusterIdentifier` set as CreateDBInstance
//! takes it (RDS API reference: "The identifier of the DB cluster that this DB instance will belong to").

use serde_json::{json, Value};
use superwerker_backup_domain::event::EventInput;
use superwerker_backup_domain::fixtures::{envelope, fixture};
use superwerker_backup_domain::kinds::RDS_CLUSTER_MEMBER;
use superwerker_backup_domain::{classify, Classification, EventScope, ResourceKind, SkipReason};

fn run(detail: &Value) -> Classification {
    let scope = EventScope::own("123456789012", "us-east-1");
    let event = envelope(detail.clone());
    let input = EventInput::from_envelope(&event).expect("a well-formed envelope");
    classify(&input, &scope, "superwerker:backup").expect("a valid record")
}

fn in_cluster(request: bool, answer: bool) -> Value {
    let mut d = fixture("create-db-instance.awsdocs.json");
    if request {
        d["requestParameters"]["dBClusterIdentifier"] = json!("orders");
        d["requestParameters"]["engine"] = json!("aurora-mysql");
    }
    if answer {
        d["responseElements"]["dBClusterIdentifier"] = json!("orders");
    }
    d
}

#[test]
fn an_instance_created_into_a_cluster_is_skipped_for_its_cluster() {
    for (request, answer) in [(true, true), (false, true), (true, false)] {
        match run(&in_cluster(request, answer)) {
            Classification::Skip {
                reason: SkipReason::Unprotectable { reason },
                resource: Some(resource),
                ..
            } => {
                assert_eq!(resource.kind, ResourceKind::RdsDbInstance);
                assert!(reason.contains("cluster"), "{reason}");
            }
            other => panic!("request {request}, answer {answer}: {other:?}"),
        }
    }
}

#[test]
fn a_standalone_instance_is_checked() {
    assert!(matches!(run(&in_cluster(false, false)), Classification::Check { .. }));
}

#[test]
fn the_instance_names_its_cluster_as_what_protects_it() {
    let attribute = |name: &str| (name == RDS_CLUSTER_MEMBER).then_some("orders");
    assert_eq!(
        ResourceKind::RdsDbInstance.protected_through(attribute),
        Some((ResourceKind::RdsDbCluster, "orders"))
    );
    assert_eq!(ResourceKind::RdsDbInstance.protected_through(|_| None), None);
    assert_eq!(ResourceKind::FsxFileSystem.protected_through(attribute), None);
}
