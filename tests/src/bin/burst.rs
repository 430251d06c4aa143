//! `make burst`: N creation events (default 1,000) through the real backup-tagger with faults injected; fails unless
//! every resource ends exactly as the rules say and no event is lost.

use anyhow::{bail, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let events: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|_| anyhow::anyhow!("usage: burst [EVENTS]"))?,
        None => 1000,
    };
    println!("== burst: {events} creation events through the real backup-tagger, faults injected ==");
    let report = superwerker_backup_e2e::burst::burst(events, 4).await?;
    report.print();
    for line in report.lost.iter().chain(&report.wrong).take(20) {
        println!("  {line}");
    }
    if !report.lost.is_empty() || !report.wrong.is_empty() {
        bail!("{} lost, {} with a wrong value", report.lost.len(), report.wrong.len());
    }
    println!("OK: 0 lost, 0 overwritten, every untagged resource daily");
    Ok(())
}
