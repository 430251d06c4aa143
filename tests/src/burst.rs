//! A burst of creation events through the real `backup-tagger` binary (under `cargo lambda watch`, its AWS calls
//! through the fault proxy) with faults injected: mixed resource types, some opted out at creation or by hand, some
//! events delivered twice, all in shuffled order. Used by `make burst` (1,000 events) and, smaller, by `make test`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::{invoke_lambda, Emulator, FaultProxy};

const KEY: &str = "superwerker:backup";
/// The value set by hand while the resource's event is in flight.
const IN_FLIGHT_VALUE: &str = "weekly";

/// What a burst did and found.
#[derive(Debug)]
pub struct BurstReport {
    pub events: usize,
    pub duplicates: usize,
    pub resources: usize,
    pub invocations: usize,
    /// Invocations that failed and were delivered again (what EventBridge does).
    pub redelivered: usize,
    /// Events still failing after 3 deliveries (they would be in the DLQ): must be 0.
    pub lost: Vec<String>,
    /// Resources whose final value is not what the rules say (never overwritten, untagged → daily): must be empty.
    pub wrong: Vec<String>,
    pub faults_injected: usize,
    /// Values set by hand while the resource's own creation event was still queued.
    pub changed_in_flight: usize,
    pub took: Duration,
}

impl BurstReport {
    pub fn print(&self) {
        println!(
            "burst: {} events ({} duplicated deliveries) for {} resources, {} invocations, {} redelivered after a failure",
            self.events, self.duplicates, self.resources, self.invocations, self.redelivered
        );
        println!(
            "faults injected by the proxy: {}; values changed by hand in flight: {}; lost: {}; wrong final value: {}; \
             took {:.1} s ({:.1} events/s)",
            self.faults_injected,
            self.changed_in_flight,
            self.lost.len(),
            self.wrong.len(),
            self.took.as_secs_f64(),
            self.events as f64 / self.took.as_secs_f64()
        );
    }
}

/// A small deterministic generator (xorshift), so a burst is reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Runs a burst of `events` creation events (before duplicates) with `workers` concurrent deliveries.
pub async fn burst(events: usize, workers: usize) -> Result<BurstReport> {
    let em = Emulator::connect().await;
    let proxy = FaultProxy::from_env();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    // resource ARN → the value our key must end with
    let mut expected: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut deliveries: Vec<Value> = Vec::new();
    let sem = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..events {
        let (em, sem) = (em.clone(), sem.clone());
        // 10% opted out in the request, 5% set `none` by hand after creation, 3% `weekly` by hand, 2% `weekly` by
        // hand while the events are being delivered. `i * 37 % 100` visits every roll once per 100 events, spread
        // out, so a short burst has each case too.
        let roll = i * 37 % 100;
        let request_none = roll < 10;
        let later = match roll {
            90..=94 => Some("none"),
            95..=97 => Some("weekly"),
            _ => None,
        };
        let in_flight = roll >= 98;
        let kind = i % 20;
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await?;
            let request: Vec<(&str, &str)> = if request_none { vec![(KEY, "none")] } else { vec![] };
            let (arns, event): (Vec<String>, Value) = match kind {
                0..=5 => {
                    let id = em.create_volume(&request).await?;
                    (vec![em.volume_arn(&id)], em.create_volume_event(&id, &request))
                }
                6..=10 => {
                    let (name, arn) = em.create_table(&request).await?;
                    (vec![arn.clone()], em.create_table_event(&name, Some(&arn), &request))
                }
                11..=13 => {
                    let (id, arn) = em.create_db_instance(&request).await?;
                    (vec![arn.clone()], em.create_db_instance_event(&id, &arn, &request))
                }
                14..=15 => {
                    let (id, arn) = em.create_db_cluster(&request).await?;
                    (vec![arn.clone()], em.create_db_cluster_event(&id, &arn, &request))
                }
                16..=17 => {
                    let (id, arn) = em.create_file_system(&request).await?;
                    (vec![arn.clone()], em.create_file_system_event(&id, &arn, &request))
                }
                _ => {
                    let ids = em.run_instances(1, true, &request).await?;
                    let arns = em.volumes_of(&ids[0]).await?.into_iter().map(|(a, _)| a).collect();
                    (arns, em.run_instances_event(&ids, &request))
                }
            };
            if let Some(value) = later {
                for arn in &arns {
                    em.tag_after_creation(arn, KEY, value).await?;
                }
            }
            let want = match (request_none, later, in_flight) {
                (true, _, _) => "none",
                (_, Some(value), _) => value,
                (_, _, true) => IN_FLIGHT_VALUE,
                _ => "daily",
            };
            anyhow::Ok((arns, want, event, in_flight))
        });
    }
    // (resource, the id of its creation event)
    let mut change_in_flight: Vec<(String, String)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (arns, want, event, in_flight) = joined??;
        for arn in arns {
            if in_flight {
                change_in_flight.push((arn.clone(), event["id"].as_str().unwrap_or_default().to_owned()));
            }
            expected.insert(arn, want);
        }
        deliveries.push(event);
    }
    // EventBridge delivers at least once: 10% of the events twice; and in any order.
    let duplicates = events / 10;
    for _ in 0..duplicates {
        let pick = deliveries[rng.below(events)].clone();
        deliveries.push(pick);
    }
    for i in (1..deliveries.len()).rev() {
        deliveries.swap(i, rng.below(i + 1));
    }

    // Faults on for the whole burst: every 7th request throttled (in each service's shape), every 11th answered
    // 503, every 13th tag read answered "not found" (eventual consistency).
    // The guard stands in for IAM's never-overwrite condition on every tagging write, as deployed: a value set by
    // hand while the event is in flight must win whichever comes first.
    let mut rules = vec![
        json!({"id": "burst", "fault": "guard"}),
        json!({"id": "burst", "fault": "throttle", "every": 7}),
        json!({"id": "burst", "fault": "http503", "every": 11}),
    ];
    for (service, op) in [
        ("ec2", "DescribeVolumes"),
        ("dynamodb", "ListTagsOfResource"),
        ("rds", "ListTagsForResource"),
        ("elasticfilesystem", "DescribeFileSystems"),
    ] {
        rules.push(json!({"id": "burst", "service": service, "op": op, "fault": "not_found", "every": 13}));
    }
    proxy.add(Value::Array(rules)).await?;
    let before = proxy.log("").await?.len();

    let started = Instant::now();
    let queue = Arc::new(Mutex::new(deliveries.clone()));
    let stats = Arc::new(Mutex::new((0usize, 0usize, Vec::<String>::new())));
    let mut threads = Vec::new();
    for _ in 0..workers.max(1) {
        let (queue, stats) = (queue.clone(), stats.clone());
        threads.push(std::thread::spawn(move || -> Result<()> {
            loop {
                let Some(event) = queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop() else {
                    return Ok(());
                };
                let mut delivered = false;
                for attempt in 0..3 {
                    let answer = invoke_lambda("backup-tagger", &event)?;
                    let mut s = stats.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    s.0 += 1;
                    if answer.is_ok() {
                        delivered = true;
                        break;
                    }
                    if attempt < 2 {
                        s.1 += 1;
                    }
                }
                if !delivered {
                    let id = event["id"].as_str().unwrap_or("?").to_owned();
                    stats.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.2.push(id);
                }
            }
        }));
    }
    // While the deliveries run: someone sets `weekly` by hand on a few resources. Counted only where that resource's
    // own event was still queued after the change (so the tagger met the hand-set value, through the guard).
    let mut changed_in_flight = 0;
    for (arn, event_id) in &change_in_flight {
        while queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.len() == deliveries.len() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        em.tag_after_creation(arn, KEY, IN_FLIGHT_VALUE).await?;
        let queued = queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        if queued.iter().any(|e| e["id"].as_str() == Some(event_id.as_str())) {
            changed_in_flight += 1;
        }
    }
    for t in threads {
        match t.join() {
            Ok(r) => r?,
            Err(_) => bail!("a delivery thread panicked"),
        }
    }
    let took = started.elapsed();
    let log = proxy.log("").await?;
    let faults_injected = log[before..].iter().filter(|r| !r["fault"].is_null()).count();
    proxy.remove("burst").await?;

    let mut wrong = Vec::new();
    for (arn, want) in &expected {
        let now = em.tag_value(arn, KEY).await?;
        if now.as_deref() != Some(*want) {
            wrong.push(format!("{arn}: expected {want}, found {now:?}"));
        }
    }
    let (invocations, redelivered, lost) = {
        let s = stats.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        (s.0, s.1, s.2.clone())
    };
    Ok(BurstReport {
        events,
        duplicates,
        resources: expected.len(),
        invocations,
        redelivered,
        lost,
        wrong,
        faults_injected,
        changed_in_flight,
        took,
    })
}
