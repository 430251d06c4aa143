//! What a bootstrap run changed (or, in dry-run, would change).

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    UpToDate,
    Enabled,
    Created,
    Updated,
    Attached,
    Detached,
    Deleted,
    Skipped,
}

impl ChangeKind {
    fn verb(self, dry_run: bool) -> &'static str {
        match (self, dry_run) {
            (ChangeKind::UpToDate, _) => "up to date",
            (ChangeKind::Skipped, _) => "skipped",
            (ChangeKind::Enabled, false) => "enabled",
            (ChangeKind::Enabled, true) => "would enable",
            (ChangeKind::Created, false) => "created",
            (ChangeKind::Created, true) => "would create",
            (ChangeKind::Updated, false) => "updated",
            (ChangeKind::Updated, true) => "would update",
            (ChangeKind::Attached, false) => "attached",
            (ChangeKind::Attached, true) => "would attach",
            (ChangeKind::Detached, false) => "detached",
            (ChangeKind::Detached, true) => "would detach",
            (ChangeKind::Deleted, false) => "deleted",
            (ChangeKind::Deleted, true) => "would delete",
        }
    }

    /// Whether this entry is (or would be) a write.
    pub fn is_write(self) -> bool {
        !matches!(self, ChangeKind::UpToDate | ChangeKind::Skipped)
    }
}

/// One thing bootstrap looked at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub target: String,
    pub kind: ChangeKind,
    /// Ids, reasons, or the diff lines of an update.
    pub detail: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub scope: String,
    pub changes: Vec<Change>,
}

impl Report {
    pub fn push(&mut self, target: impl Into<String>, kind: ChangeKind, detail: Vec<String>) {
        let change = Change {
            target: target.into(),
            kind,
            detail,
        };
        tracing::info!(
            target_name = %change.target,
            action = change.kind.verb(self.dry_run),
            detail = %change.detail.join("; "),
            dry_run = self.dry_run,
            "bootstrap"
        );
        self.changes.push(change);
    }

    /// Nothing was (or would be) written.
    pub fn is_up_to_date(&self) -> bool {
        !self.changes.iter().any(|c| c.kind.is_write())
    }

    /// A table for people.
    pub fn to_table(&self) -> String {
        let width = self.changes.iter().map(|c| c.target.len()).max().unwrap_or(6).max(6);
        let mut out = format!("{:<width$}  {:<13}  DETAIL\n", "TARGET", "ACTION");
        for c in &self.changes {
            let mut lines = c.detail.iter();
            out.push_str(&format!(
                "{:<width$}  {:<13}  {}\n",
                c.target,
                c.kind.verb(self.dry_run),
                lines.next().map(String::as_str).unwrap_or("")
            ));
            for more in lines {
                out.push_str(&format!("{:<width$}  {:<13}  {more}\n", "", ""));
            }
        }
        out.push_str(if self.is_up_to_date() {
            "bootstrap: up to date (nothing to change)\n"
        } else if self.dry_run {
            "bootstrap: dry run, nothing was written\n"
        } else {
            "bootstrap: changes applied\n"
        });
        out
    }
}
