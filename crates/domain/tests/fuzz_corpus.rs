//! Every input of the fuzz corpus (seeded from the real fixtures, crates/domain/fuzz/corpus/classify) and every input
//! the fuzzer ever crashed on (crates/domain/fuzz/regressions) through `classify_checked` on stable Rust: no panic,
//! no broken invariant. The long run is `make fuzz` (nightly, libFuzzer).

use std::path::Path;

use superwerker_backup_domain::invariants::classify_checked;
use superwerker_backup_domain::{Classification, EventScope};

fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn check(bytes: &[u8]) -> Option<Classification> {
    let event: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    classify_checked(
        &event,
        &EventScope::own("123456789012", "us-east-1"),
        "superwerker:backup",
    )
    .ok()
}

#[test]
fn the_seed_corpus_reaches_the_deep_paths() {
    let seeds = inputs("fuzz/corpus/classify");
    assert!(seeds.len() >= 20, "{} seeds", seeds.len());
    let mut checks = 0;
    for (name, bytes) in &seeds {
        if matches!(
            check(bytes),
            Some(
                Classification::Check { .. }
                    | Classification::CheckInstanceVolumes { .. }
                    | Classification::Skip { resource: Some(_), .. }
            )
        ) {
            checks += 1;
        } else {
            eprintln!("{name}: not a resource check");
        }
    }
    // All but the unhandled Control Tower event name a resource (or instances) to check or skip.
    assert!(checks >= seeds.len() - 1, "{checks} of {}", seeds.len());
}

#[test]
fn every_input_the_fuzzer_crashed_on_is_handled() {
    for (name, bytes) in inputs("fuzz/regressions") {
        if name.ends_with(".md") {
            continue;
        }
        let _ = check(&bytes);
    }
}
