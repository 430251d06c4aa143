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
