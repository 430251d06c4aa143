//! `superwerker-backup opt-in`: opt regions in to AWS Backup's resource types, dry run by default.
//!
//! A command of its own, never part of `bootstrap`: turning a type on makes every selection that selects "all" take
//! each resource of that type (see the domain's `coverage::opt_in`), and the dry run names those selections before
//! anything is written. Selections that cannot be read mean the region is not written: nothing is widened unseen.

use std::collections::BTreeMap;

use serde::Serialize;
use superwerker_backup_domain::coverage::{opt_in_change, Selection};

use crate::{Coverage, Sources};

/// Writes a region's opt-in.
pub trait OptInWriter: Send + Sync {
    /// Turns these types on in `region`, leaving the others as they are.
    fn turn_on(&self, region: &str, types: &[String]) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

impl OptInWriter for Sources {
    async fn turn_on(&self, region: &str, types: &[String]) -> Result<(), String> {
        self.backup(region)?.turn_on(types).await.map_err(|e| e.to_string())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OptInRegion {
    pub region: String,
    pub turn_on: Vec<String>,
    pub already_on: Vec<String>,
    pub not_offered: Vec<String>,
    /// `selection: types` for each selection turning the types on widens.
    pub widened: Vec<String>,
    /// Whether the types were turned on (never in a dry run).
    pub written: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OptInReport {
    pub dry_run: bool,
    pub regions: Vec<OptInRegion>,
}

impl OptInReport {
    /// Whether some region could not be read or written.
    pub fn failed(&self) -> bool {
        self.regions.iter().any(|r| r.error.is_some())
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        for r in &self.regions {
            if let (Some(e), false) = (&r.error, r.written) {
                out.push_str(&format!("{}: not changed: {e}\n", r.region));
                continue;
            }
            let verb = if r.written { "turned on" } else { "would turn on" };
            let list = |v: &[String]| if v.is_empty() { "-".to_owned() } else { v.join(", ") };
            out.push_str(&format!(
                "{}: {verb}: {}; already on: {}\n",
                r.region,
                list(&r.turn_on),
                list(&r.already_on)
            ));
            for t in &r.not_offered {
                out.push_str(&format!("  not offered here (left alone): {t}\n"));
            }
            for w in &r.widened {
                out.push_str(&format!("  widens (takes every resource of): {w}\n"));
            }
            if let Some(e) = &r.error {
                out.push_str(&format!("  error: {e}\n"));
            }
        }
        if self.dry_run {
            out.push_str("dry run: nothing written; run again with --apply to turn these types on\n");
        }
        out
    }
}

/// Opts each region in to `types` (AWS Backup's names: `EBS`, `Aurora`, …), or only reports what it would do.
pub async fn opt_in<C: Coverage + OptInWriter>(
    c: &C,
    account: &str,
    regions: &[String],
    types: &[String],
    dry_run: bool,
) -> OptInReport {
    let policy = crate::policy_selections(c).await.map(Option::unwrap_or_default);
    let mut report = OptInReport {
        dry_run,
        regions: Vec::new(),
    };
    for region in regions {
        let mut r = OptInRegion {
            region: region.clone(),
            ..Default::default()
        };
        match read(c, region, &policy).await {
            Err(e) => r.error = Some(e),
            Ok((current, selections)) => {
                let change = opt_in_change(&current, types, &selections, region, account);
                r.widened = change
                    .widened
                    .iter()
                    .map(|(s, t)| format!("{s}: {}", t.join(", ")))
                    .collect();
                (r.turn_on, r.already_on, r.not_offered) = (change.turn_on, change.already_on, change.not_offered);
                if !dry_run && !r.turn_on.is_empty() {
                    match c.turn_on(region, &r.turn_on).await {
                        Ok(()) => r.written = true,
                        Err(e) => r.error = Some(e),
                    }
                }
            }
        }
        report.regions.push(r);
    }
    report
}

/// The region's settings and every selection that applies there (the organization's and the account's).
async fn read<C: Coverage>(
    c: &C,
    region: &str,
    policy: &Result<Vec<Selection>, String>,
) -> Result<(BTreeMap<String, bool>, Vec<Selection>), String> {
    let current = c
        .opt_in(region)
        .await
        .map_err(|e| format!("AWS Backup opt-in settings unreadable: {e}"))?;
    let mut selections = policy.clone()?;
    selections.retain(|s| s.regions.is_empty() || s.regions.iter().any(|r| r == region));
    let account = c
        .account_selections(region)
        .await
        .map_err(|e| format!("account backup plans unreadable, so what opting in widens is unknown: {e}"))?;
    selections.extend(account);
    Ok((current, selections))
}
