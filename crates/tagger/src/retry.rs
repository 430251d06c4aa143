//! Bounded waiting for a resource that is not visible yet: attempts and delays shared by every read and write of one
//! resource, and kept within the invocation's deadline.

use std::time::{Duration, Instant};

use superwerker_backup_aws::AdapterError;

use crate::config::VisibilityRetry;
use crate::error::TaggerError;

/// Time kept back from the deadline to report a failure.
const MARGIN: Duration = Duration::from_millis(500);

/// The visibility budget of one resource.
pub(crate) struct Budget {
    retry: VisibilityRetry,
    deadline: Option<Instant>,
    started: Instant,
    delay: Duration,
    attempt: u32,
}

impl Budget {
    pub(crate) fn new(retry: VisibilityRetry, deadline: Option<Instant>) -> Budget {
        Budget {
            retry,
            deadline,
            started: Instant::now(),
            delay: retry.first_delay,
            attempt: 1,
        }
    }

    /// After a not-visible answer: waits before the next attempt, or fails when the attempts or the time are spent.
    pub(crate) async fn wait(&mut self, resource: &str, error: AdapterError) -> Result<(), TaggerError> {
        let out_of_time = self.deadline.is_some_and(|d| Instant::now() + self.delay + MARGIN >= d);
        if self.attempt >= self.retry.max_attempts || out_of_time {
            return Err(TaggerError::NotVisible {
                resource: resource.to_owned(),
                attempts: self.attempt,
                waited_ms: self.started.elapsed().as_millis(),
                source: Box::new(error),
            });
        }
        tracing::warn!(resource, attempt = self.attempt, delay_ms = self.delay.as_millis() as u64, reason = %error,
            "not visible yet, retrying");
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(self.retry.max_delay);
        self.attempt += 1;
        Ok(())
    }

    /// Runs `op` until it answers anything but "not visible yet", within the budget.
    pub(crate) async fn run<T, F, Fut>(&mut self, resource: &str, mut op: F) -> Result<T, TaggerError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, AdapterError>>,
    {
        loop {
            match op().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_not_visible_yet() => self.wait(resource, e).await?,
                Err(e) => return Err(TaggerError::aws(resource, e)),
            }
        }
    }
}
