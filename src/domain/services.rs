//! `SERVICES.json`: the services to health-check (DESIGN.md's schema). Only `name` and `url`
//! are required; everything else has a default.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceConfig {
    pub name: String,
    pub url: String,
    #[serde(default = "default_method")]
    pub method: String,
    /// `"200-299"`, `"200"`, or `"200,204"`.
    #[serde(default = "default_expect")]
    pub expect_status: String,
    #[serde(default)]
    pub body_contains: Option<String>,
    #[serde(default)]
    pub json_pointer: Option<String>,
    #[serde(default)]
    pub json_equals: Option<Value>,
    #[serde(default = "default_interval")]
    pub interval_s: u64,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    #[serde(default = "default_degraded")]
    pub degraded_ms: u64,
    #[serde(default = "default_true")]
    pub tls_errors_fatal: bool,
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_method() -> String {
    "GET".into()
}
fn default_expect() -> String {
    "200-299".into()
}
fn default_interval() -> u64 {
    30
}
fn default_timeout() -> u64 {
    3000
}
fn default_degraded() -> u64 {
    800
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServicesFile {
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
}

/// Parses the file's object; each bad entry is an error message naming its index.
pub fn parse_services(value: Value) -> (Vec<ServiceConfig>, Vec<String>) {
    let mut services = Vec::new();
    let mut errors = Vec::new();
    let Some(list) = value.get("services").and_then(Value::as_array) else {
        return (services, vec!["expected {\"services\": [ … ]}".into()]);
    };
    for (i, item) in list.iter().enumerate() {
        match serde_json::from_value::<ServiceConfig>(item.clone()) {
            Ok(s) => services.push(s),
            Err(e) => errors.push(format!("services[{i}]: {e}")),
        }
    }
    (services, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in() {
        let (s, e) = parse_services(
            serde_json::json!({"services": [{"name": "I PROACTIVE", "url": "http://127.0.0.1:8400/health"}, {"url": "x"}]}),
        );
        assert_eq!(s[0].timeout_ms, 3000);
        assert!(s[0].enabled);
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("services[1]"));
    }
}
