//! Any bytes → JSON → `classify_checked`: must never panic, and every answer must keep the invariants of
//! `superwerker_backup_domain::invariants` (own account and region only, valid ids, short errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use superwerker_backup_domain::invariants::classify_checked;
use superwerker_backup_domain::EventScope;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) {
        let scope = EventScope::own("123456789012", "us-east-1");
        let _ = classify_checked(&event, &scope, "superwerker:backup");
    }
});
