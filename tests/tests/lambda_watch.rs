//! End to end: the real `backup-tagger` binary, served by `cargo lambda watch` (started by the harness with the
//! emulator's endpoint), events sent with `cargo lambda invoke --data-file`, tags checked in the emulator.

use serde_json::{json, Value};
use superwerker_backup_e2e::{invoke_lambda, Emulator};

const KEY: &str = "superwerker:backup";

fn answer(result: Result<Value, String>) -> Value {
    result.unwrap_or_else(|e| panic!("the function failed: {e}"))
}

#[tokio::test]
async fn the_real_binary_tags_each_type_and_honours_request_tags() {
    let em = Emulator::connect().await;

    let (table, table_arn) = em.create_table(&[]).await.unwrap();
    let volume = em.create_volume(&[(KEY, "none")]).await.unwrap();
    let (db, db_arn) = em.create_db_instance(&[]).await.unwrap();

    let table_answer =
        answer(invoke_lambda("backup-tagger", &em.create_table_event(&table, Some(&table_arn), &[])).unwrap());
    assert_eq!(table_answer["action"], json!("tagged"), "{table_answer}");
    assert_eq!(table_answer["resource"], json!(table_arn));

    let volume_answer =
        answer(invoke_lambda("backup-tagger", &em.create_volume_event(&volume, &[(KEY, "none")])).unwrap());
    assert_eq!(volume_answer["action"], json!("skipped"), "{volume_answer}");
    assert_eq!(volume_answer["value"], json!("none"));

    let db_answer = answer(invoke_lambda("backup-tagger", &em.create_db_instance_event(&db, &db_arn, &[])).unwrap());
    assert_eq!(db_answer["action"], json!("tagged"), "{db_answer}");

    assert_eq!(em.tag_value(&table_arn, KEY).await.unwrap().as_deref(), Some("daily"));
    assert_eq!(
        em.tag_value(&em.volume_arn(&volume), KEY).await.unwrap().as_deref(),
        Some("none")
    );
    assert_eq!(em.tag_value(&db_arn, KEY).await.unwrap().as_deref(), Some("daily"));

    // A second delivery of the same event (EventBridge delivers at least once) changes nothing.
    let again = answer(invoke_lambda("backup-tagger", &em.create_table_event(&table, Some(&table_arn), &[])).unwrap());
    assert_eq!(again["action"], json!("skipped"), "{again}");
}

#[tokio::test]
async fn the_real_binary_fails_the_invocation_on_a_malformed_event() {
    let em = Emulator::connect().await;
    let mut event = em.create_volume_event("vol-0123abcd", &[]);
    event["detail"]["responseElements"]
        .as_object_mut()
        .unwrap()
        .remove("volumeId");
    let err = invoke_lambda("backup-tagger", &event).unwrap().unwrap_err();
    assert!(err.contains("responseElements.volumeId"), "{err}");

    let ignored = answer(
        invoke_lambda(
            "backup-tagger",
            &json!({
                "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}
            }),
        )
        .unwrap(),
    );
    assert_eq!(ignored["action"], json!("ignored"));
}
