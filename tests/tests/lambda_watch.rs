//! End to end: the real `backup-tagger` binary, served by `cargo lambda watch` (started by the harness with the
//! emulator's endpoint), events sent with `cargo lambda invoke --data-file`, tags checked in the emulator.

use serde_json::{json, Value};
use superwerker_backup_e2e::{invoke_lambda, Emulator, FaultProxy};

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

    // Under `cargo lambda watch` the invoked function's ARN names no account, and the harness sets no
    // SUPERWERKER_BACKUP_ACCOUNT_ID: the function asked STS who it is (through the fault proxy, its endpoint).
    let asked = FaultProxy::from_env().log("GetCallerIdentity").await.unwrap();
    assert!(asked.iter().any(|r| r["service"] == json!("sts")), "{asked:?}");
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

#[tokio::test]
async fn a_small_burst_with_faults_loses_nothing_and_overwrites_nothing() {
    // `make burst` runs 1,000 events; here 60 (plus 6 duplicates) so `make test` stays quick.
    let report = superwerker_backup_e2e::burst::burst(60, 4).await.unwrap();
    report.print();
    assert!(report.faults_injected > 0, "the faults were on");
    assert!(
        report.changed_in_flight > 0,
        "values were changed by hand while events were delivered"
    );
    assert_eq!(report.lost, Vec::<String>::new());
    assert_eq!(report.wrong, Vec::<String>::new());
    assert_eq!(report.invocations, 66 + report.redelivered);
}

#[tokio::test]
async fn the_logs_never_contain_secrets_from_the_event_or_credentials() {
    let em = Emulator::connect().await;
    let secret = "hunter2-UNMASKED-master-password";
    let (db, db_arn) = em.create_db_instance(&[]).await.unwrap();
    // CloudTrail masks masterUserPassword ("****"); do not rely on that: send it in clear, in a good event and in a
    // malformed one (whose error is logged). Errors quote at most 200 characters of the identity field they refuse
    // (an ARN, an id), never request parameters.
    let mut good = em.create_db_instance_event(&db, &db_arn, &[]);
    good["detail"]["requestParameters"]["masterUserPassword"] = json!(secret);
    assert_eq!(
        answer(invoke_lambda("backup-tagger", &good).unwrap())["action"],
        json!("tagged")
    );
    let mut bad = good.clone();
    bad["detail"]["responseElements"]["dBInstanceArn"] = json!(42);
    let err = invoke_lambda("backup-tagger", &bad).unwrap().unwrap_err();
    assert!(err.contains("BadEvent"), "{err}");

    let log = std::fs::read_to_string(std::env::var("SWB_LAMBDA_WATCH_LOG").unwrap()).unwrap();
    assert!(log.contains(&db_arn), "the decision is logged");
    // One JSON object per line (AWS_LAMBDA_LOG_FORMAT=JSON, as the template's LogFormat sets it on Lambda): the
    // decision's fields, and the event's id and name from the invocation's span.
    let decision = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.get(l.find('{').unwrap_or(0)..)?).ok())
        .find(|l| l["fields"]["message"] == json!("decision") && l["fields"]["resource"] == json!(db_arn))
        .unwrap_or_else(|| panic!("no JSON decision line for {db_arn} in {log}"));
    assert_eq!(decision["fields"]["action"], json!("tagged"), "{decision}");
    assert_eq!(decision["span"]["event_name"], json!("CreateDBInstance"), "{decision}");
    assert!(
        decision["span"]["event_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{decision}"
    );
    assert!(decision["fields"]["elapsed_ms"].is_u64(), "{decision}");
    assert!(!log.contains("hunter2"), "a secret from the event reached the logs");
    for credential_marker in [
        "AWS4-HMAC-SHA256",
        "X-Amz-Security-Token",
        "x-amz-security-token",
        "aws_secret_access_key",
    ] {
        assert!(!log.contains(credential_marker), "{credential_marker} in the logs");
    }
}
