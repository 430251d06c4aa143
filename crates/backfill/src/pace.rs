//! Pacing the writes by AWS's documented quotas (`quotas.rs` in the domain crate): one token bucket (governor's GCRA,
//! which admits exactly what a token bucket of the same size and refill admits) per quota and per account, or per
//! account and region. A run works in one account, so the key is the quota and, for a regional one, the region. A write
//! waits here before it takes a concurrency slot, so a region or kind held back by its quota holds up no other.
//! Adaptive retry stays the safety net (another writer in the account draws on the same buckets unseen).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::clock::Clock;
use governor::{Quota as Bucket, RateLimiter};
use superwerker_backup_domain::quotas::{Cost, Quota, Scope, DYNAMODB_TAG_RESOURCE};
use superwerker_backup_domain::ResourceKind;

/// Governor's clock read from tokio's, so that a test with tokio's paused clock paces in virtual time.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;
    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

type Limiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    TokioClock,
    governor::middleware::NoOpMiddleware<std::time::Instant>,
>;

/// A bucket's key in a run (one account): the quota, and the region for a regional one.
type BucketKey = (&'static str, Option<String>);

/// The buckets of one run (one account).
pub struct Pacer {
    /// `None`: no pacing (emulators without quotas).
    rates: Option<Rates>,
    buckets: Mutex<HashMap<BucketKey, Arc<Limiter>>>,
}

#[derive(Clone, Copy)]
struct Rates {
    /// Replaces DynamoDB TagResource's documented rate.
    dynamodb_per_second: Option<f64>,
}

impl Pacer {
    /// AWS's documented quotas; `rate_override` replaces DynamoDB TagResource's 5 per second, and 0 turns every
    /// quota's pacing off (for emulators, which have none).
    pub fn new(rate_override: Option<f64>) -> Pacer {
        let rates = match rate_override {
            Some(r) if r <= 0.0 || !r.is_finite() => None,
            other => Some(Rates {
                dynamodb_per_second: other,
            }),
        };
        Pacer {
            rates,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until one bulk write of `resources` resources of `kind` in `region` conforms to every quota it draws on,
    /// and takes its tokens.
    pub async fn before_write(&self, kind: ResourceKind, region: &str, resources: usize) {
        let Some(rates) = self.rates else { return };
        for draw in kind.spec().write_quotas {
            let bucket = self.bucket(draw.quota, region, rates);
            take(&bucket, draw.tokens(resources), draw.quota.burst).await;
        }
    }

    /// Waits until one write to one resource through its own service's API (the guard's probe and control writes:
    /// DynamoDB `TagResource`) conforms to the per-resource quotas the kind's writes draw on, and takes a token of each;
    /// the Tagging API's per-call quota is not drawn on.
    pub async fn before_direct_write(&self, kind: ResourceKind, region: &str) {
        let Some(rates) = self.rates else { return };
        for draw in kind.spec().write_quotas.iter().filter(|d| d.cost == Cost::Resource) {
            let bucket = self.bucket(draw.quota, region, rates);
            take(&bucket, 1, draw.quota.burst).await;
        }
    }

    fn bucket(&self, quota: &'static Quota, region: &str, rates: Rates) -> Arc<Limiter> {
        let key = (quota.name, (quota.scope == Scope::Region).then(|| region.to_owned()));
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        buckets
            .entry(key)
            .or_insert_with(|| Arc::new(RateLimiter::direct_with_clock(bucket_of(quota, rates), TokioClock)))
            .clone()
    }
}

/// The governor quota of a documented one: a burst of `burst`, one token back every `1 / per_second` s.
fn bucket_of(quota: &Quota, rates: Rates) -> Bucket {
    let per_second = match rates.dynamodb_per_second {
        Some(r) if quota.name == DYNAMODB_TAG_RESOURCE.name => r,
        _ => f64::from(quota.per_second),
    };
    let burst = NonZeroU32::new(quota.burst).unwrap_or(NonZeroU32::MIN);
    Bucket::with_period(std::time::Duration::from_secs_f64(1.0 / per_second))
        .unwrap_or_else(|| Bucket::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// Takes `tokens` from `bucket`, at most `burst` at a time (a larger draw can never conform at once), sleeping on
/// tokio's clock until each part conforms.
async fn take(bucket: &Limiter, tokens: u32, burst: u32) {
    let mut left = tokens;
    while left > 0 {
        let part = left.min(burst.max(1));
        let n = NonZeroU32::new(part).unwrap_or(NonZeroU32::MIN);
        loop {
            match bucket.check_n(n) {
                Ok(Ok(())) => break,
                Ok(Err(not_until)) => tokio::time::sleep(not_until.wait_time_from(TokioClock.now())).await,
                // More than the bucket holds: cannot happen, `part` is at most its burst.
                Err(_) => break,
            }
        }
        left -= part;
    }
}

#[cfg(test)]
mod tests;
