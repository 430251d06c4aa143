//! Running the tagger as the Lambda runs it: the handler in-process, or the real binary under `cargo lambda watch`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use superwerker_backup_aws::Aws;

use crate::{root, unique, Emulator};

/// Runs the tagger's handler on `event` as the Lambda would, for the emulator's account and region (the invoked
/// function's ARN), with a short visibility retry: `attempts` tries, 10 ms doubling up to 50 ms.
pub async fn tag_event(
    em: &Emulator,
    aws: &Aws,
    event: &Value,
    attempts: u32,
) -> std::result::Result<backup_tagger::Outcome, backup_tagger::TaggerError> {
    let mut config = backup_tagger::TaggerConfig::from_lookup(&em.region, |_| None)?;
    config.retry = backup_tagger::VisibilityRetry {
        max_attempts: attempts,
        first_delay: std::time::Duration::from_millis(10),
        max_delay: std::time::Duration::from_millis(50),
    };
    let arn = format!("arn:aws:lambda:{}:{}:function:backup-tagger", em.region, em.account);
    let scope = config.scope(config.known_account(&arn).expect("the ARN names the account"));
    let event: aws_lambda_events::eventbridge::EventBridgeEvent<Value> =
        serde_json::from_value(event.clone()).map_err(|e| backup_tagger::TaggerError::NotAnEvent(e.to_string()))?;
    backup_tagger::handle(aws, &config, &scope, &event, None).await
}

/// Runs the real `backup-tagger` under `cargo lambda watch` (started by the harness) with `cargo lambda invoke
/// --data-file`; returns the function's JSON answer, or its error text.
pub fn invoke_lambda(function: &str, event: &Value) -> Result<std::result::Result<Value, String>> {
    let port = std::env::var("SWB_LAMBDA_INVOKE_PORT").context(
        "SWB_LAMBDA_INVOKE_PORT is not set: run with `make test` (with-emulator.sh --lambda-watch starts cargo lambda watch)",
    )?;
    let dir = std::env::var("SWB_RUN_DIR").unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    let file = PathBuf::from(dir).join(format!("{}.json", unique("event")));
    std::fs::write(&file, serde_json::to_vec_pretty(event)?)?;
    let cargo_lambda = root().join(".venv/bin/cargo-lambda");
    let out = Command::new(&cargo_lambda)
        .args([
            "lambda",
            "invoke",
            function,
            "-A",
            "127.0.0.1",
            "-P",
            &port,
            "--output-format",
            "json",
            "--data-file",
        ])
        .arg(&file)
        .current_dir(root())
        .output()
        .with_context(|| format!("running {}", cargo_lambda.display()))?;
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if out.status.success() {
        let value: Value = serde_json::from_str(stdout.trim())
            .with_context(|| format!("the function's answer is not JSON: {stdout:?} (stderr {stderr:?})"))?;
        Ok(Ok(value))
    } else if stderr.contains("error sending request") {
        bail!("cargo lambda invoke could not reach the watch server: {stderr}")
    } else {
        Ok(Err(format!("{stdout}{stderr}")))
    }
}
