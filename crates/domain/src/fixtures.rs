//! The real CloudTrail records in tests/fixtures/cloudtrail and the EventBridge envelope AWS delivers them in, shared by
//! every crate's tests (feature `fixtures`; reading a file is the only I/O here, and only in tests).

use serde_json::{json, Value};

/// A CloudTrail record from tests/fixtures/cloudtrail (sources in SOURCES.txt).
pub fn fixture(name: &str) -> Value {
    documented("cloudtrail", name)
}

/// The JSON file `name` of tests/fixtures/`dir` (AWS's documented examples; each directory names its sources).
pub fn documented(dir: &str, name: &str) -> Value {
    let path = format!("{}/../../tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The EventBridge `source` of a record: `aws.` and the service prefix of its `eventSource`.
pub fn source_of(detail: &Value) -> String {
    let service = detail["eventSource"].as_str().unwrap_or("x.amazonaws.com");
    format!("aws.{}", service.trim_end_matches(".amazonaws.com"))
}

/// The record in the EventBridge envelope AWS delivers it in, with the envelope's account and region.
pub fn envelope_in(detail: Value, account: Value, region: Value) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS API Call via CloudTrail",
        "source": source_of(&detail),
        "account": account,
        "time": "2026-11-26T07:00:00Z",
        "region": region,
        "resources": [],
        "detail": detail,
    })
}

/// The record in its envelope, whose account and region are the record's own.
pub fn envelope(detail: Value) -> Value {
    let (account, region) = (detail["recipientAccountId"].clone(), detail["awsRegion"].clone());
    envelope_in(detail, account, region)
}
