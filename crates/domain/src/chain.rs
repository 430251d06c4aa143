//! The sweep as a chain of steps (README, The sweep of a large account). One Lambda invocation lasts at most 900 s
//! (Lambda developer guide, "Configure Lambda function timeout"), and DynamoDB's `TagResource` admits 5 calls a second
//! per account (DynamoDB API reference, TagResource): one invocation tags at most about 3,600 tables in its time for
//! writes. So a sweep that is not done when its time for writes runs out is continued by the next step.
//!
//! The engine is EventBridge's schedule, the one the sweep already has, with one more rule: the daily rule's event
//! starts a chain, and a rule that ticks every 15 minutes runs the next step of a chain that awaits one (and nothing
//! otherwise). Why this and not a Lambda that invokes itself or a Step Functions loop:
//! - a step that is killed (its deadline, its memory) is continued by the next tick; a self-invocation that never
//!   happened ends the chain, and a state machine needs its own retry and catch rules for the same;
//! - nothing new to build or permit beyond one table: no recursion (Lambda stops recursive loops it detects: Lambda
//!   developer guide, "Use Lambda recursive loop detection"), no state machine, no second SDK client;
//! - the price is up to 15 minutes between steps, against a chain that runs only when a sweep outlasts 15 minutes.
//!
//! One record per stack holds the chain (a DynamoDB item, replaced only when it is unchanged since it was read: a
//! conditional write). [`decide`] turns the record and the trigger into running a step or skipping, purely; the
//! adapter reads and writes the record. EventBridge delivers an event at least once, and a second delivery of the
//! daily event has the same `id`, which names the chain: it starts no second sweep.

/// The most steps a chain takes: 24 steps of up to 12 minutes of writes tag about 86,000 tables at DynamoDB's quota.
/// A chain that is still not done then is given up (its last report says incomplete, the sweep-part alarm tells) and
/// the next daily sweep starts anew, without what the tags already written have done.
pub const MAX_STEPS: u32 = 24;

/// How long after an invocation's deadline its claim lapses. A step killed at its deadline, or for its memory, never
/// ends its claim; after this the next tick treats it as cut off and runs the next step.
pub const CLAIM_GRACE_MS: u64 = 60_000;

/// What the function was invoked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The daily schedule's event; its `id` names the chain.
    Start { chain: String },
    /// The tick: run the next step of a chain that awaits one.
    Continue,
}

/// The stack's chain record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainRecord {
    /// The `id` of the event that started the chain.
    pub chain: String,
    /// The last step claimed (the first is 1).
    pub step: u32,
    /// Unix milliseconds until which the claimed step may still be running; 0 once it ended.
    pub running_until_ms: u64,
    /// The last step ended incomplete and the chain awaits its next step.
    pub pending: bool,
    /// Increases with every write; a write expects the version it read.
    pub version: u64,
}

impl ChainRecord {
    /// The claimed step did not end, and its claim lapsed: it was cut off.
    pub fn cut_off(&self, now_ms: u64) -> bool {
        self.running_until_ms != 0 && self.running_until_ms <= now_ms
    }

    /// The chain awaits its next step: the last one ended incomplete, or was cut off.
    pub fn awaits_next(&self, now_ms: u64) -> bool {
        self.pending || self.cut_off(now_ms)
    }

    fn running(&self, now_ms: u64) -> bool {
        self.running_until_ms > now_ms
    }
}

/// Run a step of a chain, or skip (and why, for the log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Run { chain: String, step: u32 },
    Skip(String),
}

/// Whether `trigger` runs a step, given the stack's record (`None`: no chain ever ran) at `now_ms`.
pub fn decide(trigger: &Trigger, record: Option<&ChainRecord>, now_ms: u64) -> Decision {
    if let Some(r) = record.filter(|r| r.running(now_ms)) {
        return Decision::Skip(format!(
            "step {} of the sweep started by event {} is running: this delivery starts nothing",
            r.step, r.chain
        ));
    }
    match trigger {
        Trigger::Start { chain } => match record {
            Some(r) if &r.chain == chain => Decision::Skip(format!(
                "event {chain} already started its sweep (step {} {}): a second delivery starts no second sweep",
                r.step,
                if r.awaits_next(now_ms) {
                    "awaits the next; the tick continues it"
                } else {
                    "ended it"
                }
            )),
            _ => Decision::Run {
                chain: chain.clone(),
                step: 1,
            },
        },
        Trigger::Continue => match record {
            Some(r) if r.awaits_next(now_ms) && r.step >= MAX_STEPS => Decision::Skip(format!(
                "the sweep started by event {} took its {MAX_STEPS} steps: given up, the next daily sweep starts anew",
                r.chain
            )),
            Some(r) if r.awaits_next(now_ms) => Decision::Run {
                chain: r.chain.clone(),
                step: r.step + 1,
            },
            _ => Decision::Skip("no sweep awaits a next step".to_owned()),
        },
    }
}

/// How a step that ran ends its chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every write was made (or failed): the chain is done.
    Done,
    /// Time for writes ran out: the next tick runs the next step.
    Continues,
    /// Time ran out in the last step the chain may take.
    GivesUp,
}

/// How step `step` ends its chain, from whether its report is incomplete (writes deferred for time).
pub fn ending(step: u32, incomplete: bool) -> Ending {
    match (incomplete, step >= MAX_STEPS) {
        (false, _) => Ending::Done,
        (true, false) => Ending::Continues,
        (true, true) => Ending::GivesUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;

    fn record(step: u32, running_until_ms: u64, pending: bool) -> ChainRecord {
        ChainRecord {
            chain: "evt-1".into(),
            step,
            running_until_ms,
            pending,
            version: 7,
        }
    }

    fn start(chain: &str) -> Trigger {
        Trigger::Start { chain: chain.into() }
    }

    fn runs(d: &Decision) -> Option<(&str, u32)> {
        match d {
            Decision::Run { chain, step } => Some((chain, *step)),
            Decision::Skip(_) => None,
        }
    }

    #[test]
    fn the_daily_event_starts_a_chain_and_a_second_delivery_of_it_starts_none() {
        assert_eq!(runs(&decide(&start("evt-1"), None, NOW)), Some(("evt-1", 1)));
        for r in [
            record(1, NOW + 1, false),
            record(3, 0, true),
            record(3, 0, false),
            record(2, NOW - 1, false),
        ] {
            let d = decide(&start("evt-1"), Some(&r), NOW);
            assert_eq!(runs(&d), None, "{r:?}: {d:?}");
        }
    }

    #[test]
    fn the_next_days_event_starts_anew_unless_a_step_is_running() {
        assert_eq!(
            runs(&decide(&start("evt-2"), Some(&record(3, 0, true)), NOW)),
            Some(("evt-2", 1))
        );
        assert_eq!(
            runs(&decide(&start("evt-2"), Some(&record(3, 0, false)), NOW)),
            Some(("evt-2", 1))
        );
        assert_eq!(
            runs(&decide(&start("evt-2"), Some(&record(3, NOW + 1, false)), NOW)),
            None
        );
    }

    #[test]
    fn the_tick_runs_the_next_step_of_a_pending_or_cut_off_chain_only() {
        assert_eq!(runs(&decide(&Trigger::Continue, None, NOW)), None);
        assert_eq!(runs(&decide(&Trigger::Continue, Some(&record(2, 0, false)), NOW)), None);
        assert_eq!(
            runs(&decide(&Trigger::Continue, Some(&record(2, NOW + 1, false)), NOW)),
            None
        );
        assert_eq!(
            runs(&decide(&Trigger::Continue, Some(&record(2, 0, true)), NOW)),
            Some(("evt-1", 3))
        );
        // Claimed until a moment ago and never ended: killed; the next step runs.
        assert!(record(2, NOW, false).cut_off(NOW));
        assert_eq!(
            runs(&decide(&Trigger::Continue, Some(&record(2, NOW, false)), NOW)),
            Some(("evt-1", 3))
        );
    }

    #[test]
    fn a_chain_takes_at_most_its_steps() {
        assert_eq!(
            runs(&decide(&Trigger::Continue, Some(&record(MAX_STEPS - 1, 0, true)), NOW)),
            Some(("evt-1", MAX_STEPS))
        );
        assert_eq!(
            runs(&decide(&Trigger::Continue, Some(&record(MAX_STEPS, 0, true)), NOW)),
            None
        );
        assert_eq!(
            runs(&decide(&Trigger::Continue, Some(&record(MAX_STEPS, 1, false)), NOW)),
            None
        );
        assert_eq!(ending(1, false), Ending::Done);
        assert_eq!(ending(1, true), Ending::Continues);
        assert_eq!(ending(MAX_STEPS - 1, true), Ending::Continues);
        assert_eq!(ending(MAX_STEPS, true), Ending::GivesUp);
        assert_eq!(ending(MAX_STEPS, false), Ending::Done);
    }
}
