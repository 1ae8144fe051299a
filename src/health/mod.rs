//! Service health: `SERVICES.json`'s services checked over HTTP.
//!
//! - [`status`]: pure: what a response (or a failure) means: UP, DEGRADED or DOWN, and why.
//! - [`tracker`]: pure: one service over time: N-of-M thresholds, backoff, history.
//! - [`check`]: the async checker and the one shared HTTP client.
//! - [`scheduler`]: the dashboard's timers, on their own thread.
//! - [`config`]: reading `SERVICES.json` for one-off checks.
//!
//! `baton health`, the context pack and the dashboard all check through [`check::check_once`].

pub mod check;
pub mod config;
pub mod scheduler;
pub mod status;
pub mod tracker;

use serde::Serialize;

use crate::domain::services::ServiceConfig;
use crate::domain::time::format_timestamp;

pub use check::{check_all, check_all_blocking, check_once, client};
pub use status::{CheckResult, Kind, Status};
pub use tracker::Tracker;

/// One service in `baton health --format json` (DESIGN.md's shape).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceReport {
    pub name: String,
    pub url: String,
    pub status: Status,
    pub reason: Option<String>,
    pub latency_ms: Option<u64>,
    pub checked_at: String,
    /// When the reported status began. A one-off check knows no earlier check, so this is
    /// its own time; the dashboard tracks it across checks.
    pub since: String,
}

impl ServiceReport {
    pub fn new(service: &ServiceConfig, result: &CheckResult) -> ServiceReport {
        let at = format_timestamp(result.checked_at);
        ServiceReport {
            name: service.name.clone(),
            url: service.url.clone(),
            status: result.status,
            reason: result.reason.clone(),
            latency_ms: result.latency_ms,
            checked_at: at.clone(),
            since: at,
        }
    }

    /// "I PROACTIVE: up (12 ms)" / "I MATCH: down: connection refused".
    pub fn line(&self) -> String {
        let mut s = format!("{}: {}", self.name, self.status);
        if let Some(ms) = self.latency_ms {
            s.push_str(&format!(" ({ms} ms)"));
        }
        if let Some(r) = &self.reason {
            s.push_str(&format!(": {r}"));
        }
        s
    }
}

/// Checks every enabled service once, concurrently: one report each, in file order.
pub fn check_services(services: &[ServiceConfig]) -> Vec<ServiceReport> {
    let enabled: Vec<ServiceConfig> = services.iter().filter(|s| s.enabled).cloned().collect();
    let results = check_all_blocking(&enabled);
    enabled
        .iter()
        .zip(&results)
        .map(|(s, r)| ServiceReport::new(s, r))
        .collect()
}
