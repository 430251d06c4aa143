//! One step of a sweep's chain (`superwerker_backup_domain::chain`): read the stack's record, decide, claim the step
//! with a conditional write, run the backfill, end the step. The Lambda calls [`step`] for the schedule's events; the
//! emulator tests call it with the same payloads, as EventBridge would deliver them.

use std::sync::Arc;

use serde_json::Value;
use superwerker_backup_aws::chain_record::ChainTable;
use superwerker_backup_aws::{AdapterError, Aws};
use superwerker_backup_backfill::{run, BackfillError, BackfillOptions, NoProgress, Report};
use superwerker_backup_domain::chain::{decide, ending, ChainRecord, Decision, Ending, Trigger, CLAIM_GRACE_MS};
use thiserror::Error;

/// The constant input of the stack's tick rule (`SweepContinueRule` in infra/template.yaml).
pub const CONTINUE_INPUT: &str = "continue";

/// The chain trigger a payload is: the daily rule's Scheduled Event (its `id` names the chain) or the tick rule's
/// `{"sweep": "continue"}`; `None` for anything else (a manual invocation runs on its own, outside any chain).
pub fn trigger_of(payload: &Value) -> Option<Trigger> {
    if payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
        let chain = payload.get("id").and_then(Value::as_str).filter(|id| !id.is_empty())?;
        return Some(Trigger::Start {
            chain: chain.to_owned(),
        });
    }
    (payload.get("sweep").and_then(Value::as_str) == Some(CONTINUE_INPUT)).then_some(Trigger::Continue)
}

#[derive(Debug, Error)]
pub enum StepError {
    #[error("the sweep's chain record ({table}) could not be read or written: {source}")]
    Record { table: String, source: AdapterError },
    #[error(transparent)]
    Backfill(#[from] BackfillError),
}

/// What a delivery did.
#[derive(Debug)]
pub enum Stepped {
    /// Nothing ran, and why.
    Skipped(String),
    /// Step `claim.step` of `claim.chain` ran; how it ends the chain; `recorded` is false when the record changed
    /// since the claim (the claim had lapsed, and a tick took the chain on).
    Ran {
        report: Report,
        claim: ChainRecord,
        ending: Ending,
        recorded: bool,
    },
}

/// Unix milliseconds now (0 before 1970): the chain's clock, and the handler's.
pub fn epoch_ms_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Handles one delivery of `trigger`: runs a step of the chain when [`decide`] says so, claiming it until
/// `deadline_ms` (the invocation's, Unix milliseconds) and [`CLAIM_GRACE_MS`] more.
pub async fn step(
    aws: &Aws,
    table: &ChainTable,
    trigger: &Trigger,
    opts: &BackfillOptions,
    deadline_ms: u64,
) -> Result<Stepped, StepError> {
    let record_error = |source| StepError::Record {
        table: table.table().to_owned(),
        source,
    };
    let seen = table.read().await.map_err(record_error)?;
    let now = epoch_ms_now();
    let (chain, number) = match decide(trigger, seen.as_ref(), now) {
        Decision::Skip(why) => return Ok(Stepped::Skipped(why)),
        Decision::Run { chain, step } => (chain, step),
    };
    if let Some(cut) = seen.as_ref().filter(|r| r.cut_off(now)) {
        tracing::warn!(
            chain = %cut.chain,
            step = cut.step,
            "the step before did not end (cut off at its deadline, or out of memory): its report was not logged"
        );
    }
    let until = deadline_ms.max(now).saturating_add(CLAIM_GRACE_MS);
    let Some(claim) = table
        .claim(seen.as_ref(), &chain, number, until)
        .await
        .map_err(record_error)?
    else {
        return Ok(Stepped::Skipped(format!(
            "another delivery claimed the sweep's record first (step {number} of {chain}): it runs, this one does not"
        )));
    };
    tracing::info!(chain = %claim.chain, step = claim.step, "sweep step claimed");
    let report = run(aws, opts, Arc::new(NoProgress)).await;
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            // The step failed before it could report: the chain awaits its next step (the tick retries it).
            if let Err(end) = table.end(&claim, true).await {
                tracing::error!(error = %end, "the failed step could not be ended in the chain record");
            }
            return Err(e.into());
        }
    };
    let ending = ending(claim.step, report.incomplete);
    let recorded = table
        .end(&claim, ending == Ending::Continues)
        .await
        .map_err(record_error)?;
    Ok(Stepped::Ran {
        report,
        claim,
        ending,
        recorded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_schedules_payloads_are_triggers_and_a_manual_request_is_none() {
        let daily = json!({"detail-type": "Scheduled Event", "source": "aws.events", "id": "e-1", "detail": {}});
        assert_eq!(trigger_of(&daily), Some(Trigger::Start { chain: "e-1".into() }));
        assert_eq!(trigger_of(&json!({"sweep": "continue"})), Some(Trigger::Continue));
        assert_eq!(trigger_of(&json!({"dryRun": false})), None);
        assert_eq!(trigger_of(&json!({"sweep": "start"})), None);
        // A Scheduled Event without an id cannot name a chain.
        assert_eq!(
            trigger_of(&json!({"detail-type": "Scheduled Event", "detail": {}})),
            None
        );
    }
}
