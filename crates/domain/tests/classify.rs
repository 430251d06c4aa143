//! `classify` on the real CloudTrail records in tests/fixtures/cloudtrail and on hand-made variants of them.

use serde_json::{json, Value};
use superwerker_backup_domain::event::{Allow, EventInput};
use superwerker_backup_domain::fixtures::{envelope, fixture};
use superwerker_backup_domain::{classify, Classification, EventError, EventScope, ResourceKind, SkipReason};

/// The instance ids of a launch event that needs its volumes checked.
fn launched(detail: &Value) -> Result<Vec<(String, String)>, String> {
    match run(&envelope(detail.clone()), &own_scope(detail)) {
        Ok(Classification::CheckInstanceVolumes { instances, event }) => {
            assert_eq!(event.kind(), Some(ResourceKind::EbsVolume));
            Ok(instances.into_iter().map(|i| (i.id, i.arn.to_string())).collect())
        }
        other => Err(format!("{other:?}")),
    }
}

const KEY: &str = "superwerker:backup";

/// The scope of the account and region the record itself names.
fn own_scope(detail: &Value) -> EventScope {
    EventScope::own(
        detail["recipientAccountId"].as_str().unwrap(),
        detail["awsRegion"].as_str().unwrap(),
    )
}

fn run(event: &Value, scope: &EventScope) -> Result<Classification, EventError> {
    let input = EventInput::from_envelope(event)?;
    classify(&input, scope, KEY)
}

fn checked_arn(name: &str) -> (ResourceKind, String, String) {
    let detail = fixture(name);
    match run(&envelope(detail.clone()), &own_scope(&detail)) {
        Ok(Classification::Check { resource, .. }) => (resource.kind, resource.id, resource.arn.to_string()),
        other => panic!("{name}: expected Check, got {other:?}"),
    }
}

#[test]
fn every_real_fixture_of_a_handled_event_names_the_right_resource() {
    let cases = [
        (
            "create-table.awsdocs.json",
            ResourceKind::DynamoDbTable,
            "Music",
            "arn:aws:dynamodb:us-west-2:111122223333:table/Music",
        ),
        (
            "create-volume.awsdocs-kms.json",
            ResourceKind::EbsVolume,
            "vol-13439757",
            "arn:aws:ec2:us-east-1:123456789012:volume/vol-13439757",
        ),
        (
            "create-volume.cloud-custodian.json",
            ResourceKind::EbsVolume,
            "vol-97c02b3e",
            "arn:aws:ec2:us-east-1:101010101111:volume/vol-97c02b3e",
        ),
        (
            "create-db-instance.awsdocs.json",
            ResourceKind::RdsDbInstance,
            "test-instance",
            "arn:aws:rds:us-east-1:123456789012:db:test-instance",
        ),
        (
            "create-db-instance.cloud-custodian.json",
            ResourceKind::RdsDbInstance,
            "onenessdb",
            "arn:aws:rds:us-east-1:101010101111:db:onenessdb",
        ),
        (
            "create-db-instance.elastic.json",
            ResourceKind::RdsDbInstance,
            "test-cloudtrail-event-instance-14340",
            "arn:aws:rds:us-east-1:1010101010101:db:test-cloudtrail-event-instance-14340",
        ),
    ];
    let more = [
        (
            "restore-db-instance-from-db-snapshot.panther-public.json",
            ResourceKind::RdsDbInstance,
            "test-instance",
            "arn:aws:rds:us-east-1:123456789012:db:test-instance",
        ),
        (
            "restore-db-instance-from-db-snapshot.panther-not-public.json",
            ResourceKind::RdsDbInstance,
            "test-instance",
            "arn:aws:rds:us-east-1:123456789012:db:test-instance",
        ),
        (
            "restore-db-instance-to-point-in-time.synthetic.json",
            ResourceKind::RdsDbInstance,
            "test-instance-pitr",
            "arn:aws:rds:us-east-1:123456789012:db:test-instance-pitr",
        ),
        (
            "restore-db-instance-from-s3.synthetic.json",
            ResourceKind::RdsDbInstance,
            "test-instance-s3",
            "arn:aws:rds:us-east-1:123456789012:db:test-instance-s3",
        ),
        (
            "restore-table-from-backup.synthetic.json",
            ResourceKind::DynamoDbTable,
            "Music-restored",
            "arn:aws:dynamodb:us-west-2:111122223333:table/Music-restored",
        ),
        (
            "restore-table-to-point-in-time.synthetic.json",
            ResourceKind::DynamoDbTable,
            "Music-pitr",
            "arn:aws:dynamodb:us-west-2:111122223333:table/Music-pitr",
        ),
        (
            "import-table.synthetic.json",
            ResourceKind::DynamoDbTable,
            "Music-imported",
            "arn:aws:dynamodb:us-west-2:111122223333:table/Music-imported",
        ),
        (
            "restore-db-cluster-from-snapshot.synthetic.json",
            ResourceKind::RdsDbCluster,
            "aurora-restored",
            "arn:aws:rds:us-west-1:951234567898:cluster:aurora-restored",
        ),
        (
            "restore-db-cluster-to-point-in-time.synthetic.json",
            ResourceKind::RdsDbCluster,
            "aurora-pitr",
            "arn:aws:rds:us-west-1:951234567898:cluster:aurora-pitr",
        ),
        (
            "restore-db-cluster-from-s3.synthetic.json",
            ResourceKind::RdsDbCluster,
            "aurora-from-s3",
            "arn:aws:rds:us-west-1:951234567898:cluster:aurora-from-s3",
        ),
        (
            "create-db-cluster.sumologic.json",
            ResourceKind::RdsDbCluster,
            "auroramysql57dbcluster02-cluster",
            "arn:aws:rds:us-west-1:951234567898:cluster:auroramysql57dbcluster02-cluster",
        ),
        (
            "create-file-system.synthetic.json",
            ResourceKind::EfsFileSystem,
            "fs-00112233",
            "arn:aws:elasticfilesystem:us-west-2:111122223333:file-system/fs-00112233",
        ),
    ];
    for (name, kind, id, arn) in cases.into_iter().chain(more) {
        assert_eq!(checked_arn(name), (kind, id.to_owned(), arn.to_owned()), "{name}");
    }
}

#[test]
fn fixtures_of_events_not_handled_are_ignored_not_errors() {
    let name = "controltower-create-managed-account.lambda-rust-runtime.json";
    let scope = EventScope::own("123456789012", "us-east-1");
    let event = envelope(fixture(name));
    assert!(
        matches!(run(&event, &scope), Ok(Classification::Ignored { .. })),
        "{name}"
    );
    // Another handled event name from another service is not ours either (S3 Files' CreateFileSystem).
    let mut d = fixture("create-file-system.synthetic.json");
    d["eventSource"] = json!("s3files.amazonaws.com");
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Ok(Classification::Ignored { .. })
    ));
}

#[test]
fn other_detail_types_are_ignored() {
    let event = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    let scope = EventScope::own("123456789012", "us-east-1");
    assert!(matches!(run(&event, &scope), Ok(Classification::Ignored { .. })));
}

#[test]
fn failed_calls_are_skipped_without_identity() {
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["errorCode"] = json!("Client.VolumeLimitExceeded");
    d["errorMessage"] = json!("You have exceeded your maximum gp2 storage limit");
    d["responseElements"] = Value::Null;
    match run(&envelope(d.clone()), &own_scope(&d)).unwrap() {
        Classification::Skip { reason, resource, .. } => {
            assert_eq!(
                reason,
                SkipReason::FailedCall {
                    error_code: "Client.VolumeLimitExceeded".into()
                }
            );
            assert!(resource.is_none());
        }
        other => panic!("expected Skip, got {other:?}"),
    }
}

fn expect_tagged_at_creation(d: Value, value: &str) {
    match run(&envelope(d.clone()), &own_scope(&d)).unwrap() {
        Classification::Skip { reason, resource, .. } => {
            assert_eq!(reason, SkipReason::TaggedAtCreation { value: value.into() });
            assert!(resource.is_some());
        }
        other => panic!("expected Skip, got {other:?}"),
    }
}

#[test]
fn tags_set_in_the_creation_request_are_honoured_for_each_type() {
    let mut t = fixture("create-table.awsdocs.json");
    t["requestParameters"]["tags"] = json!([{"key": "team", "value": "a"}, {"key": KEY, "value": "none"}]);
    expect_tagged_at_creation(t, "none");

    let mut v = fixture("create-volume.awsdocs-kms.json");
    v["requestParameters"]["tagSpecificationSet"] =
        json!({"items": [{"resourceType": "volume", "tags": [{"key": KEY, "value": "none"}]}]});
    expect_tagged_at_creation(v, "none");

    let mut r = fixture("create-db-instance.awsdocs.json");
    r["requestParameters"]["tags"] = json!([{"key": KEY, "value": "daily"}]);
    expect_tagged_at_creation(r, "daily");
}

#[test]
fn a_tag_specification_for_another_resource_type_does_not_count() {
    let mut v = fixture("create-volume.awsdocs-kms.json");
    v["requestParameters"]["tagSpecificationSet"] =
        json!({"items": [{"resourceType": "snapshot", "tags": [{"key": KEY, "value": "none"}]}]});
    assert!(matches!(
        run(&envelope(v.clone()), &own_scope(&v)),
        Ok(Classification::Check { .. })
    ));
}

#[test]
fn other_tags_at_creation_still_need_a_check() {
    let mut t = fixture("create-table.awsdocs.json");
    t["requestParameters"]["tags"] = json!([{"key": "superwerker:backupx", "value": "none"}]);
    assert!(matches!(
        run(&envelope(t.clone()), &own_scope(&t)),
        Ok(Classification::Check { .. })
    ));
}

#[test]
fn another_account_is_refused_unless_allowed() {
    let d = fixture("create-volume.awsdocs-kms.json");
    let mut scope = EventScope::own("999999999999", "us-east-1");
    let err = run(&envelope(d.clone()), &scope).unwrap_err();
    assert_eq!(
        err,
        EventError::ForeignAccount {
            event: "CreateVolume",
            account: "123456789012".into(),
            own: "999999999999".into()
        }
    );
    assert!(err.to_string().contains("SUPERWERKER_BACKUP_ALLOWED_ACCOUNTS"));
    scope.extra_accounts = Allow::parse(Some("111111111111, 123456789012"));
    assert!(matches!(
        run(&envelope(d.clone()), &scope),
        Ok(Classification::Check { .. })
    ));
    scope.extra_accounts = Allow::parse(Some("*"));
    assert!(matches!(run(&envelope(d), &scope), Ok(Classification::Check { .. })));
}

#[test]
fn another_region_is_refused_unless_allowed() {
    let d = fixture("create-table.awsdocs.json");
    let mut scope = EventScope::own("111122223333", "eu-central-1");
    assert!(matches!(
        run(&envelope(d.clone()), &scope),
        Err(EventError::ForeignRegion { .. })
    ));
    scope.extra_regions = Allow::parse(Some("us-west-2"));
    assert!(matches!(run(&envelope(d), &scope), Ok(Classification::Check { .. })));
}

#[test]
fn china_and_govcloud_regions_get_their_partition() {
    for (region, partition) in [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")] {
        let mut d = fixture("create-volume.awsdocs-kms.json");
        d["awsRegion"] = json!(region);
        match run(&envelope(d.clone()), &own_scope(&d)).unwrap() {
            Classification::Check { resource, .. } => assert_eq!(
                resource.arn.to_string(),
                format!("arn:{partition}:ec2:{region}:123456789012:volume/vol-13439757")
            ),
            other => panic!("{other:?}"),
        }
        let mut r = fixture("create-db-instance.cloud-custodian.json");
        r["awsRegion"] = json!(region);
        match run(&envelope(r.clone()), &own_scope(&r)).unwrap() {
            Classification::Check { resource, .. } => {
                assert_eq!(resource.arn.partition, partition)
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn an_arn_in_the_record_must_match_the_region_partition_and_account() {
    let base = fixture("create-db-instance.awsdocs.json");
    for (arn, what) in [
        ("arn:aws:rds:us-east-1:999999999999:db:test-instance", "account"),
        ("arn:aws:rds:eu-west-1:123456789012:db:test-instance", "region"),
        ("arn:aws-cn:rds:us-east-1:123456789012:db:test-instance", "partition"),
        ("arn:aws:ec2:us-east-1:123456789012:volume/vol-1", "service"),
        ("arn:aws:rds:us-east-1:123456789012:cluster:test-instance", "resource"),
        ("not-an-arn", "ARN"),
    ] {
        let mut d = base.clone();
        d["responseElements"]["dBInstanceArn"] = json!(arn);
        let err = run(&envelope(d.clone()), &own_scope(&d)).unwrap_err();
        assert!(
            matches!(err, EventError::Inconsistent { .. } | EventError::Invalid { .. }),
            "{what}: {err:?}"
        );
    }
}

#[test]
fn missing_identity_is_an_error_naming_the_fields() {
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["responseElements"].as_object_mut().unwrap().remove("volumeId");
    let err = run(&envelope(d.clone()), &own_scope(&d)).unwrap_err();
    assert!(err.to_string().contains("responseElements.volumeId"), "{err}");

    let mut d = fixture("create-table.awsdocs.json");
    d["requestParameters"].as_object_mut().unwrap().remove("tableName");
    d["responseElements"]["tableDescription"]
        .as_object_mut()
        .unwrap()
        .remove("tableName");
    let err = run(&envelope(d.clone()), &own_scope(&d)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("CreateTable") && msg.contains("requestParameters.tableName"),
        "{msg}"
    );

    let mut d = fixture("create-db-instance.awsdocs.json");
    d["responseElements"] = Value::Null;
    d["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("dBInstanceIdentifier");
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Err(EventError::Missing { .. })
    ));
}

#[test]
fn missing_envelope_fields_are_errors() {
    for field in ["awsRegion", "eventName", "eventSource"] {
        let mut d = fixture("create-volume.awsdocs-kms.json");
        d.as_object_mut().unwrap().remove(field);
        let mut e = envelope(fixture("create-volume.awsdocs-kms.json"));
        e["detail"] = d;
        let err = run(&e, &EventScope::own("123456789012", "us-east-1")).unwrap_err();
        assert_eq!(
            err,
            EventError::MissingEnvelopeField {
                field: match field {
                    "awsRegion" => "awsRegion",
                    "eventName" => "eventName",
                    _ => "eventSource",
                }
            }
        );
    }
    let mut e = envelope(fixture("create-volume.awsdocs-kms.json"));
    e.as_object_mut().unwrap().remove("detail");
    assert_eq!(
        run(&e, &EventScope::own("1", "us-east-1")).unwrap_err(),
        EventError::NoDetail
    );
    e["detail"] = json!("a string");
    assert_eq!(
        run(&e, &EventScope::own("1", "us-east-1")).unwrap_err(),
        EventError::NoDetail
    );
}

#[test]
fn no_account_anywhere_is_an_error() {
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d.as_object_mut().unwrap().remove("recipientAccountId");
    d.as_object_mut().unwrap().remove("userIdentity");
    let mut e = envelope(d);
    e.as_object_mut().unwrap().remove("account");
    let err = run(&e, &EventScope::own("123456789012", "us-east-1")).unwrap_err();
    assert!(matches!(err, EventError::Missing { .. }), "{err:?}");
}

#[test]
fn envelope_and_record_must_agree() {
    let d = fixture("create-volume.awsdocs-kms.json");
    let scope = own_scope(&d);
    let mut e = envelope(d.clone());
    e["source"] = json!("aws.rds");
    assert!(matches!(run(&e, &scope), Err(EventError::Inconsistent { .. })));
    let mut e = envelope(d.clone());
    e["account"] = json!("222222222222");
    assert!(matches!(run(&e, &scope), Err(EventError::Inconsistent { .. })));
    let mut e = envelope(d);
    e["region"] = json!("eu-west-1");
    assert!(matches!(run(&e, &scope), Err(EventError::Inconsistent { .. })));
}

#[test]
fn hostile_ids_and_wrong_types_are_refused() {
    for bad in ["vol-../../x", "vol-1\"; rm", "i-12345678", ""] {
        let mut d = fixture("create-volume.awsdocs-kms.json");
        d["responseElements"]["volumeId"] = json!(bad);
        let r = run(&envelope(d.clone()), &own_scope(&d));
        assert!(r.is_err(), "{bad:?} accepted: {r:?}");
    }
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["responseElements"]["volumeId"] = json!(12345);
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Err(EventError::WrongType { .. })
    ));

    let mut d = fixture("create-table.awsdocs.json");
    d["requestParameters"]["tags"] = json!({"key": KEY});
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Err(EventError::WrongType { .. })
    ));
    d["requestParameters"]["tags"] = json!([{"value": "none"}]);
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Err(EventError::WrongType { .. })
    ));

    let mut d = fixture("create-table.awsdocs.json");
    d["awsRegion"] = json!("us-west-2/../../");
    assert!(run(&envelope(d.clone()), &EventScope::own("111122223333", "us-west-2")).is_err());
}

#[test]
fn rds_identifiers_are_lowercased_like_rds_does() {
    let mut d = fixture("create-db-instance.cloud-custodian.json");
    d["requestParameters"]["dBInstanceIdentifier"] = json!("MyDB");
    d["responseElements"]["dBInstanceIdentifier"] = json!("MyDB");
    match run(&envelope(d.clone()), &own_scope(&d)).unwrap() {
        Classification::Check { resource, .. } => {
            assert_eq!(resource.id, "mydb");
            assert!(resource.arn.to_string().ends_with(":db:mydb"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_read_replica_created_with_none_is_skipped_without_calls() {
    let d = fixture("create-db-instance-read-replica.synthetic.json");
    expect_tagged_at_creation(d, "none");
}

#[test]
fn restores_without_the_identifier_in_the_response_use_the_request() {
    let mut d = fixture("restore-db-instance-to-point-in-time.synthetic.json");
    d["responseElements"] = Value::Null;
    match run(&envelope(d.clone()), &own_scope(&d)).unwrap() {
        Classification::Check { resource, .. } => assert_eq!(resource.id, "test-instance-pitr"),
        other => panic!("{other:?}"),
    }
    let mut d = fixture("restore-table-from-backup.synthetic.json");
    d["responseElements"] = Value::Null;
    match run(&envelope(d.clone()), &own_scope(&d)).unwrap() {
        Classification::Check { resource, .. } => assert_eq!(resource.id, "Music-restored"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn run_instances_names_every_launched_instance() {
    let d = fixture("run-instances.panther.json");
    assert_eq!(
        launched(&d).unwrap(),
        vec![(
            "i-0d7e4b9be8a0de6ea".to_owned(),
            "arn:aws:ec2:us-east-1:123123123123:instance/i-0d7e4b9be8a0de6ea".to_owned()
        )]
    );
    // Several instances (MaxCount > 1), a duplicate listed twice counted once, unknown fields tolerated.
    let mut d = fixture("run-instances.panther.json");
    let first = d["responseElements"]["instancesSet"]["items"][0].clone();
    let mut second = first.clone();
    second["instanceId"] = json!("i-0123456789abcdef0");
    second["someFieldAwsAddsLater"] = json!({"x": 1});
    d["responseElements"]["instancesSet"]["items"] = json!([first.clone(), second, first]);
    let ids: Vec<String> = launched(&d).unwrap().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["i-0d7e4b9be8a0de6ea", "i-0123456789abcdef0"]);
}

#[test]
fn run_instances_honours_a_volume_tag_specification_only() {
    // The real record tags the instance only: its volumes still need a check.
    assert!(launched(&fixture("run-instances.panther.json")).is_ok());
    let mut d = fixture("run-instances.panther.json");
    d["requestParameters"]["tagSpecificationSet"]["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resourceType": "volume", "tags": [{"key": "superwerker:backup", "value": "none"}]}));
    match run(&envelope(d.clone()), &own_scope(&d)).unwrap() {
        Classification::Skip { reason, event, .. } => {
            assert_eq!(event.event_name, "RunInstances");
            assert_eq!(reason, SkipReason::TaggedAtCreation { value: "none".into() });
        }
        other => panic!("expected Skip, got {other:?}"),
    }
    // The key on the instance's own tag specification says nothing about its volumes.
    let mut d = fixture("run-instances.panther.json");
    d["requestParameters"]["tagSpecificationSet"]["items"][0]["tags"] =
        json!([{"key": "superwerker:backup", "value": "none"}]);
    assert!(launched(&d).is_ok());
}

#[test]
fn run_instances_failed_or_malformed() {
    let mut d = fixture("run-instances.panther.json");
    d["errorCode"] = json!("Client.InsufficientInstanceCapacity");
    d["responseElements"] = Value::Null;
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Ok(Classification::Skip {
            reason: SkipReason::FailedCall { .. },
            ..
        })
    ));
    let mut d = fixture("run-instances.panther.json");
    d["responseElements"]["instancesSet"] = json!({});
    let e = run(&envelope(d.clone()), &own_scope(&d)).unwrap_err();
    assert!(e.to_string().contains("responseElements.instancesSet.items"), "{e}");
    let mut d = fixture("run-instances.panther.json");
    d["responseElements"]["instancesSet"]["items"][0]["instanceId"] = json!(42);
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Err(EventError::WrongType { .. })
    ));
    for hostile in ["i-../../etc", "vol-0123", "i-", "i-0123ABC", "i-0123\"}"] {
        let mut d = fixture("run-instances.panther.json");
        d["responseElements"]["instancesSet"]["items"][0]["instanceId"] = json!(hostile);
        assert!(
            matches!(
                run(&envelope(d.clone()), &own_scope(&d)),
                Err(EventError::Invalid { .. })
            ),
            "{hostile}"
        );
    }
    // Another account's launch is refused like any other event.
    let d = fixture("run-instances.panther.json");
    let scope = EventScope::own("999999999999", "us-east-1");
    assert!(matches!(
        run(&envelope(d), &scope),
        Err(EventError::ForeignAccount { .. })
    ));
}

#[test]
fn create_fleet_instant_names_the_instances_in_every_list_shape() {
    let d = fixture("create-fleet.synthetic.json");
    let ids: Vec<String> = launched(&d).unwrap().into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        ["i-0a1b2c3d4e5f60718", "i-0a1b2c3d4e5f60719", "i-0a1b2c3d4e5f6071a"]
    );
    // The same set without the CreateFleetResponse wrapper, as plain arrays (the API's JSON shape).
    let mut d = fixture("create-fleet.synthetic.json");
    d["responseElements"] = json!({"fleetId": "fleet-1", "fleetInstanceSet": [
        {"instanceIds": ["i-0a1b2c3d4e5f60718"], "lifecycle": "spot"}
    ]});
    let ids: Vec<String> = launched(&d).unwrap().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["i-0a1b2c3d4e5f60718"]);
}

#[test]
fn create_fleet_without_instances_is_skipped_and_bad_ids_refused() {
    for response in [
        json!({"CreateFleetResponse": {"fleetId": "fleet-1", "fleetInstanceSet": ""}}),
        json!({"CreateFleetResponse": {"fleetId": "fleet-1"}}),
        json!({"CreateFleetResponse": {"fleetId": "fleet-1", "fleetInstanceSet": {"item": []}}}),
    ] {
        let mut d = fixture("create-fleet.synthetic.json");
        d["responseElements"] = response.clone();
        match run(&envelope(d.clone()), &own_scope(&d)) {
            Ok(Classification::Skip {
                reason: SkipReason::NoInstances,
                ..
            }) => {}
            other => panic!("{response}: expected Skip(NoInstances), got {other:?}"),
        }
    }
    let mut d = fixture("create-fleet.synthetic.json");
    d["responseElements"]["CreateFleetResponse"]["fleetInstanceSet"]["item"][1]["instanceIds"]["item"] =
        json!({"nested": "object"});
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Err(EventError::WrongType { .. })
    ));
    let mut d = fixture("create-fleet.synthetic.json");
    d["responseElements"]["CreateFleetResponse"]["fleetInstanceSet"]["item"][1]["instanceIds"]["item"] =
        json!("arn:aws:ec2:us-east-1:999999999999:instance/i-0123");
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Err(EventError::Invalid { .. })
    ));
}

#[test]
fn efs_request_tags_and_arn_checks() {
    let mut d = fixture("create-file-system.synthetic.json");
    d["requestParameters"]["tags"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "superwerker:backup", "value": "none"}));
    expect_tagged_at_creation(d, "none");
    // No ARN in the record: built from the id.
    let mut d = fixture("create-file-system.synthetic.json");
    d["responseElements"]["fileSystemArn"] = Value::Null;
    match run(&envelope(d.clone()), &own_scope(&d)).unwrap() {
        Classification::Check { resource, .. } => assert_eq!(
            resource.arn.to_string(),
            "arn:aws:elasticfilesystem:us-west-2:111122223333:file-system/fs-00112233"
        ),
        other => panic!("expected Check, got {other:?}"),
    }
    // An ARN of another service or account is refused.
    for arn in [
        "arn:aws:s3files:us-west-2:111122223333:file-system/fs-00112233",
        "arn:aws:elasticfilesystem:us-west-2:999999999999:file-system/fs-00112233",
        "arn:aws:elasticfilesystem:us-west-2:111122223333:access-point/fsap-0123",
    ] {
        let mut d = fixture("create-file-system.synthetic.json");
        d["responseElements"]["fileSystemArn"] = json!(arn);
        assert!(run(&envelope(d.clone()), &own_scope(&d)).is_err(), "{arn}");
    }
    // S3 Files' CreateFileSystem is another service's call: ignored.
    let mut d = fixture("create-file-system.synthetic.json");
    d["eventSource"] = json!("s3files.amazonaws.com");
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Ok(Classification::Ignored { .. })
    ));
}

/// CloudTrail truncates an oversized field and marks it `"omitted": true` (CloudTrail user guide, record contents;
/// where the marker sits is not documented, so both places are tried). A truncated record is not malformed.
#[test]
fn truncated_records_are_skipped_for_the_sweep_not_failed() {
    let mut launch = fixture("run-instances.panther.json");
    launch["responseElements"] = json!({"omitted": true});
    match run(&envelope(launch.clone()), &own_scope(&launch)) {
        Ok(Classification::Skip {
            reason: SkipReason::Truncated { field },
            resource: None,
            ..
        }) => assert_eq!(field, "responseElements"),
        other => panic!("{other:?}"),
    }
    // Even a launch whose truncated response still lists some instances: the rest may be missing.
    let mut partial = fixture("run-instances.panther.json");
    partial["responseElements"]["omitted"] = json!(true);
    assert!(matches!(
        run(&envelope(partial.clone()), &own_scope(&partial)),
        Ok(Classification::Skip {
            reason: SkipReason::Truncated { .. },
            ..
        })
    ));
    // A volume whose response was cut before the id; the marker at the record's top level.
    let mut volume = fixture("create-volume.awsdocs-kms.json");
    volume["responseElements"] = Value::Null;
    volume["omitted"] = json!(true);
    assert!(matches!(
        run(&envelope(volume.clone()), &own_scope(&volume)),
        Ok(Classification::Skip {
            reason: SkipReason::Truncated { .. },
            ..
        })
    ));
    // Without the marker the same record is malformed, and fails loudly.
    volume.as_object_mut().unwrap().remove("omitted");
    assert!(matches!(
        run(&envelope(volume.clone()), &own_scope(&volume)),
        Err(EventError::Missing { .. })
    ));
}

#[test]
fn truncated_request_tags_are_not_trusted_and_the_resource_is_checked() {
    // The identity survives in the response; the request (and its tags) was truncated: our key may have been set
    // there, so the resource's tags are read instead of assuming anything.
    let mut d = fixture("create-table.awsdocs.json");
    d["requestParameters"] = json!({"omitted": true, "tags": [{"key": KEY, "value": "none"}]});
    assert!(matches!(
        run(&envelope(d.clone()), &own_scope(&d)),
        Ok(Classification::Check { .. })
    ));
}

/// The resources a removal names, as (kind, ARN), or the skip reason.
fn rechecked(detail: &Value) -> Result<Vec<(ResourceKind, String)>, String> {
    match run(&envelope(detail.clone()), &own_scope(detail)) {
        Ok(Classification::Recheck { resources, .. }) => {
            Ok(resources.into_iter().map(|r| (r.kind, r.arn.to_string())).collect())
        }
        other => Err(format!("{other:?}")),
    }
}

#[test]
fn every_tag_removal_row_rechecks_its_resources_of_our_kinds() {
    let cases = [
        (
            "delete-tags-efs.awsdocs.json",
            vec![(
                ResourceKind::EfsFileSystem,
                "arn:aws:elasticfilesystem:us-west-2:111122223333:file-system/fs-00112233",
            )],
        ),
        (
            "untag-resource-efs.synthetic.json",
            vec![(
                ResourceKind::EfsFileSystem,
                "arn:aws:elasticfilesystem:us-west-2:111122223333:file-system/fs-00112233",
            )],
        ),
        (
            "untag-resource-dynamodb.synthetic.json",
            vec![(
                ResourceKind::DynamoDbTable,
                "arn:aws:dynamodb:us-west-2:111122223333:table/Music",
            )],
        ),
        (
            "remove-tags-from-resource.synthetic.json",
            vec![(
                ResourceKind::RdsDbInstance,
                "arn:aws:rds:us-west-2:111122223333:db:test-instance",
            )],
        ),
        // The instance's id is not ours; the volume is.
        (
            "delete-tags-ec2.synthetic.json",
            vec![(
                ResourceKind::EbsVolume,
                "arn:aws:ec2:us-west-2:111122223333:volume/vol-13439757",
            )],
        ),
        // The EventBridge rule is not ours; the table is.
        (
            "untag-resources-tagging.synthetic.json",
            vec![(
                ResourceKind::DynamoDbTable,
                "arn:aws:dynamodb:us-west-2:111122223333:table/Music",
            )],
        ),
    ];
    for (name, want) in cases {
        let got = rechecked(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want: Vec<(ResourceKind, String)> = want.into_iter().map(|(k, a)| (k, a.to_owned())).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn removals_of_other_keys_are_skipped_and_unknown_keys_are_checked() {
    let mut other = fixture("untag-resource-dynamodb.synthetic.json");
    other["requestParameters"]["tagKeys"] = json!(["team", "superwerker:backups"]);
    match run(&envelope(other.clone()), &own_scope(&other)) {
        Ok(Classification::Skip {
            reason: SkipReason::OtherKeysRemoved { keys },
            ..
        }) => assert_eq!(keys, vec!["team", "superwerker:backups"]),
        r => panic!("{r:?}"),
    }
    // A key differing from ours only in case was a conflict that kept the resource out of backups; once it is
    // removed the resource may have no key at all: it is looked at again (issue 15).
    other["requestParameters"]["tagKeys"] = json!(["team", "Superwerker:Backup"]);
    assert!(matches!(
        run(&envelope(other.clone()), &own_scope(&other)),
        Ok(Classification::Recheck { .. })
    ));
    // Absent, empty, redacted or truncated key lists: our key may be among them.
    for keys in [
        Value::Null,
        json!([]),
        json!("HIDDEN_DUE_TO_SECURITY_REASONS"),
        json!([1, 2]),
    ] {
        let mut d = fixture("untag-resource-dynamodb.synthetic.json");
        d["requestParameters"]["tagKeys"] = keys.clone();
        assert!(rechecked(&d).is_ok(), "{keys}");
    }
    // EC2 DeleteTags without a tag list deletes every user tag: ours too.
    let mut all = fixture("delete-tags-ec2.synthetic.json");
    all["requestParameters"].as_object_mut().unwrap().remove("tagSet");
    assert_eq!(rechecked(&all).unwrap().len(), 1);
}

#[test]
fn removals_from_resources_not_ours_or_elsewhere() {
    let mut ap = fixture("untag-resource-efs.synthetic.json");
    ap["requestParameters"]["resourceId"] = json!("fsap-0123456789abcdef0");
    assert!(matches!(
        run(&envelope(ap.clone()), &own_scope(&ap)),
        Ok(Classification::Skip {
            reason: SkipReason::NoneOfOurs,
            ..
        })
    ));
    let mut foreign = fixture("untag-resources-tagging.synthetic.json");
    foreign["requestParameters"]["resourceARNList"] = json!(["arn:aws:dynamodb:us-west-2:999999999999:table/Music"]);
    assert!(matches!(
        run(&envelope(foreign.clone()), &own_scope(&foreign)),
        Err(EventError::Inconsistent { .. })
    ));
    let mut failed = fixture("remove-tags-from-resource.synthetic.json");
    failed["errorCode"] = json!("AccessDenied");
    assert!(matches!(
        run(&envelope(failed.clone()), &own_scope(&failed)),
        Ok(Classification::Skip {
            reason: SkipReason::FailedCall { .. },
            ..
        })
    ));
}
