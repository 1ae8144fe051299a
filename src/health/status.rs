//! What one check found, as data, and the pure rules that turn a response (or a failure)
//! into UP / DEGRADED / DOWN with a reason. No I/O and no clock: the checker measures, this
//! module judges.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::domain::services::ServiceConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Up,
    /// Reachable, but slow or its body check failed (or a TLS error that is not fatal).
    Degraded,
    Down,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Degraded => "degraded",
            Status::Down => "down",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a check came out as it did; `Ok` for a clean UP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ok,
    /// Answered correctly, but slower than `degraded_ms`.
    Slow,
    /// `body_contains` or `json_pointer`/`json_equals` did not match.
    BodyMismatch,
    /// A status outside `expect_status`.
    WrongStatus,
    /// Nothing listens on the port.
    Refused,
    /// No (complete) answer within `timeout_ms`.
    Timeout,
    Tls,
    TooManyRedirects,
    /// Any other failure to connect (DNS, unreachable network, reset).
    Connect,
    /// The service's entry cannot be checked as written (bad URL, method, expect_status).
    BadConfig,
    Other,
}

/// The result of one check of one service.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub status: Status,
    pub kind: Kind,
    /// `None` for a clean UP.
    pub reason: Option<String>,
    /// Time to the whole response (status and body); `None` when nothing was received.
    pub latency_ms: Option<u64>,
    pub http_status: Option<u16>,
    /// When the check started.
    pub checked_at: DateTime<Utc>,
}

impl CheckResult {
    /// A check that failed before any response arrived.
    pub fn failed(
        cfg: &ServiceConfig,
        kind: Kind,
        reason: impl Into<String>,
        at: DateTime<Utc>,
    ) -> CheckResult {
        let status = match kind {
            Kind::Tls if !cfg.tls_errors_fatal => Status::Degraded,
            _ => Status::Down,
        };
        CheckResult {
            status,
            kind,
            reason: Some(reason.into()),
            latency_ms: None,
            http_status: None,
            checked_at: at,
        }
    }

    /// "down: connection refused" / "up (12 ms)": one line for the context pack and logs.
    pub fn summary(&self) -> String {
        let mut s = self.status.as_str().to_string();
        if let Some(ms) = self.latency_ms {
            s.push_str(&format!(" ({ms} ms)"));
        }
        if let Some(r) = &self.reason {
            s.push_str(&format!(": {r}"));
        }
        s
    }
}

/// `expect_status`: `"200-299"`, `"200"`, `"200,204"`, or a mix (`"200-204,301"`); `2xx`
/// is accepted as `200-299`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectStatus(Vec<(u16, u16)>);

impl ExpectStatus {
    pub fn parse(text: &str) -> Result<ExpectStatus, String> {
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let code = |s: &str| {
                s.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
                    .ok_or_else(|| format!("expect_status {text:?}: {s:?} is not an HTTP status"))
            };
            let lower = part.to_ascii_lowercase();
            let range = if let Some(hundreds) = lower.strip_suffix("xx") {
                let h = code(&format!("{hundreds}00"))?;
                (h, h + 99)
            } else if let Some((a, b)) = part.split_once('-') {
                let (a, b) = (code(a)?, code(b)?);
                if a > b {
                    return Err(format!("expect_status {text:?}: {a}-{b} is empty"));
                }
                (a, b)
            } else {
                let c = code(part)?;
                (c, c)
            };
            ranges.push(range);
        }
        if ranges.is_empty() {
            return Err(format!("expect_status {text:?} names no status"));
        }
        Ok(ExpectStatus(ranges))
    }

    pub fn matches(&self, status: u16) -> bool {
        self.0.iter().any(|&(a, b)| (a..=b).contains(&status))
    }
}

/// Judges a response that arrived: status first (DOWN when unexpected), then the body checks
/// (DEGRADED when they fail: the service answers, but not as it should), then latency.
pub fn judge(
    cfg: &ServiceConfig,
    http_status: u16,
    body: &str,
    latency_ms: u64,
    at: DateTime<Utc>,
) -> CheckResult {
    let (status, kind, reason) = verdict(cfg, http_status, body, latency_ms);
    CheckResult {
        status,
        kind,
        reason,
        latency_ms: Some(latency_ms),
        http_status: Some(http_status),
        checked_at: at,
    }
}

fn verdict(
    cfg: &ServiceConfig,
    http_status: u16,
    body: &str,
    latency_ms: u64,
) -> (Status, Kind, Option<String>) {
    let expect = match ExpectStatus::parse(&cfg.expect_status) {
        Ok(e) => e,
        Err(e) => return (Status::Down, Kind::BadConfig, Some(e)),
    };
    if !expect.matches(http_status) {
        return (
            Status::Down,
            Kind::WrongStatus,
            Some(format!(
                "HTTP {http_status} (expected {})",
                cfg.expect_status.trim()
            )),
        );
    }
    if let Some(needle) = cfg.body_contains.as_deref().filter(|n| !n.is_empty())
        && !body.contains(needle)
    {
        return (
            Status::Degraded,
            Kind::BodyMismatch,
            Some(format!("body does not contain {needle:?}")),
        );
    }
    if let Some(pointer) = cfg.json_pointer.as_deref() {
        if let Some(problem) = json_check(pointer, cfg.json_equals.as_ref(), body) {
            return (Status::Degraded, Kind::BodyMismatch, Some(problem));
        }
    } else if let Some(wanted) = &cfg.json_equals {
        // `json_equals` alone compares the whole document.
        if let Some(problem) = json_check("", Some(wanted), body) {
            return (Status::Degraded, Kind::BodyMismatch, Some(problem));
        }
    }
    if latency_ms > cfg.degraded_ms {
        return (
            Status::Degraded,
            Kind::Slow,
            Some(format!("slow: {latency_ms} ms > {} ms", cfg.degraded_ms)),
        );
    }
    (Status::Up, Kind::Ok, None)
}

/// `None` when the body satisfies the pointer (and the value, when one is given).
fn json_check(pointer: &str, wanted: Option<&Value>, body: &str) -> Option<String> {
    let doc: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => return Some(format!("body is not JSON ({e})")),
    };
    let Some(found) = doc.pointer(pointer) else {
        return Some(format!("body has no {pointer:?}"));
    };
    match wanted {
        Some(w) if found != w => Some(format!(
            "{} is {}, expected {}",
            if pointer.is_empty() { "body" } else { pointer },
            short(found),
            short(w)
        )),
        _ => None,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(extra: Value) -> ServiceConfig {
        let mut v = json!({"name": "svc", "url": "http://127.0.0.1:1/health"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-11-16T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn expect_status_forms() {
        let e = ExpectStatus::parse("200-299").unwrap();
        assert!(e.matches(200) && e.matches(299) && !e.matches(300) && !e.matches(199));
        let e = ExpectStatus::parse("200,204").unwrap();
        assert!(e.matches(204) && !e.matches(201));
        let e = ExpectStatus::parse(" 200 ").unwrap();
        assert!(e.matches(200) && !e.matches(204));
        let e = ExpectStatus::parse("2xx, 301").unwrap();
        assert!(e.matches(250) && e.matches(301) && !e.matches(302));
        for bad in ["", "abc", "299-200", "99", "700", "200-"] {
            assert!(
                ExpectStatus::parse(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
    }

    #[test]
    fn healthy_slow_and_wrong_status() {
        let c = cfg(json!({}));
        let r = judge(&c, 200, "ok", 12, t0());
        assert_eq!((r.status, r.kind, r.reason), (Status::Up, Kind::Ok, None));
        let r = judge(&c, 200, "ok", 801, t0());
        assert_eq!((r.status, r.kind), (Status::Degraded, Kind::Slow));
        assert_eq!(r.reason.as_deref(), Some("slow: 801 ms > 800 ms"));
        let r = judge(&c, 500, "boom", 3, t0());
        assert_eq!((r.status, r.kind), (Status::Down, Kind::WrongStatus));
        assert_eq!(r.reason.as_deref(), Some("HTTP 500 (expected 200-299)"));
        let r = judge(&cfg(json!({"expect_status": "nope"})), 200, "", 3, t0());
        assert_eq!((r.status, r.kind), (Status::Down, Kind::BadConfig));
    }

    #[test]
    fn body_checks_fail_softly() {
        let c = cfg(json!({"body_contains": "healthy"}));
        assert_eq!(judge(&c, 200, "all healthy", 1, t0()).status, Status::Up);
        let r = judge(&c, 200, "sick", 1, t0());
        assert_eq!((r.status, r.kind), (Status::Degraded, Kind::BodyMismatch));

        let c = cfg(json!({"json_pointer": "/status", "json_equals": "ok"}));
        assert_eq!(
            judge(&c, 200, r#"{"status":"ok"}"#, 1, t0()).status,
            Status::Up
        );
        let r = judge(&c, 200, r#"{"status":"starting"}"#, 1, t0());
        assert_eq!(
            r.reason.as_deref(),
            Some(r#"/status is "starting", expected "ok""#)
        );
        let r = judge(&c, 200, "not json", 1, t0());
        assert_eq!(r.kind, Kind::BodyMismatch);
        assert!(r.reason.unwrap().starts_with("body is not JSON"));
        let r = judge(&c, 200, "{}", 1, t0());
        assert_eq!(r.reason.as_deref(), Some(r#"body has no "/status""#));

        // A pointer alone only asks that the value exists.
        let c = cfg(json!({"json_pointer": "/models/0"}));
        assert_eq!(
            judge(&c, 200, r#"{"models":[{"name":"llama"}]}"#, 1, t0()).status,
            Status::Up
        );
        assert_eq!(
            judge(&c, 200, r#"{"models":[]}"#, 1, t0()).status,
            Status::Degraded
        );
        // The wrong status wins over the body.
        assert_eq!(judge(&c, 503, "", 1, t0()).status, Status::Down);
    }

    #[test]
    fn tls_errors_are_down_only_when_fatal() {
        let r = CheckResult::failed(&cfg(json!({})), Kind::Tls, "bad certificate", t0());
        assert_eq!(r.status, Status::Down);
        let lenient = cfg(json!({"tls_errors_fatal": false}));
        let r = CheckResult::failed(&lenient, Kind::Tls, "bad certificate", t0());
        assert_eq!(r.status, Status::Degraded);
        let r = CheckResult::failed(&lenient, Kind::Refused, "connection refused", t0());
        assert_eq!(r.status, Status::Down);
        assert_eq!(r.summary(), "down: connection refused");
    }
}
