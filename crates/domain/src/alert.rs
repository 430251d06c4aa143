//! The organization's alerts as a person reads them: AWS Backup's job events and our alarms' state changes, forwarded
//! from every account and region to the central alert bus (README, Alerts), made into one message each by the
//! management account's `backup-alerts` function.
//!
//! Account and region come from the ARN the event is about (the job's resource, the alarm), never from the envelope:
//! an event that travelled through another account's or region's bus is told with the account and region it
//! concerns, whatever the envelope of the bus it arrived on says. The envelope is the last resort, said so in the
//! message, for a resource whose ARN has no account or region (AWS Backup's vault ARN is tried before it).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use crate::arn::Arn;

/// `detail-type`s of AWS Backup's job events (AWS Backup developer guide, "Monitoring AWS Backup events using Amazon
/// EventBridge") and of CloudWatch's alarm state changes (CloudWatch user guide, "Alarm events and EventBridge").
pub const BACKUP_JOB: &str = "Backup Job State Change";
pub const COPY_JOB: &str = "Copy Job State Change";
pub const ALARM_STATE: &str = "CloudWatch Alarm State Change";

/// One message for the alert topic. The subject names account and region first: SNS cuts subjects at 99 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub subject: String,
    pub message: String,
    pub account: String,
    pub region: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AlertError {
    #[error("not an alert this function tells (source {event_source:?}, detail-type {detail_type:?}): only AWS Backup's \"{BACKUP_JOB}\" and \"{COPY_JOB}\" and CloudWatch's \"{ALARM_STATE}\"")]
    NotAnAlert { event_source: String, detail_type: String },
    #[error("a {detail_type:?} event without {field}")]
    Missing { detail_type: String, field: &'static str },
}

/// Where an event is from.
struct Origin {
    partition: String,
    account: String,
    region: String,
    /// The origin was the envelope's: no ARN named it.
    from_envelope: bool,
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// The first ARN of `candidates` that names both an account and a region, else the envelope's.
fn origin(event: &Value, candidates: &[Option<&str>]) -> Origin {
    candidates
        .iter()
        .flatten()
        .filter_map(|s| Arn::parse(s).ok())
        .find(|a| !a.account.is_empty() && !a.region.is_empty())
        .map(|a| Origin {
            partition: a.partition,
            account: a.account,
            region: a.region,
            from_envelope: false,
        })
        .unwrap_or_else(|| {
            let region = text(event, &["region"]).unwrap_or("unknown").to_owned();
            Origin {
                partition: crate::partition_for_region(&region).unwrap_or("aws").to_owned(),
                account: text(event, &["account"]).unwrap_or("unknown").to_owned(),
                region,
                from_envelope: true,
            }
        })
}

impl Origin {
    /// The AWS console of the origin's partition and region (`None` without a region to link to).
    fn console(&self, service: &str, fragment: &str) -> Option<String> {
        let domain = match self.partition.as_str() {
            "aws-cn" => "console.amazonaws.cn",
            "aws-us-gov" => "console.amazonaws-us-gov.com",
            _ => "console.aws.amazon.com",
        };
        (self.region != "unknown").then(|| {
            format!(
                "https://{r}.{domain}/{service}/home?region={r}#{fragment}",
                r = self.region
            )
        })
    }
}

/// AWS Backup writes some status messages inside literal quotes (the page's FAILED, ABORTED, EXPIRED examples).
fn unquoted(s: &str) -> &str {
    let t = s.trim();
    t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t)
}

/// What stays as it is in a URL part: RFC 3986's unreserved characters; everything else is percent-encoded.
pub const URL_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `s` as a URL fragment or query value.
fn url_escape(s: &str) -> String {
    utf8_percent_encode(s, URL_UNRESERVED).to_string()
}

/// The alert for `event`, or why there is none.
pub fn alert(event: &Value) -> Result<Alert, AlertError> {
    let source = text(event, &["source"]).unwrap_or_default();
    let detail_type = text(event, &["detail-type"]).unwrap_or_default();
    match (source, detail_type) {
        ("aws.backup", BACKUP_JOB) => job(event, "backup", "backupJobId", "backupVaultArn"),
        ("aws.backup", COPY_JOB) => job(event, "copy", "copyJobId", "sourceBackupVaultArn"),
        ("aws.cloudwatch", ALARM_STATE) => alarm(event),
        _ => Err(AlertError::NotAnAlert {
            event_source: source.to_owned(),
            detail_type: detail_type.to_owned(),
        }),
    }
}

fn missing(event: &Value, field: &'static str) -> AlertError {
    AlertError::Missing {
        detail_type: text(event, &["detail-type"]).unwrap_or_default().to_owned(),
        field,
    }
}

fn lines(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    rows.iter()
        .map(|(k, v)| format!("{:<width$} {v}\n", format!("{k}:")))
        .collect()
}

fn envelope_note(o: &Origin) -> Option<(&'static str, String)> {
    o.from_envelope.then(|| {
        (
            "Note",
            "no ARN of the event names its account and region; these are the envelope's, which a forwarding bus may \
             have replaced"
                .to_owned(),
        )
    })
}

/// A backup or copy job that failed, was aborted, expired, ended partial, or completed with issues.
fn job(event: &Value, kind: &str, id_field: &str, vault_field: &str) -> Result<Alert, AlertError> {
    let d = event.get("detail").ok_or_else(|| missing(event, "detail"))?;
    let state = text(d, &["state"]).ok_or_else(|| missing(event, "detail.state"))?;
    let id = text(d, &[id_field]).ok_or_else(|| missing(event, "the job id"))?;
    let resource = text(d, &["resourceArn"]).unwrap_or("(not given)");
    let status = text(d, &["statusMessage"]).map(unquoted).filter(|s| !s.is_empty());
    // "Completed with issues" is a COMPLETED backup job with a status message (the same page), backup jobs only.
    let told = match (kind, state, status) {
        ("backup", "COMPLETED", Some(_)) => "COMPLETED with issues".to_owned(),
        _ => state.to_owned(),
    };
    let o = origin(event, &[text(d, &["resourceArn"]), text(d, &[vault_field])]);
    let link = o
        .console("backup", &format!("/jobs/{kind}/details/{}", url_escape(id)))
        .unwrap_or_else(|| format!("(no region to link to) job {id}"));
    let mut rows = vec![
        ("Account", o.account.clone()),
        ("Region", o.region.clone()),
        ("Resource", resource.to_owned()),
        (
            "Resource type",
            text(d, &["resourceType"]).unwrap_or("(not given)").to_owned(),
        ),
        ("State", told.clone()),
        ("AWS says", status.unwrap_or("(no status message)").to_owned()),
        ("Job", link),
    ];
    rows.extend(envelope_note(&o));
    if let (Some(id), Some(time)) = (text(event, &["id"]), text(event, &["time"])) {
        rows.push(("Event", format!("{id} at {time}")));
    }
    Ok(Alert {
        subject: format!("superwerker-backup: {} {}: {kind} job {told}", o.account, o.region),
        message: format!("AWS Backup {kind} job {told}\n\n{}", lines(&rows)),
        account: o.account,
        region: o.region,
    })
}

/// One of our alarms changed state (the member stacks forward only theirs, and only into ALARM).
fn alarm(event: &Value) -> Result<Alert, AlertError> {
    let d = event.get("detail").ok_or_else(|| missing(event, "detail"))?;
    let name = text(d, &["alarmName"]).ok_or_else(|| missing(event, "detail.alarmName"))?;
    let state = text(d, &["state", "value"]).ok_or_else(|| missing(event, "detail.state.value"))?;
    let arn = event
        .get("resources")
        .and_then(Value::as_array)
        .and_then(|r| r.iter().filter_map(Value::as_str).find(|a| a.contains(":alarm:")));
    let o = origin(event, &[arn]);
    let mut rows = vec![
        ("Account", o.account.clone()),
        ("Region", o.region.clone()),
        ("Alarm", name.to_owned()),
        ("State", state.to_owned()),
        (
            "What it watches",
            text(d, &["configuration", "description"])
                .unwrap_or("(no description)")
                .to_owned(),
        ),
        (
            "Why",
            text(d, &["state", "reason"]).unwrap_or("(no reason given)").to_owned(),
        ),
        (
            "Since",
            text(d, &["state", "timestamp"])
                .or(text(event, &["time"]))
                .unwrap_or("(not given)")
                .to_owned(),
        ),
        (
            "Console",
            o.console("cloudwatch", &format!("alarmsV2:alarm/{}", url_escape(name)))
                .unwrap_or_else(|| "(no region to link to)".to_owned()),
        ),
    ];
    rows.extend(envelope_note(&o));
    Ok(Alert {
        subject: format!("superwerker-backup: {} {}: alarm {name} {state}", o.account, o.region),
        message: format!("CloudWatch alarm {name} is {state}\n\n{}", lines(&rows)),
        account: o.account,
        region: o.region,
    })
}

#[cfg(test)]
mod tests;
