//! The tagger: one EventBridge event in, one decision out.
//!
//! The handler is generic over [`TagStore`] and [`InstanceVolumes`], so the same code runs in the Lambda binary
//! (against AWS), in the emulator tests, and in unit tests against the in-memory store.

mod config;
mod error;
mod outcome;
mod retry;
mod volumes;

use std::time::Instant;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;
use superwerker_backup_aws::{value_set_meanwhile, AdapterError, InstanceVolumes, TagStore};
use superwerker_backup_domain::event::EventInput;
use superwerker_backup_domain::{classify, decide, Classification, EventScope, ResourceRef, SkipReason, TagDecision};

pub use config::{
    TaggerConfig, VisibilityRetry, ENV_ACCOUNT_ID, ENV_ALLOWED_ACCOUNTS, ENV_ALLOWED_REGIONS, ENV_VISIBILITY_ATTEMPTS,
    ENV_VISIBILITY_DELAY_MS,
};
pub use error::TaggerError;
pub use outcome::{Action, Outcome, ResourceOutcome, VolumeOutcome};

use outcome::{already_has, set_meanwhile};
use retry::Budget;

/// Handles one event against `store`, in a span naming the event (its id and name are in every log line of it).
#[tracing::instrument(name = "event", skip_all, fields(event_id, event_name))]
pub async fn handle<S: TagStore + InstanceVolumes>(
    store: &S,
    config: &TaggerConfig,
    scope: &EventScope,
    event: &EventBridgeEvent<Value>,
    deadline: Option<Instant>,
) -> Result<Outcome, TaggerError> {
    let span = tracing::Span::current();
    span.record("event_id", event.id.as_deref().unwrap_or(""));
    span.record(
        "event_name",
        event.detail.get("eventName").and_then(Value::as_str).unwrap_or(""),
    );
    let input = EventInput {
        detail_type: &event.detail_type,
        source: &event.source,
        account: event.account.as_deref(),
        region: event.region.as_deref(),
        detail: &event.detail,
    };
    let started = Instant::now();
    let classification = classify(&input, scope, &config.settings.key).inspect_err(|e| {
        tracing::error!(action = "failed", reason = %e, "event refused");
    })?;
    let (event_name, result) = match classification {
        Classification::Ignored { reason } => (None, Ok(Outcome::new(Action::Ignored, None, reason))),
        Classification::Skip {
            event,
            resource,
            reason,
        } => {
            let value = match &reason {
                SkipReason::TaggedAtCreation { value } => Some(value.clone()),
                _ => None,
            };
            let outcome = Outcome {
                value,
                ..Outcome::new(Action::Skipped, resource.map(|r| r.arn.to_string()), reason.to_string())
            };
            (Some(event.event_name), Ok(outcome))
        }
        Classification::CheckInstanceVolumes { event, instances } => (
            Some(event.event_name),
            volumes::tag_instance_volumes(store, config, &instances, deadline).await,
        ),
        Classification::Check { event, resource } => (
            Some(event.event_name),
            check_and_tag(store, config, &resource, deadline).await,
        ),
        Classification::Recheck { event, resources } => (
            Some(event.event_name),
            recheck(store, config, &resources, deadline).await,
        ),
    };
    let outcome = result.inspect_err(|e| tracing::error!(action = "failed", reason = %e, "tagging failed"))?;
    let outcome = Outcome {
        event_name: event_name.map(str::to_owned),
        elapsed_ms: started.elapsed().as_millis() as u64,
        ..outcome
    };
    tracing::info!(
        resource = outcome.resource.as_deref().unwrap_or(""),
        action = outcome.action.as_str(),
        reason = %outcome.reason,
        value = outcome.value.as_deref().unwrap_or(""),
        elapsed_ms = outcome.elapsed_ms,
        "decision"
    );
    Ok(outcome)
}

/// Reads the tags (retrying while the resource is not visible), then adds ours only if the key is absent. A write
/// that finds the resource not visible after all starts again from a fresh read: a value set meanwhile is never
/// overwritten by a retried write.
async fn check_and_tag<S: TagStore>(
    store: &S,
    config: &TaggerConfig,
    resource: &ResourceRef,
    deadline: Option<Instant>,
) -> Result<Outcome, TaggerError> {
    let arn = resource.arn.to_string();
    let mut budget = Budget::new(config.retry, deadline);
    loop {
        let current = budget.run(&arn, || store.read_tags(resource)).await?;
        let tag = match decide(&config.settings, &current) {
            TagDecision::Keep { existing } => {
                return Ok(Outcome {
                    reason: already_has(&config.settings.key, &existing),
                    value: Some(existing),
                    ..Outcome::new(Action::Skipped, Some(arn), String::new())
                })
            }
            TagDecision::CaseConflict { found, value } => {
                return Ok(Outcome {
                    reason: TagDecision::case_conflict_reason(&config.settings.key, &found, &value),
                    value: Some(value),
                    ..Outcome::new(Action::Skipped, Some(arn), String::new())
                })
            }
            TagDecision::Add(tag) => tag,
        };
        match store.add_tag(resource, &tag).await {
            Ok(()) => {
                return Ok(Outcome {
                    value: Some(tag.value),
                    ..Outcome::new(Action::Tagged, Some(arn), format!("{} was absent", tag.key))
                })
            }
            Err(e) if e.is_refused() => return refused_write(store, config, resource, e).await,
            Err(e) if e.is_not_visible_yet() => budget.wait(&arn, e).await?,
            Err(e) => return Err(TaggerError::aws(&arn, e)),
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
        Ok(None) | Err(_) => Err(TaggerError::aws(&arn, refusal)),
    }
}

/// Tags were removed from these resources: each is checked as a new resource is. One resource answers as a creation
/// does; several answer each under `resources`, and any that failed fails the invocation after the others were done.
async fn recheck<S: TagStore>(
    store: &S,
    config: &TaggerConfig,
    resources: &[ResourceRef],
    deadline: Option<Instant>,
) -> Result<Outcome, TaggerError> {
    if let [one] = resources {
        return check_and_tag(store, config, one, deadline).await;
    }
    let mut done = Vec::with_capacity(resources.len());
    let mut failed = Vec::new();
    for resource in resources {
        match check_and_tag(store, config, resource, deadline).await {
            Ok(outcome) => {
                tracing::info!(resource = %resource.arn, action = outcome.action.as_str(), reason = %outcome.reason,
                    "decision");
                done.push(outcome::ResourceOutcome {
                    resource: resource.arn.to_string(),
                    action: outcome.action,
                    value: outcome.value,
                });
            }
            Err(e) => failed.push(format!("{}: {e}", resource.arn)),
        }
    }
    if !failed.is_empty() {
        return Err(TaggerError::Partial {
            what: "resources whose tags were removed",
            failed: failed.len(),
            total: resources.len(),
            details: failed.join("; "),
        });
    }
    let tagged = done.iter().filter(|r| r.action == Action::Tagged).count();
    let reason = format!(
        "{} resources whose tags were removed: {tagged} tagged again, {} have {}",
        done.len(),
        done.len() - tagged,
        config.settings.key
    );
    Ok(Outcome {
        resources: done,
        ..Outcome::new(if tagged > 0 { Action::Tagged } else { Action::Skipped }, None, reason)
    })
}

#[cfg(test)]
mod tests;
