//! Restores and replicas against the local emulator (moto): the restored table / instance gets `daily` unless a
//! value came with it (from the snapshot, or set in the request), which is never overwritten.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use backup_tagger::{handle, Action, Outcome, TaggerConfig};
use serde_json::{json, Value};
use superwerker_backup_e2e::{envelope, fixture, unique, Emulator};

const KEY: &str = "superwerker:backup";

async fn run(em: &Emulator, event: Value) -> Outcome {
    let config = TaggerConfig::from_lookup(&em.region, |_| None).unwrap();
    let scope = config
        .scope(&format!(
            "arn:aws:lambda:{}:{}:function:backup-tagger",
            em.region, em.account
        ))
        .unwrap();
    let event: EventBridgeEvent<Value> = serde_json::from_value(event).unwrap();
    handle(&em.fresh_aws().await, &config, &scope, &event, None)
        .await
        .unwrap()
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
    let rds = em.setup.clients(&em.region).rds.client.clone();
    let (source, _) = em.create_db_instance(&[(KEY, "none")]).await.unwrap();
    let snapshot = unique("snap");
    rds.create_db_snapshot()
        .db_instance_identifier(&source)
        .db_snapshot_identifier(&snapshot)
        .send()
        .await
        .unwrap();

    // Restore from a snapshot: RDS may copy the snapshot's tags; whatever the restored instance has is respected.
    let restored = unique("restored");
    let out = rds
        .restore_db_instance_from_db_snapshot()
        .db_instance_identifier(&restored)
        .db_snapshot_identifier(&snapshot)
        .send()
        .await
        .unwrap();
    let arn = out.db_instance().and_then(|d| d.db_instance_arn()).unwrap().to_owned();
    let before = em.tag_value(&arn, KEY).await.unwrap();
    let event = record(
        &em,
        "restore-db-instance-from-db-snapshot.panther-public.json",
        json!({"dBInstanceIdentifier": restored, "dBSnapshotIdentifier": snapshot}),
        json!({"dBInstanceIdentifier": restored, "dBInstanceArn": arn}),
    );
    let outcome = run(&em, event).await;
    match before {
        Some(v) => {
            assert_eq!(outcome.action, Action::Skipped, "inherited {v:?} must stay");
            assert_eq!(em.tag_value(&arn, KEY).await.unwrap(), Some(v));
        }
        None => {
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
    em.setup
        .clients(&em.region)
        .rds
        .client
        .remove_tags_from_resource()
        .resource_name(&replica_arn)
        .tag_keys(KEY)
        .send()
        .await
        .unwrap();
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
    let ddb = em.setup.clients(&em.region).dynamodb.client.clone();
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
