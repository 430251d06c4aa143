//! The formatter against AWS's documented example events (tests/fixtures/backup-events, tests/fixtures/alarm-events),
//! as they arrive on the central bus: with the envelope's account and region replaced by the bus's (the forwarding
//! case the messages must survive), asserted field by field.

use serde_json::{json, Value};

use super::*;
use crate::fixtures::documented;

const CENTRAL_ACCOUNT: &str = "999988887777";
const CENTRAL_REGION: &str = "eu-central-1";

/// The event as the central bus's rule sees it when the envelope names the bus's account and region.
fn forwarded(mut event: Value) -> Value {
    event["account"] = json!(CENTRAL_ACCOUNT);
    event["region"] = json!(CENTRAL_REGION);
    event
}

fn field<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} line in\n{message}"))
        .trim()
}

#[test]
fn a_failed_backup_job_is_told_with_the_account_and_region_of_its_resource() {
    let event = forwarded(documented("backup-events", "backup-job-failed.aws-docs.json"));
    let a = alert(&event).unwrap();
    // resourceArn arn:aws:service:us-west-2:1112233445566:resource-type/resource-id (the page's own example values)
    assert_eq!((a.account.as_str(), a.region.as_str()), ("1112233445566", "us-west-2"));
    assert_eq!(
        a.subject,
        "superwerker-backup: 1112233445566 us-west-2: backup job FAILED"
    );
    assert!(a.message.starts_with("AWS Backup backup job FAILED\n"), "{}", a.message);
    assert_eq!(field(&a.message, "Account"), "1112233445566");
    assert_eq!(field(&a.message, "Region"), "us-west-2");
    assert_eq!(
        field(&a.message, "Resource"),
        "arn:aws:service:us-west-2:1112233445566:resource-type/resource-id"
    );
    assert_eq!(field(&a.message, "Resource type"), "type");
    assert_eq!(field(&a.message, "State"), "FAILED");
    assert_eq!(
        field(&a.message, "AWS says"),
        "Backup job failed because backup vault arn:aws:backup:us-west-2:1112233445566:backup-vault:\
         9ab3e749-82c6-4342-9320-5edbf4918b86 does not exist.",
        "AWS's literal quotes around the message are dropped"
    );
    assert_eq!(
        field(&a.message, "Job"),
        "https://us-west-2.console.aws.amazon.com/backup/home?region=us-west-2#/jobs/backup/details/\
         34176239-e96d-4e1d-9fad-529dbb3c3556"
    );
    assert_eq!(
        field(&a.message, "Event"),
        "710b0398-d48e-f3c3-afca-cfeb2fdaa656 at 2020-07-29T20:15:26Z"
    );
    assert!(!a.message.contains(CENTRAL_ACCOUNT) && !a.message.contains(CENTRAL_REGION));
    assert!(!a.message.contains("Note:"));
}

#[test]
fn every_documented_alerting_job_state_is_told_in_its_own_words() {
    for (file, state) in [
        ("backup-job-aborted.aws-docs.json", "ABORTED"),
        ("backup-job-expired.aws-docs.json", "EXPIRED"),
        ("copy-job-failed.aws-docs.json", "FAILED"),
    ] {
        let event = forwarded(documented("backup-events", file));
        let a = alert(&event).unwrap();
        assert_eq!(field(&a.message, "State"), state, "{file}");
        let says = event["detail"]["statusMessage"].as_str().unwrap();
        assert_eq!(field(&a.message, "AWS says"), says.trim_matches('"'), "{file}");
        assert!(a.subject.contains(state), "{file}: {}", a.subject);
    }
}

#[test]
fn a_copy_job_links_to_the_copy_job_and_names_its_resource() {
    let a = alert(&forwarded(documented("backup-events", "copy-job-failed.aws-docs.json"))).unwrap();
    assert_eq!((a.account.as_str(), a.region.as_str()), ("1112233445566", "us-west-2"));
    assert_eq!(field(&a.message, "Resource type"), "EC2");
    assert_eq!(
        field(&a.message, "Resource"),
        "arn:aws:ec2:us-west-2:1112233445566:instance/i-0515aee7de03f58e1"
    );
    assert!(field(&a.message, "Job").ends_with("#/jobs/copy/details/47C8EF56-74D8-059D-1301-C5BE1D5C926E"));
    assert_eq!(
        a.subject,
        "superwerker-backup: 1112233445566 us-west-2: copy job FAILED"
    );
}

#[test]
fn completed_with_a_status_message_is_completed_with_issues_for_backup_jobs_only() {
    let mut backup = documented("backup-events", "backup-job-completed.aws-docs.json");
    backup["detail"]["statusMessage"] = json!("Windows VSS Backup Job Error encountered");
    let a = alert(&backup).unwrap();
    assert_eq!(field(&a.message, "State"), "COMPLETED with issues");
    assert!(a.subject.contains("backup job COMPLETED with issues"), "{}", a.subject);
    assert_eq!(
        field(&a.message, "AWS says"),
        "Windows VSS Backup Job Error encountered"
    );

    let mut copy = documented("backup-events", "copy-job-completed.aws-docs.json");
    copy["detail"]["statusMessage"] = json!("something");
    assert_eq!(field(&alert(&copy).unwrap().message, "State"), "COMPLETED");
    backup["detail"]["statusMessage"] = json!("");
    assert_eq!(
        field(&alert(&backup).unwrap().message, "State"),
        "COMPLETED",
        "an empty message is none"
    );
}

#[test]
fn an_alarm_is_told_with_the_account_and_region_of_its_arn() {
    let mut event = documented("alarm-events", "alarm-state-change-single-metric.aws-docs.json");
    let arn = event["resources"][0]
        .as_str()
        .unwrap()
        .replace("123456789012", "444455556666");
    event["resources"] = json!([arn.replace("us-east-1", "ap-southeast-2")]);
    let a = alert(&forwarded(event)).unwrap();
    assert_eq!(
        (a.account.as_str(), a.region.as_str()),
        ("444455556666", "ap-southeast-2")
    );
    assert_eq!(
        a.subject,
        "superwerker-backup: 444455556666 ap-southeast-2: alarm ServerCpuTooHigh ALARM"
    );
    assert!(a.message.starts_with("CloudWatch alarm ServerCpuTooHigh is ALARM\n"));
    assert_eq!(field(&a.message, "Alarm"), "ServerCpuTooHigh");
    assert_eq!(field(&a.message, "State"), "ALARM");
    assert_eq!(
        field(&a.message, "What it watches"),
        "Goes into alarm when server CPU utilization is too high!"
    );
    assert!(
        field(&a.message, "Why").starts_with("Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434")
    );
    assert_eq!(field(&a.message, "Since"), "2019-10-02T17:04:40.989+0000");
    assert_eq!(
        field(&a.message, "Console"),
        "https://ap-southeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-southeast-2#alarmsV2:alarm/ServerCpuTooHigh"
    );
}

#[test]
fn without_an_arn_naming_them_the_vault_then_the_envelope_tells_account_and_region() {
    let mut event = forwarded(documented("backup-events", "backup-job-failed.aws-docs.json"));
    event["detail"]["resourceArn"] = json!("arn:aws:s3:::a-bucket");
    let a = alert(&event).unwrap();
    assert_eq!(
        (a.account.as_str(), a.region.as_str()),
        ("1112233445566", "us-west-2"),
        "from backupVaultArn"
    );
    event["detail"]["backupVaultArn"] = json!("not an arn");
    let a = alert(&event).unwrap();
    assert_eq!(
        (a.account.as_str(), a.region.as_str()),
        (CENTRAL_ACCOUNT, CENTRAL_REGION)
    );
    assert!(field(&a.message, "Note").contains("envelope"), "{}", a.message);
}

#[test]
fn other_events_and_broken_ones_are_refused_with_the_reason() {
    let trail = crate::fixtures::envelope(crate::fixtures::fixture("create-volume.awsdocs-kms.json"));
    assert!(matches!(alert(&trail), Err(AlertError::NotAnAlert { .. })));
    assert!(matches!(
        alert(&json!({"dryRun": true})),
        Err(AlertError::NotAnAlert { .. })
    ));
    let mut event = documented("backup-events", "backup-job-failed.aws-docs.json");
    event["detail"].as_object_mut().unwrap().remove("state");
    assert_eq!(
        alert(&event),
        Err(AlertError::Missing {
            detail_type: BACKUP_JOB.into(),
            field: "detail.state"
        })
    );
    let mut alarm = documented("alarm-events", "alarm-state-change-single-metric.aws-docs.json");
    alarm["detail"]["alarmName"] = json!(null);
    assert!(alert(&alarm).unwrap_err().to_string().contains("detail.alarmName"));
}

#[test]
fn urls_escape_what_a_name_may_hold() {
    assert_eq!(
        url_escape("EC2 CPU Utilization Anomaly"),
        "EC2%20CPU%20Utilization%20Anomaly"
    );
    assert_eq!(url_escape("a-b_c.d~e"), "a-b_c.d~e");
}

#[test]
fn links_go_to_the_console_of_the_resources_partition_and_subjects_lead_with_account_and_region() {
    let mut event = documented("backup-events", "copy-job-failed.aws-docs.json");
    event["detail"]["resourceArn"] = json!("arn:aws-cn:ec2:cn-north-1:111122223333:volume/vol-1");
    let a = alert(&event).unwrap();
    assert!(
        field(&a.message, "Job").starts_with("https://cn-north-1.console.amazonaws.cn/backup/home?region=cn-north-1#")
    );
    let mut alarm = documented("alarm-events", "alarm-state-change-single-metric.aws-docs.json");
    let long = format!("{}-sweep-part", "p".repeat(32));
    alarm["detail"]["alarmName"] = json!(long);
    let a = alert(&alarm).unwrap();
    assert!(
        a.subject.starts_with("superwerker-backup: 123456789012 us-east-1: "),
        "{}",
        a.subject
    );
}
