//! The region-level check: some trail must deliver the management write events the tagger reacts to.

use superwerker_backup_domain::coverage::Match;

use crate::{AuditReport, Coverage};

/// Adds a `sources` line when a trail logs the events, a finding when none does (or none surely does), a problem
/// when the trails cannot be read.
pub(crate) async fn check<C: Coverage>(c: &C, region: &str, report: &mut AuditReport) {
    let trails = match c.trails(region).await {
        Ok(trails) => trails,
        Err(e) => {
            report
                .problems
                .push(format!("CloudTrail trails in {region} unreadable: {e}"));
            return;
        }
    };
    let judged: Vec<(&str, Match)> = trails
        .iter()
        .map(|t| (t.name.as_str(), t.logs_management_writes()))
        .collect();
    if let Some((name, _)) = judged.iter().find(|(_, m)| *m == Match::Yes) {
        report
            .sources
            .push(format!("CloudTrail in {region}: {name} logs management write events"));
        return;
    }
    let fix = "resources created there are not tagged when they are created, only by the next daily sweep (up to a \
               day unprotected): create a trail (multi-region or organization) that logs management write events, \
               and keep it logging";
    report.findings.push(
        match judged.iter().find_map(|(n, m)| match m {
            Match::Uncertain(why) => Some((*n, *why)),
            _ => None,
        }) {
            Some((name, why)) => {
                format!("{region}: no trail surely logs management write events ({name}: {why}); if none does, {fix}")
            }
            None => format!(
                "{region}: no trail logs management write events ({} trails seen, none logging them); {fix}",
                trails.len()
            ),
        },
    );
}
