//! The tagger: one EventBridge event in, one decision out.
//!
//! The handler is generic over [`TagStore`], so the same code runs in the Lambda binary, in the tests against the
//! emulator, and anywhere else an event must be handled.

use std::time::{Duration, Instant};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Serialize;
use serde_json::Value;
use superwerker_backup_aws::{value_set_meanwhile, AdapterError, InstanceVolumes, TagStore};
use superwerker_backup_domain::event::{Allow, EventInput};
use superwerker_backup_domain::{
    classify, decide, Classification, EventError, EventScope, InstanceRef, ResourceRef, SettingsError, TagDecision,
    TagSettings,
};
use thiserror::Error;

/// Environment variable: this function's account id. Normally read from the invoked function's ARN; set it where
/// that ARN is not the real one (local runs against an emulator).
pub const ENV_ACCOUNT_ID: &str = "SUPERWERKER_BACKUP_ACCOUNT_ID";
/// Environment variable: further accounts whose events are accepted (`*` or a comma-separated list).
pub const ENV_ALLOWED_ACCOUNTS: &str = "SUPERWERKER_BACKUP_ALLOWED_ACCOUNTS";
/// Environment variable: further regions whose events are accepted (`*` or a comma-separated list).
pub const ENV_ALLOWED_REGIONS: &str = "SUPERWERKER_BACKUP_ALLOWED_REGIONS";
/// Environment variable: attempts at a resource that is not visible yet (default 8).
pub const ENV_VISIBILITY_ATTEMPTS: &str = "SUPERWERKER_BACKUP_VISIBILITY_ATTEMPTS";
/// Environment variable: first delay between those attempts, in milliseconds (default 200, doubling to 5 s).
pub const ENV_VISIBILITY_DELAY_MS: &str = "SUPERWERKER_BACKUP_VISIBILITY_DELAY_MS";

/// What was done with one event; also the Lambda's JSON answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub action: Action,
    /// The resource ARN, where the event named one.
    pub resource: Option<String>,
    pub reason: String,
    #[serde(rename = "eventName", skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    /// The tag value now on the resource, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Time spent handling the event, AWS calls included.
    #[serde(rename = "elapsedMs")]
    pub elapsed_ms: u64,
    /// Launch events: the instances started.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    /// Launch events: each EBS volume of those instances and what was done with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<VolumeOutcome>,
}

/// One volume of a launched instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumeOutcome {
    pub instance: String,
    pub resource: String,
    pub action: Action,
    /// The tag value now on the volume.
    pub value: String,
}

impl Outcome {
    fn new(action: Action, resource: Option<String>, reason: String) -> Outcome {
        Outcome {
            action,
            resource,
            reason,
            event_name: None,
            value: None,
            elapsed_ms: 0,
            instances: Vec::new(),
            volumes: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Tagged,
    Skipped,
    Ignored,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Tagged => "tagged",
            Action::Skipped => "skipped",
            Action::Ignored => "ignored",
        }
    }
}

/// Why an invocation failed. The invocation fails loudly so EventBridge/Lambda retry and the DLQ keep the event.
#[derive(Debug, Error)]
pub enum TaggerError {
    #[error("bad event: {0}")]
    Event(#[from] EventError),
    #[error("configuration: {0}")]
    Settings(#[from] SettingsError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("{resource}: {source}")]
    Aws {
        resource: String,
        source: Box<AdapterError>,
    },
    #[error("{failed} of {total} volumes of the launched instances could not be tagged: {details}")]
    Volumes {
        failed: usize,
        total: usize,
        details: String,
    },
    #[error("{resource}: still not visible after {attempts} attempts over {waited_ms} ms: {source}")]
    NotVisible {
        resource: String,
        attempts: u32,
        waited_ms: u128,
        source: Box<AdapterError>,
    },
}

/// Bounded retries for a resource that is not visible yet. The SDK retries throttling and transient errors on its
/// own; this covers only "the resource does not exist yet / is still being created".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VisibilityRetry {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for VisibilityRetry {
    fn default() -> Self {
        VisibilityRetry {
            max_attempts: 8,
            first_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// Everything the handler needs besides the store.
#[derive(Clone, Debug)]
pub struct TaggerConfig {
    pub settings: TagSettings,
    /// Overrides the account read from the invoked function's ARN.
    pub account_override: Option<String>,
    pub region: String,
    pub extra_accounts: Allow,
    pub extra_regions: Allow,
    pub retry: VisibilityRetry,
}

impl TaggerConfig {
    /// Reads the configuration through `lookup` (in production `std::env::var`).
    pub fn from_lookup(region: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, TaggerError> {
        let settings = TagSettings::from_lookup(&lookup)?;
        let number = |name: &str, default: u64| -> Result<u64, TaggerError> {
            match lookup(name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| TaggerError::Config(format!("{name} must be a whole number, got {v:?}"))),
            }
        };
        let retry = VisibilityRetry {
            max_attempts: number(ENV_VISIBILITY_ATTEMPTS, 8)?.clamp(1, 100) as u32,
            first_delay: Duration::from_millis(number(ENV_VISIBILITY_DELAY_MS, 200)?),
            max_delay: Duration::from_secs(5),
        };
        Ok(TaggerConfig {
            settings,
            account_override: lookup(ENV_ACCOUNT_ID).filter(|v| !v.is_empty()),
            region: region.to_owned(),
            extra_accounts: Allow::parse(lookup(ENV_ALLOWED_ACCOUNTS).as_deref()),
            extra_regions: Allow::parse(lookup(ENV_ALLOWED_REGIONS).as_deref()),
            retry,
        })
    }

    /// The scope for one invocation: the account from the override or from the invoked function's ARN.
    pub fn scope(&self, invoked_function_arn: &str) -> Result<EventScope, TaggerError> {
        let account = match &self.account_override {
            Some(a) => a.clone(),
            None => invoked_function_arn
                .split(':')
                .nth(4)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    TaggerError::Config(format!(
                        "cannot tell this function's account from its ARN {invoked_function_arn:?}; set {ENV_ACCOUNT_ID}"
                    ))
                })?,
        };
        Ok(EventScope {
            own_account: account,
            own_region: self.region.clone(),
            extra_accounts: self.extra_accounts.clone(),
            extra_regions: self.extra_regions.clone(),
        })
    }
}

/// Handles one event against `store`.
pub async fn handle<S: TagStore + InstanceVolumes>(
    store: &S,
    config: &TaggerConfig,
    scope: &EventScope,
    event: &EventBridgeEvent<Value>,
    deadline: Option<Instant>,
) -> Result<Outcome, TaggerError> {
    let input = EventInput {
        detail_type: &event.detail_type,
        source: &event.source,
        account: event.account.as_deref(),
        region: event.region.as_deref(),
        detail: &event.detail,
    };
    let started = Instant::now();
    let event_id = event.id.as_deref().unwrap_or("");
    let classification = match classify(&input, scope, &config.settings.key) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(event_id, action = "failed", reason = %e, "event refused");
            return Err(e.into());
        }
    };
    let outcome = match classification {
        Classification::Ignored { reason } => Outcome::new(Action::Ignored, None, reason),
        Classification::Skip {
            event: handled,
            resource,
            reason,
        } => Outcome {
            value: match &reason {
                superwerker_backup_domain::SkipReason::TaggedAtCreation { value } => Some(value.clone()),
                _ => None,
            },
            event_name: Some(handled.event_name.to_owned()),
            ..Outcome::new(Action::Skipped, resource.map(|r| r.arn.to_string()), reason.to_string())
        },
        Classification::CheckInstanceVolumes {
            event: handled,
            instances,
        } => match tag_instance_volumes(store, config, event_id, handled.event_name, &instances, deadline).await {
            Ok(outcome) => Outcome {
                event_name: Some(handled.event_name.to_owned()),
                ..outcome
            },
            Err(e) => {
                let ids: Vec<&str> = instances.iter().map(|i| i.id.as_str()).collect();
                tracing::error!(
                    event_id,
                    event_name = handled.event_name,
                    instances = %ids.join(","),
                    action = "failed",
                    reason = %e,
                    "tagging failed"
                );
                return Err(e);
            }
        },
        Classification::Check {
            event: handled,
            resource,
        } => match check_and_tag(store, config, &resource, deadline).await {
            Ok(outcome) => Outcome {
                event_name: Some(handled.event_name.to_owned()),
                ..outcome
            },
            Err(e) => {
                tracing::error!(
                    event_id,
                    event_name = handled.event_name,
                    resource = %resource.arn,
                    action = "failed",
                    reason = %e,
                    "tagging failed"
                );
                return Err(e);
            }
        },
    };
    let outcome = Outcome {
        elapsed_ms: started.elapsed().as_millis() as u64,
        ..outcome
    };
    tracing::info!(
        event_id,
        event_name = outcome.event_name.as_deref().unwrap_or(""),
        resource = outcome.resource.as_deref().unwrap_or(""),
        action = outcome.action.as_str(),
        reason = %outcome.reason,
        value = outcome.value.as_deref().unwrap_or(""),
        elapsed_ms = outcome.elapsed_ms,
        "decision"
    );
    Ok(outcome)
}

/// Reads the tags (retrying while the resource is not visible), then adds ours only if the key is absent.
async fn check_and_tag<S: TagStore>(
    store: &S,
    config: &TaggerConfig,
    resource: &ResourceRef,
    deadline: Option<Instant>,
) -> Result<Outcome, TaggerError> {
    let arn = resource.arn.to_string();
    let current = with_visibility_retry(&config.retry, deadline, &arn, || store.read_tags(resource)).await?;
    match decide(&config.settings, &current) {
        TagDecision::Keep { existing } => Ok(Outcome {
            value: Some(existing.clone()),
            ..Outcome::new(
                Action::Skipped,
                Some(arn),
                format!(
                    "the resource already has {} (value {existing:?}); never overwritten",
                    config.settings.key
                ),
            )
        }),
        TagDecision::Add(tag) => {
            match with_visibility_retry(&config.retry, deadline, &arn, || store.add_tag(resource, &tag)).await {
                Ok(()) => Ok(Outcome {
                    value: Some(tag.value),
                    ..Outcome::new(Action::Tagged, Some(arn), format!("{} was absent", tag.key))
                }),
                Err(TaggerError::Aws { source, .. }) if source.is_refused() => {
                    refused_write(store, config, resource, *source).await
                }
                Err(e) => Err(e),
            }
        }
    }
}

/// IAM refused our write. The deployed role may tag only a resource without the key, so this is expected when
/// someone set it between our read and our write: read again — a value found now is kept (reported, not an error);
/// still no key means a real permission problem, and the invocation fails with the refusal.
async fn refused_write<S: TagStore>(
    store: &S,
    config: &TaggerConfig,
    resource: &ResourceRef,
    refusal: AdapterError,
) -> Result<Outcome, TaggerError> {
    let arn = resource.arn.to_string();
    match value_set_meanwhile(store, resource, &config.settings).await {
        Ok(Some(existing)) => Ok(Outcome {
            reason: set_meanwhile(&config.settings.key, &existing),
            value: Some(existing),
            ..Outcome::new(Action::Skipped, Some(arn), String::new())
        }),
        Ok(None) | Err(_) => Err(TaggerError::Aws {
            resource: arn,
            source: Box::new(refusal),
        }),
    }
}

/// Why a resource is skipped after the guard refused our write.
fn set_meanwhile(key: &str, value: &str) -> String {
    format!("{key} (value {value:?}) was set between our read and our write; the role's guard refused the overwrite")
}

/// Launch events: finds the volumes of the new instances (retrying while they are not visible), decides per volume,
/// and tags every volume without the key in one batched `CreateTags`. One log line per volume decision. A volume the
/// role's guard refused (someone set the key after our read) is read again and its value kept; any other volume that
/// could not be tagged fails the invocation (naming it), after the others were tagged.
async fn tag_instance_volumes<S: InstanceVolumes + TagStore>(
    store: &S,
    config: &TaggerConfig,
    event_id: &str,
    event_name: &str,
    instances: &[InstanceRef],
    deadline: Option<Instant>,
) -> Result<Outcome, TaggerError> {
    let Some(first) = instances.first().map(|i| &i.arn) else {
        return Ok(Outcome::new(Action::Skipped, None, "no instances".into()));
    };
    let (region, account) = (first.region.as_str(), first.account.as_str());
    let ids: Vec<String> = instances.iter().map(|i| i.id.clone()).collect();
    let what = if ids.len() == 1 {
        first.to_string()
    } else {
        format!("{} instances ({})", ids.len(), ids.join(","))
    };
    let found = with_visibility_retry(&config.retry, deadline, &what, || {
        store.instance_volumes(region, account, &ids)
    })
    .await?;

    let mut volumes = Vec::with_capacity(found.volumes.len());
    let mut to_tag: Vec<String> = Vec::new();
    for v in &found.volumes {
        let (action, value) = match decide(&config.settings, &v.tags) {
            TagDecision::Keep { existing } => (Action::Skipped, existing),
            TagDecision::Add(tag) => {
                to_tag.push(v.volume.id.clone());
                (Action::Tagged, tag.value)
            }
        };
        volumes.push(VolumeOutcome {
            instance: v.instance_id.clone(),
            resource: v.volume.arn.to_string(),
            action,
            value,
        });
    }
    let mut failed: std::collections::BTreeMap<String, AdapterError> = std::collections::BTreeMap::new();
    if !to_tag.is_empty() {
        let tag = superwerker_backup_domain::Tag::new(config.settings.key.clone(), config.settings.value.clone());
        for (id, result) in store.tag_volumes(region, &to_tag, &tag).await {
            if let Err(e) = result {
                failed.insert(id, e);
            }
        }
    }
    // Refused by the guard: read again; a value found now was set after our read and is kept.
    let mut kept_after_refusal = std::collections::BTreeSet::new();
    for (v, found) in volumes.iter_mut().zip(&found.volumes) {
        if !failed.get(&found.volume.id).is_some_and(|e| e.is_refused()) {
            continue;
        }
        if let Ok(Some(existing)) = value_set_meanwhile(store, &found.volume, &config.settings).await {
            failed.remove(&found.volume.id);
            kept_after_refusal.insert(found.volume.id.clone());
            (v.action, v.value) = (Action::Skipped, existing);
        }
    }
    for (v, found) in volumes.iter_mut().zip(&found.volumes) {
        let error = failed.get(&found.volume.id);
        let (action, reason) = match (error, v.action) {
            (Some(e), _) => {
                v.value = String::new();
                ("failed", e.to_string())
            }
            (None, _) if kept_after_refusal.contains(&found.volume.id) => {
                ("skipped", set_meanwhile(&config.settings.key, &v.value))
            }
            (None, Action::Tagged) => ("tagged", format!("{} was absent", config.settings.key)),
            (None, _) => (
                "skipped",
                format!(
                    "the volume already has {} (value {:?}); never overwritten",
                    config.settings.key, v.value
                ),
            ),
        };
        tracing::info!(
            event_id,
            event_name,
            instance = %v.instance,
            resource = %v.resource,
            action,
            reason = %reason,
            value = %v.value,
            "decision"
        );
    }
    for (instance, reason) in &found.without_volumes {
        tracing::info!(event_id, event_name, instance = %instance, action = "skipped", reason = %reason, "decision");
    }
    if !failed.is_empty() {
        return Err(TaggerError::Volumes {
            failed: failed.len(),
            total: volumes.len(),
            details: failed
                .iter()
                .map(|(id, e)| format!("{id}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    let tagged = volumes.iter().filter(|v| v.action == Action::Tagged).count();
    let reason = format!(
        "{} volumes of {} instances: {tagged} tagged, {} already had {}{}",
        volumes.len(),
        instances.len(),
        volumes.len() - tagged,
        config.settings.key,
        if found.without_volumes.is_empty() {
            String::new()
        } else {
            format!("; {} instances without EBS volumes", found.without_volumes.len())
        }
    );
    Ok(Outcome {
        instances: instances.iter().map(|i| i.arn.to_string()).collect(),
        volumes,
        ..Outcome::new(if tagged > 0 { Action::Tagged } else { Action::Skipped }, None, reason)
    })
}

/// Retries `op` while it answers "not visible yet", doubling the delay, within `max_attempts` and before the
/// deadline (keeping a margin to report the failure). Any other error ends at once.
async fn with_visibility_retry<T, F, Fut>(
    retry: &VisibilityRetry,
    deadline: Option<Instant>,
    resource: &str,
    mut op: F,
) -> Result<T, TaggerError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AdapterError>>,
{
    const MARGIN: Duration = Duration::from_millis(500);
    let started = Instant::now();
    let mut delay = retry.first_delay;
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if !e.is_not_ready() => {
                return Err(TaggerError::Aws {
                    resource: resource.to_owned(),
                    source: Box::new(e),
                })
            }
            Err(e) => {
                let out_of_time = deadline.is_some_and(|d| Instant::now() + delay + MARGIN >= d);
                if attempt >= retry.max_attempts || out_of_time {
                    return Err(TaggerError::NotVisible {
                        resource: resource.to_owned(),
                        attempts: attempt,
                        waited_ms: started.elapsed().as_millis(),
                        source: Box::new(e),
                    });
                }
                tracing::warn!(resource, attempt, delay_ms = delay.as_millis() as u64, reason = %e, "not visible yet, retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(retry.max_delay);
                attempt += 1;
            }
        }
    }
}

impl TaggerError {
    /// A short type name for the Lambda error report.
    pub fn kind(&self) -> &'static str {
        match self {
            TaggerError::Event(_) => "BadEvent",
            TaggerError::Settings(_) | TaggerError::Config(_) => "Configuration",
            TaggerError::Aws { .. } | TaggerError::Volumes { .. } => "AwsError",
            TaggerError::NotVisible { .. } => "ResourceNotVisible",
        }
    }
}

impl From<TaggerError> for lambda_runtime::Diagnostic {
    fn from(e: TaggerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.kind().to_owned(),
            error_message: e.to_string(),
        }
    }
}
