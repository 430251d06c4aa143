//! Writing the tag in bulk, the way each kind's row says, paced by the quotas its write draws on (`pace`).

use std::collections::BTreeMap;
use std::time::Instant;

use superwerker_backup_aws::{value_set_meanwhile, Aws};
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag, TagSettings};
use tokio::sync::Semaphore;

use crate::pace::Pacer;
use crate::Progress;

/// What happened to one write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Written {
    Tagged,
    /// Refused by the role's guard; re-read: someone set this value after the scan.
    Kept(String),
    Failed(String),
    /// Not attempted: the run's time for writes was up (`BackfillOptions::stop_writes_at`); the next sweep tags it.
    Deferred,
}

/// Refused writes re-read per call of [`write`], at most (a role refused everything would otherwise cost one read
/// per resource; beyond this they are reported failed with the refusal).
const MAX_REREADS: usize = 100;

/// What every write of a run shares.
pub struct Writer<'a> {
    pub aws: &'a Aws,
    pub tag: &'a Tag,
    pub settings: &'a TagSettings,
    pub progress: &'a dyn Progress,
    /// No batch starts after this instant (its resources are [`Written::Deferred`]).
    pub stop_at: Option<Instant>,
    pub pacer: &'a Pacer,
    /// The run's concurrency slots: a batch takes one for its call only, after its quotas let it through.
    pub slots: Option<&'a Semaphore>,
}

impl Writer<'_> {
    /// Tags one region's resources of one kind, paced by its quotas; each ARN with what happened. A refused write is
    /// read again (at most [`MAX_REREADS`] per call): if the resource has the key now, someone set it after the scan
    /// and the guard kept it — reported as kept with its value.
    pub async fn write(&self, kind: ResourceKind, region: &str, todo: &[ResourceRef]) -> Vec<(String, Written)> {
        let mut raw = Vec::with_capacity(todo.len());
        let mut deferred: Vec<String> = Vec::new();
        let time_is_up = || self.stop_at.is_some_and(|at| Instant::now() >= at);
        for batch in todo.chunks(kind.spec().batch) {
            // Checked before and after the pacing wait: a batch that would start past the deadline is deferred.
            if deferred.is_empty() && !time_is_up() {
                self.pacer.before_write(kind, region, batch.len()).await;
            }
            if !deferred.is_empty() || time_is_up() {
                deferred.extend(batch.iter().map(|r| r.arn.to_string()));
                continue;
            }
            let _slot = match self.slots {
                Some(slots) => slots.acquire().await.ok(),
                None => None,
            };
            raw.extend(self.aws.write_bulk(kind, region, batch, self.tag).await);
            self.progress.tagged(batch.len() as u64);
        }
        let by_arn: BTreeMap<String, &ResourceRef> = todo.iter().map(|r| (r.arn.to_string(), r)).collect();
        let mut rereads = 0;
        let mut out = Vec::with_capacity(raw.len());
        for (arn, result) in raw {
            let written = match result {
                Ok(()) => Written::Tagged,
                Err(e) if e.is_refused() && rereads < MAX_REREADS => match by_arn.get(&arn) {
                    Some(resource) => {
                        rereads += 1;
                        match value_set_meanwhile(self.aws, resource, self.settings).await {
                            Ok(Some(existing)) => Written::Kept(existing),
                            Ok(None) => Written::Failed(format!("{e} (re-read: the key is still absent)")),
                            Err(read) => Written::Failed(format!("{e} (re-read failed: {read})")),
                        }
                    }
                    None => Written::Failed(e.to_string()),
                },
                Err(e) => Written::Failed(e.to_string()),
            };
            out.push((arn, written));
        }
        out.extend(deferred.into_iter().map(|arn| (arn, Written::Deferred)));
        out
    }
}
