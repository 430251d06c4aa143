//! The fault-injection proxy in front of the emulator (tests/harness/fault_proxy.py, started by the harness).

use anyhow::{bail, Result};
use serde_json::Value;
use superwerker_backup_aws::Aws;

/// The fault-injection proxy in front of the emulator (tests/harness/fault_proxy.py, started by the harness).
#[derive(Clone)]
pub struct FaultProxy {
    pub url: String,
    http: reqwest::Client,
}

impl FaultProxy {
    /// The proxy the harness started. Fails with a clear message outside the harness.
    pub fn from_env() -> FaultProxy {
        let url = std::env::var("SWB_FAULT_PROXY_URL")
            .expect("SWB_FAULT_PROXY_URL is not set: run with `make test` (with-emulator.sh starts the fault proxy)");
        FaultProxy {
            url,
            http: reqwest::Client::new(),
        }
    }

    /// Adds fault rules (see fault_proxy.py): `[{"id", "service", "op", "contains", "fault", "times", "every",
    /// "delay_ms"}]`.
    pub async fn add(&self, rules: Value) -> Result<()> {
        let res = self
            .http
            .post(format!("{}/__faults__/rules", self.url))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&rules)?)
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("fault proxy refused the rules: {}", res.status());
        }
        Ok(())
    }

    /// Removes the rules with this id.
    pub async fn remove(&self, id: &str) -> Result<()> {
        self.http
            .delete(format!("{}/__faults__/rules?id={id}", self.url))
            .send()
            .await?;
        Ok(())
    }

    /// The requests the proxy saw whose path or body contains `needle`: `service`, `op`, `fault` (null when
    /// forwarded to the emulator), `status`, `t_start`, `t_end`.
    pub async fn log(&self, needle: &str) -> Result<Vec<Value>> {
        let res = self
            .http
            .get(format!(
                "{}/__faults__/log?contains={}",
                self.url,
                percent_encode(needle)
            ))
            .send()
            .await?;
        Ok(serde_json::from_slice(&res.bytes().await?)?)
    }

    /// Waits until a request whose path or body contains `needle` and whose operation is `op` has reached the proxy
    /// (it may still be held there by a delay rule); fails after `timeout`.
    pub async fn wait_for(&self, needle: &str, op: &str, timeout: std::time::Duration) -> Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if self.log(needle).await?.iter().any(|r| r["op"] == op) {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                bail!("no {op} request for {needle} reached the proxy within {timeout:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// An `Aws` whose requests go through the proxy: the production settings (`Aws::loader`) with a short backoff
    /// and attempt timeout so the tests run fast.
    pub async fn aws(&self, max_attempts: u32) -> Aws {
        use aws_smithy_types::retry::RetryConfig;
        use aws_smithy_types::timeout::TimeoutConfig;
        let sdk = superwerker_backup_aws::config::loader()
            .endpoint_url(&self.url)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(max_attempts)
                    .with_initial_backoff(std::time::Duration::from_millis(5)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(std::time::Duration::from_millis(1500))
                    .build(),
            )
            .load()
            .await;
        Aws::new(sdk)
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for a query value.
fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, superwerker_backup_domain::alert::URL_UNRESERVED).to_string()
}
