//! Writing the tag in bulk, the way each kind's row says, paced by the kind's per-account quota where it has one.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use superwerker_backup_aws::{value_set_meanwhile, Aws};
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag, TagSettings};
use tokio::sync::Mutex;

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

/// Spaces out writes: `n` resources written now push the next batch back by `n / rate` seconds. One per kind with a
/// per-account quota, shared by every region of the run (the quota is per account, across regions).
pub struct RateLimit {
    next: Mutex<Instant>,
    per_item: Duration,
}

impl RateLimit {
    pub fn new(per_second: f64) -> Self {
        let per_item = if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        RateLimit {
            next: Mutex::new(Instant::now()),
            per_item,
        }
    }

    pub async fn take(&self, n: usize) {
        if n == 0 || self.per_item.is_zero() {
            return;
        }
        let wait_until = {
            let mut next = self.next.lock().await;
            let start = (*next).max(Instant::now());
            *next = start + self.per_item * n as u32;
            start
        };
        tokio::time::sleep_until(wait_until.into()).await;
    }
}

/// The pacing of each kind with a per-account quota: its rate, or `rate_override` (0 = no pause, for emulators).
pub fn limits(rate_override: Option<f64>) -> BTreeMap<ResourceKind, std::sync::Arc<RateLimit>> {
    ResourceKind::all()
        .filter_map(|k| {
            k.spec()
                .account_writes_per_second
                .map(|rate| (k, rate_override.unwrap_or(rate)))
        })
        .map(|(k, rate)| (k, std::sync::Arc::new(RateLimit::new(rate))))
        .collect()
}

/// What every write of a run shares.
pub struct Writer<'a> {
    pub aws: &'a Aws,
    pub tag: &'a Tag,
    pub settings: &'a TagSettings,
    pub progress: &'a dyn Progress,
    /// No batch starts after this instant (its resources are [`Written::Deferred`]).
    pub stop_at: Option<Instant>,
}

impl Writer<'_> {
    /// Tags one region's resources of one kind, paced by `limit`; each ARN with what happened. A refused write is
    /// read again (at most [`MAX_REREADS`] per call): if the resource has the key now, someone set it after the scan
    /// and the guard kept it — reported as kept with its value.
    pub async fn write(
        &self,
        kind: ResourceKind,
        region: &str,
        todo: &[ResourceRef],
        limit: Option<&RateLimit>,
    ) -> Vec<(String, Written)> {
        let mut raw = Vec::with_capacity(todo.len());
        let mut deferred: Vec<String> = Vec::new();
        let time_is_up = || self.stop_at.is_some_and(|at| Instant::now() >= at);
        for batch in todo.chunks(kind.spec().batch) {
            // Checked before and after the pacing wait: a batch that would start past the deadline is deferred.
            if deferred.is_empty() && !time_is_up() {
                if let Some(limit) = limit {
                    limit.take(batch.len()).await;
                }
            }
            if !deferred.is_empty() || time_is_up() {
                deferred.extend(batch.iter().map(|r| r.arn.to_string()));
                continue;
            }
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
