//! Launch events: the EBS volumes of the new instances, tagged in one batched `CreateTags`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use superwerker_backup_aws::{value_set_meanwhile, AdapterError, InstanceVolumes, TagStore};
use superwerker_backup_domain::{decide, InstanceRef, Tag, TagDecision};

use crate::config::TaggerConfig;
use crate::error::TaggerError;
use crate::outcome::{already_has, set_meanwhile, Action, Outcome, VolumeOutcome};
use crate::retry::Budget;

/// Finds the volumes of the new instances (retrying while they are not visible), decides per volume, and tags every
/// volume without the key in one batched `CreateTags`. One log line per volume decision. A volume the role's guard
/// refused (someone set the key after our read) is read again and its value kept; any other volume that could not be
/// tagged fails the invocation (naming it), after the others were tagged.
pub(crate) async fn tag_instance_volumes<S: InstanceVolumes + TagStore>(
    store: &S,
    config: &TaggerConfig,
    instances: &[InstanceRef],
    deadline: Option<Instant>,
) -> Result<Outcome, TaggerError> {
    let Some(first) = instances.first().map(|i| &i.arn) else {
        return Ok(Outcome::new(Action::Skipped, None, "no instances".into()));
    };
    let (region, account) = (first.region.as_str(), first.account.as_str());
    let ids: Vec<String> = instances.iter().map(|i| i.id.clone()).collect();
    let what = match ids.as_slice() {
        [_] => first.to_string(),
        _ => format!("{} instances ({})", ids.len(), ids.join(",")),
    };
    let found = Budget::new(config.retry, deadline)
        .run(&what, || store.instance_volumes(region, account, &ids))
        .await?;

    let key = &config.settings.key;
    let mut volumes = Vec::with_capacity(found.volumes.len());
    let mut to_tag: Vec<String> = Vec::new();
    for v in &found.volumes {
        let (action, value) = match decide(&config.settings, &v.tags) {
            TagDecision::Keep { existing } => (Action::Skipped, existing),
            TagDecision::CaseConflict { found, value } => {
                let reason = TagDecision::case_conflict_reason(key, &found, &value);
                tracing::warn!(resource = %v.volume.arn, action = "skipped", reason = %reason, "decision");
                (Action::Skipped, value)
            }
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
    let mut failed: BTreeMap<String, AdapterError> = BTreeMap::new();
    if !to_tag.is_empty() {
        let tag = Tag::new(key.clone(), config.settings.value.clone());
        for (id, result) in store.tag_volumes(region, &to_tag, &tag).await {
            if let Err(e) = result {
                failed.insert(id, e);
            }
        }
    }
    // Refused by the guard: read again; a value found now was set after our read and is kept.
    let mut kept_after_refusal = BTreeSet::new();
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
        let (action, reason) = match failed.get(&found.volume.id) {
            Some(e) => {
                v.value = String::new();
                ("failed", e.to_string())
            }
            None if kept_after_refusal.contains(&found.volume.id) => ("skipped", set_meanwhile(key, &v.value)),
            None if v.action == Action::Tagged => ("tagged", format!("{key} was absent")),
            None => ("skipped", already_has(key, &v.value)),
        };
        tracing::info!(instance = %v.instance, resource = %v.resource, action, reason = %reason, value = %v.value,
            "decision");
    }
    for (instance, reason) in &found.without_volumes {
        tracing::info!(instance = %instance, action = "skipped", reason = %reason, "decision");
    }
    if !failed.is_empty() {
        return Err(TaggerError::Partial {
            what: "volumes of the launched instances",
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
    let without = match found.without_volumes.len() {
        0 => String::new(),
        n => format!("; {n} instances without EBS volumes"),
    };
    let reason = format!(
        "{} volumes of {} instances: {tagged} tagged, {} already had {key}{without}",
        volumes.len(),
        instances.len(),
        volumes.len() - tagged,
    );
    Ok(Outcome {
        instances: instances.iter().map(|i| i.arn.to_string()).collect(),
        volumes,
        ..Outcome::new(if tagged > 0 { Action::Tagged } else { Action::Skipped }, None, reason)
    })
}
