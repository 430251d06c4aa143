//! The central alert function (README, Alerts; issue: alerts, part 4), against the emulator: `backup-alerts`'s handler
//! (`superwerker_backup_alerts::handle`, what the Lambda calls) given AWS's documented example events as they arrive
//! on the central bus, with the envelope naming the management account and its home region (the bus's), publishing to
//! an SNS topic with an SQS queue subscribed: what a subscriber receives, one message per event, each naming the
//! account and region of the ARN it is about. The forwarding itself (member rule -> central bus -> central rule) is
//! shown through the deployed stacks in tests/infra/test_deploy.py.

use serde_json::{json, Value};
use superwerker_backup_alerts::{handle, AlertsError};
use superwerker_backup_domain::fixtures::documented;
use superwerker_backup_e2e::Emulator;

fn on_central_bus(mut event: Value) -> Value {
    event["account"] = json!("123456789012");
    event["region"] = json!("eu-central-1");
    event
}

fn line<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {message}"))
        .trim()
}

#[tokio::test]
async fn each_forwarded_event_reaches_the_subscriber_as_one_message_naming_its_account_and_region() {
    let em = Emulator::connect().await;
    let subscriber = em.topic_with_subscriber().await.unwrap();
    let aws = em.fresh_aws().await;
    let topic = aws.alert_topic(&subscriber.topic_arn);

    let mut job = documented("backup-events", "backup-job-expired.aws-docs.json");
    job["detail"]["resourceArn"] = json!("arn:aws:rds:eu-west-1:210987654321:db:orders");
    job["detail"]["resourceType"] = json!("RDS");
    let mut alarm = documented("alarm-events", "alarm-state-change-single-metric.aws-docs.json");
    alarm["detail"]["alarmName"] = json!("superwerker-backup-no-sweep");
    alarm["resources"] = json!(["arn:aws:cloudwatch:ap-southeast-2:345678901234:alarm:superwerker-backup-no-sweep"]);

    let first = handle(&topic, &on_central_bus(job)).await.unwrap();
    let second = handle(&topic, &on_central_bus(alarm)).await.unwrap();
    assert_eq!(
        (first.account.as_str(), first.region.as_str()),
        ("210987654321", "eu-west-1")
    );
    assert_eq!(
        (second.account.as_str(), second.region.as_str()),
        ("345678901234", "ap-southeast-2")
    );

    let received = em.received(&subscriber).await.unwrap();
    assert_eq!(received.len(), 2, "{received:#?}");
    let by_id = |id: &str| received.iter().find(|m| m["MessageId"] == id).cloned().unwrap();
    let job_message = by_id(&first.message_id);
    assert_eq!(
        job_message["Subject"],
        "superwerker-backup: 210987654321 eu-west-1: backup job EXPIRED"
    );
    let text = job_message["Message"].as_str().unwrap();
    assert_eq!(line(text, "Account"), "210987654321");
    assert_eq!(line(text, "Region"), "eu-west-1");
    assert_eq!(line(text, "Resource"), "arn:aws:rds:eu-west-1:210987654321:db:orders");
    assert_eq!(line(text, "Resource type"), "RDS");
    assert_eq!(line(text, "State"), "EXPIRED");
    assert_eq!(
        line(text, "AWS says"),
        "Backup job failed because there was a running job for the same resource."
    );
    assert!(line(text, "Job")
        .starts_with("https://eu-west-1.console.aws.amazon.com/backup/home?region=eu-west-1#/jobs/backup/details/"));
    assert!(!text.contains("eu-central-1"), "never the bus's region: {text}");

    let alarm_message = by_id(&second.message_id);
    assert_eq!(
        alarm_message["Subject"],
        "superwerker-backup: 345678901234 ap-southeast-2: alarm superwerker-backup-no-sweep ALARM"
    );
    let text = alarm_message["Message"].as_str().unwrap();
    assert_eq!(line(text, "Alarm"), "superwerker-backup-no-sweep");
    assert_eq!(line(text, "Account"), "345678901234");
}

#[tokio::test]
async fn an_event_it_cannot_tell_fails_and_publishes_nothing() {
    let em = Emulator::connect().await;
    let subscriber = em.topic_with_subscriber().await.unwrap();
    let aws = em.fresh_aws().await;
    let topic = aws.alert_topic(&subscriber.topic_arn);
    let scheduled = json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}});
    let e = handle(&topic, &scheduled).await.unwrap_err();
    assert!(matches!(e, AlertsError::NotTold(_)), "{e}");
    assert!(e.to_string().contains("Scheduled Event"), "{e}");
    let gone = aws.alert_topic(&subscriber.topic_arn.replace(":alerts", ":no-such-topic"));
    let job = on_central_bus(documented("backup-events", "backup-job-failed.aws-docs.json"));
    assert!(matches!(handle(&gone, &job).await, Err(AlertsError::Publish(_))));
    assert!(em.received(&subscriber).await.unwrap().is_empty());
}
