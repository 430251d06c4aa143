//! Counts the requests the SDK transmits, by `Service.Operation` (every attempt, as the service sees them).
//! Installed on every client this crate builds; reports and tests read it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Clone, Debug, Default)]
pub struct CallCounter {
    calls: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl CallCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests per `Service.Operation`.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.calls.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// All requests sent.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    /// Requests of one operation, e.g. `EC2.CreateTags`.
    pub fn of(&self, operation: &str) -> u64 {
        self.snapshot().get(operation).copied().unwrap_or(0)
    }

    fn record(&self, name: String) {
        if let Ok(mut m) = self.calls.lock() {
            *m.entry(name).or_default() += 1;
        }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map(|m| format!("{}.{}", short_service(m.service()), m.name()))
            .unwrap_or_else(|| "unknown".to_owned());
        self.record(name);
        Ok(())
    }
}

/// Short names for services whose SDK name is long, so reports read `Tagging.TagResources`.
fn short_service(service: &str) -> &str {
    match service {
        "Resource Groups Tagging API" => "Tagging",
        other => other,
    }
}
