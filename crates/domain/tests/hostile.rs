//! Hostile input for the event → decision path: each row of the README's "Hostile inputs" table is a case here.
//! `classify` does no I/O, so "no call to AWS" holds for every error and every skip by construction; the tagger's
//! emulator test (tests/tests/tagger_emulator.rs, `hostile_events_make_no_aws_calls`) checks the same events make zero AWS requests end to end.

use serde_json::{json, Value};
use superwerker_backup_domain::event::EventInput;
use superwerker_backup_domain::{classify, Classification, EventError, EventScope};

const KEY: &str = "superwerker:backup";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn fixture(name: &str) -> Value {
    let mut d = superwerker_backup_domain::fixtures::fixture(name);
    d["awsRegion"] = json!(REGION);
    d["recipientAccountId"] = json!(ACCOUNT);
    d
}

fn envelope(detail: Value) -> Value {
    superwerker_backup_domain::fixtures::envelope_in(detail, json!(ACCOUNT), json!(REGION))
}

fn classify_json(event: &Value) -> Result<Classification, EventError> {
    let input = EventInput::from_envelope(event)?;
    classify(&input, &EventScope::own(ACCOUNT, REGION), KEY)
}

/// Parses bytes the way the Lambda runtime does, then classifies.
fn classify_bytes(bytes: &[u8]) -> Result<Classification, String> {
    let event: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    classify_json(&event).map_err(|e| e.to_string())
}

fn volume(id: Value) -> Value {
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["responseElements"]["volumeId"] = id;
    envelope(d)
}

fn table(name: &str) -> Value {
    let mut d = fixture("create-table.awsdocs.json");
    d["requestParameters"]["tableName"] = json!(name);
    d["responseElements"]["tableDescription"]["tableName"] = json!(name);
    envelope(d)
}

fn is_error(r: &Result<Classification, EventError>) -> bool {
    r.is_err()
}

#[test]
fn truncated_json_is_a_parse_error() {
    let full = serde_json::to_vec(&volume(json!("vol-13439757"))).unwrap();
    for cut in [1, 10, full.len() / 2, full.len() - 1] {
        let e = classify_bytes(&full[..cut]).unwrap_err();
        assert!(e.starts_with("not JSON"), "{cut}: {e}");
    }
    // Deep nesting stops at serde_json's recursion limit: an error, not a stack overflow.
    let deep = "[".repeat(100_000);
    assert!(classify_bytes(deep.as_bytes()).unwrap_err().starts_with("not JSON"));
}

#[test]
fn wrong_types_are_named_errors() {
    let mut cases: Vec<Value> = Vec::new();
    cases.push(volume(json!(42)));
    cases.push(volume(json!({"id": "vol-13439757"})));
    cases.push(volume(json!(["vol-13439757"])));
    let mut d = fixture("create-table.awsdocs.json");
    d["requestParameters"]["tags"] = json!("superwerker:backup=none");
    cases.push(envelope(d));
    let mut d = fixture("create-table.awsdocs.json");
    d["requestParameters"]["tags"] = json!([{"value": "none"}]);
    cases.push(envelope(d));
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["requestParameters"]["tagSpecificationSet"] = json!({"items": {"resourceType": "volume"}});
    cases.push(envelope(d));
    let mut d = fixture("run-instances.panther.json");
    d["responseElements"]["instancesSet"]["items"] = json!("i-0d7e4b9be8a0de6ea");
    cases.push(envelope(d));
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["recipientAccountId"] = json!(123456789012_u64);
    cases.push(envelope(d));
    for (i, event) in cases.iter().enumerate() {
        let r = classify_json(event);
        assert!(
            matches!(r, Err(EventError::WrongType { .. }) | Err(EventError::Missing { .. })),
            "case {i}: {r:?}"
        );
    }
    // Envelope fields of the wrong type.
    for event in [
        json!({"detail-type": 7, "source": "aws.ec2", "detail": {}}),
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": "x"}),
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": null}),
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": {"eventSource": 1}}),
        json!([1, 2, 3]),
        json!(null),
    ] {
        assert!(is_error(&classify_json(&event)), "{event}");
    }
}

#[test]
fn huge_arrays_are_handled_without_blowing_up() {
    // 50,000 request tags, our key last: found, skipped without a call.
    let mut d = fixture("create-table.awsdocs.json");
    let mut tags: Vec<Value> = (0..50_000)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    tags.push(json!({"key": KEY, "value": "none"}));
    d["requestParameters"]["tags"] = Value::Array(tags);
    assert!(matches!(classify_json(&envelope(d)), Ok(Classification::Skip { .. })));
    // 20,000 launched instances listing the same id: one instance to check.
    let mut d = fixture("run-instances.panther.json");
    let item = d["responseElements"]["instancesSet"]["items"][0].clone();
    d["responseElements"]["instancesSet"]["items"] = Value::Array(vec![item; 20_000]);
    match classify_json(&envelope(d)) {
        Ok(Classification::CheckInstanceVolumes { instances, .. }) => assert_eq!(instances.len(), 1),
        other => panic!("{other:?}"),
    }
    // 20,000 tag specifications for other resource types: ignored, the volume still checked.
    let mut d = fixture("create-volume.awsdocs-kms.json");
    let spec = json!({"resourceType": "snapshot", "tags": [{"key": KEY, "value": "none"}]});
    d["requestParameters"]["tagSpecificationSet"] = json!({"items": vec![spec; 20_000]});
    assert!(matches!(classify_json(&envelope(d)), Ok(Classification::Check { .. })));
}

#[test]
fn arns_of_another_account_partition_or_service_are_refused() {
    for arn in [
        "arn:aws:dynamodb:us-east-1:999999999999:table/Music",
        "arn:aws-cn:dynamodb:us-east-1:123456789012:table/Music",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/Music",
        "arn:aws:s3:::Music",
        "arn:aws:iam::123456789012:role/Music",
        "arn:aws:dynamodb:us-east-1:123456789012:table/Music/index/byName",
        "arn:aws:dynamodb:us-east-1:123456789012:table/Music/stream/2026",
        "arn:aws:dynamodb:us-east-1:12345678901:table/Music",
        "not-an-arn",
    ] {
        let mut d = fixture("create-table.awsdocs.json");
        d["responseElements"]["tableDescription"]["tableArn"] = json!(arn);
        assert!(is_error(&classify_json(&envelope(d))), "{arn} accepted");
    }
    // The whole event from another account: refused (not allowed by configuration).
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["recipientAccountId"] = json!("999999999999");
    let mut event = envelope(d);
    event["account"] = json!("999999999999");
    assert!(matches!(classify_json(&event), Err(EventError::ForeignAccount { .. })));
    // A handled event name under another service's source or eventSource: not ours.
    let mut event = volume(json!("vol-13439757"));
    event["source"] = json!("aws.rds");
    assert!(is_error(&classify_json(&event)));
}

#[test]
fn injection_in_names_is_refused_before_any_call() {
    for name in [
        "Music\"; DROP TABLE x; --",
        "../../etc/passwd",
        "Music\u{0}",
        "Music\nsuperwerker:backup=none",
        "Mu sic",
        "Müsic",
        "${jndi:ldap://x}",
        "",
    ] {
        let r = classify_json(&table(name));
        assert!(is_error(&r), "{name:?}: {r:?}");
    }
    let long = "a".repeat(10_000);
    assert!(is_error(&classify_json(&table(&long))));
    for id in ["vol-../x", "vol-0123%00", "vol-\u{202e}1234", "i-0123"] {
        assert!(is_error(&classify_json(&volume(json!(id)))), "{id:?}");
    }
    // Error messages quote at most 200 characters of what they refuse.
    let e = classify_json(&table(&long)).unwrap_err().to_string();
    assert!(e.len() < 600, "{}", e.len());
}

#[test]
fn a_256_kib_event_is_classified_normally() {
    let mut d = fixture("create-volume.awsdocs-kms.json");
    d["requestParameters"]["padding"] = json!("x".repeat(256 * 1024 - 2048));
    let bytes = serde_json::to_vec(&envelope(d)).unwrap();
    assert!(bytes.len() > 250 * 1024 && bytes.len() <= 256 * 1024, "{}", bytes.len());
    assert!(matches!(classify_bytes(&bytes), Ok(Classification::Check { .. })));
}

#[test]
fn fuzz_crash_a_huge_region_gets_a_short_error() {
    // Found by `make fuzz` (crates/domain/fuzz/regressions/long-error-message.json): a 5 KB awsRegion was quoted in
    // full by the reason of the error (4,795 bytes). Errors now stay short whatever the input.
    let mut d = fixture("create-file-system.synthetic.json");
    d["awsRegion"] = json!(format!("us-east-1{}", "222e2,".repeat(1000)));
    let mut event = envelope(d);
    event["region"] = Value::Null;
    let e = classify_json(&event).unwrap_err().to_string();
    assert!(e.len() <= 1024, "{} bytes: {e}", e.len());
    assert!(e.contains("awsRegion"), "{e}");
}
