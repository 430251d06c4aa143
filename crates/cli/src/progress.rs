//! The backfill's progress for a person: a bar on a terminal, else a line per step on stderr.

/// Progress on a terminal: a spinner with counts; elsewhere: plain lines.
pub(crate) struct CliProgress {
    bar: Option<indicatif::ProgressBar>,
    scanned: std::sync::atomic::AtomicU64,
    tagged: std::sync::atomic::AtomicU64,
}

impl CliProgress {
    pub(crate) fn new() -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        CliProgress {
            bar,
            scanned: Default::default(),
            tagged: Default::default(),
        }
    }

    fn say(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.set_message(line),
            None => eprintln!("{line}"),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl superwerker_backup_backfill::Progress for CliProgress {
    fn scanned(&self, kind: superwerker_backup_domain::ResourceKind, count: u64) {
        let total = self.scanned.fetch_add(count, std::sync::atomic::Ordering::Relaxed) + count;
        self.say(format!("scanned {count} {} ({total} resources so far)", kind.label()));
    }

    fn tagged(&self, count: u64) {
        let total = self.tagged.fetch_add(count, std::sync::atomic::Ordering::Relaxed) + count;
        self.say(format!("tagging: {total} resources sent"));
    }
}

/// The organization commands' progress: on a terminal a bar of accounts done, with the regions done and the failures
/// so far, and a line above it per account; elsewhere the line alone, on stderr (stdout holds the report).
pub(crate) struct OrgBar {
    bar: Option<indicatif::ProgressBar>,
    regions: std::sync::atomic::AtomicUsize,
    failures: std::sync::atomic::AtomicUsize,
}

impl OrgBar {
    pub(crate) fn new() -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} accounts, {msg} [{elapsed}]")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(250));
            bar
        });
        Self::showing(bar)
    }

    fn showing(bar: Option<indicatif::ProgressBar>) -> Self {
        OrgBar {
            bar,
            regions: Default::default(),
            failures: Default::default(),
        }
    }

    /// Account `done` of `total` is finished: `regions` of its regions were done, and `failed` account-regions (or
    /// the account itself) could not be entered or read in full.
    pub(crate) fn account(
        &self,
        (done, total): (usize, usize),
        who: (&str, &str),
        regions: usize,
        failed: usize,
        what: &str,
    ) {
        use std::sync::atomic::Ordering::Relaxed;
        let regions = self.regions.fetch_add(regions, Relaxed) + regions;
        let failures = self.failures.fetch_add(failed, Relaxed) + failed;
        let line = format!("[{done}/{total}] {} {}: {what}", who.0, who.1);
        match &self.bar {
            Some(bar) => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(format!("{regions} account-regions done, {failures} failures"));
                bar.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A command that ends early (an error) leaves no bar behind.
impl Drop for OrgBar {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::OrgBar;

    #[test]
    fn the_bar_counts_accounts_regions_and_failures_as_accounts_end_in_any_order() {
        let org = OrgBar::showing(Some(indicatif::ProgressBar::hidden()));
        org.account((1, 3), ("111111111111", "prod"), 2, 0, "2 regions");
        org.account((2, 3), ("222222222222", "locked"), 0, 1, "could not be read");
        let bar = org.bar.as_ref().expect("a bar");
        assert_eq!((bar.position(), bar.length()), (2, Some(3)));
        assert_eq!(bar.message(), "2 account-regions done, 1 failures");
        org.account(
            (3, 3),
            ("333333333333", "play"),
            1,
            1,
            "1 region, 1 could not be entered",
        );
        assert_eq!(bar.message(), "3 account-regions done, 2 failures");
    }
}
