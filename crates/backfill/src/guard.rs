//! Proving the never-overwrite guard for a kind whose tags come from the Tagging API's index (DynamoDB tables).

use superwerker_backup_aws::{Refusal, TagStore};
use superwerker_backup_domain::{Tag, TagSettings};

use crate::pace::Pacer;
use crate::plan::{state_of, Planned, State};
use crate::write::Written;

/// Whether AWS refuses this role's overwrites of the kind's tags in one region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guard {
    Proven,
    NotProven(String),
}

/// Proves the guard in one region. IAM evaluates the guard's `aws:ResourceTag` condition on DynamoDB tables only where
/// the account has ABAC for DynamoDB on ("evaluated as if no tags are present" otherwise, DynamoDB developer guide,
/// abac-enable-ddb), so it is tried, not assumed:
/// 1. the probe: a resource the index shows with our value is read (it has the value) and written the same value
///    (even where allowed, nothing changes). Allowed → no guard.
/// 2. refused by the identity policies ("no identity-based policy allows", as a condition that does not hold reads)
///    → the control: a resource confirmed without the key is written our value, as the sweep would anyway. Allowed →
///    the refusal was the guard. Refused too → a blanket denial (no permission, or a policy denying all), not a guard.
///    An explicit deny or a resource policy is never taken for the guard.
///
/// Returns the verdict and the control write's outcome (that resource's tagging is done).
/// Both writes are paced by `pacer` in `region`: they draw on the service's own quota (DynamoDB's `TagResource`).
pub async fn probe<S: TagStore>(
    store: &S,
    planned: &[Planned],
    settings: &TagSettings,
    pacer: &Pacer,
    region: &str,
) -> (Guard, Option<(String, Written)>) {
    let not_proven = |why: String| (Guard::NotProven(why), None);
    let Some(probe) = planned.iter().find(|p| p.state == State::Daily) else {
        return not_proven(format!(
            "no resource with {}={} to probe with",
            settings.key, settings.value
        ));
    };
    match store.read_tags(&probe.resource).await {
        Ok(tags) if state_of(settings, &tags) == State::Daily => {}
        Ok(_) => return not_proven("the probe resource's tag changed; not probed".into()),
        Err(e) => return not_proven(format!("probe read failed: {e}")),
    }
    let tag = Tag::new(settings.key.clone(), settings.value.clone());
    pacer.before_direct_write(probe.resource.kind, region).await;
    match store.add_tag(&probe.resource, &tag).await {
        Ok(()) => return not_proven("probe write allowed: the role has no guard, or DynamoDB ABAC is off".into()),
        Err(e) => match e.refusal() {
            Some(Refusal::NoIdentityPolicyAllows) => {}
            Some(other) => return not_proven(format!("probe write refused, not by the guard ({other}): {e}")),
            None => return not_proven(format!("probe write failed: {e}")),
        },
    }
    tracing::info!(resource = %probe.resource.arn, "guard probe refused; control write next");
    // In ARN order, so that which resource serves as the control is predictable.
    let mut candidates: Vec<&Planned> = planned.iter().filter(|p| p.state == State::ToTag).collect();
    candidates.sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    let mut control = None;
    for candidate in candidates {
        match store.read_tags(&candidate.resource).await {
            Ok(tags) if state_of(settings, &tags) == State::ToTag => {
                control = Some(candidate);
                break;
            }
            Ok(_) => continue,
            Err(e) => return not_proven(format!("control read failed: {e}")),
        }
    }
    let Some(control) = control else {
        return not_proven("probe refused, but no resource without the key to tell the guard from a denial".into());
    };
    let arn = control.resource.arn.to_string();
    pacer.before_direct_write(control.resource.kind, region).await;
    let verdict = match store.add_tag(&control.resource, &tag).await {
        Ok(()) => (Guard::Proven, Some((arn, Written::Tagged))),
        Err(e) if e.is_refused() => (
            Guard::NotProven(format!(
                "blanket denial: the role may not tag a resource without the key either, so the probe's refusal was \
                 no guard: {e}"
            )),
            Some((arn, Written::Failed(e.to_string()))),
        ),
        Err(e) => (
            Guard::NotProven(format!("control write failed: {e}")),
            Some((arn, Written::Failed(e.to_string()))),
        ),
    };
    tracing::info!(probe = %probe.resource.arn, control = %control.resource.arn, guard = ?verdict.0, "guard probe");
    verdict
}
