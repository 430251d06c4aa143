//! Whether the plans that select a resource can back it up: the vault their rules write to exists in the resource's
//! account and region, and the IAM role their selection names exists. A backup job whose vault or role is missing
//! fails (AWS Backup developer guide: the rule's target vault must exist in the Region; AWS Backup assumes the
//! selection's role to create the backup), so a selection with either missing protects nothing.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use superwerker_backup_domain::coverage::{Selection, Verdict};

use crate::Coverage;

/// The vaults and roles the selections name, each looked up once.
#[derive(Default)]
pub(crate) struct Targets {
    /// (region, vault) → exists.
    vaults: BTreeMap<(String, String), Result<bool, String>>,
    /// role ARN → exists; only roles of the audited account are looked up.
    roles: BTreeMap<String, Result<bool, String>>,
    account: String,
}

/// An organization policy's role names `$account` for the account it applies to (Organizations user guide, backup
/// policy syntax, `iam_role_arn`).
fn role_in(s: &Selection, account: &str) -> Option<String> {
    s.role.as_ref().map(|r| r.replace("$account", account))
}

/// Whether the selection's plan runs in `region`.
pub(crate) fn applies_in(s: &Selection, region: &str) -> bool {
    s.regions.is_empty() || s.regions.iter().any(|r| r == region)
}

impl Targets {
    pub async fn read<C: Coverage>(c: &C, selections: &[Selection], regions: &[String], account: &str) -> Targets {
        let mut t = Targets {
            account: account.to_owned(),
            ..Targets::default()
        };
        for region in regions {
            for s in selections.iter().filter(|s| applies_in(s, region)) {
                for rule in s.timing.iter().filter(|r| !r.vault.is_empty()) {
                    if let Entry::Vacant(e) = t.vaults.entry((region.clone(), rule.vault.clone())) {
                        e.insert(c.vault_exists(region, &rule.vault).await);
                    }
                }
            }
        }
        for role in selections.iter().filter_map(|s| role_in(s, account)) {
            if role.split(':').nth(4) == Some(account) && !t.roles.contains_key(&role) {
                let found = c.role_exists(&role).await;
                t.roles.insert(role, found);
            }
        }
        t
    }

    /// Why the selection cannot back up a resource in `region`, if it cannot (or cannot be told).
    pub fn broken(&self, s: &Selection, region: &str) -> Option<(Verdict, String)> {
        if let Some(role) = role_in(s, &self.account) {
            match self.roles.get(&role) {
                Some(Ok(false)) => {
                    return Some((
                        Verdict::NoServiceRole,
                        format!(
                            "the IAM role {role} that {} uses does not exist, so AWS Backup cannot run its jobs: \
                             deploy the per-account stack with CreateBackupServiceRole=true (it creates \
                             AWSBackupDefaultServiceRole), or name an existing role in the plan",
                            s.name
                        ),
                    ))
                }
                Some(Err(e)) => return Some((Verdict::Unknown, format!("the IAM role {role} unreadable: {e}"))),
                _ => {}
            }
        }
        let vaults: Vec<(&str, &Result<bool, String>)> = s
            .timing
            .iter()
            .filter(|r| !r.vault.is_empty())
            .filter_map(|r| {
                let found = self.vaults.get(&(region.to_owned(), r.vault.clone()))?;
                Some((r.vault.as_str(), found))
            })
            .collect();
        if vaults.is_empty() || vaults.iter().any(|(_, found)| matches!(found, Ok(true))) {
            return None;
        }
        if let Some((vault, Err(e))) = vaults.iter().find(|(_, found)| found.is_err()) {
            return Some((Verdict::Unknown, format!("the backup vault {vault} unreadable: {e}")));
        }
        let names: Vec<&str> = vaults.iter().map(|(v, _)| *v).collect();
        Some((
            Verdict::NoVault,
            format!(
                "the backup vault {} that {} writes to does not exist in {region}, so its jobs fail: deploy the \
                 per-account stack there (it creates the vault, BackupVaultName) or create it",
                names.join(", "),
                s.name
            ),
        ))
    }
}
