//! The CloudFormation custom resource: Create/Update run bootstrap, Delete removes what it created. Every request is
//! answered on its pre-signed ResponseURL — SUCCESS or FAILED with a reason — before the Lambda's deadline, because
//! CloudFormation waits an hour for a custom resource that never answers.

use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};
use superwerker_backup_aws::Aws;
use superwerker_backup_domain::TagSettings;

use crate::{remove, run, BackupScope, BootstrapOptions, Report};

/// The physical id of the one resource this custom resource manages.
pub const PHYSICAL_ID: &str = "superwerker-backup-bootstrap";
/// The physical id reported when Create failed: deleting it removes nothing.
pub const FAILED_CREATE_ID: &str = "superwerker-backup-bootstrap-create-failed";

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    pub request_type: RequestType,
    #[serde(rename = "ResponseURL")]
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    #[serde(default)]
    pub physical_resource_id: Option<String>,
    #[serde(default)]
    pub resource_properties: Properties,
    #[serde(default)]
    pub old_resource_properties: Option<Properties>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum RequestType {
    Create,
    Update,
    Delete,
}

/// The custom resource's properties (CloudFormation sends every scalar as a string).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Properties {
    #[serde(default)]
    pub backup_scope: Option<String>,
    #[serde(default, deserialize_with = "list_or_csv")]
    pub regions: Vec<String>,
    #[serde(default, deserialize_with = "list_or_csv")]
    pub enforced_for: Vec<String>,
    #[serde(default, rename = "BackupRoleArn")]
    pub role_arn: Option<String>,
    #[serde(default)]
    pub vault_name: Option<String>,
}

fn list_or_csv<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCsv {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match Option::<ListOrCsv>::deserialize(d)? {
        None => Vec::new(),
        Some(ListOrCsv::List(v)) => v.into_iter().filter(|s| !s.trim().is_empty()).collect(),
        Some(ListOrCsv::Csv(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

impl Properties {
    pub fn options(&self, settings: &TagSettings) -> Result<BootstrapOptions, String> {
        let mut opts = BootstrapOptions {
            settings: settings.clone(),
            ..BootstrapOptions::default()
        };
        opts.scope = match self.backup_scope.as_deref().map(str::trim) {
            None | Some("") | Some("auto") => None,
            Some(s) => Some(s.parse::<BackupScope>()?),
        };
        opts.regions = self.regions.clone();
        if !self.enforced_for.is_empty() {
            opts.enforced_for = self.enforced_for.clone();
        }
        opts.role_arn = self.role_arn.clone().filter(|r| !r.is_empty());
        if let Some(vault) = self.vault_name.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            opts.vault = vault.to_owned();
        }
        Ok(opts)
    }
}

/// The body PUT to the ResponseURL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub status: String,
    pub reason: String,
    pub physical_resource_id: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub data: Value,
}

impl Response {
    fn new(request: &Request, ok: bool, reason: String, physical_resource_id: String, data: Value) -> Self {
        Response {
            status: if ok { "SUCCESS" } else { "FAILED" }.into(),
            // CloudFormation shows the reason to people and limits the whole body to 4 KiB.
            reason: reason.chars().take(1500).collect(),
            physical_resource_id,
            stack_id: request.stack_id.clone(),
            request_id: request.request_id.clone(),
            logical_resource_id: request.logical_resource_id.clone(),
            data,
        }
    }
}

fn summary(report: &Report) -> Value {
    let count = |kind: crate::ChangeKind| report.changes.iter().filter(|c| c.kind == kind).count();
    json!({
        "Scope": report.scope,
        "Created": count(crate::ChangeKind::Created),
        "Updated": count(crate::ChangeKind::Updated),
        "UpToDate": report.is_up_to_date().to_string(),
    })
}

async fn work(aws: &Aws, settings: &TagSettings, request: &Request) -> Result<(String, Report), String> {
    let opts = request.resource_properties.options(settings)?;
    match request.request_type {
        RequestType::Create => Ok((PHYSICAL_ID.into(), run(aws, &opts).await.map_err(|e| e.to_string())?)),
        RequestType::Update => {
            if let Some(old) = &request.old_resource_properties {
                let old_opts = old.options(settings)?;
                if old_opts.scope.is_some() && old_opts.scope != opts.scope {
                    remove(aws, &old_opts)
                        .await
                        .map_err(|e| format!("removing the old scope's plan: {e}"))?;
                }
            }
            let id = request
                .physical_resource_id
                .clone()
                .unwrap_or_else(|| PHYSICAL_ID.into());
            Ok((id, run(aws, &opts).await.map_err(|e| e.to_string())?))
        }
        RequestType::Delete => {
            let id = request
                .physical_resource_id
                .clone()
                .unwrap_or_else(|| PHYSICAL_ID.into());
            if id == FAILED_CREATE_ID {
                return Ok((id, Report::default()));
            }
            Ok((id, remove(aws, &opts).await.map_err(|e| e.to_string())?))
        }
    }
}

/// Handles one request within `budget`; never fails, never waits past the budget.
pub async fn respond(aws: &Aws, settings: &TagSettings, request: &Request, budget: Duration) -> Response {
    let failed_id = || {
        request
            .physical_resource_id
            .clone()
            .unwrap_or_else(|| match request.request_type {
                RequestType::Create => FAILED_CREATE_ID.into(),
                _ => PHYSICAL_ID.into(),
            })
    };
    match tokio::time::timeout(budget, work(aws, settings, request)).await {
        Ok(Ok((id, report))) => Response::new(
            request,
            true,
            format!("{:?} done", request.request_type),
            id,
            summary(&report),
        ),
        Ok(Err(reason)) => {
            tracing::error!(request_type = ?request.request_type, reason = %reason, "custom resource failed");
            Response::new(request, false, reason, failed_id(), json!({}))
        }
        Err(_) => {
            let reason = format!("timed out after {} s before the Lambda deadline", budget.as_secs());
            tracing::error!(request_type = ?request.request_type, reason = %reason, "custom resource timed out");
            Response::new(request, false, reason, failed_id(), json!({}))
        }
    }
}

/// PUTs the response to the pre-signed URL (no content type: the URL's signature does not include one).
///
/// Through hyper and rustls with the crate features the AWS SDK's own HTTP client already compiles in (aws-lc-rs,
/// the system's roots), so the four Lambda binaries resolve one feature set and share one build of the SDK.
pub async fn send(response_url: &str, response: &Response, timeout: Duration) -> Result<(), String> {
    let body = serde_json::to_vec(response).map_err(|e| e.to_string())?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| format!("no TLS roots for the ResponseURL: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client = Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(https);
    let request = hyper::Request::put(response_url)
        .header(hyper::header::CONTENT_TYPE, "")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("the ResponseURL is not a URL: {e}"))?;
    let status = tokio::time::timeout(timeout, client.request(request))
        .await
        .map_err(|_| format!("PUT to the ResponseURL timed out after {} ms", timeout.as_millis()))?
        .map_err(|e| format!("PUT to the ResponseURL failed: {e}"))?
        .status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("PUT to the ResponseURL answered {status}"))
    }
}
