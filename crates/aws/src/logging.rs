//! Logging for the Lambda entry points: `tracing` as one JSON object per line (CloudWatch Logs, JSON log format),
//! filtered by `RUST_LOG` (default `info`), without timestamps (Lambda adds them).

pub fn init_lambda_json() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .init();
}
