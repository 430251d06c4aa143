//! Restores and replicas against the local emulator (moto): the restored table / instance gets `daily` unless a
//! value came with it (from the snapshot, or set in the request), which is never overwritten.

use backup_tagger::{Action, Outcome};
use serde_json::{json, Value};
use superwerker_backup_e2e::{envelope, fixture, unique, Emulator};

const KEY: &str = "superwerker:backup";

async fn run(em: &Emulator, event: Value) -> Outcome {
    superwerker_backup_e2e::tag_event(em, &em.fresh_aws().await, &event, 3)
        .await
        .unwrap()
}

/// Takes our key off an RDS resource (what RDS may have copied from a snapshot or the source instance).
async fn remove_key(em: &Emulator, arn: &str) {
    em.clients()
        .rds
        .remove_tags_from_resource()
        .resource_name(arn)
        .tag_keys(KEY)
        .send()
        .await
        .unwrap();
}

/// A fixture record moved into the emulator's account and region, with the given request/response fields.
fn record(em: &Emulator, name: &str, request: Value, response: Value) -> Value {
    let mut d = fixture(name);
    d["awsRegion"] = json!(em.region);
    d["recipientAccountId"] = json!(em.account);
    d["requestParameters"] = request;
    d["responseElements"] = response;
    envelope(d)
}

#[tokio::test]
async fn rds_restores_and_read_replicas_are_tagged_and_inherited_values_stay() {
    let em = Emulator::connect().await;
    let rds = em.clients().rds;
    let (source, _) = em.create_db_instance(&[(KEY, "none")]).await.unwrap();
    let snapshot = unique("snap");
    rds.create_db_snapshot()
        .db_instance_identifier(&source)
        .db_snapshot_identifier(&snapshot)
        .send()
        .await
        .unwrap();

    // Restore from a snapshot: RDS may carry the snapshot's tags over to the restored instance; whatever value the
    // restored instance has stays. Both cases run, whatever moto does: where moto copies no tags, the inherited value
    // is set on the restored instance before its event is delivered (as RDS would have brought it); where it copies
    // them, the second restore has the key taken off first.
    for inherited in [true, false] {
        let restored = unique("restored");
        let out = rds
            .restore_db_instance_from_db_snapshot()
            .db_instance_identifier(&restored)
            .db_snapshot_identifier(&snapshot)
            .send()
            .await
            .unwrap();
        let arn = out.db_instance().and_then(|d| d.db_instance_arn()).unwrap().to_owned();
        let copied = em.tag_value(&arn, KEY).await.unwrap();
        match (inherited, copied) {
            (true, None) => em.tag_after_creation(&arn, KEY, "none").await.unwrap(),
            (false, Some(_)) => remove_key(&em, &arn).await,
            _ => {}
        }
        let event = record(
            &em,
            "restore-db-instance-from-db-snapshot.panther-public.json",
            json!({"dBInstanceIdentifier": restored, "dBSnapshotIdentifier": snapshot}),
            json!({"dBInstanceIdentifier": restored, "dBInstanceArn": arn}),
        );
        let outcome = run(&em, event).await;
        if inherited {
            assert_eq!(outcome.action, Action::Skipped, "the inherited none must stay");
            assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("none"));
        } else {
            assert_eq!(outcome.action, Action::Tagged);
            assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("daily"));
        }
    }

    // A read replica without tags gets daily.
    let replica = unique("replica");
    let out = rds
        .create_db_instance_read_replica()
        .db_instance_identifier(&replica)
        .source_db_instance_identifier(&source)
        .send()
        .await
        .unwrap();
    let replica_arn = out.db_instance().and_then(|d| d.db_instance_arn()).unwrap().to_owned();
    remove_key(&em, &replica_arn).await;
    let event = record(
        &em,
        "create-db-instance-read-replica.synthetic.json",
        json!({"dBInstanceIdentifier": replica, "sourceDBInstanceIdentifier": source}),
        json!({"dBInstanceIdentifier": replica, "dBInstanceArn": replica_arn}),
    );
    assert_eq!(run(&em, event).await.action, Action::Tagged);
    assert_eq!(em.tag_value(&replica_arn, KEY).await.unwrap().as_deref(), Some("daily"));
}

#[tokio::test]
async fn dynamodb_restores_from_backup_and_to_point_in_time_are_tagged() {
    let em = Emulator::connect().await;
    let ddb = em.clients().dynamodb;
    let (source, _) = em.create_table(&[(KEY, "none")]).await.unwrap();
    let backup = ddb
        .create_backup()
        .table_name(&source)
        .backup_name(unique("b"))
        .send()
        .await
        .unwrap();
    let backup_arn = backup.backup_details().map(|b| b.backup_arn().to_owned()).unwrap();

    let target = unique("restored");
    let out = ddb
        .restore_table_from_backup()
        .target_table_name(&target)
        .backup_arn(&backup_arn)
        .send()
        .await
        .unwrap();
    let arn = out.table_description().and_then(|t| t.table_arn()).unwrap().to_owned();
    let event = record(
        &em,
        "restore-table-from-backup.synthetic.json",
        json!({"targetTableName": target, "backupArn": backup_arn}),
        json!({"tableDescription": {"tableName": target, "tableArn": arn}}),
    );
    let outcome = run(&em, event).await;
    // DynamoDB does not restore tags: the restored table is untagged and gets daily.
    assert_eq!(outcome.action, Action::Tagged, "{outcome:?}");
    assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("daily"));

    let pitr = unique("pitr");
    let out = ddb
        .restore_table_to_point_in_time()
        .source_table_name(&source)
        .target_table_name(&pitr)
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
    let pitr_arn = out.table_description().and_then(|t| t.table_arn()).unwrap().to_owned();
    em.tag_after_creation(&pitr_arn, KEY, "none").await.unwrap();
    let event = record(
        &em,
        "restore-table-to-point-in-time.synthetic.json",
        json!({"sourceTableName": source, "targetTableName": pitr}),
        json!({"tableDescription": {"tableName": pitr, "tableArn": pitr_arn}}),
    );
    assert_eq!(run(&em, event).await.action, Action::Skipped);
    assert_eq!(
        em.tag_value(&pitr_arn, KEY).await.unwrap().as_deref(),
        Some("none"),
        "never overwritten"
    );
}

#[tokio::test]
async fn rds_point_in_time_and_s3_restores_are_tagged() {
    let em = Emulator::connect().await;
    let rds = em.clients().rds;
    let (source, _) = em.create_db_instance(&[]).await.unwrap();
    let target = unique("pitr");
    let out = rds
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier(&source)
        .target_db_instance_identifier(&target)
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
    let arn = out.db_instance().and_then(|d| d.db_instance_arn()).unwrap().to_owned();
    let event = record(
        &em,
        "restore-db-instance-to-point-in-time.synthetic.json",
        json!({"sourceDBInstanceIdentifier": source, "targetDBInstanceIdentifier": target}),
        json!({"dBInstanceIdentifier": target, "dBInstanceArn": arn}),
    );
    assert_eq!(run(&em, event).await.action, Action::Tagged);
    assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("daily"));

    // moto 5.2.5 has no RestoreDBInstanceFromS3 ("has not been implemented"): the instance the event names is made
    // with CreateDBInstance instead. Parsing the real-shaped event, reading and writing the tags go to the emulator.
    let (id, arn) = em.create_db_instance(&[]).await.unwrap();
    let event = record(
        &em,
        "restore-db-instance-from-s3.synthetic.json",
        json!({"dBInstanceIdentifier": id, "sourceEngine": "mysql", "s3BucketName": "b"}),
        json!({"dBInstanceIdentifier": id, "dBInstanceArn": arn}),
    );
    assert_eq!(run(&em, event).await.action, Action::Tagged);
    assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("daily"));
}

#[tokio::test]
async fn aurora_cluster_restores_are_tagged_and_inherited_values_stay() {
    let em = Emulator::connect().await;
    let rds = em.clients().rds;
    let (source, _) = em.create_db_cluster(&[(KEY, "none")]).await.unwrap();
    let snapshot = unique("csnap");
    rds.create_db_cluster_snapshot()
        .db_cluster_identifier(&source)
        .db_cluster_snapshot_identifier(&snapshot)
        .send()
        .await
        .unwrap();

    // From a snapshot: whatever tags the restored cluster came with decide (moto copies none: daily is added).
    let restored = unique("crestored");
    let out = rds
        .restore_db_cluster_from_snapshot()
        .db_cluster_identifier(&restored)
        .snapshot_identifier(&snapshot)
        .engine("aurora-postgresql")
        .send()
        .await
        .unwrap();
    let arn = out.db_cluster().and_then(|c| c.db_cluster_arn()).unwrap().to_owned();
    let before = em.tag_value(&arn, KEY).await.unwrap();
    let event = record(
        &em,
        "restore-db-cluster-from-snapshot.synthetic.json",
        json!({"dBClusterIdentifier": restored, "snapshotIdentifier": snapshot}),
        json!({"dBClusterIdentifier": restored, "dBClusterArn": arn}),
    );
    let outcome = run(&em, event).await;
    let expected = before.clone().unwrap_or_else(|| "daily".into());
    assert_eq!(
        outcome.action,
        if before.is_some() {
            Action::Skipped
        } else {
            Action::Tagged
        }
    );
    assert_eq!(em.tag_value(&arn, KEY).await.unwrap(), Some(expected));

    // To a point in time: moto copies the source's tags, so `none` arrives with the clone and stays.
    let pitr = unique("cpitr");
    let out = rds
        .restore_db_cluster_to_point_in_time()
        .db_cluster_identifier(&pitr)
        .source_db_cluster_identifier(&source)
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
    let pitr_arn = out.db_cluster().and_then(|c| c.db_cluster_arn()).unwrap().to_owned();
    let inherited = em.tag_value(&pitr_arn, KEY).await.unwrap();
    let event = record(
        &em,
        "restore-db-cluster-to-point-in-time.synthetic.json",
        json!({"dBClusterIdentifier": pitr, "sourceDBClusterIdentifier": source}),
        json!({"dBClusterIdentifier": pitr, "dBClusterArn": pitr_arn}),
    );
    let outcome = run(&em, event).await;
    match inherited {
        Some(v) => {
            assert_eq!(outcome.action, Action::Skipped);
            assert_eq!(
                em.tag_value(&pitr_arn, KEY).await.unwrap(),
                Some(v),
                "never overwritten"
            );
        }
        None => assert_eq!(em.tag_value(&pitr_arn, KEY).await.unwrap().as_deref(), Some("daily")),
    }

    // moto 5.2.5 has no RestoreDBClusterFromS3: the cluster the event names is made with CreateDBCluster instead.
    let (id, arn) = em.create_db_cluster(&[("team", "data")]).await.unwrap();
    let event = record(
        &em,
        "restore-db-cluster-from-s3.synthetic.json",
        json!({"dBClusterIdentifier": id, "sourceEngine": "mysql", "tags": [{"key": "team", "value": "data"}]}),
        json!({"dBClusterIdentifier": id, "dBClusterArn": arn}),
    );
    assert_eq!(run(&em, event).await.action, Action::Tagged);
    assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("daily"));
    assert_eq!(em.tag_value(&arn, "team").await.unwrap().as_deref(), Some("data"));
}

#[tokio::test]
async fn dynamodb_import_table_is_tagged() {
    let em = Emulator::connect().await;
    // The import source: a bucket and one DynamoDB-JSON object, put through moto's S3 REST API directly.
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let bucket = unique("import").to_lowercase();
    let http = reqwest::Client::new();
    let config = format!(
        "<CreateBucketConfiguration><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
        em.region
    );
    let res = http
        .put(format!("{endpoint}/{bucket}"))
        .body(config)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "CreateBucket: {}", res.status());
    let res = http
        .put(format!("{endpoint}/{bucket}/data/part-0.json"))
        .body(r#"{"Item":{"pk":{"S":"a"}}}"#.to_owned() + "\n")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "PutObject: {}", res.status());

    use aws_sdk_dynamodb::types::{BillingMode, InputFormat, S3BucketSource, TableCreationParameters};
    let name = unique("imported");
    let out = em
        .clients()
        .dynamodb
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket(&bucket)
                .s3_key_prefix("data")
                .build()
                .unwrap(),
        )
        .input_format(InputFormat::DynamodbJson)
        .table_creation_parameters(
            TableCreationParameters::builder()
                .table_name(&name)
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(superwerker_backup_e2e::resources::pk_schema().0)
                .key_schema(superwerker_backup_e2e::resources::pk_schema().1)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = out
        .import_table_description()
        .and_then(|d| d.table_arn())
        .unwrap()
        .to_owned();
    let event = record(
        &em,
        "import-table.synthetic.json",
        json!({"tableCreationParameters": {"tableName": name}, "inputFormat": "DYNAMODB_JSON"}),
        json!({"importTableDescription": {"tableArn": arn, "importStatus": "IN_PROGRESS"}}),
    );
    assert_eq!(run(&em, event).await.action, Action::Tagged);
    assert_eq!(em.tag_value(&arn, KEY).await.unwrap().as_deref(), Some("daily"));
}
