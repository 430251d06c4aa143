//! Test and demo harness: talks to the local AWS emulator that `tests/harness/with-emulator.sh` started, creates
//! resources, builds CloudTrail events from the real fixtures with the emulator's ids, injects faults, and runs the
//! real Lambda binaries through `cargo lambda invoke`.

mod account_setup;
pub mod audit_scene;
pub mod browser;
pub mod burst;
mod emulator;
mod events;
mod faults;
mod lambda;
mod listener;
pub mod organization;
pub mod resources;
pub mod seeds;
mod subscriber;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{json, Value};

pub use emulator::{resource_of, Clients, Emulator};
pub use faults::FaultProxy;
pub use lambda::{invoke_lambda, tag_event};
pub use listener::{ReceivedRequest, ResponseUrl};
pub use seeds::{seed, untag, wire, Seeded, Wire};
pub use subscriber::Subscriber;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Where cargo builds: `CARGO_TARGET_DIR`, `build.target-dir` or `target/`, as `cargo metadata` reports it.
pub fn target_dir() -> PathBuf {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata answers JSON");
    PathBuf::from(meta["target_directory"].as_str().expect("target_directory"))
}

/// (exit code, stdout) of the `superwerker-backup` CLI (the debug build) with `args`, talking to `endpoint` (the fault
/// proxy) instead of the emulator when given. Exit code 1 (an error) fails the test with the CLI's stderr.
pub fn run_cli(endpoint: Option<&str>, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(target_dir().join("debug/superwerker-backup"));
    if let Some(url) = endpoint {
        cmd.env("AWS_ENDPOINT_URL", url);
    }
    let out = cmd.args(args).output().expect("the CLI runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code != 1,
        "{args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, stdout)
}

pub use superwerker_backup_domain::fixtures::fixture;

/// A backfill or sweep of `region` without pauses between DynamoDB tagging calls (the emulator has no quota).
pub fn unpaced(region: &str) -> superwerker_backup_backfill::BackfillOptions {
    superwerker_backup_backfill::BackfillOptions {
        regions: vec![region.to_owned()],
        rate_override: Some(0.0),
        ..Default::default()
    }
}

/// Wraps a CloudTrail record in the EventBridge envelope it arrives in, with an event id unique to this run.
pub fn envelope(detail: Value) -> Value {
    let mut event = superwerker_backup_domain::fixtures::envelope(detail);
    event["id"] = json!(format!("evt-{}", unique("e")));
    event
}

/// A name unique within this test process and across processes sharing one emulator.
///
/// The process id alone is not enough: one `make test` starts tens of thousands of processes (every rustc), so test
/// binaries run under one emulator can get the same pid again (`/proc/sys/kernel/pid_max` is 32,768 here), and moto
/// keeps what an earlier one made: a fresh run once failed with `DBClusterSnapshotAlreadyExistsFault` for the
/// automated snapshot of an earlier process's `aurora-<pid>-19`. The process's start time (milliseconds, modulo
/// 10^8: about 28 hours) tells two processes with one pid apart. Only digits and single hyphens: valid for RDS
/// identifiers, S3 buckets, SQS queues and DynamoDB tables alike.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    static STARTED: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let started = STARTED.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() % 100_000_000)
    });
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{started}-{n}", std::process::id())
}
