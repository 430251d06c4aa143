//! The `backup-bootstrap` custom-resource Lambda: the real binary under `cargo lambda watch` against the emulator,
//! answering on a real HTTP listener standing in for CloudFormation's pre-signed ResponseURL.

use std::time::{Duration, Instant};

use aws_sdk_organizations::types::PolicyType;
use serde_json::{json, Value};
use superwerker_backup_bootstrap::custom_resource::{respond, Request, FAILED_CREATE_ID, PHYSICAL_ID};
use superwerker_backup_domain::TagSettings;
use superwerker_backup_e2e::{invoke_lambda, Emulator, ResponseUrl};
use tokio::sync::Mutex;

static ORG: Mutex<()> = Mutex::const_new(());

fn request(kind: &str, url: &str, physical: Option<&str>, props: Value) -> Value {
    let mut r = json!({
        "RequestType": kind,
        "ServiceToken": "arn:aws:lambda:eu-central-1:123456789012:function:backup-bootstrap",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:eu-central-1:123456789012:stack/superwerker-backup/1",
        "RequestId": format!("req-{kind}"),
        "LogicalResourceId": "Bootstrap",
        "ResourceType": "Custom::SuperwerkerBackupBootstrap",
        "ResourceProperties": props,
    });
    if let Some(p) = physical {
        r["PhysicalResourceId"] = json!(p);
    }
    r
}

/// Invokes the real Lambda and returns the body CloudFormation would have received.
async fn cloudformation_sees(kind: &str, physical: Option<&str>, props: Value) -> Value {
    let listener = ResponseUrl::start().await;
    let event = request(kind, &listener.url(), physical, props);
    let answer = tokio::task::spawn_blocking(move || invoke_lambda("backup-bootstrap", &event))
        .await
        .unwrap()
        .unwrap();
    answer.unwrap_or_else(|e| panic!("the Lambda itself failed: {e}"));
    // The Lambda answers only after its PUT to the ResponseURL was acknowledged.
    let got = listener.only_request().await.expect("one PUT arrived");
    assert_eq!(got.method, "PUT");
    assert!(
        got.path
            .starts_with("/cloudformation-response/some-stack?X-Amz-Signature=abc"),
        "{}",
        got.path
    );
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["RequestId"], json!(format!("req-{kind}")));
    assert_eq!(body["LogicalResourceId"], json!("Bootstrap"));
    assert_eq!(
        body["StackId"],
        json!("arn:aws:cloudformation:eu-central-1:123456789012:stack/superwerker-backup/1")
    );
    body
}

async fn policy_count(em: &Emulator) -> usize {
    let org = em.clients().organizations;
    let mut n = 0;
    for t in [PolicyType::TagPolicy, PolicyType::BackupPolicy] {
        n += org.list_policies().filter(t).send().await.unwrap().policies().len();
    }
    n
}

#[tokio::test]
async fn create_update_delete_answer_success_and_do_the_work() {
    let _turn = ORG.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    em.create_organization().await.unwrap();
    let props = json!({"BackupScope": "organization", "Regions": ["eu-central-1"]});

    let created = cloudformation_sees("Create", None, props.clone()).await;
    assert_eq!(created["Status"], json!("SUCCESS"), "{created}");
    assert_eq!(created["PhysicalResourceId"], json!(PHYSICAL_ID));
    assert_eq!(created["Data"]["Created"], json!(2));
    assert_eq!(policy_count(&em).await, 2);

    let updated = cloudformation_sees("Update", Some(PHYSICAL_ID), props.clone()).await;
    assert_eq!(updated["Status"], json!("SUCCESS"), "{updated}");
    assert_eq!(updated["Data"]["UpToDate"], json!("true"));

    let deleted = cloudformation_sees("Delete", Some(PHYSICAL_ID), props).await;
    assert_eq!(deleted["Status"], json!("SUCCESS"), "{deleted}");
    assert_eq!(policy_count(&em).await, 0, "Delete removes what Create made");
}

#[tokio::test]
async fn a_failure_answers_failed_with_a_reason_and_its_delete_removes_nothing() {
    let _turn = ORG.lock().await;
    let em = Emulator::connect().await;
    em.reset().await.unwrap();
    em.create_organization().await.unwrap();
    // Something the stack does not own, which its Delete must not touch: the policy type, enabled beforehand.
    let org = em.clients().organizations;
    let root = org.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_owned();
    org.enable_policy_type()
        .root_id(&root)
        .policy_type(PolicyType::TagPolicy)
        .send()
        .await
        .unwrap();
    let failed = cloudformation_sees("Create", None, json!({"EnforcedFor": ["s3:bucket"]})).await;
    assert_eq!(failed["Status"], json!("FAILED"), "{failed}");
    assert!(failed["Reason"].as_str().unwrap().contains("s3:bucket"), "{failed}");
    assert_eq!(failed["PhysicalResourceId"], json!(FAILED_CREATE_ID));
    assert_eq!(policy_count(&em).await, 0);

    let deleted = cloudformation_sees("Delete", Some(FAILED_CREATE_ID), json!({"EnforcedFor": ["s3:bucket"]})).await;
    assert_eq!(deleted["Status"], json!("SUCCESS"), "{deleted}");
    let roots = org.list_roots().send().await.unwrap();
    assert_eq!(
        roots.roots()[0].policy_types().len(),
        1,
        "the policy type enabled beforehand is untouched"
    );
}

#[tokio::test]
async fn an_aws_endpoint_that_never_answers_gives_failed_within_the_budget_not_a_hang() {
    // A listener that accepts connections and never answers: every AWS call hangs.
    let black_hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", black_hole.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = black_hole.accept().await {
            open.push(socket);
        }
    });
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("eu-central-1"))
        .credentials_provider(aws_sdk_organizations::config::Credentials::for_tests())
        .load()
        .await;
    let aws = superwerker_backup_aws::Aws::new(sdk);
    let req: Request = serde_json::from_value(request("Create", "http://127.0.0.1:9/unused", None, json!({}))).unwrap();
    let started = Instant::now();
    let response = respond(&aws, &TagSettings::default(), &req, Duration::from_secs(2)).await;
    let took = started.elapsed();
    holder.abort();
    assert_eq!(response.status, "FAILED");
    assert!(response.reason.contains("timed out"), "{}", response.reason);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(response.physical_resource_id, FAILED_CREATE_ID);
}
