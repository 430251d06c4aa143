//! Audit: for every DynamoDB table, EBS volume and RDS DB instance — its tag value, which backup selection covers
//! it (the account's AWS Backup plans, and the organization's effective backup policy), and the age of its newest
//! recovery point. A resource is unprotected when it is not covered (and not opted out), when it is covered without a
//! recovery point in the last 26 h, or when a coverage source cannot be read.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_backup::types::{BackupSelection, ConditionParameter};
use serde::Serialize;
use serde_json::Value;
use superwerker_backup_aws::{AdapterError, Aws};
use superwerker_backup_domain::coverage::{verdict, Selection, Test, Verdict};
use superwerker_backup_domain::tags::value_of;

use crate::{scan, BackfillError, BackfillOptions, NoProgress};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub resource: String,
    pub kind: String,
    pub region: String,
    pub tag_value: Option<String>,
    pub covered_by: Vec<String>,
    pub newest_recovery_point_age_hours: Option<u64>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub entries: Vec<AuditEntry>,
    pub counts: BTreeMap<String, u64>,
    pub unprotected: u64,
    /// Coverage sources read, and those that could not be read (with the error).
    pub sources: Vec<String>,
    pub problems: Vec<String>,
}

impl AuditReport {
    pub fn to_table(&self) -> String {
        let width = self.entries.iter().map(|e| e.resource.len()).max().unwrap_or(8).max(8);
        let mut out = format!(
            "{:<width$}  {:<8}  {:<28}  {:>9}  VERDICT\n",
            "RESOURCE", "TAG", "COVERED BY", "NEWEST RP"
        );
        for e in &self.entries {
            out.push_str(&format!(
                "{:<width$}  {:<8}  {:<28}  {:>9}  {}\n",
                e.resource,
                e.tag_value.as_deref().unwrap_or("-"),
                if e.covered_by.is_empty() {
                    "-".to_owned()
                } else {
                    e.covered_by.join(", ")
                },
                e.newest_recovery_point_age_hours
                    .map(|h| format!("{h} h"))
                    .unwrap_or_else(|| "-".into()),
                serde_json::to_value(e.verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ));
        }
        for s in &self.sources {
            out.push_str(&format!("source: {s}\n"));
        }
        for p in &self.problems {
            out.push_str(&format!("problem: {p}\n"));
        }
        let counts: Vec<String> = self.counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
        out.push_str(&format!(
            "audit: {} resources, {} unprotected ({})\n",
            self.entries.len(),
            self.unprotected,
            counts.join(", ")
        ));
        out
    }
}

fn strip_tag_prefix(key: &str) -> String {
    key.strip_prefix("aws:ResourceTag/").unwrap_or(key).to_owned()
}

fn params(list: &[ConditionParameter], make: impl Fn(String, String) -> Test) -> Vec<Test> {
    list.iter()
        .filter_map(|c| {
            Some(make(
                strip_tag_prefix(c.condition_key()?),
                c.condition_value()?.to_owned(),
            ))
        })
        .collect()
}

/// An AWS Backup selection as the domain's [`Selection`].
pub fn selection_from_backup(name: String, region: &str, s: &BackupSelection) -> Selection {
    let mut all_of = Vec::new();
    if let Some(c) = s.conditions() {
        all_of.extend(params(c.string_equals(), |key, value| Test::Equals { key, value }));
        all_of.extend(params(c.string_not_equals(), |key, value| Test::NotEquals {
            key,
            value,
        }));
        all_of.extend(params(c.string_like(), |key, pattern| Test::Like { key, pattern }));
        all_of.extend(params(c.string_not_like(), |key, pattern| Test::NotLike {
            key,
            pattern,
        }));
    }
    Selection {
        name,
        regions: vec![region.to_owned()],
        resources: s.resources().to_vec(),
        not_resources: s.not_resources().to_vec(),
        any_of: s
            .list_of_tags()
            .iter()
            .map(|c| Test::Equals {
                key: strip_tag_prefix(c.condition_key()),
                value: c.condition_value().to_owned(),
            })
            .collect(),
        all_of,
    }
}

/// The tag selections of an Organizations (effective) backup policy document.
pub fn selections_from_policy(content: &Value) -> Vec<Selection> {
    // Effective policies carry plain values; policy documents carry `{"@@assign": ...}`: accept both.
    fn plain(v: &Value) -> &Value {
        v.get("@@assign").unwrap_or(v)
    }
    fn strings(v: &Value) -> Vec<String> {
        match plain(v) {
            Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
    let mut out = Vec::new();
    let Some(plans) = content.get("plans").and_then(Value::as_object) else {
        return out;
    };
    for (plan_name, plan) in plans {
        let regions = plan.get("regions").map(strings).unwrap_or_default();
        let Some(tag_selections) = plan.pointer("/selections/tags").and_then(Value::as_object) else {
            continue;
        };
        for (sel_name, sel) in tag_selections {
            let Some(key) = sel.get("tag_key").map(strings).and_then(|k| k.into_iter().next()) else {
                continue;
            };
            let values = sel.get("tag_value").map(strings).unwrap_or_default();
            out.push(Selection {
                name: format!("org:{plan_name}/{sel_name}"),
                regions: regions.clone(),
                any_of: values
                    .into_iter()
                    .map(|value| Test::Equals {
                        key: key.clone(),
                        value,
                    })
                    .collect(),
                ..Selection::default()
            });
        }
    }
    out
}

/// Where coverage is read: the Organizations client (effective backup policy) and an AWS Backup client per region.
pub struct Coverage {
    pub organizations: aws_sdk_organizations::Client,
    pub backup: BTreeMap<String, aws_sdk_backup::Client>,
}

impl Coverage {
    pub fn from_aws(aws: &Aws, regions: &[String]) -> Coverage {
        Coverage {
            organizations: aws.organizations(),
            backup: regions.iter().map(|r| (r.clone(), aws.backup(r))).collect(),
        }
    }

    fn backup(&self, region: &str) -> Result<&aws_sdk_backup::Client, AdapterError> {
        self.backup.get(region).ok_or_else(|| AdapterError::Failed {
            operation: "audit",
            resource: region.to_owned(),
            code: "NoClient".into(),
            message: "no AWS Backup client for this region".into(),
        })
    }
}

/// The account's plans' selections in one region.
async fn account_selections(coverage: &Coverage, region: &str) -> Result<Vec<Selection>, AdapterError> {
    let client = coverage.backup(region)?;
    let mut out = Vec::new();
    let mut plans = client.list_backup_plans().into_paginator().send();
    while let Some(page) = plans.next().await {
        let page = page.map_err(|e| AdapterError::from_sdk("Backup.ListBackupPlans", region, e, &[]))?;
        for plan in page.backup_plans_list() {
            let (Some(plan_id), plan_name) = (plan.backup_plan_id(), plan.backup_plan_name().unwrap_or("?")) else {
                continue;
            };
            let mut selections = client
                .list_backup_selections()
                .backup_plan_id(plan_id)
                .into_paginator()
                .send();
            while let Some(sel_page) = selections.next().await {
                let sel_page =
                    sel_page.map_err(|e| AdapterError::from_sdk("Backup.ListBackupSelections", plan_id, e, &[]))?;
                for member in sel_page.backup_selections_list() {
                    let Some(selection_id) = member.selection_id() else {
                        continue;
                    };
                    let got = client
                        .get_backup_selection()
                        .backup_plan_id(plan_id)
                        .selection_id(selection_id)
                        .send()
                        .await
                        .map_err(|e| AdapterError::from_sdk("Backup.GetBackupSelection", selection_id, e, &[]))?;
                    if let Some(sel) = got.backup_selection() {
                        let name = format!("{plan_name}/{}", sel.selection_name());
                        out.push(selection_from_backup(name, region, sel));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The organization's effective backup policy for this account; `Ok(None)` when there is none.
async fn organization_selections(coverage: &Coverage) -> Result<Option<Vec<Selection>>, AdapterError> {
    let sent = coverage
        .organizations
        .describe_effective_policy()
        .policy_type(aws_sdk_organizations::types::EffectivePolicyType::BackupPolicy)
        .send()
        .await;
    match sent {
        Ok(out) => {
            let content = out.effective_policy().and_then(|p| p.policy_content()).unwrap_or("{}");
            let doc: Value = serde_json::from_str(content).map_err(|e| AdapterError::Failed {
                operation: "Organizations.DescribeEffectivePolicy",
                resource: "BACKUP_POLICY".into(),
                code: "InvalidPolicyContent".into(),
                message: e.to_string(),
            })?;
            Ok(Some(selections_from_policy(&doc)))
        }
        Err(e) => {
            let error = AdapterError::from_sdk("Organizations.DescribeEffectivePolicy", "BACKUP_POLICY", e, &[]);
            match error.code() {
                "EffectivePolicyNotFoundException" | "AWSOrganizationsNotInUseException" => Ok(None),
                _ => Err(error),
            }
        }
    }
}

/// Age in whole hours of the resource's newest recovery point.
async fn newest_recovery_point_hours(
    coverage: &Coverage,
    region: &str,
    arn: &str,
    now: SystemTime,
) -> Result<Option<u64>, AdapterError> {
    let client = coverage.backup(region)?;
    let mut newest: Option<i64> = None;
    let mut pages = client
        .list_recovery_points_by_resource()
        .resource_arn(arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AdapterError::from_sdk("Backup.ListRecoveryPointsByResource", arn, e, &[]))?;
        for rp in page.recovery_points() {
            if let Some(created) = rp.creation_date() {
                newest = Some(newest.map_or(created.secs(), |n| n.max(created.secs())));
            }
        }
    }
    let now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(newest.map(|t| ((now - t).max(0) / 3600) as u64))
}

/// Audits every resource in the regions of `opts`: inventory and tags through `aws`, coverage through `coverage`.
pub async fn audit(
    aws: &Aws,
    coverage: &Coverage,
    opts: &BackfillOptions,
    now: SystemTime,
) -> Result<AuditReport, BackfillError> {
    let account = aws.caller_account().await?;
    let plan = scan(aws, opts, &account, Arc::new(NoProgress)).await?;
    if let Some((_, failure)) = plan.listing_failures.first() {
        return Err(BackfillError::Config(format!(
            "cannot audit: {}: {}",
            failure.resource, failure.error
        )));
    }
    let mut report = AuditReport::default();
    let mut selections: Vec<Selection> = Vec::new();
    // Regions whose coverage could not be read: their resources get `Unknown` unless otherwise covered.
    let mut unknown_regions: Vec<String> = Vec::new();
    match organization_selections(coverage).await {
        Ok(Some(found)) => {
            report.sources.push(format!(
                "organization effective backup policy: {} tag selections",
                found.len()
            ));
            selections.extend(found);
        }
        Ok(None) => report.sources.push("organization effective backup policy: none".into()),
        Err(e) => {
            report
                .problems
                .push(format!("organization effective backup policy unreadable: {e}"));
            unknown_regions.extend(plan.regions.iter().cloned());
        }
    }
    for region in &plan.regions {
        match account_selections(coverage, region).await {
            Ok(found) => {
                report
                    .sources
                    .push(format!("account backup plans in {region}: {} selections", found.len()));
                selections.extend(found);
            }
            Err(e) => {
                report
                    .problems
                    .push(format!("account backup plans in {region} unreadable: {e}"));
                unknown_regions.push(region.clone());
            }
        }
    }
    for p in &plan.entries {
        let arn = p.resource.arn.to_string();
        let region = p.resource.region().to_owned();
        let covered_by: Vec<String> = selections
            .iter()
            .filter(|s| s.covers(&arn, &region, &p.tags))
            .map(|s| s.name.clone())
            .collect();
        let tag_value = value_of(&p.tags, &opts.settings.key).map(str::to_owned);
        let mut age = None;
        let mut v = if covered_by.is_empty() && unknown_regions.contains(&region) {
            Verdict::Unknown
        } else {
            verdict(tag_value.as_deref(), !covered_by.is_empty(), None)
        };
        if !covered_by.is_empty() {
            match newest_recovery_point_hours(coverage, &region, &arn, now).await {
                Ok(hours) => {
                    age = hours;
                    v = verdict(tag_value.as_deref(), true, hours);
                }
                Err(e) => {
                    report
                        .problems
                        .push(format!("recovery points of {arn} unreadable: {e}"));
                    v = Verdict::Unknown;
                }
            }
        }
        if let crate::State::Failed(e) = &p.state {
            report.problems.push(format!("tags of {arn} unreadable: {e}"));
            v = Verdict::Unknown;
        }
        tracing::info!(resource = %arn, verdict = ?v, covered_by = %covered_by.join(","), "audit");
        report.entries.push(AuditEntry {
            resource: arn,
            kind: p.resource.kind.label().to_owned(),
            region,
            tag_value,
            covered_by,
            newest_recovery_point_age_hours: age,
            verdict: v,
        });
    }
    for e in &report.entries {
        let key = serde_json::to_value(e.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        *report.counts.entry(key).or_default() += 1;
    }
    report.unprotected = report.entries.iter().filter(|e| e.verdict.is_unprotected()).count() as u64;
    Ok(report)
}
