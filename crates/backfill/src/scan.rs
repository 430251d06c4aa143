//! Scanning: every (region, kind) listed, a few at once; for kinds whose tags come from the Tagging API's index, the
//! index read alongside and its "untagged" answers confirmed (or the guard proven); with writing on, each kind's
//! untagged resources written as soon as its own scan is done, so writes overlap the other listings.

use std::collections::BTreeMap;
use std::sync::Arc;

use superwerker_backup_aws::{AdapterError, Aws, KeepTags, TagStore};
use superwerker_backup_domain::{ResourceKind, ResourceRef, Tag, TagSettings, TagsIn};
use tokio::sync::Semaphore;

use crate::guard::{probe, Guard};
use crate::pace::Pacer;
use crate::plan::{merge, state_of, Plan, State};
use crate::report::Failure;
use crate::write::{Writer, Written};
use crate::{BackfillError, BackfillOptions, Progress};

/// Index answers confirmed at once.
const CONFIRM_CONCURRENCY: usize = 8;

/// One (region, kind).
#[derive(Default)]
struct Scanned {
    entries: Vec<crate::plan::Planned>,
    /// How resources the index reports untagged were checked (kinds whose tags come from the index).
    check: Option<String>,
    /// The guard probe's control write, already done.
    written: Vec<(String, Written)>,
}

/// Outcome of each write, by ARN.
pub(crate) type Outcomes = BTreeMap<String, Written>;

/// One (region, kind): its resources and what to do with each. `probe_pacer`: the run writes, so the guard probe (a
/// write of an unchanged value) is allowed, paced by the run's quotas.
async fn scan_one(
    aws: &Aws,
    region: &str,
    account: &str,
    kind: ResourceKind,
    settings: &TagSettings,
    probe_pacer: Option<&Pacer>,
    keep: &KeepTags,
) -> Result<Scanned, AdapterError> {
    let entries = match kind.spec().tags_in {
        TagsIn::Listing => merge(aws.list(kind, region, account, keep).await?, None, settings),
        TagsIn::TaggingIndex => {
            let (found, index) = tokio::join!(
                aws.list(kind, region, account, keep),
                aws.indexed_tags(kind, region, keep)
            );
            merge(found?, Some(&index?), settings)
        }
    };
    let to_confirm: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].state == State::ToTag && entries[i].from_index)
        .collect();
    if to_confirm.is_empty() {
        return Ok(Scanned {
            entries,
            ..Scanned::default()
        });
    }
    let (guard, written) = if let Some(pacer) = probe_pacer {
        probe(aws, &entries, settings, pacer, region).await
    } else {
        (Guard::NotProven("dry run: no probe write".into()), None)
    };
    let name = kind.spec().name;
    let check = match &guard {
        Guard::Proven => format!(
            "the role's guard refused an overwrite (probe): {} {name}s tagged without confirmation reads",
            to_confirm.len()
        ),
        Guard::NotProven(why) => format!("{} {name}s confirmed with a read each ({why})", to_confirm.len()),
    };
    tracing::info!(region, kind = kind.label(), check = %check, "index checks");
    let written: Vec<(String, Written)> = written.into_iter().collect();
    let mut scanned = Scanned {
        entries,
        check: Some(check),
        written,
    };
    if guard != Guard::Proven {
        confirm(aws, &mut scanned, to_confirm, settings).await;
    }
    Ok(scanned)
}

/// The index may lag (a table tagged `none` a moment ago): each resource it reports untagged is read from the service
/// before any write, a few at a time (the SDK's adaptive retry slows down if the service throttles).
async fn confirm(aws: &Aws, scanned: &mut Scanned, to_confirm: Vec<usize>, settings: &TagSettings) {
    let done: Vec<String> = scanned.written.iter().map(|(arn, _)| arn.clone()).collect();
    let sem = Arc::new(Semaphore::new(CONFIRM_CONCURRENCY));
    let mut reads = tokio::task::JoinSet::new();
    for i in to_confirm {
        let resource = scanned.entries[i].resource.clone();
        if done.contains(&resource.arn.to_string()) {
            continue;
        }
        let (aws, sem) = (aws.clone(), sem.clone());
        reads.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, aws.read_tags(&resource).await)
        });
    }
    while let Some(joined) = reads.join_next().await {
        let Ok((i, result)) = joined else { continue };
        let planned = &mut scanned.entries[i];
        match result {
            Ok(confirmed) => {
                planned.state = state_of(settings, &confirmed);
                planned.tags = confirmed;
            }
            Err(e) => planned.state = State::Failed(e.to_string()),
        }
    }
}

/// Scans every (region, kind) — a few at once — and, with `tag`, tags each kind's untagged resources as soon as its
/// scan is done. A listing holds a concurrency slot while it runs, a write only for each call: a write waiting on its
/// quota holds none. The plan's entries carry the tags `keep` keeps.
pub(crate) async fn scan_then_tag(
    aws: &Aws,
    opts: &BackfillOptions,
    regions: Vec<String>,
    account: &str,
    progress: Arc<dyn Progress>,
    tag: Option<Tag>,
    keep: KeepTags,
) -> Result<(Plan, Outcomes), BackfillError> {
    let limit = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let pacer = Arc::new(Pacer::new(opts.rate_override));
    let stop_at = opts.stop_writes_at;
    let mut tasks = tokio::task::JoinSet::new();
    for region in &regions {
        for kind in ResourceKind::all() {
            let (aws, region, account, settings) =
                (aws.clone(), region.clone(), account.to_owned(), opts.settings.clone());
            let (limit, progress, tag, pacer) = (limit.clone(), progress.clone(), tag.clone(), pacer.clone());
            let keep = keep.clone();
            tasks.spawn(async move {
                let permit = limit.acquire().await;
                let probe_pacer = tag.is_some().then_some(pacer.as_ref());
                let result = scan_one(&aws, &region, &account, kind, &settings, probe_pacer, &keep).await;
                drop(permit);
                let mut outcomes = Vec::new();
                if let (Ok(scanned), Some(tag)) = (&result, &tag) {
                    progress.scanned(kind, scanned.entries.len() as u64);
                    outcomes.extend(scanned.written.iter().cloned());
                    let done: Vec<&str> = scanned.written.iter().map(|(arn, _)| arn.as_str()).collect();
                    let todo: Vec<ResourceRef> = scanned
                        .entries
                        .iter()
                        .filter(|p| p.state == State::ToTag && !done.contains(&p.resource.arn.to_string().as_str()))
                        .map(|p| p.resource.clone())
                        .collect();
                    if !todo.is_empty() {
                        let writer = Writer {
                            aws: &aws,
                            tag,
                            settings: &settings,
                            progress: progress.as_ref(),
                            stop_at,
                            pacer: &pacer,
                            slots: Some(&limit),
                        };
                        outcomes.extend(writer.write(kind, &region, &todo).await);
                    }
                } else if let Ok(scanned) = &result {
                    progress.scanned(kind, scanned.entries.len() as u64);
                }
                (kind, region, result, outcomes)
            });
        }
    }
    let mut plan = Plan {
        account: account.to_owned(),
        regions,
        ..Plan::default()
    };
    let mut outcomes = Outcomes::new();
    while let Some(joined) = tasks.join_next().await {
        let (kind, region, result, written) = joined.map_err(BackfillError::Task)?;
        outcomes.extend(written);
        match result {
            Ok(scanned) => {
                plan.entries.extend(scanned.entries);
                if let Some(check) = scanned.check {
                    plan.index_checks.insert(format!("{region} {}", kind.label()), check);
                }
            }
            Err(e) => plan.listing_failures.push((
                kind,
                Failure {
                    resource: format!("all {} in {region} (listing)", kind.label()),
                    error: e.to_string(),
                },
            )),
        }
    }
    plan.entries.sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    Ok((plan, outcomes))
}
