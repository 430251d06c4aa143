//! The organization audit as one self-contained HTML page for auditors (`audit --organization --output html`): the
//! per-account table, the unprotected resources grouped by reason with the fix for each, region findings, and what
//! could not be read. No script, no stylesheet or font from elsewhere: the file alone is the report. maud escapes
//! every value written into it.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use maud::{html, Markup, PreEscaped, DOCTYPE};
use superwerker_backup_domain::coverage::Verdict;

use crate::digest::plain_reason;
use crate::org_report::row;
use crate::organization::OrgReport;
use crate::report::{verdict_name, AuditEntry};

/// Resources listed per reason; the rest are counted (the CSV and JSON outputs list every one).
pub const ROWS_PER_REASON: usize = 1000;

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:80em;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.unreadable td{background:#fde2e1}tr.unprotected td.u{background:#fff1c2;font-weight:600}
.state{padding:.6em 1em;border-radius:4px;font-weight:600}.bad{background:#fde2e1}.ok{background:#dff3e3}.partial{background:#fff1c2}
.fix{background:#eef4ff;padding:.4em .8em;border-left:4px solid #3a6fd8}code,.arn{font-family:ui-monospace,monospace;font-size:.92em}
.arn{word-break:break-all}td.nw{white-space:nowrap}td.long{overflow-wrap:anywhere;min-width:18em}.meta{color:#555}footer{margin-top:2em;color:#555;font-size:.9em}
";

impl OrgReport {
    /// The page, generated at `now`.
    pub fn to_html(&self, now: SystemTime) -> String {
        let rows: Vec<_> = self.accounts.iter().map(row).collect();
        let total = |f: fn(&crate::org_report::Row) -> u64| rows.iter().map(f).sum::<u64>();
        let unprotected = total(|r| r.unprotected);
        let unreadable = self.unreadable().count();
        let (state_class, state) = if self.partial() {
            (
                "state partial",
                format!("Partial: {unreadable} accounts could not be read, or some listings failed; the numbers cover only what was read."),
            )
        } else if self.fails_gate() {
            (
                "state bad",
                format!("{unprotected} resources unprotected, or a region finding."),
            )
        } else {
            ("state ok", "Every resource read is protected or opted out.".to_owned())
        };
        let page = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { "Backup audit of the organization — superwerker-backup" }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    h1 { "Backup audit of the organization" }
                    p.meta {
                        "Generated " (timestamp(now)) " by superwerker-backup " (env!("CARGO_PKG_VERSION"))
                        ", entering each account through the role " code { (self.role_name) } ". "
                        (rows.len()) " accounts, " (total(|r| r.resources)) " resources: "
                        (total(|r| r.protected)) " protected, " (total(|r| r.opted_out)) " opted out, "
                        (unprotected) " unprotected."
                    }
                    p class=(state_class) { (state) }
                    h2 { "Accounts" }
                    table {
                        thead { tr {
                            th { "Account" } th { "Name" } th { "Regions" } th { "Resources" } th { "Protected" }
                            th { "Opted out" } th { "Unprotected" } th { "Reasons" } th { "Status" }
                        } }
                        tbody {
                            @for r in &rows {
                                tr class=(if r.audit.error.is_some() { "unreadable" } else if r.unprotected > 0 { "unprotected" } else { "" }) {
                                    td.nw { code { (r.audit.account) } } td { (r.audit.name) }
                                    td.n title=(r.audit.regions.join(" ")) { (r.audit.regions.len()) }
                                    td.n { (r.resources) } td.n { (r.protected) } td.n { (r.opted_out) }
                                    td.n.u { (r.unprotected) } td { (r.reasons) } td.long { (r.status) }
                                }
                            }
                        }
                    }
                    (by_reason(self))
                    (region_level(self))
                    footer {
                        "The same audit as a spreadsheet: " code { "superwerker-backup audit --organization --output csv" }
                        "; every field: " code { "--output json" } ". Verdicts and fixes: README, Audit."
                    }
                }
            }
        };
        page.into_string()
    }
}

/// `2026-11-28T03:00:00Z`, to the second.
fn timestamp(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    jiff::Timestamp::from_second(secs as i64).map_or_else(|_| format!("{secs} s after 1970"), |t| t.to_string())
}

/// A fix as the README writes it, with `code` between backquotes.
fn fix_text(fix: &str) -> Markup {
    html! {
        @for (i, part) in fix.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

/// An unprotected resource and the account it is in.
type Listed<'a> = (&'a str, &'a AuditEntry);

/// One section per reason, most urgent first (what stops a whole region's or plan's backups), each with its fix.
fn by_reason(report: &OrgReport) -> Markup {
    // Keyed by urgency and name: two verdicts of the same urgency stay apart.
    let mut groups: BTreeMap<(u8, String), (Verdict, Vec<Listed>)> = BTreeMap::new();
    for a in &report.accounts {
        for e in a
            .report
            .iter()
            .flat_map(|r| &r.entries)
            .filter(|e| e.verdict.is_unprotected())
        {
            groups
                .entry((e.verdict.urgency(), verdict_name(e.verdict)))
                .or_insert((e.verdict, Vec::new()))
                .1
                .push((&a.account, e));
        }
    }
    html! {
        h2 { "Unprotected resources by reason" }
        @if groups.is_empty() { p { "None." } }
        @for (verdict, entries) in groups.values() {
            @let name = verdict_name(*verdict);
            @let accounts = entries.iter().map(|(a, _)| *a).collect::<std::collections::BTreeSet<_>>().len();
            section id=(name) {
                h3 { code { (name) } " — " (entries.len()) " resources in " (accounts) " accounts" }
                @if let Some(fix) = verdict.fix() { p.fix { "Fix: " (fix_text(fix)) } }
                table {
                    thead { tr { th { "Account" } th { "Region" } th { "Kind" } th { "Resource" } th { "Why" } } }
                    tbody {
                        @for (account, e) in entries.iter().take(ROWS_PER_REASON) {
                            tr {
                                td.nw { code { (account) } } td.nw { (e.region) } td.nw { code { (e.kind) } }
                                td.arn { (e.resource) }
                                td { (e.reason.clone().or_else(|| plain_reason(e)).unwrap_or_default()) }
                            }
                        }
                    }
                }
                @if entries.len() > ROWS_PER_REASON {
                    p { (entries.len() - ROWS_PER_REASON) " more: " code { "--output csv" } " lists every one." }
                }
            }
        }
    }
}

/// What concerns a region or an account rather than one resource: findings, failed listings, unreadable sources, and
/// accounts that could not be entered.
fn region_level(report: &OrgReport) -> Markup {
    let mut lines: Vec<(&str, &str, &str)> = Vec::new();
    for a in &report.accounts {
        if let Some(e) = &a.error {
            lines.push((&a.account, "could not be read", e));
        }
        if let Some(r) = &a.report {
            lines.extend(r.findings.iter().map(|f| (a.account.as_str(), "finding", f.as_str())));
            lines.extend(
                r.unlisted
                    .iter()
                    .map(|u| (a.account.as_str(), "not listed (partial)", u.as_str())),
            );
            lines.extend(
                r.problems
                    .iter()
                    .map(|p| (a.account.as_str(), "source not read", p.as_str())),
            );
        }
    }
    html! {
        h2 { "Region findings and what could not be read" }
        @if lines.is_empty() { p { "None." } }
        @else {
            table {
                thead { tr { th { "Account" } th { "What" } th { "Detail" } } }
                tbody { @for (account, what, detail) in &lines { tr { td.nw { code { (account) } } td.nw { (what) } td.long { (detail) } } } }
            }
        }
    }
}

#[cfg(test)]
#[path = "org_html/tests.rs"]
mod tests;
