//! The sweep's own metrics, as one CloudWatch embedded metric format (EMF) log line: CloudWatch Logs turns a JSON log
//! event with an `_aws` member into metrics, no API call ("Specification: Embedded metric format", CloudWatch user
//! guide: `_aws.Timestamp` in milliseconds, `_aws.CloudWatchMetrics` of `Namespace`, `Dimensions` (arrays of member
//! names) and `Metrics` (`Name`, `Unit`); the dimension values and metric values are root members). The stack's alarms
//! (infra/template.yaml, README Alerts) watch these names; tests/infra/test_alerts.py compares them.

use serde_json::{json, Value};

/// The metrics' namespace.
pub const NAMESPACE: &str = "superwerker-backup";
/// Dimension: the Lambda function's name (`AWS_LAMBDA_FUNCTION_NAME`).
pub const DIMENSION: &str = "FunctionName";
/// 1 when a sweep (not a dry run) finished with everything done, else 0.
pub const SWEEP_SUCCEEDED: &str = "SweepSucceeded";
/// 1 when a sweep finished partial (some resources failed) or failed as a whole, else 0.
pub const SWEEP_PARTIAL: &str = "SweepPartial";

/// The EMF line a sweep logs when it ends: `succeeded` false means partial or failed.
pub fn sweep_metric_line(function: &str, succeeded: bool, timestamp_ms: u64) -> String {
    let line: Value = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[DIMENSION]],
                "Metrics": [
                    {"Name": SWEEP_SUCCEEDED, "Unit": "Count"},
                    {"Name": SWEEP_PARTIAL, "Unit": "Count"},
                ],
            }],
        },
        DIMENSION: function,
        SWEEP_SUCCEEDED: u8::from(succeeded),
        SWEEP_PARTIAL: u8::from(!succeeded),
    });
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_its_metrics_and_carries_their_values() {
        let line: Value = serde_json::from_str(&sweep_metric_line("f", false, 7)).unwrap();
        let spec = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(spec["Namespace"], NAMESPACE);
        assert_eq!(spec["Dimensions"], json!([[DIMENSION]]));
        assert_eq!(line[DIMENSION], "f");
        assert_eq!(
            (line[SWEEP_SUCCEEDED].as_u64(), line[SWEEP_PARTIAL].as_u64()),
            (Some(0), Some(1))
        );
        assert_eq!(line["_aws"]["Timestamp"], 7);
        let ok: Value = serde_json::from_str(&sweep_metric_line("f", true, 7)).unwrap();
        assert_eq!(
            (ok[SWEEP_SUCCEEDED].as_u64(), ok[SWEEP_PARTIAL].as_u64()),
            (Some(1), Some(0))
        );
    }
}
