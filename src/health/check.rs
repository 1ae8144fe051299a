//! The async checker: one request per check through one shared client, bounded by the
//! service's `timeout_ms` from the first byte sent to the last byte read. It never panics
//! and never returns an error: every failure becomes a DOWN (or DEGRADED) result with a
//! reason a person can act on.

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{Client, Method, Url};

use crate::domain::services::ServiceConfig;

use super::status::{CheckResult, ExpectStatus, Kind, judge};

/// Redirects followed before a check fails with "too many redirects".
pub const MAX_REDIRECTS: usize = 5;
/// The client's own connect timeout (each check is also bounded by its `timeout_ms`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The client's own total timeout (each check is also bounded by its `timeout_ms`).
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);
/// At most this much of a body is read (for the body checks).
pub const BODY_LIMIT: usize = 256 * 1024;

/// The one HTTP client for every check: connect and total timeouts always set, redirects
/// limited, no connection reuse (each check opens its own connection, so a service that
/// stopped accepting connections is seen as down), no proxy (services are checked
/// directly), rustls with the `ring` provider.
pub fn client() -> Result<Client, String> {
    // reqwest is built with `rustls-no-provider`: install `ring` as the process's provider
    // (an error only means one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .pool_max_idle_per_host(0)
        .no_proxy()
        .user_agent(concat!(
            "baton/",
            env!("CARGO_PKG_VERSION"),
            " health check"
        ))
        .build()
        .map_err(|e| format!("HTTP client: {}", chain(&e)))
}

/// Checks one service once. Finishes within its `timeout_ms` (plus scheduling jitter).
pub async fn check_once(client: &Client, cfg: &ServiceConfig) -> CheckResult {
    let at = Utc::now();
    // At least 1 ms; at most a day (a typo of extra zeros must not overflow a deadline).
    let budget = Duration::from_millis(cfg.timeout_ms.clamp(1, 86_400_000));
    let method = match Method::from_bytes(cfg.method.trim().to_ascii_uppercase().as_bytes()) {
        Ok(m) => m,
        Err(_) => {
            let why = format!("method {:?} is not an HTTP method", cfg.method);
            return CheckResult::failed(cfg, Kind::BadConfig, why, at);
        }
    };
    let url = match Url::parse(cfg.url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => {
            let why = format!("url scheme {:?} is not http or https", u.scheme());
            return CheckResult::failed(cfg, Kind::BadConfig, why, at);
        }
        Err(e) => {
            let why = format!("url {:?}: {e}", cfg.url);
            return CheckResult::failed(cfg, Kind::BadConfig, why, at);
        }
    };
    if let Err(e) = ExpectStatus::parse(&cfg.expect_status) {
        return CheckResult::failed(cfg, Kind::BadConfig, e, at);
    }
    let start = Instant::now();
    let attempt = async {
        let mut response = client.request(method, url).timeout(budget).send().await?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while body.len() < BODY_LIMIT {
            match response.chunk().await? {
                Some(chunk) => {
                    let room = BODY_LIMIT - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                None => break,
            }
        }
        Ok::<_, reqwest::Error>((status, body))
    };
    match tokio::time::timeout(budget, attempt).await {
        Err(_) => CheckResult::failed(cfg, Kind::Timeout, timeout_reason(cfg), at),
        Ok(Err(e)) => {
            let (kind, why) = classify(&e);
            let why = if kind == Kind::Timeout {
                timeout_reason(cfg)
            } else {
                why
            };
            CheckResult::failed(cfg, kind, why, at)
        }
        Ok(Ok((status, body))) => {
            let latency = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            judge(cfg, status, &String::from_utf8_lossy(&body), latency, at)
        }
    }
}

/// Checks every service once, all at the same time; results in the same order. Takes as
/// long as the slowest (at most the longest `timeout_ms`).
pub async fn check_all(client: &Client, services: &[ServiceConfig]) -> Vec<CheckResult> {
    futures_util::future::join_all(services.iter().map(|s| check_once(client, s))).await
}

/// [`check_all`] from synchronous code (the CLI): its own small runtime.
pub fn check_all_blocking(services: &[ServiceConfig]) -> Vec<CheckResult> {
    if services.is_empty() {
        return Vec::new();
    }
    let fail_all = |why: String| {
        services
            .iter()
            .map(|s| CheckResult::failed(s, Kind::Other, why.clone(), Utc::now()))
            .collect()
    };
    let client = match client() {
        Ok(c) => c,
        Err(e) => return fail_all(e),
    };
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => {
            let results = rt.block_on(check_all(&client, services));
            // A name lookup stuck in the blocking pool must not hold the command up.
            rt.shutdown_background();
            results
        }
        Err(e) => fail_all(format!("async runtime: {e}")),
    }
}

fn timeout_reason(cfg: &ServiceConfig) -> String {
    format!("timeout: no answer within {} ms", cfg.timeout_ms)
}

/// Sorts a failed request into the kinds a person acts on differently.
pub fn classify(e: &reqwest::Error) -> (Kind, String) {
    if e.is_redirect() {
        return (
            Kind::TooManyRedirects,
            format!("too many redirects (more than {MAX_REDIRECTS})"),
        );
    }
    if e.is_timeout() {
        return (Kind::Timeout, "timeout".into());
    }
    if e.is_builder() {
        return (Kind::BadConfig, chain(e));
    }
    for err in causes(e) {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return (Kind::Refused, "connection refused".into());
                }
                std::io::ErrorKind::TimedOut => return (Kind::Timeout, "timeout".into()),
                _ => {}
            }
        }
        if err.is::<rustls::Error>() {
            return (Kind::Tls, format!("TLS: {err}"));
        }
    }
    let text = chain(e);
    let lower = text.to_lowercase();
    if ["certificate", "tls", "handshake", "ssl"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return (Kind::Tls, text);
    }
    if e.is_connect() {
        return (Kind::Connect, text);
    }
    (Kind::Other, text)
}

/// The error and its causes, outermost first. `io::Error` hides what it wraps from
/// `source()` (it returns the wrapped error's own source), so it is unwrapped by hand.
fn causes<'a>(e: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        out.push(err);
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
        if out.len() > 32 {
            break;
        }
    }
    out
}

/// The error's causes as one line, without the wrappers' generic words (reqwest's "error
/// sending request for url (…)": the URL is shown beside the reason anyway; hyper's "client
/// error (Connect)"), each said once.
fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for err in causes(e).into_iter().skip(1) {
        let text = err.to_string();
        if text.is_empty() || text.starts_with("client error (") {
            continue;
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}
